"""Spec versions (``workflow_versions``): the text of every spec a run has used, and the
workflow names they carry."""

from __future__ import annotations

from typing import NamedTuple

from desktop_app.core.stamps import utcnow
from desktop_app.storage.db import DatabaseLike, new_id


class SpecVersion(NamedTuple):
    id: int
    hash: str
    spec_text: str


def latest_version(db: DatabaseLike, workflow: str) -> SpecVersion | None:
    """The newest recorded version of ``workflow``."""
    row = db.execute(
        "SELECT id, hash, spec_text FROM workflow_versions WHERE workflow = ? ORDER BY id DESC LIMIT 1",
        [workflow],
    ).fetchone()
    return SpecVersion(row[0], row[1], row[2]) if row else None


def insert_version(db: DatabaseLike, workflow: str, hash_: str, path: str, text: str) -> int:
    cur = db.execute(
        "INSERT INTO workflow_versions (workflow, hash, path, spec_text, created_at) VALUES (?, ?, ?, ?, ?)",
        [workflow, hash_, path, text, utcnow()],
    )
    return new_id(cur)


def workflow_names(db: DatabaseLike) -> list[str]:
    """Every workflow that has ever run (from the small versions table, not a scan of items)."""
    return [
        r[0]
        for r in db.execute("SELECT DISTINCT workflow FROM workflow_versions ORDER BY workflow")
    ]


# Every table that names a workflow, but the append-only events (the log keeps what was).
_NAMED_BY_WORKFLOW = (
    "workflow_versions",
    "runs",
    "items",
    "processed_inputs",
    "model_calls",
    "profiles",
    "workflow_state",
    "actions",
)


def rename_workflow(db: DatabaseLike, old: str, new: str) -> None:
    """Its rows follow a workflow to its new name; call inside a transaction."""
    for table in _NAMED_BY_WORKFLOW:
        db.execute(f"UPDATE {table} SET workflow = ? WHERE workflow = ?", [new, old])
