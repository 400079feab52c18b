"""The one tick (services/tick), without Qt: what is due now, done once, told through hooks
— a due schedule runs its new inputs, an approved item's action runs once its undo minute
has passed, and a second tick right after finds nothing to do."""

from __future__ import annotations

import shutil
import time

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import decisions
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner
from desktop_app.services.tick import TickHooks, tick
from desktop_app.storage.db import connect
from tests.conftest import REPO_ROOT
from tests.helpers.llm_server import reply
from tests.helpers.schedules import due_support_digest
from tests.helpers.specs import write_spec


def test_a_due_schedule_runs_once_per_slot(tmp_path, llm_server):
    home, workflows = tmp_path / "home", tmp_path / "workflows"
    shutil.copytree(REPO_ROOT / "workflows", workflows)
    home.mkdir()
    due_support_digest(home, workflows, llm_server)
    fired, items, failed = [], [], []
    hooks = TickHooks(
        on_fired=fired.append, on_item=lambda i, s: items.append(i), on_failed=failed.append
    )
    db = connect(home / "signoff.db")
    try:
        tick(db, workflows, home, hooks)
        assert failed == [] and [f.workflow for f in fired] == ["support-digest"]
        (summary,) = fired[0].summaries
        assert summary.state == "finished" and items == summary.item_ids and items
        tick(db, workflows, home, hooks)  # the same slot: nothing is due again
        assert len(fired) == 1 and items == summary.item_ids
    finally:
        db.conn.close()


def test_an_approved_items_action_runs_once_its_undo_minute_has_passed(
    tmp_path, llm_server, monkeypatch
):
    llm_server.default = reply("Dear customer, thank you!")
    data, workflows = tmp_path / "data", tmp_path / "wf"
    path = write_spec(workflows, api_base=llm_server.url)
    path.write_text(
        path.read_text() + '\n[action]\nkind = "file"\npath = "out/{{ item.id }}.txt"\n'
    )
    db = connect(data / "signoff.db")
    try:
        (item_id,) = Runner(db).run(load_spec(path), [from_text("Lovely cake!")]).item_ids
        decisions.approve(db, item_id, by="rosa")
        acted: list = []
        hooks = TickHooks(on_acted=acted.extend)
        tick(db, workflows, data, hooks)
        assert acted == []  # within the undo minute: not yet
        monkeypatch.setattr(decisions, "UNDO_WINDOW_S", 0)
        time.sleep(1.1)  # decision times are compared to the second
        tick(db, workflows, data, hooks)
        tick(db, workflows, data, hooks)
        assert [(r.item_id, r.state) for r in acted] == [(item_id, "done")]
        assert (data / "out" / f"{item_id}.txt").read_text() == "Dear customer, thank you!"
    finally:
        db.conn.close()
