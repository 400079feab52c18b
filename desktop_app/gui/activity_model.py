"""The activity log as a lazy Qt model, newest event first."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QBrush, QColor

from desktop_app.core.money import usd_or_unknown
from desktop_app.gui.lazy_model import LazyTableModel
from desktop_app.gui.qt_values import DISPLAY_ROLE, FOREGROUND_ROLE
from desktop_app.storage import eventlog

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from desktop_app.storage.db import DatabaseLike

NOTEWORTHY = {
    "item.escalated",
    "item.rejected",
    "model.error",
    "check.failed",
    "run.interrupted",
    "budget.blocked",
    "action.failed",
}
ATTENTION = QBrush(QColor("#b3261e"))


def summary(kind: str, detail_text: str) -> str:
    """One line about an event for the list; the detail pane shows everything."""
    try:
        detail = json.loads(detail_text)
    except ValueError:
        return detail_text[:200]
    if not isinstance(detail, dict):
        return detail_text[:200]
    if kind == "model.call":
        cost = detail.get("cost_usd")
        return (
            f"{detail.get('model')} · {detail.get('tokens_in')}/{detail.get('tokens_out')} tokens · "
            f"{usd_or_unknown(cost, 'cost unknown')} · {detail.get('latency_ms')} ms"
        )
    if kind == "spec.changed":
        new = str(detail.get("to") or "")[:8]
        return (
            f"changed {str(detail['from'])[:8]} → {new}"
            if detail.get("from")
            else f"first version {new}"
        )
    for key in ("reason", "error", "message", "by"):
        if detail.get(key):
            text = str(detail[key])
            if key == "by" and kind.startswith("item."):
                text = f"by {text}"
            return " ".join(text.split())[:200]
    keys = ", ".join(
        f"{k}: {v}" for k, v in list(detail.items())[:4] if not isinstance(v, (dict, list))
    )
    return keys[:200]


class ActivityModel(LazyTableModel):
    COLUMNS = ("#", "Time (UTC)", "Event", "Workflow", "Run", "Item", "Summary")
    ROLES = frozenset({DISPLAY_ROLE, FOREGROUND_ROLE})

    def __init__(self, db: DatabaseLike, parent: QObject | None = None):
        super().__init__(db, eventlog.EventQuery(), parent)

    @staticmethod
    def page_of(
        db: DatabaseLike, query: eventlog.EventQuery, after: Any, limit: int
    ) -> tuple[list[int], Any]:
        seqs = eventlog.event_seqs_page(db, query, after, limit)
        return seqs, (seqs[-1] if seqs else after)

    def _fetch_rows(self, keys: list[int]) -> dict[int, Any]:
        return eventlog.events_by_seq(self._db, keys)

    def _cell(self, event: eventlog.Event, column: int, role: int) -> Any:
        if role == DISPLAY_ROLE:
            values = (
                str(event.seq),
                event.ts[:19].replace("T", " "),
                event.kind,
                event.workflow or "",
                "" if event.run_id is None else str(event.run_id),
                "" if event.item_id is None else str(event.item_id),
                summary(event.kind, event.detail),
            )
            return values[column]
        if role == FOREGROUND_ROLE and event.kind in NOTEWORTHY:
            return ATTENTION
        return None

    def event_at(self, row: int) -> eventlog.Event | None:
        """The event in ``row`` (not named ``event``: that is QObject's event handler, which
        Qt calls with every QEvent sent to the model)."""
        return self.row_data(row) if 0 <= row < self.rowCount() else None
