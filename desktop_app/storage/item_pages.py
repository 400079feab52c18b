"""Which items a view shows, a page at a time: keyset paging over a large inbox in the
inbox's order (escalated first, then newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from desktop_app.core.states import ItemState
from desktop_app.storage.db import DatabaseLike

if TYPE_CHECKING:
    from desktop_app.storage.search import Where


class ItemQuery(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    """Which items a view shows: statuses, one workflow, and text to find."""

    statuses: tuple[str, ...] = (ItemState.PENDING.value, ItemState.ESCALATED.value)
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
    where = item_where(db, query, statuses)
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


def item_where(db: DatabaseLike, query: ItemQuery, statuses: Sequence[str]) -> Where:
    """Which items ``query`` wants among ``statuses`` (see ``storage.search``)."""
    from desktop_app.core.search_query import SearchQuery, parse
    from desktop_app.storage.search import item_where as searched_where

    searched = parse(query.search) if query.search.strip() else SearchQuery()
    return searched_where(db, searched, statuses, query.workflow)


def count_items(
    db: DatabaseLike, *, statuses: Sequence[str], workflow: str | None = None, search: str = ""
) -> int:
    query = ItemQuery(statuses=tuple(statuses), workflow=workflow, search=search)
    where, args = item_where(db, query, [s for group in query.groups() for s in group]).sql()
    return int(db.execute(f"SELECT count(*) FROM items WHERE {where}", args).fetchone()[0])
