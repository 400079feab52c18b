"""The fault matrix: runs against a server that fails in each way a real one does.

For every run: it ends in a recorded outcome (an item, pending or escalated with its
reason, and its events); none hangs; no input is lost; back-off is bounded and honours
``Retry-After``; and ``log verify`` passes after the whole matrix.

``SIGNOFF_FAULT_RUNS`` sets the runs per fault: 5 in the test command, 50 in the heavier
suite ``.ci/run`` runs after it (``docs/reliability.md`` has its figures).
"""

from __future__ import annotations

import os
import time

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.llm.gateway import Gateway
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner, RunOptions
from desktop_app.storage import eventlog
from tests.helpers.llm_server import (
    closed_port,
    empty_choices,
    hang,
    invalid_json,
    reply,
    status,
    truncated,
)
from tests.helpers.specs import write_spec

RUNS = int(os.environ.get("SIGNOFF_FAULT_RUNS", "5"))
TIMEOUT_S = 0.4
RETRY_AFTER_S = 0.05
MAX_WAIT_S = 0.2
# (fault, what the server does, the item's status, words its reason holds)
FAULTS = {
    "429 with Retry-After": (lambda: status(429, retry_after=RETRY_AFTER_S), "escalated", "429"),
    "429 without Retry-After": (lambda: status(429), "escalated", "429"),
    "500": (lambda: status(500), "escalated", "HTTP 500"),
    "503": (lambda: status(503), "escalated", "overloaded"),
    "read timeout": (lambda: hang(TIMEOUT_S * 3), "escalated", "time limit"),
    "connection refused": (None, "escalated", "connection refused"),
    "a body that is not JSON": (invalid_json, "escalated", "not valid JSON"),
    "an empty answer": (empty_choices, "escalated", ""),
    "a truncated answer": (lambda: truncated(), "escalated", "cut off"),
    "an answer that breaks the contract": (
        lambda: reply("A refund for you!"),
        "escalated",
        "refund",
    ),
    "slower than timeout_s": (lambda: hang(TIMEOUT_S * 1.5), "escalated", "time limit"),
    "a fault, then an answer": ("script", "pending", ""),
}


@pytest.fixture(scope="module")
def matrix_db(tmp_path_factory):
    from desktop_app.storage.db import connect

    db = connect(tmp_path_factory.mktemp("matrix") / "signoff.db")
    yield db
    result = eventlog.verify(db)  # after every fault's runs
    db.conn.close()
    assert result.ok, result.message


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_run_ends_recorded_in_bounded_time(fault, matrix_db, llm_server, tmp_path):
    make, expected, words = FAULTS[fault]
    base = f"http://127.0.0.1:{closed_port()}/v1" if make is None else llm_server.url
    spec = load_spec(
        write_spec(tmp_path / "wf", f"m-{abs(hash(fault)) % 10**8}", api_base=base,
                   retries=2, timeout_s=TIMEOUT_S)
    )  # fmt: skip
    gateway = Gateway(backoff_base_s=0.01, max_wait_s=MAX_WAIT_S)
    for n in range(RUNS):
        if make == "script":
            llm_server.script(status(500), reply("Dear customer, thank you."))
        elif make is not None:
            llm_server.default = make()
        started = time.monotonic()
        summary = Runner(matrix_db, gateway).run(
            spec, [from_text(f"{fault}: message {n}")], RunOptions(concurrency=1)
        )
        took = time.monotonic() - started
        # none hangs: three attempts, each within its time limit, and bounded waits between
        assert took < 3 * (TIMEOUT_S * 3 + 1) + 2 * MAX_WAIT_S, (fault, took)
        assert summary.state == "finished" and len(summary.item_ids) == 1  # nothing lost
        (item_id,) = summary.item_ids
        row = matrix_db.execute(
            "SELECT status, reason FROM items WHERE id = ?", [item_id]
        ).fetchone()
        assert row[0] == expected, (fault, row)
        if expected == "escalated":
            assert row[1] and words.lower() in row[1].lower(), (fault, row[1])
        queued = matrix_db.execute(
            "SELECT count(*) FROM run_inputs WHERE run_id = ? AND status = 'queued'",
            [summary.run_id],
        ).fetchone()[0]
        assert queued == 0
        kinds = [
            k
            for (k,) in matrix_db.execute(
                "SELECT kind FROM events WHERE run_id = ? ORDER BY seq", [summary.run_id]
            )
        ]
        assert kinds[0] == "run.started" and kinds[-1] == "run.finished"
        assert "item.created" in kinds
        waits = [
            w
            for (w,) in matrix_db.execute(
                "SELECT json_extract(detail, '$.wait_s') FROM events"
                " WHERE run_id = ? AND kind = 'model.retry'",
                [summary.run_id],
            )
        ]
        assert all(w is None or w <= MAX_WAIT_S + 1e-9 for w in waits), waits  # bounded
        if fault == "429 with Retry-After":
            assert waits and all(w >= RETRY_AFTER_S for w in waits), waits  # honoured
