"""Each bundled workflow runs end to end, on every sample, against the local test server."""

from __future__ import annotations

import json
import shutil

import pytest

from desktop_app.cli import main
from tests.conftest import REPO_ROOT
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import reply, responder


@pytest.fixture
def good_server(llm_server):
    llm_server.default = responder(answer_for)
    return llm_server


def run_json(capsys, *args) -> object:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def all_items(capsys, workflow):
    return run_json(capsys, "inbox", "--status", "all", "--workflow", workflow, "--json")


@pytest.mark.parametrize(
    "name",
    [
        "review-reply",
        "support-digest",
        "bank-categorise",
        "product-description",
        "invoice-reminder",
        "meeting-actions",
        "supplier-reply",
    ],
)
def test_each_bundled_workflow_runs_on_all_its_samples(
    name, good_server, capsys, _isolated_environment
):
    samples = sorted((REPO_ROOT / "workflows" / name / "samples").iterdir())
    total_inputs = 0
    for sample in samples:
        summaries = run_json(
            capsys, "run", name, "--input", str(sample), "--api-base", good_server.url, "--json"
        )
        summary = summaries[-1]
        assert summary["state"] == "finished"
        assert summary["pending"] + summary["escalated"] + summary["skipped"] == summary["inputs"]
        total_inputs += summary["inputs"]
    items = all_items(capsys, name)
    assert items and all(i["model"] == "openai/gpt-4o-mini" for i in items)
    assert any(i["status"] == "pending" for i in items), [i["reason"] for i in items]
    assert all(
        i["cost_usd"] and i["cost_usd"] > 0 for i in items if i["output"]
    )  # litellm's price for the model
    for item in items:
        if item["status"] == "escalated":
            assert item["reason"], item
    assert main(["log", "verify"]) == 0


def test_expected_escalations_and_skips_in_the_samples(good_server, capsys):
    samples = REPO_ROOT / "workflows"
    run_json(
        capsys,
        "run",
        "review-reply",
        "--input",
        str(samples / "review-reply/samples/legal-threat.txt"),
        "--api-base",
        good_server.url,
        "--json",
    )
    (legal,) = all_items(capsys, "review-reply")
    assert legal["status"] == "escalated" and "Customer mentions legal action" in legal["reason"]

    summary = run_json(
        capsys,
        "run",
        "support-digest",
        "--input",
        str(samples / "support-digest/samples/out-of-office.eml"),
        "--api-base",
        good_server.url,
        "--json",
    )[-1]
    assert summary["skipped"] == 1 and all_items(capsys, "support-digest") == []

    run_json(
        capsys,
        "run",
        "invoice-reminder",
        "--input",
        str(samples / "invoice-reminder/samples/overdue-long.csv"),
        "--api-base",
        good_server.url,
        "--json",
    )
    items = {i["input_name"]: i for i in all_items(capsys, "invoice-reminder")}
    assert items["overdue-long row 1"]["status"] == "escalated"  # 116 days overdue
    assert "Very late invoice" in items["overdue-long row 1"]["reason"]

    run_json(
        capsys, "run", "supplier-reply", "--input",
        str(samples / "supplier-reply/samples/bank-details.eml"), "--api-base", good_server.url,
        "--json",
    )  # fmt: skip
    (fraud,) = all_items(capsys, "supplier-reply")
    assert fraud["status"] == "escalated" and "Changed bank details" in fraud["reason"]


def test_a_broken_answer_is_retried_with_feedback_then_accepted(llm_server, capsys):
    llm_server.script(reply("Sure! Here is the category: rent."), responder(answer_for))
    sample = REPO_ROOT / "workflows/bank-categorise/samples/statement-october.csv"
    run_json(
        capsys,
        "run",
        "bank-categorise",
        "--input",
        str(sample),
        "--api-base",
        llm_server.url,
        "--concurrency",
        "1",
        "--json",
    )
    first = all_items(capsys, "bank-categorise")[-1]  # oldest item: the first row
    assert first["status"] == "pending" and json.loads(first["output"])["account"] == "6100 Rent"
    feedback = llm_server.requests[1].body["messages"][-1]["content"]
    assert "not valid JSON" in feedback


def test_folder_source_processes_each_file_once(good_server, capsys, _isolated_environment):
    main(["workflows"])  # first start: seeds the data folder
    inbox = _isolated_environment / "inbox" / "support"
    inbox.mkdir(parents=True)
    for eml in (REPO_ROOT / "workflows/support-digest/samples").glob("*.eml"):
        shutil.copy(eml, inbox)
    first = run_json(capsys, "run", "support-digest", "--api-base", good_server.url, "--json")[-1]
    assert (
        first["inputs"] == 4
        and first["skipped"] == 1
        and first["pending"] + first["escalated"] == 3
    )
    capsys.readouterr()
    assert main(["run", "support-digest", "--api-base", good_server.url]) == 0
    assert "nothing new to process" in capsys.readouterr().out
    (inbox / "new-mail.eml").write_text(
        "From: Ann Lee <ann@example.com>\nSubject: Hello\n\nWhere is my parcel?\n", encoding="utf-8"
    )
    third = run_json(capsys, "run", "support-digest", "--api-base", good_server.url, "--json")[-1]
    assert third["inputs"] == 1


def test_csv_source_processes_each_row_once(good_server, capsys, _isolated_environment):
    main(["workflows"])
    target = _isolated_environment / "invoices"
    target.mkdir()
    shutil.copy(
        REPO_ROOT / "workflows/invoice-reminder/samples/overdue-november.csv",
        target / "overdue.csv",
    )
    first = run_json(capsys, "run", "invoice-reminder", "--api-base", good_server.url, "--json")[-1]
    assert first["inputs"] == 3
    with open(target / "overdue.csv", "a", encoding="utf-8") as fh:
        fh.write("INV-2026-0430,Kiln Bakery,Olu Ade,olu@example.com,95.00,GBP,2026-11-15,9\n")
    second = run_json(capsys, "run", "invoice-reminder", "--api-base", good_server.url, "--json")[
        -1
    ]
    assert second["inputs"] == 1
