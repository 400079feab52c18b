"""Defining workflows from the command line: new, samples, try, archive, unarchive."""

from __future__ import annotations

import json

from desktop_app.cli import main
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


def signoff(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_new_blank_then_check_says_what_is_missing(capsys, _isolated_environment):
    code, out, err = signoff(capsys, "new", "price-reply")
    assert code == 0, err
    path = _isolated_environment / "workflows" / "price-reply" / "workflow.toml"
    assert f"created {path}" in out
    code, out, _ = signoff(capsys, "check", str(path))
    assert code == 1 and "incomplete: missing a purpose" in out
    code, _, err = signoff(capsys, "new", "price-reply")
    assert code == 1 and "already a workflow 'price-reply'" in err


def test_new_from_a_bundled_workflow_runs_at_once(capsys, _isolated_environment):
    code, _, err = signoff(capsys, "new", "our-reviews", "--from", "review-reply")
    assert code == 0, err
    code, out, _ = signoff(capsys, "workflows", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["our-reviews"]["complete"] is True


def test_samples_add_list_remove(capsys, tmp_path, _isolated_environment):
    signoff(capsys, "new", "price-reply")
    note = tmp_path / "increase.txt"
    note.write_text("Prices go up 8% from March.")
    code, out, err = signoff(capsys, "samples", "price-reply", "--add", str(note))
    assert code == 0 and "added increase.txt" in out, err
    code, out, _ = signoff(capsys, "samples", "price-reply", "--json")
    assert json.loads(out) == [{"name": "increase.txt", "inputs": ["increase"], "problem": None}]
    code, out, _ = signoff(capsys, "samples", "price-reply", "--remove", "increase.txt")
    assert code == 0 and "removed increase.txt" in out and "no samples" in out


def test_try_on_a_sample_makes_no_item(capsys, tmp_path, monkeypatch, llm_server):
    folder = tmp_path / "wfs"
    write_spec(folder, "reply", api_base=llm_server.url)
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(folder))
    sample = tmp_path / "anna.txt"
    sample.write_text("Lovely cake, Anna")
    llm_server.script(reply("Dear Anna, thank you!", tokens_in=1000, tokens_out=500))
    code, out, err = signoff(capsys, "try", "reply", "--sample", str(sample), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "pending" and result["output"] == "Dear Anna, thank you!"
    assert result["cost_usd"] > 0 and result["messages"]
    code, out, _ = signoff(capsys, "inbox")
    assert "no items" in out
    llm_server.script(reply("We will refund you."))
    code, out, _ = signoff(capsys, "try", "reply", "--sample", str(sample))
    assert code == 0 and "escalated" in out and "FAIL  must_not_contain" in out


def test_archive_and_unarchive(capsys, _isolated_environment):
    signoff(capsys, "new", "price-reply")
    code, out, _ = signoff(capsys, "archive", "price-reply")
    assert code == 0 and "archived 'price-reply'" in out
    _, out, _ = signoff(capsys, "workflows", "--json")
    assert "price-reply" not in {r["name"] for r in json.loads(out)}
    code, _, _ = signoff(capsys, "unarchive", "price-reply")
    _, out, _ = signoff(capsys, "workflows", "--json")
    assert code == 0 and "price-reply" in {r["name"] for r in json.loads(out)}
    code, _, err = signoff(capsys, "unarchive", "nope")
    assert code == 1 and "no archived workflow 'nope'" in err
