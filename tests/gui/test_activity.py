"""The Activity view: the log with filters and full detail, verify, and export with progress."""

from __future__ import annotations

import csv
import sqlite3

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QFileDialog

from desktop_app.storage import eventlog
from desktop_app.storage.db import connect
from tests.conftest import BUNDLED_WORKFLOWS


def show_activity(window):
    window.show_tab("activity")
    return window.activity


def test_model_passes_qt_model_tester(qtmodeltester, window):
    qtmodeltester.check(window.activity.model)


def test_newest_first_with_the_full_event_data(window, seeded):
    view = show_activity(window)
    db = connect(seeded)
    newest = eventlog.head(db).seq
    db.conn.close()
    assert view.model.data(view.model.index(0, 0)) == str(newest)
    assert view.detail.toPlainText().startswith(f"Event {newest} · ")
    assert "hash:" in view.detail.toPlainText()


def test_a_decision_shows_up_in_the_log(qtbot, window):
    window.inbox._select_row(window.inbox.model.row_of(1))
    window.inbox.table.setFocus()
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: not window.inbox._worker.busy, timeout=5000)
    view = show_activity(window)
    assert view.model.data(view.model.index(0, 2)) == "item.approved"
    assert view.model.data(view.model.index(0, 5)) == "1"
    assert "by: " in view.detail.toPlainText() and "was: pending" in view.detail.toPlainText()


def test_filters_by_workflow_kind_date_and_text(qtbot, window, seeded):
    db = connect(seeded)
    eventlog.append(
        db,
        "item.rejected",
        workflow="review-reply",
        item_id=2,
        detail={"by": "rosa", "reason": "Too formal for our café"},
    )
    db.conn.close()
    view = show_activity(window)
    view.reload()
    view.kind_filter.setCurrentIndex(view.kind_filter.findData("item.rejected"))
    assert view.model.rowCount() == 1 and "Too formal" in view.detail.toPlainText()
    view.kind_filter.setCurrentIndex(0)
    view.workflow_filter.setCurrentIndex(view.workflow_filter.findData("meeting-actions"))
    shown = {view.model.data(view.model.index(r, 2)) for r in range(view.model.rowCount())}
    assert shown == {
        "item.created",
        "spec.changed",
    }  # its item, and its spec seen by the Workflows tab
    view.workflow_filter.setCurrentIndex(0)
    view.search.setText("formal for our")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=3000)
    view.search.clear()
    view.since.setDate(QDate.currentDate().addDays(1))
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=3000)
    assert view.detail.toPlainText() == "No events match."


def test_verify_passes_then_finds_a_changed_event(qtbot, window, seeded):
    view = show_activity(window)
    with qtbot.waitSignal(view.job.done, timeout=10000):
        view.verify_button.click()
    assert view.result.text().startswith("Verified: the log is intact")
    conn = sqlite3.connect(seeded)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET detail = '{\"forged\":true}' WHERE seq = 2")
    conn.commit()
    conn.close()
    with qtbot.waitSignal(view.job.done, timeout=10000):
        view.verify_button.click()
    assert view.result.text().startswith("The log was altered: event 2")


def test_export_with_the_save_dialog(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "activity.csv"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV (*.csv)")
    )
    view = show_activity(window)
    with qtbot.waitSignal(view.job.done, timeout=10000):
        view.export_button.click()
    assert view.progress.isHidden() and view.export_button.isEnabled()
    with open(target, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    kinds = [r["kind"] for r in rows]
    assert (
        kinds.count("item.created") == 4
        and kinds.count("spec.changed") == BUNDLED_WORKFLOWS
        and kinds[-1] == "log.head"
    )
    assert view.result.text() == f"Exported {4 + BUNDLED_WORKFLOWS} events to {target}"
    assert not target.with_name("activity.csv.part").exists()


def test_export_of_one_workflow_as_jsonl(qtbot, window, tmp_path):
    view = show_activity(window)
    view.workflow_filter.setCurrentIndex(view.workflow_filter.findData("meeting-actions"))
    target = tmp_path / "meetings.jsonl"
    with qtbot.waitSignal(view.job.done, timeout=10000):
        view.export_to(target, "jsonl")
    lines = target.read_text(encoding="utf-8").splitlines()
    assert all('"workflow":"meeting-actions"' in line for line in lines[:-1]) and len(lines) == 3
    assert '"kind":"log.head"' in lines[-1]
