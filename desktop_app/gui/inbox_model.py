"""The inbox as a lazy Qt model: ids paged in as the view scrolls, rows loaded in chunks.

Modelled on Anki's browser table (a list of ids and a row cache) and
qutebrowser's history completion (``canFetchMore``/``fetchMore``): opening an
inbox of a million items reads one page of ids, never all of them.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop_app.storage import store

PAGE = 200
CHUNK = 100
COLUMNS = ("", "Workflow", "Input", "Output / reason", "Created")
ESCALATED_BRUSH = QBrush(QColor("#b3261e"))
DECIDED_BRUSH = QBrush(QColor("#6b7380"))
MARKS = {"escalated": "!", "pending": "•", "approved": "✓", "rejected": "✗", "expired": "⌛"}

Index = QModelIndex | QPersistentModelIndex


class InboxModel(QAbstractTableModel):
    def __init__(self, db: sqlite_utils.Database, parent=None):
        super().__init__(parent)
        self._db = db
        self._query = store.ItemQuery()
        self._ids: list[int] = []
        self._rows: dict[int, dict[str, Any]] = {}
        self._group, self._last_id, self._exhausted = 0, None, False
        self._load_first_page()

    # --- filters and refresh ---

    @property
    def query(self) -> store.ItemQuery:
        return self._query

    def set_query(self, query: store.ItemQuery) -> None:
        self._query = query
        self.refresh()

    def refresh(self) -> None:
        """Reload from the database (after a decision or a run), keeping nothing stale."""
        self.beginResetModel()
        self._load_first_page()
        self.endResetModel()

    def _load_first_page(self) -> None:
        self._ids, self._rows = [], {}
        self._group, self._last_id, self._exhausted = 0, None, False
        self._ids.extend(self._next_ids(PAGE))

    def _next_ids(self, limit: int) -> list[int]:
        """The next ``limit`` ids: the current group by keyset (id < last seen), then the next group."""
        found: list[int] = []
        groups = len(self._query.groups())
        while len(found) < limit and not self._exhausted:
            want = limit - len(found)
            page = store.item_ids_page(self._db, self._query, self._group, self._last_id, want)
            found.extend(page)
            if page:
                self._last_id = page[-1]
            if len(page) < want:
                if self._group + 1 < groups:
                    self._group, self._last_id = self._group + 1, None
                else:
                    self._exhausted = True
        return found

    # --- Qt model API ---

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        more = self._next_ids(PAGE)
        if not more:
            return
        start = len(self._ids)
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self._ids.extend(more)
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._ids)):
            return None
        item = self._row(index.row())
        if item is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return item["reason"] if item["status"] == "escalated" else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if item["status"] == "escalated":
                return ESCALATED_BRUSH
            if item["status"] not in ("pending", "escalated"):
                return DECIDED_BRUSH
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 0:
            return item["status"]
        if role == Qt.ItemDataRole.UserRole:
            return item["id"]
        return None

    @staticmethod
    def _display(item: dict[str, Any], column: int) -> str:
        if column == 0:
            return MARKS.get(item["status"], "?")
        if column == 1:
            return item["workflow"]
        if column == 2:
            return item["input_name"]
        if column == 3:
            if item["status"] == "escalated" and item["reason"]:
                text = item["reason"]
            elif item["status"] == "rejected" and item.get("reject_reason"):
                text = f"Rejected: {item['reject_reason']}"
            else:
                text = item["output"] or ""
            return " ".join(text.split())[:200]
        if column == 4:
            return (item["created_at"] or "")[:16].replace("T", " ")
        return ""

    def _row(self, row: int) -> dict[str, Any] | None:
        item_id = self._ids[row]
        if item_id not in self._rows:
            start = (row // CHUNK) * CHUNK
            chunk = self._ids[start : start + CHUNK]
            if len(self._rows) > 20 * CHUNK:
                self._rows.clear()
            self._rows.update(store.item_summaries(self._db, chunk))
        return self._rows.get(item_id)

    # --- helpers for the view ---

    def item_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, item_id: int) -> int | None:
        try:
            return self._ids.index(item_id)
        except ValueError:
            return None
