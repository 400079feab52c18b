"""How a run starts (services/run_start): Settings applied, interrupted runs resumed first, and a
resumed run of any trigger marks what it read from its source, so nothing runs twice."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import run_start, settings
from desktop_app.services.inputs import from_text
from desktop_app.services.recovery import mark_interrupted
from desktop_app.services.runner import Hooks, Runner, RunOptions
from desktop_app.storage import run_rows
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


@pytest.fixture
def folder_spec(tmp_path, llm_server):
    llm_server.default = reply("Dear customer, thank you!", tokens_in=10, tokens_out=200)
    path = write_spec(
        tmp_path / "wf", api_base=llm_server.url, kind="folder", input_extra='path = "inbox"'
    )
    return load_spec(path)


def drop(data_dir, *names):
    folder = data_dir / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(f"A message called {name}")


def interrupt_after_first(db, spec, data_dir, *, trigger: str) -> int:
    """A run over the source that stops (Ctrl+C) after its first item, as a crash would."""

    def stop(item_id, status):
        raise KeyboardInterrupt

    inputs = run_start.source_inputs(db, spec, data_dir)
    options = RunOptions(trigger=trigger, reads_source=True, concurrency=1)
    with pytest.raises(KeyboardInterrupt):
        Runner(db, on_item=stop).run(spec, inputs, options)
    (run_id,) = run_start.interrupted(db, spec.name)
    return run_id


def item_inputs(db):
    return sorted(n for (n,) in db.execute("SELECT input_name FROM items"))


@pytest.mark.parametrize("trigger", ["schedule", "catch-up", "source"])
def test_a_resumed_run_of_its_source_makes_no_duplicate(tmp_path, db, folder_spec, trigger):
    data_dir = tmp_path / "data"
    drop(data_dir, "a", "b", "c")
    run_id = interrupt_after_first(db, folder_spec, data_dir, trigger=trigger)
    assert run_rows.get_run(db, run_id)["reads_source"] == 1

    first = run_start.run_workflow(db, folder_spec, data_dir)  # resumes, then finds nothing new
    assert [s.resumed for s in first.summaries] == [True] and first.nothing_new
    assert item_inputs(db) == ["a", "b", "c"]

    again = run_start.run_workflow(db, folder_spec, data_dir)
    assert again.summaries == [] and again.nothing_new
    assert item_inputs(db) == ["a", "b", "c"]  # each input once, ever


def test_a_resumed_run_respects_the_monthly_cap_in_settings(tmp_path, db, folder_spec, llm_server):
    data_dir = tmp_path / "data"
    drop(data_dir, "a", "b", "c")
    interrupt_after_first(db, folder_spec, data_dir, trigger="source")
    calls_before = len(llm_server.completions)
    settings.save(data_dir, settings.Settings(monthly_budget_usd=0.0001))

    done = run_start.run_workflow(db, folder_spec, data_dir)
    resumed, *new = done.summaries  # the inputs not run stay new: a new run is stopped too
    assert resumed.resumed and all(s.blocked for s in new)
    assert len(llm_server.completions) == calls_before  # the cap stopped every call
    assert resumed.blocked and "for all workflows (Settings)" in resumed.blocked
    blocked = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'budget.blocked'")
    ]
    assert blocked and blocked[0]["cap"] == "global month"


def test_settings_model_and_fallbacks_apply_unless_the_run_names_its_own(tmp_path):
    chosen = settings.Settings(model="openai/local", api_base="http://127.0.0.1:1/v1",
                               fallbacks=("openai/other",), monthly_budget_usd=5.0)  # fmt: skip
    options = run_start.options(chosen)
    assert (options.model, options.api_base, options.fallbacks, options.global_month_cap) == (
        "openai/local", "http://127.0.0.1:1/v1", ("openai/other",), 5.0,
    )  # fmt: skip
    named = run_start.options(chosen, model="openai/mine", api_base="http://127.0.0.1:2/v1")
    assert (named.model, named.api_base) == ("openai/mine", "http://127.0.0.1:2/v1")
    assert run_start.options(settings.Settings()).fallbacks is None  # each spec's own


def test_resume_all_resumes_every_workflow_and_names_what_it_cannot(tmp_path, db, llm_server):
    llm_server.default = reply("Dear customer, thank you!", tokens_in=10, tokens_out=20)
    workflows = tmp_path / "workflows"
    good = load_spec(write_spec(workflows, name="good", api_base=llm_server.url))
    gone = load_spec(write_spec(tmp_path / "elsewhere", name="gone", api_base=llm_server.url))
    for spec in (good, gone):
        with pytest.raises(KeyboardInterrupt):
            Runner(db, on_item=_stop).run(
                spec, [from_text(f"Input {n}") for n in range(3)], RunOptions(concurrency=1)
            )
    assert mark_interrupted(db) == []  # marked by the Ctrl+C already
    resumed: list[tuple[int, str]] = []
    hooks = Hooks(on_resume=lambda r, w: resumed.append((r, w)))
    done = run_start.resume_all(db, workflows, tmp_path / "data", hooks)
    assert resumed == [(1, "good")]
    assert [(s.workflow, s.state, s.inputs) for s in done.summaries] == [("good", "finished", 2)]
    (problem,) = done.problems
    assert "run 2 of 'gone' stays interrupted" in problem
    assert run_start.interrupted(db) == [2]


def _stop(item_id, status):
    raise KeyboardInterrupt


def test_a_text_workflow_needs_an_input(tmp_path, db, llm_server):
    spec = load_spec(write_spec(tmp_path / "wf", api_base=llm_server.url))
    with pytest.raises(Exception, match="takes one input"):
        run_start.run_workflow(db, spec, tmp_path / "data")


def test_a_failed_run_lets_go_of_its_untouched_inputs_and_the_next_run_takes_them(
    tmp_path, db, folder_spec, llm_server
):
    data = tmp_path / "data"
    drop(data, "a", "b", "c", "d", "e", "f")

    def fail(item_id, status):
        raise RuntimeError("the disk went away")

    with pytest.raises(RuntimeError):
        run_start.run_workflow(db, folder_spec, data, concurrency=1, hooks=Hooks(on_item=fail))
    (run,) = db.execute("SELECT id, state FROM runs").fetchall()
    assert run[1] == "failed"
    statuses = dict(
        db.execute(
            "SELECT status, count(*) FROM run_inputs WHERE run_id = ? GROUP BY status", [run[0]]
        )
    )
    assert statuses.get("queued", 0) == 0 and statuses["not_run"] >= 4  # none left waiting
    made = db.execute("SELECT count(*) FROM items").fetchone()[0]
    again = run_start.run_workflow(db, folder_spec, data)
    assert again.summaries[0].inputs == 6 - made  # the ones the failed run never finished
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 6
