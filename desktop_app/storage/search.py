"""The search box's query (``core.search_query``) as SQL over items or events.

One query language, two tables: the words and phrases are found through the full-text
index in the rows it holds (``storage.fulltext``), with ``LIKE`` in the newer rows it does
not hold yet and for words shorter than a trigram; the filters are conditions on columns.
Both paths find the same rows (``LIKE`` folds case for ASCII letters only; the index folds it for every
alphabet, so it also finds ``ÉTÉ`` for ``été``).

A page of results, newest first (``keys_desc``): first the rows newer than the index (its
tail, by LIKE), then from the index's side: its matches come newest first in chunks, and
each chunk keeps the rows that pass the other conditions, until the page is full. However many rows a common word matches, the first
page reads only about as many as it shows. (Written as one SQL statement, SQLite's
planner collects every match first and sorts them: 0.5 s for a common word over a
million items.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.core.search_query import TRIGRAM, SearchQuery, fts_plan
from desktop_app.storage import fulltext
from desktop_app.storage.engine import engine_of

if TYPE_CHECKING:
    from collections.abc import Sequence

    from desktop_app.storage.db import DatabaseLike


class Where:
    """Which rows of an index's table a query wants: ``conditions`` on every row (with
    their ``args``); and, for its words, ``match`` in the full-text index on the rows it
    holds (keys up to ``upto``) and the ``tail`` conditions (the same words by LIKE) on
    the newer rows. Without ``match``, the conditions say it all."""

    def __init__(self, index: fulltext.Index) -> None:  # not a dataclass: 0.5 ms at start
        self.index = index
        self.conditions: list[str] = []
        self.args: list[Any] = []
        self.match: str | None = None
        self.upto = 0
        self.tail: list[str] = []
        self.tail_args: list[Any] = []

    def add(self, condition: str, *args: Any) -> None:
        self.conditions.append(condition)
        self.args.extend(args)

    def sql(self) -> tuple[str, list[Any]]:
        """One WHERE clause ("TRUE" for every row), the match as a subquery: for counts and
        for streams in the table's order."""
        conditions, args = list(self.conditions), list(self.args)
        if self.match is not None:
            key, fts = self.index.key, self.index.fts
            tail = " AND ".join(self.tail) or "TRUE"
            conditions.append(
                f"(({key} <= ? AND {key} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?))"
                f" OR ({key} > ? AND {tail}))"
            )
            args += [self.upto, self.match, self.upto, *self.tail_args]
        return " AND ".join(conditions) or "TRUE", args


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` taken literally (``ESCAPE '\\'``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like_any(columns: Sequence[str], op: str = "LIKE") -> str:
    """Any of ``columns`` holds the pattern: ``LIKE`` (SQLite: ASCII in any case), or
    ``ILIKE`` (PostgreSQL, whose ``LIKE`` minds the case)."""
    return "(" + " OR ".join(f"{c} {op} ? ESCAPE '\\'" for c in columns) + ")"


def _like(db: DatabaseLike) -> str:
    return "ILIKE" if engine_of(db) == "postgresql" else "LIKE"


def _values(db: DatabaseLike, index: fulltext.Index) -> tuple[str, ...]:
    """What of a row is searched, in the engine's words (the same text on both)."""
    if engine_of(db) == "postgresql":
        return fulltext.PG_VALUES[index.name]
    return index.values


def _detail_field(db: DatabaseLike, name: str) -> str:
    """One field of an event's JSON detail, as text."""
    if engine_of(db) == "postgresql":
        return f"(signoff_jsonb(detail) ->> '{name}')"
    return f"json_extract(detail, '$.{name}')"


def _text(
    db: DatabaseLike, query: SearchQuery, index: fulltext.Index, use_index: bool | None
) -> Where:
    """``query``'s words (all must appear) and exclusions (none may) on ``index``'s table:
    through the index where it can (``use_index`` False: never), by LIKE elsewhere."""
    where = Where(index)
    if not query.words and not query.excluded:
        return where
    words, excluded = query.words, query.excluded
    values = _values(db, index)
    anywhere = _like_any(values, _like(db))
    upto = fulltext.indexed_upto(db, index) if use_index is not False else 0
    plan = fts_plan(query)
    if upto and plan.match is not None:
        where.match, where.upto = plan.match, upto
        for word in words:  # the tail: the words the match looks for, by LIKE
            if len(word) >= TRIGRAM:
                where.tail.append(anywhere)
                where.tail_args += [like_pattern(word)] * len(values)
        for word in excluded:
            if len(word) >= TRIGRAM:
                where.tail.append(f"NOT coalesce({anywhere}, FALSE)")
                where.tail_args += [like_pattern(word)] * len(values)
        words, excluded = plan.short_words, plan.short_excluded
    for word in words:
        where.add(anywhere, *[like_pattern(word)] * len(values))
    for word in excluded:
        where.add(f"NOT coalesce({anywhere}, FALSE)", *[like_pattern(word)] * len(values))
    return where


def item_where(
    db: DatabaseLike,
    query: SearchQuery,
    statuses: Sequence[str] = (),
    workflow: str | None = None,
    *,
    use_index: bool | None = None,
) -> Where:
    """Items with one of ``statuses`` (all: empty), in ``workflow``, matching ``query``:
    its text, then workflow, who decided, model and dates. (``query``'s own ``status:``
    is for the caller: the inbox orders by status group.)"""
    where = _text(db, query, fulltext.ITEMS, use_index)
    if statuses:
        where.add(f"status IN ({', '.join('?' * len(statuses))})", *statuses)
    if workflow:
        where.add("workflow = ?", workflow)
    for column, values in (("workflow", query.workflow), ("decided_by", query.by)):
        if values:
            where.add(f"{column} IN ({', '.join('?' * len(values))})", *values)
    if query.model:
        where.add(
            _like_any(["model"] * len(query.model), _like(db)),
            *[like_pattern(m) for m in query.model],
        )
    _dates(query, "created_at", where)
    return where


def event_where(db: DatabaseLike, query: SearchQuery, *, use_index: bool | None = None) -> Where:
    """Events matching ``query``: text in the detail, the event's workflow and time; ``by:``
    and ``model:`` in the detail's fields; ``status:`` the current status of the item the
    event is about."""
    where = _text(db, query, fulltext.EVENTS, use_index)
    if query.workflow:
        where.add(f"workflow IN ({', '.join('?' * len(query.workflow))})", *query.workflow)
    if query.by:
        marks = ", ".join("?" * len(query.by))
        where.add(f"{_detail_field(db, 'by')} IN ({marks})", *query.by)
    if query.model:
        where.add(
            _like_any([_detail_field(db, "model")] * len(query.model), _like(db)),
            *[like_pattern(m) for m in query.model],
        )
    if query.status:
        marks = ", ".join("?" * len(query.status))
        where.add(f"item_id IN (SELECT id FROM items WHERE status IN ({marks}))", *query.status)
    _dates(query, "ts", where)
    return where


def _dates(query: SearchQuery, column: str, where: Where) -> None:
    if query.after:
        where.add(f"{column} >= ?", query.after)
    if query.before:
        where.add(f"{column} < ?", query.before)


FIRST_CHUNK = 256
LARGEST_CHUNK = 16_384


def keys_desc(
    db: DatabaseLike, where: Where, *, below: int | None, limit: int, lowest: int | None = None
) -> list[int]:
    """Up to ``limit`` keys of rows ``where`` wants, newest first, under ``below`` (keyset
    paging) and not under ``lowest`` (a bound the caller knows holds every wanted row):
    the tail's first (by LIKE: they are the newest), then the index's."""
    if where.match is None:
        return _plain_desc(db, where, where.conditions, where.args, below, limit, lowest)
    found: list[int] = []
    if below is None or below > where.upto + 1:
        tail = [*where.conditions, *where.tail, f"{where.index.key} > {int(where.upto)}"]
        args = [*where.args, *where.tail_args]
        found = _plain_desc(db, where, tail, args, below, limit, lowest)
    if len(found) < limit:
        top = where.upto + 1 if below is None else min(below, where.upto + 1)
        found += _indexed_desc(db, where, top, limit - len(found), lowest)
    return found


def _plain_desc(
    db: DatabaseLike,
    where: Where,
    conditions: list[str],
    args: list[Any],
    below: int | None,
    limit: int,
    lowest: int | None,
) -> list[int]:
    index = where.index
    clauses, extra = list(conditions), []
    if below is not None:
        clauses.append(f"{index.key} < ?")
        extra.append(below)
    if lowest is not None:
        clauses.append(f"{index.key} >= ?")
        extra.append(lowest)
    sql = f"SELECT {index.key} FROM {index.table}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += f" ORDER BY {index.key} DESC LIMIT {int(limit)}"
    return [r[0] for r in db.execute(sql, [*args, *extra])]


def _indexed_desc(
    db: DatabaseLike, where: Where, top: int, limit: int, lowest: int | None
) -> list[int]:
    """The index's matches under ``top``, newest first, in growing chunks, each kept by
    the other conditions, until ``limit`` are found."""
    index, conditions, args = where.index, where.conditions, where.args
    found: list[int] = []
    chunk = max(FIRST_CHUNK, 2 * limit)
    scan = (
        f"SELECT rowid FROM {index.fts} WHERE {index.fts} MATCH ? AND rowid < ? AND rowid >= ?"
        " ORDER BY rowid DESC LIMIT ?"
    )
    bottom = lowest if lowest is not None else -(2**62)
    while len(found) < limit:
        keys = [r[0] for r in db.execute(scan, [where.match, top, bottom, chunk])]
        if not keys:
            break
        if conditions:
            marks = ", ".join("?" * len(keys))
            keep = f"SELECT {index.key} FROM {index.table} WHERE {index.key} IN ({marks})"
            keep += " AND " + " AND ".join(conditions) + f" ORDER BY {index.key} DESC"
            kept = [r[0] for r in db.execute(keep, [*keys, *args])]
        else:
            kept = keys
        found.extend(kept[: limit - len(found)])
        if len(keys) < chunk:
            break
        top = keys[-1]
        chunk = min(chunk * 4, LARGEST_CHUNK)
    return found
