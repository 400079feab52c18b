"""Open ``signoff.db``: WAL, explicit transactions, numbered migrations.

sqlite3's own implicit transactions are switched off (``isolation_level=None``)
so every write says where it begins and ends: ``with transaction(db):``. Each
migration runs with its record in ``migrations`` inside one transaction, so a
crash leaves the schema either before or after it, never half-way.

Upgrades: before a newer Signoff migrates an older database, a copy of it is kept beside
it (``signoff.db.schema-N.bak``) and the upgrade is listed in ``upgrades`` for the
command line and the window to say once. An older Signoff never opens a newer database:
it stops with one line naming both schema versions, having changed nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from desktop_app.core.errors import StorageError
from desktop_app.core.stamps import utcnow
from desktop_app.core.visible import reveal
from desktop_app.storage.engine import POSTGRESQL, engine_of
from desktop_app.storage.migrations import MIGRATIONS

if TYPE_CHECKING:
    import sqlite_utils

DB_FILENAME = "signoff.db"


def latest_schema() -> int:
    """The schema this Signoff writes: its number of migrations."""
    return len(MIGRATIONS)


class Upgrade(NamedTuple):  # a tuple, not a dataclass (0.5 ms each): read at the window's start
    path: Path
    old: int
    new: int
    copy: Path  # the database as it was before

    def describe(self) -> str:
        return (
            f"upgraded the database {self.path} from schema {self.old} to {self.new};"
            f" a copy of it as it was is kept at {self.copy}"
        )


upgrades: list[Upgrade] = []  # made by this process, oldest first


class CursorLike(Protocol):
    """What the storage layer reads of a cursor: SQLite's, or ``storage.pg``'s."""

    @property
    def description(self) -> Any: ...

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def new_id(cur: CursorLike) -> int:
    """The rowid an ``INSERT`` just made (always set after a successful insert)."""
    rowid = cur.lastrowid
    assert rowid is not None
    return rowid


class DatabaseLike(Protocol):
    """What the storage layer uses of a database: ``sqlite_utils.Database`` and
    ``PlainDatabase`` both are one, so code that only reads and writes SQL takes either."""

    @property
    def conn(self) -> Any: ...  # sqlite3.Connection, or storage.pg.PgConnection

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> Any: ...  # a CursorLike

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


def connect(path: Path | str, *, check: bool = True) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date.
    ``check``: SQLite's quick check first (a damaged file is opened for reading only)."""
    import sqlite_utils

    return sqlite_utils.Database(_open_or_say(Path(path), check=check))


def connect_plain(path: Path | str, *, check: bool = True) -> PlainDatabase:
    """The same database without sqlite-utils, for the window's start (see ``PlainDatabase``)."""
    return PlainDatabase(_open_or_say(Path(path), check=check))


def _open(path: Path, *, check: bool = True) -> sqlite3.Connection:
    """Open read-write where the folder allows it, else read-only; ``check``: SQLite's
    ``quick_check`` first, and a damaged file is only read (``storage.health``). Opening
    writes nothing unless the schema needs migrating (or the file is new)."""
    from desktop_app.storage import health

    conn: sqlite3.Connection | None = None
    reason: str | None = None
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            if not path.parent.is_dir():
                raise
        full = False
        if _writable(path):
            try:
                conn = _connect_read_write(path)
            except sqlite3.OperationalError as exc:
                full = health.disk_full(path, exc)
                if not (full or _write_refused(exc)):
                    raise
        if conn is None:
            conn = _connect_read_only(path)
            reason = health.full_line(path) if full else health.read_only_line(path)
        damaged = health.damage(path) is not None  # as this process's checked open found it
        if check and not health.checks_deferred():
            finding = health.quick_check(conn)
            damaged = finding is not None
            if finding:
                reason = health.damaged_line(path, finding)
        elif reason is None:
            reason = health.read_only_reason(path)
        if reason is not None:
            conn.execute("PRAGMA query_only = 1")  # a write fails at once, names the reason
        if reason is None:
            _upgrade(conn, path)
        else:
            _refuse_unmigrated(PlainDatabase(conn), path, reason)
        health.remember(path, reason, damaged=damaged)
    except BaseException:
        if conn is not None:  # refused or failed: nothing left open (nor its -wal, -shm)
            conn.close()
        raise
    return conn


def _writable(path: Path) -> bool:
    import os

    folder_ok = os.access(path.parent, os.W_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def _write_refused(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _connect_read_write(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=15)
    try:
        _use_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=15000")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """``mode=ro``; where SQLite cannot make the WAL's shared-memory file beside it (a
    read-only folder, a full disk), ``immutable=1``: nobody can be writing to it there."""
    if not path.exists():
        raise StorageError(f"there is no database at {path}, and its folder is read-only")
    uri = path.resolve().as_uri()
    for options in ("?mode=ro", "?mode=ro&immutable=1"):
        conn = sqlite3.connect(
            uri + options, uri=True, isolation_level=None, check_same_thread=False, timeout=15
        )
        try:
            conn.execute("PRAGMA busy_timeout=15000")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            cannot_share = any(w in str(exc).lower() for w in ("unable to open", "i/o error"))
            if not cannot_share or options.endswith("immutable=1"):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _refuse_unmigrated(db: PlainDatabase, path: Path, reason: str) -> None:
    """A database opened read-only can be read only at this Signoff's schema."""
    current = schema_version(db)
    _refuse_newer(current, str(path))
    if current < latest_schema():
        raise StorageError(
            f"{reason}; besides, it was written by an older Signoff (schema {current}) and"
            f" cannot be upgraded to schema {latest_schema()} where it is: copy it to a"
            " writable folder first"
        )


def _open_or_say(path: Path, *, check: bool = True) -> sqlite3.Connection:
    from desktop_app.storage import health

    try:
        return _open(path, check=check)
    except sqlite3.DatabaseError as exc:
        known = health.explain(exc, path)
        if known is not None:
            raise known from exc
        raise StorageError(f"cannot open the database {path}: {reveal(str(exc))}") from exc
    except OSError as exc:
        known = health.explain(exc, path)
        if known is not None:
            raise known from exc
        raise StorageError(f"cannot create the data folder {path.parent}: {exc.strerror}") from exc


def _upgrade(conn: sqlite3.Connection, path: Path) -> None:
    db = PlainDatabase(conn)
    current = schema_version(db)
    copy = _keep_copy(conn, path, current) if 0 < current < latest_schema() else None
    applied = migrate(db, name=str(path))  # refuses a newer database, changing nothing
    if copy is not None and applied:
        upgrades.append(Upgrade(path, current, latest_schema(), copy))


def _refuse_newer(current: int, name: str) -> None:
    if current > latest_schema():
        from desktop_app import __version__

        raise StorageError(
            f"{name} was written by a newer Signoff (database schema {current}); this Signoff"
            f" ({__version__}) reads schema {latest_schema()} at most. Nothing was changed: start the"
            " newer Signoff"
        )


def _keep_copy(conn: sqlite3.Connection, path: Path, schema: int) -> Path:
    """A consistent copy of the database before migrating it (``VACUUM INTO``: the committed
    state, WAL included). The first process to finish its copy keeps it: a copy made a
    moment later, by a second process, could already be the migrated one."""
    import os

    copy = path.with_name(f"{path.name}.schema-{schema}.bak")
    if copy.exists():
        return copy
    part = path.with_name(f"{copy.name}.{os.getpid()}.part")
    try:
        part.unlink(missing_ok=True)
        conn.execute("VACUUM INTO ?", [str(part)])
        try:
            os.link(part, copy)  # never replaces a copy already there
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system (FAT, some network drives)
            if not copy.exists():
                os.replace(part, copy)
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StorageError(
            f"cannot keep a copy of {path} before upgrading it (schema {schema} to"
            f" {latest_schema()}):"
            f" {exc}; nothing was changed"
        ) from exc
    finally:
        part.unlink(missing_ok=True)
    return copy


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


def writes_refused(db: DatabaseLike) -> bool:
    """Opened read-only (a read-only folder, a damaged file; on PostgreSQL a read-only
    session or server): nothing may be written."""
    if engine_of(db) == POSTGRESQL:
        return db.execute("SHOW transaction_read_only").fetchone()[0] == "on"
    return bool(db.execute("PRAGMA query_only").fetchone()[0])


def schema_version(db: DatabaseLike) -> int:
    if "migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(id) FROM migrations").fetchone()
    return row[0] or 0


def migrate(db: DatabaseLike, *, name: str = "this database") -> list[int]:
    """Apply every migration newer than the database's; return the ids applied. A database
    newer than this Signoff (``name`` says which) is refused."""
    conn = db.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = schema_version(db)
    _refuse_newer(current, name)
    applied = []
    for number, (name, sql) in enumerate(MIGRATIONS, start=1):
        if number <= current:
            continue
        with transaction(db):
            # Re-check inside the lock: another process may have migrated meanwhile.
            if schema_version(db) >= number:
                continue
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)",
                (number, name, utcnow()),
            )
        applied.append(number)
    return applied


def statements(sql: str) -> Iterator[str]:
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
