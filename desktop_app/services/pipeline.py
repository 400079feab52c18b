"""The pure steps from a workflow's input to a judged answer: prepare -> answer.

Every way Signoff asks a model about an input goes through here: a run, a cost profile,
a comparison on an old item, a try-out in the spec editor, a test on the examples. Nothing
here writes to the database; what an ``Outcome`` leaves behind is written by
``services/records`` (items, calls, events), and a call waits for ``services/budget_guard``.

- ``prepare(spec, doc)``: the input rules and the prompt; an input decided before any
  call (skipped, invalid, a prompt that cannot be filled in) comes back ``decided``.
- ``answer(gateway, spec, prepared, route)``: on a network thread: call, check the output
  contract, retry once with feedback when a rule says so; the status the item would get.
- ``settle(outcome)`` / ``not_run(why)``: the status and reason the findings give.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from desktop_app.core.checks import CheckResult
from desktop_app.core.errors import ModelCallError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import ModelSpec, Spec
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
)

if TYPE_CHECKING:
    from desktop_app.llm.gateway import Attempt, CallResult

Messages = list[dict[str, Any]]


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
