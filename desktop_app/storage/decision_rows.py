"""Decisions (``decisions``): every approve, edit, reject and undo, as taken."""

from __future__ import annotations

from typing import Any, NamedTuple

from desktop_app.storage.db import DatabaseLike, new_id


class LastDecision(NamedTuple):
    decision: str
    at: str
    was: str | None  # the status the decision changed


def insert_decision(db: DatabaseLike, **row: Any) -> int:
    cols = ", ".join(row)
    cur = db.execute(
        f"INSERT INTO decisions ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    return new_id(cur)


def last_decision(db: DatabaseLike, item_id: int) -> LastDecision | None:
    """The item's newest decision, or None."""
    row = db.execute(
        "SELECT decision, at, was FROM decisions WHERE item_id = ? ORDER BY id DESC LIMIT 1",
        [item_id],
    ).fetchone()
    return LastDecision(row[0], row[1], row[2]) if row else None
