"""A person's decision on an item: approve, edit then approve, or reject with a reason.

Each decision changes the item, adds a ``decisions`` row and writes its events in
one transaction, so the inbox and the activity log can never disagree.
"""

from __future__ import annotations

import difflib
import getpass
from typing import TYPE_CHECKING

from desktop_app.core import states
from desktop_app.core.errors import KnownError, StateError
from desktop_app.core.stamps import utcnow
from desktop_app.core.states import ItemState, check_item_transition, check_undo
from desktop_app.storage import actions as action_rows
from desktop_app.storage import decision_rows, eventlog, item_rows
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.storage.item_rows import Item


def default_decider() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _check(item: Item, new: ItemState) -> None:
    """``item`` may become ``new``; else one line, naming who decided it and when (with a
    shared inbox, it may have been someone else a moment ago)."""
    try:
        check_item_transition(item["id"], item["status"], new)
    except StateError as refused:
        if item["decided_by"] and item["decided_at"]:
            when = item["decided_at"][:19].replace("T", " ")
            raise StateError(f"{refused} (by {item['decided_by']}, {when} UTC)") from None
        raise


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
) -> Item:
    """Approve ``item_id``; with ``edited_text`` the edit becomes the output and its diff is kept."""
    by = by or default_decider()
    with transaction(db):
        item = item_rows.get_item(db, item_id, for_update=True)
        _check(item, ItemState.APPROVED)
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
        item_rows.update_item(db, item_id, **changes)
        decision_rows.insert_decision(
            db,
            item_id=item_id,
            decision="edit" if diff else "approve",
            by=by,
            at=now,
            diff=diff,
            was=item["status"],
        )
        eventlog.append(
            db,
            "item.approved",
            workflow=item["workflow"],
            run_id=item["run_id"],
            item_id=item_id,
            detail={"by": by, "edited": diff is not None, "was": item["status"]},
        )
    return item_rows.get_item(db, item_id)


def reject(db: sqlite_utils.Database, item_id: int, *, reason: str, by: str | None = None) -> Item:
    """Reject ``item_id``; a reason is required so the log says why."""
    reason = (reason or "").strip()
    if not reason:
        raise KnownError("a rejection needs a reason (--reason TEXT)")
    by = by or default_decider()
    with transaction(db):
        item = item_rows.get_item(db, item_id, for_update=True)
        _check(item, ItemState.REJECTED)
        now = utcnow()
        item_rows.update_item(
            db,
            item_id,
            status=ItemState.REJECTED.value,
            decided_at=now,
            decided_by=by,
            reject_reason=reason,
        )
        decision_rows.insert_decision(
            db, item_id=item_id, decision="reject", by=by, at=now, reason=reason, was=item["status"]
        )
        eventlog.append(
            db,
            "item.rejected",
            workflow=item["workflow"],
            run_id=item["run_id"],
            item_id=item_id,
            detail={"by": by, "reason": reason, "was": item["status"]},
        )
    return item_rows.get_item(db, item_id)


UNDO_WINDOW_S = states.UNDO_WINDOW_S  # read at call time by the window's action sweep


def undo(
    db: sqlite_utils.Database,
    item_id: int,
    *,
    by: str | None = None,
    within_s: float = UNDO_WINDOW_S,
) -> Item:
    """Take back the last decision on ``item_id`` within ``within_s`` seconds of it.

    The item returns to the state it had (pending or escalated) with the model's
    output; the decision stays in the log, followed by an ``item.undone`` event.
    Refused once an action has been carried out for the item.
    """
    from datetime import datetime, timezone

    by = by or default_decider()
    with transaction(db):
        item = item_rows.get_item(db, item_id, for_update=True)
        last = decision_rows.last_decision(db, item_id)
        if last is None or last[0] == "undo":
            raise KnownError(f"item {item_id} has no decision to undo")
        decision, at, was = last
        check_undo(item_id, item["status"], was or ItemState.PENDING.value)
        decided = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        age = (datetime.now(timezone.utc) - decided).total_seconds()
        if age > within_s:
            raise KnownError(
                f"item {item_id} was {item['status']} {int(age)} seconds ago: "
                f"a decision can be undone for {int(within_s)} seconds"
            )
        if action_rows.acted_on(db, item_id):
            raise KnownError(
                f"item {item_id} has already been acted on: its decision cannot be undone"
            )
        item_rows.update_item(
            db,
            item_id,
            status=was,
            output=item["original_output"],
            diff=None,
            decided_at=None,
            decided_by=None,
            reject_reason=None,
        )
        decision_rows.insert_decision(
            db, item_id=item_id, decision="undo", by=by, at=utcnow(), was=item["status"]
        )
        eventlog.append(
            db,
            "item.undone",
            workflow=item["workflow"],
            run_id=item["run_id"],
            item_id=item_id,
            detail={"by": by, "undid": decision, "back_to": was, "seconds_after": round(age, 1)},
        )
    return item_rows.get_item(db, item_id)


VERBS = ("approve", "reject", "undo")


def decide_many(
    db: sqlite_utils.Database,
    verb: str,
    ids: list[int],
    *,
    by: str | None = None,
    text: str | None = None,
) -> list[int]:
    """Approve (``text``: the edit), reject (``text``: the reason) or undo every item in
    ``ids``, all in one transaction: when one cannot be decided, none is."""
    if verb not in VERBS:
        raise ValueError(f"unknown decision {verb!r}")
    with transaction(db):
        for item_id in ids:
            if verb == "approve":
                approve(db, item_id, by=by, edited_text=text)
            elif verb == "reject":
                reject(db, item_id, reason=text or "", by=by)
            else:
                undo(db, item_id, by=by)
    return list(ids)
