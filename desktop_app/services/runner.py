"""Run a workflow: inputs -> prompt -> model -> checks -> one item per input.

Threading follows Anki's task manager: model calls go to a pool of network
threads; everything that touches the database (recording the run, writing each
item with its events) happens on the thread that called ``run``, one short
transaction per input. A crash loses at most the inputs in flight, and those
are still ``queued`` in ``run_inputs``: ``resume`` runs them again, and the
unique ``items.run_input_id`` makes a duplicate item impossible.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core import budget
from desktop_app.core.errors import KnownError, ModelCallError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import ModelSpec, Spec
from desktop_app.core.states import ItemState, RunState
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
from desktop_app.llm.gateway import served_here
from desktop_app.services import catalogue
from desktop_app.storage import eventlog, store
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils


class IncompleteSpecError(KnownError):
    """The essay's first rule: a workflow with a missing part does not run."""

    def __init__(self, spec: Spec):
        parts = "; ".join(spec.missing)
        super().__init__(
            f"workflow '{spec.name}' is incomplete and cannot run: missing {parts} ({spec.path})"
        )


@dataclass(frozen=True)
class RunOptions:
    model: str | None = None  # overrides the spec's model (the CLI's --model)
    api_base: str | None = None  # overrides the spec's api_base (--api-base)
    trigger: str = "manual"  # manual | source | schedule | recovery
    concurrency: int = 4
    fallbacks: tuple[str, ...] | None = None  # replace the spec's fallbacks (Settings)
    global_month_cap: float | None = None  # USD for all workflows this month (Settings)
    from_source: bool = (
        False  # inputs came from the configured folder/csv: record them as processed
    )


@dataclass
class Call:
    """One request to the gateway (which may itself try several times) and what came of it."""

    purpose: str  # "answer" | "retry with feedback" | "second try after model error"
    messages: list[dict]
    result: object | None = None  # CallResult
    error: ModelCallError | None = None

    @property
    def attempts(self) -> list:
        if self.result is not None:
            return list(self.result.attempts)
        return list(getattr(self.error, "attempts", []) or [])


@dataclass
class Outcome:
    """What became of one input; written to the database by the runner's own thread."""

    status: ItemState | None  # None: skipped, no item
    output: str = ""
    reason: str | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    failed_checks: list[tuple[str, object]] = field(default_factory=list)  # (purpose, CheckResult)
    events: list[tuple[str, dict]] = field(default_factory=list)  # more events for its transaction
    keep_unprocessed: bool = False  # a source input not run (budget): picked up again next run

    @property
    def answered_by(self):
        for call in reversed(self.calls):
            if call.result is not None:
                return call.result
        return None

    @property
    def cost_usd(self) -> float | None:
        """Sum over every attempt; unknown (None) when an answered attempt had no known price."""
        attempts = [a for c in self.calls for a in c.attempts]
        if any(a.ok and a.cost_usd is None for a in attempts):
            return None
        return sum(a.cost_usd or 0.0 for a in attempts)


@dataclass
class RunSummary:
    run_id: int
    workflow: str
    state: str = RunState.RUNNING.value
    inputs: int = 0
    item_ids: list[int] = field(default_factory=list)
    pending: int = 0
    escalated: int = 0
    skipped: int = 0
    cost_usd: float | None = 0.0
    resumed: bool = False
    blocked: str | None = None  # why a budget cap stopped the run, if one did


ItemCallback = Callable[[int, str], None]
ProgressCallback = Callable[[int, int], None]


class Runner:
    """Runs workflows against one database; ``gateway`` makes the model calls."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        gateway=None,
        *,
        on_item: ItemCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ):
        if gateway is None:
            from desktop_app.llm.gateway import Gateway

            gateway = Gateway()
        self.db = db
        self.gateway = gateway
        self.on_item = on_item
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()

    # --- public -----------------------------------------------------------------------------

    def run(
        self, spec: Spec, inputs: Sequence[InputDoc], options: RunOptions | None = None
    ) -> RunSummary:
        """One run over ``inputs``; returns when every input has an item, a skip, or was cancelled."""
        options = options or RunOptions()
        if not spec.complete:
            raise IncompleteSpecError(spec)
        if not inputs:
            raise KnownError(f"nothing to run: workflow '{spec.name}' got no inputs")
        version_id = catalogue.sync_version(self.db, spec)
        model = options.model or spec.model.name
        api_base = options.api_base or spec.model.api_base or None
        with transaction(self.db):
            run_id, run_inputs = store.create_run(
                self.db,
                workflow=spec.name,
                version_id=version_id,
                trigger=options.trigger,
                model=model,
                api_base=api_base,
                inputs=inputs,
            )
            eventlog.append(
                self.db,
                "run.started",
                workflow=spec.name,
                run_id=run_id,
                detail={
                    "trigger": options.trigger,
                    "model": model,
                    "api_base": api_base,
                    "fallbacks": list(_model_spec(spec, options).fallbacks),
                    "inputs": len(run_inputs),
                    "spec_version": spec.version,
                },
            )
        summary = RunSummary(run_id, spec.name, inputs=len(run_inputs))
        return self._process(spec, run_id, run_inputs, options, summary)

    def resume(self, spec: Spec, run_id: int, options: RunOptions | None = None) -> RunSummary:
        """Run again the inputs an interrupted run never finished (no input gets two items)."""
        options = options or RunOptions(trigger="recovery")
        if not spec.complete:
            raise IncompleteSpecError(spec)
        catalogue.sync_version(self.db, spec)
        with transaction(self.db):
            run = store.get_run(self.db, run_id)
            store.set_run_state(self.db, run_id, RunState.RUNNING)
            queued = store.queued_inputs(self.db, run_id)
            eventlog.append(
                self.db,
                "run.resumed",
                workflow=spec.name,
                run_id=run_id,
                detail={"inputs_left": len(queued), "spec_version": spec.version},
            )
        options = RunOptions(
            model=options.model or run["model"],
            api_base=options.api_base or run["api_base"],
            trigger=run["trigger"],
            concurrency=options.concurrency,
            fallbacks=options.fallbacks,
            global_month_cap=options.global_month_cap,
            from_source=options.from_source or run["trigger"] == "source",
        )
        summary = RunSummary(run_id, spec.name, inputs=len(queued), resumed=True)
        return self._process(spec, run_id, queued, options, summary)

    # --- the loop ---------------------------------------------------------------------------

    def _process(self, spec, run_id, run_inputs, options, summary) -> RunSummary:
        started = time.perf_counter()
        total, done = len(run_inputs), 0
        pending_inputs = list(run_inputs)
        in_flight: dict[Future, object] = {}
        limit = max(1, options.concurrency)
        state = RunState.FINISHED
        error = None
        pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=f"signoff-{spec.name}")
        reserved: dict[Future, float] = {}  # estimates of the calls in flight (budgets)
        try:
            while pending_inputs or in_flight:
                while pending_inputs and len(in_flight) < limit * 2 and not self.cancel.is_set():
                    run_input = pending_inputs.pop(0)
                    if summary.blocked:
                        prepared = _not_run(summary.blocked)
                    else:
                        prepared = self.prepare(spec, run_input.doc)
                    estimate = None
                    if not isinstance(prepared, Outcome):
                        checked = self.check_budget(spec, prepared[0], options, summary, reserved)
                        if isinstance(checked, Outcome):
                            prepared = checked
                        else:
                            estimate = checked
                    if isinstance(prepared, Outcome):  # decided without a model call
                        self._write(spec, run_id, run_input, prepared, options, summary)
                        done += 1
                        self._progress(done, total)
                        continue
                    future = pool.submit(self.answer, spec, prepared, options)
                    in_flight[future] = run_input
                    reserved[future] = estimate or 0.0
                if self.cancel.is_set() and not in_flight:
                    state = RunState.CANCELLED
                    break
                if not in_flight:
                    continue
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    run_input = in_flight.pop(future)
                    reserved.pop(future, None)
                    self._write(spec, run_id, run_input, future.result(), options, summary)
                    done += 1
                    self._progress(done, total)
        except KeyboardInterrupt:
            # Stopped from outside (Ctrl+C): left resumable, like a crash, so nothing is lost.
            state, error = RunState.INTERRUPTED, "stopped by the user (Ctrl+C)"
            self.cancel.set()
            raise
        except BaseException as exc:
            state, error = RunState.FAILED, f"{type(exc).__name__}: {exc}"
            self.cancel.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self._finish(spec, run_id, state, error, summary, time.perf_counter() - started)
        return summary

    def prepare(self, spec: Spec, doc: InputDoc):
        """Messages to send, or an Outcome when the input is decided before any call."""
        verdict = judge_input(spec, doc)
        if verdict.action == SKIP or any(f.when == "input_invalid" for f in verdict.findings):
            return _decided(list(verdict.findings))
        try:
            messages = render_messages(spec, doc)
        except TemplateRenderError as exc:
            finding = Finding(f"The prompt could not be filled in for this input: {exc}", ESCALATE)
            return _decided([*verdict.findings, finding])
        return messages, list(verdict.findings)

    def check_budget(self, spec: Spec, messages, options: RunOptions, summary, reserved):
        """Before a call: an Outcome when a budget cap stops it, else the estimate (or None
        when no cap applies, and nothing needs estimating)."""
        if not budget.caps(spec.budget, options.global_month_cap):
            return None
        try:
            _, estimate = self.gateway.estimate(
                _model_spec(spec, options), messages, model=options.model
            )
        except ModelCallError:
            estimate = None
        model_spec = _model_spec(spec, options)
        base = options.api_base or model_spec.api_base
        if estimate is None and served_here(options.model or model_spec.name, base):
            return None  # a model on this machine with no price: nobody bills for it
        in_flight = sum(reserved.values())
        wf = spec.name
        spend = budget.Spend(
            run=(summary.cost_usd or 0.0) + in_flight,
            day=store.cost_since(self.db, store.day_start(), wf) + in_flight,
            month=store.cost_since(self.db, store.month_start(), wf) + in_flight,
            all_month=store.cost_since(self.db, store.month_start()) + in_flight,
        )
        block = budget.check(spec.budget, options.global_month_cap, spend, estimate)
        if block is None:
            return estimate
        message = block.message(spec.name)
        summary.blocked = message
        then, rule = over_budget_then(spec)
        outcome = _settle(
            Outcome(status=None, findings=[Finding(message, then, rule, "over_budget")])
        )
        outcome.events.append(("budget.blocked", {**block.as_dict(), "message": message}))
        return outcome

    def answer(self, spec: Spec, prepared, options: RunOptions) -> Outcome:
        """On a network thread: call the model, judge the answer, retry once if a rule says so."""
        messages, input_findings = prepared
        outcome = Outcome(status=None, findings=list(input_findings))
        call = self._call(spec, "answer", messages, options)
        outcome.calls.append(call)
        if call.error is not None:
            then, rule = model_error_then(spec)
            if then == RETRY:
                call = self._call(spec, "second try after model error", messages, options)
                outcome.calls.append(call)
            if call.error is not None:
                return _model_failed(outcome, call.error, SKIP if then == SKIP else ESCALATE, rule)
        verdict = judge_output(spec, call.result.text, finish_reason=call.result.finish_reason)
        outcome.failed_checks += [("answer", c) for c in verdict.checks if not c.passed]
        if verdict.action == RETRY:
            retry_messages = [
                *messages,
                {"role": "assistant", "content": call.result.text},
                {"role": "user", "content": feedback_message(verdict)},
            ]
            retry = self._call(spec, "retry with feedback", retry_messages, options)
            outcome.calls.append(retry)
            if retry.error is None:
                verdict = judge_output(
                    spec, retry.result.text, finish_reason=retry.result.finish_reason, retried=True
                )
                outcome.failed_checks += [("retry", c) for c in verdict.checks if not c.passed]
            else:
                kept = [Finding(f.reason, ESCALATE, f.rule, f.when) for f in verdict.findings]
                verdict = Verdict(tuple(kept), verdict.checks, verdict.output)
                outcome.findings.append(
                    Finding(
                        f"Asking the model again failed: {retry.error}",
                        ESCALATE,
                        None,
                        "model_error",
                    )
                )
        outcome.findings += verdict.findings
        outcome.output = verdict.output
        outcome.checks = [c for c in verdict.checks]
        return _settle(outcome)

    def _call(self, spec: Spec, purpose: str, messages: list[dict], options: RunOptions) -> Call:
        call = Call(purpose, messages)
        try:
            call.result = self.gateway.complete(
                _model_spec(spec, options), messages, model=options.model, api_base=options.api_base
            )
        except ModelCallError as exc:
            call.error = exc
        return call

    # --- writing ----------------------------------------------------------------------------

    def _write(
        self, spec, run_id, run_input, outcome: Outcome, options, summary: RunSummary
    ) -> None:
        """The item (or the skip) with every event it produced, in one transaction."""
        wf = spec.name
        item_id = None
        with transaction(self.db):
            for call in outcome.calls:
                log_call(self.db, wf, run_id, run_input.id, call)
            for kind, detail in outcome.events:
                detail = {"input": run_input.doc.name, **detail}
                eventlog.append(self.db, kind, workflow=wf, run_id=run_id, detail=detail)
            for purpose, check in outcome.failed_checks:
                eventlog.append(
                    self.db,
                    "check.failed",
                    workflow=wf,
                    run_id=run_id,
                    detail={
                        "input": run_input.doc.name,
                        "check": check.name,
                        "message": check.message,
                        "answer": purpose,
                    },
                )
            if outcome.status is None:
                store.set_input_status(self.db, run_input.id, "skipped")
                eventlog.append(
                    self.db,
                    "input.skipped",
                    workflow=wf,
                    run_id=run_id,
                    detail={
                        "input": run_input.doc.name,
                        "input_key": run_input.doc.key,
                        "reason": outcome.reason,
                        "rules": [f.as_dict() for f in outcome.findings],
                    },
                )
                summary.skipped += 1
            else:
                answer = outcome.answered_by
                item_id = store.insert_item(
                    self.db,
                    workflow=wf,
                    run_id=run_id,
                    run_input_id=run_input.id,
                    status=outcome.status,
                    input_name=run_input.doc.name,
                    input_text=run_input.doc.text,
                    output=outcome.output,
                    reason=outcome.reason,
                    model=answer.model if answer else (options.model or spec.model.name),
                    cost_usd=outcome.cost_usd,
                    latency_ms=sum(a.latency_ms for c in outcome.calls for a in c.attempts),
                    tokens_in=answer.tokens_in if answer else None,
                    tokens_out=answer.tokens_out if answer else None,
                    checks_json=_checks_json(outcome.checks),
                )
                store.set_input_status(self.db, run_input.id, "done")
                eventlog.append(
                    self.db,
                    "item.created",
                    workflow=wf,
                    run_id=run_id,
                    item_id=item_id,
                    detail={
                        "status": outcome.status.value,
                        "input": run_input.doc.name,
                        "model": answer.model if answer else None,
                        "cost_usd": outcome.cost_usd,
                        "output_chars": len(outcome.output),
                        "checks": {c.name: c.passed for c in outcome.checks},
                    },
                )
                if outcome.status is ItemState.ESCALATED:
                    eventlog.append(
                        self.db,
                        "item.escalated",
                        workflow=wf,
                        run_id=run_id,
                        item_id=item_id,
                        detail={
                            "reason": outcome.reason,
                            "rules": [f.as_dict() for f in outcome.findings],
                        },
                    )
                    summary.escalated += 1
                else:
                    summary.pending += 1
                summary.item_ids.append(item_id)
            if options.from_source and not outcome.keep_unprocessed:
                store.mark_processed(self.db, wf, run_input.doc, run_id, item_id)
        cost = outcome.cost_usd
        summary.cost_usd = (
            None if (cost is None or summary.cost_usd is None) else summary.cost_usd + cost
        )
        if item_id is not None and self.on_item:
            self.on_item(item_id, outcome.status.value)

    def _finish(self, spec, run_id, state, error, summary: RunSummary, seconds: float) -> None:
        kind = "run.interrupted" if state is RunState.INTERRUPTED else "run.finished"
        with transaction(self.db):
            store.set_run_state(self.db, run_id, state, error=error)
            eventlog.append(
                self.db,
                kind,
                workflow=spec.name,
                run_id=run_id,
                detail={
                    "state": state.value,
                    "items": len(summary.item_ids),
                    "pending": summary.pending,
                    "escalated": summary.escalated,
                    "skipped": summary.skipped,
                    "cost_usd": summary.cost_usd,
                    "duration_ms": round(seconds * 1000),
                    "error": error,
                    "blocked": summary.blocked,
                },
            )
        summary.state = state.value

    def _progress(self, done: int, total: int) -> None:
        if self.on_progress:
            self.on_progress(done, total)


def _model_spec(spec: Spec, options: RunOptions) -> ModelSpec:
    if options.fallbacks is None:
        return spec.model
    return replace(spec.model, fallbacks=tuple(options.fallbacks))


def _not_run(why: str) -> Outcome:
    """An input after a budget cap stopped the run: skipped, and left for a later run."""
    reason = f"Not run: {why}"
    outcome = _settle(Outcome(status=None, findings=[Finding(reason, SKIP, None, "over_budget")]))
    outcome.keep_unprocessed = True
    return outcome


def _decided(findings: list[Finding]) -> Outcome:
    return _settle(Outcome(status=None, findings=list(findings)))


def _model_failed(outcome: Outcome, error: ModelCallError, then: str, rule: str | None) -> Outcome:
    reason = str(error) + (f" (rule: {rule})" if rule else "")
    outcome.findings.append(Finding(reason, then, rule, "model_error"))
    return _settle(outcome)


def _settle(outcome: Outcome) -> Outcome:
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
        outcome.reason = (
            " ".join(r for f in outcome.findings if f.then != SKIP for r in [f.reason]) or None
        )
    return outcome


def _checks_json(checks) -> str:
    return json.dumps(
        [{"name": c.name, "passed": c.passed, "message": c.message} for c in checks],
        ensure_ascii=False,
    )


def log_call(
    db,
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
        store.record_model_call(
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
        if attempt.ok:
            eventlog.append(
                db,
                "model.call",
                workflow=workflow,
                run_id=run_id,
                detail={
                    **base,
                    "messages": call.messages,
                    "response": attempt.text,
                    "finish_reason": attempt.finish_reason,
                    "tokens_in": attempt.tokens_in,
                    "tokens_out": attempt.tokens_out,
                    "cost_usd": attempt.cost_usd,
                },
            )
            continue
        detail = {
            **base,
            "error": attempt.error,
            "error_kind": attempt.error_kind,
            "status": attempt.status,
            "final": last,
        }
        if last:
            detail["messages"] = call.messages
        eventlog.append(db, "model.error", workflow=workflow, run_id=run_id, detail=detail)
        if not last:
            nxt = attempts[index + 1]
            eventlog.append(
                db,
                "model.retry",
                workflow=workflow,
                run_id=run_id,
                detail={
                    "model": nxt.model,
                    "attempt": nxt.attempt,
                    "after_error": attempt.error,
                    "wait_s": attempt.wait_s,
                    "fallback": nxt.model != attempt.model,
                },
            )


def source_inputs(db: sqlite_utils.Database, spec: Spec, data_dir: Path) -> list[InputDoc]:
    """New inputs from a folder/csv workflow's configured source (each processed once, ever)."""
    from desktop_app.services.inputs import read_inputs

    return [
        doc for doc in read_inputs(spec, data_dir) if not store.is_processed(db, spec.name, doc)
    ]
