"""Edits that teach: a decided item becomes an example of its workflow (``signoff example
ID``, the inbox's *Keep as an example*), and the workflow is tested on its examples
(``signoff test NAME``).

A test runs the spec on each example's input through the pipeline (the prompt, the caps,
the call, the output contract, one retry), makes no item, and records its calls with
purpose ``test``: they count as spend. A case *breaks* when the answer fails the output
contract (it would be escalated); it *drifts* when it is far from what a person approved:
a character similarity (``difflib``'s ratio: twice the matching characters over both
lengths, 1 for the same text) under ``FAR``; for a rejected example, when the new answer
is as good as the rejected one again (similarity at least ``SAME``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.core import examples
from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec
from desktop_app.core.states import ItemState
from desktop_app.services import pipeline, records
from desktop_app.services.spec_files import write_atomically
from desktop_app.storage import eventlog, item_rows
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.services.pipeline import ModelGateway, Route

FAR = 0.6  # an answer less similar than this to the approved one has drifted
SAME = 0.9  # an answer this similar to a rejected one repeats it


def add_example(db: sqlite_utils.Database, workflows_dir: Path, item_id: int) -> Path:
    """Keep decided item ``item_id`` (edited then approved, or rejected) as an example of
    its workflow; returns the file. Kept again, it is written again (one file an item)."""
    item = item_rows.get_item(db, item_id)
    approved = item["status"] is ItemState.APPROVED
    edited = approved and item["output"] != item["original_output"]
    if not edited and item["status"] is not ItemState.REJECTED:
        raise KnownError(
            f"item {item_id} is {item['status']}"
            + (" as the model wrote it" if approved else "")
            + ": an example is an item a person edited or rejected"
        )
    folder = workflows_dir / item["workflow"]
    if not (folder / "workflow.toml").is_file():
        raise KnownError(
            f"the workflow '{item['workflow']}' of item {item_id} is not in {workflows_dir}"
        )
    example = examples.Example(
        input_name=item["input_name"],
        input=item["input_text"],
        output=item["output"],
        verdict="approved" if edited else "rejected",
        reason=item["reject_reason"] if not edited else None,
        decided_by=item["decided_by"],
        decided_at=item["decided_at"],
        item_id=item_id,
        model_output=item["original_output"] if edited else None,
    )
    path = folder / examples.FOLDER / f"item-{item_id}.json"
    write_atomically(path, json.dumps(example.as_dict(), indent=2, ensure_ascii=False) + "\n")
    with transaction(db):
        eventlog.append(
            db,
            "example.added",
            workflow=item["workflow"],
            run_id=item["run_id"],
            item_id=item_id,
            detail={"path": str(path), "verdict": example.verdict, "by": item["decided_by"]},
        )
    return path


def similarity(a: str, b: str) -> float:
    """1 for the same text, 0 for nothing in common (see the module's doc)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass
class Case:
    example: str  # the example's file name
    verdict: str  # what the person decided: approved | rejected
    status: str  # what the item would be now: pending | escalated | skipped
    similarity: float | None  # to the approved answer, or to the rejected one
    result: str  # ok | breaks | drifts
    reason: str  # in plain words
    output: str
    cost_usd: float | None = None


@dataclass
class TestReport:
    workflow: str
    model: str | None
    cases: list[Case] = field(default_factory=list)
    cost_usd: float | None = 0.0

    @property
    def failed(self) -> list[Case]:
        return [c for c in self.cases if c.result != "ok"]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": len(self.failed)}


def test_examples(
    db: sqlite_utils.Database,
    spec: Spec,
    route: Route,
    *,
    global_month_cap: float | None = None,
    gateway: ModelGateway | None = None,
) -> TestReport:
    """``spec`` on each of its examples (see the module's doc); no item is made."""
    found = examples.load_named(spec.folder)
    if not found:
        raise KnownError(
            f"workflow '{spec.name}' has no examples yet: keep an edited or rejected item "
            "as one (`signoff example ID`)"
        )
    if not spec.complete:
        raise KnownError(
            f"workflow '{spec.name}' is incomplete and cannot be tested: missing "
            + "; ".join(spec.missing)
        )
    gateway = pipeline.gateway_or_default(gateway)
    report = TestReport(workflow=spec.name, model=route.model_name(spec))
    for name, example in found:
        doc = InputDoc(key=f"example:{name}", name=example.input_name, text=example.input)
        outcome = records.answer_one(
            db,
            gateway,
            spec,
            pipeline.prepare(spec, doc),
            route,
            purpose="test",
            global_month_cap=global_month_cap,
        )
        case = _judge(name, example, outcome.status_word, outcome.output, outcome.reason)
        case.cost_usd = outcome.cost_usd
        report.cases.append(case)
        if outcome.cost_usd is None or report.cost_usd is None:
            report.cost_usd = None
        else:
            report.cost_usd += outcome.cost_usd
    return report


def _judge(name: str, example: examples.Example, status: str, output: str, why: str | None) -> Case:
    if status != "pending":
        reason = why or "the answer did not pass the output contract"
        return Case(name, example.verdict, status, None, "breaks", reason, output)
    score = similarity(output, example.output)
    if example.verdict == "approved" and score < FAR:
        reason = f"{score:.0%} like the approved answer (under {FAR:.0%})"
        return Case(name, example.verdict, status, score, "drifts", reason, output)
    if example.verdict == "rejected" and score >= SAME:
        reason = f"{score:.0%} like the answer that was rejected ({example.reason or 'no reason'})"
        return Case(name, example.verdict, status, score, "drifts", reason, output)
    like = "the approved answer" if example.verdict == "approved" else "the rejected one"
    return Case(name, example.verdict, status, score, "ok", f"{score:.0%} like {like}", output)
