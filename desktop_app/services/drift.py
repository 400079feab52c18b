"""Drift: a workflow that has got clearly worse than it used to be, told before it costs.

Two signs, each checked on the workflow's own history:

- **Rework**: the share of its newest ``RECENT`` decided items that people edited or
  rejected, against the share among the ``BASELINE`` decided items made before them. It is a
  one-sided two-proportion z-test: z = (p_recent - p_before) / sqrt(p (1 - p)
  (1/n_recent + 1/n_before)), p the pooled share. It fires only when z >= ``Z`` (a
  worsening that chance alone would show less than once in a thousand checks), the share
  rose by at least ``MIN_RISE`` (a real difference, not only a certain one), and there are
  at least ``MIN_RECENT`` and ``MIN_BEFORE`` decisions: a handful of bad days on a young
  workflow is noise, not drift.
- **Cost**: its cost per approved output over the last ``COST_DAYS`` days is over the
  threshold in Settings (``max_cost_per_approved_usd``; none: not checked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from desktop_app.core.money import usd
from desktop_app.storage import outcomes

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike

RECENT = 30
BASELINE = 200
MIN_RECENT = 20
MIN_BEFORE = 40
MIN_RISE = 0.10
Z = 3.09  # one-sided p < 0.001
COST_DAYS = 7


@dataclass(frozen=True)
class Drift:
    workflow: str
    kind: str  # rework | cost
    message: str  # one line for a person
    recent: float  # the rework share, or the cost per approved output
    before: float | None  # the baseline share (rework), or the threshold (cost)
    z: float | None = None
    n_recent: int = 0
    n_before: int = 0


def two_proportion_z(hits_a: int, n_a: int, hits_b: int, n_b: int) -> float:
    """z of a's share over b's (pooled standard error); 0 when it cannot be told."""
    if not n_a or not n_b:
        return 0.0
    pooled = (hits_a + hits_b) / (n_a + n_b)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return 0.0 if spread == 0 else (hits_a / n_a - hits_b / n_b) / spread


def rework_drift(db: DatabaseLike, workflow: str) -> Drift | None:
    decided = outcomes.decided_newest_first(db, workflow, RECENT + BASELINE)
    recent, before = decided[:RECENT], decided[RECENT:]
    if len(recent) < MIN_RECENT or len(before) < MIN_BEFORE:
        return None
    share_recent, share_before = sum(recent) / len(recent), sum(before) / len(before)
    z = two_proportion_z(sum(recent), len(recent), sum(before), len(before))
    if z < Z or share_recent - share_before < MIN_RISE:
        return None
    return Drift(
        workflow=workflow,
        kind="rework",
        message=(
            f"'{workflow}' is reworked more: {share_recent:.0%} of its last {len(recent)} items "
            f"were edited or rejected, against {share_before:.0%} of the {len(before)} before"
        ),
        recent=share_recent,
        before=share_before,
        z=z,
        n_recent=len(recent),
        n_before=len(before),
    )


def cost_drift(
    db: DatabaseLike, workflow: str, threshold: float | None, today: date | None = None
) -> Drift | None:
    if threshold is None:
        return None
    from desktop_app.services.scorecard import scorecard

    since = ((today or date.today()) - timedelta(days=COST_DAYS - 1)).isoformat()
    total = scorecard(db, workflow, since=since).total
    cost = total.cost_per_approved
    if cost is None or cost <= threshold:
        return None
    return Drift(
        workflow=workflow,
        kind="cost",
        message=(
            f"'{workflow}' costs {usd(cost)} per approved output over the last {COST_DAYS} days,"
            f" over the {usd(threshold)} set in Settings"
        ),
        recent=cost,
        before=threshold,
    )


def drift(db: DatabaseLike, workflow: str, cost_threshold: float | None = None) -> list[Drift]:
    """Every sign of drift the workflow shows now (none: an empty list)."""
    found = [rework_drift(db, workflow), cost_drift(db, workflow, cost_threshold)]
    return [d for d in found if d is not None]
