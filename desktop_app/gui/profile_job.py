"""One cost profile started from the window: off the UI thread, with progress and cancel
(see ``CancellableJob``)."""

from __future__ import annotations

from desktop_app.gui.tasks import CancellableJob


class ProfileJob(CancellableJob):
    what = "profile"  # finished: a Profile

    def start(self, spec, models: list[str], **options) -> None:
        """``options``: api_base, runs_per_month, global_month_cap (see ``Profiler.profile``)."""
        self._start(spec, models, options)

    def _work(self, db, spec, models, options):
        from desktop_app.services.profiler import Profiler

        profiler = Profiler(db, self._gateway, on_progress=self.progress.emit, cancel=self._cancel)
        return profiler.profile(spec, models, **options)
