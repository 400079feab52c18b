"""Actions from the window: carried out once the undo window has passed; a failure can be retried."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop_app.services import decisions
from desktop_app.storage import actions as action_rows
from desktop_app.storage.db import connect


def action_of(db_path, item_id):
    db = connect(db_path)
    try:
        return action_rows.action_for(db, item_id)
    finally:
        db.conn.close()


def show_approved(window, item_id):
    view = window.inbox
    view.status_filter.setCurrentIndex(view.status_filter.findText("All"))
    view._select_row(view.model.row_of(item_id))


def test_an_approved_items_file_is_written_once_and_a_failure_is_retried(
    qtbot, window, seeded, monkeypatch
):
    monkeypatch.setattr(decisions, "UNDO_WINDOW_S", 0)  # no waiting a minute in a test
    target = seeded.parent / "replies" / "review-reply"
    target.parent.mkdir(parents=True)
    target.write_text("a file where the folder should be")  # so the first write fails
    view = window.inbox
    for item_id in (1, 2):  # anna, tom
        view._select_row(view.model.row_of(item_id))
        view.table.setFocus()
        with qtbot.waitSignal(view.decided, timeout=5000):
            qtbot.keyClick(view.table, Qt.Key.Key_A)
    with qtbot.waitSignal(window.schedules.acted, timeout=30000) as acted:
        window.schedules.tick()
    states = {r.item_id: r.state for r in acted.args[0]}
    assert states == {1: "failed", 2: "failed"}
    assert window.banner.isVisible() and "action of item 1 failed" in window.banner.text.text()
    assert "(+1 more)" in window.banner.text.text()

    show_approved(window, 2)
    assert view.retry_action_button.isVisible()
    assert "failed after 1 attempt(s)" in view.action_label.text()
    target.unlink()
    with qtbot.waitSignal(window._action_job.done, timeout=10000):
        qtbot.mouseClick(
            view.findChild(QPushButton, "retryActionButton"), Qt.MouseButton.LeftButton
        )
    assert action_of(seeded, 2)["state"] == "done" and action_of(seeded, 2)["attempts"] == 2
    assert (target / "tom.txt").read_text() == "Dear Tom, thanks for the feedback."
    qtbot.waitUntil(lambda: not view.retry_action_button.isVisible(), timeout=5000)
    assert not (target / "anna.txt").exists()  # item 1 waits for its own retry
    # a later tick does nothing again
    acted_again: list = []
    window.schedules.acted.connect(acted_again.append)
    with qtbot.waitSignal(window.schedules.job.done, timeout=10000):  # the tick ran to its end
        window.schedules.tick()
    assert not acted_again
    window.schedules.stop()
