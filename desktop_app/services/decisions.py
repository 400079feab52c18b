"""A person's decision on an item: approve, edit then approve, or reject with a reason.

Each decision changes the item, adds a ``decisions`` row and writes its events in
one transaction, so the inbox and the activity log can never disagree.
"""

from __future__ import annotations

import difflib
import getpass

import sqlite_utils

from desktop_app.core.errors import KnownError
from desktop_app.core.states import ItemState, check_item_transition
from desktop_app.storage import eventlog, store
from desktop_app.storage.db import transaction, utcnow


def default_decider() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def unified_diff(before: str, after: str, *, item_id: int) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"item {item_id} (model output)",
        tofile=f"item {item_id} (edited)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def approve(
    db: sqlite_utils.Database,
    item_id: int,
    *,
    by: str | None = None,
    edited_text: str | None = None,
) -> dict:
    """Approve ``item_id``; with ``edited_text`` the edit becomes the output and its diff is kept."""
    by = by or default_decider()
    with transaction(db):
        item = store.get_item(db, item_id)
        check_item_transition(item_id, item["status"], ItemState.APPROVED)
        if not (edited_text if edited_text is not None else item["output"]).strip():
            raise KnownError(
                f"item {item_id} has no output to approve (the model gave none): "
                "approve it with your own text (--edit-file FILE) or reject it"
            )
        now = utcnow()
        changes: dict = {"status": ItemState.APPROVED.value, "decided_at": now, "decided_by": by}
        diff = None
        if edited_text is not None and edited_text != item["output"]:
            diff = unified_diff(item["original_output"], edited_text, item_id=item_id)
            changes.update(output=edited_text, diff=diff)
            eventlog.append(
                db,
                "item.edited",
                workflow=item["workflow"],
                run_id=item["run_id"],
                item_id=item_id,
                detail={
                    "by": by,
                    "diff": diff,
                    "chars_before": len(item["original_output"]),
                    "chars_after": len(edited_text),
                },
            )
        store.update_item(db, item_id, **changes)
        store.insert_decision(
            db, item_id=item_id, decision="edit" if diff else "approve", by=by, at=now, diff=diff
        )
        eventlog.append(
            db,
            "item.approved",
            workflow=item["workflow"],
            run_id=item["run_id"],
            item_id=item_id,
            detail={"by": by, "edited": diff is not None, "was": item["status"]},
        )
    return store.get_item(db, item_id)


def reject(db: sqlite_utils.Database, item_id: int, *, reason: str, by: str | None = None) -> dict:
    """Reject ``item_id``; a reason is required so the log says why."""
    reason = (reason or "").strip()
    if not reason:
        raise KnownError("a rejection needs a reason (--reason TEXT)")
    by = by or default_decider()
    with transaction(db):
        item = store.get_item(db, item_id)
        check_item_transition(item_id, item["status"], ItemState.REJECTED)
        now = utcnow()
        store.update_item(
            db,
            item_id,
            status=ItemState.REJECTED.value,
            decided_at=now,
            decided_by=by,
            reject_reason=reason,
        )
        store.insert_decision(db, item_id=item_id, decision="reject", by=by, at=now, reason=reason)
        eventlog.append(
            db,
            "item.rejected",
            workflow=item["workflow"],
            run_id=item["run_id"],
            item_id=item_id,
            detail={"by": by, "reason": reason, "was": item["status"]},
        )
    return store.get_item(db, item_id)
