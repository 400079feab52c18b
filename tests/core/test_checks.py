"""The output contract and the verdicts built on it."""

from __future__ import annotations

import pytest

from desktop_app.core.checks import failed, normalise_output, run_checks
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_loader import load_spec
from desktop_app.core.spec_model import OutputSpec
from desktop_app.core.templates import TemplateRenderError, render_messages
from desktop_app.core.verdict import ESCALATE, OK, RETRY, SKIP, judge_input, judge_output
from tests.helpers.specs import write_spec


def by_name(results):
    return {r.name: r for r in results}


def test_text_checks_and_their_words():
    spec = OutputSpec(
        min_chars=10,
        max_chars=20,
        must_contain=("Thanks", "Anna"),
        must_not_contain=("refund", "Discount"),
        pattern=r"Dear .*",
    )
    results = by_name(run_checks(spec, "Dear Sir, a REFUND and a discount for you!"))
    assert results["max_chars"].message == "The answer is 42 characters long; the limit is 20."
    assert (
        results["must_contain"].message
        == "The answer must contain 'Thanks' and 'Anna' but does not."
    )
    assert (
        results["must_not_contain"].message
        == "The answer contains 'refund' and 'Discount', which it must not."
    )
    assert results["pattern"].passed and results["min_chars"].passed and results["complete"].passed
    short = by_name(run_checks(spec, "Dear A"))
    assert short["min_chars"].message == "The answer is 6 characters long; it must be at least 10."


def test_truncated_answer_fails_complete():
    results = run_checks(OutputSpec(max_chars=100), "cut off in the mid", finish_reason="length")
    assert [r.name for r in failed(results)] == ["complete"]


def test_json_and_schema_checks():
    schema = {
        "type": "object",
        "required": ["account"],
        "properties": {"account": {"enum": ["4000 Sales"]}},
    }
    spec = OutputSpec(format="json", json_schema=schema)
    assert not failed(run_checks(spec, '{"account": "4000 Sales"}'))
    bad = by_name(run_checks(spec, '{"account": "Sales"}'))
    assert (
        not bad["schema"].passed
        and "account: 'Sales' is not one of ['4000 Sales']" in bad["schema"].message
    )
    missing = by_name(run_checks(spec, "{}"))
    assert "'account' is a required property" in missing["schema"].message
    broken = by_name(run_checks(spec, '{"account": '))
    assert not broken["json"].passed and broken["json"].message.startswith(
        "The answer is not valid JSON"
    )
    assert "schema" not in broken


def test_one_code_fence_is_tolerated_for_json():
    spec = OutputSpec(format="json")
    assert normalise_output(spec, '```json\n{"a": 1}\n```\n') == '{"a": 1}'
    assert normalise_output(OutputSpec(), "  ```text```  ") == "```text```"


def test_verdicts_follow_the_declared_failure_modes(tmp_path):
    modes = """
[[failure_modes]]
name = "Spam"
when = "input_matches"
pattern = "(?i)casino"
then = "skip"

[[failure_modes]]
name = "Too long"
when = "check_failed"
check = "max_chars"
then = "retry"

[[failure_modes]]
name = "Mentions a competitor"
when = "output_matches"
pattern = "(?i)starbucks"
then = "escalate"
"""
    spec = load_spec(write_spec(tmp_path / "wf", "reply", failure_modes=modes, out_max=30))
    assert judge_input(spec, InputDoc("k", "n", "Visit our CASINO")).action == SKIP
    assert judge_input(spec, InputDoc("k", "n", "")).findings[0].reason == "The input is empty."
    assert judge_output(spec, "Thanks for visiting us!").action == OK
    long = judge_output(spec, "Thanks for visiting us, we hope to see you again soon!")
    assert long.action == RETRY and "(rule: Too long)" in long.reason
    assert (
        judge_output(
            spec, "Thanks for visiting us, we hope to see you again soon!", retried=True
        ).action
        == ESCALATE
    )
    competitor = judge_output(spec, "Better than Starbucks!")
    assert (
        competitor.action == ESCALATE
        and competitor.reason == "The answer matches the rule 'Mentions a competitor'."
    )
    refund = judge_output(spec, "Here is a refund.")
    assert (
        refund.action == ESCALATE and "refund" in refund.reason
    )  # no declared mode: the default escalates


def test_prompt_rendering_is_sandboxed_and_strict(tmp_path):
    path = write_spec(tmp_path / "wf", "reply")
    spec = load_spec(path)
    messages = render_messages(spec, InputDoc("k", "review-1", "Lovely cake"))
    assert (
        messages[0]["role"] == "system"
        and "Be polite.; Never promise a refund." in messages[0]["content"]
    )
    assert messages[1] == {"role": "user", "content": "Message from review-1:\nLovely cake"}

    path.write_text(path.read_text().replace("{{ input.text }}", "{{ input.fields.amount }}"))
    with pytest.raises(TemplateRenderError, match="does not have"):
        render_messages(load_spec(path), InputDoc("k", "n", "x"))
    path.write_text(
        path.read_text().replace("{{ input.fields.amount }}", "{{ input.__class__.__mro__ }}")
    )
    with pytest.raises(TemplateRenderError, match="not allowed"):
        render_messages(load_spec(path), InputDoc("k", "n", "x"))


def test_the_examples_are_looked_up_only_for_a_prompt_that_reads_them(tmp_path, monkeypatch):
    """Rendering a run's prompts checks the examples' folder on disk for each input; a
    workflow whose prompts never name ``examples`` does not pay for it, one that does gets
    them (a new file included, as before)."""
    import json

    from desktop_app.core import examples

    path = write_spec(tmp_path / "wf", "reply")
    looked: list[object] = []
    real_load = examples.load
    monkeypatch.setattr(examples, "load", lambda folder: looked.append(folder) or real_load(folder))
    doc = InputDoc("k", "review-1", "Lovely cake")

    render_messages(load_spec(path), doc)
    assert looked == []

    path.write_text(
        path.read_text().replace("{{ input.text }}", "{{ input.text }}\\n{{ examples }}")
    )
    (path.parent / examples.FOLDER).mkdir()
    (path.parent / examples.FOLDER / "item-1.json").write_text(
        json.dumps({"input": "Nice tea", "output": "Thank you!", "verdict": "approved"})
    )
    messages = render_messages(load_spec(path), doc)
    assert looked and "A good answer:\nThank you!" in messages[-1]["content"]
