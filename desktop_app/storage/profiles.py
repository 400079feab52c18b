"""The ``profiles`` table: cost profiles and their stored reports (JSON, read by the profiler)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike


def insert(
    db: DatabaseLike,
    *,
    workflow: str,
    spec_hash: str,
    version_id: int | None,
    models: list[str],
    runs_per_month: float | None,
    started_at: str,
) -> int:
    """A profile in state ``running``; its id."""
    cursor = db.execute(
        "INSERT INTO profiles (workflow, spec_hash, version_id, state, models_json, "
        "runs_per_month, started_at) VALUES (?, ?, ?, 'running', ?, ?, ?)",
        [workflow, spec_hash, version_id, json.dumps(models), runs_per_month, started_at],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish(db: DatabaseLike, profile_id: int, state: str, report_json: str, at: str) -> None:
    db.execute(
        "UPDATE profiles SET state = ?, report_json = ?, finished_at = ? WHERE id = ?",
        [state, report_json, at, profile_id],
    )


def report(db: DatabaseLike, profile_id: int) -> str | None:
    row = db.execute("SELECT report_json FROM profiles WHERE id = ?", [profile_id]).fetchone()
    return row[0] if row else None


def latest_report(db: DatabaseLike, workflow: str, spec_hash: str | None = None) -> str | None:
    """The report of the newest finished profile of ``workflow`` (for ``spec_hash``)."""
    sql = "SELECT report_json FROM profiles WHERE workflow = ? AND state = 'finished'"
    params: list[str] = [workflow]
    if spec_hash is not None:
        sql += " AND spec_hash = ?"
        params.append(spec_hash)
    row = db.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
    return row[0] if row and row[0] else None
