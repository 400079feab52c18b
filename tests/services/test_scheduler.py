"""Scheduled runs with a fake clock: due slots, catch-up runs, no overlap, a changed spec."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import scheduler, switches
from desktop_app.services.profiler import Profiler
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


@pytest.fixture
def enabled(tmp_path, db, llm_server):
    llm_server.default = reply("Dear customer, thank you!", tokens_in=10, tokens_out=20)
    path = write_spec(
        tmp_path / "wf", api_base=llm_server.url, kind="folder", input_extra='path = "inbox"'
    )
    path.write_text(path.read_text() + '\n[schedule]\nevery = "1h"\ncatch_up = "latest"\n')
    samples = path.parent / "samples"
    samples.mkdir()
    (samples / "one.txt").write_text("Lovely cake!")
    spec = load_spec(path)
    Profiler(db).profile(spec, [spec.model.name])
    switches.enable(db, spec)
    enabled_at = switches.switch_states(db)[spec.name]["enabled_at"]
    return spec, datetime.fromisoformat(enabled_at.replace("Z", "+00:00"))


def drop(data_dir, *names):
    folder = data_dir / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.txt").write_text(f"A message called {name}")


def runs(db):
    return db.execute("SELECT id, trigger, state FROM runs ORDER BY id").fetchall()


def test_nothing_is_due_before_the_first_slot(db, enabled):
    spec, t0 = enabled
    assert scheduler.due(db, {spec.name: spec}, t0 + timedelta(minutes=59)) == []


def test_a_due_slot_runs_on_the_new_inputs_once(tmp_path, db, enabled):
    spec, t0 = enabled
    data_dir = tmp_path / "data"
    drop(data_dir, "a", "b", "c")
    (todo,) = scheduler.due(db, {spec.name: spec}, t0 + timedelta(hours=1, seconds=5))
    assert todo.plan.slots == (t0 + timedelta(hours=1),) and not todo.plan.catch_up
    fired = scheduler.run_due(db, todo, data_dir=data_dir)
    assert [s.inputs for s in fired.summaries] == [3]
    assert runs(db) == [(1, "schedule", "finished")]
    # the same slot is not due again, and the next slot finds nothing new to do
    assert scheduler.due(db, {spec.name: spec}, t0 + timedelta(hours=1, minutes=5)) == []
    (later,) = scheduler.due(db, {spec.name: spec}, t0 + timedelta(hours=2, seconds=1))
    assert scheduler.run_due(db, later, data_dir=data_dir).note == "nothing new to process"
    assert len(runs(db)) == 1


def test_after_the_app_was_closed_one_catch_up_run_is_logged_as_such(tmp_path, db, enabled):
    spec, t0 = enabled
    data_dir = tmp_path / "data"
    drop(data_dir, "a")
    (todo,) = scheduler.due(db, {spec.name: spec}, t0 + timedelta(hours=5, minutes=10))
    assert todo.plan.missed == 5 and todo.plan.catch_up and len(todo.plan.slots) == 1
    scheduler.run_due(db, todo, data_dir=data_dir)
    assert runs(db) == [(1, "catch-up", "finished")]
    (detail,) = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'schedule.due'")
    ]
    assert detail["missed"] == 5 and detail["catch_up"] and detail["rule"] == "latest"


def test_runs_of_one_workflow_never_overlap(tmp_path, db, enabled):
    spec, t0 = enabled
    db.execute(
        "INSERT INTO runs (workflow, trigger, state, started_at) VALUES (?, 'manual', 'running', ?)",
        [spec.name, "2026-11-25T10:00:00.000Z"],
    )
    assert scheduler.due(db, {spec.name: spec}, t0 + timedelta(hours=1, seconds=5)) == []


def test_a_changed_spec_switches_the_schedule_off(db, enabled):
    spec, t0 = enabled
    spec.path.write_text(spec.path.read_text().replace("Be polite.", "Be kind."))
    changed = load_spec(spec.path)
    assert scheduler.due(db, {spec.name: changed}, t0 + timedelta(hours=3)) == []
    assert not switches.is_enabled(db, spec.name)
    (detail,) = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'workflow.disabled'")
    ]
    assert "spec changed" in detail["why"]
