"""Cost profiles on the samples (exact costs from fixed usage), and the enable gate on them."""

from __future__ import annotations

import json
import threading

import pytest

from desktop_app.core.errors import StateError
from desktop_app.core.spec_loader import load_spec
from desktop_app.llm import pricing
from desktop_app.services import switches
from desktop_app.services.profiler import ProfileBlocked, Profiler, latest_profile, projection
from desktop_app.storage import item_pages, model_calls
from desktop_app.storage.db import transaction
from tests.helpers.llm_server import reply, responder
from tests.helpers.specs import write_spec

# The spec's prices ($1 / $2 per million tokens) at the server's fixed usage: 10 in, 200 out.
SPEC_MODEL_COST = 10 * 1.0 / 1e6 + 200 * 2.0 / 1e6  # $0.00041
PRICED_MODEL = "openai/gpt-4o-mini"  # in litellm's bundled price map


@pytest.fixture
def server(llm_server):
    def answer(body):
        text = body["messages"][-1]["content"]
        if "sample-b" in text:  # breaks the contract: must_not_contain "refund"
            return reply("We will refund you in full.", tokens_in=10, tokens_out=200)
        return reply("Dear customer, thank you!", tokens_in=10, tokens_out=200)

    llm_server.default = responder(answer)
    return llm_server


def profiled_spec(tmp_path, server, extra: str = '[schedule]\nevery = "1h"\n'):
    path = write_spec(
        tmp_path / "wf", api_base=server.url, kind="folder", input_extra='path = "inbox/reply"'
    )
    path.write_text(path.read_text() + "\n" + extra)
    samples = path.parent / "samples"
    samples.mkdir()
    for name in ("sample-a", "sample-b", "sample-c"):
        (samples / f"{name}.txt").write_text(f"Lovely cake, this is {name}.")
    return load_spec(path)


def test_profile_reports_exact_costs_pass_rate_and_the_projected_month(tmp_path, db, server):
    spec = profiled_spec(tmp_path, server)
    seen = []
    profile = Profiler(db, on_progress=lambda d, t: seen.append((d, t))).profile(
        spec, ["openai/test-model", PRICED_MODEL]
    )
    assert profile.state == "finished" and profile.samples == ["sample-a", "sample-b", "sample-c"]
    assert seen[-1] == (6, 6) and len(server.completions) == 6
    spec_model, priced = profile.reports
    assert spec_model.cost_known and spec_model.cost_mean_usd == pytest.approx(SPEC_MODEL_COST)
    assert spec_model.cost_max_usd == pytest.approx(SPEC_MODEL_COST)
    assert (spec_model.tokens_in_mean, spec_model.tokens_out_mean) == (10, 200)
    # every = "1h" -> 720 runs in 30 days
    assert profile.runs_per_month == 720.0 and "every 1h" in profile.runs_basis
    assert spec_model.projected_month_usd == pytest.approx(720 * SPEC_MODEL_COST)
    assert spec_model.pass_rate == pytest.approx(2 / 3) and spec_model.escalated == 1
    assert spec_model.failed_checks == {"must_not_contain": 1}
    litellm_cost = pricing.cost(PRICED_MODEL, 10, 200)
    assert litellm_cost and priced.cost_mean_usd == pytest.approx(litellm_cost)
    assert priced.cost_mean_usd < spec_model.cost_mean_usd  # the cheaper model, side by side
    assert spec_model.latency_p50_ms is not None
    assert spec_model.latency_p95_ms >= spec_model.latency_p50_ms
    # outputs side by side, per sample, in the order the models were given
    rows = dict(profile.side_by_side())
    assert list(rows["sample-b"]) == ["openai/test-model", PRICED_MODEL]
    assert rows["sample-b"]["openai/test-model"].output == "We will refund you in full."
    assert not rows["sample-b"]["openai/test-model"].passed
    # nothing reached the inbox; the calls count towards spend, marked as a profile's
    assert item_pages.count_items(db, statuses=("pending", "escalated")) == 0
    calls = db.execute("SELECT purpose, profile_id, run_id FROM model_calls").fetchall()
    assert calls == [("profile", profile.id, None)] * 6
    assert model_calls.month_cost(db, spec.name) == pytest.approx(
        3 * SPEC_MODEL_COST + 3 * litellm_cost
    )
    kinds = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY seq")]
    assert kinds[1] == "profile.started" and kinds[-1] == "profile.finished"
    assert kinds.count("model.call") == 6
    stored = latest_profile(db, spec.name, spec.version)
    assert stored.id == profile.id and stored.reports == profile.reports


def test_an_unknown_price_is_profiled_and_flagged_never_zero(tmp_path, db, server):
    spec = profiled_spec(tmp_path, server)
    profile = Profiler(db).profile(spec, ["openai/no-price-known-model"])
    (report,) = profile.reports
    assert not report.cost_known
    assert report.cost_mean_usd is None and report.projected_month_usd is None
    assert report.served_here  # the test server is on this machine
    assert all(run.cost_usd is None for run in profile.runs)


def test_runs_per_month_typed_wins_and_no_schedule_says_so(tmp_path, server):
    spec = profiled_spec(tmp_path, server, extra="")
    assert projection(spec) == (None, "no schedule: type a number of runs per month")
    assert projection(spec, 100) == (100.0, "as typed")
    cron = profiled_spec(tmp_path / "c", server, '[schedule]\ncron = "0 8 * * *"\n')
    runs, basis = projection(cron)
    assert 29 <= runs <= 31 and "cron 0 8 * * *" in basis


def test_a_changed_spec_makes_the_profile_stale_and_enabling_is_refused(tmp_path, db, server):
    spec = profiled_spec(tmp_path, server)
    with pytest.raises(StateError, match="never been profiled"):
        switches.enable(db, spec)
    profile = Profiler(db).profile(spec, ["openai/test-model"])
    assert switches.enable(db, spec).open and switches.is_enabled(db, spec.name)
    spec.path.write_text(spec.path.read_text().replace("Be polite.", "Be very polite."))
    changed = load_spec(spec.path)
    assert profile.is_stale(changed) and latest_profile(db, spec.name, changed.version) is None
    assert switches.disable(db, spec.name) and not switches.is_enabled(db, spec.name)
    with pytest.raises(StateError, match="spec changed since its last profile"):
        switches.enable(db, changed)
    kinds = [k for (k,) in db.execute("SELECT kind FROM events WHERE kind LIKE 'workflow.%'")]
    assert kinds == ["workflow.enabled", "workflow.disabled"]


def test_enabling_is_refused_when_the_projected_month_exceeds_the_budget(tmp_path, db, server):
    spec = profiled_spec(
        tmp_path, server, '[schedule]\nevery = "1h"\n\n[budget]\nmax_cost_per_month = 0.10\n'
    )
    Profiler(db).profile(spec, ["openai/test-model"])
    gate = switches.gate(db, spec)
    assert not gate.open and "about $0.2952 a month" in gate.refusal
    assert "more than its monthly budget of $0.10" in gate.refusal
    # the global cap in Settings is a second limit
    loose = profiled_spec(tmp_path / "l", server)
    Profiler(db).profile(loose, ["openai/test-model"])
    assert switches.gate(db, loose).open
    assert "all workflows" in switches.gate(db, loose, global_month_cap=0.2).refusal
    # a model it was not profiled on
    assert "not on openai/other" in switches.gate(db, loose, model="openai/other").refusal


def test_enabling_needs_a_schedule_and_an_input_it_can_read_by_itself(tmp_path, db, server):
    spec = profiled_spec(tmp_path, server, extra="")
    assert "no [schedule]" in switches.gate(db, spec).refusal
    text_path = write_spec(tmp_path / "t", api_base=server.url)
    text_path.write_text(text_path.read_text() + '\n[schedule]\nevery = "1h"\n')
    assert (
        "a schedule needs a folder, csv or mailbox input"
        in switches.gate(db, load_spec(text_path)).refusal
    )


def test_a_cancelled_profile_cannot_open_the_gate(tmp_path, db, server):
    spec = profiled_spec(tmp_path, server)
    cancel = threading.Event()
    profiler = Profiler(db, on_progress=lambda done, total: cancel.set(), cancel=cancel)
    profile = profiler.profile(spec, ["openai/test-model"], concurrency=1)
    assert profile.state == "cancelled" and len(profile.runs) < 3
    state = db.execute("SELECT state FROM profiles WHERE id = ?", [profile.id]).fetchone()[0]
    assert state == "cancelled"
    assert "never been profiled" in switches.gate(db, spec).refusal


def test_a_profile_that_would_cross_the_monthly_cap_calls_nothing(tmp_path, db, server):
    spec = profiled_spec(
        tmp_path, server, '[schedule]\nevery = "1h"\n\n[budget]\nmax_cost_per_month = 1.00\n'
    )
    with transaction(db):
        model_calls.record_model_call(
            db, workflow=spec.name, model="openai/test-model", attempt=1, ok=1, cost_usd=0.9995
        )
    with pytest.raises(ProfileBlocked, match=r"monthly cap of \$1.00 for reply"):
        Profiler(db).profile(spec, ["openai/test-model"])
    assert server.completions == []
    (detail,) = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'budget.blocked'")
    ]
    assert detail["for"] == "profile" and detail["cap"] == "month"
