"""Every single-event tampering of a small log, enumerated: each change of a column,
deletion, insertion (a forged event, its hash computed as Signoff would) and swap of two
events is found by ``log verify``, whose message names the first bad event."""

from __future__ import annotations

import itertools
import shutil
import sqlite3

import pytest

from desktop_app.storage import eventlog
from desktop_app.storage.db import connect

N = 8
COLUMNS = ("ts", "kind", "workflow", "run_id", "item_id", "detail", "prev_hash", "hash")


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    path = tmp_path_factory.mktemp("log") / "signoff.db"
    db = connect(path)
    for n in range(1, N + 1):
        eventlog.append(
            db,
            "item.created" if n % 3 else "item.approved",
            workflow="reply",
            run_id=1,
            item_id=n,
            detail={"n": n, "by": "rosa"},
            ts=f"2026-11-{n:02d}T09:00:00.000Z",
        )
    db.conn.close()
    return path


def _tampered(original, tmp_path, change) -> eventlog.VerifyResult:
    path = tmp_path / "signoff.db"
    shutil.copy(original, path)
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    change(conn)
    conn.commit()
    conn.close()
    db = connect(path)
    try:
        return eventlog.verify(db)
    finally:
        db.conn.close()


def _named(result: eventlog.VerifyResult, seq: int) -> None:
    assert not result.ok and result.first_bad_seq == seq, result.message
    assert f"event {seq}" in result.message or f"events {seq}-" in result.message, result.message


def test_the_untouched_log_verifies(original, tmp_path):
    assert _tampered(original, tmp_path, lambda conn: None).ok


@pytest.mark.parametrize(("seq", "column"), list(itertools.product(range(1, N + 1), COLUMNS)))
def test_every_changed_column_of_every_event_is_named(original, tmp_path, seq, column):
    def change(conn):
        value = conn.execute(f"SELECT {column} FROM events WHERE seq = ?", [seq]).fetchone()[0]
        new = (value or 0) + 1 if isinstance(value, int) or value is None else value + "x"
        if column == "detail":
            new = value.replace('"rosa"', '"tom"')
        conn.execute(f"UPDATE events SET {column} = ? WHERE seq = ?", [new, seq])

    _named(_tampered(original, tmp_path, change), seq)


@pytest.mark.parametrize("seq", range(1, N + 1))
def test_every_deleted_event_is_named(original, tmp_path, seq):
    result = _tampered(
        original, tmp_path, lambda c: c.execute("DELETE FROM events WHERE seq = ?", [seq])
    )
    _named(result, seq)


@pytest.mark.parametrize("seq", range(1, N + 2))
def test_every_inserted_forged_event_is_named(original, tmp_path, seq):
    """A forger who makes room and computes the new event's hash over its predecessor's."""

    def change(conn):
        for later in range(N, seq - 1, -1):
            conn.execute("UPDATE events SET seq = seq + 1 WHERE seq = ?", [later])
        prev = conn.execute("SELECT hash FROM events WHERE seq = ?", [seq - 1]).fetchone()
        prev_hash = prev[0] if prev else eventlog.GENESIS
        ts, detail = "2026-11-30T09:00:00.000Z", '{"forged":true}'
        digest = eventlog._digest(prev_hash, seq, ts, "item.approved", "reply", 1, 99, detail)
        conn.execute(
            "INSERT INTO events (seq, ts, kind, workflow, run_id, item_id, detail, prev_hash, hash)"
            " VALUES (?, ?, 'item.approved', 'reply', 1, 99, ?, ?, ?)",
            [seq, ts, detail, prev_hash, digest],
        )

    result = _tampered(original, tmp_path, change)
    # the forged event itself is well formed: the chain breaks at the event after it (its
    # link, or its number); appended at the end, the recorded head no longer matches
    assert not result.ok and result.first_bad_seq in (seq, seq + 1), result.message


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(range(1, N + 1), 2)))
def test_every_swap_of_two_events_is_named(original, tmp_path, a, b):
    def change(conn):
        cols = ", ".join(COLUMNS)
        first = conn.execute(f"SELECT {cols} FROM events WHERE seq = ?", [a]).fetchone()
        second = conn.execute(f"SELECT {cols} FROM events WHERE seq = ?", [b]).fetchone()
        sets = ", ".join(f"{c} = ?" for c in COLUMNS)
        conn.execute(f"UPDATE events SET {sets} WHERE seq = ?", [*second, a])
        conn.execute(f"UPDATE events SET {sets} WHERE seq = ?", [*first, b])

    _named(_tampered(original, tmp_path, change), a)
