"""One workflow run started from the window: off the UI thread, with progress, items and cancel.

The runner works on its own thread with its own database connection (and
imports litellm there, never on the UI thread); see ``CancellableJob``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from desktop_app.gui.tasks import CancellableJob

if TYPE_CHECKING:
    from desktop_app.core.inputdoc import InputDoc


class RunJob(CancellableJob):
    item_made = Signal(int, str)  # item id, status
    what = "run"  # finished: a RunSummary

    def start(
        self,
        spec,
        inputs: list[InputDoc],
        *,
        model: str | None,
        api_base: str | None,
        fallbacks: tuple[str, ...] | None = None,
        global_month_cap: float | None = None,
    ) -> None:
        from desktop_app.services.runner import RunOptions

        options = RunOptions(
            model=model or None,
            api_base=api_base or None,
            fallbacks=fallbacks,
            global_month_cap=global_month_cap,
        )
        self._start(spec, inputs, options)

    def _work(self, db, spec, inputs, options):
        from desktop_app.services.runner import Runner

        runner = Runner(
            db,
            self._gateway,
            on_item=self.item_made.emit,
            on_progress=self.progress.emit,
            cancel=self._cancel,
        )
        return runner.run(spec, inputs, options)
