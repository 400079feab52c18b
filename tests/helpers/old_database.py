"""A database as Signoff left it before full-text search (schema 4): the upgrade's input."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from desktop_app.storage import db as db_module
from desktop_app.storage import eventlog
from desktop_app.storage.db import DatabaseLike, connect, transaction
from desktop_app.storage.migrations import MIGRATIONS

WORDS = ("apple", "Birne", "cherry", "Dattel", "élan", "fig", "日本語の文")
BEFORE_SEARCH = 4  # the last schema without the full-text indexes


def add_items(db: DatabaseLike, first: int, count: int) -> None:
    """Items ``first``.. with words from WORDS and ``number{n}``, each with an event."""
    with transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO runs (id, workflow, state, started_at)"
            " VALUES (1, 'wf', 'finished', '2026-11-27T10:00:00.000Z')"
        )
        for n in range(first, first + count):
            text = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3)) + f" number{n}"
            db.execute(
                "INSERT INTO items (id, workflow, run_id, status, input_name, input_text, output,"
                " original_output, created_at) VALUES (?, 'wf', 1, 'pending', ?, ?, ?, ?,"
                " '2026-11-27T10:00:00.000Z')",
                [n, f"in-{n}", text, f"out {WORDS[n % len(WORDS)]}", f"out {n}"],
            )
            eventlog.append(db, "item.created", item_id=n, detail={"input": f"in-{n}", "n": n})


def make_old_database(path: Path, items: int) -> None:
    """``path`` at schema 4 with ``items`` items (and their events), closed."""
    with mock.patch.object(db_module, "MIGRATIONS", MIGRATIONS[:BEFORE_SEARCH]):
        old = connect(path)
    add_items(old, 1, items)
    old.conn.close()
