"""Runs and their model calls as they were recorded: what the OpenTelemetry export
(``services/otel.py``) turns into spans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike


class RunRow(NamedTuple):
    id: int
    workflow: str
    trigger: str
    state: str
    model: str | None
    started_at: str
    finished_at: str | None
    n_inputs: int
    n_items: int
    cost_usd: float | None


class CallRow(NamedTuple):
    id: int
    run_id: int | None
    workflow: str | None
    model: str
    attempt: int
    ok: int
    error: str | None
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    latency_ms: int | None
    at: str
    purpose: str


def _between(
    column: str, since: str | None, until: str | None, workflow: str | None
) -> tuple[str, list[Any]]:
    where, args = [], []
    if since:
        where.append(f"{column} >= ?")
        args.append(since)
    if until:
        where.append(f"{column} < ?")
        args.append(until)
    if workflow:
        where.append("workflow = ?")
        args.append(workflow)
    return (" WHERE " + " AND ".join(where)) if where else "", args


def runs(
    db: DatabaseLike, *, since: str | None, until: str | None, workflow: str | None
) -> Iterator[RunRow]:
    where, args = _between("started_at", since, until, workflow)
    sql = (
        "SELECT id, workflow, trigger, state, model, started_at, finished_at, n_inputs, n_items,"
        f" cost_usd FROM runs{where} ORDER BY id"
    )
    return (RunRow(*row) for row in db.execute(sql, args))


def calls(
    db: DatabaseLike, *, since: str | None, until: str | None, workflow: str | None
) -> Iterator[CallRow]:
    """Every recorded call (runs' and the others': profiles, comparisons, try-outs…)."""
    where, args = _between("at", since, until, workflow)
    sql = (
        "SELECT id, run_id, workflow, model, attempt, ok, error, tokens_in, tokens_out,"
        f" cost_usd, latency_ms, at, purpose FROM model_calls{where} ORDER BY id"
    )
    return (CallRow(*row) for row in db.execute(sql, args))
