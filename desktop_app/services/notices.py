"""What to tell the owner while they do something else: new items, escalations, budget
blocks, reminders, expiries and failed actions, grouped per workflow ("3 new items to review
in support-digest"). Plain data; the window shows them in the tray or in its banner.

Quiet hours hold back pop-ups (the banner still collects them); a muted workflow says
nothing at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.states import ItemState

if TYPE_CHECKING:
    from desktop_app.services.review_timeouts import Swept

_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Notice:
    kind: str  # new_items | escalated | budget | reminder | expired | action_failed | schedule_failed | drift
    workflow: str
    title: str
    text: str
    item_id: int | None = None  # the item a click opens (the first of a group)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def from_runs(workflow: str, summaries: list, statuses: Mapping[int, str]) -> list[Notice]:
    """Notices for runs that just finished; ``statuses``: item id -> pending | escalated."""
    notices = []
    ids = [i for s in summaries for i in s.item_ids]
    pending = [i for i in ids if statuses.get(i) == ItemState.PENDING]
    escalated = [i for i in ids if statuses.get(i) == ItemState.ESCALATED]
    if pending:
        notices.append(
            Notice(
                "new_items",
                workflow,
                _plural(len(pending), "new item to review", "new items to review"),
                f"{workflow}: {_plural(len(pending), 'output waits', 'outputs wait')} "
                "for your decision",
                pending[0],
            )
        )
    if escalated:
        notices.append(
            Notice(
                "escalated",
                workflow,
                _plural(len(escalated), "item needs attention", "items need attention"),
                f"{workflow}: escalated, with the reason in the inbox",
                escalated[0],
            )
        )
    for summary in summaries:
        if summary.blocked:
            notices.append(Notice("budget", workflow, "Budget cap reached", summary.blocked))
    return notices


def from_sweep(swept: Swept) -> list[Notice]:
    notices = []
    for workflow, ids in swept.reminded.items():
        notices.append(
            Notice(
                "reminder",
                workflow,
                _plural(len(ids), "item still waits", "items still wait"),
                f"{workflow}: waiting for a decision for a while",
                ids[0],
            )
        )
    for workflow, ids in swept.expired.items():
        notices.append(
            Notice(
                "expired",
                workflow,
                _plural(len(ids), "item expired", "items expired"),
                f"{workflow}: not decided in time; expired items are never acted on",
                ids[0],
            )
        )
    return notices


def from_actions(results: list) -> list[Notice]:
    """Failed actions, one notice each (they need a person: retry from the inbox)."""
    return [
        Notice(
            "action_failed",
            r.workflow,
            f"The {r.kind} action of item {r.item_id} failed",
            r.message,
            r.item_id,
        )
        for r in results
        if r.state == "failed"
    ]


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """``"22:00-07:00"`` -> (22:00, 07:00); a span may cross midnight."""
    match = _QUIET.match(text or "")
    if not match:
        raise KnownError(f"quiet hours '{text}' should look like 22:00-07:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise KnownError(f"quiet hours '{text}' is not a time span of this day")
    return time(h1, m1), time(h2, m2)


def is_quiet(now: datetime, quiet_hours: str) -> bool:
    """Whether ``now`` (local time) falls in the quiet hours; empty = never quiet."""
    if not quiet_hours:
        return False
    try:
        start, end = parse_quiet_hours(quiet_hours)
    except KnownError:
        return False
    t = now.time().replace(second=0, microsecond=0)
    if start <= end:
        return start <= t < end
    return t >= start or t < end  # across midnight


def audible(notices: list[Notice], muted: tuple[str, ...] | set[str]) -> list[Notice]:
    return [n for n in notices if n.workflow not in muted]


def from_drift(workflow: str, found: list[dict]) -> list[Notice]:
    """A notice for each sign of drift a workflow shows (``overview``'s ``drift``)."""
    return [Notice("drift", workflow, f"{workflow} has got worse", d["message"]) for d in found]
