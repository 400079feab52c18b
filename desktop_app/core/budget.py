"""Budget caps: would this call's estimated cost cross one? Plain arithmetic, no I/O.

Spend is what the recorded model calls cost (``model_calls``), so a restart cannot reset
it; the runner adds what calls still in flight are expected to cost. A cap is crossed
when spend + estimate > cap. An estimate of None (no known price) cannot be checked
against a cap: a capped workflow with an unknown price is blocked rather than trusted.
(The runner lets an unpriced model served on this machine through: nobody bills for it.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.core.money import usd

if TYPE_CHECKING:
    from desktop_app.core.spec_model import BudgetSpec


@dataclass(frozen=True)
class Spend:
    run: float = 0.0  # this run so far, calls in flight included
    day: float = 0.0  # this workflow today (local day)
    month: float = 0.0  # this workflow this month
    all_month: float = 0.0  # every workflow this month (for the global cap in Settings)


@dataclass(frozen=True)
class Block:
    cap: str  # "run" | "day" | "month" | "global month"
    limit: float
    spent: float
    estimate: float | None

    def message(self, workflow: str) -> str:
        what = {
            "run": f"the per-run cap of {usd(self.limit)} for {workflow}",
            "day": f"the daily cap of {usd(self.limit)} for {workflow}",
            "month": f"the monthly cap of {usd(self.limit)} for {workflow}",
            "global month": f"the monthly cap of {usd(self.limit)} for all workflows (Settings)",
        }[self.cap]
        period = {"run": "in this run", "day": "today", "month": "this month"}.get(
            self.cap, "this month"
        )
        if self.estimate is None:
            cost = "the model's price is unknown, so the cost of this call cannot be checked"
        else:
            cost = f"this call would cost about {usd(self.estimate)}"
        return (
            f"Budget: {what} would be crossed ({usd(self.spent)} spent {period}; {cost}). "
            "The model was not called."
        )

    def as_dict(self) -> dict:
        return {
            "cap": self.cap,
            "limit_usd": self.limit,
            "spent_usd": round(self.spent, 6),
            "estimate_usd": None if self.estimate is None else round(self.estimate, 6),
        }


def caps(budget: BudgetSpec | None, global_month: float | None) -> list[tuple[str, float]]:
    """The caps that apply, tightest period first."""
    found: list[tuple[str, float]] = []
    if budget is not None:
        for cap, limit in (
            ("run", budget.max_cost_per_run),
            ("day", budget.max_cost_per_day),
            ("month", budget.max_cost_per_month),
        ):
            if limit is not None:
                found.append((cap, float(limit)))
    if global_month is not None:
        found.append(("global month", float(global_month)))
    return found


def check(
    budget: BudgetSpec | None, global_month: float | None, spend: Spend, estimate: float | None
) -> Block | None:
    """The first cap this call would cross, or None when it may go ahead."""
    spent_by_cap = {
        "run": spend.run,
        "day": spend.day,
        "month": spend.month,
        "global month": spend.all_month,
    }
    for cap, limit in caps(budget, global_month):
        spent = spent_by_cap[cap]
        if estimate is None or spent + estimate > limit + 1e-12:
            return Block(cap, limit, spent, estimate)
    return None
