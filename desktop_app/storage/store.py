"""Runs, run inputs, items, decisions and spec versions: the rows behind the inbox.

Functions here read and write rows only; they take an open database and, for
writes, expect to run inside ``transaction(db)`` together with the matching
activity-log events (services decide *what* happens, this module *how it is stored*).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from desktop_app.core.errors import NotFoundError
from desktop_app.core.states import ItemState, RunState, check_run_transition
from desktop_app.storage.db import DatabaseLike, utcnow

if TYPE_CHECKING:
    import sqlite3

    from desktop_app.core.inputdoc import InputDoc
    from desktop_app.storage.search import Where

ITEM_COLUMNS = (
    "id, workflow, run_id, run_input_id, status, input_name, input_text, output, original_output, "
    "reason, reject_reason, model, cost_usd, latency_ms, tokens_in, tokens_out, checks_json, "
    "created_at, decided_at, decided_by, diff"
)
SUMMARY_COLUMNS = (
    "id, workflow, run_id, status, input_name, substr(output, 1, 200), reason, reject_reason, "
    "model, cost_usd, created_at, decided_at, decided_by"
)


def hostname() -> str:
    import socket  # only when a run is recorded: ~5 ms off the window's start

    return socket.gethostname()


def _new_id(cur: sqlite3.Cursor) -> int:
    """The rowid an ``INSERT`` just made (always set after a successful insert)."""
    rowid = cur.lastrowid
    assert rowid is not None
    return rowid


class RunInput(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    id: int
    run_id: int
    doc: InputDoc
    status: str


# --- spec versions -------------------------------------------------------------------------


def latest_version(db: DatabaseLike, workflow: str) -> tuple[int, str, str] | None:
    """(id, hash, spec_text) of the newest recorded version of ``workflow``."""
    row = db.execute(
        "SELECT id, hash, spec_text FROM workflow_versions WHERE workflow = ? ORDER BY id DESC LIMIT 1",
        [workflow],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def insert_version(db: DatabaseLike, workflow: str, hash_: str, path: str, text: str) -> int:
    cur = db.execute(
        "INSERT INTO workflow_versions (workflow, hash, path, spec_text, created_at) VALUES (?, ?, ?, ?, ?)",
        [workflow, hash_, path, text, utcnow()],
    )
    return _new_id(cur)


# --- runs ----------------------------------------------------------------------------------


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
    run_id = _new_id(cur)
    run_inputs = []
    seen: set[str] = set()
    for doc in inputs:
        key = doc.key
        if key in seen:  # the same input twice in one run: keep both, distinctly keyed
            key = f"{key}#{len(seen)}"
        seen.add(key)
        c = db.execute(
            "INSERT INTO run_inputs (run_id, input_key, input_name, input_text, fields_json,"
            " content_hash, problem, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                key,
                doc.name,
                doc.text,
                json.dumps(doc.fields, ensure_ascii=False) if doc.fields else None,
                doc.content_hash,
                doc.problem or None,
                doc.note or None,
            ],
        )
        run_inputs.append(RunInput(_new_id(c), run_id, doc, "queued"))
    return run_id, run_inputs


def get_run(db: DatabaseLike, run_id: int) -> dict[str, Any]:
    cur = db.execute("SELECT * FROM runs WHERE id = ?", [run_id])
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"no run {run_id}")
    return dict(zip([c[0] for c in cur.description], row))


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


def last_run(db: DatabaseLike, workflow: str) -> dict[str, Any] | None:
    """The newest run of ``workflow``: id, state, started_at, finished_at."""
    row = db.execute(
        "SELECT id, state, started_at, finished_at FROM runs WHERE workflow = ?"
        " ORDER BY id DESC LIMIT 1",
        [workflow],
    ).fetchone()
    if row is None:
        return None
    return {"id": row[0], "state": row[1], "started_at": row[2], "finished_at": row[3]}


def has_running_run(db: DatabaseLike, workflow: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM runs WHERE workflow = ? AND state = 'running' LIMIT 1", [workflow]
    ).fetchone()
    return row is not None


def runs_in_state(db: DatabaseLike, state: RunState, workflow: str | None = None) -> list[dict]:
    sql = "SELECT id, workflow, pid, host, started_at FROM runs WHERE state = ?"
    args: list[Any] = [state.value]
    if workflow:
        sql += " AND workflow = ?"
        args.append(workflow)
    cur = db.execute(sql + " ORDER BY id", args)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def queued_inputs(db: DatabaseLike, run_id: int) -> list[RunInput]:
    from desktop_app.core.inputdoc import InputDoc

    rows = db.execute(
        "SELECT id, run_id, input_key, input_name, input_text, fields_json, problem, note"
        " FROM run_inputs WHERE run_id = ? AND status = 'queued' ORDER BY id",
        [run_id],
    ).fetchall()
    return [
        RunInput(
            r[0],
            r[1],
            InputDoc(
                key=r[2],
                name=r[3],
                text=r[4],
                fields=json.loads(r[5]) if r[5] else {},
                problem=r[6] or "",
                note=r[7] or "",
            ),
            "queued",
        )
        for r in rows
    ]


def set_input_status(db: DatabaseLike, run_input_id: int, status: str) -> None:
    db.execute("UPDATE run_inputs SET status = ? WHERE id = ?", [status, run_input_id])


# --- processed inputs (configured sources: each input once, ever) ---------------------------


def is_processed(db: DatabaseLike, workflow: str, doc: InputDoc) -> bool:
    row = db.execute(
        "SELECT 1 FROM processed_inputs WHERE workflow = ? AND input_key = ? AND content_hash = ?",
        [workflow, doc.key, doc.content_hash],
    ).fetchone()
    return row is not None


def mark_processed(
    db: DatabaseLike, workflow: str, doc: InputDoc, run_id: int, item_id: int | None
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO processed_inputs (workflow, input_key, content_hash, run_id, item_id, processed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [workflow, doc.key, doc.content_hash, run_id, item_id, utcnow()],
    )


# --- model calls -----------------------------------------------------------------------------


def record_model_call(db: DatabaseLike, **row: Any) -> None:
    row.setdefault("at", utcnow())
    cols = ", ".join(row)
    db.execute(
        f"INSERT INTO model_calls ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def _stamp(local: datetime) -> str:
    return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day_start(now: datetime | None = None) -> str:
    """Local midnight today, as a stored (UTC) timestamp: where "today's spend" begins."""
    now = (now or datetime.now(timezone.utc)).astimezone()
    return _stamp(now.replace(hour=0, minute=0, second=0, microsecond=0))


def month_start(now: datetime | None = None) -> str:
    """The first instant of this month (local time), as a stored (UTC) timestamp."""
    now = (now or datetime.now(timezone.utc)).astimezone()
    return _stamp(now.replace(day=1, hour=0, minute=0, second=0, microsecond=0))


def cost_since(db: DatabaseLike, since: str, workflow: str | None = None) -> float:
    """What the recorded model calls cost from ``since`` on (runs, profiles, comparisons)."""
    sql = "SELECT coalesce(sum(cost_usd), 0) FROM model_calls WHERE at >= ?"
    args: list[Any] = [since]
    if workflow:
        sql += " AND workflow = ?"
        args.append(workflow)
    return float(db.execute(sql, args).fetchone()[0])


def month_cost(db: DatabaseLike, workflow: str | None = None) -> float:
    return cost_since(db, month_start(), workflow)


# --- items -----------------------------------------------------------------------------------


def insert_item(db: DatabaseLike, **row: Any) -> int:
    row.setdefault("created_at", utcnow())
    row.setdefault("original_output", row.get("output", ""))
    if isinstance(row.get("status"), ItemState):
        row["status"] = row["status"].value
    cols = ", ".join(row)
    cur = db.execute(
        f"INSERT INTO items ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    return _new_id(cur)


def get_item(db: DatabaseLike, item_id: int) -> dict[str, Any]:
    item = next(
        _items(db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", [item_id])), None
    )
    if item is None:
        raise NotFoundError(f"no item {item_id}")
    return item


def update_item(db: DatabaseLike, item_id: int, **changes: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in changes)
    db.execute(f"UPDATE items SET {sets} WHERE id = ?", [*changes.values(), item_id])


def insert_decision(db: DatabaseLike, **row: Any) -> int:
    cols = ", ".join(row)
    cur = db.execute(
        f"INSERT INTO decisions ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    return _new_id(cur)


def last_decision(db: DatabaseLike, item_id: int) -> tuple[str, str, str | None] | None:
    """(decision, at, the status it changed) of the item's newest decision, or None."""
    row = db.execute(
        "SELECT decision, at, was FROM decisions WHERE item_id = ? ORDER BY id DESC LIMIT 1",
        [item_id],
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def open_item_ids_since(
    db: DatabaseLike, workflow: str, created_before: str, *, unreminded: bool = False
) -> list[int]:
    """Pending and escalated items of ``workflow`` made at or before ``created_before``
    (``unreminded``: only those without an ``item.reminded`` event)."""
    sql = (
        "SELECT id FROM items WHERE workflow = ? AND status IN ('pending', 'escalated') "
        "AND created_at <= ?"
    )
    if unreminded:
        sql += (
            " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.item_id = items.id"
            " AND e.kind = 'item.reminded')"
        )
    return [r[0] for r in db.execute(sql + " ORDER BY id", [workflow, created_before])]


def input_of_item(db: DatabaseLike, item_id: int) -> tuple[str, str | None] | None:
    """(input_key, fields_json) of the run input an item was made from, or None."""
    row = db.execute(
        "SELECT input_key, fields_json FROM run_inputs WHERE id = "
        "(SELECT run_input_id FROM items WHERE id = ?)",
        [item_id],
    ).fetchone()
    return (row[0], row[1]) if row else None


def release_queued(db: DatabaseLike, run_id: int) -> int:
    """A failed or cancelled run's untouched inputs: ``not_run`` (no longer waiting for this
    run; a source's are taken by its next run, as they were never marked processed)."""
    cur = db.execute(
        "UPDATE run_inputs SET status = 'not_run' WHERE run_id = ? AND status = 'queued'", [run_id]
    )
    return cur.rowcount


def input_keys(db: DatabaseLike, run_ids: Sequence[int]) -> set[str]:
    """The keys of every input of ``run_ids`` (a resumed run's, for a rerun of its command)."""
    if not run_ids:
        return set()
    marks = ", ".join("?" * len(run_ids))
    rows = db.execute(f"SELECT input_key FROM run_inputs WHERE run_id IN ({marks})", list(run_ids))
    return {row[0] for row in rows}


def queued_count(db: DatabaseLike, run_id: int) -> int:
    row = db.execute(
        "SELECT count(*) FROM run_inputs WHERE run_id = ? AND status = 'queued'", [run_id]
    ).fetchone()
    return int(row[0])


def run_state(db: DatabaseLike, run_id: int) -> str | None:
    row = db.execute("SELECT state FROM runs WHERE id = ?", [run_id]).fetchone()
    return row[0] if row else None


def iter_items(
    db: DatabaseLike,
    *,
    statuses: Sequence[str],
    workflow: str | None = None,
    limit: int | None = None,
    full: bool = False,
    search: str = "",
) -> Iterator[dict[str, Any]]:
    """Items in the inbox's order (escalated first, then newest first), streamed a page at
    a time (``item_page``), so a large inbox answers at once."""
    columns = ITEM_COLUMNS if full else SUMMARY_COLUMNS
    query = ItemQuery(statuses=tuple(statuses), workflow=workflow, search=search)
    remaining = limit
    after = None
    while remaining is None or remaining > 0:
        want = 500 if remaining is None else min(500, remaining)
        ids, after = item_page(db, query, after, want)
        if ids:
            marks = ", ".join("?" * len(ids))
            cursor = db.execute(f"SELECT {columns} FROM items WHERE id IN ({marks})", ids)
            rows = {item["id"]: item for item in _items(cursor)}
            yield from (rows[i] for i in ids if i in rows)
        if remaining is not None:
            remaining -= len(ids)
        if len(ids) < want:
            return


def _items(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    """Rows of ITEM_COLUMNS or SUMMARY_COLUMNS as dicts (``checks`` parsed, ``output`` named)."""
    names = [c[0] if not c[0].startswith("substr") else "output" for c in cursor.description]
    for row in cursor:
        item = dict(zip(names, row))
        if "checks_json" in item:
            item["checks"] = json.loads(item.pop("checks_json") or "[]")
        yield item


def count_items(
    db: DatabaseLike, *, statuses: Sequence[str], workflow: str | None = None, search: str = ""
) -> int:
    query = ItemQuery(statuses=tuple(statuses), workflow=workflow, search=search)
    where, args = _item_where(db, query, [s for group in query.groups() for s in group]).sql()
    return int(db.execute(f"SELECT count(*) FROM items WHERE {where}", args).fetchone()[0])


def public_item(item: dict[str, Any]) -> dict[str, Any]:
    """An item in the shape of PRODUCT.md's ``--json`` contract (plus a few extra fields)."""
    status = item["status"]
    reason = item.get("reject_reason") if status == ItemState.REJECTED.value else item.get("reason")
    out = {
        "id": item["id"],
        "workflow": item["workflow"],
        "run_id": item["run_id"],
        "status": status,
        "output": item["output"],
        "original_output": item.get("original_output", item["output"]),
        "reason": reason,
        "model": item.get("model"),
        "cost_usd": item.get("cost_usd"),
        "input_name": item["input_name"],
        "created_at": item["created_at"],
        "decided_at": item.get("decided_at"),
        "decided_by": item.get("decided_by"),
    }
    if status == ItemState.REJECTED.value and item.get("reason"):
        out["escalation_reason"] = item["reason"]
    for extra in ("input_text", "checks", "diff", "latency_ms", "tokens_in", "tokens_out"):
        if extra in item:
            out[extra] = item[extra]
    return out


# --- paging for views over a large inbox ------------------------------------------------------


class ItemQuery(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    """Which items a view shows: statuses, one workflow, and text to find."""

    statuses: tuple[str, ...] = ("pending", "escalated")
    workflow: str | None = None
    search: str = ""

    def groups(self) -> list[tuple[str, ...]]:
        """Escalated items first, then the rest: each group pages by id, newest first. A
        ``status:`` filter typed in the search replaces the view's statuses."""
        statuses = self.statuses
        if "status:" in self.search:
            from desktop_app.core.search_query import parse

            statuses = parse(self.search).status or statuses
        esc = ItemState.ESCALATED.value
        if esc in statuses and len(statuses) > 1:
            return [(esc,), tuple(s for s in statuses if s != esc)]
        return [statuses]


def item_ids_page(
    db: DatabaseLike, query: ItemQuery, group: int, before_id: int | None, limit: int
) -> list[int]:
    """Up to ``limit`` ids of ``query``'s group ``group`` older than ``before_id`` (keyset paging)."""
    from desktop_app.storage.search import keys_desc

    statuses = query.groups()[group]
    where = _item_where(db, query, statuses)
    lowest = _lowest_id(db, statuses, query.workflow) if where.match is not None else None
    return keys_desc(db, where, below=before_id, limit=limit, lowest=lowest)


def _lowest_id(db: DatabaseLike, statuses: Sequence[str], workflow: str | None) -> int:
    """The oldest item with one of ``statuses`` (in ``workflow``), from the index on them:
    a search for items awaiting a decision reads no further back than the oldest of them."""
    column, args = ("workflow = ? AND status", [workflow]) if workflow else ("status", [])
    lowest = None
    for status in statuses:
        row = db.execute(f"SELECT min(id) FROM items WHERE {column} = ?", [*args, status])
        found = row.fetchone()[0]
        if found is not None and (lowest is None or found < lowest):
            lowest = found
    return lowest if lowest is not None else 2**62  # none: nothing to read


def item_page(
    db: DatabaseLike, query: ItemQuery, after: tuple[int, int | None] | None, limit: int
) -> tuple[list[int], tuple[int, int | None]]:
    """Up to ``limit`` ids of ``query`` in the inbox's order after the place ``after``
    (status group, last id; None: from the first), and the place to go on from: each
    status group by keyset (id below the last seen), then the next group."""
    group, last_id = after or (0, None)
    found: list[int] = []
    groups = len(query.groups())
    while len(found) < limit:
        want = limit - len(found)
        page = item_ids_page(db, query, group, last_id, want)
        found.extend(page)
        if page:
            last_id = page[-1]
        if len(page) < want:
            if group + 1 >= groups:
                break
            group, last_id = group + 1, None
    return found, (group, last_id)


def _item_where(db: DatabaseLike, query: ItemQuery, statuses: Sequence[str]) -> Where:
    """Which items ``query`` wants among ``statuses`` (see ``storage.search``)."""
    from desktop_app.core.search_query import SearchQuery, parse
    from desktop_app.storage.search import item_where

    searched = parse(query.search) if query.search.strip() else SearchQuery()
    return item_where(db, searched, statuses, query.workflow)


def item_summaries(db: DatabaseLike, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The list columns of ``ids`` (one query), keyed by id."""
    if not ids:
        return {}
    cur = db.execute(
        f"SELECT {SUMMARY_COLUMNS} FROM items WHERE id IN ({', '.join('?' * len(ids))})", list(ids)
    )
    return {item["id"]: item for item in _items(cur)}


def workflow_names(db: DatabaseLike) -> list[str]:
    """Every workflow that has ever run (from the small versions table, not a scan of items)."""
    return [
        r[0]
        for r in db.execute("SELECT DISTINCT workflow FROM workflow_versions ORDER BY workflow")
    ]


# Every table that names a workflow, but the append-only events (the log keeps what was).
_NAMED_BY_WORKFLOW = (
    "workflow_versions",
    "runs",
    "items",
    "processed_inputs",
    "model_calls",
    "profiles",
    "workflow_state",
    "actions",
)


def rename_workflow(db: DatabaseLike, old: str, new: str) -> None:
    """Its rows follow a workflow to its new name; call inside a transaction."""
    for table in _NAMED_BY_WORKFLOW:
        db.execute(f"UPDATE {table} SET workflow = ? WHERE workflow = ?", [new, old])
