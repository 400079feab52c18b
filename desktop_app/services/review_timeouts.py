"""Pending items that wait too long: reminders, then expiry (``[review]`` in a spec).

``remind_after``: one ``item.reminded`` event per item (the window notifies again).
``expire_after``: the item becomes ``expired`` with an ``item.expired`` event, in one
transaction; an expired item is never acted on and cannot be decided any more.
Ages count from the item's creation. Called by the schedule driver's tick, with its own
``now`` in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from desktop_app.core.durations import parse_duration
from desktop_app.core.spec_model import Spec
from desktop_app.core.stamps import stamp, utcnow
from desktop_app.core.states import OPEN_ITEM_STATES, ItemState, check_item_transition
from desktop_app.storage import eventlog, item_rows
from desktop_app.storage.db import transaction
from desktop_app.storage.engine import key_for, lock_for

if TYPE_CHECKING:
    import sqlite_utils


@dataclass
class Swept:
    reminded: dict[str, list[int]] = field(default_factory=dict)  # workflow -> item ids
    expired: dict[str, list[int]] = field(default_factory=dict)


def _limit(text: str) -> timedelta | None:
    try:
        return parse_duration(text) if text else None
    except ValueError:
        return None  # the spec checker reports it; a bad value never expires anything


def sweep(
    db: sqlite_utils.Database, specs: dict[str, Spec | None], now: datetime | None = None
) -> Swept:
    now = now or datetime.now(timezone.utc)
    swept = Swept()
    for name, spec in specs.items():
        if spec is None or spec.review is None:
            continue
        expire, remind = _limit(spec.review.expire_after), _limit(spec.review.remind_after)
        if expire is not None:
            cutoff = stamp(now - expire)
            ids = item_rows.open_item_ids_since(db, name, cutoff)
            for item_id in ids:
                if _expire(db, item_id, name, spec.review.expire_after):
                    swept.expired.setdefault(name, []).append(item_id)
        if remind is not None:
            cutoff = stamp(now - remind)
            with transaction(db):  # another computer of the team reminds of none of them again
                lock_for(db, key_for(f"remind:{name}"))
                ids = item_rows.open_item_ids_since(db, name, cutoff, unreminded=True)
                for item_id in ids:
                    eventlog.append(
                        db,
                        "item.reminded",
                        workflow=name,
                        item_id=item_id,
                        detail={"after": spec.review.remind_after},
                    )
            if ids:
                swept.reminded[name] = ids
    return swept


def _expire(db: sqlite_utils.Database, item_id: int, workflow: str, after: str) -> bool:
    with transaction(db):
        item = item_rows.get_item(db, item_id, for_update=True)
        if item["status"] not in OPEN_ITEM_STATES:
            return False  # decided meanwhile
        check_item_transition(item_id, item["status"], ItemState.EXPIRED)
        item_rows.update_item(db, item_id, status=ItemState.EXPIRED, decided_at=utcnow())
        eventlog.append(
            db,
            "item.expired",
            workflow=workflow,
            item_id=item_id,
            detail={"after": after, "was": item["status"]},
        )
    return True
