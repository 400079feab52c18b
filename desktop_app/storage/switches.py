"""The ``workflow_state`` table: whether a workflow's schedule is on, and its last slot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.core.stamps import utcnow
from desktop_app.storage.engine import key_for, lock_for

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike


def set_enabled(db: DatabaseLike, workflow: str, spec_hash: str, profile_id: int) -> None:
    """On, from now, for this spec version and profile; the last slot starts over."""
    now = utcnow()
    db.execute(
        "INSERT INTO workflow_state (workflow, enabled, enabled_at, spec_hash, profile_id, "
        "last_slot, updated_at) VALUES (?, 1, ?, ?, ?, NULL, ?) "
        "ON CONFLICT (workflow) DO UPDATE SET enabled = 1, enabled_at = excluded.enabled_at, "
        "spec_hash = excluded.spec_hash, profile_id = excluded.profile_id, "
        "last_slot = NULL, updated_at = excluded.updated_at",
        [workflow, now, spec_hash, profile_id, now],
    )


def set_disabled(db: DatabaseLike, workflow: str) -> bool:
    """Off; False when it was not on. Call inside a transaction."""
    row = db.execute("SELECT enabled FROM workflow_state WHERE workflow = ?", [workflow]).fetchone()
    if not row or not row[0]:
        return False
    db.execute(
        "UPDATE workflow_state SET enabled = 0, updated_at = ? WHERE workflow = ?",
        [utcnow(), workflow],
    )
    return True


def claim_slot(db: DatabaseLike, workflow: str, slot: str) -> bool:
    """Inside a transaction: record ``slot`` as handled, unless this slot (or a later one)
    already is — by another computer of the team a moment ago. True: the slot is ours."""
    lock_for(db, key_for(f"slot:{workflow}"))
    row = db.execute("SELECT last_slot FROM workflow_state WHERE workflow = ?", [workflow])
    recorded = row.fetchone()
    if recorded is not None and recorded[0] is not None and recorded[0] >= slot:
        return False
    set_last_slot(db, workflow, slot)
    return True


def set_last_slot(db: DatabaseLike, workflow: str, slot: str) -> None:
    db.execute(
        "UPDATE workflow_state SET last_slot = ?, updated_at = ? WHERE workflow = ?",
        [slot, utcnow(), workflow],
    )


def states(db: DatabaseLike) -> dict[str, dict[str, Any]]:
    """Each workflow's row: enabled, enabled_at, spec_hash, profile_id, last_slot."""
    rows = db.execute(
        "SELECT workflow, enabled, enabled_at, spec_hash, profile_id, last_slot FROM workflow_state"
    ).fetchall()
    return {
        r[0]: {
            "enabled": bool(r[1]),
            "enabled_at": r[2],
            "spec_hash": r[3],
            "profile_id": r[4],
            "last_slot": r[5],
        }
        for r in rows
    }
