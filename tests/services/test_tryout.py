"""A try-out: the spec on one sample, through the pipeline; no item, its spend recorded."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.core.spec_loader import load_spec
from desktop_app.services.inputs import from_text
from desktop_app.services.pipeline import Route
from desktop_app.services.tryout import try_sample
from desktop_app.storage import model_calls
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


def test_a_try_out_makes_no_item_and_records_its_spend(tmp_path, db, llm_server):
    spec = load_spec(write_spec(tmp_path, "reply", api_base=llm_server.url))
    llm_server.script(reply("Dear Anna, thank you!", tokens_in=1000, tokens_out=500))
    result = try_sample(db, spec, from_text("Lovely cake, Anna", name="anna"), Route())
    assert (result.status, result.output, result.sample) == (
        "pending",
        "Dear Anna, thank you!",
        "anna",
    )
    assert result.cost_usd == pytest.approx(0.001 + 0.001) and result.calls == 1
    assert result.messages[-1]["content"].endswith("Lovely cake, Anna")
    assert {c.name: c.passed for c in result.checks}["must_not_contain"] is True
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    (purpose, cost) = db.execute("SELECT purpose, cost_usd FROM model_calls").fetchone()
    assert purpose == "try" and cost == pytest.approx(0.002)
    assert model_calls.cost_since(db, model_calls.month_start()) == pytest.approx(0.002)


def test_a_failing_check_shows_why_the_item_would_be_escalated(tmp_path, db, llm_server):
    spec = load_spec(write_spec(tmp_path, "reply", api_base=llm_server.url))
    llm_server.script(reply("We will refund you."))
    result = try_sample(db, spec, from_text("Cold coffee"), Route())
    assert result.status == "escalated" and "refund" in (result.reason or "")
    assert {c.name: c.passed for c in result.checks}["must_not_contain"] is False
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0


def test_a_budget_cap_stops_a_try_out_before_the_call(tmp_path, db, llm_server):
    spec = load_spec(write_spec(tmp_path, "reply", api_base=llm_server.url))
    with pytest.raises(KnownError, match="for all workflows"):
        try_sample(db, spec, from_text("Hi"), Route(), global_month_cap=0.0000001)
    assert not llm_server.completions
    assert (
        db.execute("SELECT count(*) FROM events WHERE kind = 'budget.blocked'").fetchone()[0] == 1
    )


def test_an_incomplete_spec_cannot_be_tried(tmp_path, db):
    from desktop_app.services import workflow_files

    path = workflow_files.new_workflow(db, tmp_path, "blank")
    from desktop_app.core.spec_loader import check_spec

    spec, _ = check_spec(path)
    assert spec is not None
    with pytest.raises(KnownError, match="incomplete and cannot be tried"):
        try_sample(db, spec, from_text("Hi"), Route())
