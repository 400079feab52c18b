"""The QTimer that drives schedules while the app runs: every tick, a background ``Job``
asks the scheduler what is due and runs it (``services/scheduler``); results come back as
signals.

One tick at a time: a tick that finds the previous one still running is skipped, so runs
of one workflow never overlap and a slow run never piles up threads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.gui.tasks import Job

if TYPE_CHECKING:
    from desktop_app.services.pipeline import ModelGateway

TICK_MS = 30_000


_cache: dict[Path, tuple[tuple, object]] = {}  # spec file -> (its files' stat, the spec)


def _specs(workflows_dir: Path) -> dict:
    """Every workflow's spec (None when invalid); a file unchanged since the last tick is
    not parsed again, so a tick with nothing due costs a few stat calls."""
    from desktop_app.core.spec_loader import check_spec, discover

    found = {}
    for path in discover(workflows_dir):
        try:  # the spec and its schema file, if any, decide the version
            key = tuple(
                (f.name, f.stat().st_mtime, f.stat().st_size)
                for f in sorted(path.parent.iterdir())
                if f.suffix in (".toml", ".json")
            )
        except OSError:
            continue
        cached = _cache.get(path)
        if cached is None or cached[0] != key:
            spec, _problems = check_spec(path)
            cached = _cache[path] = (key, spec)
        found[path.parent.name] = cached[1]
    return found


class ScheduleDriver(QObject):
    fired = Signal(object)  # scheduler.Fired, one per due workflow
    item_made = Signal(int, str)  # item id, status
    failed = Signal(str)
    swept = Signal(object)  # review_timeouts.Swept: reminders and expiries
    acted = Signal(list)  # actions.ActionResult of approved items acted on
    clipboard_text = Signal(str)  # a clipboard action: the window copies it

    def __init__(
        self,
        db_path: Path,
        workflows_dir: Path,
        parent: QObject | None = None,
        *,
        gateway: ModelGateway | Callable[[], ModelGateway] | None = None,
        interval_ms: int = TICK_MS,
    ):
        super().__init__(parent)
        self._db_path, self._workflows_dir = db_path, workflows_dir
        self._gateway = gateway  # a gateway, or a callable giving one when first needed
        self.job = Job(db_path, self, what="schedule tick")
        self.job.cancel_on_close = True
        self.job.failed.connect(lambda text: self.failed.emit(f"schedules stopped: {text}"))
        self._cancel = self.job.cancelled
        self.paused = False
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.setObjectName("scheduleTimer")
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.timer.start()

    @property
    def running(self) -> bool:
        return self.job.running

    def set_paused(self, paused: bool) -> None:
        """Pause all schedules (missed slots are handled by each one's catch-up rule later)."""
        self.paused = paused

    def tick(self) -> None:
        if self.paused or self.running:
            return
        self.job.start(self._run)

    def stop(self, timeout: float = 30) -> None:
        """Stop ticking; a run under way stops starting calls and is waited for."""
        self.timer.stop()
        self.job.cancel()
        self.job.wait(timeout)

    def _act(self, db, specs: dict) -> None:
        """Approved items whose undo window has passed (and actions a crash left unsettled):
        their actions, once each."""
        from desktop_app.core.errors import KnownError
        from desktop_app.services import actions
        from desktop_app.services.decisions import UNDO_WINDOW_S

        with_action = [n for n, s in specs.items() if s is not None and s.action.kind != "none"]
        results = []
        settled = actions.utc_before(UNDO_WINDOW_S)
        for item_id, workflow in actions.due(db, settled_before=settled, workflows=with_action):
            if self._cancel.is_set():
                break
            try:
                results.append(
                    actions.perform(
                        db, item_id, specs[workflow], self._db_path.parent,
                        clipboard=self.clipboard_text.emit,
                    )
                )  # fmt: skip
            except KnownError as exc:
                self.failed.emit(f"item {item_id}: its action could not start: {exc}")
        if results:
            self.acted.emit(results)

    def act_now(self) -> None:
        """A tick soon (after a decision's undo window): the same background thread."""
        self.tick()

    def _run(self, db: Any, _report: Any) -> None:
        """On the job's thread (its connection opened by the job, inside its guard)."""
        from desktop_app.core.errors import KnownError
        from desktop_app.services import scheduler
        from desktop_app.services.review_timeouts import sweep
        from desktop_app.services.runner import Hooks

        specs = _specs(self._workflows_dir)
        self._act(db, specs)
        swept = sweep(db, specs)
        if swept.reminded or swept.expired:
            self.swept.emit(swept)
        for item in scheduler.due(db, specs):
            if self._cancel.is_set():
                break
            try:
                gateway = self._gateway() if callable(self._gateway) else self._gateway
                hooks = Hooks(gateway, self.item_made.emit, cancel=self._cancel)
                fired = scheduler.run_due(db, item, data_dir=self._db_path.parent, hooks=hooks)
            except KnownError as exc:
                self.failed.emit(f"{item.workflow}: the scheduled run could not start: {exc}")
            else:
                self.fired.emit(fired)
