"""Budget caps: checked before each call against recorded spend; a crossed cap calls nothing."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner, RunOptions
from desktop_app.storage import item_rows, model_calls
from desktop_app.storage.db import transaction
from tests.helpers.llm_server import reply
from tests.helpers.specs import DEFAULT_FAILURE_MODES, write_spec

# The spec's prices ($1 / $2 per million tokens) at the server's usage: 10 tokens in (fewer
# than the prompt has, so the estimate is an upper bound), max_tokens (200) out.
COST_PER_CALL = 10 * 1.0 / 1e6 + 200 * 2.0 / 1e6


def budget_spec(tmp_path, server, budget: str, failure_modes: str = DEFAULT_FAILURE_MODES):
    path = write_spec(tmp_path / "wf", api_base=server.url, failure_modes=failure_modes)
    path.write_text(path.read_text() + f"\n[budget]\n{budget}\n")
    return load_spec(path)


def inputs(n: int):
    return [from_text(f"Lovely cake number {i}", name=f"review-{i}") for i in range(n)]


def blocked_events(db):
    rows = db.execute("SELECT detail FROM events WHERE kind = 'budget.blocked' ORDER BY seq")
    return [json.loads(d) for (d,) in rows]


def spent_before(db, workflow: str, cost: float, at: str) -> None:
    with transaction(db):
        model_calls.record_model_call(
            db, workflow=workflow, model="openai/test-model", attempt=1, ok=1,
            cost_usd=cost, at=at,
        )  # fmt: skip


@pytest.fixture
def fixed_usage(llm_server):
    llm_server.default = reply("Dear customer, thank you!", tokens_in=10, tokens_out=200)
    return llm_server


@pytest.mark.parametrize("concurrency", [1, 4])
def test_per_run_cap_stops_the_run_before_the_call_that_would_cross_it(
    tmp_path, db, fixed_usage, concurrency
):
    spec = budget_spec(tmp_path, fixed_usage, "max_cost_per_run = 0.002")
    summary = Runner(db).run(spec, inputs(8), RunOptions(concurrency=concurrency))
    calls = len(fixed_usage.completions)
    assert 3 <= calls <= 4  # ~0.00045 estimated a call (calls in flight count too)
    assert summary.cost_usd == pytest.approx(calls * COST_PER_CALL)
    assert summary.cost_usd <= 0.002  # never past the cap
    assert (summary.pending, summary.escalated, summary.skipped) == (calls, 1, 7 - calls)
    blocked = [
        item_rows.get_item(db, i) for i in summary.item_ids if item_rows.get_item(db, i)["reason"]
    ]
    assert [b["status"] for b in blocked] == ["escalated"] and blocked[0]["output"] == ""
    assert "per-run cap of $0.0020 for reply would be crossed" in blocked[0]["reason"]
    assert "The model was not called" in blocked[0]["reason"]
    [event] = blocked_events(db)
    assert event["cap"] == "run" and event["limit_usd"] == 0.002
    assert event["spent_usd"] + event["estimate_usd"] > 0.002
    assert 0.0004 < event["estimate_usd"] < 0.0006


def test_daily_cap_counts_what_was_spent_earlier_today(tmp_path, db, fixed_usage):
    spec = budget_spec(tmp_path, fixed_usage, "max_cost_per_day = 1.00")
    spent_before(db, spec.name, 0.9999, model_calls.day_start())
    summary = Runner(db).run(spec, inputs(2))
    assert fixed_usage.completions == []  # no call was made past the cap
    item = item_rows.get_item(db, summary.item_ids[0])
    assert "daily cap of $1.00 for reply" in item["reason"]
    assert "$0.9999 spent today" in item["reason"]
    assert summary.skipped == 1 and summary.blocked


def test_monthly_cap_and_the_global_cap_from_settings(tmp_path, db, fixed_usage):
    spec = budget_spec(tmp_path, fixed_usage, "max_cost_per_month = 10.0")
    spent_before(db, "other-workflow", 4.9999, model_calls.month_start())
    Runner(db).run(spec, inputs(1))  # 5.00 for all workflows is not this workflow's cap
    assert len(fixed_usage.completions) == 1
    summary = Runner(db).run(spec, inputs(1), RunOptions(global_month_cap=5.0))
    assert len(fixed_usage.completions) == 1
    reason = item_rows.get_item(db, summary.item_ids[0])["reason"]
    assert "monthly cap of $5.00 for all workflows (Settings)" in reason
    spent_before(db, spec.name, 9.9998, model_calls.month_start())
    summary = Runner(db).run(spec, inputs(1))
    assert (
        "monthly cap of $10.00 for reply" in item_rows.get_item(db, summary.item_ids[0])["reason"]
    )
    assert [e["cap"] for e in blocked_events(db)] == ["global month", "month"]


def test_an_unknown_price_cannot_be_checked_against_a_cap(tmp_path, db, fixed_usage):
    spec = budget_spec(tmp_path, fixed_usage, "max_cost_per_run = 1.0")
    # A hosted server (TEST-NET address, never reached): a bill could come, so no call.
    hosted = RunOptions(model="openai/no-price-known-model", api_base="http://192.0.2.1:9/v1")
    summary = Runner(db).run(spec, inputs(1), hosted)
    assert fixed_usage.completions == []
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "escalated" and "price is unknown" in item["reason"]


def test_an_unpriced_model_on_this_machine_is_not_billed_so_caps_let_it_run(
    tmp_path, db, fixed_usage
):
    spec = budget_spec(tmp_path, fixed_usage, "max_cost_per_run = 0.000001")
    summary = Runner(db).run(spec, inputs(2), RunOptions(model="openai/no-price-known-model"))
    assert len(fixed_usage.completions) == 2 and summary.blocked is None
    assert blocked_events(db) == []
    costs = [c for (c,) in db.execute("SELECT cost_usd FROM model_calls")]
    assert costs == [None, None]  # recorded as unknown, never as 0


def test_over_budget_rule_may_skip_instead_of_escalating(tmp_path, db, fixed_usage):
    modes = DEFAULT_FAILURE_MODES + (
        '\n[[failure_modes]]\nname = "Over budget"\nwhen = "over_budget"\nthen = "skip"\n'
    )
    spec = budget_spec(tmp_path, fixed_usage, "max_cost_per_run = 0.0001", modes)
    summary = Runner(db).run(spec, inputs(2))
    assert summary.item_ids == [] and summary.skipped == 2
    assert fixed_usage.completions == []
    assert len(blocked_events(db)) == 1


def test_no_cap_means_no_estimate_and_no_block(tmp_path, db, fixed_usage):
    spec = load_spec(write_spec(tmp_path / "wf", api_base=fixed_usage.url))
    summary = Runner(db).run(spec, inputs(3))
    assert summary.pending == 3 and blocked_events(db) == []
