"""A workflow whose schedule is due: profiled on the test server and enabled a while ago."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from desktop_app.core.spec_loader import load_spec
from desktop_app.core.spec_model import Spec
from desktop_app.services import settings, switches
from desktop_app.services.profiler import Profiler
from desktop_app.storage.db import connect, transaction
from tests.conftest import REPO_ROOT
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import LLMServer, responder


def enable_due_in(db: Any, spec_path: Path, api_base: str, *, hours_ago: float = 1.0) -> Spec:
    """Profile the spec on ``api_base``, enable its schedule in ``db`` (either engine) and
    date the enabling ``hours_ago``, so that slots are due at the first tick; the spec."""
    spec = load_spec(spec_path)
    Profiler(db).profile(spec, [spec.model.name], api_base=api_base)
    switches.enable(db, spec)
    then = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    with transaction(db):
        db.execute(
            "UPDATE workflow_state SET enabled_at = ?", [then.strftime("%Y-%m-%dT%H:%M:%S.000Z")]
        )
    return spec


def enable_due(db_path: Path, spec_path: Path, api_base: str, *, hours_ago: float = 1.0) -> None:
    """As ``enable_due_in``, on the SQLite file at ``db_path``."""
    db = connect(db_path)
    try:
        enable_due_in(db, spec_path, api_base, hours_ago=hours_ago)
    finally:
        db.conn.close()


def support_digest_folders(
    home: Path, llm_server: LLMServer, *, workflows: Path | None = None, **chosen: Any
) -> Path:
    """A data folder ``home`` whose inbox/support holds the support-digest's samples, runs
    answered by the test server; ``workflows``: the workflows folder (default: a copy of the
    bundled ones in ``home``); ``chosen``: more Settings. Returns the spec file."""
    llm_server.default = responder(answer_for)
    if workflows is None:
        workflows = home / "workflows"
        shutil.copytree(REPO_ROOT / "workflows", workflows)
    shutil.copytree(workflows / "support-digest" / "samples", home / "inbox" / "support")
    settings.save(home, settings.Settings(api_base=llm_server.url, **chosen))
    return workflows / "support-digest" / "workflow.toml"


def due_support_digest(home: Path, workflows: Path, llm_server: LLMServer) -> None:
    """The bundled support-digest in ``workflows``, due, its samples in the data folder's
    inbox/support, every run answered by the test server."""
    spec_path = support_digest_folders(home, llm_server, workflows=workflows)
    enable_due(home / "signoff.db", spec_path, llm_server.url)
