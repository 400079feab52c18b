"""The workflows Signoff knows: discovery, spec versions, and the overview per workflow."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import NotFoundError, SpecError, SpecProblem
from desktop_app.core.spec_loader import check_spec, discover
from desktop_app.core.spec_model import Spec
from desktop_app.storage import eventlog, store
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


def scan(workflows_dir: Path) -> list[Entry]:
    entries = []
    for path in discover(workflows_dir):
        spec, problems = check_spec(path)
        entries.append(Entry(path.parent.name, path, spec, tuple(problems)))
    return entries


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
    latest = store.latest_version(db, spec.name)
    if latest and latest[1] == spec.version:
        return latest[0]
    with transaction(db):
        latest = store.latest_version(db, spec.name)  # re-read under the write lock
        if latest and latest[1] == spec.version:
            return latest[0]
        version_id = store.insert_version(db, spec.name, spec.version, str(spec.path), spec.text)
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


def overview(db: sqlite_utils.Database, entry: Entry) -> dict:
    """What ``signoff workflows`` shows for one workflow."""
    from desktop_app.services.switches import switch_states

    spec = entry.spec
    switch = switch_states(db).get(entry.name, {})
    last = db.execute(
        "SELECT id, state, started_at, finished_at FROM runs WHERE workflow = ? ORDER BY id DESC LIMIT 1",
        [entry.name],
    ).fetchone()
    schedule = None
    if spec and spec.schedule:
        schedule = (
            f"every {spec.schedule.every}" if spec.schedule.every else f"cron {spec.schedule.cron}"
        )
    return {
        "name": entry.name,
        "title": spec.display_name if spec else entry.name,
        "path": str(entry.path),
        "valid": entry.valid,
        "complete": bool(spec and spec.complete and not entry.problems),
        "missing": list(spec.missing) if spec else [],
        "problems": [str(p) for p in entry.problems if not p.incomplete],
        "model": spec.model.name if spec else None,
        "enabled": bool(switch.get("enabled")),
        "schedule": schedule,
        "next_run": next_run(spec, switch) if spec else None,
        "profile": profile_summary(db, spec) if spec else None,
        "last_run": (
            {"id": last[0], "state": last[1], "started_at": last[2], "finished_at": last[3]}
            if last
            else None
        ),
        "pending": store.count_items(db, statuses=("pending", "escalated"), workflow=entry.name),
        "month_cost_usd": round(store.month_cost(db, entry.name), 6),
    }


def profile_summary(db: sqlite_utils.Database, spec: Spec) -> dict | None:
    """The newest finished profile: which models, and whether it is for the current spec."""
    from desktop_app.services.profiler import latest_profile

    profile = latest_profile(db, spec.name)
    if profile is None:
        return None
    return {
        "id": profile.id,
        "current": not profile.is_stale(spec),
        "finished_at": profile.finished_at,
        "models": [
            {
                "model": r.model,
                "cost_mean_usd": r.cost_mean_usd,
                "pass_rate": r.pass_rate,
                "projected_month_usd": r.projected_month_usd,
                "served_here": r.served_here,
            }
            for r in profile.reports
        ],
    }


def next_run(spec: Spec, switch: dict) -> str | None:
    """When an enabled workflow's schedule runs next (ISO 8601 UTC), else None."""
    if not switch.get("enabled") or spec.schedule is None or not switch.get("enabled_at"):
        return None
    from desktop_app.core.schedule import Schedule

    anchor = _parse_stamp(switch["enabled_at"])
    last = _parse_stamp(switch["last_slot"]) if switch.get("last_slot") else anchor
    try:
        upcoming = Schedule.from_spec(spec.schedule, anchor).next_after(last)
    except ValueError:
        return None
    return upcoming.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def survey(
    db: sqlite_utils.Database, workflows_dir: Path
) -> tuple[list[dict], dict[str, Spec | None]]:
    """Every workflow's overview and its loaded spec (None when invalid), recording new versions.

    What ``signoff workflows`` prints and the Workflows tab shows.
    """
    entries = scan(workflows_dir)
    for entry in entries:
        if entry.spec is not None:
            sync_version(db, entry.spec)
    return [overview(db, e) for e in entries], {e.name: e.spec for e in entries}
