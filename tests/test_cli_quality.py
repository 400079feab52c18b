"""The quality loop from the command line: ``signoff scorecard``."""

from __future__ import annotations

import json

import pytest

from tests.helpers.llm_server import reply


@pytest.fixture
def decided(signoff, workflows, llm_server, tmp_path):
    """Three items of 'reply': one approved as is, one approved after an edit, one rejected."""
    llm_server.default = reply("Dear customer, thank you for writing.")
    for text in ("Lovely cake", "Cold coffee", "Rude staff"):
        signoff("run", "reply", "--text", text)
    ids = sorted(i["id"] for i in json.loads(signoff("inbox", "--json")[1]))
    edited = tmp_path / "edited.txt"
    edited.write_text("Dear customer, thank you so much for writing.", encoding="utf-8")
    signoff("approve", str(ids[0]), "--by", "rosa")
    signoff("approve", str(ids[1]), "--edit-file", str(edited), "--by", "rosa")
    signoff("reject", str(ids[2]), "--reason", "Too formal", "--by", "tom")
    return ids


def test_scorecard_json_has_the_weeks_figures(signoff, decided):
    code, out, _ = signoff("scorecard", "reply", "--json")
    (card,) = json.loads(out)
    total = card["total"]
    assert code == 0 and card["workflow"] == "reply"
    assert (total["made"], total["approved"], total["edited"], total["rejected"]) == (3, 1, 1, 1)
    assert total["edit_chars_median"] == 8  # "so much " inserted
    assert total["runs"] == 3 and total["cost_per_approved_usd"] is not None
    assert card["rejection_reasons"] == [{"reason": "Too formal", "count": 1}]
    assert len(card["weeks"]) == 1 and card["weeks"][0]["made"] == 3


def test_scorecard_text_names_each_workflow_and_its_reasons(signoff, decided):
    code, out, _ = signoff("scorecard")
    assert code == 0 and out.startswith("reply — items made since ")
    assert "approved as is 33% · edited 33% · rejected 33%" in out
    assert "rejected because: Too formal (1)" in out


def test_scorecard_refuses_a_date_that_is_not_one(signoff, decided):
    code, _out, err = signoff("scorecard", "--since", "last week")
    assert code != 0 and "--since takes a date" in err and err.count("\n") == 1


def test_scorecard_tells_of_drift_and_settings_keep_what_they_do_not_set(
    signoff, decided, _isolated_environment
):
    settings_file = _isolated_environment / "settings.json"
    settings_file.write_text(
        json.dumps({"quiet_hours": "22:00-07:00", "muted": ["reply"], "start_at_login": True}),
        encoding="utf-8",
    )
    code, out, _ = signoff("settings", "--max-cost-per-approved", "0.0000001")
    assert code == 0 and "alert over $0.00000010 per approved output" in out
    kept = json.loads(settings_file.read_text(encoding="utf-8"))
    assert kept["quiet_hours"] == "22:00-07:00" and kept["muted"] == ["reply"]
    assert kept["start_at_login"] is True and kept["max_cost_per_approved_usd"] == 1e-7
    code, out, _ = signoff("scorecard", "reply")
    assert "drift: 'reply' costs " in out and "per approved output over the last 7 days" in out
    (card,) = json.loads(signoff("scorecard", "reply", "--json")[1])
    assert [d["kind"] for d in card["drift"]] == ["cost"]


def test_an_edited_or_rejected_item_becomes_an_example_and_nothing_else_does(
    signoff, decided, tmp_path
):
    examples = tmp_path / "my-workflows" / "reply" / "examples"
    code, _out, err = signoff("example", str(decided[0]))  # approved as the model wrote it
    assert code == 1 and "an example is an item a person edited or rejected" in err
    assert signoff("example", str(decided[1]))[0] == 0
    assert signoff("example", str(decided[2]))[0] == 0
    edited = json.loads((examples / f"item-{decided[1]}.json").read_text(encoding="utf-8"))
    assert edited["verdict"] == "approved" and edited["decided_by"] == "rosa"
    assert edited["output"] == "Dear customer, thank you so much for writing."
    assert edited["model_output"] == "Dear customer, thank you for writing."
    assert edited["input"] == "Cold coffee"
    rejected = json.loads((examples / f"item-{decided[2]}.json").read_text(encoding="utf-8"))
    assert (rejected["verdict"], rejected["reason"]) == ("rejected", "Too formal")
    code, out, _ = signoff("log", "search", "--json", "example")
    assert [e["kind"] for e in json.loads(out)] == ["example.added", "example.added"]


def test_examples_reach_the_prompt(signoff, decided, tmp_path, llm_server):
    spec = tmp_path / "my-workflows" / "reply" / "workflow.toml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace('template = "Message', 'template = "{{ examples }}\\n\\nMessage'),
        encoding="utf-8",
    )
    signoff("example", str(decided[1]))
    signoff("example", str(decided[2]))
    assert signoff("check", str(spec))[0] == 0
    llm_server.requests.clear()
    assert signoff("run", "reply", "--text", "Slow service")[0] == 0
    (sent,) = [r for r in llm_server.requests if r.path.endswith("/chat/completions")]
    prompt = sent.body["messages"][-1]["content"]
    assert (
        "Example 1\nInput:\nCold coffee\nA good answer:\nDear customer, thank you so much" in prompt
    )
    assert "Example 2\nInput:\nRude staff\nAn answer to avoid (rejected: Too formal):" in prompt
    assert prompt.endswith("Message from Slow service:\nSlow service")


def test_test_runs_the_examples_and_flags_a_broken_or_drifted_case(signoff, decided, llm_server):
    signoff("example", str(decided[1]))
    signoff("example", str(decided[2]))
    llm_server.default = reply("Dear customer, thank you for writing.")  # as it was rejected
    code, out, _ = signoff("test", "reply", "--json")
    report = json.loads(out)
    assert code == 1 and report["failed"] == 1  # the rejected answer came back
    by_verdict = {c["verdict"]: c for c in report["cases"]}
    assert by_verdict["approved"]["result"] == "ok" and by_verdict["approved"]["similarity"] > 0.85
    assert by_verdict["rejected"]["result"] == "drifts"
    llm_server.default = reply("A refund, of course.")  # breaks the contract: must not contain
    code, out, _ = signoff("test", "reply")
    assert code == 1 and out.count("BREAKS") == 2 and "2 of 2 break or drift" in out
    llm_server.default = reply("Hello! We are sorry it was cold; the next coffee is on us.")
    code, out, _ = signoff("test", "reply")
    assert "DRIFTS" in out and "like the approved answer (under 60%)" in out
    code, out, _ = signoff("log", "search", "--json", "model:test-model")
    calls = [e for e in json.loads(out) if e["kind"] == "model.call"]
    assert [c["detail"]["for"] for c in calls[:2]] == ["test", "test"]  # counted as spend
    assert signoff("inbox", "--json")[1].strip() == "[]"  # and made no item


HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


class _Tags(__import__("html.parser").parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_the_report_is_one_safe_file_with_spend_decisions_and_the_log(
    signoff, decided, tmp_path, llm_server
):
    llm_server.default = reply(HOSTILE)
    signoff("run", "reply", "--text", HOSTILE)
    (item,) = json.loads(signoff("inbox", "--json")[1])
    signoff("reject", str(item["id"]), "--reason", HOSTILE, "--by", "tom")
    out_file = tmp_path / "report.html"
    code, _out, err = signoff("report", "--out", str(out_file))
    assert code == 0, err
    text = out_file.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    parser.close()
    tags = {tag for tag, _ in parser.tags}
    assert "script" not in tags and "img" not in tags and "link" not in tags
    attributes = [(name, value) for _, attrs in parser.tags for name, value in attrs]
    assert not [n for n, _ in attributes if n.startswith("on")]  # no handler, anywhere
    assert not [v for n, v in attributes if n in ("src", "href") and v]  # nothing fetched
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the hostile text, shown as text
    assert "Spend against the caps" in text and "reply" in text and "<svg" in text
    assert text.count("<tr><td>") >= 4 and ">rosa<" in text and ">tom<" in text  # decisions
    assert "the log is intact" in text


def test_the_report_refuses_a_period_that_ends_before_it_starts(signoff, decided, tmp_path):
    code, _out, err = signoff(
        "report",
        "--out",
        str(tmp_path / "r.html"),
        "--since",
        "2026-11-10",
        "--until",
        "2026-11-01",
    )
    assert code == 1 and "must be after --since" in err
    code, _out, err = signoff("report", "--out", str(tmp_path / "r.txt"))
    assert code == 1 and "names an HTML file" in err


def test_the_otel_export_is_otlp_json_with_genai_spans(signoff, decided, tmp_path):
    target = tmp_path / "traces.json"
    code, _out, err = signoff("log", "export", "--format", "otel", "--out", str(target))
    assert code == 0 and "exported 6 span(s)" in err
    document = json.loads(target.read_text(encoding="utf-8"))
    (resource,) = document["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "signoff"}} in resource["resource"][
        "attributes"
    ]
    (scope,) = resource["scopeSpans"]
    spans = scope["spans"]
    runs = [s for s in spans if s["name"] == "run reply"]
    calls = [s for s in spans if s["name"].startswith("chat ")]
    assert len(runs) == 3 and len(calls) == 3
    for span in spans:
        assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
        assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"]) > 0
        assert span["kind"] in (1, 3) and span["status"]["code"] == 1
    run_ids = {s["spanId"]: s["traceId"] for s in runs}
    for call in calls:
        assert run_ids[call["parentSpanId"]] == call["traceId"]  # each call under its run
        attributes = {a["key"]: a["value"] for a in call["attributes"]}
        assert attributes["gen_ai.operation.name"] == {"stringValue": "chat"}
        assert attributes["gen_ai.request.model"] == {"stringValue": "openai/test-model"}
        assert attributes["gen_ai.provider.name"] == {"stringValue": "openai"}
        assert int(attributes["gen_ai.usage.input_tokens"]["intValue"]) > 0
        assert attributes["signoff.purpose"] == {"stringValue": "run"}
    again = tmp_path / "again.json"
    signoff("log", "export", "--format", "otel", "--out", str(again))
    assert json.loads(again.read_text(encoding="utf-8")) == document  # the same ids each time


def test_a_broken_example_file_is_left_out_and_the_others_keep_their_names(
    signoff, decided, tmp_path
):
    signoff("example", str(decided[1]))
    examples = tmp_path / "my-workflows" / "reply" / "examples"
    (examples / "a-broken.json").write_text("{not json", encoding="utf-8")
    _code, out, _ = signoff("test", "reply", "--json")
    (case,) = json.loads(out)["cases"]
    assert case["example"] == f"item-{decided[1]}.json"
