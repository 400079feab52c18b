"""What ``signoff db info`` says of the database: its engine, where it is, its schema and
what it holds — never a password (a team database's URL is shown without it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from desktop_app.storage.db import DatabaseLike, latest_schema, schema_version
from desktop_app.storage.engine import POSTGRESQL, engine_of

COUNTED = ("items", "runs", "events", "model_calls")


def _size(path: Path) -> int:
    """The file and its write-ahead log (where the newest writes are until a checkpoint)."""
    total = 0
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            total += part.stat().st_size
    return total


def info(db: DatabaseLike, path: Path) -> dict[str, Any]:
    """The facts of an open database (``path``: SQLite's file), in the order shown: where it
    is, then its schema and what it holds."""
    facts = _postgres(db) if engine_of(db) == POSTGRESQL else _sqlite(db, path)
    facts["schema"] = schema_version(db)
    facts["schema_written"] = latest_schema()
    for table in COUNTED:
        facts[table] = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return facts


def _sqlite(db: DatabaseLike, path: Path) -> dict[str, Any]:
    """This computer's file: its engine, where, how large, its journal."""
    return {
        "engine": f"SQLite {sqlite3.sqlite_version}",
        "file": str(path),
        "size_mb": round(_size(path) / 1_000_000, 2),
        "journal": db.execute("PRAGMA journal_mode").fetchone()[0],
    }


def _postgres(db: DatabaseLike) -> dict[str, Any]:
    """A team database: where (host, port, database, user: never the password), and TLS."""
    conn = db.conn.raw.info  # psycopg's connection info (the password is not shown here)
    return {
        "engine": f"PostgreSQL {db.execute('SHOW server_version').fetchone()[0]}",
        "host": conn.host,
        "port": conn.port,
        "database": conn.dbname,
        "user": conn.user,
        "tls": db.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0],
    }
