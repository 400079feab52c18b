"""Runs started from the window: a ``Job`` over ``services.run_start``, as the command line and
the scheduler start them (Settings applied, interrupted runs resumed first)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.gui.tasks import Job

if TYPE_CHECKING:
    from desktop_app.core.inputdoc import InputDoc
    from desktop_app.core.spec_model import Spec
    from desktop_app.services.run_start import Runs
    from desktop_app.services.runner import Hooks


class RunJob(Job):
    what = "run"  # done: a services.run_start.Runs
    cancel_on_close = True

    def start_run(
        self,
        spec: Spec,
        inputs: list[InputDoc] | None,
        *,
        model: str | None,
        api_base: str | None,
        confirmed: bool = False,
    ) -> None:
        """Run ``spec`` on ``inputs`` (None: what is new in its own folder, CSV file or
        mailbox); ``model`` / ``api_base`` as typed in the run panel;
        ``confirmed``: the person said yes to more inputs than Settings runs without asking."""
        self.start(self._run_workflow, spec, inputs, model or None, api_base or None, confirmed)

    def start_resume_all(self, workflows_dir: Path) -> None:
        """Every interrupted run (after a crash), each on its workflow's current spec."""
        self.start(self._resume_all, workflows_dir)

    def _run_workflow(
        self,
        db: Any,
        report: Any,
        spec: Spec,
        inputs: list[InputDoc] | None,
        model: str | None,
        api_base: str | None,
        confirmed: bool,
    ) -> Runs:
        from desktop_app.services import run_start

        return run_start.run_workflow(
            db,
            spec,
            self.data_dir,
            inputs=inputs,
            model=model,
            api_base=api_base,
            hooks=self._hooks(report),
            confirmed=confirmed,
        )

    def _resume_all(self, db: Any, report: Any, workflows_dir: Path) -> Runs:
        from desktop_app.services import run_start

        return run_start.resume_all(db, workflows_dir, self.data_dir, self._hooks(report))

    def _hooks(self, report: Any) -> Hooks:
        from desktop_app.services.runner import Hooks

        return Hooks(self._gateway, self.item_made.emit, report, cancel=self.cancelled)
