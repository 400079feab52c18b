"""``signoff serve``: Signoff without a window, doing what is due (issue 26).

One pass is the one tick (``services/tick``): approved items' actions once their undo
minute has passed, review reminders and expiries, each due schedule's runs. Before the
first pass, the runs a crash or a stop left interrupted are resumed. ``serve`` makes a
pass every ``interval_s`` until told to stop; ``--once`` makes one, for cron.

Everything that happens is one line for ``say`` (stderr: journald keeps it with its
time). A stop request (SIGTERM) lets the calls under way finish and be written, leaves a
run interrupted, to be resumed by the next start, and ends the loop. Model calls are made
in the model worker (``ProcessGateway``), which leaves when idle: an idle ``serve`` holds
the memory of a small process, not litellm's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.core.paths import Paths
    from desktop_app.services.actions import ActionResult
    from desktop_app.services.review_timeouts import Swept
    from desktop_app.services.scheduler import Fired
    from desktop_app.services.tick import TickHooks

INTERVAL_S = 30.0  # as the window's schedule timer


class Lines:
    """What ``serve`` says, one line an event."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say

    def item(self, item_id: int, status: str) -> None:
        self.say(f"item {item_id} made: {status}")

    def fired(self, fired: Fired) -> None:
        for summary in fired.summaries:
            self.say(f"{fired.workflow}: {summary.describe()}")
        if fired.note:
            self.say(f"{fired.workflow}: {fired.note}")

    def swept(self, swept: Swept) -> None:
        for workflow, ids in swept.reminded.items():
            self.say(f"{workflow}: reminded of {len(ids)} item(s) awaiting a decision")
        for workflow, ids in swept.expired.items():
            self.say(f"{workflow}: {len(ids)} item(s) expired undecided")

    def acted(self, results: list[ActionResult]) -> None:
        for r in results:
            if r.state == "failed":
                self.say(f"item {r.item_id}: its {r.kind} action failed: {r.message}")
            elif r.state == "done":
                self.say(f"item {r.item_id}: its {r.kind} action is done: {r.target}")

    def failed(self, line: str) -> None:
        self.say(line)


def serve(
    db: sqlite_utils.Database,
    paths: Paths,
    *,
    say: Callable[[str], None],
    once: bool = False,
    cancel: threading.Event | None = None,
    interrupt: threading.Event | None = None,
    interval_s: float = INTERVAL_S,
) -> int:
    """Resume interrupted runs, then one pass (``once``) or a pass every ``interval_s``
    until ``cancel`` is set; returns the number of passes made."""
    from desktop_app.llm.process_gateway import ProcessGateway
    from desktop_app.services.tick import TickHooks

    cancel = cancel if cancel is not None else threading.Event()
    lines = Lines(say)
    gateway = ProcessGateway()
    hooks = TickHooks(
        gateway=lambda: gateway,
        on_item=lines.item,
        on_fired=lines.fired,
        on_swept=lines.swept,
        on_acted=lines.acted,
        on_failed=lines.failed,
        cancel=cancel,
        interrupt=interrupt,
    )
    passes = 0
    try:
        _resume(db, paths, hooks, lines)
        while not cancel.is_set():
            _pass(db, paths, hooks)
            passes += 1
            if once or cancel.wait(interval_s):
                break
    finally:
        gateway.close()
    return passes


def _resume(db: sqlite_utils.Database, paths: Paths, hooks: TickHooks, lines: Lines) -> None:
    from desktop_app.services.run_start import resume_all
    from desktop_app.services.runner import Hooks

    run_hooks = Hooks(
        hooks.gateway(),
        lines.item,
        on_resume=lambda run_id, workflow: lines.say(f"{workflow}: resuming run {run_id}"),
        cancel=hooks.cancel,
        interrupt=hooks.interrupt,
    )
    done = resume_all(db, paths.workflows_dir, paths.data_dir, run_hooks)
    for summary in done.summaries:
        lines.say(f"{summary.workflow}: {summary.describe()}")
    for problem in done.problems:
        lines.say(problem)


def _pass(db: sqlite_utils.Database, paths: Paths, hooks: TickHooks) -> None:
    from desktop_app.services.tick import tick

    try:
        tick(db, paths.workflows_dir, paths.data_dir, hooks)
    except KnownError as exc:  # the next pass tries again (a full disk, a locked database)
        hooks.on_failed(f"this pass stopped: {exc}")
