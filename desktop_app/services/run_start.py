"""How a run starts: the one way for the command line, the window and the scheduler.

- ``options``: a run's options from Settings (model, server, fallbacks, the monthly cap
  for all workflows) and what this run names for itself.
- ``run_workflow``: first resume the workflow's interrupted runs, then run it on the
  given inputs, or on the new inputs of its folder or csv.
- ``resume_all``: every interrupted run, for a start after a crash (the window's).

A resumed run gets today's fallbacks and caps from Settings, keeps its own model, server
and trigger, and marks its inputs processed when it read its source (stored on the run,
``runs.reads_source``), so an input is never made into two items.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.money import usd
from desktop_app.core.spec_model import Spec
from desktop_app.core.states import RunState
from desktop_app.services import catalogue, settings
from desktop_app.services.runner import (
    NO_HOOKS,
    Hooks,
    IncompleteSpecError,
    Runner,
    RunOptions,
    RunSummary,
    source_inputs,
)
from desktop_app.storage import input_rows, run_rows

if TYPE_CHECKING:
    import sqlite_utils


@dataclass
class Runs:
    """What one start came to: the runs resumed, then the new one (if any)."""

    summaries: list[RunSummary] = field(default_factory=list)
    nothing_new: bool = False  # read the source and found nothing new: no new run
    problems: list[str] = field(default_factory=list)  # interrupted runs that could not resume
    # a run over more new inputs than Settings allows without asking: not started, and why
    # (with the projected cost); the same call with ``confirmed=True`` starts it
    held: str | None = None


def options(
    chosen: settings.Settings,
    *,
    model: str | None = None,
    api_base: str | None = None,
    concurrency: int = 4,
    trigger: str = "manual",
    reads_source: bool = False,
) -> RunOptions:
    """A run's options: what the run names for itself, else Settings, else the spec's."""
    return RunOptions(
        model=chosen.run_model(model),
        api_base=chosen.run_api_base(api_base),
        fallbacks=chosen.run_fallbacks(),
        global_month_cap=chosen.monthly_budget_usd,
        concurrency=concurrency,
        trigger=trigger,
        reads_source=reads_source,
    )


def run_workflow(
    db: sqlite_utils.Database,
    spec: Spec,
    data_dir: Path,
    *,
    inputs: Sequence[InputDoc] | None = None,
    model: str | None = None,
    api_base: str | None = None,
    concurrency: int = 4,
    trigger: str | None = None,
    hooks: Hooks = NO_HOOKS,
    confirmed: bool = False,
) -> Runs:
    """Resume ``spec``'s interrupted runs, then run it on ``inputs`` (None: the new inputs of
    its folder or csv source). More new inputs than Settings' ``ask_over_inputs`` are held
    (``Runs.held``) unless ``confirmed``."""
    reads_source = inputs is None
    if reads_source and spec.input.kind == "text":
        raise KnownError(
            f"workflow '{spec.name}' takes one input: give --input PATH or --text TEXT"
        )
    if not spec.complete:
        raise IncompleteSpecError(spec)
    chosen = settings.load(data_dir)
    runner = hooks.runner(db)
    resume_options = options(chosen, model=model, api_base=api_base, concurrency=concurrency)
    done = Runs()
    resumed = interrupted(db, spec.name)
    for run_id in resumed:
        if runner.cancel.is_set():
            return done
        if hooks.on_resume is not None:
            hooks.on_resume(run_id, spec.name)
        done.summaries.append(runner.resume(spec, run_id, resume_options))
    if runner.cancel.is_set():
        return done
    if reads_source:
        inputs = source_inputs(db, spec, data_dir)
        if not inputs:
            done.nothing_new = True
            return done
    elif resumed and inputs:
        # The same command again after an interruption: what the resumed runs held was
        # just finished by them; the rest is new (an input is never paid for twice).
        taken = input_rows.input_keys(db, resumed)
        inputs = [doc for doc in inputs if doc.key not in taken]
        if not inputs:
            done.nothing_new = True
            return done
    assert inputs is not None
    if not confirmed and len(inputs) > chosen.ask_over_inputs:
        done.held = _hold(runner, spec, inputs, chosen, model, api_base)
        return done
    run_options = options(
        chosen,
        model=model,
        api_base=api_base,
        concurrency=concurrency,
        trigger=trigger or ("source" if reads_source else "manual"),
        reads_source=reads_source,
    )
    summary = runner.run(spec, inputs, run_options)
    done.summaries.append(summary)
    if reads_source and spec.input.kind == "mailbox":  # the mail program shows what was taken
        from desktop_app.services import mailbox

        taken = set(input_rows.processed_keys(db, summary.run_id))
        with contextlib.suppress(KnownError):  # the server gone: the next read marks them
            mailbox.mark_taken(spec, data_dir, [doc for doc in inputs if doc.key in taken])
    return done


def _hold(
    runner: Runner,
    spec: Spec,
    inputs: Sequence[InputDoc],
    chosen: settings.Settings,
    model: str | None,
    api_base: str | None,
) -> str:
    """Why a run of ``len(inputs)`` inputs waits for a yes: the count and what it would cost."""
    projected = projected_cost(
        runner, spec, inputs, options(chosen, model=model, api_base=api_base)
    )
    cost = (
        "an unknown amount (no price for its model)"
        if projected is None
        else f"about {usd(projected)}"
    )
    return (
        f"'{spec.name}' has {len(inputs):,} new inputs, more than the {chosen.ask_over_inputs:,}"
        f" a run takes without asking: it would make {len(inputs):,} model calls, costing"
        f" {cost}. Nothing was run"
    )


def projected_cost(
    runner: Runner,
    spec: Spec,
    inputs: Sequence[InputDoc],
    run_options: RunOptions,
    sample: int = 20,
) -> float | None:
    """The most a run over ``inputs`` can cost, from the gateway's estimate over the first
    ``sample`` of them (prompt plus ``max_tokens`` of answer); None when a price is unknown."""
    from desktop_app.services import pipeline

    route = run_options.route
    taken = list(inputs[:sample])
    total = 0.0
    for doc in taken:
        prepared = pipeline.prepare(spec, doc)
        if prepared.decided is not None:
            continue  # no call for it
        _tokens, cost = runner.gateway.estimate(
            route.model_spec(spec), prepared.messages, model=route.model_name(spec)
        )
        if cost is None:
            return None
        total += cost
    return total / len(taken) * len(inputs) if taken else 0.0


def resume_all(
    db: sqlite_utils.Database,
    workflows_dir: Path,
    data_dir: Path,
    hooks: Hooks = NO_HOOKS,
) -> Runs:
    """Every interrupted run, each on its workflow's current spec. A run whose spec cannot
    be loaded or is incomplete stays interrupted, with the reason in ``problems``."""
    done = Runs()
    pending = [(r["id"], r["workflow"]) for r in run_rows.runs_in_state(db, RunState.INTERRUPTED)]
    if not pending:
        return done
    chosen = settings.load(data_dir)
    runner = hooks.runner(db)
    resume_options = options(chosen)
    specs: dict[str, Spec] = {}
    for run_id, workflow in pending:
        if runner.cancel.is_set():
            break
        try:
            spec = specs.get(workflow) or catalogue.find(workflows_dir, workflow)
            if not spec.complete:
                raise IncompleteSpecError(spec)
        except KnownError as exc:
            done.problems.append(f"run {run_id} of '{workflow}' stays interrupted: {exc}")
            continue
        specs[workflow] = spec
        if hooks.on_resume is not None:
            hooks.on_resume(run_id, workflow)
        done.summaries.append(runner.resume(spec, run_id, resume_options))
    return done


def interrupted(db: sqlite_utils.Database, workflow: str | None = None) -> list[int]:
    """The ids of interrupted runs (of ``workflow``), oldest first."""
    return [r["id"] for r in run_rows.runs_in_state(db, RunState.INTERRUPTED, workflow)]
