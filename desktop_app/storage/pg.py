"""A PostgreSQL database with the face the storage layer knows (issue 26, "team").

The storage modules write their SQL once, in the dialect SQLite and PostgreSQL share, with
``?`` placeholders; ``PgDatabase.execute`` hands it to psycopg translated (``to_postgres``):

- ``?`` becomes ``%s`` and a ``%`` of the SQL itself ``%%`` (psycopg's placeholders);
- ``BEGIN IMMEDIATE`` (SQLite's "take the write lock now") becomes ``BEGIN``;
- ``INSERT OR IGNORE INTO t …`` becomes ``INSERT INTO t … ON CONFLICT DO NOTHING``;
- an ``INSERT`` into a table with a generated key returns it (``RETURNING``), so
  ``db.new_id(cursor)`` reads it as it reads SQLite's ``lastrowid``.

What the two engines do differently in earnest (the full-text index, ``PRAGMA``) is
decided where it is used, by ``engine_of(db)``. The connection runs in autocommit, as
SQLite's does here (``isolation_level=None``): every write says where its transaction
begins and ends (``storage.db.transaction``).

A transaction's statements are not sent one by one: each is bound here (psycopg's
``ClientCursor.mogrify``) and queued, and the queue goes to the server as one message when
an answer is first read (a returned key, a row, a count) and at ``COMMIT``. Each message
sent is a wait for the server in which the process's other threads take the interpreter,
and taking it back costs up to a thread switch (5 ms) when they are busy: a runner's item,
written as five messages beside four threads making model calls, cost 5.6 ms of the writer's
time (issue 26). An error is then raised at the next read or at ``COMMIT``; the transaction
is rolled back either way, as before.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

# Imported with this module, which only a team database loads: never on the window's start,
# and not again at each statement.
import psycopg
import psycopg.generators
from psycopg import pq
from psycopg.adapt import Transformer
from psycopg.pq import TransactionStatus

from desktop_app.core.errors import StorageError
from desktop_app.storage.engine import POSTGRESQL as ENGINE

# Tables whose key the database makes, and the key's column (for RETURNING).
GENERATED_KEYS = {
    "workflow_versions": "id",
    "runs": "id",
    "run_inputs": "id",
    "items": "id",
    "decisions": "id",
    "model_calls": "id",
    "events": "seq",
    "profiles": "id",
    "actions": "id",
}

_LITERAL_OR_MARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
_BOUNDARY = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_PLAIN_INSERT = re.compile(
    r"^\s*INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*\((\s*\?\s*,?)+\)\s*$", re.IGNORECASE
)


def to_postgres(sql: str) -> tuple[str, str | None]:
    """``sql`` in PostgreSQL's words, and the key column an INSERT returns (None: none)."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN", None

    def mark(found: re.Match[str]) -> str:
        text = found.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%")  # a literal: its own % doubled, its ? left alone

    translated = _LITERAL_OR_MARK.sub(mark, sql)
    insert = _INSERT.match(translated)
    if insert is None:
        return translated, None
    ignore, table = insert.group(1), insert.group(2).lower()
    if ignore:
        translated = _INSERT.sub(f"INSERT INTO {insert.group(2)}", translated, count=1)
        translated = translated.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    key = GENERATED_KEYS.get(table)
    if key is not None and "RETURNING" not in translated.upper():
        translated = translated.rstrip().rstrip(";") + f" RETURNING {key}"
    return translated, key


@lru_cache(maxsize=1024)  # the storage layer's statements are few, and said again and again
def _statement(sql: str) -> tuple[str | None, str, str | None, bool]:
    """What ``PgConnection.execute`` needs to know of ``sql``, worked out once a statement:
    the transaction's boundary it is (BEGIN, COMMIT, ROLLBACK; None), its PostgreSQL words,
    the key an INSERT returns, and whether it is a script of several statements."""
    boundary = _BOUNDARY.match(sql)
    word = boundary.group(1).upper() if boundary is not None else None
    translated, key = to_postgres(sql)
    script = ";" in translated.rstrip().rstrip(";")  # a migration's
    return word, translated, key, script


NUL, STORED_NUL = "\x00", "\ufffd"


def _storable(values: Sequence[Any]) -> list[Any]:
    """PostgreSQL's text cannot hold the NUL character (SQLite's can): a NUL a model or an
    input sent is stored as U+FFFD, the replacement character. The answer holding it was
    escalated already, as every invisible character is (the ``visible`` check)."""
    return [v.replace(NUL, STORED_NUL) if isinstance(v, str) and NUL in v else v for v in values]


BACKSLASH = "\\"


def _literal(value: Any) -> str | None:
    """``value`` as an SQL literal, written as psycopg's ``ClientCursor.mogrify`` writes it,
    for the types the storage layer sends; None for another type (psycopg binds that).
    Several times faster than psycopg's adapters, and a team database's writer binds some
    twenty values an item (issue 26)."""
    kind = type(value)
    if kind is str:
        if NUL in value:  # as ``_storable`` stores it
            value = value.replace(NUL, STORED_NUL)
        text = value.replace("'", "''")
        if BACKSLASH in text:  # an escape string, its backslashes doubled (as psycopg does)
            return " E'" + text.replace(BACKSLASH, BACKSLASH * 2) + "'"
        return "'" + text + "'"
    if value is None:
        return "NULL"
    if kind is int:
        return f" {value}" if value < 0 else str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float and math.isfinite(value):
        return f" {value!r}" if value < 0 else repr(value)
    return None  # NaN and infinities included: psycopg writes them as typed strings


class PgCursor:
    """psycopg's cursor, with ``lastrowid`` the key an INSERT returned; or, for a statement
    of a transaction, its answer once the queue it is in was sent (``PgConnection.send``):
    the server's result, its rows decoded when first read (most are never read)."""

    def __init__(self, conn: PgConnection, returned_key: bool, cursor: Any = None):
        self._conn = conn
        self._cursor = cursor  # psycopg's (sent at once); None: queued
        self._returned_key = returned_key
        self._key: int | None = None
        self._result: Any = None  # the server's answer (a psycopg PGresult), once sent
        self._rows: Iterator[Any] | None = None

    def answered(self, result: Any) -> None:
        self._result = result

    def _answered(self) -> Any:
        if self._result is None:
            self._conn.send()
        assert self._result is not None  # (sent: every queued statement is answered)
        return self._result

    def _unread(self) -> Iterator[Any]:
        if self._rows is None:
            self._rows = iter(self._conn.rows_of(self._answered()))
        return self._rows

    @property
    def lastrowid(self) -> int | None:
        if self._returned_key:
            self._returned_key = False
            row = self.fetchone()
            self._key = int(row[0]) if row else None
        return self._key

    @property
    def description(self) -> Any:
        if self._cursor is not None:
            return self._cursor.description
        return self._conn.description_of(self._answered())

    @property
    def rowcount(self) -> int:
        if self._cursor is not None:
            return int(self._cursor.rowcount)
        count = self._answered().command_tuples
        return -1 if count is None else int(count)

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()

    def fetchone(self) -> Any:
        if self._cursor is not None:
            return self._cursor.fetchone() if self._cursor.description else None
        return next(self._unread(), None)

    def fetchmany(self, size: int) -> list[Any]:
        if self._cursor is not None:
            return self._cursor.fetchmany(size) if self._cursor.description else []
        return list(itertools.islice(self._unread(), size))

    def fetchall(self) -> list[Any]:
        if self._cursor is not None:
            return self._cursor.fetchall() if self._cursor.description else []
        return list(self._unread())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """What ``storage.db`` uses of a connection: ``execute``, ``in_transaction``, ``close``.

    Round trips are what a team database costs, so a transaction's statements are queued
    and sent together (see the module), and what one transaction already knows is kept
    until it ends: the advisory locks it holds (taken once), a value a writer keeps for it
    (``kept``: the log's chain end while it holds the log's lock), and writes that need
    doing once, just before ``COMMIT`` (``at_commit``: the log's recorded head)."""

    def __init__(self, raw: psycopg.Connection[Any]):
        self.raw = raw
        self.locks: set[int] = set()
        self.kept: dict[str, Any] = {}
        self.at_commit: dict[str, Callable[[], None]] = {}
        self._binder = psycopg.ClientCursor(raw)
        self._reader = Transformer(raw)  # decodes a sent statement's rows, when they are read
        self._queued: list[tuple[str, PgCursor]] = []
        self._open = False  # a transaction begun (its BEGIN perhaps still queued)

    def _transaction_ends(self, word: str) -> None:
        """``word`` (BEGIN, COMMIT, ROLLBACK) is about to be sent: what the transaction
        kept ends with it, its ``at_commit`` writes go first."""
        if word == "COMMIT":
            pending, self.at_commit = self.at_commit, {}
            for write in pending.values():
                write()
        self.locks.clear()
        self.kept.clear()
        self.at_commit.clear()

    def lock_once(self, key: int) -> None:
        """``pg_advisory_xact_lock(key)``, once a transaction."""
        if key not in self.locks:
            self.execute("SELECT pg_advisory_xact_lock(?)", [key])
            self.locks.add(key)

    @property
    def in_transaction(self) -> bool:
        return self._open or self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PgCursor:
        word, translated, key, script = _statement(sql)
        if word is not None:
            self._transaction_ends(word)
        if word == "BEGIN":
            self._open = True
        if self._open:  # queued, sent with the next read or the end
            cursor = PgCursor(self, key is not None)
            if script:
                self.send()  # alone in its message: its answer is its last statement's
            self._queued.append((self._bound(translated, parameters or ()), cursor))
            if word in ("COMMIT", "ROLLBACK"):
                self._open = False
                self.send()
            elif script:
                self.send()
            return cursor
        raw = self.raw.cursor()
        try:
            raw.execute(translated, _storable(parameters) if parameters else None)  # type: ignore[arg-type]
        except psycopg.errors.InsufficientPrivilege as refused:
            raise _refused(refused) from None
        return PgCursor(self, key is not None, raw)

    def _bound(self, translated: str, parameters: Sequence[Any]) -> str:
        """``translated`` (psycopg's ``%s`` placeholders) with ``parameters`` written in."""
        literals = [_literal(value) for value in parameters]
        if None in literals:
            return self._binder.mogrify(translated, _storable(parameters))
        return translated % tuple(literals)  # %s and %% are Python's own formatting too

    def send(self) -> None:
        """The queued statements, as one message; each queued cursor gets its answer. On an
        error, a transaction that has ended (``COMMIT`` was queued) is rolled back here; one
        still open is rolled back by its caller (``storage.db.transaction``).

        Sent as psycopg's cursor sends a query with no parameters, without the cursor: it
        would decode every statement's answer, and a writer reads few of them."""
        queued, self._queued = self._queued, []
        if not queued:
            return
        raw = self.raw
        query = ";\n".join(sql for sql, _ in queued).encode(raw.info.encoding)
        with raw.lock:
            raw.pgconn.send_query(query)
            results = raw.wait(psycopg.generators.execute(raw.pgconn))
        for result in results:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                failed = psycopg.errors.error_from_result(result, encoding=raw.info.encoding)
                if not self._open and raw.info.transaction_status == TransactionStatus.INERROR:
                    raw.execute("ROLLBACK")
                if isinstance(failed, psycopg.errors.InsufficientPrivilege):
                    raise _refused(failed) from None
                raise failed
        if len(queued) == 1:
            queued[0][1].answered(results[-1])
            return
        for (_, waiting), result in zip(queued, results, strict=True):
            waiting.answered(result)

    def rows_of(self, result: Any) -> list[Any]:
        """A sent statement's rows, as tuples (none for a statement that returns none)."""
        if result.status != pq.ExecStatus.TUPLES_OK:
            return []
        self._reader.set_pgresult(result)
        return self._reader.load_rows(0, result.ntuples, tuple)

    def description_of(self, result: Any) -> Any:
        """A sent statement's columns (each a tuple whose first item is its name), or None."""
        if result.status != pq.ExecStatus.TUPLES_OK:
            return None
        encoding = self.raw.info.encoding
        return [
            (result.fname(i).decode(encoding), result.ftype(i), None, None, None, None, None)
            for i in range(result.nfields)
        ]

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Many rows of one statement; a plain ``INSERT INTO t (columns) VALUES (?, …)``
        goes by ``COPY``, several times faster (the log's appends in bulk, a copy)."""
        self.send()  # what was queued before goes first
        plain = _PLAIN_INSERT.match(sql)
        if plain is not None:
            columns = plain.group(2)
            copying = f"COPY {plain.group(1)} ({columns}) FROM STDIN"
            with self.raw.cursor() as cursor, cursor.copy(copying) as copy:
                for row in rows:
                    copy.write_row(_storable(row))
            return
        translated, key = to_postgres(sql)
        if key is not None:  # many rows: their keys are not asked for
            translated = translated[: translated.rindex(" RETURNING ")]
        with self.raw.cursor() as cursor:
            cursor.executemany(translated, [_storable(row) for row in rows])  # type: ignore[arg-type]

    def close(self) -> None:
        self.raw.close()


def _refused(refused: psycopg.Error) -> StorageError:
    """The role's grants refused a statement: one line."""
    said = str(refused).strip().splitlines()[0]
    return StorageError(f"the team database refused it: {said}")


class PgDatabase:
    """A PostgreSQL database as the storage layer sees one (``DatabaseLike``)."""

    engine = ENGINE

    def __init__(self, raw: psycopg.Connection[Any]):
        self.conn = PgConnection(raw)

    def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> PgCursor:
        if isinstance(parameters, dict):
            raise TypeError("the storage layer's SQL takes ? placeholders, not names")
        return self.conn.execute(sql, parameters)

    def table_names(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        return [row[0] for row in rows]


def connect(url: str, *, password: str | None = None, migrate: bool = True) -> PgDatabase:
    """Open the PostgreSQL database at ``url`` (a URL without a password: it comes from the
    keychain, through ``password``) and bring its schema up to date. TLS is used when the
    server offers it (libpq's ``sslmode=prefer``); ``sslmode=verify-full`` in the URL
    requires it and checks the server's certificate."""
    try:
        raw = psycopg.connect(url, autocommit=True, password=password, connect_timeout=10)
    except psycopg.OperationalError as exc:
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if password:
            said = said.replace(password, "***")
        raise StorageError(f"cannot reach the team database: {said}") from None
    db = PgDatabase(raw)
    if migrate:
        from desktop_app.storage import pg_schema

        try:
            pg_schema.migrate(db)
        except BaseException:
            raw.close()  # refused (a newer schema): nothing left open
            raise
    return db
