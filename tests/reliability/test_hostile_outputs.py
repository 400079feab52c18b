"""Hostile model outputs through the inbox, the exports and the report: each is kept
exactly, shown or written literally (hidden characters marked, markup escaped), and
nothing crashes."""

from __future__ import annotations

import csv
import json

import pytest

from desktop_app.cli import main
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec

OUTPUTS = {
    "html": "<b>bold</b> <a href='http://x'>link</a> &amp; entities",
    "a script tag": "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>",
    "an RTL override": "Thank you \u202eevol ot od ew tahw",
    "1 MB": "Dear customer, " + "thank you so much. " * 55_000 + "Rosa",
    "NUL bytes": "before\x00after\x00",
    "terminal escapes": "\x1b]0;pwned\x07\x1b[31mRED\x1b[0m\x1b[2J",
}


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_a_hostile_output_is_kept_and_shown_literally_everywhere(
    name, tmp_path, monkeypatch, llm_server, capsys
):
    text = OUTPUTS[name]
    folder = tmp_path / "wf"
    write_spec(folder, "reply", api_base=llm_server.url, out_max=2_000_000)
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(folder))
    llm_server.default = reply(text)
    assert main(["run", "reply", "--text", "Hello"]) == 0
    capsys.readouterr()
    assert main(["inbox", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["original_output"] == text  # kept exactly, whatever it holds
    for args in (["show", str(item["id"])], ["inbox"], ["log", "search", "Hello"]):
        assert main(args) == 0, args
        out = capsys.readouterr().out
        assert "\x00" not in out and "\x1b" not in out and "\u202e" not in out
    for fmt in ("csv", "jsonl", "html"):
        assert main(["log", "export", "--format", fmt, "--out", str(tmp_path / f"log.{fmt}")]) == 0
    calls = [
        json.loads(line)
        for line in (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
        if '"model.call"' in line
    ]
    assert calls[0]["detail"]["response"] == text  # the JSONL export round-trips it
    csv.field_size_limit(10_000_000)  # a 1 MB answer is one field (Python's default: 128 KB)
    with open(tmp_path / "log.csv", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "model.call"]
    assert json.loads(rows[0]["detail"])["response"] == text
    page = (tmp_path / "log.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page  # shown as text, never as markup
    assert "\x00" not in page and "\u202e" not in page and "\x1b" not in page
    assert main(["report", "--out", str(tmp_path / "report.html")]) == 0
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in report and "<img" not in report
    assert "\x00" not in report and "\u202e" not in report
