"""The history as OpenTelemetry traces: ``signoff log export --format otel``.

One OTLP/JSON document (``resourceSpans``, as an OTLP/HTTP collector or a tracing tool
imports it) with a span per run and, under it, a span per model call, named and described
with the GenAI semantic conventions: ``gen_ai.operation.name`` ``chat``,
``gen_ai.provider.name`` (the model's provider prefix), ``gen_ai.request.model``,
``gen_ai.response.model``, ``gen_ai.usage.input_tokens`` and ``output_tokens``,
``error.type`` for a failed call. Signoff's own figures are under ``signoff.*``
(workflow, run, purpose, attempt, cost in USD). A call made outside a run (a profile, a
comparison, a try-out, a test) is a trace of its own.

Ids are derived from Signoff's (a run's trace id from its number), so exporting twice
gives the same spans and a tracing tool can tell them apart from its own.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.core.states import RunState
from desktop_app.storage import traces

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike

SCOPE = "signoff"
SPAN_KIND_INTERNAL, SPAN_KIND_CLIENT = 1, 3
STATUS_OK, STATUS_ERROR = 1, 2


def _hex_id(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _nanos(stamp: str) -> int:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000_000) * 1000


def _attribute(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        wrapped: dict[str, Any] = {"boolValue": value}
    elif isinstance(value, int):
        wrapped = {"intValue": str(value)}  # OTLP/JSON: 64-bit integers as strings
    elif isinstance(value, float):
        wrapped = {"doubleValue": value}
    else:
        wrapped = {"stringValue": str(value)}
    return {"key": key, "value": wrapped}


def _attributes(pairs: dict[str, Any]) -> list[dict[str, Any]]:
    return [_attribute(k, v) for k, v in pairs.items() if v is not None]


def run_span(run: traces.RunRow) -> dict[str, Any]:
    trace_id = _hex_id(f"signoff-run-{run.id}", 32)
    start = _nanos(run.started_at)
    end = _nanos(run.finished_at) if run.finished_at else start
    failed = run.state in (RunState.FAILED, RunState.INTERRUPTED)
    return {
        "traceId": trace_id,
        "spanId": _hex_id(f"signoff-run-span-{run.id}", 16),
        "name": f"run {run.workflow}",
        "kind": SPAN_KIND_INTERNAL,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": _attributes(
            {
                "signoff.workflow": run.workflow,
                "signoff.run.id": run.id,
                "signoff.run.trigger": run.trigger,
                "signoff.run.state": run.state,
                "signoff.run.inputs": run.n_inputs,
                "signoff.run.items": run.n_items,
                "signoff.cost_usd": run.cost_usd,
                "gen_ai.request.model": run.model,
            }
        ),
        "status": {"code": STATUS_ERROR if failed else STATUS_OK},
    }


def call_span(call: traces.CallRow) -> dict[str, Any]:
    if call.run_id is not None:
        trace_id = _hex_id(f"signoff-run-{call.run_id}", 32)
        parent = _hex_id(f"signoff-run-span-{call.run_id}", 16)
    else:
        trace_id, parent = _hex_id(f"signoff-call-{call.id}", 32), None
    start = _nanos(call.at)
    end = start + (call.latency_ms or 0) * 1_000_000
    provider = call.model.split("/", 1)[0] if "/" in call.model else None
    span: dict[str, Any] = {
        "traceId": trace_id,
        "spanId": _hex_id(f"signoff-call-{call.id}", 16),
        "name": f"chat {call.model}",
        "kind": SPAN_KIND_CLIENT,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(end),
        "attributes": _attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": call.model,
                "gen_ai.response.model": call.model if call.ok else None,
                "gen_ai.usage.input_tokens": call.tokens_in,
                "gen_ai.usage.output_tokens": call.tokens_out,
                "error.type": None if call.ok else (call.error or "error")[:200],
                "signoff.workflow": call.workflow,
                "signoff.purpose": call.purpose,
                "signoff.attempt": call.attempt,
                "signoff.cost_usd": call.cost_usd,
            }
        ),
        "status": {"code": STATUS_OK if call.ok else STATUS_ERROR},
    }
    if parent is not None:
        span["parentSpanId"] = parent
    return span


def write(
    db: DatabaseLike,
    out: TextIO,
    *,
    since: str | None = None,
    until: str | None = None,
    workflow: str | None = None,
) -> int:
    """The runs and calls (filtered by time and workflow) as one OTLP/JSON document,
    streamed span by span; returns how many spans."""
    from desktop_app import __version__

    resource = {
        "attributes": _attributes({"service.name": "signoff", "service.version": __version__})
    }
    out.write('{"resourceSpans":[{"resource":' + json.dumps(resource))
    out.write(',"scopeSpans":[{"scope":{"name":"' + SCOPE + '"},"spans":[')
    count = 0
    for run in traces.runs(db, since=since, until=until, workflow=workflow):
        out.write(("," if count else "") + json.dumps(run_span(run), ensure_ascii=False))
        count += 1
    for call in traces.calls(db, since=since, until=until, workflow=workflow):
        out.write(("," if count else "") + json.dumps(call_span(call), ensure_ascii=False))
        count += 1
    out.write("]}]}]}\n")
    return count
