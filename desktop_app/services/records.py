"""What an answer leaves in the database: its model calls (``log_call``: rows and
``model.*`` events) and, for a run or a kept comparison, its item (``record_item``).
Written on the caller's thread, inside its transaction; ``answer_one`` is the whole path
for one input outside a run."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desktop_app.core.checks import CheckResult
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec
from desktop_app.core.states import ItemState
from desktop_app.core.verdict import Finding
from desktop_app.services.budget_guard import BudgetGuard
from desktop_app.services.pipeline import Call, ModelGateway, Outcome, Prepared, Route, answer
from desktop_app.storage import eventlog, item_rows, model_calls
from desktop_app.storage.db import CursorLike, DatabaseLike, new_id, transaction

if TYPE_CHECKING:
    import sqlite_utils


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


def write_item(db: DatabaseLike, draft: ItemDraft) -> CursorLike:
    """The item's row, its id left to read (``record_item`` reads it and logs the events)."""
    return item_rows.write_item(
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


def record_item(db: DatabaseLike, draft: ItemDraft, written: CursorLike | None = None) -> int:
    """The item with its ``item.created`` (and ``item.escalated``) events; call inside a
    transaction. Returns its id. ``written``: its row, written already (``write_item``)."""
    item_id = new_id(written if written is not None else write_item(db, draft))
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
