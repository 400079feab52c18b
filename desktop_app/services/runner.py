"""Run a workflow: inputs -> the pipeline -> one item per input, as a recorded run.

The steps for each input are the pipeline's (``services/pipeline``); this module adds
what makes them a run: the ``runs`` row with every input recorded before any model call,
the budget of the run as a whole, progress, cancel, and the end of the run. Model calls
go to a pool of network threads; everything that touches the database happens on the
thread that called ``run``, one short transaction per input. A crash loses at most the
inputs in flight, and those are still ``queued`` in ``run_inputs``: ``resume`` runs them
again, and the unique ``items.run_input_id`` makes a duplicate item impossible.

How a run is started (options from Settings, resuming interrupted runs first) is
``services/run_start``: callers go through it, not straight here.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import Spec
from desktop_app.core.states import ItemState, RunState
from desktop_app.services import call_pool, catalogue, pipeline, records
from desktop_app.services.budget_guard import BudgetGuard
from desktop_app.services.pipeline import ModelGateway, Outcome, Prepared, Route
from desktop_app.storage import eventlog, input_rows, run_rows
from desktop_app.storage.db import CursorLike, transaction
from desktop_app.storage.input_rows import RunInput

if TYPE_CHECKING:
    import sqlite_utils


STOPPED = "stopped by a signal before every input was done (SIGTERM or Ctrl+C)"


class IncompleteSpecError(KnownError):
    """The essay's first rule: a workflow with a missing part does not run."""

    def __init__(self, spec: Spec):
        parts = "; ".join(spec.missing)
        super().__init__(
            f"workflow '{spec.name}' is incomplete and cannot run: missing {parts} ({spec.path})"
        )


@dataclass(frozen=True)
class RunOptions:
    """How one run goes. Built from Settings by ``services.run_start.options``."""

    model: str | None = None  # overrides the spec's model (the CLI's --model)
    api_base: str | None = None  # overrides the spec's api_base (--api-base)
    trigger: str = "manual"  # manual | source | schedule | catch-up
    concurrency: int = 4
    fallbacks: tuple[str, ...] | None = None  # replace the spec's fallbacks (Settings)
    global_month_cap: float | None = None  # USD for all workflows this month (Settings)
    reads_source: bool = False  # inputs came from the configured folder/csv: mark them processed

    @property
    def route(self) -> Route:
        return Route(self.model, self.api_base, self.fallbacks)


@dataclass
class RunSummary:
    run_id: int
    workflow: str
    state: RunState = RunState.RUNNING
    inputs: int = 0
    item_ids: list[int] = field(default_factory=list)
    pending: int = 0
    escalated: int = 0
    skipped: int = 0
    unreadable: int = 0  # inputs that could not be read (each an escalated item or a skip)
    cost_usd: float | None = 0.0
    answered: int = 0  # inputs a model answered (a run whose every call failed: 0)
    resumed: bool = False
    blocked: str | None = None  # why a budget cap stopped the run, if one did

    def describe(self) -> str:
        """The run in one line, as the command line and ``serve`` say it."""
        from desktop_app.core.money import cost_text

        cost = cost_text(self.cost_usd, answered=bool(self.answered))
        bad = f" ({self.unreadable} could not be read)" if self.unreadable else ""
        return (
            f"run {self.run_id} {self.state}: {self.inputs} input(s){bad}, {self.pending} pending,"
            f" {self.escalated} escalated, {self.skipped} skipped, cost {cost}"
        )


ItemCallback = Callable[[int, str], None]
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Hooks:
    """Where a run's model calls go, whom it tells, and what stops it (all optional)."""

    gateway: ModelGateway | None = None
    on_item: ItemCallback | None = None  # (item id, status) as each item is written
    on_progress: ProgressCallback | None = None  # (done, total) inputs of the current run
    on_resume: ItemCallback | None = None  # (run id, workflow) before a run is resumed
    cancel: threading.Event | None = None  # set: no new model call starts
    # set (with ``cancel``) by SIGTERM or Ctrl+C: the calls under way finish and are written,
    # then the run is left ``interrupted``, for the next ``signoff run`` to resume
    interrupt: threading.Event | None = None

    def runner(self, db: sqlite_utils.Database) -> Runner:
        return Runner(
            db,
            self.gateway,
            on_item=self.on_item,
            on_progress=self.on_progress,
            cancel=self.cancel,
            interrupt=self.interrupt,
        )


NO_HOOKS = Hooks()  # the default: an in-process gateway, nobody told, never cancelled


class Runner:
    """Runs workflows against one database; ``gateway`` makes the model calls."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        gateway: ModelGateway | None = None,
        *,
        on_item: ItemCallback | None = None,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        interrupt: threading.Event | None = None,
    ):
        self.db = db
        self.gateway = pipeline.gateway_or_default(gateway)
        self.on_item = on_item
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()
        self.interrupt = interrupt or threading.Event()

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
        route = options.route
        model = route.model_name(spec)
        api_base = route.base(spec)
        with transaction(self.db):
            run_id, run_inputs = run_rows.create_run(
                self.db,
                workflow=spec.name,
                version_id=version_id,
                trigger=options.trigger,
                model=model,
                api_base=api_base,
                inputs=inputs,
                reads_source=options.reads_source,
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
                    "fallbacks": list(route.model_spec(spec).fallbacks),
                    "inputs": len(run_inputs),
                    "spec_version": spec.version,
                },
            )
        summary = RunSummary(run_id, spec.name, inputs=len(run_inputs))
        return self._process(spec, run_id, run_inputs, options, summary)

    def resume(self, spec: Spec, run_id: int, options: RunOptions | None = None) -> RunSummary:
        """Run again the inputs an interrupted run never finished (no input gets two items).

        The run keeps its trigger and whether it read its source, and its own model and
        server unless ``options`` names others (``--model``, Settings); ``options`` brings
        the rest (fallbacks, the monthly cap, concurrency)."""
        options = options or RunOptions()
        if not spec.complete:
            raise IncompleteSpecError(spec)
        catalogue.sync_version(self.db, spec)
        with transaction(self.db):
            run = run_rows.get_run(self.db, run_id)
            run_rows.set_run_state(self.db, run_id, RunState.RUNNING)
            queued = input_rows.queued_inputs(self.db, run_id)
            eventlog.append(
                self.db,
                "run.resumed",
                workflow=spec.name,
                run_id=run_id,
                detail={"inputs_left": len(queued), "spec_version": spec.version},
            )
        options = replace(
            options,
            model=options.model or run["model"],
            api_base=options.api_base or run["api_base"],
            trigger=run["trigger"],
            reads_source=bool(run["reads_source"]),
        )
        summary = RunSummary(run_id, spec.name, inputs=len(queued), resumed=True)
        return self._process(spec, run_id, queued, options, summary)

    # --- the loop ---------------------------------------------------------------------------

    def _process(
        self,
        spec: Spec,
        run_id: int,
        run_inputs: Sequence[RunInput],
        options: RunOptions,
        summary: RunSummary,
    ) -> RunSummary:
        started = time.perf_counter()
        total, done = len(run_inputs), 0
        route = options.route
        guard = BudgetGuard(
            self.db, self.gateway, spec, route, global_month_cap=options.global_month_cap
        )
        reserved: dict[int, float] = {}  # run input id -> estimate of its call in flight

        def admitted() -> Iterator[tuple[RunInput, Prepared]]:
            """Each input prepared and past the budget (or decided), drawn as calls finish."""
            for run_input in run_inputs:
                if summary.blocked:
                    prepared = Prepared(run_input.doc, decided=pipeline.not_run(summary.blocked))
                else:
                    prepared = pipeline.prepare(spec, run_input.doc)
                if prepared.decided is None:
                    admission = guard.admit(
                        prepared.messages,
                        run_spent=summary.cost_usd or 0.0,
                        in_flight=sum(reserved.values()),
                    )
                    if admission.blocked is not None:
                        summary.blocked = admission.message
                        prepared.decided = guard.blocked_outcome(admission)
                    else:
                        reserved[run_input.id] = admission.estimate or 0.0
                yield run_input, prepared

        def ask(job: tuple[RunInput, Prepared]) -> Outcome:
            return pipeline.answer(self.gateway, spec, job[1], route)

        state, error = RunState.FINISHED, None
        answers = call_pool.map_concurrently(
            admitted(),
            ask,
            limit=options.concurrency,
            cancel=self.cancel,
            name=f"signoff-{spec.name}",
        )
        try:
            with contextlib.closing(answers):  # on any exception: wait for calls under way
                for finished in answers:
                    made: list[tuple[int, ItemState]] = []
                    with transaction(self.db):  # what finished together: one transaction
                        # The log's end and the items' rows first, their ids read after: on
                        # a team database one message to the server, not one an item.
                        eventlog.will_append(self.db)
                        drafts = [
                            self._draft(spec, run_id, run_input, outcome, options)
                            for (run_input, _), outcome in finished
                        ]
                        written = [
                            None if d is None else records.write_item(self.db, d) for d in drafts
                        ]
                        for ((run_input, _), outcome), draft, row in zip(
                            finished, drafts, written, strict=True
                        ):
                            reserved.pop(run_input.id, None)
                            made += self._write(
                                spec, run_id, run_input, outcome, options, summary, (draft, row)
                            )
                    for item_id, status in made:  # told once they are there to be read
                        if self.on_item:
                            self.on_item(item_id, status.value)
                    done += len(finished)
                    self._progress(done, total)
            if done < total and self.interrupt.is_set():
                state, error = RunState.INTERRUPTED, STOPPED
            elif done < total:
                state = RunState.CANCELLED
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
            self._finish(spec, run_id, state, error, summary, time.perf_counter() - started)
        return summary

    # --- writing ----------------------------------------------------------------------------

    def _draft(
        self, spec: Spec, run_id: int, run_input: RunInput, outcome: Outcome, options: RunOptions
    ) -> records.ItemDraft | None:
        """The item an outcome makes (None: the input is skipped)."""
        if outcome.status is None:
            return None
        return records.ItemDraft.of(
            outcome,
            workflow=spec.name,
            run_id=run_id,
            run_input_id=run_input.id,
            doc=run_input.doc,
            model=options.route.model_name(spec),
        )

    def _write(
        self,
        spec: Spec,
        run_id: int,
        run_input: RunInput,
        outcome: Outcome,
        options: RunOptions,
        summary: RunSummary,
        item: tuple[records.ItemDraft | None, CursorLike | None],
    ) -> list[tuple[int, ItemState]]:
        """The item (its row written already: ``item``) or the skip, with every event it
        produced, in the caller's transaction; returns the item made (none for a skip)."""
        wf = spec.name
        item_id = None
        summary.unreadable += bool(run_input.doc.problem)
        with transaction(self.db):
            for call in outcome.calls:
                records.log_call(self.db, wf, run_id, run_input.id, call)
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
                input_rows.set_input_status(self.db, run_input.id, "skipped")
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
                draft, row = item
                assert draft is not None
                item_id = records.record_item(self.db, draft, row)
                input_rows.set_input_status(self.db, run_input.id, "done")
                if outcome.status is ItemState.ESCALATED:
                    summary.escalated += 1
                else:
                    summary.pending += 1
                summary.item_ids.append(item_id)
            if options.reads_source and not outcome.keep_unprocessed:
                input_rows.mark_processed(self.db, wf, run_input.doc, run_id, item_id)
        summary.answered += outcome.answered_by is not None
        cost = outcome.cost_usd
        summary.cost_usd = (
            None if (cost is None or summary.cost_usd is None) else summary.cost_usd + cost
        )
        if item_id is not None and outcome.status is not None:
            return [(item_id, outcome.status)]
        return []

    def _finish(
        self,
        spec: Spec,
        run_id: int,
        state: RunState,
        error: str | None,
        summary: RunSummary,
        seconds: float,
    ) -> None:
        kind = "run.interrupted" if state is RunState.INTERRUPTED else "run.finished"
        with transaction(self.db):
            run_rows.set_run_state(self.db, run_id, state, error=error)
            if state in (RunState.FAILED, RunState.CANCELLED):
                input_rows.release_queued(self.db, run_id)
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
                    "unreadable": summary.unreadable,
                    "cost_usd": summary.cost_usd,
                    "duration_ms": round(seconds * 1000),
                    "error": error,
                    "blocked": summary.blocked,
                },
            )
        summary.state = state

    def _progress(self, done: int, total: int) -> None:
        if self.on_progress:
            self.on_progress(done, total)


def source_inputs(db: sqlite_utils.Database, spec: Spec, data_dir: Path) -> list[InputDoc]:
    """New inputs from a workflow's configured source, its folder, csv or mailbox (each
    processed once, ever)."""
    if spec.input.kind == "mailbox":
        from desktop_app.services import mailbox

        return mailbox.new_messages(db, spec, data_dir)
    from desktop_app.services.inputs import read_inputs

    return [
        doc
        for doc in read_inputs(spec, data_dir)
        if not input_rows.is_processed(db, spec.name, doc)
    ]
