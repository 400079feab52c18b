"""The activity log: append-only, hash-chained rows of the ``events`` table.

Each event's ``hash`` is SHA-256 over its ``prev_hash`` and a fixed-order,
compact encoding of its stored columns (``seq, ts, kind, workflow, run_id,
item_id, detail``), where ``detail`` is the JSON text exactly as stored. No
re-serialisation happens at hash or verify time (ARCHITECTURE.md, pattern 12),
so verifying is a stream over the table.

What the chain proves and what it cannot (see docs/activity-log.md):

* Any change to a stored event, a deleted or inserted event in the middle, or
  two events swapped, breaks the chain at the first altered event.
* Deleting the newest events leaves a valid shorter chain. To catch that, the
  head (last seq and hash) is kept in ``meta`` in the same transaction as each
  append, and every export carries the head, so ``verify --anchor EXPORT``
  proves the log still contains everything that export saw.
* Someone who can write the database file can rewrite the whole chain and the
  ``meta`` head consistently. Only a head kept elsewhere (an export, a printed
  report) exposes that: the chain makes tampering evident, not impossible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from desktop_app.core.redact import redact
from desktop_app.core.stamps import utcnow
from desktop_app.storage.db import transaction
from desktop_app.storage.engine import LOG_LOCK, engine_of, lock_for

if TYPE_CHECKING:
    import sqlite3

    from desktop_app.storage.db import CursorLike, DatabaseLike
    from desktop_app.storage.search import Where

GENESIS = "0" * 64
_SEP = "\x1f"
_NULL = "\x00"
_HEAD_KEY = "log_head"


class Event(NamedTuple):
    seq: int
    ts: str
    kind: str
    workflow: str | None
    run_id: int | None
    item_id: int | None
    detail: str  # JSON text as stored
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class LogHead:
    """The newest event: an anchor that a later ``verify`` can check the log against."""

    count: int
    seq: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None
    message: str


def _digest(
    prev_hash: str,
    seq: int,
    ts: str,
    kind: str,
    workflow: str | None,
    run_id: int | None,
    item_id: int | None,
    detail: str,
) -> str:
    payload = _SEP.join(
        (
            prev_hash,
            str(seq),
            ts,
            kind,
            _NULL if workflow is None else workflow,
            _NULL if run_id is None else str(run_id),
            _NULL if item_id is None else str(item_id),
            detail,
        )
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Made once: ``json.dumps`` with options makes an encoder at every call, and a run writes
# a few events an input.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def encode_detail(detail: dict[str, Any] | None) -> str:
    """Compact JSON of ``detail`` with every registered secret removed."""
    return redact(_ENCODER.encode(detail or {}))


_LAST = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"


def _last(db: DatabaseLike, asked: CursorLike | None = None) -> tuple[int, str]:
    """The chain's end: read now, or from ``asked``, the query sent before (``will_append``)."""
    row = (asked or db.execute(_LAST)).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def _store_head(db: DatabaseLike, seq: int, hash_: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [_HEAD_KEY, f"{seq}:{hash_}"],
    )


def append(
    db: DatabaseLike,
    kind: str,
    *,
    workflow: str | None = None,
    run_id: int | None = None,
    item_id: int | None = None,
    detail: dict[str, Any] | None = None,
    ts: str | None = None,
) -> int:
    """Append one event (inside the caller's transaction, or its own); returns its ``seq``."""
    with transaction(db):
        lock_for(db, LOG_LOCK)  # a team database: one appender at a time, the chain unbroken
        last_seq, last_hash = _tail(db)
        seq = last_seq + 1
        ts = ts or utcnow()
        text = encode_detail(detail)
        digest = _digest(last_hash, seq, ts, kind, workflow, run_id, item_id, text)
        db.execute(
            "INSERT INTO events (seq, ts, kind, workflow, run_id, item_id, detail, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [seq, ts, kind, workflow, run_id, item_id, text, last_hash, digest],
        )
        _ended_at(db, seq, digest)
    return seq


def will_append(db: DatabaseLike) -> None:
    """Said inside a transaction that is about to append: on a team database the log's lock
    and its end are asked for now, and answered with the transaction's next read (one
    message to the server the fewer). Nothing on SQLite."""
    if engine_of(db) != "postgresql":
        return
    kept = db.conn.kept
    if not {"log_tail", "log_tail_asked"} & kept.keys():
        lock_for(db, LOG_LOCK)
        kept["log_tail_asked"] = db.execute(_LAST)  # read by _tail


def _tail(db: DatabaseLike) -> tuple[int, str]:
    """The chain's end. On a team database, once read under the log's lock, it is kept for
    the rest of the transaction (no one else can append until it ends): a round trip saved
    at each of its appends."""
    if engine_of(db) != "postgresql":
        return _last(db)
    kept = db.conn.kept
    if "log_tail" not in kept:
        kept["log_tail"] = _last(db, kept.pop("log_tail_asked", None))
    return kept["log_tail"]  # type: ignore[no-any-return]


def _ended_at(db: DatabaseLike, seq: int, digest: str) -> None:
    """The chain now ends at ``seq``: its head recorded (on a team database once, just
    before the transaction commits, for all its appends)."""
    if engine_of(db) != "postgresql":
        _store_head(db, seq, digest)
        return
    db.conn.kept["log_tail"] = (seq, digest)
    db.conn.at_commit["log_head"] = lambda: _store_head(db, seq, digest)


def append_many(
    db: DatabaseLike,
    events: Iterable[
        tuple[str, str | None, int | None, int | None, dict[str, Any] | None, str | None]
    ],
    *,
    batch: int = 10_000,
) -> int:
    """Append ``(kind, workflow, run_id, item_id, detail, ts)`` tuples in one transaction; returns the count."""
    count = 0
    with transaction(db):
        lock_for(db, LOG_LOCK)
        seq, prev = _tail(db)
        rows: list[tuple] = []
        insert = (
            "INSERT INTO events (seq, ts, kind, workflow, run_id, item_id, detail, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        for kind, workflow, run_id, item_id, detail, ts in events:
            seq += 1
            ts = ts or utcnow()
            text = encode_detail(detail)
            digest = _digest(prev, seq, ts, kind, workflow, run_id, item_id, text)
            rows.append((seq, ts, kind, workflow, run_id, item_id, text, prev, digest))
            prev = digest
            if len(rows) >= batch:
                db.conn.executemany(insert, rows)
                count += len(rows)
                rows.clear()
        if rows:
            db.conn.executemany(insert, rows)
            count += len(rows)
        if count:
            _ended_at(db, seq, prev)
    return count


def head(db: DatabaseLike) -> LogHead:
    seq, hash_ = _last(db)
    return LogHead(count=seq, seq=seq, hash=hash_)


def recorded_head(db: DatabaseLike) -> LogHead | None:
    """The head as written to ``meta`` by the last append (None for an empty log)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_HEAD_KEY]).fetchone()
    if not row:
        return None
    seq, _, hash_ = row[0].partition(":")
    return LogHead(count=int(seq), seq=int(seq), hash=hash_)


def iter_events(
    db: DatabaseLike,
    *,
    since: str | None = None,
    until: str | None = None,
    workflow: str | None = None,
    kind: str | None = None,
    item_id: int | None = None,
) -> Iterator[Event]:
    """Events in order, streamed from a cursor. ``since``/``until`` are ISO dates or times (UTC)."""
    for row in events_cursor(
        db, since=since, until=until, workflow=workflow, kind=kind, item_id=item_id
    ):
        yield Event(*row)


COLUMNS = ("seq", "ts", "kind", "workflow", "run_id", "item_id", "detail", "prev_hash", "hash")


def events_cursor(db: DatabaseLike, **filters: Any) -> sqlite3.Cursor:
    """A cursor over every column of the matching events, oldest first (for streaming readers)."""
    where, args = _where(db, **filters).sql()
    sql = f"SELECT {', '.join(COLUMNS)} FROM events WHERE {where}"
    return db.conn.execute(sql + " ORDER BY seq", args)


def _where(db: DatabaseLike, **given: Any) -> Where:
    """Which events the filters want: dates, workflow, kind, item, and ``text`` in the
    search box's language (``storage.search``)."""
    from desktop_app.core.search_query import SearchQuery, parse
    from desktop_app.storage.search import event_where

    text = (given.get("text") or "").strip()
    where = event_where(db, parse(text) if text else SearchQuery())
    if given.get("since"):
        where.add("ts >= ?", given["since"])
    if given.get("until"):
        where.add("ts < ?", given["until"])
    for column in ("workflow", "kind", "item_id"):
        if given.get(column) is not None:
            where.add(f"{column} = ?", given[column])
    return where


def verify(db: DatabaseLike, *, anchor: LogHead | None = None) -> VerifyResult:
    """Recompute the chain from the first event; name the first one that is not as written.

    The events and the recorded head are read in one snapshot (one read transaction, or
    the caller's): an append by another connection between reading the two would otherwise
    look like deleted newest events."""
    import sqlite3

    from desktop_app.storage import health

    conn = db.conn
    postgres = engine_of(db) == "postgresql"
    try:
        finding = None if postgres else health.integrity_check(conn)  # (SQLite's file)
        if finding is not None:  # a chain in a damaged file proves nothing
            return _damaged(finding)
        if conn.in_transaction:  # the caller's transaction is the snapshot
            return _verify_snapshot(db, anchor)
        # deferred: a read transaction, no write lock taken; on PostgreSQL one snapshot for
        # every statement in it (its default gives each statement its own)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ" if postgres else "BEGIN")
        try:
            return _verify_snapshot(db, anchor)
        finally:
            if conn.in_transaction:  # (SQLite may have ended it on an error already)
                conn.execute("ROLLBACK")  # only read: nothing to keep
    except sqlite3.DatabaseError as exc:
        if not health.is_damage(exc):
            raise
        return _damaged(str(exc))


def _damaged(finding: str) -> VerifyResult:
    from desktop_app.core.visible import reveal

    return VerifyResult(
        False,
        0,
        None,
        f"the database file is damaged (SQLite's integrity check: {reveal(finding)}), so its"
        " log cannot be trusted: run `signoff db recover` to copy what can be read into a new"
        " file, then verify that",
    )


def _verify_snapshot(db: DatabaseLike, anchor: LogHead | None) -> VerifyResult:
    recorded = recorded_head(db)  # the snapshot's first read
    cursor = events_cursor(db)
    try:
        return _verify_chain(cursor, recorded, anchor)
    finally:
        cursor.close()  # also when verify stopped at a bad event: no statement left running


def _verify_chain(
    rows: Iterable[tuple[Any, ...]], recorded: LogHead | None, anchor: LogHead | None
) -> VerifyResult:
    expected_seq, last_hash = 1, GENESIS
    checked = 0
    anchor_hash_seen: str | None = None
    for seq, ts, kind, workflow, run_id, item_id, detail, prev_hash, stored in rows:
        if seq != expected_seq:
            gap = (
                f"event {expected_seq}"
                if seq == expected_seq + 1
                else f"events {expected_seq}-{seq - 1}"
            )
            verb = "is" if seq == expected_seq + 1 else "are"
            return _bad(checked, expected_seq, f"{gap} {verb} missing (deleted from the log)")
        if _digest(prev_hash, seq, ts, kind, workflow, run_id, item_id, detail) != stored:
            return _bad(
                checked,
                seq,
                f"event {seq} ({kind}, {ts}) was changed: its hash does not match its contents",
            )
        if prev_hash != last_hash:
            previous = seq - 1
            return _bad(
                checked,
                previous,
                f"event {previous} was changed or replaced: event {seq} no longer links to it",
            )
        if anchor is not None and seq == anchor.seq:
            anchor_hash_seen = stored
        last_hash = stored
        expected_seq = seq + 1
        checked += 1
    last_seq = expected_seq - 1
    if recorded is not None and recorded.seq > last_seq:
        gap = (
            f"event {last_seq + 1} is"
            if recorded.seq == last_seq + 1
            else f"events {last_seq + 1}-{recorded.seq} are"
        )
        return _bad(
            checked,
            last_seq + 1,
            f"{gap} missing: the log ends at event {last_seq} but it had {recorded.seq} events"
            " (its newest events were deleted)",
        )
    if recorded is not None and recorded.seq < last_seq:
        return _bad(
            checked,
            recorded.seq + 1,
            f"event {recorded.seq + 1} was added behind Signoff's back: the newest event it"
            f" recorded writing is {recorded.seq}",
        )
    if recorded is not None and recorded.seq == last_seq and recorded.hash != last_hash:
        return _bad(
            checked, last_seq, f"event {last_seq} is not the event the log recorded as its newest"
        )
    if anchor is not None:
        if anchor.seq > last_seq:
            return _bad(
                checked,
                last_seq + 1,
                f"the export shows {anchor.seq} events but the log ends at event {last_seq} "
                "(its newest events were deleted)",
            )
        if anchor.seq and anchor_hash_seen != anchor.hash:
            return _bad(
                checked, anchor.seq, f"event {anchor.seq} differs from the one the export recorded"
            )
    if not checked:
        return VerifyResult(True, 0, None, "the log is empty")
    return VerifyResult(
        True, checked, None, f"the log is intact: {checked:,} events, last hash {last_hash[:16]}…"
    )


def _bad(checked: int, seq: int, message: str) -> VerifyResult:
    return VerifyResult(False, checked, seq, message)


@dataclass(frozen=True)
class EventQuery:
    """Which events a view shows; dates are ISO dates or times (UTC), ``until`` exclusive."""

    workflow: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    text: str = ""


def event_seqs_page(
    db: DatabaseLike, query: EventQuery, before_seq: int | None, limit: int
) -> list[int]:
    """Up to ``limit`` event numbers matching ``query``, newest first, older than ``before_seq``."""
    from desktop_app.storage.search import keys_desc

    return keys_desc(db, _where(db, **asdict(query)), below=before_seq, limit=limit)


def events_by_seq(db: DatabaseLike, seqs: list[int]) -> dict[int, Event]:
    if not seqs:
        return {}
    cur = db.execute(
        "SELECT seq, ts, kind, workflow, run_id, item_id, detail, prev_hash, hash FROM events"
        f" WHERE seq IN ({', '.join('?' * len(seqs))})",
        seqs,
    )
    return {row[0]: Event(*row) for row in cur}


def kinds(db: DatabaseLike) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT kind FROM events ORDER BY kind")]


def count_events(db: DatabaseLike, query: EventQuery) -> int:
    where, args = _where(db, **asdict(query)).sql()
    return int(db.execute(f"SELECT count(*) FROM events WHERE {where}", args).fetchone()[0])
