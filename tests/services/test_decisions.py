"""Approve, edit then approve, reject: the item, the decision row and the log agree."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.errors import KnownError, StateError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.services import decisions
from desktop_app.storage import item_rows, run_rows
from desktop_app.storage.db import connect, transaction


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "signoff.db")
    yield database
    database.conn.close()


def make_item(
    db, output="Dear Anna,\nThank you for your review.\nBest, Café Rosa\n", status="pending"
):
    with transaction(db):
        run_id, inputs = run_rows.create_run(
            db,
            workflow="reply",
            version_id=None,
            trigger="manual",
            model="m",
            api_base=None,
            inputs=[InputDoc(key="k1", name="review-1", text="Lovely cake")],
        )
        return item_rows.insert_item(
            db,
            workflow="reply",
            run_id=run_id,
            run_input_id=inputs[0].id,
            status=status,
            input_name="review-1",
            input_text="Lovely cake",
            output=output,
            model="m",
        )


def events(db, kind):
    return [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = ? ORDER BY seq", [kind])
    ]


def test_approve_records_who_and_when(db):
    item_id = make_item(db)
    item = decisions.approve(db, item_id, by="maria")
    assert item["status"] == "approved" and item["decided_by"] == "maria" and item["decided_at"]
    assert item["diff"] is None and item["output"] == item["original_output"]
    assert events(db, "item.approved") == [{"by": "maria", "edited": False, "was": "pending"}]
    assert db.execute("SELECT decision, by FROM decisions").fetchall() == [("approve", "maria")]


def test_approving_a_decided_item_is_an_error(db):
    item_id = make_item(db)
    decisions.approve(db, item_id, by="maria")
    with pytest.raises(StateError, match=f"item {item_id} was already approved"):
        decisions.approve(db, item_id, by="maria")
    with pytest.raises(StateError, match="cannot be rejected"):
        decisions.reject(db, item_id, reason="late", by="maria")
    assert len(events(db, "item.approved")) == 1


def test_edit_keeps_original_and_diff(db):
    item_id = make_item(db)
    edited = "Dear Anna,\nThank you so much for your kind review!\nBest, Café Rosa\n"
    item = decisions.approve(db, item_id, by="maria", edited_text=edited)
    assert item["output"] == edited
    assert item["original_output"].startswith("Dear Anna,\nThank you for your review.")
    assert "-Thank you for your review." in item["diff"]
    assert "+Thank you so much for your kind review!" in item["diff"]
    edit_event = events(db, "item.edited")[0]
    assert edit_event["diff"] == item["diff"] and edit_event["by"] == "maria"
    assert events(db, "item.approved")[0]["edited"] is True
    assert db.execute("SELECT decision FROM decisions").fetchone() == ("edit",)


def test_edit_identical_to_output_is_a_plain_approval(db):
    item_id = make_item(db, output="Same text here")
    item = decisions.approve(db, item_id, by="maria", edited_text="Same text here")
    assert item["diff"] is None
    assert events(db, "item.edited") == []


def test_reject_needs_a_reason(db):
    item_id = make_item(db, status="escalated")
    with pytest.raises(KnownError, match="needs a reason"):
        decisions.reject(db, item_id, reason="   ", by="maria")
    assert item_rows.get_item(db, item_id)["status"] == "escalated"
    item = decisions.reject(db, item_id, reason="Too formal for our café", by="maria")
    assert item["status"] == "rejected" and item["reject_reason"] == "Too formal for our café"
    assert events(db, "item.rejected") == [
        {"by": "maria", "reason": "Too formal for our café", "was": "escalated"}
    ]
    assert item_rows.public_item(item)["reason"] == "Too formal for our café"


def test_unknown_item(db):
    with pytest.raises(KnownError, match="no item 99"):
        decisions.approve(db, 99, by="maria")


def test_an_item_without_output_needs_your_text(db):
    item_id = make_item(db, output="", status="escalated")
    with pytest.raises(KnownError, match="no output to approve"):
        decisions.approve(db, item_id, by="maria")
    item = decisions.approve(
        db, item_id, by="maria", edited_text="Thanks for your message, we will call you."
    )
    assert item["status"] == "approved" and item["output"].startswith("Thanks")


def test_undo_puts_the_item_back_as_it_was(db):
    item_id = make_item(db, status="escalated")
    edited = "Dear Anna, thank you ever so much!\n"
    decisions.approve(db, item_id, by="maria", edited_text=edited)
    item = decisions.undo(db, item_id, by="maria")
    assert item["status"] == "escalated" and item["output"] == item["original_output"]
    assert item["diff"] is None and item["decided_at"] is None
    assert (
        events(db, "item.undone")[0]["undid"] == "edit"
        and events(db, "item.undone")[0]["back_to"] == "escalated"
    )
    assert len(events(db, "item.edited")) == 1  # the decision itself stays in the log
    with pytest.raises(KnownError, match="no decision to undo"):
        decisions.undo(db, item_id, by="maria")
    decisions.reject(db, item_id, reason="Not our tone", by="maria")
    assert decisions.undo(db, item_id)["status"] == "escalated"


def test_undo_only_shortly_after(db):
    item_id = make_item(db)
    decisions.approve(db, item_id, by="maria")
    with pytest.raises(KnownError, match="can be undone for 0 seconds"):
        decisions.undo(db, item_id, within_s=0)
    assert item_rows.get_item(db, item_id)["status"] == "approved"


def test_undo_refused_after_an_action(db):
    from desktop_app.storage import eventlog

    item_id = make_item(db)
    decisions.approve(db, item_id, by="maria")
    eventlog.append(db, "action.done", workflow="reply", item_id=item_id, detail={"kind": "file"})
    with pytest.raises(KnownError, match="already been acted on"):
        decisions.undo(db, item_id)


def test_a_batch_decision_that_fails_halfway_leaves_nothing_decided(db):
    first, second, third = make_item(db), make_item(db), make_item(db)
    decisions.reject(db, third, reason="Wrong customer", by="maria")  # decided meanwhile
    with pytest.raises(StateError, match=f"item {third}"):
        decisions.decide_many(db, "approve", [first, second, third], by="maria")
    assert [item_rows.get_item(db, i)["status"] for i in (first, second)] == ["pending", "pending"]
    assert events(db, "item.approved") == []
    assert (
        db.execute("SELECT count(*) FROM decisions WHERE decision = 'approve'").fetchone()[0] == 0
    )


def test_a_batch_decision_decides_every_item(db):
    ids = [make_item(db) for _ in range(3)]
    assert decisions.decide_many(db, "reject", ids, by="maria", text="Too formal") == ids
    assert {item_rows.get_item(db, i)["status"] for i in ids} == {"rejected"}
    assert decisions.decide_many(db, "undo", ids, by="maria") == ids
    assert {item_rows.get_item(db, i)["status"] for i in ids} == {"pending"}
