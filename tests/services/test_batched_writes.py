"""What finishes together is written together: the calls' results come in groups, and a
run writes a group in one transaction, telling the window about its items once they are
there to be read."""

from __future__ import annotations

import sqlite3
import threading

from desktop_app.core.spec_loader import load_spec
from desktop_app.services.call_pool import map_concurrently
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner, RunOptions
from desktop_app.storage.engine import engine_of
from desktop_app.storage.eventlog import verify
from tests.helpers.llm_server import responder
from tests.helpers.specs import write_spec


def test_results_come_grouped_each_once_in_the_order_drawn():
    first_taken = threading.Event()
    groups = []
    for group in map_concurrently(range(12), lambda n: n * 10, limit=2):
        groups.append(group)
        if not first_taken.is_set():  # a slow writer: meanwhile the others finish
            first_taken.set()
            threading.Event().wait(0.3)
    results = [pair for group in groups for pair in group]
    assert sorted(results) == [(n, n * 10) for n in range(12)]
    assert all(group for group in groups)
    assert max(len(group) for group in groups) > 1  # what finished meanwhile came together
    for group in groups:
        assert [job for job, _ in group] == sorted(job for job, _ in group)


def _after(seconds_by_job: dict[int, float], held: threading.Event | None = None):
    """A call that takes its job's seconds; a job without any waits for ``held``."""

    def call(job: int) -> int:
        if job in seconds_by_job:
            threading.Event().wait(seconds_by_job[job])
        elif held is not None:
            held.wait(10)
        return job

    return call


def test_calls_finishing_close_together_are_gathered_into_one_group():
    # four calls finishing 0.1 s apart: given 2 s, the first waits for the other three
    call = _after({0: 0.0, 1: 0.1, 2: 0.2, 3: 0.3})
    gathered = list(map_concurrently(range(4), call, limit=4, gather=2.0))
    assert gathered == [[(0, 0), (1, 1), (2, 2), (3, 3)]]


def test_without_gathering_the_first_to_finish_comes_alone():
    held = threading.Event()  # the others finish only once the first group is in
    answers = map_concurrently(range(4), _after({0: 0.0}, held), limit=4, gather=0.0)
    assert next(answers) == [(0, 0)]
    held.set()
    assert sorted(pair for group in answers for pair in group) == [(1, 1), (2, 2), (3, 3)]


def test_a_slow_call_does_not_hold_back_one_that_finished():
    held = threading.Event()  # the slow call finishes only once the first group is in
    answers = map_concurrently(range(2), _after({0: 0.0}, held), limit=2, gather=0.05)
    assert next(answers) == [(0, 0)]  # after the 0.05 s given, not held back by the other
    held.set()
    assert list(answers) == [[(1, 1)]]


def test_a_run_tells_of_each_item_once_another_connection_can_read_it(
    tmp_path, db, llm_server, request
):
    spec = load_spec(write_spec(tmp_path / "wf", api_base=llm_server.url))
    llm_server.default = responder(lambda body: "Reply to: " + body["messages"][-1]["content"])
    if engine_of(db) == "postgresql":  # another computer's connection to the team database
        from desktop_app.storage import pg

        reader = pg.connect(request.getfixturevalue("postgres_url")).conn
    else:
        reader = sqlite3.connect(tmp_path / "data" / "signoff.db")
    visible = []

    def on_item(item_id: int, status: str) -> None:
        row = reader.execute("SELECT status FROM items WHERE id = ?", [item_id]).fetchone()
        visible.append(row is not None and row[0] == status)

    docs = [from_text(f"Message number {n:03d}") for n in range(24)]
    summary = Runner(db, on_item=on_item).run(spec, docs, RunOptions(concurrency=6))
    assert summary.pending == 24 and visible == [True] * 24
    assert verify(db).ok
    reader.close()
