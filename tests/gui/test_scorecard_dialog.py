"""The Scorecard panel: figures and charts made in the background, the report from it."""

from __future__ import annotations

import random

from desktop_app.storage.db import connect
from tests.services.test_drift import history, seed


def test_the_scorecard_panel_shows_weeks_charts_drift_and_writes_the_report(
    qtbot, window, seeded, tmp_path
):
    db = connect(seeded)
    rng = random.Random(5)
    seed(db, history(rng, 0.1, 200) + history(rng, 0.7, 30), workflow="review-reply")
    db.conn.execute(
        "UPDATE items SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days')"
    )
    db.conn.close()
    window.show_tab("workflows")
    view = window.workflows
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10000)
    view.select_workflow("review-reply")
    view.scorecard_button.click()
    dialog = view.scorecard_dialog
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0, timeout=10000)
    assert (
        "items since" in dialog.summary.text() and "approved as they were" in dialog.summary.text()
    )
    assert dialog.outcome_chart.renderer().isValid() and dialog.cost_chart.renderer().isValid()
    assert dialog.drift.isVisible() and "is reworked more" in dialog.drift.text()
    target = tmp_path / "report.html"
    with qtbot.waitSignal(dialog.report_job.done, timeout=20000):
        dialog.write_report(target)
    assert "Signoff report" in target.read_text(encoding="utf-8")
    assert str(target) in dialog.status.text()
    dialog.period.setCurrentIndex(0)  # another period: figures again
    qtbot.waitUntil(lambda: dialog.status.text() == "", timeout=10000)
    dialog.close()
