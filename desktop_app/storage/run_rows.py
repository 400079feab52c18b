"""Runs (``runs``): one row per run, its state and what it found, made before any model
call so that a crash mid-run is found and resumed on the next start."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from desktop_app.core.errors import NotFoundError
from desktop_app.core.stamps import utcnow
from desktop_app.core.states import RunState, check_run_transition
from desktop_app.storage.db import DatabaseLike, new_id
from desktop_app.storage.input_rows import RunInput, insert_inputs

if TYPE_CHECKING:
    from desktop_app.core.inputdoc import InputDoc


class Run(TypedDict):
    """A ``runs`` row as stored (``state`` as its enum)."""

    id: int
    workflow: str
    version_id: int | None
    trigger: str
    state: RunState
    model: str
    api_base: str | None
    started_at: str
    finished_at: str | None
    pid: int | None
    host: str | None
    n_inputs: int
    n_items: int | None
    n_skipped: int | None
    cost_usd: float | None
    error: str | None
    reads_source: int


class RunBrief(TypedDict):
    """The newest run of a workflow, for a list of workflows (and its ``--json``)."""

    id: int
    state: RunState
    started_at: str
    finished_at: str | None


class RunOwner(TypedDict):
    """Which process ran a run: what recovery needs to tell a live run from a dead one."""

    id: int
    workflow: str
    pid: int | None
    host: str | None
    started_at: str


def hostname() -> str:
    import socket  # only when a run is recorded: ~5 ms off the window's start

    return socket.gethostname()


def create_run(
    db: DatabaseLike,
    *,
    workflow: str,
    version_id: int | None,
    trigger: str,
    model: str,
    api_base: str | None,
    inputs: Sequence[InputDoc],
    reads_source: bool = False,
) -> tuple[int, list[RunInput]]:
    """A run in state ``running`` with every input recorded before any model call.

    ``reads_source``: the inputs came from the workflow's folder or csv, and each is marked
    processed with its item (a resumed run does the same, whatever started it)."""
    cur = db.execute(
        "INSERT INTO runs (workflow, version_id, trigger, state, model, api_base, started_at,"
        " pid, host, n_inputs, reads_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            workflow,
            version_id,
            trigger,
            RunState.RUNNING.value,
            model,
            api_base or None,
            utcnow(),
            os.getpid(),
            hostname(),
            len(inputs),
            int(reads_source),
        ],
    )
    run_id = new_id(cur)
    return run_id, insert_inputs(db, run_id, inputs)


def get_run(db: DatabaseLike, run_id: int) -> Run:
    cur = db.execute("SELECT * FROM runs WHERE id = ?", [run_id])
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"no run {run_id}")
    run: dict[str, Any] = dict(zip([c[0] for c in cur.description], row))
    run["state"] = RunState(run["state"])
    return run  # type: ignore[return-value]  # the columns of ``runs`` are Run's keys


def set_run_state(
    db: DatabaseLike, run_id: int, new: RunState, *, error: str | None = None
) -> None:
    current = db.execute("SELECT state FROM runs WHERE id = ?", [run_id]).fetchone()
    if current is None:
        raise NotFoundError(f"no run {run_id}")
    check_run_transition(current[0], new)
    if new is RunState.RUNNING:  # resumed by this process
        db.execute(
            "UPDATE runs SET state = ?, pid = ?, host = ?, finished_at = NULL WHERE id = ?",
            [new.value, os.getpid(), hostname(), run_id],
        )
        return
    finished = utcnow()
    db.execute(
        "UPDATE runs SET state = ?, finished_at = ?, error = coalesce(?, error),"
        " n_items = (SELECT count(*) FROM items WHERE run_id = runs.id),"
        " n_skipped = (SELECT count(*) FROM run_inputs WHERE run_id = runs.id AND status = 'skipped'),"
        " cost_usd = (SELECT sum(cost_usd) FROM model_calls WHERE run_id = runs.id)"
        " WHERE id = ?",
        [new.value, finished, error, run_id],
    )


def run_state(db: DatabaseLike, run_id: int) -> RunState | None:
    row = db.execute("SELECT state FROM runs WHERE id = ?", [run_id]).fetchone()
    return RunState(row[0]) if row else None


def last_run(db: DatabaseLike, workflow: str) -> RunBrief | None:
    """The newest run of ``workflow``."""
    row = db.execute(
        "SELECT id, state, started_at, finished_at FROM runs WHERE workflow = ?"
        " ORDER BY id DESC LIMIT 1",
        [workflow],
    ).fetchone()
    if row is None:
        return None
    return {"id": row[0], "state": RunState(row[1]), "started_at": row[2], "finished_at": row[3]}


def has_running_run(db: DatabaseLike, workflow: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM runs WHERE workflow = ? AND state = ? LIMIT 1",
        [workflow, RunState.RUNNING.value],
    ).fetchone()
    return row is not None


def runs_in_state(db: DatabaseLike, state: RunState, workflow: str | None = None) -> list[RunOwner]:
    sql = "SELECT id, workflow, pid, host, started_at FROM runs WHERE state = ?"
    args: list[Any] = [state.value]
    if workflow:
        sql += " AND workflow = ?"
        args.append(workflow)
    return [
        {"id": r[0], "workflow": r[1], "pid": r[2], "host": r[3], "started_at": r[4]}
        for r in db.execute(sql + " ORDER BY id", args).fetchall()
    ]


class RunElsewhere(TypedDict):
    """The newest run of a workflow made on another computer, with the spec it used."""

    host: str
    started_at: str
    spec_hash: str


def last_run_elsewhere(db: DatabaseLike, workflow: str, host: str) -> RunElsewhere | None:
    """The newest run of ``workflow`` that a computer other than ``host`` made (a team's
    database), and the hash of the spec version it ran on."""
    row = db.execute(
        "SELECT r.host, r.started_at, v.hash FROM runs r JOIN workflow_versions v"
        " ON v.id = r.version_id WHERE r.workflow = ? AND r.host IS NOT NULL AND r.host != ?"
        " ORDER BY r.id DESC LIMIT 1",
        [workflow, host],
    ).fetchone()
    if row is None:
        return None
    return {"host": row[0], "started_at": row[1], "spec_hash": row[2]}
