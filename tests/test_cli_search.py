"""Searching from the command line: ``signoff log search`` and ``inbox --search``, and the
wait for an index an upgrade is still building."""

from __future__ import annotations

import json
import os

import pytest

from desktop_app.storage import fulltext
from desktop_app.storage.db import connect
from tests.helpers.llm_server import reply
from tests.helpers.old_database import make_old_database


@pytest.fixture
def history(signoff, workflows, llm_server):
    """Two runs of a workflow; one item approved by maria, one rejected by tom."""
    llm_server.default = reply("Dear Tom, we are sorry about the coffee.")
    signoff("run", "reply", "--text", "Cold coffee and slow service. Tom")
    llm_server.default = reply("Dear Anna, thank you!\x1b]0;pwned\x07 \x1b[2J")
    signoff("run", "reply", "--text", "Lovely cake. Anna")
    items = {i["input_text"][:4]: i["id"] for i in json.loads(signoff("inbox", "--json")[1])}
    signoff("approve", str(items["Love"]), "--by", "maria")
    signoff(
        "reject",
        str(items["Cold"]),
        "--reason",
        "too formal for our café\x1b]0;pwned\x07",
        "--by",
        "tom",
    )
    return items


def test_log_search_finds_events_by_words_phrases_and_filters(signoff, history):
    code, out, _ = signoff("log", "search", "--json", '"formal for our"')
    events = json.loads(out)
    assert code == 0 and [e["kind"] for e in events] == ["item.rejected"]
    assert events[0]["detail"]["reason"] == "too formal for our café\x1b]0;pwned\x07"
    assert set(events[0]) >= {"seq", "ts", "kind", "workflow", "run_id", "item_id", "detail"}

    def kinds(query: str) -> list[str]:
        found = json.loads(signoff("log", "search", "--json", query)[1])
        return [e["kind"] for e in found]

    assert kinds("by:maria") == ["item.approved"]
    assert kinds("by:tom café") == ["item.rejected"]
    # the prompt and the answer are the item's (searched in the inbox), not the log's
    assert kinds("sorry") == [] and "model.call" not in kinds("politely")
    assert kinds('"slow service" -formal') == ["item.created"]  # its input's name
    assert set(kinds("model:test-model")) == {"run.started", "model.call", "item.created"}
    assert "item.created" in kinds("status:approved")  # events of items now approved
    assert kinds("workflow:reply model:nothing-like-this") == []
    assert kinds("after:2999-01-01 coffee") == []


def test_log_search_prints_one_clean_line_an_event(signoff, history):
    code, out, _ = signoff("log", "search", "formal")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["SEQ", "TIME", "(UTC)"]
    assert len(lines) == 2 and "item.rejected" in lines[1] and "too formal" in lines[1]
    assert "\x1b" not in out and "\x07" not in out  # stored text cannot steer the terminal
    code, out, _ = signoff("log", "search", "zyxwvut")
    assert code == 0 and out.strip() == "no events matching 'zyxwvut'"
    code, out, _ = signoff("log", "search", "test-model", "--limit", "1")
    assert "… more (showing the newest 1; use --limit 0 for all)" in out


@pytest.mark.sqlite_file
def test_a_search_waits_for_the_index_an_upgrade_builds(
    signoff, _isolated_environment, monkeypatch
):
    monkeypatch.setattr(fulltext, "LONG_TAIL", 50)  # an upgrade's history: 80 rows here
    path = _isolated_environment / "signoff.db"
    _isolated_environment.mkdir(parents=True)
    make_old_database(path, 40)
    code, out, err = signoff("inbox", "--status", "all", "--search", "number17", "--json")
    assert code == 0 and [i["input_name"] for i in json.loads(out)] == ["in-17"]
    assert "the search index is being built" in err and "the search index is ready" in err
    db = connect(path)
    assert fulltext.progress(db).ready
    db.conn.close()
    code, _out, err = signoff("log", "search", "number17")
    assert code == 0 and err == ""  # built once: no more waiting


def test_inbox_search_says_when_more_match_than_it_shows(signoff, history):
    code, out, _ = signoff("inbox", "--status", "all", "--search", "Dear", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 3
    assert out.splitlines()[-1] == "… more match (showing the first 1; use --limit 0 for all)"
    code, out, _ = signoff("inbox", "--status", "all", "--search", "Dear", "--limit", "2")
    assert "more" not in out and len(out.splitlines()) == 3


HOSTILE_ANSWER = "Dear customer,\u202e eulav \x1b]0;pwned\x07\x1b[31mRED\x1b[0m \x1b[2J\x00 thanks"


def test_model_text_cannot_steer_the_terminal_and_is_escalated(
    signoff, workflows, tmp_path, llm_server
):
    llm_server.default = reply(HOSTILE_ANSWER)
    signoff("run", "reply", "--text", "Hello \u202ethere")
    (item,) = json.loads(signoff("inbox", "--json")[1])
    assert item["status"] == "escalated" and "U+202E (right-to-left override)" in item["reason"]
    # kept exactly, only shown differently (a team database, PostgreSQL, cannot hold NUL:
    # there it is U+FFFD)
    kept = HOSTILE_ANSWER
    if os.environ.get("SIGNOFF_DATABASE"):
        kept = kept.replace("\x00", "\ufffd")
    assert item["output"] == kept
    for args in (("show", str(item["id"])), ("inbox",), ("log", "search", "Hello")):
        code, out, _ = signoff(*args)
        assert code == 0
        for raw in ("\x1b", "\x07", "\x00", "\u202e"):
            assert raw not in out, (args, raw)
    _code, out, _ = signoff("show", str(item["id"]))
    assert "Dear customer,⟨U+202E⟩ eulav ⟨U+001B⟩]0;pwned⟨U+0007⟩" in out
    target = tmp_path / "log.html"
    signoff("log", "export", "--format", "html", "--out", str(target))
    html = target.read_text(encoding="utf-8")
    assert "\x1b" not in html and "\x00" not in html and "\u202e" not in html
    assert "⟨U+202E⟩" in html
