"""The runner end to end: a real spec, a real SQLite file, real HTTP through litellm."""

from __future__ import annotations

import json
import os

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.core.spec_loader import load_spec
from desktop_app.services.inputs import from_text
from desktop_app.services.recovery import mark_interrupted
from desktop_app.services.runner import IncompleteSpecError, Runner, RunOptions
from desktop_app.storage import input_rows, item_rows, run_rows
from desktop_app.storage.db import transaction
from desktop_app.storage.eventlog import verify
from tests.helpers.llm_server import reply, responder, status
from tests.helpers.specs import write_spec


def chat_requests(server):
    return [r for r in server.requests if r.path.endswith("/chat/completions")]


def kinds(db, run_id=None):
    sql = "SELECT kind FROM events" + (" WHERE run_id = ?" if run_id else "") + " ORDER BY seq"
    return [k for (k,) in db.execute(sql, [run_id] if run_id else [])]


def details(db, kind):
    return [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = ? ORDER BY seq", [kind])
    ]


def spec_for(tmp_path, server, **kw):
    return load_spec(write_spec(tmp_path / "wf", api_base=server.url, **kw))


def test_good_answer_makes_a_pending_item_with_costs(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server)
    llm_server.script(
        reply("Dear Anna, thank you for the kind words!", tokens_in=1000, tokens_out=500)
    )
    summary = Runner(db).run(spec, [from_text("Lovely cake, Anna", name="review-1")])
    assert (summary.state, summary.pending, summary.escalated) == ("finished", 1, 0)
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "pending"
    assert item["output"] == "Dear Anna, thank you for the kind words!"
    assert item["cost_usd"] == pytest.approx(1000 * 1.0 / 1e6 + 500 * 2.0 / 1e6)
    assert (item["tokens_in"], item["tokens_out"]) == (1000, 500)
    assert all(c["passed"] for c in item["checks"])
    assert kinds(db, summary.run_id) == [
        "run.started",
        "model.call",
        "item.created",
        "run.finished",
    ]
    call = details(db, "model.call")[0]
    assert (
        call["messages"][0]["role"] == "system"
        and "Never promise a refund." in call["messages"][0]["content"]
    )
    assert "Lovely cake, Anna" in call["messages"][-1]["content"]
    assert call["response"] == item["output"] and call["cost_usd"] == pytest.approx(0.002)
    assert verify(db).ok


def test_broken_contract_escalates_with_a_plain_reason(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server, out_max=40)
    llm_server.script(
        reply("We are so sorry. Here is a full refund for your trouble, no questions asked.")
    )
    summary = Runner(db).run(spec, [from_text("Cold coffee")])
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "escalated"
    assert "refund" in item["reason"] and "40" in item["reason"]
    assert {c["name"] for c in item["checks"] if not c["passed"]} == {
        "max_chars",
        "must_not_contain",
    }
    assert [d["check"] for d in details(db, "check.failed")] == ["max_chars", "must_not_contain"]
    assert details(db, "item.escalated")[0]["reason"] == item["reason"]


def test_retry_tells_the_model_what_failed_then_passes(tmp_path, db, llm_server):
    modes = '[[failure_modes]]\nname = "Too long"\nwhen = "check_failed"\ncheck = "max_chars"\nthen = "retry"\n'
    spec = spec_for(tmp_path, llm_server, out_max=40, failure_modes=modes)
    llm_server.script(reply("x" * 100), reply("Thanks, Anna!"))
    summary = Runner(db).run(spec, [from_text("Lovely")])
    item = item_rows.get_item(db, summary.item_ids[0])
    assert (item["status"], item["output"]) == ("pending", "Thanks, Anna!")
    second = chat_requests(llm_server)[1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": "x" * 100}
    assert "100 characters" in second[-1]["content"] and "40" in second[-1]["content"]
    assert [d["purpose"] for d in details(db, "model.call")] == ["answer", "retry with feedback"]


def test_retry_happens_once_then_escalates(tmp_path, db, llm_server):
    modes = '[[failure_modes]]\nname = "Too long"\nwhen = "check_failed"\nthen = "retry"\n'
    spec = spec_for(tmp_path, llm_server, out_max=40, failure_modes=modes)
    llm_server.default = reply("y" * 100)
    summary = Runner(db).run(spec, [from_text("Lovely")])
    assert len(chat_requests(llm_server)) == 2
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "escalated" and "(rule: Too long)" in item["reason"]


def test_model_error_after_retries_is_an_escalated_item_not_a_crash(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server, retries=1)
    llm_server.default = status(503)
    summary = Runner(db).run(spec, [from_text("Hello")])
    assert len(chat_requests(llm_server)) == 2
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "escalated" and item["output"] == ""
    assert "503" in item["reason"] or "overloaded" in item["reason"]
    assert "Traceback" not in item["reason"]
    assert kinds(db, summary.run_id).count("model.error") == 2
    assert kinds(db, summary.run_id).count("model.retry") == 1
    assert db.execute("SELECT count(*), sum(ok) FROM model_calls").fetchone() == (2, 0)


def test_skip_mode_logs_and_makes_no_item(tmp_path, db, llm_server):
    modes = '[[failure_modes]]\nname = "Spam"\nwhen = "input_matches"\npattern = "(?i)casino"\nthen = "skip"\n'
    spec = spec_for(tmp_path, llm_server, failure_modes=modes)
    summary = Runner(db).run(spec, [from_text("Win big at our casino"), from_text("Nice lunch")])
    assert (summary.skipped, summary.pending) == (1, 1)
    assert len(chat_requests(llm_server)) == 1
    assert details(db, "input.skipped")[0]["reason"] == "The input matches the rule 'Spam'."


def test_input_rule_escalates_but_still_drafts(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server)
    summary = Runner(db).run(spec, [from_text("My lawyer will hear about this")])
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "escalated" and item["output"]
    assert item["reason"] == "The input matches the rule 'Mentions a lawyer'."


def test_too_long_input_is_escalated_without_a_call(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server, max_chars=20)
    summary = Runner(db).run(spec, [from_text("a" * 50)])
    assert chat_requests(llm_server) == []
    item = item_rows.get_item(db, summary.item_ids[0])
    assert item["status"] == "escalated"
    assert item["reason"] == "The input is 50 characters long; the limit is 20."


def test_incomplete_spec_refuses_to_run(tmp_path, db, llm_server):
    path = write_spec(tmp_path / "wf", api_base=llm_server.url, failure_modes="")
    spec = load_spec(path)
    assert not spec.complete
    with pytest.raises(IncompleteSpecError, match="failure mode"):
        Runner(db).run(spec, [from_text("Hello")])
    assert chat_requests(llm_server) == []


def test_many_inputs_concurrently_one_item_each(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server)
    llm_server.default = responder(
        lambda body: "Reply to: " + body["messages"][-1]["content"][-12:]
    )
    docs = [from_text(f"Message number {n:03d}") for n in range(30)]
    seen = []
    summary = Runner(db, on_item=lambda i, s: seen.append(i)).run(
        spec, docs, RunOptions(concurrency=6)
    )
    assert summary.pending == 30 and sorted(seen) == sorted(summary.item_ids)
    outputs = {
        item_rows.get_item(db, i)["input_text"]: item_rows.get_item(db, i)["output"]
        for i in summary.item_ids
    }
    assert all(outputs[f"Message number {n:03d}"].endswith(f"number {n:03d}") for n in range(30))
    assert verify(db).ok


def test_override_model_and_api_base(tmp_path, db, llm_server):
    spec = load_spec(write_spec(tmp_path / "wf", api_base="http://127.0.0.1:9/v1"))
    summary = Runner(db).run(
        spec, [from_text("Hi")], RunOptions(model="openai/other", api_base=llm_server.url)
    )
    assert chat_requests(llm_server)[0].body["model"] == "other"
    assert item_rows.get_item(db, summary.item_ids[0])["model"] == "openai/other"


def test_crashed_run_is_marked_and_resumed_without_duplicates(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server)
    Runner(db).run(spec, [from_text("warm-up")])  # records the spec version
    docs = [from_text(f"Input {n}") for n in range(4)]
    with transaction(db):  # a run that died after its first two inputs
        run_id, run_inputs = run_rows.create_run(
            db,
            workflow=spec.name,
            version_id=None,
            trigger="manual",
            model=spec.model.name,
            api_base=None,
            inputs=docs,
        )
        for ri in run_inputs[:2]:
            item_rows.insert_item(
                db,
                workflow=spec.name,
                run_id=run_id,
                run_input_id=ri.id,
                status="pending",
                input_name=ri.doc.name,
                input_text=ri.doc.text,
                output="done before the crash",
            )
            input_rows.set_input_status(db, ri.id, "done")
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", [_dead_pid(), run_id])
    assert mark_interrupted(db) == [run_id]
    assert run_rows.get_run(db, run_id)["state"] == "interrupted"
    summary = Runner(db).resume(spec, run_id)
    assert summary.resumed and summary.pending == 2
    assert run_rows.get_run(db, run_id)["state"] == "finished"
    rows = db.execute(
        "SELECT input_text FROM items WHERE run_id = ? ORDER BY input_text", [run_id]
    ).fetchall()
    assert [r[0] for r in rows] == ["Input 0", "Input 1", "Input 2", "Input 3"]
    assert len(chat_requests(llm_server)) == 1 + 2
    assert "run.interrupted" in kinds(db, run_id) and "run.resumed" in kinds(db, run_id)
    assert mark_interrupted(db) == []


def test_a_live_run_of_another_process_is_left_alone(tmp_path, db):
    with transaction(db):
        run_id, _ = run_rows.create_run(
            db,
            workflow="w",
            version_id=None,
            trigger="manual",
            model="m",
            api_base=None,
            inputs=[from_text("x")],
        )
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", [os.getppid(), run_id])
    assert mark_interrupted(db) == []


def test_no_inputs_is_a_clear_error(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server)
    with pytest.raises(KnownError, match="no inputs"):
        Runner(db).run(spec, [])


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_ctrl_c_leaves_the_run_resumable(tmp_path, db, llm_server):
    spec = spec_for(tmp_path, llm_server)

    def stop_after_first(item_id, status):
        raise KeyboardInterrupt

    docs = [from_text(f"Input {n}") for n in range(5)]
    with pytest.raises(KeyboardInterrupt):
        Runner(db, on_item=stop_after_first).run(spec, docs, RunOptions(concurrency=1))
    run_id = db.execute("SELECT id FROM runs").fetchone()[0]
    assert run_rows.get_run(db, run_id)["state"] == "interrupted"
    summary = Runner(db).resume(spec, run_id)
    assert run_rows.get_run(db, run_id)["state"] == "finished"
    assert db.execute("SELECT count(*), count(DISTINCT run_input_id) FROM items").fetchone() == (
        5,
        5,
    )
    assert (summary.inputs, summary.pending) == (4, 4)  # the first item was written before Ctrl+C
