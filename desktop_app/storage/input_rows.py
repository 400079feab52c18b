"""A run's inputs (``run_inputs``), and the inputs of a workflow's source already made
into items (``processed_inputs``: each input once, ever)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from desktop_app.core.stamps import utcnow
from desktop_app.storage.db import DatabaseLike, new_id

if TYPE_CHECKING:
    from desktop_app.core.inputdoc import InputDoc


class RunInput(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    id: int
    run_id: int
    doc: InputDoc
    status: str


class ItemSource(NamedTuple):
    """The run input an item was made from."""

    input_key: str
    fields_json: str | None


def insert_inputs(db: DatabaseLike, run_id: int, inputs: Sequence[InputDoc]) -> list[RunInput]:
    """Every input of a new run, recorded as ``queued`` (the same input twice: keyed apart).
    Their ids are read once every input is written: on a team database, one message."""
    written = []
    seen: set[str] = set()
    for doc in inputs:
        key = doc.key
        if key in seen:
            key = f"{key}#{len(seen)}"
        seen.add(key)
        c = db.execute(
            "INSERT INTO run_inputs (run_id, input_key, input_name, input_text, fields_json,"
            " content_hash, problem, note, identity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                key,
                doc.name,
                doc.text,
                json.dumps(doc.fields, ensure_ascii=False) if doc.fields else None,
                doc.content_hash,
                doc.problem or None,
                doc.note or None,
                doc.identity or None,
            ],
        )
        written.append((c, doc))
    return [RunInput(new_id(c), run_id, doc, "queued") for c, doc in written]


def queued_inputs(db: DatabaseLike, run_id: int) -> list[RunInput]:
    from desktop_app.core.inputdoc import InputDoc  # not at the window's start (a dataclass)

    rows = db.execute(
        "SELECT id, run_id, input_key, input_name, input_text, fields_json, problem, note,"
        " identity FROM run_inputs WHERE run_id = ? AND status = 'queued' ORDER BY id",
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
                identity=r[8] or "",
            ),
            "queued",
        )
        for r in rows
    ]


def set_input_status(db: DatabaseLike, run_input_id: int, status: str) -> None:
    db.execute("UPDATE run_inputs SET status = ? WHERE id = ?", [status, run_input_id])


def queued_count(db: DatabaseLike, run_id: int) -> int:
    row = db.execute(
        "SELECT count(*) FROM run_inputs WHERE run_id = ? AND status = 'queued'", [run_id]
    ).fetchone()
    return int(row[0])


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


def input_of_item(db: DatabaseLike, item_id: int) -> ItemSource | None:
    """The run input an item was made from, or None."""
    row = db.execute(
        "SELECT input_key, fields_json FROM run_inputs WHERE id = "
        "(SELECT run_input_id FROM items WHERE id = ?)",
        [item_id],
    ).fetchone()
    return ItemSource(row[0], row[1]) if row else None


def is_processed(db: DatabaseLike, workflow: str, doc: InputDoc) -> bool:
    row = db.execute(
        "SELECT 1 FROM processed_inputs WHERE workflow = ? AND input_key = ? AND content_hash = ?",
        [workflow, doc.key, doc.content_hash],
    ).fetchone()
    return row is not None


def mark_processed(
    db: DatabaseLike, workflow: str, doc: InputDoc, run_id: int, item_id: int | None
) -> None:
    _processed(db, workflow, doc.key, doc.content_hash, run_id, item_id)


def known_as(db: DatabaseLike, workflow: str, key: str, content_hash: str) -> None:
    """An input processed under another key is known by ``key`` too (a mailbox's message
    its server renumbered): no run, no item of its own."""
    _processed(db, workflow, key, content_hash, None, None)


def _processed(
    db: DatabaseLike,
    workflow: str,
    key: str,
    content_hash: str,
    run_id: int | None,
    item_id: int | None,
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO processed_inputs (workflow, input_key, content_hash, run_id, item_id, processed_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [workflow, key, content_hash, run_id, item_id, utcnow()],
    )


def processed_hashes(db: DatabaseLike, workflow: str, hashes: Sequence[str]) -> set[str]:
    """Which of ``hashes`` an input of ``workflow`` was processed with, under any key (a
    mailbox's message is known by its Message-ID when its server renumbered the folder)."""
    found: set[str] = set()
    for start in range(0, len(hashes), 500):
        chunk = list(hashes[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT content_hash FROM processed_inputs WHERE workflow = ?"
            f" AND content_hash IN ({marks})",
            [workflow, *chunk],
        )
        found.update(row[0] for row in rows)
    return found


def keys_starting(db: DatabaseLike, workflow: str, prefix: str) -> set[str]:
    """The keys of ``workflow``'s processed inputs that start with ``prefix`` (a mailbox
    folder's messages: what is known without asking the server)."""
    rows = db.execute(
        "SELECT input_key FROM processed_inputs WHERE workflow = ? AND substr(input_key, 1, ?) = ?",
        [workflow, len(prefix), prefix],
    )
    return {row[0] for row in rows}


def first_read(db: DatabaseLike, source: str, today: str) -> str:
    """The day ``source`` (a workflow's mailbox) was first read: ``today`` the first time,
    kept in the database (a later start, another computer, reads the same day)."""
    key = f"first_read:{source}"
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [key, today])
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else today


def processed_keys(db: DatabaseLike, run_id: int) -> list[str]:
    """The keys of the inputs ``run_id`` processed (made an item or a skip of)."""
    rows = db.execute("SELECT input_key FROM processed_inputs WHERE run_id = ?", [run_id])
    return [row[0] for row in rows]
