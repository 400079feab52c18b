"""The search box's query over items: each form finds exactly its items, through the
full-text index and through LIKE (the path while the index is being built) alike."""

from __future__ import annotations

import pytest

from desktop_app.core.inputdoc import InputDoc
from desktop_app.storage import fulltext, item_pages, item_rows, run_rows
from desktop_app.storage.db import connect, transaction

ALL = ("pending", "escalated", "approved", "rejected", "expired")


@pytest.fixture(params=["index", "like"])
def db(tmp_path, request):
    database = connect(tmp_path / "signoff.db")
    rows = [
        # workflow, input name, input, output, status, model, decided_by, created_at
        ("review-reply", "anna", "Lovely cake, thank you", "Dear Anna, thanks!", "pending",
         "openai/gpt-4o-mini", None, "2026-11-02T10:00:00.000000Z"),
        ("review-reply", "tom", "Cold coffee and slow service", "Dear Tom, sorry.", "escalated",
         "openai/gpt-4o", None, "2026-11-10T10:00:00.000000Z"),
        ("support-digest", "mail-1", "Refund for order 100% late", "Summary: refund asked",
         "approved", "ollama/llama3.1", "maria", "2026-11-20T10:00:00.000000Z"),
        ("support-digest", "mail-2", "Zürich Bestellung kaputt", "Summary: broken order",
         "rejected", "ollama/llama3.1", "tom", "2026-11-25T10:00:00.000000Z"),
        ("support-digest", "mail-3", "注文した商品が届きません。請求書も", "Summary: not delivered",
         "expired", "ollama/llama3.1", None, "2026-11-26T10:00:00.000000Z"),
    ]  # fmt: skip
    with transaction(database):
        for wf, name, text, output, status, model, by, at in rows:
            run_id, (run_input,) = run_rows.create_run(
                database, workflow=wf, version_id=None, trigger="manual", model=model,
                api_base=None, inputs=[InputDoc(key=name, name=name, text=text)],
            )  # fmt: skip
            item_id = item_rows.insert_item(
                database, workflow=wf, run_id=run_id, run_input_id=run_input.id, status=status,
                input_name=name, input_text=text, output=output, model=model,
            )  # fmt: skip
            database.execute(
                "UPDATE items SET decided_by = ?, created_at = ? WHERE id = ?", [by, at, item_id]
            )
    if request.param == "index":  # else every row is newer than the index: found by LIKE
        fulltext.build(database)
    assert fulltext.progress(database).ready == (request.param == "index")
    yield database
    database.conn.close()


def found(db, search, statuses=ALL):
    return [i["input_name"] for i in item_rows.iter_items(db, statuses=statuses, search=search)]


@pytest.mark.parametrize(
    ("search", "names"),
    [
        ("cake", ["anna"]),
        ("CAKE thank", ["anna"]),  # every word, any case
        ("cake coffee", []),
        ('"slow service"', ["tom"]),
        ('"service slow"', []),
        ("summary -refund", ["mail-3", "mail-2"]),
        ('summary -"broken order"', ["mail-3", "mail-1"]),
        ("100%", ["mail-1"]),  # % is a character here, not a wildcard
        ("_", []),
        ("Zürich", ["mail-2"]),
        ("workflow:support-digest", ["mail-3", "mail-2", "mail-1"]),
        ("model:gpt-4o", ["tom", "anna"]),
        ("by:maria", ["mail-1"]),
        ("after:2026-11-10 before:2026-11-25", ["tom", "mail-1"]),  # escalated first
        ("status:rejected", ["mail-2"]),
        ("status:approved status:rejected summary", ["mail-2", "mail-1"]),
        ("after:someday", []),  # not a date: searched as text, found nowhere
        ("請求書", ["mail-3"]),  # a trigram: from the index
        ("注文", ["mail-3"]),  # two characters, shorter than a trigram: by LIKE
        ("Zü", ["mail-2"]),
        ("summary -Zü", ["mail-3", "mail-1"]),
        ("th ca", ["anna"]),  # only short words: LIKE over every row
        ("Lovely ca", ["anna"]),  # a long word from the index, then LIKE over what it found
        ("order -ca", ["mail-2", "mail-1"]),
        ('"order 100% late"', ["mail-1"]),
        ('"', ["tom", "mail-3", "mail-2", "mail-1", "anna"]),  # a lone quote: nothing to find
        ('say "hello', []),
        ("-cake", ["tom", "mail-3", "mail-2", "mail-1"]),  # only an exclusion
        ("-Dear -Summary", []),
        ("Bestellung", ["mail-2"]),
        ("BESTELLUNG kaputt", ["mail-2"]),
        ("Bestellungen", []),
        ('"Cold coffee and slow"', ["tom"]),
        ("summary -Bestellung", ["mail-3", "mail-1"]),
    ],
)
def test_each_query_form_finds_exactly_its_items(db, search, names):
    assert found(db, search) == names


def test_a_status_filter_replaces_the_views_statuses(db):
    assert found(db, "status:approved", statuses=("pending", "escalated")) == ["mail-1"]
    assert item_pages.count_items(db, statuses=("pending",), search="status:approved") == 1


def test_escalated_first_then_newest_first(db):
    assert found(db, "Dear") == ["tom", "anna"]
    assert found(db, "") == ["tom", "mail-3", "mail-2", "mail-1", "anna"]


def test_a_row_written_by_plain_sql_is_found(db):
    db.execute("UPDATE items SET output = 'Grazie mille' WHERE input_name = 'anna'")
    assert found(db, "grazie") == ["anna"]


def test_a_row_inserted_or_deleted_by_plain_sql_is_found_or_gone(db):
    db.execute(
        "INSERT INTO items (workflow, run_id, status, input_name, input_text, output,"
        " original_output, created_at) VALUES ('x', 1, 'pending', 'typed', 'Spätzle', '', '',"
        " '2026-11-27T10:00:00.000Z')"
    )
    assert found(db, "spätzle") == ["typed"]
    db.execute("DELETE FROM items WHERE input_name = 'typed'")
    assert found(db, "spätzle") == []


def test_the_index_folds_case_in_every_alphabet_like_only_in_ascii(db):
    on_index = fulltext.progress(db).ready
    assert found(db, "ZÜRICH") == (["mail-2"] if on_index else [])
    assert found(db, "zürich") == ["mail-2"]
