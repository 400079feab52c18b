"""Full-text indexes (SQLite FTS5, trigram tokenizer) over items' text and the log's detail.

A trigram index finds any substring of three characters or more, in any language, as
``LIKE '%…%'`` does, but from an index: a search over a million items takes milliseconds
instead of seconds. Migration 5 creates the indexes empty; an existing database's rows
are then added in batches (``build_step``), each batch in its own transaction with its
progress, so a build stopped halfway resumes where it stopped. Until an index is
complete, search uses ``LIKE`` (``ready``).

Triggers keep the indexes in step with their tables in the same transaction, so a row is
found however it was written, also by plain SQL. A trigger only touches rows the index
holds: rows newer than the build's ``target`` (written after the migration) and rows the
build has reached (``done``). The rows in between are the build's: it reads them as they
are when it gets there. (Telling an external-content FTS5 index to delete a row it never
held corrupts it; this is what the condition prevents.)

* ``items_fts`` is an external-content index over ``items`` (it stores no copy of the text).
* ``events_fts`` is contentless: the log is append-only, so nothing is ever deleted from
  it. It indexes ``detail`` without the prompt's ``messages`` (the system text repeated in
  every call, and the input, which the item holds): ``EVENT_TEXT``.

The index is not part of the log's hash chain; ``log verify`` does not read it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.storage.db import transaction

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
# What of an event is searched: its detail without the prompt's messages. Used by the
# index's trigger and build and by the LIKE fallback alike, so both find the same events.
EVENT_TEXT = "CASE WHEN json_valid(detail) THEN json_remove(detail, '$.messages') ELSE detail END"


@dataclass(frozen=True)
class Index:
    name: str  # its row in fulltext_state
    table: str
    key: str  # the table's integer primary key
    fts: str
    columns: tuple[str, ...]  # the index's columns
    values: tuple[str, ...]  # what goes into them, as SQL over the table's row


INDEXES = (
    Index("items", "items", "id", "items_fts", ITEM_TEXT, ITEM_VALUES),
    Index("events", "events", "seq", "events_fts", ("detail",), (EVENT_TEXT,)),
)
ITEMS, EVENTS = INDEXES


@dataclass(frozen=True)
class Progress:
    """How much of the indexes is built: rows added so far out of the rows to add."""

    done: int
    total: int

    @property
    def ready(self) -> bool:
        return self.done >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(self.done * 100 / self.total))


def _state(db: DatabaseLike, index: Index) -> tuple[int, int]:
    row = db.execute(
        "SELECT done, target FROM fulltext_state WHERE name = ?", [index.name]
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def ready(db: DatabaseLike, index: Index) -> bool:
    """True when ``index`` holds every row, so a search can use it."""
    done, target = _state(db, index)
    return done >= target


def progress(db: DatabaseLike) -> Progress:
    """Both indexes' build, in rows (the events outnumber the items several times)."""
    done = total = 0
    for index in INDEXES:
        index_done, target = _state(db, index)
        done += min(index_done, target)
        total += target
    return Progress(done, total)


def build_step(db: DatabaseLike, rows: int = 2000) -> Progress:
    """Add up to ``rows`` more rows to the first unfinished index, in one transaction."""
    for index in INDEXES:
        with transaction(db):
            done, target = _state(db, index)  # read under the write lock: another builder
            if done >= target:  # (the window and the command line) may have moved it
                continue
            upto = min(done + rows, target)
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
    """Build the indexes to the end (or until ``cancelled``); a later call goes on from there.

    Each batch holds the write lock, so its size adapts to take about ``batch_s``: a run or
    a decision waits no longer than that for it."""
    current = progress(db)
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
