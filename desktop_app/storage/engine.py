"""Which engine a database is (SQLite, or PostgreSQL for a team: ``storage.pg``), for the
few places the two differ in earnest, and the one way writers of one thing take turns."""

from __future__ import annotations

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


def engine_of(db: object) -> str:
    """``postgresql`` or ``sqlite``: for the few places the two differ in earnest."""
    return str(getattr(db, "engine", SQLITE))


# How long a computer's claim on a due thing (an action it is carrying out) holds before
# another computer may take it over: one that died holding it blocks no one longer.
CLAIM_S = 60.0

LOG_LOCK = 0x5160E7  # pg_advisory_xact_lock key: one appender to the log at a time


def lock_for(db: object, key: int) -> None:
    """Inside a transaction: wait until no other computer holds ``key`` (PostgreSQL), so the
    writers of one thing (the log's chain) go one at a time. On SQLite, ``BEGIN IMMEDIATE``
    already lets one writer in at a time: nothing to do."""
    if engine_of(db) == POSTGRESQL:
        db.conn.lock_once(key)  # type: ignore[attr-defined]


def key_for(name: str) -> int:
    """An advisory lock's key for one named thing ("slot:review-reply", "action:12")."""
    import hashlib

    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)
