"""One cost profile started from the window: a ``Job`` with progress and cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.gui.tasks import Job

if TYPE_CHECKING:
    from desktop_app.core.spec_model import Spec
    from desktop_app.services.profiler import Profile


class ProfileJob(Job):
    what = "profile"  # done: a Profile
    cancel_on_close = True

    def start_profile(self, spec: Spec, models: list[str], **options: Any) -> None:
        """``options``: api_base, runs_per_month, global_month_cap (see ``Profiler.profile``)."""
        self.start(self._profile, spec, models, options)

    def _profile(
        self, db: Any, report: Any, spec: Spec, models: list[str], options: dict[str, Any]
    ) -> Profile:
        from desktop_app.services.profiler import Profiler

        profiler = Profiler(db, self._gateway, on_progress=report, cancel=self.cancelled)
        return profiler.profile(spec, models, **options)
