"""Compare models on real history: a past item's input run again on another model.

The same steps as a run (prompt, call, output contract, retry with feedback), checked
against the budget caps first. The comparison makes no inbox item: the call is recorded
(``model_calls`` purpose ``compare``, counted in spend) and an ``item.compared`` event
keeps both outputs. ``keep`` turns a comparison into a new pending item when the person
prefers it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec
from desktop_app.core.states import ItemState
from desktop_app.services import pipeline, records
from desktop_app.services.pipeline import ModelGateway, Outcome, Route
from desktop_app.services.records import ItemDraft
from desktop_app.storage import eventlog, input_rows, item_rows
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.storage.item_rows import Item


@dataclass
class Side:
    model: str
    output: str
    cost_usd: float | None
    latency_ms: int | None
    tokens_in: int | None
    tokens_out: int | None
    status: str  # pending | escalated (what an item would be) | skipped
    reason: str | None
    failed_checks: list[str]


@dataclass
class Comparison:
    item_id: int
    workflow: str
    original: Side
    other: Side

    def as_dict(self) -> dict:
        return asdict(self)


def input_of(db: sqlite_utils.Database, item: Item) -> InputDoc:
    """The input an item was made from, as the run read it (key and CSV fields included)."""
    row = input_rows.input_of_item(db, item["id"])
    key, fields = (
        (row[0], json.loads(row[1]) if row[1] else {}) if row else (item["input_name"], {})
    )
    return InputDoc(key=key, name=item["input_name"], text=item["input_text"], fields=fields)


def original_side(item: Item) -> Side:
    failed = [c["name"] for c in item.get("checks", []) if not c["passed"]]
    return Side(
        model=item["model"] or "",
        output=item["original_output"],
        cost_usd=item["cost_usd"],
        latency_ms=item.get("latency_ms"),
        tokens_in=item.get("tokens_in"),
        tokens_out=item.get("tokens_out"),
        status=item["status"],
        reason=item["reason"],
        failed_checks=failed,
    )


def _side(model: str, outcome: Outcome) -> Side:
    answer = outcome.answered_by
    return Side(
        model=answer.model if answer else model,
        output=outcome.output,
        cost_usd=outcome.cost_usd,
        latency_ms=outcome.latency_ms,
        tokens_in=answer.tokens_in if answer else None,
        tokens_out=answer.tokens_out if answer else None,
        status=outcome.status_word,
        reason=outcome.reason,
        failed_checks=[c.name for c in outcome.checks if not c.passed],
    )


def compare(
    db: sqlite_utils.Database,
    item_id: int,
    spec: Spec,
    model: str,
    *,
    api_base: str | None = None,
    global_month_cap: float | None = None,
    gateway: ModelGateway | None = None,
) -> Comparison:
    """Run item ``item_id``'s input on ``model``; raises KnownError when a cap blocks it."""
    item = item_rows.get_item(db, item_id)
    if item["workflow"] != spec.name:
        raise KnownError(f"item {item_id} belongs to '{item['workflow']}', not '{spec.name}'")
    if not model.strip():
        raise KnownError("name the model to compare with")
    gateway = pipeline.gateway_or_default(gateway)
    prepared = pipeline.prepare(spec, input_of(db, item))
    if prepared.decided is not None:
        raise KnownError(
            f"item {item_id}'s input is decided before any model call: {prepared.decided.reason}"
        )
    compared: list[Comparison] = []

    def record(outcome: Outcome) -> None:  # in the calls' transaction
        result = Comparison(item_id, spec.name, original_side(item), _side(model.strip(), outcome))
        detail = {"original": asdict(result.original), "other": asdict(result.other)}
        eventlog.append(db, "item.compared", workflow=spec.name, item_id=item_id, detail=detail)
        compared.append(result)

    records.answer_one(
        db,
        gateway,
        spec,
        prepared,
        Route(model.strip(), api_base, fallbacks=()),
        purpose="compare",
        global_month_cap=global_month_cap,
        item_id=item_id,
        record=record,
    )
    return compared[0]


def keep(db: sqlite_utils.Database, comparison: Comparison) -> int:
    """The compared output as a new inbox item (in the original's run); its id."""
    other = comparison.other
    if other.status == "skipped":
        raise KnownError("the other model gave no output to keep")
    item = item_rows.get_item(db, comparison.item_id)
    draft = ItemDraft(
        workflow=item["workflow"],
        run_id=item["run_id"],
        run_input_id=None,
        status=ItemState(other.status),
        input_name=item["input_name"],
        input_text=item["input_text"],
        output=other.output,
        reason=other.reason,
        model=other.model,
        cost_usd=other.cost_usd,
        latency_ms=other.latency_ms,
        tokens_in=other.tokens_in,
        tokens_out=other.tokens_out,
        note={"kept_from_comparison_of": comparison.item_id},
    )
    with transaction(db):
        new_id = records.record_item(db, draft)
    return new_id
