"""The inbox as a lazy Qt model: escalated items first, then the rest, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QColor

from desktop_app.core.states import OPEN_ITEM_STATES, ItemState
from desktop_app.core.visible import reveal
from desktop_app.gui.lazy_model import LazyTableModel
from desktop_app.gui.qt_values import (
    ACCESSIBLE_TEXT_ROLE,
    DISPLAY_ROLE,
    FOREGROUND_ROLE,
    TOOLTIP_ROLE,
    USER_ROLE,
)
from desktop_app.storage import item_pages, item_rows

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from desktop_app.storage.db import DatabaseLike

# Colours rather than brushes: the view takes either, and QBrush would load QGradient at start.
ESCALATED_COLOR = QColor("#b3261e")
DECIDED_COLOR = QColor("#6b7380")
MARKS = {"escalated": "!", "pending": "•", "approved": "✓", "rejected": "✗", "expired": "⌛"}


class InboxModel(LazyTableModel):
    COLUMNS = ("", "Workflow", "Input", "Output / reason", "Created")
    ROLES = frozenset(
        {DISPLAY_ROLE, TOOLTIP_ROLE, FOREGROUND_ROLE, ACCESSIBLE_TEXT_ROLE, USER_ROLE}
    )

    def __init__(self, db: DatabaseLike, parent: QObject | None = None):
        super().__init__(db, item_pages.ItemQuery(), parent)

    @staticmethod
    def page_of(
        db: DatabaseLike, query: item_pages.ItemQuery, after: Any, limit: int
    ) -> tuple[list[int], Any]:
        return item_pages.item_page(db, query, after, limit)

    def _fetch_rows(self, keys: list[int]) -> dict[int, Any]:
        return item_rows.item_summaries(self._db, keys)

    def _cell(self, item: dict[str, Any], column: int, role: int) -> Any:
        if role == DISPLAY_ROLE:
            return self._display(item, column)
        if role == TOOLTIP_ROLE and column == 3:
            return item["reason"] if item["status"] == ItemState.ESCALATED else None
        if role == FOREGROUND_ROLE:
            if item["status"] == ItemState.ESCALATED:
                return ESCALATED_COLOR
            if item["status"] not in OPEN_ITEM_STATES:
                return DECIDED_COLOR
        if role == ACCESSIBLE_TEXT_ROLE and column == 0:
            return item["status"]
        if role == USER_ROLE:
            return item["id"]
        return None

    @staticmethod
    def _display(item: dict[str, Any], column: int) -> str:
        if column == 0:
            return MARKS.get(item["status"], "?")
        if column == 1:
            return item["workflow"]
        if column == 2:
            return reveal(item["input_name"])
        if column == 3:
            if item["status"] == ItemState.ESCALATED and item["reason"]:
                text = item["reason"]
            elif item["status"] == ItemState.REJECTED and item.get("reject_reason"):
                text = f"Rejected: {item['reject_reason']}"
            else:
                text = item["output"] or ""
            return reveal(" ".join(text.split()))[:200]
        if column == 4:
            return (item["created_at"] or "")[5:16].replace("T", " ")
        return ""

    def item_id(self, row: int) -> int | None:
        return self.key(row)
