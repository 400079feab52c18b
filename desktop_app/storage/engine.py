"""Which engine a database is (SQLite, or PostgreSQL for a team: ``storage.pg``), for the
few places the two differ in earnest, and the one way writers of one thing take turns."""

from __future__ import annotations

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


def engine_of(db: object) -> str:
    """``postgresql`` or ``sqlite``: for the few places the two differ in earnest."""
    return str(getattr(db, "engine", SQLITE))


LOG_LOCK = 0x5160E7  # pg_advisory_xact_lock key: one appender to the log at a time


def lock_for(db: object, key: int) -> None:
    """Inside a transaction: wait until no other computer holds ``key`` (PostgreSQL), so the
    writers of one thing (the log's chain) go one at a time. On SQLite, ``BEGIN IMMEDIATE``
    already lets one writer in at a time: nothing to do."""
    if engine_of(db) == POSTGRESQL:
        db.execute("SELECT pg_advisory_xact_lock(?)", [key])  # type: ignore[attr-defined]
