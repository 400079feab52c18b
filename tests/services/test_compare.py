"""Compare models on a past item: both outputs and costs, no new item unless kept."""

from __future__ import annotations

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.core.spec_loader import load_spec
from desktop_app.llm import pricing
from desktop_app.services import compare
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner
from desktop_app.storage import item_pages, item_rows, model_calls
from desktop_app.storage.db import transaction
from tests.helpers.llm_server import reply, responder
from tests.helpers.specs import write_spec

SPEC_MODEL_COST = 10 * 1.0 / 1e6 + 200 * 2.0 / 1e6


@pytest.fixture
def made(tmp_path, db, llm_server):
    def answer(body):
        if body["model"] == "gpt-4o-mini":
            return reply("Thank you so much, see you soon!", tokens_in=10, tokens_out=200)
        return reply("Dear customer, thank you!", tokens_in=10, tokens_out=200)

    llm_server.default = responder(answer)
    spec = load_spec(write_spec(tmp_path / "wf", api_base=llm_server.url))
    summary = Runner(db).run(spec, [from_text("Lovely cake!", name="anna")])
    return spec, summary.item_ids[0]


def test_compare_shows_both_outputs_and_costs_and_makes_no_item(db, made, llm_server):
    spec, item_id = made
    result = compare.compare(db, item_id, spec, "openai/gpt-4o-mini")
    assert result.original.output == "Dear customer, thank you!"
    assert result.original.cost_usd == pytest.approx(SPEC_MODEL_COST)
    assert result.other.output == "Thank you so much, see you soon!"
    assert result.other.cost_usd == pytest.approx(pricing.cost("openai/gpt-4o-mini", 10, 200))
    assert result.other.status == "pending" and result.other.failed_checks == []
    sent = llm_server.completions[-1].body
    assert "Lovely cake!" in sent["messages"][-1]["content"]  # the item's own input
    assert item_pages.count_items(db, statuses=("pending", "escalated")) == 1
    purposes = [p for (p,) in db.execute("SELECT purpose FROM model_calls ORDER BY id")]
    assert purposes == ["run", "compare"]
    (kind,) = [k for (k,) in db.execute("SELECT kind FROM events WHERE item_id = ? AND kind = "
                                        "'item.compared'", [item_id])]  # fmt: skip
    assert kind == "item.compared"


def test_keeping_a_comparison_makes_a_new_pending_item(db, made):
    spec, item_id = made
    result = compare.compare(db, item_id, spec, "openai/gpt-4o-mini")
    new_id = compare.keep(db, result)
    kept = item_rows.get_item(db, new_id)
    assert kept["status"] == "pending" and kept["model"] == "openai/gpt-4o-mini"
    assert kept["output"] == "Thank you so much, see you soon!"
    assert kept["input_text"] == "Lovely cake!"
    assert item_pages.count_items(db, statuses=("pending",)) == 2


def test_a_comparison_past_a_cap_calls_nothing(tmp_path, db, made, llm_server):
    spec, item_id = made
    spec.path.write_text(spec.path.read_text() + "\n[budget]\nmax_cost_per_day = 0.0005\n")
    capped = load_spec(spec.path)
    with transaction(db):
        model_calls.record_model_call(
            db, workflow=spec.name, model="x", attempt=1, ok=1, cost_usd=0.0004
        )
    calls = len(llm_server.completions)
    with pytest.raises(KnownError, match="daily cap"):
        compare.compare(db, item_id, capped, "openai/test-model")
    assert len(llm_server.completions) == calls
