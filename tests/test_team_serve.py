"""Two computers, one team database (issue 26's "done when"): two ``signoff serve --once``
started at the same moment, each with its own data folder, process each new input once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import settings, switches
from desktop_app.services.profiler import Profiler
from desktop_app.storage import pg
from desktop_app.storage.db import transaction
from tests.conftest import REPO_ROOT
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import responder


def test_two_serves_at_once_take_each_input_once(postgres_url, tmp_path, llm_server):
    llm_server.default = responder(answer_for)
    computers = [tmp_path / "anna", tmp_path / "tom"]
    for home in computers:  # each its own folders: the same workflow, the same shared inbox
        shutil.copytree(REPO_ROOT / "workflows", home / "workflows")
        shutil.copytree(
            home / "workflows" / "support-digest" / "samples", home / "inbox" / "support"
        )
        settings.save(home, settings.Settings(api_base=llm_server.url, database=postgres_url))
    db = pg.connect(postgres_url)
    spec = load_spec(computers[0] / "workflows" / "support-digest" / "workflow.toml")
    Profiler(db).profile(spec, [spec.model.name], api_base=llm_server.url)
    switches.enable(db, spec)
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    with transaction(db):
        db.execute("UPDATE workflow_state SET enabled_at = ?", [an_hour_ago])
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
