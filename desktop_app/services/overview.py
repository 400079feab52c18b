"""What ``signoff workflows`` prints and the Workflows tab shows: per workflow, its state,
schedule, newest cost profile, last run, open items and this month's spend."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.core.schedule import Schedule
from desktop_app.core.spec_model import Spec
from desktop_app.services import catalogue
from desktop_app.services.profiler import latest_profile
from desktop_app.services.switches import switch_states
from desktop_app.storage import item_pages, model_calls, run_rows
from desktop_app.storage.db import writes_refused

if TYPE_CHECKING:
    import sqlite_utils


def overview(
    db: sqlite_utils.Database, entry: catalogue.Entry, cost_threshold: float | None = None
) -> dict[str, Any]:
    """What ``signoff workflows`` shows for one workflow; ``cost_threshold``: Settings'
    cost per approved output over which drift is told."""
    from desktop_app.services.drift import drift

    spec = entry.spec
    switch = switch_states(db).get(entry.name, {})
    last = run_rows.last_run(db, entry.name)
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
        "last_run": last,
        "pending": item_pages.count_items(
            db, statuses=("pending", "escalated"), workflow=entry.name
        ),
        "month_cost_usd": round(model_calls.month_cost(db, entry.name), 6),
        "drift": [
            {"kind": d.kind, "message": d.message} for d in drift(db, entry.name, cost_threshold)
        ],
        "elsewhere": other_version(db, spec) if spec else None,
    }


def other_version(db: sqlite_utils.Database, spec: Spec) -> str | None:
    """On a team's database: another computer's newest run used another version of this
    workflow's spec than this computer's file (never mixed silently: each run records its
    version); None when they agree, or no other computer ran it."""
    seen = run_rows.last_run_elsewhere(db, spec.name, run_rows.hostname())
    if seen is None or seen["spec_hash"] == spec.version:
        return None
    when = seen["started_at"][:16].replace("T", " ")
    return (
        f"{seen['host']} ran another version of this workflow's spec ({when} UTC) than the one"
        " here: bring the two computers' files in line"
    )


def profile_summary(db: sqlite_utils.Database, spec: Spec) -> dict | None:
    """The newest finished profile: which models, and whether it is for the current spec."""
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
    db: sqlite_utils.Database, workflows_dir: Path, cost_threshold: float | None = None
) -> tuple[list[dict], dict[str, Spec | None]]:
    """Every workflow's overview and its loaded spec (None when invalid), recording new versions.

    What ``signoff workflows`` prints and the Workflows tab shows.
    """
    entries = catalogue.scan(workflows_dir)
    recordable = not writes_refused(db)  # read-only: a new version is recorded when it is not
    for entry in entries:
        if entry.spec is not None and recordable:
            catalogue.sync_version(db, entry.spec)
    rows = [overview(db, e, cost_threshold) for e in entries]
    return rows, {e.name: e.spec for e in entries}
