"""Each due thing once, on any number of computers (issue 26, point 4): on SQLite and on
PostgreSQL, three "computers" (connections, each on a thread of its own) ticking at the
same moment run a schedule's slot once, carry out an approved item's action once and
remind of an item once; a claim left by a computer that died is taken over after a minute."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import decisions
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner
from desktop_app.services.tick import TickHooks, act_on_approved, run_due_schedules
from desktop_app.storage import actions as action_rows
from desktop_app.storage.db import transaction
from desktop_app.storage.engine import engine_of
from tests.helpers.engines import at_once, other_connections
from tests.helpers.llm_server import reply
from tests.helpers.schedules import enable_due_in, support_digest_folders
from tests.helpers.specs import write_spec

COMPUTERS = 3


def test_a_due_slot_runs_once_though_three_computers_tick(db, tmp_path, llm_server):
    data = tmp_path / "data"
    spec = enable_due_in(db, support_digest_folders(data, llm_server), llm_server.url)
    fired: list[Any] = []
    specs = {"support-digest": spec}

    def tick(computer: Any) -> None:
        run_due_schedules(computer, specs, data, TickHooks(on_fired=fired.append))

    assert at_once(other_connections(db, COMPUTERS), lambda c, _n: tick(c)) == []
    runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert runs == 1
    notes = [f.note for f in fired if not f.summaries]
    assert all("another computer" in n or "already under way" in n for n in notes), notes
    made = db.execute("SELECT count(*) FROM items").fetchone()[0]
    assert made == db.execute("SELECT count(*) FROM run_inputs WHERE status = 'done'").fetchone()[0]


def _approved_with_action(db: Any, tmp_path: Path, server: Any) -> tuple[Any, int]:
    path = write_spec(tmp_path / "wf", api_base=server.url)
    path.write_text(
        path.read_text() + '\n[action]\nkind = "file"\npath = "out/{{ item.id }}.txt"\n'
    )
    spec = load_spec(path)
    server.default = reply("Dear customer, thank you!")
    (item_id,) = Runner(db).run(spec, [from_text("Lovely cake!")]).item_ids
    decisions.approve(db, item_id, by="rosa")
    return spec, item_id


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # computers of a team
def test_an_approved_items_action_is_carried_out_once(db, tmp_path, llm_server, monkeypatch):
    from desktop_app.storage import run_rows

    spec, item_id = _approved_with_action(db, tmp_path, llm_server)
    computer = threading.local()  # each thread a computer of its own (its own host name)
    monkeypatch.setattr(run_rows, "hostname", lambda: getattr(computer, "name", "here"))
    monkeypatch.setattr(decisions, "UNDO_WINDOW_S", 0)
    time.sleep(1.1)  # decision times are compared to the second
    data = tmp_path / "data"
    acted: list[Any] = []

    def act(connection: Any) -> None:
        computer.name = f"computer-{threading.get_ident()}"
        act_on_approved(connection, {spec.name: spec}, data, TickHooks(on_acted=acted.extend))

    assert at_once(other_connections(db, COMPUTERS), lambda c, _n: act(c)) == []
    done = db.execute(
        "SELECT count(*) FROM events WHERE kind = 'action.done' AND item_id = ?", [item_id]
    ).fetchone()[0]
    assert done == 1
    assert (data / "out" / f"{item_id}.txt").read_text() == "Dear customer, thank you!"
    assert sorted(r.state for r in acted if r.state != "elsewhere")[:1] == ["done"]


def test_a_claim_is_taken_over_only_once_it_is_a_minute_old(db, tmp_path, llm_server):
    """A computer that died between claiming an action and doing it blocks the others for
    a minute at most (a team database; on one computer's file, its next start settles it)."""
    from desktop_app.services import actions

    spec, item_id = _approved_with_action(db, tmp_path, llm_server)
    just_now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with transaction(db):
        action_rows.record_intent(
            db, item_id=item_id, workflow=spec.name, kind="file", target="x", payload_hash="h",
            idempotency_key="k", claimed_by="another-computer:4242",
        )  # fmt: skip
        db.execute("UPDATE actions SET updated_at = ? WHERE item_id = ?", [just_now, item_id])
    data = tmp_path / "data"
    result = actions.perform(db, item_id, spec, data)
    if engine_of(db) == "postgresql":
        assert result.state == "elsewhere"  # another computer may be at it right now
        assert not (data / "out").exists()
        two_minutes_ago = (datetime.now(timezone.utc) - timedelta(minutes=2)).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        with transaction(db):
            db.execute(
                "UPDATE actions SET updated_at = ? WHERE item_id = ?", [two_minutes_ago, item_id]
            )
        result = actions.perform(db, item_id, spec, data)
    assert result.state == "done"
    assert (data / "out" / f"{item_id}.txt").exists()


def test_each_item_is_reminded_of_once(db, tmp_path, llm_server):
    from desktop_app.services.review_timeouts import sweep

    path = write_spec(tmp_path / "wf", api_base=llm_server.url)
    path.write_text(path.read_text() + '\n[review]\nremind_after = "1h"\n')
    spec = load_spec(path)
    llm_server.default = reply("Dear customer")
    Runner(db).run(spec, [from_text(f"Hello {n}") for n in range(4)])
    later = datetime.now(timezone.utc) + timedelta(hours=2)

    def remind(computer: Any) -> None:
        sweep(computer, {spec.name: spec}, now=later)

    assert at_once(other_connections(db, COMPUTERS), lambda c, _n: remind(c)) == []
    reminded = db.execute("SELECT item_id FROM events WHERE kind = 'item.reminded'").fetchall()
    assert sorted(r[0] for r in reminded) == [1, 2, 3, 4]


def test_a_slot_another_computer_recorded_is_not_run_again(db, tmp_path, llm_server):
    """The claim itself, without this process's own guard: two computers that both found
    the slot due; the second to record it is told another took it."""
    from desktop_app.services import scheduler

    data = tmp_path / "data"
    spec = enable_due_in(db, support_digest_folders(data, llm_server), llm_server.url)
    anna, tom, *others = other_connections(db, COMPUTERS)
    for other in others:
        other.conn.close()
    (found_by_anna,) = scheduler.due(anna, {spec.name: spec})
    (found_by_tom,) = scheduler.due(tom, {spec.name: spec})  # both see it due
    first = scheduler.run_due(anna, found_by_anna, data_dir=data)
    second = scheduler.run_due(tom, found_by_tom, data_dir=data)
    anna.conn.close()
    tom.conn.close()
    assert len(first.summaries) == 1
    assert second.summaries == [] and second.note == "another computer of the team took this slot"
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
