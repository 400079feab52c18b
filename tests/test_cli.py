"""The command line as a user types it: in-process (fast) and, where it matters, as a real process."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import BUNDLED_WORKFLOWS, REPO_ROOT
from tests.helpers.llm_server import reply, status
from tests.helpers.specs import write_spec


@pytest.mark.sqlite_file
def test_first_start_seeds_bundled_workflows(signoff, _isolated_environment):
    code, out, err = signoff("workflows", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == BUNDLED_WORKFLOWS and all(r["complete"] for r in rows)
    assert (_isolated_environment / "workflows" / "review-reply" / "workflow.toml").is_file()
    assert (_isolated_environment / "signoff.db").is_file()


def test_check_bundled_workflows_pass(signoff):
    code, out, err = signoff("check", str(REPO_ROOT / "workflows"))
    assert code == 0, out + err
    assert out.count(": ok (") == BUNDLED_WORKFLOWS


def test_check_reports_file_line_and_exits_1(signoff, tmp_path):
    path = write_spec(tmp_path / "wf", "broken")
    text = path.read_text().replace("temperature = 0.0", "temprature = 0.0")
    path.write_text(text)
    line = text.splitlines().index("temprature = 0.0") + 1
    code, out, _ = signoff("check", str(path))
    assert code == 1
    assert f"{path}:{line}:" in out and "did you mean 'temperature'" in out


def test_run_inbox_show_approve_reject_and_export(signoff, workflows, llm_server, tmp_path):
    llm_server.script(reply("Dear Anna, thank you!"), reply("Thanks a lot, Ben."))
    sample = tmp_path / "review.txt"
    sample.write_text("Lovely cake. Anna", encoding="utf-8")
    code, out, err = signoff("run", "reply", "--input", str(sample))
    assert code == 0, err
    assert "1 pending" in out
    code, out, err = signoff("run", "reply", "--text", "Great coffee. Ben")
    assert code == 0, err

    code, out, _ = signoff("inbox", "--json")
    items = json.loads(out)
    assert [i["status"] for i in items] == ["pending", "pending"]
    required = {
        "id",
        "workflow",
        "run_id",
        "status",
        "output",
        "original_output",
        "reason",
        "model",
        "cost_usd",
        "input_name",
        "created_at",
        "decided_at",
        "decided_by",
    }
    assert required <= set(items[0])
    ben, anna = items  # newest first
    assert anna["input_name"] == "review" and anna["output"] == "Dear Anna, thank you!"

    edit = tmp_path / "edit.txt"
    edit.write_text("Dear Anna, thank you so much!", encoding="utf-8")
    code, out, err = signoff("approve", str(anna["id"]), "--edit-file", str(edit), "--by", "maria")
    assert code == 0, err and "approved with your edit" in out
    code, out, err = signoff("reject", str(ben["id"]), "--reason", "Too short", "--by", "maria")
    assert code == 0, err

    code, out, _ = signoff("show", str(anna["id"]), "--json")
    shown = json.loads(out)
    assert shown["output"] == "Dear Anna, thank you so much!"
    assert shown["original_output"] == "Dear Anna, thank you!"
    assert shown["decided_by"] == "maria" and "+Dear Anna, thank you so much!" in shown["diff"]
    code, out, _ = signoff("show", str(ben["id"]))
    assert "REJECTED" in out and "Too short" in out

    code, out, _ = signoff("inbox")
    assert "no items awaiting a decision" in out
    code, out, _ = signoff("inbox", "--status", "all", "--json")
    assert len(json.loads(out)) == 2

    out_csv = tmp_path / "log.csv"
    code, _, err = signoff("log", "export", "--format", "csv", "--out", str(out_csv))
    assert code == 0, err
    with open(out_csv, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] != "log.head"]
    kinds = [r["kind"] for r in rows]
    for kind in (
        "spec.changed",
        "run.started",
        "model.call",
        "item.created",
        "item.edited",
        "item.approved",
        "item.rejected",
        "run.finished",
    ):
        assert kind in kinds
    rejected = next(r for r in rows if r["kind"] == "item.rejected")
    assert json.loads(rejected["detail"])["reason"] == "Too short"
    call = next(r for r in rows if r["kind"] == "model.call")
    assert json.loads(call["detail"])["cost_usd"] > 0

    out_jsonl = tmp_path / "log.jsonl"
    code, _, err = signoff(
        "log", "export", "--format", "jsonl", "--out", str(out_jsonl), "--workflow", "reply"
    )
    assert code == 0, err
    lines = [json.loads(line) for line in out_jsonl.read_text(encoding="utf-8").splitlines()]
    assert any(e["kind"] == "item.edited" and "diff" in e["detail"] for e in lines)

    code, out, _ = signoff("log", "verify")
    assert code == 0 and "intact" in out


def test_deciding_twice_is_one_line_error(signoff, workflows, llm_server):
    signoff("run", "reply", "--text", "Hello there")
    code, out, _ = signoff("inbox", "--json")
    item_id = json.loads(out)[0]["id"]
    assert signoff("approve", str(item_id))[0] == 0
    code, out, err = signoff("approve", str(item_id))
    assert code == 1
    assert err.strip().count("\n") == 0 and "already approved" in err and "Traceback" not in err


@pytest.mark.sqlite_file
def test_log_verify_names_the_first_bad_event(
    signoff, workflows, llm_server, _isolated_environment
):
    signoff("run", "reply", "--text", "Hello there")
    conn = sqlite3.connect(_isolated_environment / "signoff.db")
    conn.execute("DROP TRIGGER events_no_update")
    seq = conn.execute("SELECT seq FROM events WHERE kind = 'model.call'").fetchone()[0]
    conn.execute(
        "UPDATE events SET detail = replace(detail, 'Thank', 'Spank') WHERE seq = ?", [seq]
    )
    conn.commit()
    conn.close()
    code, _out, err = signoff("log", "verify")
    assert code == 1 and f"event {seq}" in err


def test_dead_server_is_an_escalated_item_and_one_line(signoff, workflows, llm_server):
    llm_server.default = status(500)
    code, out, err = signoff("run", "reply", "--text", "Hello there")
    assert code == 0, err
    assert "1 escalated" in out
    items = json.loads(signoff("inbox", "--json")[1])
    assert items[0]["status"] == "escalated" and items[0]["reason"]
    # nothing was spent because nothing answered: it says so, not a bare $0.00
    assert "cost $0.00 (no model answered)" in out
    assert "cost: $0.00 (no model answered)" in signoff("show", str(items[0]["id"]))[1]
    llm_server.default = reply("Dear customer, thanks.")
    code, out, _ = signoff("run", "reply", "--text", "Hello again", "--json")
    (summary,) = json.loads(out)
    assert summary["answered"] == 1 and summary["cost_usd"] > 0


def test_unknown_workflow_suggests_a_name(signoff, workflows):
    code, _, err = signoff("run", "replly", "--text", "x")
    assert code == 1 and "did you mean 'reply'" in err


def test_text_workflow_without_input_says_how(signoff, workflows):
    code, _, err = signoff("run", "reply")
    assert code == 1 and "--input PATH or --text TEXT" in err


def test_key_set_without_keychain_names_the_variable(signoff, monkeypatch):
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("sk-test-1234567890abcdefXYZ\n"))
    code, out, err = signoff("key", "set", "openai")
    assert code == 1 and "OPENAI_API_KEY" in err and "sk-test" not in err + out


def test_key_set_and_delete_with_a_keychain(signoff, monkeypatch):
    import keyring

    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("sk-test-1234567890abcdefXYZ\n"))
    code, _out, err = signoff("key", "set", "openai")
    assert code == 0, err
    assert keyring.get_password("signoff", "openai") == "sk-test-1234567890abcdefXYZ"
    assert signoff("key", "delete", "openai")[0] == 0
    assert keyring.get_password("signoff", "openai") is None


def run_process(
    *args: str, env_extra: dict | None = None, home=None
) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )


def test_errors_have_no_traceback_unless_debug(tmp_path):
    proc = run_process("show", "12345")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "signoff: error: no item 12345"
    proc = run_process("show", "12345", "--debug")
    assert "Traceback" in proc.stderr


def test_commands_without_model_calls_never_import_litellm(tmp_path):
    code = (
        "import sys\n"
        "from desktop_app.cli import main\n"
        "for argv in (['inbox'], ['workflows'], ['check'], ['log', 'verify'], ['inbox', '--json'],"
        " ['--version']):\n"
        "    assert main(argv) == 0, argv\n"
        "print('LITELLM' if 'litellm' in sys.modules else 'CLEAN')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "CLEAN"


def test_no_command_without_a_screen_says_so(tmp_path):
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    proc = subprocess.run(
        [sys.executable, "-m", "desktop_app"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("signoff: error: no screen to open the window on")
    assert "Traceback" not in proc.stderr


def test_settings_set_the_model_and_server_for_every_run(
    signoff, llm_server, _isolated_environment
):
    from tests.helpers.canned import answer_for
    from tests.helpers.llm_server import responder

    llm_server.default = responder(answer_for)
    code, out, err = signoff(
        "settings", "--model", "openai/local-model", "--api-base", llm_server.url
    )
    assert code == 0, err
    assert f"api base:  {llm_server.url}" in out
    saved = json.loads((_isolated_environment / "settings.json").read_text())
    assert saved == {
        "model": "openai/local-model",
        "api_base": llm_server.url,
        "fallbacks": [],
        "monthly_budget_usd": None,
        "max_cost_per_approved_usd": None,
        "quiet_hours": "",
        "muted": [],
        "start_at_login": False,
        "ask_over_inputs": 1000,
        "name": "",
        "database": "",
    }
    code, out, err = signoff(
        "run", "review-reply", "--text", "Lovely cake! Anna"
    )  # a bundled spec, unedited
    assert code == 0, err
    sent = [r for r in llm_server.requests if r.path.endswith("/chat/completions")]
    assert [r.body["model"] for r in sent] == ["local-model"], [
        r.body["messages"][-1]["content"][:200] for r in sent
    ]
    code, out, _ = signoff("settings", "--api-base", "ftp://nope")
    assert code == 1
    assert signoff("settings", "--model", "", "--api-base", "")[0] == 0
    assert json.loads((_isolated_environment / "settings.json").read_text()) == {
        "model": "",
        "api_base": "",
        "fallbacks": [],
        "monthly_budget_usd": None,
        "max_cost_per_approved_usd": None,
        "quiet_hours": "",
        "muted": [],
        "start_at_login": False,
        "ask_over_inputs": 1000,
        "name": "",
        "database": "",
    }
    assert signoff("settings", "--monthly-budget", "$20")[0] == 0
    saved = json.loads((_isolated_environment / "settings.json").read_text())
    assert saved["monthly_budget_usd"] == 20.0 and saved["model"] == ""
    code, _, err = signoff("settings", "--monthly-budget", "lots")
    assert code == 1 and "not an amount in USD" in err


def test_settings_fallbacks_replace_each_specs_own(signoff, llm_server, _isolated_environment):
    from tests.helpers.canned import answer_for
    from tests.helpers.llm_server import responder

    code, out, err = signoff(
        "settings", "--model", "openai/main-model", "--api-base", llm_server.url,
        "--fallbacks", "openai/backup-one, openai/backup-two",
    )  # fmt: skip
    assert code == 0, err
    assert "fallbacks: openai/backup-one, openai/backup-two" in out
    # The main model is unknown to the server (404: no retry), the first fallback is busy.
    llm_server.script(status(404), status(503), status(503), status(503))
    llm_server.default = responder(answer_for)
    code, out, err = signoff("run", "review-reply", "--text", "Lovely cake! Anna", "--json")
    assert code == 0, err
    sent = [r.body["model"] for r in llm_server.completions]
    assert sent[0] == "main-model" and sent[-1] == "backup-two"
    assert "backup-one" in sent
    code, out, _ = signoff("inbox", "--json")
    assert json.loads(out)[0]["model"] == "openai/backup-two"
    assert signoff("settings", "--fallbacks", "")[0] == 0
    assert json.loads((_isolated_environment / "settings.json").read_text())["fallbacks"] == []


def test_local_server_discovery_and_connection_test(llm_server, refused_url):
    from desktop_app.services.connection import test_connection
    from desktop_app.services.local_servers import probe

    port = int(llm_server.url.split(":")[2].split("/")[0])
    closed = int(refused_url.split(":")[2].split("/")[0])
    (found,) = probe({port: "Test server", closed: "Nothing here"})
    assert found.api_base == llm_server.url and found.models == ("test-model",)
    assert found.litellm_model("test-model") == "openai/test-model"
    ok, text = test_connection("openai/test-model", found.api_base)
    assert ok and "answered in" in text
    ok, text = test_connection("openai/test-model", refused_url)
    assert not ok and text


def test_undo_from_the_command_line(signoff, workflows, llm_server):
    signoff("run", "reply", "--text", "Hello there")
    item_id = json.loads(signoff("inbox", "--json")[1])[0]["id"]
    assert signoff("approve", str(item_id))[0] == 0
    code, out, err = signoff("undo", str(item_id))
    assert code == 0, err
    assert out.strip() == f"item {item_id} is pending again"
    code, _, err = signoff("undo", str(item_id))
    assert code == 1 and "no decision to undo" in err


def test_decisions_carry_the_name_set_for_this_computer(signoff, workflows, llm_server):
    """``settings --name`` (issue 26): the name decisions carry; ``--by`` still overrides it
    for one command; "" goes back to the login name."""
    from desktop_app.services.decisions import default_decider

    for n in range(3):
        signoff("run", "reply", "--text", f"Hello {n}")
    first, second, third = sorted(i["id"] for i in json.loads(signoff("inbox", "--json")[1]))
    code, out, err = signoff("settings", "--name", "Anna B.")
    assert code == 0, err
    assert "name:      Anna B." in out
    assert signoff("approve", str(first))[0] == 0
    assert signoff("reject", str(second), "--reason", "no", "--by", "Tom")[0] == 0
    code, out, _ = signoff("settings", "--name", "")
    assert f"name:      {default_decider()} (your login name)" in out
    assert signoff("approve", str(third))[0] == 0
    by = {
        i["id"]: i["decided_by"]
        for i in json.loads(signoff("inbox", "--status", "all", "--json")[1])
    }
    assert by == {first: "Anna B.", second: "Tom", third: default_decider()}
    code, _, err = signoff("settings", "--name", "two\nlines")
    assert code == 1 and "one line" in err


def test_profile_enable_and_compare_from_the_command_line(signoff, llm_server):
    from tests.helpers.canned import answer_for
    from tests.helpers.llm_server import responder

    llm_server.default = responder(answer_for)
    code, _, err = signoff("enable", "support-digest")
    assert code == 1 and "it has never been profiled" in err
    code, out, err = signoff(
        "profile", "support-digest", "--model", "openai/gpt-4o-mini", "openai/gpt-4o",
        "--api-base", llm_server.url, "--json",
    )  # fmt: skip
    assert code == 0, err
    profile = json.loads(out)
    assert [r["model"] for r in profile["reports"]] == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    assert profile["runs_per_month"] == 2880.0  # every = "15m"
    assert len(profile["runs"]) == 10 and all(r["cost_known"] for r in profile["reports"])
    cheaper, dearer = profile["reports"]
    assert cheaper["cost_mean_usd"] < dearer["cost_mean_usd"]
    code, out, err = signoff("profile", "support-digest", "--api-base", llm_server.url)
    assert code == 0, err
    assert "COST/RUN" in out and "== care-question" in out and "-- openai/gpt-4o-mini" in out
    code, out, err = signoff("enable", "support-digest")
    assert code == 0, err
    assert out.startswith("enabled support-digest: every 15m on openai/gpt-4o-mini, about $")
    (row,) = [
        r for r in json.loads(signoff("workflows", "--json")[1]) if r["name"] == "support-digest"
    ]
    assert row["enabled"] and row["next_run"] and row["profile"]["current"]
    assert signoff("disable", "support-digest")[1].startswith("disabled support-digest")

    code, out, err = signoff(
        "run", "review-reply", "--text", "Lovely cake! Anna", "--api-base", llm_server.url
    )
    assert code == 0, err
    (item,) = json.loads(signoff("inbox", "--json")[1])
    code, out, err = signoff(
        "compare", str(item["id"]), "--model", "openai/gpt-4o", "--api-base", llm_server.url,
        "--keep",
    )  # fmt: skip
    assert code == 0, err
    assert (
        f"== item {item['id']}: gpt-4o-mini" in out
        or f"== item {item['id']}: openai/gpt-4o-mini" in out
    )
    assert "== compared: openai/gpt-4o" in out and "kept as item" in out
    assert len(json.loads(signoff("inbox", "--json")[1])) == 2


def test_approve_carries_out_the_action_once(signoff, llm_server, _isolated_environment):
    from tests.helpers.canned import answer_for
    from tests.helpers.llm_server import responder

    llm_server.default = responder(answer_for)
    assert (
        signoff("run", "review-reply", "--text", "Lovely cake! Anna", "--api-base", llm_server.url)[
            0
        ]
        == 0
    )
    (item,) = json.loads(signoff("inbox", "--json")[1])
    code, out, err = signoff("approve", str(item["id"]))
    assert code == 0, err
    written = _isolated_environment / "replies" / "review-reply" / f"{item['input_name']}.txt"
    assert f"file action: wrote {written}" in out
    assert written.read_text() == item["output"]
    before = written.stat().st_mtime_ns
    code, out, _ = signoff("action", str(item["id"]))  # done already: reported, not redone
    assert code == 0 and f"wrote {written}" in out
    assert written.stat().st_mtime_ns == before and len(list(written.parent.iterdir())) == 1


def test_inbox_search_takes_the_search_language(signoff, workflows, llm_server):
    llm_server.default = reply("Dear customer, thank you!")
    signoff("run", "reply", "--text", "Cold coffee and slow service. Tom")
    signoff("run", "reply", "--text", "Lovely cake. Anna")
    code, out, _ = signoff("inbox", "--search", '"slow service" -cake', "--json")
    assert code == 0
    assert len(json.loads(out)) == 1 and "slow service" in json.loads(out)[0]["input_text"]
    code, out, _ = signoff("inbox", "--search", "status:approved coffee")
    # what was searched, the search's own status included (issue 25: it said "awaiting")
    assert code == 0 and out.strip() == "no items approved matching 'status:approved coffee'"


def test_the_search_language_says_what_it_does_not_understand(signoff, workflows, llm_server):
    """A status, a date or a workflow that cannot be is one line naming what is valid, with
    the status of a mistyped command (2), never a silent empty list (issue 25)."""
    llm_server.default = reply("Dear customer, thank you!")
    signoff("run", "reply", "--text", "Cold coffee. Tom")
    code, out, _ = signoff("inbox", "--search", "status:all coffee", "--json")
    assert code == 0 and [i["status"] for i in json.loads(out)] == ["pending"]
    code, out, _ = signoff("approve", "1")
    code, out, _ = signoff("inbox", "--search", "status:all coffee", "--json")
    assert code == 0 and [i["status"] for i in json.loads(out)] == ["approved"]
    refused = {
        "status:bogus": "signoff: error: no status 'bogus': use one of pending, escalated,"
        " approved, rejected, expired, all",
        "after:2026-13-01 coffee": "signoff: error: after:2026-13-01 is not a date: write it"
        " as after:YYYY-MM-DD, e.g. after:2026-11-01",
        "workflow:nope": "signoff: error: no workflow named 'nope': the workflows are",
    }
    for search, said in refused.items():
        for command in (["inbox", "--search", search], ["log", "search", search]):
            code, out, err = signoff(*command)
            assert code == 2, (command, out, err)
            assert err.strip().startswith(said) and len(err.strip().splitlines()) == 1, err
            assert out == ""
    code, _, err = signoff("inbox", "--search", "workflow:nope")
    assert "reply" in err  # the workflows there are, named


def test_a_command_that_called_a_model_ends_with_its_output_and_exit_status_whole(
    llm_server, _isolated_environment
):
    """A command's model calls are made in the model worker, as the window's are: litellm is
    never imported into the command's own process (its import and teardown are the
    worker's, which leaves without the teardown). The output still arrives whole through a
    pipe, the exit status is the command's own, and the atexit handlers run. (A status of
    its own after SIGTERM: tests/reliability/test_sigterm.)"""
    llm_server.default = reply("Thank you for the lovely words. " * 200)
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('ATEXIT', 'litellm' in sys.modules, file=sys.stderr))\n"
        "sys.argv = ['signoff', *sys.argv[1:]]\n"
        "from desktop_app.__main__ import main\n"
        "main()\n"
    )
    args = ["run", "review-reply", "--model", "openai/test", "--api-base", llm_server.url]
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "--text", "Lovely cake", "--json"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (summary,) = json.loads(done.stdout)
    assert summary["answered"] == 1
    assert done.stderr.strip().endswith("ATEXIT False")  # the worker answered, not this process


@pytest.mark.sqlite_file
def test_db_info_names_the_engine_the_file_and_the_schema(
    signoff, workflows, llm_server, _isolated_environment
):
    signoff("run", "reply", "--text", "Hello there")
    code, out, err = signoff("db", "info")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("engine:   SQLite 3.") and "no team database" in lines[0]
    assert lines[1].startswith(f"file:     {_isolated_environment / 'signoff.db'} (")
    assert lines[2].startswith("schema:   ")
    assert "1 items, 1 runs" in lines[3]
    code, out, _ = signoff("db", "info", "--json")
    facts = json.loads(out)
    assert (
        facts["items"] == 1 and facts["schema"] == facts["schema_written"] and facts["size_mb"] > 0
    )
