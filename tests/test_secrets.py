"""A planted API key never reaches the database, the log, an export or stderr."""

from __future__ import annotations

import json

import keyring

from desktop_app.cli import main
from tests.helpers.llm_server import reply, status
from tests.helpers.specs import write_spec

SECRET = "sk-planted-SECRET-0123456789abcdefABCDEF"


def test_planted_key_goes_nowhere(tmp_path, monkeypatch, capsys, llm_server, _isolated_environment):
    keyring.set_password("signoff", "openai", SECRET)
    folder = tmp_path / "wf"
    write_spec(folder, "reply", api_base=llm_server.url, retries=0)
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(folder))
    # The server echoes the key in its error, as real providers do for a wrong key.
    llm_server.script(
        status(401, message=f"Incorrect API key provided: {SECRET}"), reply("Fine, thanks")
    )

    assert main(["run", "reply", "--text", "Hello"]) == 0
    assert main(["run", "reply", "--text", "Hello again"]) == 0
    sent = [r for r in llm_server.requests if r.path.endswith("/chat/completions")]
    assert sent and all(
        SECRET in r.headers.get("Authorization", "") for r in sent
    )  # it was really used

    for fmt in ("csv", "jsonl", "html"):
        assert main(["log", "export", "--format", fmt, "--out", str(tmp_path / f"log.{fmt}")]) == 0
    earlier = capsys.readouterr()
    assert main(["inbox", "--status", "all", "--json"]) == 0
    inbox = capsys.readouterr()
    items = json.loads(inbox.out)
    assert [i["status"] for i in items] == ["escalated", "pending"]
    assert main(["show", str(items[0]["id"]), "--json"]) == 0
    shown = capsys.readouterr()
    assert (
        "API key" in json.loads(shown.out)["reason"]
    )  # the reason says what went wrong, without the key
    for captured in (earlier, inbox, shown):
        assert SECRET not in captured.out and SECRET not in captured.err
    for fmt in ("csv", "jsonl", "html"):
        assert SECRET not in (tmp_path / f"log.{fmt}").read_text(encoding="utf-8")
    # the quality loop's paths too: scorecard, report, OTel spans, log search, examples,
    # settings, a debug run's output (issue 18)
    main(["reject", str(items[1]["id"]), "--reason", "no", "--by", "tom"])
    main(["example", str(items[1]["id"])])
    main(["settings", "--max-cost-per-approved", "1"])
    for args in (
        ["scorecard", "--json"],
        ["report", "--out", str(tmp_path / "report.html")],
        ["log", "export", "--format", "otel", "--out", str(tmp_path / "spans.json")],
        ["log", "search", "--json", "key"],
        ["workflows", "--json"],
        ["--debug", "run", "reply", "--text", "Once more"],
    ):
        main(args)
        captured = capsys.readouterr()
        assert SECRET not in captured.out and SECRET not in captured.err, args
    written = [p for p in (tmp_path.rglob("*")) if p.is_file()]
    assert (tmp_path / "report.html") in written and (tmp_path / "spans.json") in written
    for path in written:  # the data folder, the workflows and their examples, the exports
        assert SECRET.encode() not in path.read_bytes(), path
