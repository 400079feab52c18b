"""Two computers, one team database (issue 26's "done when"): two ``signoff serve --once``
started at the same moment, each with its own data folder, process each new input once."""

from __future__ import annotations

import os
import subprocess
import sys

from desktop_app.storage import pg
from tests.conftest import REPO_ROOT
from tests.helpers.schedules import enable_due_in, support_digest_folders


def test_two_serves_at_once_take_each_input_once(postgres_url, tmp_path, llm_server):
    computers = [tmp_path / "anna", tmp_path / "tom"]
    # each its own folders: the same workflow, the same shared inbox
    specs = [support_digest_folders(home, llm_server, database=postgres_url) for home in computers]
    db = pg.connect(postgres_url)
    enable_due_in(db, specs[0], llm_server.url)
    calls_before = len(llm_server.completions)
    serves = [
        subprocess.Popen(
            [sys.executable, "-m", "desktop_app", "serve", "--once"],
            cwd=REPO_ROOT,
            env=dict(os.environ, SIGNOFF_HOME=str(home), SIGNOFF_WORKFLOWS=str(home / "workflows")),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home in computers
    ]
    said = [proc.communicate(timeout=120)[1] for proc in serves]
    assert [proc.returncode for proc in serves] == [0, 0], said
    runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    answered = db.execute("SELECT count(*) FROM run_inputs WHERE status = 'done'").fetchone()[0]
    assert runs == 1, said
    assert db.execute("SELECT count(*) FROM items").fetchone()[0] == answered >= 3
    assert len(llm_server.completions) - calls_before == answered  # none asked twice
    assert (
        sum(
            "another computer of the team took this slot" in s or "already under way" in s
            for s in said
        )
        <= 1
    )
    from desktop_app.storage.eventlog import verify

    assert verify(db).ok
    db.conn.close()
