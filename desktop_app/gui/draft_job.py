"""Drafting a new workflow's spec from the window: a ``Job`` over ``services.drafting``.

It makes the workflow's folder with a blank spec and the examples as samples, and returns
the draft's text for the editor to show unsaved (the person's Save writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.gui.tasks import Job


class DraftJob(Job):
    what = "draft"  # done: (the new spec's path, the draft's text)
    cancel_on_close = True

    def start_draft(
        self, workflows_dir: Path, name: str, description: str, examples: list[Path]
    ) -> None:
        self.start(self._draft, workflows_dir, name, description, examples)

    def _draft(
        self,
        db: Any,
        _report: Any,
        workflows_dir: Path,
        name: str,
        description: str,
        examples: list[Path],
    ) -> tuple[Path, str]:
        from desktop_app.core.errors import KnownError
        from desktop_app.gui import current_settings
        from desktop_app.services import drafting, run_start, workflow_files
        from desktop_app.services.inputs import from_path

        why = workflow_files.check_name(workflows_dir, name)
        if why:
            raise KnownError(why)
        docs = [doc for path in examples for doc in from_path(path)]
        options = run_start.options(current_settings.read(self.data_dir))
        draft = drafting.draft_spec(
            db, workflows_dir, name, description, docs, options.route,
            global_month_cap=options.global_month_cap, gateway=self._gateway,
        )  # fmt: skip
        path = workflow_files.new_workflow(db, workflows_dir, name)
        if examples:
            workflow_files.add_samples(db, path.parent, examples)
        return path, draft.text
