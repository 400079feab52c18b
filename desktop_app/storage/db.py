"""Open ``signoff.db``: WAL, explicit transactions, numbered migrations.

sqlite3's own implicit transactions are switched off (``isolation_level=None``)
so every write says where it begins and ends: ``with transaction(db):``. Each
migration runs with its record in ``migrations`` inside one transaction, so a
crash leaves the schema either before or after it, never half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from desktop_app.core.errors import StorageError
from desktop_app.storage.migrations import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils

DB_FILENAME = "signoff.db"


def utcnow() -> str:
    """The current time as ISO 8601 UTC with milliseconds, e.g. ``2026-11-24T09:15:02.123Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class DatabaseLike(Protocol):
    """What the storage layer uses of a database: ``sqlite_utils.Database`` and
    ``PlainDatabase`` both are one, so code that only reads and writes SQL takes either."""

    @property
    def conn(self) -> sqlite3.Connection: ...

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> sqlite3.Cursor: ...

    def table_names(self) -> list[str]: ...


class PlainDatabase:
    """What the store uses of ``sqlite_utils.Database`` (``execute``, ``conn``, ``table_names``)
    on a bare connection: the window's start-up reader. Importing sqlite-utils (with click
    and pluggy) takes about 80 ms, a third of the window's cold start; everything else,
    the engine, the CLI and the window's writer thread, opens ``connect()``."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> sqlite3.Cursor:
        return (
            self.conn.execute(sql, parameters) if parameters is not None else self.conn.execute(sql)
        )

    def table_names(self) -> list[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [row[0] for row in rows]


def connect(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    import sqlite_utils

    return sqlite_utils.Database(_open(Path(path)))


def connect_plain(path: Path | str) -> PlainDatabase:
    """The same database without sqlite-utils, for the window's start (see ``PlainDatabase``)."""
    return PlainDatabase(_open(Path(path)))


def _open(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=15)
        _use_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=15000")
        migrate(PlainDatabase(conn))
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"cannot open the database {path}: {exc}") from exc
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {path.parent}: {exc.strerror}") from exc
    return conn


def _use_wal(conn: sqlite3.Connection, wait_s: float = 15.0) -> None:
    """Switch to WAL once. Two connections opening a new database at the same moment (the
    window and the command line) can find the switch locked: SQLite does not wait for that
    lock through the busy timeout, so this waits for it here."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def transaction(db: DatabaseLike, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """One write transaction. ``immediate`` takes the write lock up front (no upgrade deadlock)."""
    conn = db.conn
    if conn.in_transaction:  # nested: join the outer transaction
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def schema_version(db: DatabaseLike) -> int:
    if "migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(id) FROM migrations").fetchone()
    return row[0] or 0


def migrate(db: DatabaseLike) -> list[int]:
    """Apply every migration newer than the database's; return the ids applied."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = schema_version(db)
    if current > len(MIGRATIONS):
        raise StorageError(
            f"this database was written by a newer Signoff (schema {current}, this one knows {len(MIGRATIONS)})"
        )
    applied = []
    for number, (name, sql) in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        with transaction(db):
            # Re-check inside the lock: another process may have migrated meanwhile.
            if schema_version(db) >= number:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)",
                (number, name, utcnow()),
            )
        applied.append(number)
    return applied


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (triggers contain ';' inside BEGIN..END)."""
    buf: list[str] = []
    for line in sql.splitlines():
        buf.append(line)
        candidate = "\n".join(buf).strip()
        if candidate and sqlite3.complete_statement(candidate):
            yield candidate
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        yield rest
