"""The QTimer that drives what is due while the app runs: every tick, a background ``Job``
calls the one tick (``services/tick``: actions, reminders, schedules); what it did comes
back as signals.

One tick at a time: a tick that finds the previous one still running is skipped, so runs
of one workflow never overlap and a slow run never piles up threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.gui.tasks import Job

if TYPE_CHECKING:
    from desktop_app.core.paths import Paths
    from desktop_app.services.pipeline import ModelGateway

TICK_MS = 30_000


class ScheduleDriver(QObject):
    fired = Signal(object)  # scheduler.Fired, one per due workflow
    item_made = Signal(int, str)  # item id, status
    failed = Signal(str)
    swept = Signal(object)  # review_timeouts.Swept: reminders and expiries
    acted = Signal(list)  # actions.ActionResult of approved items acted on
    clipboard_text = Signal(str)  # a clipboard action: the window copies it

    def __init__(
        self,
        paths: Paths,
        parent: QObject | None = None,
        *,
        gateway: ModelGateway | Callable[[], ModelGateway] | None = None,
        interval_ms: int = TICK_MS,
    ):
        super().__init__(parent)
        self._paths = paths
        self._gateway = gateway  # a gateway, or a callable giving one when first needed
        self.job = Job(paths.database, self, what="schedule tick", data_dir=paths.data_dir)
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

    def act_now(self) -> None:
        """A tick soon (after a decision's undo window): the same background thread."""
        self.tick()

    def _run(self, db: Any, _report: Any) -> None:
        """On the job's thread (its connection opened by the job, inside its guard): what is
        due, done once (``services/tick``), told back through this driver's signals."""
        from desktop_app.services.tick import TickHooks, tick

        def gateway() -> ModelGateway | None:
            return self._gateway() if callable(self._gateway) else self._gateway

        hooks = TickHooks(
            gateway=gateway,
            on_item=self.item_made.emit,
            on_fired=self.fired.emit,
            on_swept=self.swept.emit,
            on_acted=self.acted.emit,
            on_failed=self.failed.emit,
            clipboard=self.clipboard_text.emit,
            cancel=self._cancel,
        )
        tick(db, self._paths.workflows_dir, self._paths.data_dir, hooks)
