"""The one path from a workflow's input to a judged answer: prepare -> answer -> record.

Every way Signoff asks a model about an input goes through here: a run, a cost profile,
a comparison on an old item (and later a try-out in the spec editor or a test on the
examples). Each caller is a thin layer that decides what to do with the ``Outcome``:

- ``prepare(spec, doc)``: the input rules and the prompt; an input decided before any
  call (skipped, invalid, a prompt that cannot be filled in) comes back ``decided``.
- ``BudgetGuard.admit(messages)``: the one budget check before a call.
- ``answer(gateway, spec, prepared, route)``: on a network thread: call, check the output
  contract, retry once with feedback when a rule says so; the status the item would get.
- ``map_concurrently(jobs, fn, ...)``: the one thread-pool loop.
- ``log_call`` / ``record_item``: what reaches the database, on the caller's thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from desktop_app.core import budget
from desktop_app.core.checks import CheckResult
from desktop_app.core.errors import KnownError, ModelCallError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import BudgetSpec, ModelSpec, Spec
from desktop_app.core.states import ItemState
from desktop_app.core.templates import TemplateRenderError, render_messages
from desktop_app.core.verdict import (
    ESCALATE,
    OK,
    RETRY,
    SKIP,
    Finding,
    Verdict,
    feedback_message,
    judge_input,
    judge_output,
    model_error_then,
    over_budget_then,
)
from desktop_app.storage import eventlog, item_rows, model_calls
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.llm.gateway import Attempt, CallResult

Messages = list[dict[str, Any]]
J = TypeVar("J")
R = TypeVar("R")


class ModelGateway(Protocol):
    """What the pipeline needs of a gateway (``Gateway``, ``ProcessGateway``)."""

    def complete(
        self,
        model_spec: ModelSpec,
        messages: Messages,
        *,
        model: str | None = None,
        api_base: str | None = None,
    ) -> CallResult: ...

    def estimate(
        self, model_spec: ModelSpec, messages: Messages, *, model: str | None = None
    ) -> tuple[int, float | None]: ...


def gateway_or_default(gateway: ModelGateway | None) -> ModelGateway:
    """``gateway``, or a new in-process ``Gateway`` (imports litellm: never on the UI thread)."""
    if gateway is not None:
        return gateway
    from desktop_app.llm.gateway import Gateway

    return Gateway()


@dataclass(frozen=True)
class Route:
    """Which model answers, and where: overrides of the spec's own (None keeps the spec's)."""

    model: str | None = None
    api_base: str | None = None
    fallbacks: tuple[str, ...] | None = None

    def model_spec(self, spec: Spec) -> ModelSpec:
        if self.fallbacks is None:
            return spec.model
        return replace(spec.model, fallbacks=tuple(self.fallbacks))

    def model_name(self, spec: Spec) -> str:
        return self.model or spec.model.name

    def base(self, spec: Spec) -> str | None:
        return self.api_base or spec.model.api_base or None


@dataclass
class Call:
    """One request to the gateway (which may itself try several times) and what came of it."""

    purpose: str  # "answer" | "retry with feedback" | "second try after model error"
    messages: Messages
    result: CallResult | None = None
    error: ModelCallError | None = None

    @property
    def attempts(self) -> list[Attempt]:
        if self.result is not None:
            return list(self.result.attempts)
        return list(self.error.attempts) if self.error is not None else []


@dataclass
class Outcome:
    """What became of one input: the item it would make (``status`` None: no item)."""

    status: ItemState | None
    output: str = ""
    reason: str | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    failed_checks: list[tuple[str, CheckResult]] = field(default_factory=list)  # (answer, check)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # more to log with it
    keep_unprocessed: bool = False  # a source input not run (budget): picked up again next run

    @property
    def answered_by(self) -> CallResult | None:
        for call in reversed(self.calls):
            if call.result is not None:
                return call.result
        return None

    @property
    def attempts(self) -> list[Attempt]:
        return [a for c in self.calls for a in c.attempts]

    @property
    def cost_usd(self) -> float | None:
        """Sum over every attempt; unknown (None) when an answered attempt had no known price."""
        attempts = self.attempts
        if any(a.ok and a.cost_usd is None for a in attempts):
            return None
        return sum(a.cost_usd or 0.0 for a in attempts)

    @property
    def latency_ms(self) -> int | None:
        attempts = self.attempts
        return sum(a.latency_ms for a in attempts) if attempts else None

    @property
    def status_word(self) -> str:
        """pending | escalated | skipped: what became of the input, in the item's words."""
        return "skipped" if self.status is None else self.status.value


@dataclass
class Prepared:
    """An input ready to send (``messages``), or ``decided`` before any call."""

    doc: InputDoc
    messages: Messages = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    decided: Outcome | None = None


# --- prepare ----------------------------------------------------------------------------------


def prepare(spec: Spec, doc: InputDoc) -> Prepared:
    """The input rules, then the prompt; ``decided`` when no model call is needed."""
    verdict = judge_input(spec, doc)
    if verdict.action == SKIP or any(f.when == "input_invalid" for f in verdict.findings):
        return Prepared(doc, decided=settle(Outcome(None, findings=list(verdict.findings))))
    try:
        messages = render_messages(spec, doc)
    except TemplateRenderError as exc:
        finding = Finding(f"The prompt could not be filled in for this input: {exc}", ESCALATE)
        return Prepared(doc, decided=settle(Outcome(None, findings=[*verdict.findings, finding])))
    return Prepared(doc, messages, list(verdict.findings))


# --- the budget guard -------------------------------------------------------------------------


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


def not_run(why: str) -> Outcome:
    """An input after a budget cap stopped the run: skipped, and left for a later run."""
    outcome = settle(
        Outcome(None, findings=[Finding(f"Not run: {why}", SKIP, None, "over_budget")])
    )
    outcome.keep_unprocessed = True
    return outcome


# --- answer -----------------------------------------------------------------------------------


def answer(gateway: ModelGateway, spec: Spec, prepared: Prepared, route: Route) -> Outcome:
    """On a network thread: call the model, judge the answer, retry once if a rule says so."""
    if prepared.decided is not None:
        return prepared.decided
    messages = prepared.messages
    outcome = Outcome(None, findings=list(prepared.findings))
    call = _call(gateway, spec, "answer", messages, route)
    outcome.calls.append(call)
    if call.error is not None:
        then, rule = model_error_then(spec)
        if then == RETRY:
            call = _call(gateway, spec, "second try after model error", messages, route)
            outcome.calls.append(call)
        if call.error is not None:
            return _model_failed(outcome, call.error, SKIP if then == SKIP else ESCALATE, rule)
    result = call.result
    assert result is not None
    verdict = judge_output(spec, result.text, finish_reason=result.finish_reason)
    outcome.failed_checks += [("answer", c) for c in verdict.checks if not c.passed]
    if verdict.action == RETRY:
        retry_messages = [
            *messages,
            {"role": "assistant", "content": result.text},
            {"role": "user", "content": feedback_message(verdict)},
        ]
        retry = _call(gateway, spec, "retry with feedback", retry_messages, route)
        outcome.calls.append(retry)
        if retry.result is not None:
            verdict = judge_output(
                spec, retry.result.text, finish_reason=retry.result.finish_reason, retried=True
            )
            outcome.failed_checks += [("retry", c) for c in verdict.checks if not c.passed]
        else:
            kept = [Finding(f.reason, ESCALATE, f.rule, f.when) for f in verdict.findings]
            verdict = Verdict(tuple(kept), verdict.checks, verdict.output)
            outcome.findings.append(
                Finding(
                    f"Asking the model again failed: {retry.error}", ESCALATE, None, "model_error"
                )
            )
    outcome.findings += verdict.findings
    outcome.output = verdict.output
    outcome.checks = list(verdict.checks)
    return settle(outcome)


def _call(
    gateway: ModelGateway, spec: Spec, purpose: str, messages: Messages, route: Route
) -> Call:
    call = Call(purpose, messages)
    try:
        call.result = gateway.complete(
            route.model_spec(spec), messages, model=route.model, api_base=route.api_base
        )
    except ModelCallError as exc:
        call.error = exc
    return call


def _model_failed(outcome: Outcome, error: ModelCallError, then: str, rule: str | None) -> Outcome:
    reason = str(error) + (f" (rule: {rule})" if rule else "")
    outcome.findings.append(Finding(reason, then, rule, "model_error"))
    return settle(outcome)


def settle(outcome: Outcome) -> Outcome:
    """Turn the findings into the item's status and reason (escalate wins over skip)."""
    verdict = Verdict(tuple(outcome.findings))
    action = verdict.action
    if action == OK:
        outcome.status = ItemState.PENDING
    elif action == SKIP:
        outcome.status = None
        outcome.reason = " ".join(verdict.reasons(SKIP))
    else:
        outcome.status = ItemState.ESCALATED
        outcome.reason = " ".join(f.reason for f in outcome.findings if f.then != SKIP) or None
    return outcome


def answer_one(
    db: sqlite_utils.Database,
    gateway: ModelGateway,
    spec: Spec,
    prepared: Prepared,
    route: Route,
    *,
    purpose: str,
    global_month_cap: float | None = None,
    workflow: str | None = None,
    item_id: int | None = None,
    record: Callable[[Outcome], None] | None = None,
) -> Outcome:
    """One input outside a run (a try-out, a comparison, a draft): the budget caps (a block
    is logged, for ``item_id`` when given, and raised), the answer, and its calls recorded
    with ``purpose`` under ``workflow`` (default: the spec's name), with whatever ``record``
    adds in the same transaction. No item is made."""
    if prepared.decided is None:
        guard = BudgetGuard(db, gateway, spec, route, global_month_cap=global_month_cap)
        admission = guard.admit(prepared.messages)
        if admission.blocked is not None:
            guard.refuse(admission, for_=purpose, item_id=item_id)
    outcome = answer(gateway, spec, prepared, route)
    with transaction(db):
        for call in outcome.calls:
            log_call(db, workflow or spec.name, None, None, call, purpose=purpose)
        if record is not None:
            record(outcome)
    return outcome


# --- many at once -----------------------------------------------------------------------------


def map_concurrently(
    jobs: Iterable[J],
    fn: Callable[[J], R],
    *,
    limit: int,
    cancel: threading.Event | None = None,
    name: str = "signoff-calls",
) -> Generator[list[tuple[J, R]], None, None]:
    """``fn(job)`` for each job on up to ``limit`` threads; yields, on the caller's thread,
    the ``(job, result)`` pairs that have finished since the last yield (at least one): a
    caller that writes them down writes what finished together in one go, so a slow write
    catches up instead of holding the calls back.

    Jobs are drawn from ``jobs`` lazily, on the caller's thread, and never more than
    ``2 * limit`` ahead: the caller may decide about each (a budget check) with what has
    finished so far. Once ``cancel`` is set no new job is drawn; those under way finish
    and are yielded. An exception in ``fn`` is raised here; closing the iterator early
    waits for the calls under way and drops the rest.
    """
    limit = max(1, limit)
    source = iter(jobs)
    in_flight: dict[Future[R], J] = {}
    pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=name)
    exhausted = False
    try:
        while True:
            while not exhausted and len(in_flight) < limit * 2:
                if cancel is not None and cancel.is_set():
                    exhausted = True
                    break
                job = next(source, _END)
                if job is _END:
                    exhausted = True
                    break
                in_flight[pool.submit(fn, job)] = job
            if not in_flight:
                return
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            finished |= {f for f in in_flight if f.done()}  # what finished meanwhile too
            ordered = [f for f in in_flight if f in finished]  # in the order they were drawn
            yield [(in_flight.pop(f), f.result()) for f in ordered]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_END: Any = object()


# --- record -----------------------------------------------------------------------------------


@dataclass
class ItemDraft:
    """An inbox item about to be written, from a run's outcome or a kept comparison."""

    workflow: str
    run_id: int
    run_input_id: int | None
    status: ItemState
    input_name: str
    input_text: str
    output: str
    reason: str | None
    model: str | None
    cost_usd: float | None
    latency_ms: int | None
    tokens_in: int | None
    tokens_out: int | None
    checks: list[CheckResult] = field(default_factory=list)
    findings: list[Finding] | None = None  # the rules that escalated it, for its event
    note: dict[str, Any] = field(default_factory=dict)  # more for (or instead in) item.created

    @classmethod
    def of(
        cls,
        outcome: Outcome,
        *,
        workflow: str,
        run_id: int,
        run_input_id: int | None,
        doc: InputDoc,
        model: str,
    ) -> ItemDraft:
        assert outcome.status is not None
        answer = outcome.answered_by
        return cls(
            workflow=workflow,
            run_id=run_id,
            run_input_id=run_input_id,
            status=outcome.status,
            input_name=doc.name,
            input_text=doc.text,
            output=outcome.output,
            reason=outcome.reason,
            model=answer.model if answer else model,
            cost_usd=outcome.cost_usd,
            latency_ms=outcome.latency_ms or 0,
            tokens_in=answer.tokens_in if answer else None,
            tokens_out=answer.tokens_out if answer else None,
            checks=list(outcome.checks),
            findings=list(outcome.findings),
            note={
                "model": answer.model if answer else None,
                "checks": {c.name: c.passed for c in outcome.checks},
            },
        )


def record_item(db: sqlite_utils.Database, draft: ItemDraft) -> int:
    """The item with its ``item.created`` (and ``item.escalated``) events; call inside a
    transaction. Returns its id."""
    item_id = item_rows.insert_item(
        db,
        workflow=draft.workflow,
        run_id=draft.run_id,
        run_input_id=draft.run_input_id,
        status=draft.status,
        input_name=draft.input_name,
        input_text=draft.input_text,
        output=draft.output,
        reason=draft.reason,
        model=draft.model,
        cost_usd=draft.cost_usd,
        latency_ms=draft.latency_ms,
        tokens_in=draft.tokens_in,
        tokens_out=draft.tokens_out,
        checks_json=json.dumps(
            [{"name": c.name, "passed": c.passed, "message": c.message} for c in draft.checks],
            ensure_ascii=False,
        ),
    )
    detail: dict[str, Any] = {
        "status": draft.status.value,
        "input": draft.input_name,
        "model": draft.model,
        "cost_usd": draft.cost_usd,
        "output_chars": len(draft.output),
        **draft.note,
    }
    wf, run_id = draft.workflow, draft.run_id
    eventlog.append(db, "item.created", workflow=wf, run_id=run_id, item_id=item_id, detail=detail)
    if draft.status is ItemState.ESCALATED:
        escalated: dict[str, Any] = {"reason": draft.reason}
        if draft.findings is not None:
            escalated["rules"] = [f.as_dict() for f in draft.findings]
        eventlog.append(
            db, "item.escalated", workflow=wf, run_id=run_id, item_id=item_id, detail=escalated
        )
    return item_id


def log_call(
    db: sqlite_utils.Database,
    workflow: str,
    run_id: int | None,
    run_input_id: int | None,
    call: Call,
    *,
    purpose: str = "run",
    profile_id: int | None = None,
) -> None:
    """model.call / model.retry / model.error events and model_calls rows for one gateway call.

    ``purpose`` says what the call was for (a run's item, a cost profile, a comparison):
    every purpose counts towards spend and budgets."""
    attempts = call.attempts
    for index, attempt in enumerate(attempts):
        model_calls.record_model_call(
            db,
            purpose=purpose,
            profile_id=profile_id,
            run_id=run_id,
            run_input_id=run_input_id,
            workflow=workflow,
            model=attempt.model,
            attempt=attempt.attempt,
            ok=int(attempt.ok),
            error=attempt.error,
            tokens_in=attempt.tokens_in,
            tokens_out=attempt.tokens_out,
            cost_usd=attempt.cost_usd,
            latency_ms=attempt.latency_ms,
            at=attempt.started_at,
        )
        base = {
            "model": attempt.model,
            "api_base": attempt.api_base or None,
            "attempt": attempt.attempt,
            "purpose": call.purpose,
            "for": purpose,
            **({"profile_id": profile_id} if profile_id is not None else {}),
            "started_at": attempt.started_at,
            "latency_ms": attempt.latency_ms,
        }
        last = index == len(attempts) - 1
        events: list[tuple[str, dict[str, Any]]] = []
        if attempt.ok:
            response = {
                "messages": call.messages,
                "response": attempt.text,
                "finish_reason": attempt.finish_reason,
                "tokens_in": attempt.tokens_in,
                "tokens_out": attempt.tokens_out,
                "cost_usd": attempt.cost_usd,
            }
            events.append(("model.call", {**base, **response}))
        else:
            failure = {
                "error": attempt.error,
                "error_kind": attempt.error_kind,
                "status": attempt.status,
                "final": last,
                **({"messages": call.messages} if last else {}),
            }
            events.append(("model.error", {**base, **failure}))
        if not attempt.ok and not last:
            nxt = attempts[index + 1]
            retry = {
                "model": nxt.model,
                "attempt": nxt.attempt,
                "after_error": attempt.error,
                "wait_s": attempt.wait_s,
                "fallback": nxt.model != attempt.model,
            }
            events.append(("model.retry", retry))
        for kind, detail in events:
            eventlog.append(db, kind, workflow=workflow, run_id=run_id, detail=detail)
