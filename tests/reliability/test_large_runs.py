"""A run over more new inputs than Settings allows without asking is held, with its
projected cost, until a person says yes (issue 23, defect 9: a 775,000-row CSV started as
many calls without a word)."""

from __future__ import annotations

import json

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import run_start, settings
from desktop_app.storage.db import connect
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


def rows_csv(path, count):
    path.write_text(
        "date,payee\n" + "".join(f"2026-12-01,Shop {n}\n" for n in range(count)), encoding="utf-8"
    )
    return path


def test_the_command_line_needs_yes_past_the_limit(
    signoff, workflows, tmp_path, llm_server, _isolated_environment
):
    llm_server.default = reply("Category: office supplies")
    big = rows_csv(tmp_path / "big.csv", 1200)
    code, out, err = signoff("run", "reply", "--input", str(big), "--model", "openai/gpt-4o-mini")
    assert code == 1
    assert "1,200 new inputs, more than the 1,000" in err and "costing about $" in err
    assert "--yes" in err and "signoff settings --ask-over" in err
    assert llm_server.requests == []
    db = connect(_isolated_environment / "signoff.db")
    try:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 0  # nothing recorded
    finally:
        db.conn.close()
    code, out, err = signoff("settings", "--ask-over", "10")
    assert code == 0 and "ask over:  10 new inputs" in out
    small = rows_csv(tmp_path / "small.csv", 12)
    code, out, err = signoff("run", "reply", "--input", str(small))
    assert code == 1 and "12 new inputs, more than the 10" in err
    code, out, err = signoff("run", "reply", "--input", str(small), "--yes", "--json")
    assert code == 0, err
    (summary,) = json.loads(out)
    assert summary["inputs"] == 12 and len(summary["items"]) == 12


def test_a_source_past_the_limit_is_held_for_the_scheduler_too(tmp_path, llm_server):
    data = tmp_path / "data"
    data.mkdir()
    settings.save(data, settings.Settings(ask_over_inputs=3))
    rows_csv(data / "rows.csv", 4)
    spec = load_spec(
        write_spec(
            tmp_path / "wf",
            "rows",
            api_base=llm_server.url,
            kind="csv",
            input_extra='path = "rows.csv"',
        )
    )
    db = connect(data / "signoff.db")
    try:
        done = run_start.run_workflow(db, spec, data)
        assert done.held and "4 new inputs, more than the 3" in done.held
        assert "an unknown amount" in done.held or "about $" in done.held
        assert done.summaries == [] and llm_server.requests == []
        again = run_start.run_workflow(db, spec, data, confirmed=True)
        assert again.held is None and again.summaries[0].inputs == 4
    finally:
        db.conn.close()
