"""Scheduled runs: which enabled workflows are due, and running them (no Qt, no clock).

The window's QTimer asks ``due`` every little while and hands each result to ``run_due`` on
a background thread; a test passes its own ``now``. A scheduled run reads the workflow's
folder or csv source, where each input is processed once, ever, so a crash or a catch-up
never makes two items of one input. The slot is recorded as handled before the run starts:
a crash during the run is recovered by the interrupted-run machinery, never by running the
slot again.

Runs of one workflow never overlap: a workflow with a run in progress is not due. A spec
that changed since it was enabled is switched off (it needs a new cost profile).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.schedule import Plan, Schedule, plan
from desktop_app.core.spec_model import Spec
from desktop_app.services import run_start, switches
from desktop_app.services.runner import NO_HOOKS, Hooks
from desktop_app.storage import eventlog, run_rows
from desktop_app.storage import switches as switch_rows
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

_busy: set[str] = set()  # workflows with a scheduled run under way in this process
_busy_lock = threading.Lock()


@dataclass
class Due:
    workflow: str
    spec: Spec
    plan: Plan


@dataclass
class Fired:
    """What one due workflow came to: its runs, or why nothing ran."""

    workflow: str
    summaries: list = field(default_factory=list)
    note: str = ""


def _stamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _running(db: sqlite_utils.Database, workflow: str) -> bool:
    with _busy_lock:
        if workflow in _busy:
            return True
    return run_rows.has_running_run(db, workflow)


def due(
    db: sqlite_utils.Database, specs: dict[str, Spec | None], now: datetime | None = None
) -> list[Due]:
    """Enabled workflows with slots due at ``now``; switches off those whose spec changed
    or can no longer be read."""
    now = now or datetime.now(timezone.utc)
    found = []
    for name, state in switches.switch_states(db).items():
        if not state["enabled"]:
            continue
        spec = specs.get(name)
        if spec is None or spec.schedule is None:
            switches.disable(db, name, why="its spec is missing, invalid or has no schedule")
            continue
        if state["spec_hash"] and state["spec_hash"] != spec.version:
            switches.disable(
                db, name, why="its spec changed since it was enabled: profile it again"
            )
            continue
        if _running(db, name):
            continue
        anchor = _parse(state["enabled_at"])
        last = _parse(state["last_slot"]) if state["last_slot"] else None
        try:
            schedule = Schedule.from_spec(spec.schedule, anchor)
        except ValueError as exc:
            switches.disable(db, name, why=str(exc))
            continue
        todo = plan(schedule, last, now)
        if todo.last_slot != last and todo.last_slot is not None:
            found.append(Due(name, spec, todo))
    return found


def run_due(
    db: sqlite_utils.Database,
    item: Due,
    *,
    data_dir: Path,
    hooks: Hooks = NO_HOOKS,
) -> Fired:
    """Record the slots as handled, then one run per slot to run (catch-up runs say so)."""
    name, todo = item.workflow, item.plan
    with _busy_lock:
        if name in _busy:
            return Fired(name, note="a run of it is already under way")
        _busy.add(name)
    try:
        # ``due`` makes a Due only for a spec with a schedule and a slot to record.
        schedule = item.spec.schedule
        assert schedule is not None and todo.last_slot is not None
        with transaction(db):
            if not switch_rows.claim_slot(db, name, _stamp(todo.last_slot)):
                return Fired(name, note="another computer of the team took this slot")
            eventlog.append(
                db,
                "schedule.due",
                workflow=name,
                detail={
                    "slots": [_stamp(s) for s in todo.slots],
                    "missed": todo.missed,
                    "catch_up": todo.catch_up,
                    "rule": schedule.catch_up,
                    "next_at": _stamp(todo.next_at),
                },
            )
        fired = Fired(name)
        if not todo.slots:
            fired.note = f'{todo.missed} missed slot(s) dropped (catch_up = "none")'
            return fired
        for _slot in todo.slots:
            done = run_start.run_workflow(
                db,
                item.spec,
                data_dir,
                trigger="catch-up" if todo.catch_up else "schedule",
                hooks=hooks,
            )
            fired.summaries.extend(done.summaries)
            if done.held:  # nobody to ask: held until a person runs it (--yes) or raises the limit
                fired.note = (
                    f"{done.held}: run it with `signoff run {name} --yes`, or raise the limit"
                    " in Settings"
                )
                break
            if done.nothing_new:
                fired.note = "nothing new to process"
                break
        return fired
    finally:
        with _busy_lock:
            _busy.discard(name)
