"""A command's paths and its database, opened on first use (a read-only or damaged one
said once), and the search index brought up to date before a search.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.cli.output import err

if TYPE_CHECKING:
    import argparse

    import sqlite_utils

    from desktop_app.core.database_url import TeamRef
    from desktop_app.llm.process_gateway import ProcessGateway


class Context:
    """Paths and the database, opened on first use."""

    def __init__(self, args: argparse.Namespace):
        from desktop_app.core.paths import resolve_paths

        self.args = args
        self.paths = resolve_paths(
            getattr(args, "data_dir", None), getattr(args, "workflows", None)
        )
        self._db: sqlite_utils.Database | None = None
        self.open_window: Callable[..., int] | None = None

    @property
    def workflows_dir(self) -> Path:
        """The workflows folder, seeded from the bundled examples on first start."""
        self._ensure_data_dir()
        return self.paths.workflows_dir

    def _ensure_data_dir(self) -> None:
        """The data folder made; what an upgrade brought to the workflows folder, said once."""
        from desktop_app.core.paths import ensure_data_dir

        ensure_data_dir(self.paths)
        say_upgrades()

    @cached_property
    def team(self) -> TeamRef | None:
        """The team database this command uses (``services.team.chosen``), or None: this
        computer's file."""
        from desktop_app.services.team import chosen

        return chosen(self.paths.data_dir, getattr(self.args, "database", None))

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            from desktop_app.services.recovery import mark_interrupted

            self._ensure_data_dir()
            team = self.team
            if team is None:
                self._db = self._open_file()
            else:  # the team's (its password from the keychain, or libpq's own ways)
                from desktop_app.storage.opening import connect

                self._db = connect(team)
            say_upgrades()  # a migrated database, once
            for run_id in mark_interrupted(self._db):
                err(f"run {run_id} was interrupted (its process stopped); `signoff run` resumes it")
        return self._db

    def _open_file(self) -> sqlite_utils.Database:
        from desktop_app.storage import health
        from desktop_app.storage.db import connect

        db = connect(self.paths.db_path)
        damaged = health.damage(self.paths.db_path)
        if damaged:
            err(f"signoff: warning: {damaged}")
        return db

    def decider(self, given: str | None) -> str | None:
        """Who a decision is by: ``--by``, else ``settings --name``, else None (the login
        name, in ``services.decisions``)."""
        from desktop_app.services import settings

        return settings.load(self.paths.data_dir).decider(given)

    @property
    def gateway(self) -> ProcessGateway:
        """Where a command's model calls are made: the model worker, as the window's and
        ``serve``'s are. The calls' work (litellm's parsing) then never holds up the
        writing of their results, which happens here (docs/performance.md, stop 36)."""
        from desktop_app.llm.process_gateway import shared

        return shared()

    def close(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None


def say_upgrades() -> None:
    from desktop_app.services import upgrade_notes

    for line in upgrade_notes.take():
        err(f"signoff: {line}")


def search_ready(ctx: Context, text: str) -> None:
    """Before a search: what it asks that cannot be is refused in one line (``UsageError``,
    status 2); the rows written since the index was last brought up to date are added first
    (a long wait only after an upgrade, said on stderr with its progress); a search then
    answers from the index."""
    from desktop_app.core.errors import UsageError
    from desktop_app.services.catalogue import search_problem
    from desktop_app.storage import fulltext

    if not text.strip():
        return
    db = ctx.db
    problem = search_problem(db, ctx.workflows_dir, text)
    if problem:
        raise UsageError(problem)
    behind = fulltext.progress(db).behind
    if not behind:
        return
    tell = behind >= fulltext.LONG_TAIL
    live = tell and sys.stderr.isatty()
    if tell:
        err(
            f"the search index is being built ({behind:,} rows, once after an upgrade): waiting for it"
        )

    def progress(now: fulltext.Progress) -> None:
        if live:
            end = "\n" if now.ready else ""
            print(f"\rbuilding the search index: {now.percent}%", end=end, file=sys.stderr)

    fulltext.build(db, on_progress=progress)
    if tell and not live:
        err("the search index is ready")
