"""Run and item states, and the only place their transitions are allowed.

Modelled on Dagster's ``DagsterRunStatus`` + ``FINISHED_STATUSES``: the enums
and their allowed transitions live together so no caller invents its own.
"""

from __future__ import annotations

from enum import Enum

from desktop_app.core.errors import StateError


class _Named(str, Enum):
    """A state that reads as its stored word wherever it is shown (``f"{state}"``,
    ``str(state)``), as ``enum.StrEnum`` does from Python 3.11."""

    __str__ = str.__str__
    __format__ = str.__format__  # type: ignore[assignment]


class RunState(_Named):
    RUNNING = "running"
    FINISHED = "finished"  # every input has an item, a skip, or a recorded error
    FAILED = "failed"  # the run could not start or read its inputs
    INTERRUPTED = "interrupted"  # the process died mid-run; found on the next start
    CANCELLED = "cancelled"  # stopped by a person; inputs not reached stay recorded, unprocessed


class ItemState(_Named):
    PENDING = "pending"
    ESCALATED = "escalated"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    RunState.RUNNING: frozenset(
        {RunState.FINISHED, RunState.FAILED, RunState.INTERRUPTED, RunState.CANCELLED}
    ),
    RunState.INTERRUPTED: frozenset({RunState.RUNNING, RunState.FAILED}),
    RunState.FINISHED: frozenset(),
    RunState.FAILED: frozenset(),
    RunState.CANCELLED: frozenset(),
}

ITEM_TRANSITIONS: dict[ItemState, frozenset[ItemState]] = {
    ItemState.PENDING: frozenset({ItemState.APPROVED, ItemState.REJECTED, ItemState.EXPIRED}),
    ItemState.ESCALATED: frozenset({ItemState.APPROVED, ItemState.REJECTED, ItemState.EXPIRED}),
    ItemState.APPROVED: frozenset(),
    ItemState.REJECTED: frozenset(),
    ItemState.EXPIRED: frozenset(),
}

# How long a decision can be taken back: for a slip of the finger, not for changing one's
# mind days later. An approved item's action waits for it in the window.
UNDO_WINDOW_S = 60

OPEN_ITEM_STATES = frozenset({ItemState.PENDING, ItemState.ESCALATED})
DECIDED_ITEM_STATES = frozenset({ItemState.APPROVED, ItemState.REJECTED})
FINISHED_RUN_STATES = frozenset({RunState.FINISHED, RunState.FAILED, RunState.CANCELLED})


def check_run_transition(current: RunState | str, new: RunState | str) -> None:
    cur, nxt = RunState(current), RunState(new)
    if nxt not in RUN_TRANSITIONS[cur]:
        raise StateError(f"a run that is {cur.value} cannot become {nxt.value}")


def check_item_transition(item_id: int, current: ItemState | str, new: ItemState | str) -> None:
    cur, nxt = ItemState(current), ItemState(new)
    if nxt not in ITEM_TRANSITIONS[cur]:
        verb = {ItemState.APPROVED: "approved", ItemState.REJECTED: "rejected"}.get(nxt, nxt.value)
        if cur in OPEN_ITEM_STATES:
            raise StateError(f"item {item_id} is {cur.value} and cannot be {verb}")
        raise StateError(f"item {item_id} was already {cur.value}; it cannot be {verb} now")


def check_undo(item_id: int, current: ItemState | str, restore: ItemState | str) -> None:
    """Undo is the one way back: a decided item returns to the open state it had."""
    cur, back = ItemState(current), ItemState(restore)
    if cur not in DECIDED_ITEM_STATES:
        raise StateError(f"item {item_id} is {cur.value}: there is no decision to undo")
    if back not in OPEN_ITEM_STATES:
        raise StateError(f"item {item_id} cannot go back to {back.value}")
