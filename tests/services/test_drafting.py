"""A spec drafted from a description: through the pipeline (logged, costed as `draft`),
put to the checker, asked for once more with the checker's messages when it fails."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.services import drafting
from desktop_app.services.inputs import from_text
from desktop_app.services.pipeline import Route
from tests.conftest import REPO_ROOT
from tests.helpers.llm_server import reply

GOOD = (
    (REPO_ROOT / "workflows" / "review-reply" / "workflow.toml")
    .read_text()
    .replace('name = "review-reply"', 'name = "supplier-prices"')
)
DESCRIBE = "Answer a supplier's e-mail announcing a price increase: thank them, ask for the date."


def chat_bodies(server):
    return [r.body for r in server.requests if r.path.endswith("/chat/completions")]


def test_a_draft_that_passes_the_checker_at_once(tmp_path, db, llm_server):
    llm_server.script(reply(GOOD, tokens_in=2000, tokens_out=900))
    example = from_text("Dear Rosa, from March our flour costs 8% more.", name="acme")
    draft = drafting.draft_spec(
        db, tmp_path, "supplier-prices", DESCRIBE, [example], Route(api_base=llm_server.url)
    )
    assert draft.passes and draft.tries == 1 and draft.spec is not None
    assert draft.spec.name == "supplier-prices" and draft.spec.complete
    (body,) = chat_bodies(llm_server)
    sent = json.dumps(body)
    assert "price increase" in sent and "our flour costs 8% more" in sent
    assert "criteria.rules" in sent  # the format's keys, from the one table
    rows = db.execute("SELECT purpose, workflow FROM model_calls").fetchall()
    assert rows == [("draft", "supplier-prices")]
    assert draft.cost_usd and draft.cost_usd > 0


def test_a_draft_with_problems_is_asked_for_again_with_the_checkers_messages(
    tmp_path, db, llm_server
):
    broken = GOOD.replace("temperature = 0.3", "temperature = 5")
    llm_server.script(reply(broken), reply("```toml\n" + GOOD + "\n```"))
    draft = drafting.draft_spec(
        db, tmp_path, "supplier-prices", DESCRIBE, [], Route(api_base=llm_server.url)
    )
    assert draft.passes and draft.tries == 2
    assert draft.text.startswith("name =") and "```" not in draft.text  # the fence is gone
    second = json.dumps(chat_bodies(llm_server)[1])
    assert "temperature must be between 0 and 2" in second and "Your draft was" in second


def test_a_draft_that_still_fails_is_returned_with_its_problems(tmp_path, db, llm_server):
    broken = GOOD.replace("temperature = 0.3", "temperature = 5")
    llm_server.script(reply(broken), reply(broken))
    draft = drafting.draft_spec(
        db, tmp_path, "supplier-prices", DESCRIBE, [], Route(api_base=llm_server.url)
    )
    assert not draft.passes and draft.tries == 2
    assert any("between 0 and 2" in p.message for p in draft.problems)


def test_no_description_no_call(tmp_path, db, llm_server):
    with pytest.raises(KnownError, match="describe the task"):
        drafting.draft_spec(db, tmp_path, "x", "  ", [], Route(api_base=llm_server.url))
    assert not llm_server.requests


def test_the_drafting_spec_is_complete():
    spec = drafting.drafting_spec()
    assert spec.complete and spec.name == "drafting"


def test_signoff_draft_writes_a_workflow_that_passes_check(capsys, tmp_path, llm_server):
    from desktop_app.cli import main

    llm_server.script(reply(GOOD))
    example = tmp_path / "acme.txt"
    example.write_text("Dear Rosa, from March our flour costs 8% more.")
    code = main(["settings", "--api-base", llm_server.url])
    assert code == 0
    code = main(["draft", "--describe", DESCRIBE, "--name", "supplier-prices",
                 "--example", str(example)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "it passes `signoff check`" in out
    assert main(["check"]) == 0
    assert main(["samples", "supplier-prices"]) == 0
    assert "acme.txt" in capsys.readouterr().out
