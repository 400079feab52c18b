"""Try a spec on one sample before it runs for real: ``signoff try`` and the editor's
*Try on a sample*. The spec may be unsaved (the editor's text).

The same steps as a run, through the pipeline: the prompt, the budget caps, the call,
the output contract, one retry with feedback. No item is made; the calls are recorded
with purpose ``try`` and count as spend like any other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec
from desktop_app.services import pipeline, records
from desktop_app.services.pipeline import Messages, ModelGateway, Route

if TYPE_CHECKING:
    import sqlite_utils


@dataclass
class CheckLine:
    name: str
    passed: bool
    message: str


@dataclass
class TryResult:
    """What a run would have made of one sample."""

    workflow: str
    sample: str
    status: str  # pending | escalated | skipped: what the item would have been
    output: str
    reason: str | None
    messages: Messages  # the prompt as sent (the first call's)
    checks: list[CheckLine] = field(default_factory=list)
    model: str | None = None
    cost_usd: float | None = None
    latency_ms: int | None = None
    calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def try_sample(
    db: sqlite_utils.Database,
    spec: Spec,
    doc: InputDoc,
    route: Route,
    *,
    global_month_cap: float | None = None,
    gateway: ModelGateway | None = None,
) -> TryResult:
    """``spec`` on ``doc``; raises KnownError when the spec is incomplete or a cap stops it."""
    if not spec.complete:
        raise KnownError(
            f"workflow '{spec.name}' is incomplete and cannot be tried: missing "
            + "; ".join(spec.missing)
        )
    gateway = pipeline.gateway_or_default(gateway)
    prepared = pipeline.prepare(spec, doc)
    outcome = records.answer_one(
        db, gateway, spec, prepared, route, purpose="try", global_month_cap=global_month_cap
    )
    answer = outcome.answered_by
    return TryResult(
        workflow=spec.name,
        sample=doc.name,
        status=outcome.status_word,
        output=outcome.output,
        reason=outcome.reason,
        messages=prepared.messages or (outcome.calls[0].messages if outcome.calls else []),
        checks=[CheckLine(c.name, c.passed, c.message) for c in outcome.checks],
        model=answer.model if answer else route.model_name(spec),
        cost_usd=outcome.cost_usd,
        latency_ms=outcome.latency_ms,
        calls=len(outcome.attempts),
    )
