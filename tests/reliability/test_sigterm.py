"""SIGTERM (or Ctrl+C) during `signoff run NAME --input rows.csv`: a clean stop, and the
same command again resumes the run without paying for any row twice (issue 23, defect 6).

Before: the process died silently (143), and the rerun resumed the run and then ran every
row again — 80 items for 40 rows, at twice the cost.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO_ROOT
from tests.helpers.llm_server import reply, responder
from tests.helpers.specs import write_spec

ROWS = 40


def count(db_path, sql: str) -> int:
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # not made yet


def completions(server) -> int:
    return len([r for r in server.requests if r.path.endswith("/chat/completions")])


def slow_reply(_body):
    time.sleep(0.15)
    return reply("Category: office supplies")


# Ctrl+C takes the same path as SIGTERM; the heavier suite (.ci/run) tries it too.
SIGNALS = [signal.SIGTERM] + ([signal.SIGINT] if os.environ.get("SIGNOFF_FAULT_RUNS") else [])


# "group": the signal goes to the command's whole process group, its model worker too, as a
# terminal's Ctrl+C and systemd's stop send it: the worker still answers the calls under way.
# (The reliability suite's; tests/llm/test_process_gateway signals the worker itself.)
@pytest.mark.parametrize("to", ["process", pytest.param("group", marks=pytest.mark.heavy)])
@pytest.mark.parametrize("sig", SIGNALS)
def test_a_stopped_run_resumes_and_no_row_is_paid_twice(
    tmp_path, llm_server, _isolated_environment, sig, to
):
    folder = tmp_path / "wf"
    write_spec(folder, "rows", api_base=llm_server.url, retries=0, timeout_s=30)
    rows = tmp_path / "rows.csv"
    rows.write_text(
        "date,payee\n" + "".join(f"2026-12-{1 + n % 28:02d},Shop {n}\n" for n in range(ROWS)),
        encoding="utf-8",
    )
    llm_server.default = responder(slow_reply)
    env = dict(os.environ, SIGNOFF_WORKFLOWS=str(folder), SIGNOFF_HOME=str(_isolated_environment))
    command = [sys.executable, "-m", "desktop_app", "run", "rows", "--input", str(rows)]
    proc = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip
    db_path = _isolated_environment / "signoff.db"
    deadline = time.monotonic() + 60
    while count(db_path, "SELECT count(*) FROM items") < 5 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    if to == "group":
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, (out, err)
    name = signal.Signals(sig).name
    assert f"signoff: {name}: stopping" in err and "is interrupted" in err, err
    assert "the same command resumes it" in err
    made_first = count(db_path, "SELECT count(*) FROM items")
    assert 5 <= made_first < ROWS
    # every call that was under way finished and was kept: items = calls made
    assert made_first == completions(llm_server)
    assert count(db_path, "SELECT count(*) FROM runs WHERE state = 'interrupted'") == 1

    llm_server.default = reply("Category: office supplies")
    again = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "resuming interrupted run" in again.stdout
    assert count(db_path, "SELECT count(*) FROM items") == ROWS
    assert completions(llm_server) == ROWS  # no row was sent twice
    assert count(db_path, "SELECT count(DISTINCT run_input_id) FROM items") == ROWS
    assert count(db_path, "SELECT count(*) FROM runs") == 1  # the rerun only resumed it
    assert count(db_path, "SELECT count(*) FROM runs WHERE state = 'finished'") == 1
