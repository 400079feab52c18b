"""Pending items that wait too long are reminded once, then expire and can no longer be acted on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from desktop_app.core.errors import StateError
from desktop_app.core.spec_loader import load_spec
from desktop_app.services import decisions
from desktop_app.services.inputs import from_text
from desktop_app.services.review_timeouts import sweep
from desktop_app.services.runner import Runner
from desktop_app.storage import item_rows
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


def test_remind_once_then_expire(tmp_path, db, llm_server):
    llm_server.default = reply("Dear customer, thank you!")
    path = write_spec(tmp_path / "wf", api_base=llm_server.url)
    path.write_text(path.read_text() + '\n[review]\nremind_after = "4h"\nexpire_after = "3d"\n')
    spec = load_spec(path)
    first, second = (
        Runner(db).run(spec, [from_text("a", name="a"), from_text("b", name="b")]).item_ids
    )
    decisions.approve(db, second)
    created = datetime.fromisoformat(
        item_rows.get_item(db, first)["created_at"].replace("Z", "+00:00")
    )
    specs = {spec.name: spec}

    assert sweep(db, specs, created + timedelta(hours=3)).reminded == {}
    assert sweep(db, specs, created + timedelta(hours=5)).reminded == {"reply": [first]}
    assert sweep(db, specs, created + timedelta(hours=6)).reminded == {}  # once only
    swept = sweep(db, specs, created + timedelta(days=3, minutes=1))
    assert swept.expired == {"reply": [first]}  # the approved one is left alone
    assert item_rows.get_item(db, first)["status"] == "expired"
    assert item_rows.get_item(db, second)["status"] == "approved"
    with pytest.raises(StateError, match="expired"):
        decisions.approve(db, first)
    kinds = [
        k for (k,) in db.execute("SELECT kind FROM events WHERE item_id = ? ORDER BY seq", [first])
    ]
    assert kinds[-2:] == ["item.reminded", "item.expired"]


def test_a_spec_without_review_never_expires_anything(tmp_path, db, llm_server):
    llm_server.default = reply("Dear customer, thank you!")
    spec = load_spec(write_spec(tmp_path / "wf", api_base=llm_server.url))
    (item_id,) = Runner(db).run(spec, [from_text("a", name="a")]).item_ids
    far = datetime.now().astimezone() + timedelta(days=400)
    swept = sweep(db, {spec.name: spec}, far)
    assert swept.expired == {} and swept.reminded == {}
    assert item_rows.get_item(db, item_id)["status"] == "pending"
