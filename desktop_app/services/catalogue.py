"""The workflows Signoff knows: discovery and spec versions (the overview is ``overview``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import NotFoundError, SpecError, SpecProblem
from desktop_app.core.spec_loader import check_spec, discover
from desktop_app.core.spec_model import Spec
from desktop_app.storage import eventlog, spec_versions
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

SPEC_DIFF_LIMIT = 20_000  # characters of spec diff kept in a spec.changed event


@dataclass(frozen=True)
class Entry:
    """One workflow folder: its spec when it loads, and its problems."""

    name: str
    path: Path
    spec: Spec | None
    problems: tuple[SpecProblem, ...]

    @property
    def valid(self) -> bool:
        return self.spec is not None


def known_names(db: sqlite_utils.Database, workflows_dir: Path) -> set[str]:
    """Every workflow name a search may filter on: those in the folder and those that ran
    (a workflow since removed keeps its items and events)."""
    return {path.parent.name for path in discover(workflows_dir)} | set(
        spec_versions.workflow_names(db)
    )


def search_problem(db: sqlite_utils.Database, workflows_dir: Path, text: str) -> str:
    """What a search asks that cannot be, in one line naming what is valid ("" when none):
    a status or a date that is not one, or a workflow nobody has."""
    from desktop_app.core.search_query import parse, problem

    query = parse(text)
    names = known_names(db, workflows_dir) if query.workflow else None
    return problem(query, names)


def scan(workflows_dir: Path) -> list[Entry]:
    entries = []
    for path in discover(workflows_dir):
        spec, problems = check_spec(path)
        entries.append(Entry(path.parent.name, path, spec, tuple(problems)))
    return entries


_current: dict[Path, tuple[tuple, Spec | None]] = {}  # spec file -> (its files' stat, the spec)


def current(workflows_dir: Path) -> dict[str, Spec | None]:
    """Every workflow's spec by name (None when invalid), for what runs again and again (the
    tick): a file unchanged since the last call is not parsed again, so a call with nothing
    changed costs a few stat calls."""
    found: dict[str, Spec | None] = {}
    for path in discover(workflows_dir):
        try:  # the spec and its schema file, if any, decide the version
            key = tuple(
                (f.name, f.stat().st_mtime, f.stat().st_size)
                for f in sorted(path.parent.iterdir())
                if f.suffix in (".toml", ".json")
            )
        except OSError:
            continue
        cached = _current.get(path)
        if cached is None or cached[0] != key:
            cached = _current[path] = (key, check_spec(path)[0])
        found[path.parent.name] = cached[1]
    return found


def find(workflows_dir: Path, name: str) -> Spec:
    """Load the workflow called ``name``; a broken spec raises SpecError with every problem."""
    path = workflows_dir / name / "workflow.toml"
    if not path.is_file():
        known = [p.parent.name for p in discover(workflows_dir)]
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise NotFoundError(f"no workflow '{name}' in {workflows_dir}{suggestion}")
    spec, problems = check_spec(path)
    invalid = [p for p in problems if not p.incomplete]
    if spec is None or invalid:
        raise SpecError(invalid or problems)
    return spec


def sync_version(db: sqlite_utils.Database, spec: Spec) -> int:
    """Record the spec's current version; a new hash writes ``spec.changed`` with the diff."""
    latest = spec_versions.latest_version(db, spec.name)
    if latest and latest[1] == spec.version:
        return latest[0]
    with transaction(db):
        latest = spec_versions.latest_version(db, spec.name)  # re-read under the write lock
        if latest and latest[1] == spec.version:
            return latest[0]
        version_id = spec_versions.insert_version(
            db, spec.name, spec.version, str(spec.path), spec.text
        )
        before = latest[2] if latest else ""
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                spec.text.splitlines(keepends=True),
                fromfile="previous",
                tofile="current",
            )
        )
        eventlog.append(
            db,
            "spec.changed",
            workflow=spec.name,
            detail={
                "from": latest[1] if latest else None,
                "to": spec.version,
                "path": str(spec.path),
                "complete": spec.complete,
                "missing": list(spec.missing),
                "diff": diff[:SPEC_DIFF_LIMIT],
                "diff_truncated": len(diff) > SPEC_DIFF_LIMIT,
            },
        )
    return version_id
