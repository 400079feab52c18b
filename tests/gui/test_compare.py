"""Compare models from the item's detail pane: both outputs and costs; kept only on request."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop_app.services import settings
from desktop_app.storage import item_rows
from desktop_app.storage.db import connect
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import responder


def pending(db_path) -> list[dict]:
    db = connect(db_path)
    try:
        return list(
            item_rows.iter_items(db, statuses=("pending",), workflow="review-reply", full=True)
        )
    finally:
        db.conn.close()


def test_compare_from_the_detail_pane_and_keep_the_other_output(qtbot, window, seeded, llm_server):
    settings.save(seeded.parent, settings.Settings(api_base=llm_server.url))
    llm_server.default = responder(answer_for)
    before = len(pending(seeded))
    inbox = window.inbox
    row = next(r for r in range(inbox.model.rowCount()) if inbox.model.index(r, 2).data() == "anna")
    inbox.table.selectRow(row)
    qtbot.mouseClick(inbox.findChild(QPushButton, "compareButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.compare_dialog is not None, timeout=5000)
    panel = window.compare_dialog
    assert panel.left.toPlainText() == "Dear Anna, thank you!"
    panel.model_edit.setText("openai/gpt-4o-mini")
    with qtbot.waitSignal(panel.job.done, timeout=30000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    other = panel.right.toPlainText()
    assert "Café Rosa" in other
    assert panel.right_label.text().startswith("Other model: openai/gpt-4o-mini · $")
    assert "passes its checks" in panel.right_label.text()
    assert len(pending(seeded)) == before  # nothing in the inbox until kept
    with qtbot.waitSignal(panel.kept, timeout=10000):
        qtbot.mouseClick(panel.keep_button, Qt.MouseButton.LeftButton)
    kept = [i for i in pending(seeded) if i["output"] == other]
    assert len(kept) == 1 and kept[0]["model"] == "openai/gpt-4o-mini"
    panel.close()
