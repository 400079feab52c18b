"""Deciding on a shared inbox (issue 26): on SQLite and on PostgreSQL alike, several people
deciding one item at once make one decision; the others are told, in one line, who decided
it and when; nothing is half-written."""

from __future__ import annotations

from typing import Any

from desktop_app.core.errors import StateError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.states import ItemState
from desktop_app.services import decisions
from desktop_app.storage import eventlog, item_rows, run_rows, spec_versions
from desktop_app.storage.db import transaction
from tests.helpers.engines import at_once, other_connections

PEOPLE = 4


def _items(db: Any, n: int) -> list[int]:
    with transaction(db):
        version = spec_versions.insert_version(db, "wf", "h", "p", "t")
        docs = [InputDoc(key=f"k{i}", name=f"n{i}", text="t") for i in range(n)]
        run_id, inputs = run_rows.create_run(
            db, workflow="wf", version_id=version, trigger="manual", model="m", api_base=None,
            inputs=docs,
        )  # fmt: skip
        return [
            item_rows.insert_item(
                db,
                workflow="wf",
                run_id=run_id,
                run_input_id=i.id,
                status=ItemState.PENDING,
                input_name=i.doc.name,
                input_text="t",
                output="Dear customer",
                checks_json="[]",
            )
            for i in inputs
        ]


def test_people_deciding_the_same_items_at_once_make_one_decision_each(any_db):
    ids = _items(any_db, 25)
    won: list[tuple[str, int]] = []
    told: list[str] = []

    def decide(db: Any, n: int) -> None:
        who = f"person{n}"
        for item_id in ids:
            try:
                if who.endswith(("0", "2")):
                    decisions.approve(db, item_id, by=who)
                else:
                    decisions.reject(db, item_id, reason="not like this", by=who)
                won.append((who, item_id))
            except StateError as exc:
                told.append(str(exc))

    assert at_once(other_connections(any_db, PEOPLE), decide) == []
    assert sorted(i for _, i in won) == ids  # each item decided once, by one of them
    assert len(told) == len(ids) * (PEOPLE - 1)
    assert all("(by person" in line and " UTC)" in line for line in told), told[:3]
    decided = any_db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    assert decided == len(ids)
    winners = dict((i, w) for w, i in won)
    for item_id in ids:
        assert item_rows.get_item(any_db, item_id)["decided_by"] == winners[item_id]
    assert eventlog.verify(any_db).ok
