"""A workflow's scorecard: what became of its items, week by week, and what it cost.

Weeks start on Monday (UTC). An item counts in the week it was made, and so does what
became of it (a cohort: "of the items made that week, 80 % were approved as they were"),
so a week's figures settle as its items are decided.

- ``approved``: approved as the model wrote them; ``edited``: approved after an edit;
  ``rejected``, ``expired``, ``open`` (pending or escalated now); ``escalated``: made
  escalated (needing attention), whatever became of them. Rates are of the items made.
- Edit size: characters changed from the model's output to the approved text, counted on
  a diff of their words (``difflib``): each inserted, deleted or replaced run of words
  counts the characters of its longer side. Median and 90th percentile (nearest rank)
  over the edited items.
- Time to decision: from the item's making to a person's approval or rejection (expired
  items are not decisions), median, in minutes.
- Cost: the spend of the workflow's runs (model calls made for items; profiles, tests and
  comparisons are not outputs) in the week. Per run: that spend over the runs started in
  the week; per approved output: over the items approved, edited or not. Unknown when a
  call's price is unknown, never $0.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from desktop_app.core.states import DECIDED_ITEM_STATES, OPEN_ITEM_STATES, ItemState
from desktop_app.storage import outcomes

if TYPE_CHECKING:
    from collections.abc import Callable

    from desktop_app.storage.db import DatabaseLike


@dataclass
class Period:
    """One week's figures (or the whole period's, in ``Scorecard.total``)."""

    start: str  # the Monday, YYYY-MM-DD (the period's first day for the total)
    made: int = 0
    approved: int = 0
    edited: int = 0
    rejected: int = 0
    expired: int = 0
    open: int = 0
    escalated: int = 0
    edit_chars_median: float | None = None
    edit_chars_p90: int | None = None
    decision_minutes_median: float | None = None
    runs: int = 0
    cost_usd: float | None = 0.0
    edit_sizes: list[int] = field(default_factory=list, repr=False)
    decision_minutes: list[float] = field(default_factory=list, repr=False)

    def rate(self, count: int) -> float | None:
        return None if not self.made else count / self.made

    @property
    def cost_per_run(self) -> float | None:
        return None if self.cost_usd is None or not self.runs else self.cost_usd / self.runs

    @property
    def cost_per_approved(self) -> float | None:
        approved = self.approved + self.edited
        return None if self.cost_usd is None or not approved else self.cost_usd / approved

    def settle(self) -> None:
        """The medians and percentiles, from the sizes and times gathered."""
        if self.edit_sizes:
            self.edit_chars_median = statistics.median(self.edit_sizes)
            self.edit_chars_p90 = nearest_rank(self.edit_sizes, 0.9)
        if self.decision_minutes:
            self.decision_minutes_median = statistics.median(self.decision_minutes)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["edit_sizes"], out["decision_minutes"]
        for name in ("approved", "edited", "rejected", "expired", "open", "escalated"):
            out[f"{name}_rate"] = self.rate(getattr(self, name))
        out["cost_per_run_usd"] = self.cost_per_run
        out["cost_per_approved_usd"] = self.cost_per_approved
        return out


@dataclass
class Scorecard:
    workflow: str
    since: str
    until: str
    weeks: list[Period]
    total: Period
    rejection_reasons: list[tuple[str, int]]  # most frequent first

    def as_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "since": self.since,
            "until": self.until,
            "weeks": [w.as_dict() for w in self.weeks],
            "total": self.total.as_dict(),
            "rejection_reasons": [{"reason": r, "count": n} for r, n in self.rejection_reasons],
        }


def nearest_rank(values: list[int], fraction: float) -> int:
    """The ``fraction`` percentile by the nearest-rank method: the smallest value with at
    least that fraction of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def edit_size(before: str, after: str) -> int:
    """Characters changed from ``before`` to ``after`` (see the module's doc): a diff of
    their words, spaces and punctuation (``difflib``); each inserted, deleted or replaced
    run counts the characters of its longer side. (A diff of single characters told the
    same within a few characters, at a hundred times the cost: 6 ms an edit.)"""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return sum(
        max(sum(map(len, a[i1:i2])), sum(map(len, b[j1:j2])))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )


def week_of(stamp: str) -> str:
    """The Monday (YYYY-MM-DD) of the week of an ISO time or date (UTC)."""
    day = date.fromisoformat(stamp[:10])
    return (day - timedelta(days=day.weekday())).isoformat()


def _minutes(start: str, end: str) -> float:
    def parse(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds() / 60


def _reason(text: str) -> str:
    """Reasons grouped as people write them: case and spacing aside."""
    return " ".join(text.split()).rstrip(".").lower()


def scorecard(
    db: DatabaseLike, workflow: str, *, since: str, until: str | None = None
) -> Scorecard:
    """``workflow``'s figures for the items made from ``since`` (a date) to ``until``
    (exclusive; None: now)."""
    end = until or "9999-12-31"
    weeks: dict[str, Period] = {}
    total = Period(start=since)
    reasons: Counter[str] = Counter()
    shown_reason: dict[str, str] = {}

    def period(stamp: str) -> Period:
        key = week_of(stamp)
        if key not in weeks:
            weeks[key] = Period(start=key)
        return weeks[key]

    for item in outcomes.item_outcomes(db, workflow, since, end):
        status, created, reason = item.status, item.created_at, item.reason
        for bucket in (period(created), total):
            bucket.made += 1
            bucket.escalated += 1 if reason else 0
            if status == ItemState.APPROVED:
                if item.edited_from is None:
                    bucket.approved += 1
                else:
                    bucket.edited += 1
            elif status in OPEN_ITEM_STATES:
                bucket.open += 1
            elif status in (ItemState.REJECTED, ItemState.EXPIRED):
                setattr(bucket, status, getattr(bucket, status) + 1)
        if item.edited_from is not None:
            size = edit_size(item.edited_from, item.edited_to or "")
            period(created).edit_sizes.append(size)
            total.edit_sizes.append(size)
        if status in DECIDED_ITEM_STATES and item.decided_at:
            minutes = _minutes(created, item.decided_at)
            period(created).decision_minutes.append(minutes)
            total.decision_minutes.append(minutes)
        if status == ItemState.REJECTED and item.reject_reason:
            key = _reason(item.reject_reason)
            reasons[key] += 1
            shown_reason.setdefault(key, " ".join(item.reject_reason.split()))
    _add_runs_and_costs(db, workflow, since, end, period, total)
    for bucket in (*weeks.values(), total):
        bucket.settle()
    return Scorecard(
        workflow=workflow,
        since=since,
        until=until or "",
        weeks=[weeks[k] for k in sorted(weeks)],
        total=total,
        rejection_reasons=[(shown_reason[r], n) for r, n in reasons.most_common()],
    )


def _add_runs_and_costs(
    db: DatabaseLike,
    workflow: str,
    since: str,
    end: str,
    period: Callable[[str], Period],
    total: Period,
) -> None:
    for started in outcomes.run_starts(db, workflow, since, end):
        period(started).runs += 1
        total.runs += 1
    for at, cost in outcomes.run_call_costs(db, workflow, since, end):
        for bucket in (period(at), total):
            if cost is None or bucket.cost_usd is None:
                bucket.cost_usd = None
            else:
                bucket.cost_usd += cost
