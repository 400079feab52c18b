"""Full-text indexes (SQLite FTS5, trigram tokenizer) over items' text and the log's detail.

A trigram index finds any substring of three characters or more, in any language, as
``LIKE '%…%'`` does, but from an index: a search over a million items takes milliseconds
instead of seconds.

Each index holds its table's rows up to a key (``done``); the newer rows, the *tail*, are
added in batches after they are written (``build``: the window in the background, the
command line before a search), and a search finds them with ``LIKE`` meanwhile
(``storage.search``). A run's writes therefore cost what they cost before the index: each
of its small transactions would otherwise flush a piece of index and merge pieces (0.5 ms
an input, a tenth of a model call's own time in the runner benchmark). Migration 5 creates
the indexes empty, so an existing database's whole history is at first the tail, added in
batches that each commit with their progress: a build stopped halfway resumes.

Triggers keep the rows the index holds in step when they change or go, in the same
transaction and whoever writes them (also plain SQL). They touch only those rows: telling
an external-content FTS5 index to delete a row it never held corrupts it.

* ``items_fts`` is an external-content index over ``items`` (it stores no copy of the text).
* ``events_fts`` is contentless: the log is append-only, so nothing is ever deleted from
  it. It indexes ``detail`` without the prompt's ``messages`` (the system text repeated in
  every call, and the input) and the model's ``response`` (the item's output): the
  items hold both, and the inbox searches them (``EVENT_TEXT``).

The index is not part of the log's hash chain; ``log verify`` does not read it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from desktop_app.storage.db import transaction, writes_refused
from desktop_app.storage.engine import engine_of

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike

ITEM_TEXT = ("input_name", "input_text", "output", "original_output", "reason", "reject_reason")
# What goes into those columns: the original output only when an edit changed it (a search
# looks in the output too, so the same items are found, from a sixth smaller index).
ITEM_VALUES = (
    "input_name",
    "input_text",
    "output",
    "CASE WHEN original_output = output THEN NULL ELSE original_output END",
    "reason",
    "reject_reason",
)
# What of an event is searched: its detail without the prompt's messages and the answer.
# Used by the index's trigger and build and by LIKE alike, so both find the same events.
EVENT_TEXT = (
    "CASE WHEN json_valid(detail)"
    " THEN json_remove(detail, '$.messages', '$.response') ELSE detail END"
)


# The same text on PostgreSQL, where the search runs by ILIKE, which ``pg_trgm``'s trigram
# indexes on these expressions answer (``storage.pg_schema``): nothing to build there.
PG_EVENT_TEXT = "coalesce((signoff_jsonb(detail) - 'messages' - 'response')::text, detail)"
PG_VALUES = {"items": ITEM_VALUES, "events": (PG_EVENT_TEXT,)}


class Index(NamedTuple):  # a tuple, not a dataclass (0.5 ms each): read at the window's start
    name: str  # its row in fulltext_state
    table: str
    key: str  # the table's integer primary key
    fts: str
    columns: tuple[str, ...]  # the index's columns
    values: tuple[str, ...]  # what goes into them, as SQL over the table's row


# A tail this long (rows) is worth a word: an upgraded database's whole history. A run's
# few hundred rows are indexed without one (and found meanwhile by LIKE).
LONG_TAIL = 20_000

INDEXES = (
    Index("items", "items", "id", "items_fts", ITEM_TEXT, ITEM_VALUES),
    Index("events", "events", "seq", "events_fts", ("detail",), (EVENT_TEXT,)),
)
ITEMS, EVENTS = INDEXES


class Progress(NamedTuple):  # a tuple, not a dataclass (0.5 ms each): read at the window's start
    """How much of the tables the indexes hold, in rows (keys, to be exact)."""

    done: int
    total: int

    @property
    def ready(self) -> bool:
        return self.done >= self.total

    @property
    def behind(self) -> int:
        """Rows written and not indexed yet (searched by LIKE meanwhile)."""
        return max(0, self.total - self.done)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(self.done * 100 / self.total))


def indexed_upto(db: DatabaseLike, index: Index) -> int:
    """The index holds the rows with a key up to this; the newer ones are its tail. (On
    PostgreSQL there is no such index to hold them: 0, every row searched by ILIKE.)"""
    if engine_of(db) == "postgresql":
        return 0
    row = db.execute("SELECT done FROM fulltext_state WHERE name = ?", [index.name]).fetchone()
    return int(row[0]) if row else 0


def _newest(db: DatabaseLike, index: Index) -> int:
    row = db.execute(f"SELECT max({index.key}) FROM {index.table}").fetchone()
    return int(row[0] or 0)


def progress(db: DatabaseLike) -> Progress:
    """Both indexes together (the events outnumber the items several times)."""
    done = total = 0
    if engine_of(db) == "postgresql":  # its trigram indexes keep themselves up to date
        return Progress(0, 0)
    for index in INDEXES:
        newest = _newest(db, index)
        done += min(indexed_upto(db, index), newest)
        total += newest
    return Progress(done, total)


def build_step(db: DatabaseLike, rows: int = 2000) -> Progress:
    """Add up to ``rows`` more rows of the first index with a tail, in one transaction."""
    for index in INDEXES:
        with transaction(db):
            done, newest = indexed_upto(db, index), _newest(db, index)  # read under the
            if done >= newest:  # write lock: another builder (the window, the command
                continue  # line) may have moved them
            upto = min(done + rows, newest)
            db.execute(
                f"INSERT INTO {index.fts} (rowid, {', '.join(index.columns)})"
                f" SELECT {index.key}, {', '.join(index.values)} FROM {index.table}"
                f" WHERE {index.key} > ? AND {index.key} <= ?",
                [done, upto],
            )
            db.execute("UPDATE fulltext_state SET done = ? WHERE name = ?", [upto, index.name])
        break
    return progress(db)


def build(
    db: DatabaseLike,
    *,
    rows: int = 1000,
    on_progress: Callable[[Progress], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    batch_s: float = 0.25,
) -> Progress:
    """Index the tails to the end (or until ``cancelled``); a later call goes on from there.

    Each batch holds the write lock, so its size adapts to take about ``batch_s``: a run or
    a decision waits no longer than that for it."""
    current = progress(db)
    if not current.ready and writes_refused(db):
        return current  # read-only (a read-only folder, a damaged file): the tail is searched unindexed
    while not current.ready:
        if cancelled is not None and cancelled():
            break
        started = time.monotonic()
        current = build_step(db, rows)
        took = max(time.monotonic() - started, 0.001)
        rows = max(100, min(50_000, int(rows * batch_s / took)))
        if on_progress is not None:
            on_progress(current)
    return current
