"""The hash-chained activity log: appends, head, verify, tampering, exports."""

from __future__ import annotations

import csv
import io
import itertools
import json
import sqlite3

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.core.redact import register_secret
from desktop_app.storage import eventlog
from desktop_app.storage.db import connect, transaction
from desktop_app.storage.export import FIELDS, export, read_anchor


@pytest.fixture
def path(tmp_path):
    return tmp_path / "signoff.db"


@pytest.fixture
def db(path):
    database = connect(path)
    for n in range(1, 11):
        eventlog.append(
            database,
            "item.created",
            workflow="reply" if n % 2 else "digest",
            run_id=1,
            item_id=n,
            detail={"n": n, "text": f"Grüße {n}"},
            ts=f"2026-11-{n:02d}T09:00:00.000Z",
        )
    yield database
    database.conn.close()


def raw(path):
    """The database as an attacker sees it: plain sqlite3, triggers dropped."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
    return conn


def test_chain_links_and_head(db):
    rows = list(eventlog.iter_events(db))
    assert [r.seq for r in rows] == list(range(1, 11))
    assert rows[0].prev_hash == eventlog.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert eventlog.head(db) == eventlog.LogHead(10, 10, rows[-1].hash)
    assert eventlog.recorded_head(db) == eventlog.head(db)
    result = eventlog.verify(db)
    assert result.ok and result.checked == 10 and "intact" in result.message


def test_append_joins_the_callers_transaction(db):
    with pytest.raises(RuntimeError), transaction(db):
        eventlog.append(db, "run.started", detail={})
        raise RuntimeError("rolled back")
    assert eventlog.head(db).seq == 10 and eventlog.verify(db).ok


def test_append_many_continues_the_chain(db):
    eventlog.append_many(db, [("model.call", "reply", 2, None, {"i": i}, None) for i in range(500)])
    assert eventlog.head(db).seq == 510 and eventlog.verify(db).ok


def test_sql_updates_and_deletes_are_refused(db):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET kind = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events WHERE seq = 1")


def test_secrets_never_stored(db, path):
    register_secret("sk-live-abcdefghijklmnop123456")
    eventlog.append(db, "model.error", detail={"error": "bad key sk-live-abcdefghijklmnop123456"})
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"abcdefghijklmnop123456" not in path.read_bytes()


# --- tampering ------------------------------------------------------------------------------


def test_changed_event_is_named(db, path):
    conn = raw(path)
    conn.execute('UPDATE events SET detail = \'{"n":4,"text":"forged"}\' WHERE seq = 4')
    conn.commit()
    result = eventlog.verify(db)
    assert (
        not result.ok
        and result.first_bad_seq == 4
        and "event 4" in result.message
        and "changed" in result.message
    )


def test_changed_and_rehashed_event_is_named(db, path):
    conn = raw(path)
    row = conn.execute(
        "SELECT seq, ts, kind, workflow, run_id, item_id, prev_hash FROM events WHERE seq = 6"
    ).fetchone()
    forged = '{"n":6,"text":"forged"}'
    new_hash = eventlog._digest(row[6], row[0], row[1], row[2], row[3], row[4], row[5], forged)
    conn.execute("UPDATE events SET detail = ?, hash = ? WHERE seq = 6", [forged, new_hash])
    conn.commit()
    result = eventlog.verify(db)
    assert not result.ok and result.first_bad_seq == 6


def test_deleted_middle_event_is_named(db, path):
    conn = raw(path)
    conn.execute("DELETE FROM events WHERE seq = 5")
    conn.commit()
    result = eventlog.verify(db)
    assert not result.ok and result.first_bad_seq == 5 and "missing" in result.message


def test_deleted_tail_is_caught_by_the_recorded_head(db, path):
    conn = raw(path)
    conn.execute("DELETE FROM events WHERE seq > 7")
    conn.commit()
    result = eventlog.verify(db)
    assert (
        not result.ok
        and result.first_bad_seq == 8
        and "newest events were deleted" in result.message
    )


def test_deleted_tail_and_head_are_caught_by_an_export_anchor(db, path, tmp_path):
    out = tmp_path / "log.jsonl"
    with open(out, "w", encoding="utf-8") as fh:
        export(db, "jsonl", fh)
    conn = raw(path)
    conn.execute("DELETE FROM events WHERE seq > 7")
    row = conn.execute("SELECT hash FROM events WHERE seq = 7").fetchone()
    conn.execute("UPDATE meta SET value = ? WHERE key = 'log_head'", [f"7:{row[0]}"])
    conn.commit()
    assert eventlog.verify(db).ok  # a consistent, shorter log: only an outside anchor tells
    result = eventlog.verify(db, anchor=read_anchor(out))
    assert (
        not result.ok and result.first_bad_seq == 8 and "export shows 10 events" in result.message
    )


def test_reordered_events_are_named(db, path):
    conn = raw(path)
    a = conn.execute(
        "SELECT ts, kind, workflow, run_id, item_id, detail, prev_hash, hash FROM events WHERE seq = 3"
    ).fetchone()
    b = conn.execute(
        "SELECT ts, kind, workflow, run_id, item_id, detail, prev_hash, hash FROM events WHERE seq = 4"
    ).fetchone()
    cols = "ts = ?, kind = ?, workflow = ?, run_id = ?, item_id = ?, detail = ?, prev_hash = ?, hash = ?"
    conn.execute(f"UPDATE events SET {cols} WHERE seq = 3", list(b))
    conn.execute(f"UPDATE events SET {cols} WHERE seq = 4", list(a))
    conn.commit()
    result = eventlog.verify(db)
    assert not result.ok and result.first_bad_seq == 3


def test_inserted_event_is_named(db, path):
    conn = raw(path)
    for seq in (10, 9):  # make room, as a forger would (highest first: seq is unique)
        conn.execute("UPDATE events SET seq = seq + 1 WHERE seq = ?", [seq])
    conn.execute(
        "INSERT INTO events (seq, ts, kind, workflow, run_id, item_id, detail, prev_hash, hash)"
        " VALUES (9, '2026-11-09T10:00:00.000Z', 'item.approved', 'reply', 1, 3, '{}', 'x', 'y')"
    )
    conn.commit()
    result = eventlog.verify(db)
    assert not result.ok and result.first_bad_seq == 9


def test_anchor_with_a_different_hash(db, tmp_path):
    anchor = eventlog.LogHead(5, 5, "f" * 64)
    result = eventlog.verify(db, anchor=anchor)
    assert not result.ok and result.first_bad_seq == 5


# --- exports --------------------------------------------------------------------------------


def test_csv_export(db):
    buf = io.StringIO()
    result = export(db, "csv", buf)
    assert result.count == 10
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert tuple(rows[0]) == FIELDS
    events, head_row = rows[:-1], rows[-1]
    assert len(events) == 10 and head_row["kind"] == "log.head" and head_row["seq"] == ""
    assert json.loads(events[0]["detail"]) == {"n": 1, "text": "Grüße 1"}
    assert events[-1]["hash"] == head_row["hash"] == eventlog.head(db).hash


def test_jsonl_export_filters(db):
    buf = io.StringIO()
    result = export(db, "jsonl", buf, since="2026-11-03", until="2026-11-08", workflow="reply")
    records = [json.loads(line) for line in buf.getvalue().splitlines()]
    events = records[:-1]
    assert result.count == len(events) == 3  # 3, 5, 7
    assert [e["seq"] for e in events] == [3, 5, 7]
    assert events[0]["detail"] == {"n": 3, "text": "Grüße 3"} and set(events[0]) == set(FIELDS)
    assert records[-1]["kind"] == "log.head" and records[-1]["detail"]["seq"] == 10


def test_html_export_escapes_and_anchors(db, tmp_path):
    eventlog.append(db, "model.call", detail={"response": "<script>alert(1)</script><b>hi</b>"})
    out = tmp_path / "log.html"
    with open(out, "w", encoding="utf-8") as fh:
        export(db, "html", fh)
    text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert read_anchor(out) == eventlog.head(db)


def test_read_anchor_from_csv_and_errors(db, tmp_path):
    out = tmp_path / "log.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        export(db, "csv", fh)
    assert read_anchor(out) == eventlog.head(db)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(KnownError, match="no log head"):
        read_anchor(other)
