"""Items (``items``): what a run made for a person to decide, as rows and as the
``--json`` shape of PRODUCT.md."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast

from desktop_app.core.errors import NotFoundError
from desktop_app.core.stamps import utcnow
from desktop_app.core.states import ItemState
from desktop_app.storage.db import CursorLike, DatabaseLike, new_id
from desktop_app.storage.engine import engine_of
from desktop_app.storage.item_pages import ItemQuery, item_page

if TYPE_CHECKING:
    import sqlite3

ITEM_COLUMNS = (
    "id, workflow, run_id, run_input_id, status, input_name, input_text, output, original_output, "
    "reason, reject_reason, model, cost_usd, latency_ms, tokens_in, tokens_out, checks_json, "
    "created_at, decided_at, decided_by, diff"
)
SUMMARY_COLUMNS = (
    "id, workflow, run_id, status, input_name, substr(output, 1, 200), reason, reject_reason, "
    "model, cost_usd, created_at, decided_at, decided_by"
)


class ItemSummary(TypedDict):
    """The list columns of an item (``output``: its first 200 characters)."""

    id: int
    workflow: str
    run_id: int
    status: ItemState
    input_name: str
    output: str
    reason: str | None  # why it was escalated
    reject_reason: str | None
    model: str | None
    cost_usd: float | None
    created_at: str
    decided_at: str | None
    decided_by: str | None


class Item(ItemSummary):
    """An item whole (``output`` whole, ``checks`` parsed)."""

    run_input_id: int | None
    input_text: str
    original_output: str
    latency_ms: int | None
    tokens_in: int | None
    tokens_out: int | None
    checks: list[dict[str, Any]]
    diff: str | None


def insert_item(db: DatabaseLike, **row: Any) -> int:
    return new_id(write_item(db, **row))


def write_item(db: DatabaseLike, **row: Any) -> CursorLike:
    """``insert_item`` with its id left to read (``db.new_id``): a writer that reads the
    ids of several items after writing them all sends them to a team database at once."""
    row.setdefault("created_at", utcnow())
    row.setdefault("original_output", row.get("output", ""))
    if isinstance(row.get("status"), ItemState):
        row["status"] = row["status"].value
    cols = ", ".join(row)
    return db.execute(
        f"INSERT INTO items ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def get_item(db: DatabaseLike, item_id: int, *, for_update: bool = False) -> Item:
    """The item whole. ``for_update`` (inside a transaction about to decide it): on
    PostgreSQL the row is locked until the transaction ends, so two people deciding it at
    once go one after the other and the second sees the first's decision (SQLite's
    ``BEGIN IMMEDIATE`` already lets one writer in at a time)."""
    lock = " FOR UPDATE" if for_update and engine_of(db) == "postgresql" else ""
    cursor = db.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?{lock}", [item_id])
    item = next(_rows(cursor), None)
    if item is None:
        raise NotFoundError(f"no item {item_id}")
    return cast(Item, item)


def update_item(db: DatabaseLike, item_id: int, **changes: Any) -> None:
    changes = {k: v.value if isinstance(v, ItemState) else v for k, v in changes.items()}
    sets = ", ".join(f"{k} = ?" for k in changes)
    db.execute(f"UPDATE items SET {sets} WHERE id = ?", [*changes.values(), item_id])


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


def iter_items(
    db: DatabaseLike,
    *,
    statuses: Sequence[str],
    workflow: str | None = None,
    limit: int | None = None,
    full: bool = False,
    search: str = "",
) -> Iterator[ItemSummary]:
    """Items in the inbox's order (escalated first, then newest first), streamed a page at
    a time (``item_page``), so a large inbox answers at once; ``full``: each an ``Item``."""
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
            rows = {item["id"]: item for item in _rows(cursor)}
            yield from (rows[i] for i in ids if i in rows)
        if remaining is not None:
            remaining -= len(ids)
        if len(ids) < want:
            return


def item_summaries(db: DatabaseLike, ids: Sequence[int]) -> dict[int, ItemSummary]:
    """The list columns of ``ids`` (one query), keyed by id."""
    if not ids:
        return {}
    cur = db.execute(
        f"SELECT {SUMMARY_COLUMNS} FROM items WHERE id IN ({', '.join('?' * len(ids))})", list(ids)
    )
    return {item["id"]: item for item in _rows(cur)}


def _rows(cursor: sqlite3.Cursor) -> Iterator[ItemSummary]:
    """Rows of ITEM_COLUMNS or SUMMARY_COLUMNS (``checks`` parsed, ``output`` named, the
    status as its enum)."""
    names = [c[0] if not c[0].startswith("substr") else "output" for c in cursor.description]
    for row in cursor:
        item = dict(zip(names, row))
        item["status"] = ItemState(item["status"])
        if "checks_json" in item:
            item["checks"] = json.loads(item.pop("checks_json") or "[]")
        yield cast(ItemSummary, item)


def public_item(item: ItemSummary) -> dict[str, Any]:
    """An item in the shape of PRODUCT.md's ``--json`` contract (plus a few extra fields)."""
    whole = cast(dict[str, Any], item)
    status = ItemState(item["status"])
    rejected = status is ItemState.REJECTED
    out = {
        "id": item["id"],
        "workflow": item["workflow"],
        "run_id": item["run_id"],
        "status": status.value,
        "output": item["output"],
        "original_output": whole.get("original_output", item["output"]),
        "reason": item.get("reject_reason") if rejected else item.get("reason"),
        "model": item.get("model"),
        "cost_usd": item.get("cost_usd"),
        "input_name": item["input_name"],
        "created_at": item["created_at"],
        "decided_at": item.get("decided_at"),
        "decided_by": item.get("decided_by"),
    }
    if rejected and item.get("reason"):
        out["escalation_reason"] = item["reason"]
    for extra in ("input_text", "checks", "diff", "latency_ms", "tokens_in", "tokens_out"):
        if extra in whole:
            out[extra] = whole[extra]
    return out
