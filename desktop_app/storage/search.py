"""The search box's query (``core.search_query``) as SQL over items or events.

One query language, two tables: the words and phrases are found through the full-text
index once it is built (``storage.fulltext``), with ``LIKE`` before that and for words
shorter than a trigram; the filters are conditions on columns. Both paths find the same
rows (``LIKE`` folds case for ASCII letters only; the index folds it for every
alphabet, so it also finds ``ÉTÉ`` for ``été``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from desktop_app.core.search_query import SearchQuery, fts_plan
from desktop_app.storage import fulltext

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike

Conditions = tuple[list[str], list[Any]]


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` taken literally (``ESCAPE '\\'``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like_any(columns: Sequence[str]) -> str:
    return "(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns) + ")"


def text_conditions(
    db: DatabaseLike, query: SearchQuery, index: fulltext.Index, *, use_index: bool | None = None
) -> Conditions:
    """Conditions for ``query``'s words (all must appear) and exclusions (none may), on the
    table ``index`` covers. ``use_index`` None: the index when it is built."""
    if not query.words and not query.excluded:
        return [], []
    if use_index is None:
        use_index = fulltext.ready(db, index)
    where: list[str] = []
    args: list[Any] = []
    words, excluded = query.words, query.excluded
    if use_index:
        plan = fts_plan(query)
        if plan.match is not None:
            where.append(
                f"{index.key} IN (SELECT rowid FROM {index.fts} WHERE {index.fts} MATCH ?)"
            )
            args.append(plan.match)
        words, excluded = plan.short_words, plan.short_excluded
    anywhere = _like_any(index.values)
    for word in words:
        where.append(anywhere)
        args += [like_pattern(word)] * len(index.values)
    for word in excluded:
        where.append(f"NOT coalesce({anywhere}, 0)")
        args += [like_pattern(word)] * len(index.values)
    return where, args


def item_conditions(
    db: DatabaseLike, query: SearchQuery, *, use_index: bool | None = None
) -> Conditions:
    """``query`` on items: text, then workflow, who decided, model and dates. (The status
    filter is applied by ``store.ItemQuery.groups``, which orders by status.)"""
    where, args = text_conditions(db, query, fulltext.ITEMS, use_index=use_index)
    for column, values in (("workflow", query.workflow), ("decided_by", query.by)):
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            args += list(values)
    if query.model:
        where.append(_like_any(["model"] * len(query.model)))
        args += [like_pattern(m) for m in query.model]
    _dates(query, "created_at", where, args)
    return where, args


def event_conditions(
    db: DatabaseLike, query: SearchQuery, *, use_index: bool | None = None
) -> Conditions:
    """``query`` on the log: text in the detail, the event's workflow and time; ``by:``
    and ``model:`` in the detail's fields; ``status:`` the current status of the item
    the event is about."""
    where, args = text_conditions(db, query, fulltext.EVENTS, use_index=use_index)
    if query.workflow:
        where.append(f"workflow IN ({', '.join('?' * len(query.workflow))})")
        args += list(query.workflow)
    if query.by:
        where.append(f"json_extract(detail, '$.by') IN ({', '.join('?' * len(query.by))})")
        args += list(query.by)
    if query.model:
        where.append(_like_any(["json_extract(detail, '$.model')"] * len(query.model)))
        args += [like_pattern(m) for m in query.model]
    if query.status:
        marks = ", ".join("?" * len(query.status))
        where.append(f"item_id IN (SELECT id FROM items WHERE status IN ({marks}))")
        args += list(query.status)
    _dates(query, "ts", where, args)
    return where, args


def _dates(query: SearchQuery, column: str, where: list[str], args: list[Any]) -> None:
    if query.after:
        where.append(f"{column} >= ?")
        args.append(query.after)
    if query.before:
        where.append(f"{column} < ?")
        args.append(query.before)
