"""Open what a window's job names: this computer's file (``storage.db``) or a team's
database (``core.database_url.TeamRef``, ``storage.pg``), each with the storage layer's
face. The one place that decides between them for a connection of the window's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_app.core.database_url import TeamRef
from desktop_app.storage import db as files


def connect(target: Path | TeamRef, *, check: bool = True) -> Any:
    """A ``storage.db.connect`` database, or the team's."""
    if isinstance(target, TeamRef):
        from desktop_app.storage import pg

        return pg.connect(target.url, password=target.password)
    return files.connect(target, check=check)


def connect_plain(target: Path | TeamRef, *, check: bool = True) -> Any:
    """A ``storage.db.connect_plain`` database (no sqlite-utils), or the team's."""
    if isinstance(target, TeamRef):
        return connect(target)
    return files.connect_plain(target, check=check)
