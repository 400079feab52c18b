"""The ``actions`` table: what happens to an approved item's output, exactly once.

The intent is recorded before acting and the result after (``services.actions`` acts);
a row left ``intended`` by a crash is settled on the next start.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from desktop_app.core.stamps import utcnow
from desktop_app.storage.engine import key_for, lock_for

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike


_SHOWN = (
    "kind",
    "target",
    "state",
    "attempts",
    "message",
    "idempotency_key",
    "updated_at",
    "claimed_by",
)


def action_for(db: DatabaseLike, item_id: int) -> dict[str, Any] | None:
    """What became of an approved item's action, or None."""
    row = db.execute(
        f"SELECT {', '.join(_SHOWN)} FROM actions WHERE item_id = ?", [item_id]
    ).fetchone()
    return dict(zip(_SHOWN, row)) if row else None


def left_intended(db: DatabaseLike) -> list[tuple[int, str]]:
    """(item id, workflow) of the actions a crash left between intent and result."""
    rows = db.execute(
        "SELECT item_id, workflow FROM actions WHERE state = 'intended' ORDER BY id"
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def due(
    db: DatabaseLike, *, settled_before: str, workflows: Collection[str]
) -> list[tuple[int, str]]:
    """Approved items of ``workflows`` decided before ``settled_before`` whose action has not
    been tried, or was left ``intended``; never items approved before actions existed in this
    database (migration 3)."""
    if not workflows:
        return []
    marks = ", ".join("?" * len(workflows))
    rows = db.execute(
        "SELECT i.id, i.workflow FROM items i LEFT JOIN actions a ON a.item_id = i.id "
        f"WHERE i.status = 'approved' AND i.workflow IN ({marks}) AND i.decided_at <= ? "
        "AND i.decided_at >= (SELECT applied_at FROM migrations WHERE id = 3) "
        "AND (a.id IS NULL OR a.state = 'intended') ORDER BY i.id",
        [*workflows, settled_before],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def record_intent(
    db: DatabaseLike,
    *,
    item_id: int,
    workflow: str,
    kind: str,
    target: str,
    payload_hash: str,
    idempotency_key: str,
    claimed_by: str = "",
) -> None:
    """Before acting: a new row, or (a retry, a recovery) one more attempt on the same row;
    ``claimed_by`` ("host:pid") says who holds it now."""
    now = utcnow()
    if action_for(db, item_id) is None:
        db.execute(
            "INSERT INTO actions (item_id, workflow, kind, target, payload_hash, "
            "idempotency_key, state, attempts, created_at, updated_at, claimed_by) "
            "VALUES (?, ?, ?, ?, ?, ?, 'intended', 1, ?, ?, ?)",
            [item_id, workflow, kind, target, payload_hash, idempotency_key, now, now, claimed_by],
        )
    else:
        db.execute(
            "UPDATE actions SET state = 'intended', attempts = attempts + 1, "
            "updated_at = ?, claimed_by = ? WHERE item_id = ?",
            [now, claimed_by, item_id],
        )


def lock(db: DatabaseLike, item_id: int) -> None:
    """Inside a transaction: one computer at a time decides about this item's action."""
    lock_for(db, key_for(f"action:{item_id}"))


def settle(db: DatabaseLike, item_id: int, state: str, target: str, message: str) -> None:
    """After acting: ``done`` or ``failed``, where, and what came of it."""
    db.execute(
        "UPDATE actions SET state = ?, target = ?, message = ?, updated_at = ? WHERE item_id = ?",
        [state, target, message, utcnow(), item_id],
    )


def acted_on(db: DatabaseLike, item_id: int) -> bool:
    """Whether an action was carried out for the item (its decision can no longer be undone)."""
    row = db.execute(
        "SELECT 1 FROM events WHERE item_id = ? AND kind = 'action.done' LIMIT 1", [item_id]
    ).fetchone()
    return row is not None
