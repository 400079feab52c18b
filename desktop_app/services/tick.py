"""What is due now, done once, for whichever front end calls it: the window's timer today,
``signoff serve`` later.

One tick, in order: the actions of approved items whose undo minute has passed (and of
actions a crash left unsettled), review reminders and expiries, then each workflow whose
schedule is due — its new inputs run (``services/scheduler``). Specs are read through the
catalogue (``catalogue.current``: a spec unchanged since the last tick is not parsed
again). What happened is told through ``TickHooks`` as it happens; nothing here knows Qt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.spec_model import Spec

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.services.actions import ActionResult
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.services.review_timeouts import Swept
    from desktop_app.services.scheduler import Fired


def _nothing(*_args: object) -> None:
    return None


@dataclass(frozen=True)
class TickHooks:
    """Whom a tick tells, and how it reaches a model (all optional)."""

    gateway: Callable[[], ModelGateway | None] = lambda: None  # made when a run first needs it
    on_item: Callable[[int, str], None] = _nothing  # (item id, status) as a scheduled run makes it
    on_fired: Callable[[Fired], None] = _nothing  # one due workflow's runs, or why none ran
    on_swept: Callable[[Swept], None] = _nothing  # reminders and expiries, when there were any
    on_acted: Callable[[list[ActionResult]], None] = _nothing  # actions carried out
    on_failed: Callable[[str], None] = _nothing  # one line: what could not start, and why
    clipboard: Callable[[str], None] | None = None  # a clipboard action (only a window has one)
    cancel: threading.Event = field(default_factory=threading.Event)  # set: stop between steps
    # set with ``cancel`` by SIGTERM (``serve``): a run's calls under way finish and are
    # written, the run is left interrupted and resumed by the next start
    interrupt: threading.Event | None = None


def tick(db: sqlite_utils.Database, workflows_dir: Path, data_dir: Path, hooks: TickHooks) -> None:
    """Everything due now, once (see the module's docstring)."""
    from desktop_app.services import catalogue
    from desktop_app.services.review_timeouts import sweep

    specs = catalogue.current(workflows_dir)
    act_on_approved(db, specs, data_dir, hooks)
    swept = sweep(db, specs)
    if swept.reminded or swept.expired:
        hooks.on_swept(swept)
    run_due_schedules(db, specs, data_dir, hooks)


def act_on_approved(
    db: sqlite_utils.Database, specs: dict[str, Spec | None], data_dir: Path, hooks: TickHooks
) -> None:
    """Approved items whose undo minute has passed (and actions a crash left unsettled):
    their actions, once each."""
    from desktop_app.services import actions
    from desktop_app.services.decisions import UNDO_WINDOW_S

    with_action = [n for n, s in specs.items() if s is not None and s.action.kind != "none"]
    results = []
    settled = actions.utc_before(UNDO_WINDOW_S)
    for item_id, workflow in actions.due(db, settled_before=settled, workflows=with_action):
        if hooks.cancel.is_set():
            break
        spec = specs[workflow]
        assert spec is not None  # ``with_action`` holds loaded specs only
        try:
            results.append(actions.perform(db, item_id, spec, data_dir, clipboard=hooks.clipboard))
        except KnownError as exc:
            hooks.on_failed(f"item {item_id}: its action could not start: {exc}")
    if results:
        hooks.on_acted(results)


def run_due_schedules(
    db: sqlite_utils.Database, specs: dict[str, Spec | None], data_dir: Path, hooks: TickHooks
) -> None:
    """Each workflow whose schedule is due: its runs (``scheduler.run_due``)."""
    from desktop_app.services import scheduler
    from desktop_app.services.runner import Hooks

    for item in scheduler.due(db, specs):
        if hooks.cancel.is_set():
            break
        try:
            run_hooks = Hooks(
                hooks.gateway(), hooks.on_item, cancel=hooks.cancel, interrupt=hooks.interrupt
            )
            fired = scheduler.run_due(db, item, data_dir=data_dir, hooks=run_hooks)
        except KnownError as exc:
            hooks.on_failed(f"{item.workflow}: the scheduled run could not start: {exc}")
        else:
            hooks.on_fired(fired)
