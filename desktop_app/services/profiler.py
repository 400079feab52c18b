"""Cost profiles: a workflow's samples run on one or several models before it is enabled.

Each sample goes through the same steps as a run (input rules, prompt, model call, output
contract, retry with feedback), but no item reaches the inbox. Every model call is recorded
in ``model_calls`` (purpose ``profile``), so profiling counts towards spend and budgets like
any other call. The report is stored in ``profiles`` with the spec version it was made for:
a changed spec needs a new profile before it can be enabled.

Cost per run is per sample (one input, every attempt included). The projected month is the
mean cost per run times the runs per month: typed by the user, else from the schedule.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_model import BudgetSpec, Spec
from desktop_app.core.stamps import utcnow
from desktop_app.llm.gateway import served_here
from desktop_app.services import call_pool, catalogue, pipeline, records
from desktop_app.services.budget_guard import BudgetGuard
from desktop_app.services.pipeline import Call, ModelGateway, Outcome, Prepared, Route
from desktop_app.storage import eventlog
from desktop_app.storage import profiles as profile_rows
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

ProgressCallback = Callable[[int, int], None]


@dataclass
class SampleRun:
    """One sample on one model: what a run would have made of it."""

    model: str
    sample: str
    status: str  # pending | escalated | skipped: what the item would have been
    output: str
    reason: str | None
    passed: bool  # answered, and every check of the output contract passed
    failed_checks: list[str]
    cost_usd: float | None
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: int | None
    calls: int


@dataclass
class ModelReport:
    """Figures for one model over every sample."""

    model: str
    samples: int
    cost_known: bool  # False: some answer had no known price; the cost figures are unknown
    cost_mean_usd: float | None
    cost_max_usd: float | None
    tokens_in_mean: float | None
    tokens_out_mean: float | None
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    pass_rate: float
    escalated: int
    failed_checks: dict[str, int]
    projected_month_usd: float | None
    served_here: bool  # a model on this machine: nobody bills for it


@dataclass
class Profile:
    id: int
    workflow: str
    spec_version: str
    state: str  # running | finished | cancelled | failed
    models: list[str]
    samples: list[str]
    runs_per_month: float | None
    runs_basis: str  # how runs_per_month was found, in words
    reports: list[ModelReport] = field(default_factory=list)
    runs: list[SampleRun] = field(default_factory=list)
    started_at: str = ""
    finished_at: str | None = None

    def is_stale(self, spec: Spec) -> bool:
        """Made for another version of the spec: a new profile is needed."""
        return self.spec_version != spec.version

    def report_for(self, model: str) -> ModelReport | None:
        return next((r for r in self.reports if r.model == model), None)

    def side_by_side(self) -> list[tuple[str, dict[str, SampleRun]]]:
        """Per sample, each model's output: for a person to judge quality."""
        rows: dict[str, dict[str, SampleRun]] = {s: {} for s in self.samples}
        for run in self.runs:
            rows.setdefault(run.sample, {})[run.model] = run
        return list(rows.items())

    def as_dict(self) -> dict:
        return asdict(self)


class ProfileBlocked(KnownError):
    """Profiling would cross a budget cap: no model is called."""


def projection(spec: Spec, typed: float | None = None) -> tuple[float | None, str]:
    """Runs per month and how they were found: typed by the user, or from the schedule."""
    if typed is not None:
        if typed < 0:
            raise KnownError("runs per month cannot be negative")
        return float(typed), "as typed"
    if spec.schedule is not None:
        from desktop_app.core import schedule

        try:
            runs = schedule.runs_per_month(spec.schedule)
        except ValueError as exc:
            return None, f"the schedule cannot be read: {exc}"
        sched = spec.schedule
        what = f"every {sched.every}" if sched.every else f"cron {sched.cron}"
        return runs, f"at its schedule ({what})"
    return None, "no schedule: type a number of runs per month"


def default_models(spec: Spec, model: str | None, fallbacks: Sequence[str] | None) -> list[str]:
    """The model a run would use, then its fallbacks (Settings' or the spec's)."""
    main = model or spec.model.name
    chain = list(fallbacks) if fallbacks is not None else list(spec.model.fallbacks)
    return list(dict.fromkeys([main, *chain]))


def samples_of(spec: Spec) -> list[InputDoc]:
    from desktop_app.services.inputs import from_path

    folder = spec.samples_dir
    if not folder.is_dir():
        raise KnownError(f"workflow '{spec.name}' has no samples folder to profile on ({folder})")
    docs = list(from_path(folder, "*"))
    if not docs:
        raise KnownError(f"workflow '{spec.name}' has no samples to profile on in {folder}")
    return docs


def _nearest_rank(values: list[int], q: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _sample_run(model: str, sample: str, outcome: Outcome) -> SampleRun:
    attempts = outcome.attempts
    answered = outcome.answered_by is not None
    failed = [c.name for c in outcome.checks if not c.passed]
    tokens_in = [a.tokens_in for a in attempts if a.tokens_in is not None]
    tokens_out = [a.tokens_out for a in attempts if a.tokens_out is not None]
    status = outcome.status_word
    return SampleRun(
        model=model,
        sample=sample,
        status=status,
        output=outcome.output,
        reason=outcome.reason,
        passed=answered and not failed and status != "escalated",
        failed_checks=failed,
        cost_usd=outcome.cost_usd if attempts else 0.0,
        tokens_in=sum(tokens_in) if tokens_in else None,
        tokens_out=sum(tokens_out) if tokens_out else None,
        latency_ms=outcome.latency_ms,
        calls=len(attempts),
    )


def summarise(
    model: str, runs: list[SampleRun], runs_per_month: float | None, local: bool
) -> ModelReport:
    costs = [r.cost_usd for r in runs if r.cost_usd is not None]
    known = bool(runs) and len(costs) == len(runs)  # every sample's cost is known
    mean = sum(costs) / len(costs) if known else None
    t_in = [r.tokens_in for r in runs if r.tokens_in is not None]
    t_out = [r.tokens_out for r in runs if r.tokens_out is not None]
    latencies = [r.latency_ms for r in runs if r.latency_ms is not None]
    failed: Counter[str] = Counter(name for r in runs for name in r.failed_checks)
    return ModelReport(
        model=model,
        samples=len(runs),
        cost_known=known,
        cost_mean_usd=mean,
        cost_max_usd=max(costs) if known else None,
        tokens_in_mean=sum(t_in) / len(t_in) if t_in else None,
        tokens_out_mean=sum(t_out) / len(t_out) if t_out else None,
        latency_p50_ms=_nearest_rank(latencies, 0.50),
        latency_p95_ms=_nearest_rank(latencies, 0.95),
        pass_rate=sum(r.passed for r in runs) / len(runs) if runs else 0.0,
        escalated=sum(r.status == "escalated" for r in runs),
        failed_checks=dict(failed.most_common()),
        projected_month_usd=(
            None if mean is None or runs_per_month is None else mean * runs_per_month
        ),
        served_here=local,
    )


class Profiler:
    """Profiles workflows against one database; ``gateway`` makes the model calls."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        gateway: ModelGateway | None = None,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ):
        self.gateway = pipeline.gateway_or_default(gateway)
        self.db = db
        self.on_progress = on_progress
        self.cancel = cancel or threading.Event()

    def profile(
        self,
        spec: Spec,
        models: Sequence[str],
        *,
        api_base: str | None = None,
        runs_per_month: float | None = None,
        global_month_cap: float | None = None,
        concurrency: int = 4,
        samples: Sequence[InputDoc] | None = None,
    ) -> Profile:
        """Every sample on every model; the stored report. Raises ProfileBlocked, calling
        nothing, when the estimated cost would cross a daily or monthly cap."""
        if not spec.complete:
            parts = "; ".join(spec.missing)
            raise KnownError(f"workflow '{spec.name}' is incomplete: missing {parts}")
        models = list(dict.fromkeys(m.strip() for m in models if m.strip()))
        if not models:
            raise KnownError("name at least one model to profile")
        docs = list(samples) if samples is not None else samples_of(spec)
        per_month, basis = projection(spec, runs_per_month)
        routes = {m: Route(m, api_base, fallbacks=()) for m in models}  # each model on its own
        prepared = [pipeline.prepare(spec, doc) for doc in docs]
        self._check_budget(spec, prepared, routes, global_month_cap)

        version_id = catalogue.sync_version(self.db, spec)
        profile = Profile(
            id=0,
            workflow=spec.name,
            spec_version=spec.version,
            state="running",
            models=models,
            samples=[d.name for d in docs],
            runs_per_month=per_month,
            runs_basis=basis,
            started_at=utcnow(),
        )
        with transaction(self.db):
            profile.id = profile_rows.insert(
                self.db,
                workflow=spec.name,
                spec_hash=spec.version,
                version_id=version_id,
                models=models,
                runs_per_month=per_month,
                started_at=profile.started_at,
            )
            eventlog.append(
                self.db,
                "profile.started",
                workflow=spec.name,
                detail={
                    "profile_id": profile.id,
                    "models": models,
                    "samples": profile.samples,
                    "spec_version": spec.version,
                },
            )
        try:
            self._run_all(spec, prepared, routes, profile, concurrency)
        except BaseException as exc:
            self._finish(spec, profile, "failed", api_base, f"{type(exc).__name__}: {exc}")
            raise
        state = "cancelled" if self.cancel.is_set() else "finished"
        self._finish(spec, profile, state, api_base)
        return profile

    # --- steps ------------------------------------------------------------------------------

    def _check_budget(
        self,
        spec: Spec,
        prepared: list[Prepared],
        routes: dict[str, Route],
        global_month_cap: float | None,
    ) -> None:
        """The day / month caps against what every call may cost (known prices only: an
        unknown price is profiled and flagged, that is what profiling is for)."""
        limits = spec.budget or BudgetSpec()
        capped = BudgetSpec(
            max_cost_per_day=limits.max_cost_per_day, max_cost_per_month=limits.max_cost_per_month
        )
        first = next(iter(routes.values()))
        guard = BudgetGuard(
            self.db, self.gateway, spec, first, global_month_cap=global_month_cap, limits=capped
        )
        if not guard.capped:
            return
        total = sum(
            guard.estimate(ready.messages, route) or 0.0
            for route in routes.values()
            for ready in prepared
            if ready.decided is None
        )
        admission = guard.admit_cost(total)
        if admission.blocked is not None:
            message = admission.message.replace("this call would", "this profile would")
            detail = {**admission.blocked.as_dict(), "message": message, "for": "profile"}
            with transaction(self.db):
                eventlog.append(self.db, "budget.blocked", workflow=spec.name, detail=detail)
            raise ProfileBlocked(message)

    def _run_all(
        self,
        spec: Spec,
        prepared: list[Prepared],
        routes: dict[str, Route],
        profile: Profile,
        concurrency: int,
    ) -> None:
        jobs = [(model, index) for model in routes for index in range(len(prepared))]

        def ask(job: tuple[str, int]) -> Outcome:
            model, index = job
            return pipeline.answer(self.gateway, spec, prepared[index], routes[model])

        results: dict[tuple[str, int], SampleRun] = {}
        answers = call_pool.map_concurrently(
            jobs, ask, limit=concurrency, cancel=self.cancel, name=f"signoff-profile-{spec.name}"
        )
        done = 0
        for finished in answers:
            for (model, index), outcome in finished:
                if outcome.calls:
                    self._record(spec, profile, outcome.calls)
                results[(model, index)] = _sample_run(model, prepared[index].doc.name, outcome)
                done += 1
                self._progress(done, len(jobs))
        order = {m: n for n, m in enumerate(routes)}
        profile.runs = [results[k] for k in sorted(results, key=lambda k: (k[1], order[k[0]]))]

    def _record(self, spec: Spec, profile: Profile, calls: list[Call]) -> None:
        with transaction(self.db):
            for call in calls:
                records.log_call(
                    self.db, spec.name, None, None, call, purpose="profile", profile_id=profile.id
                )

    def _finish(
        self,
        spec: Spec,
        profile: Profile,
        state: str,
        api_base: str | None,
        error: str | None = None,
    ) -> None:
        profile.state = state
        profile.finished_at = utcnow()
        by_model: dict[str, list[SampleRun]] = {m: [] for m in profile.models}
        for run in profile.runs:
            by_model[run.model].append(run)
        base = api_base or spec.model.api_base
        profile.reports = [
            summarise(m, runs, profile.runs_per_month, served_here(m, base))
            for m, runs in by_model.items()
        ]
        with transaction(self.db):
            profile_rows.finish(
                self.db, profile.id, state, json.dumps(profile.as_dict()), profile.finished_at
            )
            eventlog.append(
                self.db,
                f"profile.{state}",
                workflow=spec.name,
                detail={
                    "profile_id": profile.id,
                    "spec_version": spec.version,
                    "runs_per_month": profile.runs_per_month,
                    "error": error,
                    "models": [
                        {
                            "model": r.model,
                            "cost_mean_usd": r.cost_mean_usd,
                            "cost_known": r.cost_known,
                            "pass_rate": r.pass_rate,
                            "projected_month_usd": r.projected_month_usd,
                        }
                        for r in profile.reports
                    ],
                },
            )

    def _progress(self, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done, total)


# --- reading stored profiles ------------------------------------------------------------------


def _from_json(text: str) -> Profile:
    data = json.loads(text)
    data["reports"] = [ModelReport(**r) for r in data.get("reports", [])]
    data["runs"] = [SampleRun(**r) for r in data.get("runs", [])]
    return Profile(**data)


def get_profile(db: sqlite_utils.Database, profile_id: int) -> Profile:
    text = profile_rows.report(db, profile_id)
    if not text:
        raise KnownError(f"no finished profile {profile_id}")
    return _from_json(text)


def latest_profile(
    db: sqlite_utils.Database, workflow: str, spec_version: str | None = None
) -> Profile | None:
    """The newest finished profile of ``workflow`` (for ``spec_version`` when given)."""
    text = profile_rows.latest_report(db, workflow, spec_version)
    return _from_json(text) if text else None
