"""Enabling and disabling a workflow's schedule, behind the cost-profile gate.

A workflow may be enabled only when its spec is complete, it has a schedule, a finished
cost profile exists for its current spec version and the model it will run on, and that
profile's projected month fits under the spec's monthly cap and the global cap in
Settings. Each switch is logged (``workflow.enabled`` / ``workflow.disabled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from desktop_app.core.errors import StateError
from desktop_app.core.money import usd
from desktop_app.core.spec_model import Spec
from desktop_app.services.profiler import Profile, latest_profile
from desktop_app.storage import eventlog
from desktop_app.storage import switches as switch_rows
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True)
class Gate:
    """Whether ``spec`` may be enabled to run on ``model``, and why not."""

    model: str
    profile: Profile | None
    refusal: str | None

    @property
    def open(self) -> bool:
        return self.refusal is None


def gate(
    db: sqlite_utils.Database,
    spec: Spec,
    *,
    model: str | None = None,
    global_month_cap: float | None = None,
) -> Gate:
    model = model or spec.model.name
    name = spec.name
    if not spec.complete:
        return Gate(model, None, f"'{name}' is incomplete: missing {'; '.join(spec.missing)}")
    if spec.schedule is None:
        return Gate(
            model,
            None,
            f"'{name}' has no [schedule] to start: add one to its spec "
            '(e.g. every = "1h"), or run it on demand',
        )
    if spec.input.kind not in ("folder", "csv", "mailbox"):
        return Gate(
            model,
            None,
            f"'{name}' takes one {spec.input.kind} input at a time: a schedule needs a folder, "
            "csv or mailbox input to read new work from",
        )
    profile = latest_profile(db, name, spec.version)
    if profile is None:
        older = latest_profile(db, name)
        why = "the spec changed since its last profile" if older else "it has never been profiled"
        return Gate(
            model,
            None,
            f"'{name}' has no cost profile for its current version ({why}): "
            f"run 'signoff profile {name}' or Profile in the Workflows view",
        )
    report = profile.report_for(model)
    if report is None:
        return Gate(
            model,
            profile,
            f"'{name}' was profiled on {', '.join(profile.models)}, not on {model}, "
            f"the model it would run on: profile it with --model {model}",
        )
    caps = []
    if spec.budget is not None and spec.budget.max_cost_per_month is not None:
        caps.append(("its monthly budget", spec.budget.max_cost_per_month))
    if global_month_cap is not None:
        caps.append(("the monthly cap for all workflows (Settings)", global_month_cap))
    if caps and report.projected_month_usd is None:
        if report.cost_known:
            return Gate(model, profile, f"'{name}' has no projected month: {profile.runs_basis}")
        if not report.served_here:
            return Gate(
                model,
                profile,
                f"'{name}' cannot be checked against {caps[0][0]}: the price of {model} is "
                "unknown (give input_cost_per_mtok and output_cost_per_mtok in [model])",
            )
    for what, limit in caps:
        projected = report.projected_month_usd
        if projected is not None and projected > limit + 1e-12:
            return Gate(
                model,
                profile,
                f"'{name}' would cost about {usd(projected)} a month on {model} "
                f"({profile.runs_basis}), more than {what} of {usd(limit)}",
            )
    return Gate(model, profile, None)


def enable(
    db: sqlite_utils.Database,
    spec: Spec,
    *,
    model: str | None = None,
    global_month_cap: float | None = None,
) -> Gate:
    """Start the schedule, or raise StateError with the gate's reason."""
    checked = gate(db, spec, model=model, global_month_cap=global_month_cap)
    if not checked.open:
        raise StateError(f"cannot enable: {checked.refusal}")
    assert checked.profile is not None
    report = checked.profile.report_for(checked.model)
    assert report is not None
    with transaction(db):
        switch_rows.set_enabled(db, spec.name, spec.version, checked.profile.id)
        eventlog.append(
            db,
            "workflow.enabled",
            workflow=spec.name,
            detail={
                "model": checked.model,
                "profile_id": checked.profile.id,
                "spec_version": spec.version,
                "projected_month_usd": report.projected_month_usd,
                "runs_per_month": checked.profile.runs_per_month,
            },
        )
    return checked


def disable(db: sqlite_utils.Database, workflow: str, *, why: str = "by the user") -> bool:
    """Stop the schedule; False when it was not on."""
    with transaction(db):
        if not switch_rows.set_disabled(db, workflow):
            return False
        eventlog.append(db, "workflow.disabled", workflow=workflow, detail={"why": why})
    return True


def switch_states(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    """Each workflow's switch row: enabled, enabled_at, spec_hash, profile_id, last_slot."""
    return switch_rows.states(db)


def is_enabled(db: sqlite_utils.Database, workflow: str) -> bool:
    return switch_states(db).get(workflow, {}).get("enabled", False)
