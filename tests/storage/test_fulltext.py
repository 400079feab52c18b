"""The full-text indexes: built in batches on an old database, kept in step by triggers
(also while the build runs), resumed after a stop, and never corrupted."""

from __future__ import annotations

import pytest

from desktop_app.core.search_query import parse
from desktop_app.storage import eventlog, fulltext, item_pages, search
from desktop_app.storage.db import connect, schema_version, transaction
from desktop_app.storage.migrations import MIGRATIONS
from desktop_app.storage.search import event_where, item_where
from tests.helpers.old_database import add_items, make_old_database

ALL = ("pending", "escalated", "approved", "rejected", "expired")


@pytest.fixture
def old_db(tmp_path):
    """A database an older Signoff left (schema 4, no index), with 300 items and their
    events, opened by this one: the indexes exist but are empty."""
    path = tmp_path / "signoff.db"
    make_old_database(path, 300)
    database = connect(path)
    assert schema_version(database) == len(MIGRATIONS)
    yield database
    database.conn.close()


def _ids(db, text: str, *, use_index: bool) -> list[int]:
    where, args = item_where(db, parse(text), use_index=use_index).sql()
    return [r[0] for r in db.execute(f"SELECT id FROM items WHERE {where} ORDER BY id", args)]


def _seqs(db, text: str, *, use_index: bool) -> list[int]:
    where, args = event_where(db, parse(text), use_index=use_index).sql()
    return [r[0] for r in db.execute(f"SELECT seq FROM events WHERE {where} ORDER BY seq", args)]


QUERIES = (
    "apple",
    "birne cherry",
    '"Dattel élan"',
    "fig -apple",
    "number17",
    "日本語",
    "out fi",
    "in-3",
    "number12",
    '"apple Birne"',
    "number299 -Birne",
)


def _same_as_like(db) -> None:
    for text in QUERIES:
        assert _ids(db, text, use_index=True) == _ids(db, text, use_index=False), text
        assert _seqs(db, text, use_index=True) == _seqs(db, text, use_index=False), text
    assert _index_as_built_from_scratch(db)


def _index_as_built_from_scratch(db) -> bool:
    """Every trigram of every row where it should be: both indexes hold exactly what an
    index built in one go from the tables' rows it covers holds (FTS5's own integrity-check cannot tell
    an external-content index that missed a change, in this SQLite)."""
    db.execute("INSERT INTO items_fts (items_fts) VALUES ('integrity-check')")
    db.execute("INSERT INTO events_fts (events_fts) VALUES ('integrity-check')")
    same = True
    for index in fulltext.INDEXES:
        names = ", ".join(index.columns)
        content = "content='items', content_rowid='id'" if index is fulltext.ITEMS else "content=''"
        db.execute(f"CREATE VIRTUAL TABLE fresh USING fts5({names}, {content}, tokenize='trigram')")
        db.execute(
            f"INSERT INTO fresh (rowid, {names}) SELECT {index.key}, {', '.join(index.values)}"
            f" FROM {index.table} WHERE {index.key} <= ?",
            [fulltext.indexed_upto(db, index)],
        )
        db.execute(f"CREATE VIRTUAL TABLE temp.built USING fts5vocab(main, {index.fts}, instance)")
        db.execute("CREATE VIRTUAL TABLE temp.fresh_vocab USING fts5vocab(main, fresh, instance)")
        ordered = " ORDER BY term, doc, col, offset"
        built = db.execute("SELECT * FROM temp.built" + ordered).fetchall()
        fresh = db.execute("SELECT * FROM temp.fresh_vocab" + ordered).fetchall()
        same = same and bool(built) == bool(fresh) and built == fresh
        for table in ("temp.built", "temp.fresh_vocab", "fresh"):
            db.execute(f"DROP TABLE {table}")
    return same


def test_the_check_of_the_index_sees_a_change_it_missed(tmp_path):
    database = connect(tmp_path / "signoff.db")
    add_items(database, 1, 5)
    fulltext.build(database)
    assert _index_as_built_from_scratch(database)
    database.execute("DROP TRIGGER items_fts_update")
    database.execute("UPDATE items SET output = 'quince' WHERE id = 2")
    assert not _index_as_built_from_scratch(database)


def test_new_rows_are_found_at_once_then_from_the_index(tmp_path):
    database = connect(tmp_path / "signoff.db")
    add_items(database, 1, 20)
    assert fulltext.progress(database).behind == 40  # 20 items, 20 events: not indexed yet
    assert _ids(database, "number17", use_index=True) == [17]  # by LIKE meanwhile
    assert fulltext.build(database).ready
    where = search.item_where(database, parse("number17"))
    assert where.match is not None and where.upto == 20
    assert _ids(database, "number17", use_index=True) == [17]
    add_items(database, 21, 5)  # a tail again: the index for 1-20, LIKE for 21-25
    assert _ids(database, "number2", use_index=True) == [2, 20, 21, 22, 23, 24, 25]
    _same_as_like(database)


def test_an_old_database_searches_by_like_until_its_index_is_built(old_db):
    progress = fulltext.progress(old_db)
    assert (progress.done, progress.total, progress.ready) == (0, 600, False)
    assert fulltext.indexed_upto(old_db, fulltext.ITEMS) == 0
    assert (
        item_pages.count_items(old_db, statuses=ALL, search="number17") == 11
    )  # by LIKE: 17, 170-179
    seen = []
    final = fulltext.build(old_db, rows=50, on_progress=seen.append)
    assert final.ready and final.percent == 100
    steps = [p.done for p in seen]
    assert len(steps) >= 2 and steps == sorted(steps) and steps[-1] == 600
    assert fulltext.indexed_upto(old_db, fulltext.ITEMS) == 300
    assert fulltext.indexed_upto(old_db, fulltext.EVENTS) == 300
    _same_as_like(old_db)


def test_writes_while_the_build_runs_are_found_in_every_part_of_the_table(old_db):
    for _ in range(3):  # items 1-150 built; 151-300 not yet
        fulltext.build_step(old_db, rows=50)
    with transaction(old_db):
        # built, not yet built, and new rows: changed, deleted and added by plain SQL
        for item_id in (10, 200):
            old_db.execute("UPDATE items SET output = 'quince' WHERE id = ?", [item_id])
        for item_id in (20, 210):
            old_db.execute("DELETE FROM items WHERE id = ?", [item_id])
    add_items(old_db, 301, 5)
    old_db.execute("UPDATE items SET reject_reason = 'quince too' WHERE id = 303")
    old_db.execute("DELETE FROM items WHERE id = 304")
    fulltext.build(old_db, rows=50)
    assert _ids(old_db, "quince", use_index=True) == [10, 200, 303]
    assert _ids(old_db, "number20", use_index=True) == [*range(200, 210)]  # 20 deleted
    assert _ids(old_db, "number21", use_index=True) == [21, *range(211, 220)]  # 210 deleted
    _same_as_like(old_db)


def test_a_build_stopped_halfway_resumes_where_it_stopped(old_db, tmp_path):
    calls = []
    fulltext.build(old_db, rows=100, cancelled=lambda: len(calls) >= 1, on_progress=calls.append)
    stopped_at = fulltext.progress(old_db).done
    assert 0 < stopped_at < 600
    old_db.conn.close()  # the window closed in the middle of the build
    again = connect(tmp_path / "signoff.db")
    assert fulltext.progress(again).done == stopped_at
    assert fulltext.build(again, rows=1000).ready
    _same_as_like(again)
    again.conn.close()


def test_a_failed_batch_changes_nothing(old_db, monkeypatch):
    """A batch and its progress are one transaction: a crash in it leaves both as they were."""
    fulltext.build_step(old_db, rows=100)
    real_execute = old_db.execute

    def failing_execute(sql, params=None):
        if sql.startswith("UPDATE fulltext_state"):
            raise RuntimeError("power cut")
        return real_execute(sql, params)

    monkeypatch.setattr(old_db, "execute", failing_execute)
    with pytest.raises(RuntimeError):
        fulltext.build_step(old_db, rows=100)
    monkeypatch.undo()
    assert fulltext.progress(old_db).done == 100
    fulltext.build(old_db)
    _same_as_like(old_db)


def test_the_log_index_leaves_out_the_prompt_and_the_answer(tmp_path):
    database = connect(tmp_path / "signoff.db")
    eventlog.append(
        database,
        "model.call",
        detail={
            "messages": [{"role": "system", "content": "be terse"}],
            "response": "kumquat",
            "model": "local/tiny-model",
        },
    )
    fulltext.build(database)
    assert _seqs(database, "tiny-model", use_index=True) == [1]
    assert _seqs(database, "kumquat", use_index=True) == []  # the item's output: the inbox's
    assert _seqs(database, "terse", use_index=True) == []
    assert _seqs(database, "terse", use_index=False) == []  # LIKE searches the same text
    _same_as_like(database)


def test_the_log_is_unchanged_by_its_index(old_db):
    fulltext.build(old_db)
    assert eventlog.verify(old_db).ok


@pytest.mark.parametrize("text", [*QUERIES, "apple number1", "-apple", "fig status:pending"])
@pytest.mark.parametrize("use_index", [True, False])
def test_pages_newest_first_hold_every_match_once(tmp_path, monkeypatch, text, use_index):
    """Pages read from the tail (by LIKE) and then the index's side, in chunks (made small
    here), kept by the other conditions: together exactly the matches, newest first."""
    monkeypatch.setattr(search, "FIRST_CHUNK", 3)
    monkeypatch.setattr(search, "LARGEST_CHUNK", 10)
    database = connect(tmp_path / "signoff.db")
    add_items(database, 1, 120)
    database.execute("UPDATE items SET status = 'approved' WHERE id % 3 = 0")
    fulltext.build_step(database, rows=60)  # items 1-60 in the index, 61-120 its tail
    query = parse(text)
    where = search.item_where(database, query, ("pending",), use_index=use_index)
    sql, args = where.sql()
    expected = [r[0] for r in database.execute(f"SELECT id FROM items WHERE {sql}", args)]
    pages: list[int] = []
    below = None
    while True:
        page = search.keys_desc(database, where, below=below, limit=7)
        pages += page
        if len(page) < 7:
            break
        below = page[-1]
    assert pages == sorted(expected, reverse=True) and len(set(pages)) == len(pages)
