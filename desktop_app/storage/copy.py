"""A whole history from one database into another: a computer's file into a team's database
(``signoff db copy --to URL``), or back out (``--from URL``).

Every row keeps its number (items, runs, the log's ``seq``), so what refers to it still
does and the copied log verifies with the same last hash. The source is read in one
snapshot; the target is written in one transaction and must be empty of history: a copy
never mixes two. SQLite's full-text index is not copied (the target builds its own).
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.core.errors import KnownError
from desktop_app.storage.db import DatabaseLike, transaction
from desktop_app.storage.engine import POSTGRESQL, engine_of

# In the order their references need them.
TABLES = (
    "meta",
    "workflow_versions",
    "runs",
    "run_inputs",
    "items",
    "decisions",
    "processed_inputs",
    "model_calls",
    "events",
    "profiles",
    "workflow_state",
    "actions",
)
HISTORY = ("workflow_versions", "runs", "items", "events")
BATCH = 2000


def has_history(db: DatabaseLike) -> bool:
    return any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in HISTORY)


def copy_history(
    source: DatabaseLike,
    target: DatabaseLike,
    *,
    target_name: str,
    on_table: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Every row of ``source`` into the empty ``target``; rows copied, by table."""
    if has_history(target):
        raise KnownError(
            f"{target_name} already has a history: a copy goes only into a database without"
            " one (two histories are never mixed)"
        )
    copied: dict[str, int] = {}
    begin = "BEGIN ISOLATION LEVEL REPEATABLE READ" if engine_of(source) == POSTGRESQL else "BEGIN"
    source.conn.execute(begin)  # one snapshot of the source, however long the copy takes
    try:
        with transaction(target):
            target.execute("DELETE FROM meta")  # the source's (its log's head) replaces it
            for table in TABLES:
                copied[table] = _copy_table(source, target, table)
                if on_table is not None:
                    on_table(table, copied[table])
            if engine_of(target) == POSTGRESQL:
                _continue_numbering(target)
    finally:
        source.conn.execute("ROLLBACK")  # only read
    return copied


def _copy_table(source: DatabaseLike, target: DatabaseLike, table: str) -> int:
    cursor = source.execute(f"SELECT * FROM {table}")
    columns = [c[0] for c in cursor.description]
    names = ", ".join(f'"{c}"' for c in columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    count = 0
    while rows := cursor.fetchmany(BATCH):
        target.conn.executemany(insert, [tuple(row) for row in rows])
        count += len(rows)
    return count


def _continue_numbering(target: DatabaseLike) -> None:
    """PostgreSQL's generated keys go on after the copied rows' numbers."""
    from desktop_app.storage.pg import GENERATED_KEYS

    for table, key in GENERATED_KEYS.items():
        target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'),"
            f" coalesce((SELECT max({key}) FROM {table}), 1),"
            f" (SELECT max({key}) FROM {table}) IS NOT NULL)"
        )
