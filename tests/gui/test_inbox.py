"""The inbox driven as a person does: keys and clicks, then the database is checked."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QPushButton

from desktop_app.storage import item_rows, model_calls
from desktop_app.storage.db import connect
from tests.gui.conftest import add_items


def item(db_path, item_id):
    db = connect(db_path)
    try:
        return item_rows.get_item(db, item_id)
    finally:
        db.conn.close()


def settle(qtbot, window):
    qtbot.waitUntil(lambda: not window.inbox._worker.busy, timeout=5000)


def shows_counts(qtbot, window, *parts):
    """The status bar's figures are worked out off the UI thread: wait for them."""
    qtbot.waitUntil(lambda: all(p in window.counts.text() for p in parts), timeout=5000)


def current_id(window):
    return window.inbox._current["id"] if window.inbox._current else None


def select(window, item_id):
    view = window.inbox
    view._select_row(view.model.row_of(item_id))
    view.table.setFocus()


def select_several(window, *item_ids):
    view = window.inbox
    selection = view.table.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for item_id in item_ids:
        selection.select(view.model.index(view.model.row_of(item_id), 0), flags)
    view.table.setFocus()


def test_model_passes_qt_model_tester(qtmodeltester, window):
    qtmodeltester.check(window.inbox.model)


def test_escalated_first_with_reason_in_plain_words(qtbot, window):
    view = window.inbox
    assert view.model.rowCount() == 4
    assert view.model.data(view.model.index(0, 0)) == "!"
    assert current_id(window) == 3 and view.reason.isVisible()
    assert "Customer mentions legal action" in view.reason.text()
    shows_counts(qtbot, window, "1 escalated", "3 pending")


def test_approve_by_key_selects_the_next_item(qtbot, window, seeded):
    select(window, 2)
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_A)
    settle(qtbot, window)
    assert item(seeded, 2)["status"] == "approved"
    assert window.inbox.model.row_of(2) is None
    assert current_id(window) is not None and current_id(window) != 2
    shows_counts(qtbot, window, "2 pending")


def test_approve_by_button(qtbot, window, seeded):
    select(window, 1)
    qtbot.mouseClick(window.findChild(QPushButton, "approveButton"), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert item(seeded, 1)["status"] == "approved"


def test_edit_shows_the_diff_then_ctrl_enter_approves(qtbot, window, seeded):
    select(window, 1)
    view = window.inbox
    qtbot.keyClick(view.table, Qt.Key.Key_E)
    assert not view.editor.isReadOnly() and view.diff_box.isVisible()
    view.editor.selectAll()
    qtbot.keyClicks(view.editor, "Dear Anna, thank you so much!")
    assert "+Dear Anna, thank you so much!" in view.diff_box.toPlainText()
    assert "-Dear Anna, thank you!" in view.diff_box.toPlainText()
    qtbot.keyClick(view.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    saved = item(seeded, 1)
    assert saved["status"] == "approved" and saved["output"] == "Dear Anna, thank you so much!"
    assert (
        saved["original_output"] == "Dear Anna, thank you!"
        and "+Dear Anna, thank you so much!" in saved["diff"]
    )


def test_escape_cancels_an_edit(qtbot, window, seeded):
    select(window, 1)
    view = window.inbox
    qtbot.keyClick(view.table, Qt.Key.Key_E)
    qtbot.keyClicks(view.editor, " extra")
    qtbot.keyClick(view.editor, Qt.Key.Key_Escape)
    assert view.editor.isReadOnly() and view.editor.toPlainText() == "Dear Anna, thank you!"
    assert item(seeded, 1)["status"] == "pending"


def test_reject_requires_a_reason(qtbot, window, seeded):
    select(window, 3)
    view = window.inbox
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    assert view.reject_reason.isVisible()
    qtbot.keyClick(view.reject_reason, Qt.Key.Key_Return)
    assert "reason is required" in view.error.text()
    assert item(seeded, 3)["status"] == "escalated"
    qtbot.keyClicks(view.reject_reason, "Owner will call the customer")
    qtbot.keyClick(view.reject_reason, Qt.Key.Key_Return)
    settle(qtbot, window)
    rejected = item(seeded, 3)
    assert (
        rejected["status"] == "rejected"
        and rejected["reject_reason"] == "Owner will call the customer"
    )


def test_batch_approve_of_several_selected(qtbot, window, seeded):
    select_several(window, 1, 2, 4)
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_A)
    settle(qtbot, window)
    assert [item(seeded, i)["status"] for i in (1, 2, 3, 4)] == [
        "approved",
        "approved",
        "escalated",
        "approved",
    ]


def test_a_batch_that_fails_halfway_decides_none_of_them(qtbot, window, seeded):
    """Item 4 is rejected from the command line while the window still lists it: approving
    1, 2 and 4 together is refused as a whole, and says why."""
    from desktop_app.services import decisions

    other = connect(seeded)
    try:
        decisions.reject(other, 4, reason="Handled by phone", by="cli")
    finally:
        other.conn.close()
    select_several(window, 1, 2, 4)
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_A)
    settle(qtbot, window)
    assert [item(seeded, i)["status"] for i in (1, 2, 4)] == ["pending", "pending", "rejected"]
    qtbot.waitUntil(lambda: "item 4" in window.inbox.error.text(), timeout=5000)


def test_j_and_k_move_through_the_list(qtbot, window):
    view = window.inbox
    view.table.setFocus()
    first = current_id(window)
    qtbot.keyClick(view.table, Qt.Key.Key_J)
    second = current_id(window)
    assert second != first
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    assert current_id(window) == first


def test_filters_by_status_workflow_and_text(qtbot, window, seeded):
    view = window.inbox
    view.status_filter.setCurrentIndex(1)  # Escalated
    assert view.model.rowCount() == 1
    view.status_filter.setCurrentIndex(6)  # All
    view.workflow_filter.setCurrentIndex(view.workflow_filter.findData("meeting-actions"))
    assert view.model.rowCount() == 1 and current_id(window) == 4
    view.workflow_filter.setCurrentIndex(0)
    view.search.setText("feedback")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=3000)
    assert current_id(window) == 2


def test_html_in_an_output_is_shown_literally(qtbot, window, seeded):
    db = connect(seeded)
    (item_id,) = add_items(
        db,
        "review-reply",
        [("html", "<b>html</b><script>alert(1)</script>", "pending", "<i>x</i>")],
    )
    db.conn.close()
    view = window.inbox
    view.reload()
    select(window, item_id)
    assert view.editor.toPlainText() == "<b>html</b><script>alert(1)</script>"
    assert (
        view.model.data(view.model.index(view.model.row_of(item_id), 3))
        == "<b>html</b><script>alert(1)</script>"
    )
    for label in (view.title, view.reason, view.meta, view.checks):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_a_stale_item_gives_a_clear_error_not_a_crash(qtbot, window, seeded):
    from desktop_app.services import decisions

    select(window, 1)
    db = connect(seeded)
    decisions.approve(db, 1, by="someone else")
    db.conn.close()
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_A)
    settle(qtbot, window)
    assert "already approved" in window.inbox.error.text()


def test_a_big_inbox_loads_lazily(qtbot, qtmodeltester, db_path):
    from desktop_app.gui.inbox_model import InboxModel
    from desktop_app.gui.lazy_model import PAGE

    db = connect(db_path)
    add_items(
        db,
        "bulk",
        [
            (f"n{i}", f"out {i}", "escalated" if i % 10 == 0 else "pending", "r")
            for i in range(1000)
        ],
    )
    model = InboxModel(db)
    assert model.rowCount() == PAGE and model.canFetchMore()
    first_ids = [model.item_id(r) for r in range(PAGE)]
    assert all(
        model.data(model.index(r, 0)) == "!" for r in range(100)
    )  # the 100 escalated come first
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 1000 and len({model.item_id(r) for r in range(1000)}) == 1000
    assert [model.item_id(r) for r in range(PAGE)] == first_ids
    qtmodeltester.check(model)
    db.conn.close()


def test_checks_and_meta_are_shown(window):
    view = window.inbox
    assert "✓ max_chars" in view.checks.text()
    assert "openai/gpt-4o-mini" in view.meta.text() and "$0.0002" in view.meta.text()


def test_status_bar_shows_small_spend_precisely(qtbot, window, seeded):
    db = connect(seeded)
    model_calls.record_model_call(
        db, run_id=1, workflow="review-reply", model="m", attempt=1, ok=1, cost_usd=0.0031
    )
    db.conn.close()
    window.update_counts()
    shows_counts(qtbot, window, "$0.0031")
    assert window.counts.text() == "3 pending · 1 escalated · $0.0031 spent this month"
    from desktop_app.services import settings

    settings.save(seeded.parent, settings.Settings(monthly_budget_usd=0.003))
    window.update_counts()
    shows_counts(qtbot, window, "$0.0031 spent this month of $0.0030 (cap reached)")


def test_undo_the_last_decision_with_ctrl_z(qtbot, window, seeded):
    view = window.inbox
    assert view.undo_button.isHidden()
    select(window, 3)
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    qtbot.keyClicks(view.reject_reason, "Owner handles it")
    qtbot.keyClick(view.reject_reason, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert item(seeded, 3)["status"] == "rejected" and not view.undo_button.isHidden()
    qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    back = item(seeded, 3)
    assert back["status"] == "escalated" and back["reject_reason"] is None
    assert current_id(window) == 3 and view.undo_button.isHidden()
    shows_counts(qtbot, window, "1 escalated")


def test_counts_asked_again_during_a_refresh_show_the_latest(qtbot, window, seeded):
    shows_counts(qtbot, window, "3 pending")
    window.update_counts()  # under way on its thread...
    db = connect(seeded)
    db.execute("UPDATE items SET status = 'approved' WHERE status = 'pending'")
    db.conn.close()
    window.update_counts()  # ...so this one is asked again once it is done
    shows_counts(qtbot, window, "0 pending")
    qtbot.waitUntil(lambda: not window._counts_job.running, timeout=5000)


def test_list_keys_with_a_modifier_decide_nothing(qtbot, window, seeded):
    select(window, 2)
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.inbox.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert item(seeded, 2)["status"] == "pending"
    assert window.inbox._mode == "browse" and current_id(window) == 2


def test_a_rejected_item_is_kept_as_an_example_from_the_detail_pane(
    qtbot, window, seeded, workflows_dir
):
    import json

    select(window, 3)
    view = window.inbox
    assert not view.example_button.isVisible()  # awaiting a decision: nothing to learn yet
    qtbot.keyClick(view.table, Qt.Key.Key_R)
    qtbot.keyClicks(view.reject_reason, "Owner will call the customer")
    qtbot.keyClick(view.reject_reason, Qt.Key.Key_Return)
    settle(qtbot, window)
    view.status_filter.setCurrentIndex(view.status_filter.findText("Rejected"))
    qtbot.waitUntil(lambda: current_id(window) == 3, timeout=5000)
    assert view.example_button.isVisible()
    view.example_button.click()
    kept = workflows_dir / "review-reply" / "examples" / "item-3.json"
    qtbot.waitUntil(kept.exists, timeout=5000)
    example = json.loads(kept.read_text(encoding="utf-8"))
    assert example["verdict"] == "rejected" and example["reason"] == "Owner will call the customer"
    qtbot.waitUntil(lambda: "Kept item 3 as an example" in window.statusBar().currentMessage())


def test_a_hidden_character_is_shown_not_obeyed_in_the_detail_pane(qtbot, window, seeded):
    db = connect(seeded)
    (item_id,) = add_items(db, "review-reply", [("rtl", "override \u202ehere", "pending", None)])
    db.conn.close()
    view = window.inbox
    view.reload_keeping_selection()
    select(window, item_id)
    assert view.editor.toPlainText() == "override ⟨U+202E⟩here"  # not "ereh edirrevo"
    row = view.model.row_of(item_id)
    assert view.model.data(view.model.index(row, 3)) == "override ⟨U+202E⟩here"


def test_a_decision_carries_the_name_saved_in_settings(qtbot, window, seeded):
    """Settings → *Your name* (``settings --name``): the name this computer's decisions
    carry; empty, the login name (issue 26)."""
    from desktop_app.services.decisions import default_decider

    select(window, 1)
    qtbot.mouseClick(window.findChild(QPushButton, "approveButton"), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert item(seeded, 1)["decided_by"] == default_decider()
    window.show_tab("settings")
    view = window.settings
    assert view.name_edit.placeholderText() == default_decider()
    view.name_edit.setText("Anna at the counter")
    qtbot.mouseClick(view.save_away_button, Qt.MouseButton.LeftButton)
    assert "decisions by Anna at the counter" in view.away_status.text()
    window.show_tab("inbox")
    select(window, 2)
    qtbot.mouseClick(window.findChild(QPushButton, "approveButton"), Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert item(seeded, 2)["decided_by"] == "Anna at the counter"
