"""A workflow whose schedule is due: profiled on the test server and enabled a while ago."""

from __future__ import annotations

import shutil
from pathlib import Path

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import settings, switches
from desktop_app.services.profiler import Profiler
from desktop_app.storage.db import connect
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import LLMServer, responder


def enable_due(db_path: Path, spec_path: Path, api_base: str, *, since: str = "-1 hour") -> None:
    """Profile the spec on ``api_base``, enable its schedule and date the enabling ``since``
    ago (an SQLite modifier such as '-2 hours'), so that slots are due at the first tick."""
    spec = load_spec(spec_path)
    db = connect(db_path)
    try:
        Profiler(db).profile(spec, [spec.model.name], api_base=api_base)
        switches.enable(db, spec)
        db.execute(
            "UPDATE workflow_state SET enabled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
            [since],
        )
    finally:
        db.conn.close()


def due_support_digest(home: Path, workflows: Path, llm_server: LLMServer) -> None:
    """The bundled support-digest, due, its samples in the data folder's inbox/support, every
    run answered by the test server."""
    llm_server.default = responder(answer_for)
    shutil.copytree(workflows / "support-digest" / "samples", home / "inbox" / "support")
    settings.save(home, settings.Settings(api_base=llm_server.url))
    enable_due(home / "signoff.db", workflows / "support-digest" / "workflow.toml", llm_server.url)
