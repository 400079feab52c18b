"""Recover a damaged ``signoff.db``: copy what can be read into a new file, put it in place.

What SQLite's ``.recover`` does for the command-line shell, for a database Signoff wrote:
the new file gets the damaged one's own schema (its tables first, their indexes and
triggers after the rows), then each table's rows in rowid order; where a damaged page
stops a read, the copy probes past it and goes on, so one bad page loses the rows on it,
not the table. The full-text indexes are rebuilt from the recovered rows on first use
(``fulltext_state`` starts again at 0). The damaged file is kept beside, renamed, and the
recovered one takes its place only once SQLite's integrity check passes on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from desktop_app.core.errors import StorageError

_PROBE_LIMIT = 1 << 40  # rowids beyond this are not looked for
_PROBES = 400  # probes past one damaged span at most (steps double: enough to pass 2**40 twice)


@dataclass
class Recovered:
    path: Path
    damaged_copy: Path
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    unreadable: dict[str, str] = field(default_factory=dict)  # table -> why it was skipped
    gaps: dict[str, int] = field(default_factory=dict)  # table -> damaged spans stepped over


def recover(path: Path, *, on_table: Callable[[str], None] | None = None) -> Recovered:
    """Recover ``path`` in place (see the module's docstring); the damaged file is kept as
    ``signoff.db.damaged-STAMP``. Raises ``StorageError`` when nothing can be read."""
    if not path.exists():
        raise StorageError(f"there is no database at {path}")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    part = path.with_name(f"{path.name}.recovering")
    part.unlink(missing_ok=True)
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    target = sqlite3.connect(part, isolation_level=None)
    try:
        done = Recovered(path, path.with_name(f"{path.name}.damaged-{stamp}"))
        schema = _schema(source)
        target.execute("PRAGMA journal_mode=WAL")
        target.execute("BEGIN")
        for _name, sql in schema["table"]:
            target.execute(sql)
        for name, _sql in schema["table"]:
            if _is_fulltext(name):
                continue  # rebuilt from the recovered rows on first use
            if on_table is not None:
                on_table(name)
            _copy_table(source, target, name, done)
        if "migrations" in done.rows:
            _fill_migrations(target)
        if "runs" in done.rows and "items" in done.rows:
            done.rows["runs (stand-ins for lost ones)"] = _stand_in_runs(target)
        if "fulltext_state" in done.rows:
            target.execute("UPDATE fulltext_state SET done = 0")
        for kind in ("index", "trigger", "view"):
            for _name, sql in schema[kind]:
                target.execute(sql)
        target.execute("COMMIT")
        finding = target.execute("PRAGMA integrity_check").fetchone()[0]
        if finding != "ok":
            raise StorageError(f"the recovered copy of {path} is not sound either ({finding})")
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError as exc:
        target.close()
        part.unlink(missing_ok=True)
        raise StorageError(f"nothing could be recovered from {path}: {exc}") from exc
    finally:
        source.close()
    target.close()
    _swap(path, part, done.damaged_copy)
    return done


def _schema(source: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    try:
        rows = source.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"its list of tables cannot be read ({exc}), so nothing can be copied out of it"
            " here: restore a copy (the .bak kept at an upgrade, or a backup), or try SQLite's"
            " own shell: sqlite3 signoff.db .recover"
        ) from exc
    schema: dict[str, list[tuple[str, str]]] = {"table": [], "index": [], "trigger": [], "view": []}
    shadows = {
        name for kind, name, sql in rows if kind == "table" and "VIRTUAL TABLE" in sql.upper()
    }
    for kind, name, sql in rows:
        if name.startswith("sqlite_") or any(name.startswith(f"{v}_") for v in shadows):
            continue  # SQLite's own tables, and the shadow tables a virtual table makes itself
        schema.setdefault(kind, []).append((name, sql))
    return schema


def _is_fulltext(name: str) -> bool:
    return name.endswith("_fts")


def _copy_table(
    source: sqlite3.Connection, target: sqlite3.Connection, table: str, done: Recovered
) -> None:
    quoted = '"' + table.replace('"', '""') + '"'
    try:
        columns = [r[1] for r in source.execute(f"PRAGMA table_info({quoted})")]
    except sqlite3.DatabaseError as exc:
        done.unreadable[table] = str(exc)
        return
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    insert = f"INSERT OR IGNORE INTO {quoted} (rowid, {names}) VALUES ({', '.join('?' * (len(columns) + 1))})"
    select = f"SELECT rowid, {names} FROM {quoted} WHERE rowid > ? ORDER BY rowid"
    last, copied, gaps = -(1 << 62), 0, 0
    while True:
        try:
            for row in source.execute(select, [last]):
                target.execute(insert, row)
                last = row[0]
                copied += 1
            break
        except sqlite3.DatabaseError:  # a damaged page: step past it to the next row that reads
            gaps += 1
            found = _next_readable(source, quoted, names, last)
            if found is None:
                break
            target.execute(insert, found)
            last = found[0]  # strictly past the last row: every turn makes progress
            copied += 1
    done.rows[table] = copied
    if gaps:
        done.gaps[table] = gaps


def _fill_migrations(target: sqlite3.Connection) -> None:
    """Rows of ``migrations`` lost with a page: the schema copied is this Signoff's (the
    damaged file was open in it), so the record of the migrations that made it is too."""
    from desktop_app.core.stamps import utcnow
    from desktop_app.storage.migrations import MIGRATIONS

    target.executemany(
        "INSERT OR IGNORE INTO migrations (id, name, applied_at) VALUES (?, ?, ?)",
        [(n, name, utcnow()) for n, (name, _sql) in enumerate(MIGRATIONS, start=1)],
    )


def _stand_in_runs(target: sqlite3.Connection) -> int:
    """A ``failed`` run for each run the recovered items and inputs name but whose row was
    lost: their ids stay taken (a new run never shares one) and every item keeps its run."""
    cur = target.execute(
        "INSERT INTO runs (id, workflow, state, started_at, error)"
        " SELECT run_id, min(workflow), 'failed', min(created_at),"
        "   'its record was lost with a damaged page (signoff db recover)'"
        " FROM items WHERE run_id NOT IN (SELECT id FROM runs) GROUP BY run_id"
    )
    return max(cur.rowcount, 0)


def _next_readable(source: sqlite3.Connection, quoted: str, names: str, after: int) -> tuple | None:
    """The first row past rowid ``after`` that can be read, probing forward in doubling
    steps (each probe strictly past the last: it ends within ``_PROBES`` probes)."""
    probe, step = after + 1, 1
    for _ in range(_PROBES):
        if probe > _PROBE_LIMIT:
            return None
        try:
            row = source.execute(
                f"SELECT rowid FROM {quoted} WHERE rowid >= ? ORDER BY rowid LIMIT 1", [probe]
            ).fetchone()
        except sqlite3.DatabaseError:
            probe, step = probe + step, step * 2
            continue
        if row is None:
            return None
        try:
            found = source.execute(
                f"SELECT rowid, {names} FROM {quoted} WHERE rowid = ?", [row[0]]
            ).fetchone()
        except sqlite3.DatabaseError:
            probe, step = int(row[0]) + step, step * 2
            continue
        if found is not None:
            return tuple(found)
        probe, step = int(row[0]) + 1, 1
    return None


def _swap(path: Path, part: Path, damaged_copy: Path) -> None:
    """The damaged file (and its -wal, -shm) aside, the recovered one in its place."""
    import os

    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:  # what it held belongs with the damaged file
        os.replace(wal, damaged_copy.with_name(damaged_copy.name + "-wal"))
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(path, damaged_copy)
    os.replace(part, path)
    for suffix in ("-wal", "-shm"):
        path.with_name(part.name + suffix).unlink(missing_ok=True)
