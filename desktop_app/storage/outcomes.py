"""What became of a workflow's items and what its runs cost, over a period: the rows the
scorecard (``services/scorecard.py``) adds up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike


class Outcome(NamedTuple):
    status: str
    created_at: str
    decided_at: str | None
    reason: str | None  # why it was made escalated (kept after a decision)
    reject_reason: str | None
    edited_from: str | None  # the model's output, when a person approved an edit of it
    edited_to: str | None


def item_outcomes(db: DatabaseLike, workflow: str, since: str, until: str) -> Iterator[Outcome]:
    """Every item of ``workflow`` made in [since, until); the texts only of edited ones."""
    edited = "status = 'approved' AND output != original_output"
    rows = db.execute(
        "SELECT status, created_at, decided_at, reason, reject_reason,"
        f" CASE WHEN {edited} THEN original_output END, CASE WHEN {edited} THEN output END"
        " FROM items WHERE workflow = ? AND created_at >= ? AND created_at < ?",
        [workflow, since, until],
    )
    return (Outcome(*row) for row in rows)


def run_starts(db: DatabaseLike, workflow: str, since: str, until: str) -> list[str]:
    rows = db.execute(
        "SELECT started_at FROM runs WHERE workflow = ? AND started_at >= ? AND started_at < ?",
        [workflow, since, until],
    )
    return [r[0] for r in rows]


def run_call_costs(
    db: DatabaseLike, workflow: str, since: str, until: str
) -> list[tuple[str, float | None]]:
    """(time, cost) of each answered call made for the workflow's items (a failed call
    was not charged; profiles, tests and comparisons make no item). None: no known price."""
    rows = db.execute(
        "SELECT at, cost_usd FROM model_calls WHERE workflow = ? AND purpose = 'run' AND ok = 1"
        " AND at >= ? AND at < ?",
        [workflow, since, until],
    )
    return [(r[0], r[1]) for r in rows]


def decided_newest_first(db: DatabaseLike, workflow: str, limit: int) -> list[bool]:
    """Up to ``limit`` of the workflow's newest decided items (newest made first, from the
    index on workflow, status and id): True for one that people reworked (an edit before
    approving, or a rejection), False for one approved as it was. Expired items were not
    decided."""
    rows = db.execute(
        "SELECT status = 'rejected' OR output != original_output FROM items"
        " WHERE workflow = ? AND status IN ('approved', 'rejected') ORDER BY id DESC LIMIT ?",
        [workflow, limit],
    )
    return [bool(r[0]) for r in rows]


class Decision(NamedTuple):
    at: str
    by: str
    item_id: int
    workflow: str
    input_name: str
    decision: str  # approve | edit | reject | undo
    reason: str | None


def decisions_between(db: DatabaseLike, since: str, until: str) -> list[Decision]:
    """Every decision made in [since, until), oldest first, with its item's workflow."""
    rows = db.execute(
        "SELECT d.at, d.by, d.item_id, i.workflow, i.input_name, d.decision, d.reason"
        " FROM decisions d JOIN items i ON i.id = d.item_id"
        " WHERE d.at >= ? AND d.at < ? ORDER BY d.at, d.id",
        [since, until],
    )
    return [Decision(*row) for row in rows]


class Escalation(NamedTuple):
    item_id: int
    workflow: str
    created_at: str
    input_name: str
    reason: str
    status: str  # what became of it


def escalations_between(
    db: DatabaseLike, since: str, until: str, workflows: list[str]
) -> list[Escalation]:
    """Every item of ``workflows`` made escalated (needing attention) in [since, until),
    oldest first (by the index on workflow and time)."""
    if not workflows:
        return []
    marks = ", ".join("?" * len(workflows))
    rows = db.execute(
        "SELECT id, workflow, created_at, input_name, reason, status FROM items"
        f" WHERE workflow IN ({marks}) AND created_at >= ? AND created_at < ?"
        " AND reason IS NOT NULL AND reason != '' ORDER BY id",
        [*workflows, since, until],
    )
    return [Escalation(*row) for row in rows]


def spend_between(db: DatabaseLike, since: str, until: str) -> dict[str, float]:
    """What each workflow's recorded model calls cost in [since, until), every purpose."""
    rows = db.execute(
        "SELECT workflow, coalesce(sum(cost_usd), 0) FROM model_calls"
        " WHERE at >= ? AND at < ? AND workflow IS NOT NULL GROUP BY workflow",
        [since, until],
    )
    return {r[0]: float(r[1]) for r in rows}
