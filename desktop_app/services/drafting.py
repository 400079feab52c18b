"""Draft a workflow's spec from a person's description: ``signoff draft`` and the window's
*Draft from a description*.

The drafting prompt is itself a bundled, complete spec (``resources/drafting``), run
through the pipeline like any other: its calls are checked against its output contract,
budget-capped, logged and costed (purpose ``draft``). The draft is then put to the
checker ``signoff check`` uses; one with problems is asked for again once, with the
checker's messages, and is then returned with whatever problems remain. Nothing is saved
here: the caller shows the draft for review (the editor) or writes it as a new workflow
the person asked for (the command line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core import spec_keys
from desktop_app.core.errors import KnownError, SpecProblem
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.paths import bundled_dir
from desktop_app.core.spec_loader import check_text, load_spec
from desktop_app.core.spec_model import Spec
from desktop_app.services import pipeline, records
from desktop_app.services.pipeline import ModelGateway, Outcome, Route

if TYPE_CHECKING:
    import sqlite_utils

MAX_EXAMPLES = 3
EXAMPLE_CHARS = 4000
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


@dataclass
class Draft:
    name: str
    text: str  # the drafted workflow.toml
    spec: Spec | None  # None: it does not load (its problems say why)
    problems: list[SpecProblem] = field(default_factory=list)
    cost_usd: float | None = 0.0
    calls: int = 0
    tries: int = 0

    @property
    def passes(self) -> bool:
        return self.spec is not None and not self.problems


def drafting_spec() -> Spec:
    return load_spec(bundled_dir("resources") / "drafting" / "workflow.toml")


def request_text(name: str, description: str, examples: list[InputDoc]) -> str:
    """What the drafting spec is given: the task, the name, the examples and the format."""
    keys = "\n".join(
        f"- {k.name} ({k.type}{', required' if k.required else ''}"
        + (f"; one of {', '.join(k.choices)}" if k.choices else "")
        + f"): {k.description}"
        for k in spec_keys.KEYS
        if k.type not in (spec_keys.TABLE,) or k.name == "output.json_schema"
    )
    shown = "\n\n".join(
        f"--- example {n}: {doc.name}\n{doc.text[:EXAMPLE_CHARS]}"
        for n, doc in enumerate(examples[:MAX_EXAMPLES], start=1)
    )
    return (
        f"The task, as the person describes it:\n{description.strip()}\n\n"
        f'The workflow\'s name: "{name}"\n\n'
        + (f"Example inputs:\n{shown}\n\n" if shown else "")
        + "The keys a workflow.toml may have (tables in brackets: [model], [input], [criteria],"
        " [prompt], [output], [[failure_modes]], [schedule], [review], [budget], [action]):\n"
        + keys
        + "\n\nThe prompt templates are Jinja2 and may use {{ input.text }}, {{ input.name }},"
        " {{ input.fields.COLUMN }}, {{ workflow }} and {{ criteria }}."
    )


def draft_spec(
    db: sqlite_utils.Database,
    workflows_dir: Path,
    name: str,
    description: str,
    examples: list[InputDoc],
    route: Route,
    *,
    global_month_cap: float | None = None,
    gateway: ModelGateway | None = None,
) -> Draft:
    """Ask the model for a spec; ask once more, with the checker's messages, if it has
    problems. Raises KnownError when the model gives nothing usable at all."""
    if not description.strip():
        raise KnownError("describe the task in a few sentences first")
    spec = drafting_spec()
    gateway = pipeline.gateway_or_default(gateway)
    target = workflows_dir / name / "workflow.toml"
    request = request_text(name, description, examples)
    draft = Draft(name, "", None)
    for attempt in (1, 2):
        outcome = _ask(db, spec, name, request, route, global_month_cap, gateway)
        draft.tries = attempt
        draft.calls += len(outcome.attempts)
        cost = outcome.cost_usd
        draft.cost_usd = None if cost is None or draft.cost_usd is None else draft.cost_usd + cost
        if not outcome.output.strip():
            raise KnownError(f"the model gave no draft: {outcome.reason or 'no answer'}")
        draft.text = _unfenced(outcome.output)
        draft.spec, draft.problems = check_text(target, draft.text)
        if draft.passes:
            break
        said = "\n".join(f"line {p.line}: {p.message}" for p in draft.problems)
        request = (
            f"{request_text(name, description, examples)}\n\nYour draft was:\n{draft.text}\n\n"
            f"The checker says:\n{said}\n\nWrite the whole corrected workflow.toml."
        )
    return draft


def _ask(
    db: sqlite_utils.Database,
    spec: Spec,
    name: str,
    request: str,
    route: Route,
    global_month_cap: float | None,
    gateway: ModelGateway,
) -> Outcome:
    doc = InputDoc(key=f"draft:{name}", name=name, text=request)
    return records.answer_one(
        db, gateway, spec, pipeline.prepare(spec, doc), route,
        purpose="draft", global_month_cap=global_month_cap, workflow=name,
    )  # fmt: skip


def _unfenced(text: str) -> str:
    """The TOML itself, when the model wrapped it in a Markdown code fence anyway."""
    found = _FENCE.match(text)
    body = found.group(1) if found else text.strip()
    return body.rstrip() + "\n"
