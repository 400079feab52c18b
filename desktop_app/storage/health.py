"""The database file's health: damaged, read-only, or on a full disk — each in one line.

Three conditions are the environment's, not Signoff's bugs, and each gets one line that
says what to do instead of "internal error":

- **a full disk** (``SQLITE_FULL``, ``ENOSPC``): the write is rolled back whole; reads go on;
- **a read-only data folder** (a read-only mount, a backup, an archive): the database is
  opened read-only — the inbox, show, the log's verification and exports work — and a
  write says the folder is read-only;
- **a damaged file** (SQLite's ``quick_check`` at open, ``integrity_check`` in ``log
  verify``): Signoff reads what it can and writes nothing into it (``PRAGMA query_only``);
  the line names the copy kept at upgrades and ``signoff db recover``.

``explain`` turns an exception into that line wherever it surfaces (the command line, the
window's error path); ``read_only_reason`` says why a database was opened read-only.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from desktop_app.core.errors import StorageError
from desktop_app.core.visible import reveal

SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 8, 10, 11, 13, 26
NEARLY_FULL = 256 * 1024  # bytes free below which an I/O error is taken for a full disk

_reasons: dict[str, tuple[str, str]] = {}  # path -> (damaged | read-only, the line), this process
_last: list[Path] = []  # the database this process opened last (for a bare "disk full")


class DamagedDatabaseError(StorageError):
    """SQLite reports the database file damaged."""


_deferred: list[bool] = [False]


def defer_checks() -> None:
    """The window: no quick check as connections open (it would compete with the first
    paint); ``check`` runs once on the worker after it."""
    _deferred[0] = True


def checks_deferred() -> bool:
    return _deferred[0]


def check(conn: sqlite3.Connection, path: Path) -> str | None:
    """SQLite's quick check on ``conn`` now; a damaged file makes ``conn`` read-only and is
    recorded, so every connection opened after it is read-only too. Returns the line."""
    finding = quick_check(conn)
    if finding is None:
        return None
    line = damaged_line(path, finding)
    conn.execute("PRAGMA query_only = 1")
    remember(path, line, damaged=True)
    return line


def remember(path: Path, reason: str | None, *, damaged: bool = False) -> None:
    """Record the database ``path`` this process opened, and why it is read-only (if it is)."""
    _last[:] = [path]
    if reason:
        _reasons[str(path)] = ("damaged" if damaged else "read-only", reason)
    else:
        _reasons.pop(str(path), None)


def read_only_reason(path: Path) -> str | None:
    """Why this process opened ``path`` read-only, or None."""
    found = _reasons.get(str(path))
    return found[1] if found else None


def damage(path: Path) -> str | None:
    """The line saying ``path`` is damaged, when this process's check found it so."""
    found = _reasons.get(str(path))
    return found[1] if found and found[0] == "damaged" else None


def first_problem(rows: list[tuple[str]]) -> str | None:
    """The first line of a ``quick_check`` / ``integrity_check`` answer, None when "ok"."""
    lines = [str(r[0]) for r in rows]
    if lines == ["ok"]:
        return None
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return reveal(lines[0][:200]) + more if lines else "no answer"


def quick_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's ``quick_check``: None when the file is sound, else its first finding."""
    return _check(conn, "quick_check")


def integrity_check(conn: sqlite3.Connection) -> str | None:
    """SQLite's full ``integrity_check`` (indexes against tables too)."""
    return _check(conn, "integrity_check")


def _check(conn: sqlite3.Connection, pragma: str) -> str | None:
    try:
        return first_problem(conn.execute(f"PRAGMA {pragma}(20)").fetchall())
    except sqlite3.DatabaseError as exc:  # damage the check itself trips over is a finding too
        if is_damage(exc):
            return reveal(str(exc))
        raise


def _primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of ``exc`` (the extended code's low byte), if it has one."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _says_full(exc: BaseException) -> bool:
    return _primary_code(exc) == SQLITE_FULL or "disk is full" in str(exc).lower()


def is_damage(exc: BaseException) -> bool:
    """SQLite says the file is damaged (corrupt, malformed, not a database)."""
    text = str(exc).lower()
    return (
        _primary_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB)
        or "malformed" in text
        or "not a database" in text
        or "corrupt" in text
    )


def damaged_line(path: Path, finding: str) -> str:
    backups = sorted(path.parent.glob(f"{path.name}.schema-*.bak"))
    restore = f"restore the copy kept at the last upgrade ({backups[-1]}), or " if backups else ""
    return (
        f"the database {path} is damaged (SQLite's check: {finding}); Signoff reads what it can"
        f" and writes nothing into it: {restore}run `signoff db recover` to copy what can be"
        " read into a new file"
    )


def read_only_line(path: Path) -> str:
    return (
        f"the data folder {path.parent} is read-only: Signoff can show the inbox, items and the"
        " log, verify and export it, but not change anything there"
    )


def full_line(path: Path | None) -> str:
    where = f" holding {path.parent}" if path is not None else ""
    return f"the disk{where} is full: free some space and try again (nothing was half-written)"


def disk_full(path: Path, exc: BaseException) -> bool:
    """SQLite said the disk is full, or an I/O error came from a disk with no room left
    (SQLite cannot make the WAL's shared-memory file on a full disk: "disk I/O error")."""
    import shutil

    if _says_full(exc):
        return True
    if _primary_code(exc) != SQLITE_IOERR and "i/o error" not in str(exc).lower():
        return False
    try:
        return shutil.disk_usage(path.parent).free < NEARLY_FULL
    except OSError:
        return False


def explain(exc: BaseException, path: Path | None = None) -> StorageError | None:
    """The one line for a full disk, a read-only folder or a damaged file; None for
    anything else (a bug stays a bug)."""
    if isinstance(exc, StorageError):
        return exc
    path = path or (_last[0] if _last else None)
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            return StorageError(full_line(path))
        if exc.errno == errno.EROFS and path is not None:
            return StorageError(read_only_reason(path) or read_only_line(path))
        return None
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    if _says_full(exc) or (path is not None and disk_full(path, exc)):
        return StorageError(full_line(path))
    if _primary_code(exc) == SQLITE_READONLY or "readonly database" in str(exc).lower():
        if path is not None:
            return StorageError(read_only_reason(path) or read_only_line(path))
        return StorageError("the database is read-only here: nothing was changed")
    if is_damage(exc):
        if path is None:
            return DamagedDatabaseError(f"the database is damaged ({reveal(str(exc))[:200]})")
        return DamagedDatabaseError(damaged_line(path, reveal(str(exc))[:200]))
    return None
