"""The one check of the budget caps before a model call, for every caller (a run, a
profile, a try-out, a comparison, a draft)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.core import budget
from desktop_app.core.errors import KnownError, ModelCallError
from desktop_app.core.spec_model import BudgetSpec, Spec
from desktop_app.core.verdict import Finding, over_budget_then
from desktop_app.services.pipeline import Messages, ModelGateway, Outcome, Route, settle
from desktop_app.storage import eventlog, model_calls
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True)
class Admission:
    """A call may go ahead (``blocked`` None), with what it may cost (None: unknown or free)."""

    estimate: float | None
    blocked: budget.Block | None = None
    message: str = ""


class BudgetGuard:
    """The one check of the budget caps before a model call, for every caller.

    Spend is what ``model_calls`` recorded, plus what the caller says is in flight and
    what its run spent so far. ``limits`` narrows the spec's caps (a profile checks only
    the day and month caps).
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        gateway: ModelGateway,
        spec: Spec,
        route: Route,
        *,
        global_month_cap: float | None = None,
        limits: BudgetSpec | None = None,
    ):
        self.db, self.gateway, self.spec, self.route = db, gateway, spec, route
        self.global_month_cap = global_month_cap
        self.limits = spec.budget if limits is None else limits

    @property
    def capped(self) -> bool:
        return bool(budget.caps(self.limits, self.global_month_cap))

    def estimate(self, messages: Messages, route: Route | None = None) -> float | None:
        """The most one call can cost, or None when its price is unknown."""
        route = route or self.route
        try:
            _, cost = self.gateway.estimate(
                route.model_spec(self.spec), messages, model=route.model
            )
        except ModelCallError:
            return None
        return cost

    def admit(
        self, messages: Messages, *, run_spent: float = 0.0, in_flight: float = 0.0
    ) -> Admission:
        if not self.capped:
            return Admission(None)
        estimate = self.estimate(messages)
        return self.admit_cost(estimate, run_spent=run_spent, in_flight=in_flight)

    def admit_cost(
        self, estimate: float | None, *, run_spent: float = 0.0, in_flight: float = 0.0
    ) -> Admission:
        """As ``admit``, for a cost already estimated (a profile sums its calls first)."""
        if not self.capped:
            return Admission(estimate)
        from desktop_app.llm.gateway import served_here

        base = self.route.base(self.spec) or ""
        if estimate is None and served_here(self.route.model_name(self.spec), base):
            return Admission(None)  # a model on this machine with no price: nobody bills for it
        wf = self.spec.name
        spend = budget.Spend(
            run=run_spent + in_flight,
            day=model_calls.cost_since(self.db, model_calls.day_start(), wf) + in_flight,
            month=model_calls.cost_since(self.db, model_calls.month_start(), wf) + in_flight,
            all_month=model_calls.cost_since(self.db, model_calls.month_start()) + in_flight,
        )
        block = budget.check(self.limits, self.global_month_cap, spend, estimate)
        if block is None:
            return Admission(estimate)
        return Admission(estimate, block, block.message(wf))

    def refuse(self, admission: Admission, *, for_: str, item_id: int | None = None) -> None:
        """A call outside a run stopped by a cap: logged (``budget.blocked``, what it was
        for), then raised as the cap's message. No model is called."""
        assert admission.blocked is not None
        detail = {**admission.blocked.as_dict(), "message": admission.message, "for": for_}
        with transaction(self.db):
            eventlog.append(
                self.db, "budget.blocked", workflow=self.spec.name, item_id=item_id, detail=detail
            )
        raise KnownError(admission.message)

    def blocked_outcome(self, admission: Admission) -> Outcome:
        """What an input stopped by a cap becomes (the spec's over_budget rule decides)."""
        assert admission.blocked is not None
        then, rule = over_budget_then(self.spec)
        outcome = settle(
            Outcome(None, findings=[Finding(admission.message, then, rule, "over_budget")])
        )
        detail = {**admission.blocked.as_dict(), "message": admission.message}
        outcome.events.append(("budget.blocked", detail))
        return outcome
