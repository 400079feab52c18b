"""Drift in the window: the Workflows tab says it, and a notice tells it once."""

from __future__ import annotations

import random

from desktop_app.storage.db import connect
from tests.services.test_drift import history, seed


def test_a_workflow_that_got_worse_is_shown_and_told_once(qtbot, window, seeded):
    db = connect(seeded)
    rng = random.Random(3)
    seed(db, history(rng, 0.1, 200) + history(rng, 0.7, 30), workflow="review-reply")
    db.conn.close()
    told = []
    window.notifier.notify = lambda notices, **_kw: told.extend(notices)  # the tray aside
    window.show_tab("workflows")
    view = window.workflows
    view.reload()
    qtbot.waitUntil(lambda: any(n.kind == "drift" for n in told), timeout=10000)
    (notice,) = [n for n in told if n.kind == "drift"]
    assert notice.workflow == "review-reply" and "is reworked more" in notice.text
    view.select_workflow("review-reply")
    assert view.drift_status.isVisible() and "Drift: 'review-reply' is reworked more" in (
        view.drift_status.text()
    )
    view.reload()  # the same drift again: not told twice
    qtbot.waitUntil(lambda: not view._worker.busy, timeout=10000)
    qtbot.wait(50)
    assert len([n for n in told if n.kind == "drift"]) == 1
    view.select_workflow("meeting-actions")
    assert not view.drift_status.isVisible()
