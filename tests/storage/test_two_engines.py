"""The storage layer on SQLite and on PostgreSQL alike (issue 26, "team"): the same calls,
the same rows, the same answers. Each test runs on both engines (``any_db``)."""

from __future__ import annotations

import threading

import pytest

from desktop_app.core.errors import NotFoundError, StorageError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.states import ItemState, RunState
from desktop_app.storage import (
    decision_rows,
    input_rows,
    item_pages,
    item_rows,
    model_calls,
    run_rows,
    spec_versions,
)
from desktop_app.storage.db import latest_schema, schema_version, transaction
from desktop_app.storage.engine import engine_of
from desktop_app.storage.pg import to_postgres
from tests.helpers.engines import at_once, other_connections


def _run(db, workflow="wf", n=3):
    with transaction(db):
        version = spec_versions.insert_version(db, workflow, "h1", "workflow.toml", "name = 'x'")
        docs = [
            InputDoc(key=f"k{i}", name=f"input {i}", text=f"text {i} 100% sure?") for i in range(n)
        ]
        run_id, inputs = run_rows.create_run(
            db, workflow=workflow, version_id=version, trigger="manual", model="m",
            api_base=None, inputs=docs, reads_source=True,
        )  # fmt: skip
    return version, run_id, inputs


def _item(db, run_id, run_input, status=ItemState.PENDING, output="Dear Anna, 50% off?"):
    with transaction(db):
        return item_rows.insert_item(
            db, workflow="wf", run_id=run_id, run_input_id=run_input.id, status=status,
            input_name=run_input.doc.name, input_text=run_input.doc.text, output=output,
            reason="a rule" if status is ItemState.ESCALATED else None, checks_json="[]",
        )  # fmt: skip


def test_a_new_database_has_the_latest_schema(any_db):
    assert schema_version(any_db) == latest_schema()
    for table in ("items", "runs", "run_inputs", "decisions", "events", "model_calls"):
        assert table in any_db.table_names()


def test_a_run_its_inputs_and_its_state(any_db):
    version, run_id, inputs = _run(any_db)
    assert spec_versions.latest_version(any_db, "wf") == (version, "h1", "name = 'x'")
    assert [i.doc.text for i in input_rows.queued_inputs(any_db, run_id)] == [
        f"text {i} 100% sure?" for i in range(3)
    ]
    run = run_rows.get_run(any_db, run_id)
    assert run["state"] is RunState.RUNNING and run["n_inputs"] == 3 and run["reads_source"] == 1
    assert run_rows.has_running_run(any_db, "wf")
    with transaction(any_db):
        input_rows.set_input_status(any_db, inputs[0].id, "done")
        input_rows.mark_processed(any_db, "wf", inputs[0].doc, run_id, None)
        input_rows.mark_processed(any_db, "wf", inputs[0].doc, run_id, None)  # once, ever
        assert input_rows.release_queued(any_db, run_id) == 2
        run_rows.set_run_state(any_db, run_id, RunState.CANCELLED)
    assert input_rows.is_processed(any_db, "wf", inputs[0].doc)
    assert not input_rows.is_processed(any_db, "wf", inputs[1].doc)
    assert run_rows.run_state(any_db, run_id) is RunState.CANCELLED
    assert run_rows.last_run(any_db, "wf")["state"] is RunState.CANCELLED
    assert input_rows.input_keys(any_db, [run_id]) == {"k0", "k1", "k2"}
    with pytest.raises(NotFoundError):
        run_rows.get_run(any_db, run_id + 100)


def test_items_pages_counts_and_decisions(any_db):
    _, run_id, inputs = _run(any_db, n=3)
    ids = [
        _item(any_db, run_id, inputs[0]),
        _item(any_db, run_id, inputs[1], ItemState.ESCALATED),
        _item(any_db, run_id, inputs[2]),
    ]
    item = item_rows.get_item(any_db, ids[0])
    assert item["status"] is ItemState.PENDING and item["output"] == "Dear Anna, 50% off?"
    assert item["original_output"] == item["output"] and item["checks"] == []
    open_ = ("pending", "escalated")
    assert item_pages.count_items(any_db, statuses=open_) == 3
    assert [i["id"] for i in item_rows.iter_items(any_db, statuses=open_)] == [
        ids[1],
        ids[2],
        ids[0],
    ]
    page, _ = item_pages.item_page(any_db, item_pages.ItemQuery(statuses=open_), None, 2)
    assert page == [ids[1], ids[2]]
    with transaction(any_db):
        item_rows.update_item(any_db, ids[0], status=ItemState.APPROVED, decided_by="anna")
        decision_rows.insert_decision(
            any_db, item_id=ids[0], decision="approve", was="pending", by="anna",
            at="2026-12-06T10:00:00.000Z",
        )  # fmt: skip
    assert decision_rows.last_decision(any_db, ids[0]) == (
        "approve", "2026-12-06T10:00:00.000Z", "pending",
    )  # fmt: skip
    assert item_rows.item_summaries(any_db, [ids[0]])[ids[0]]["decided_by"] == "anna"
    assert item_rows.public_item(item_rows.get_item(any_db, ids[0]))["status"] == "approved"
    assert item_rows.open_item_ids_since(any_db, "wf", "9999") == [ids[1], ids[2]]


def test_model_calls_and_what_they_cost(any_db):
    _, run_id, _ = _run(any_db)
    with transaction(any_db):
        for cost in (0.25, 0.5, None):
            model_calls.record_model_call(
                any_db, purpose="run", run_id=run_id, workflow="wf", model="m", attempt=1,
                ok=1, cost_usd=cost, tokens_in=10, tokens_out=5, latency_ms=3,
            )  # fmt: skip
    assert model_calls.month_cost(any_db, "wf") == pytest.approx(0.75)
    assert model_calls.cost_since(any_db, "2000-01-01", None) == pytest.approx(0.75)
    with transaction(any_db):
        run_rows.set_run_state(any_db, run_id, RunState.FINISHED)
    assert run_rows.get_run(any_db, run_id)["cost_usd"] == pytest.approx(0.75)


def test_a_failed_transaction_leaves_nothing(any_db):
    with pytest.raises(RuntimeError), transaction(any_db):
        spec_versions.insert_version(any_db, "wf", "h", "p", "t")
        raise RuntimeError("halfway")
    assert spec_versions.latest_version(any_db, "wf") is None


def test_renaming_a_workflow_moves_its_rows(any_db):
    _, run_id, inputs = _run(any_db)
    item_id = _item(any_db, run_id, inputs[0])
    with transaction(any_db):
        spec_versions.rename_workflow(any_db, "wf", "new-name")
    assert spec_versions.workflow_names(any_db) == ["new-name"]
    assert item_rows.get_item(any_db, item_id)["workflow"] == "new-name"


def test_the_postgres_words_for_the_shared_sql():
    assert to_postgres("SELECT a FROM t WHERE b = ? AND c LIKE '%x?' ESCAPE '\\'") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE '%%x?' ESCAPE '\\'", None,
    )  # fmt: skip
    assert to_postgres("INSERT OR IGNORE INTO processed_inputs (a) VALUES (?)") == (
        "INSERT INTO processed_inputs (a) VALUES (%s) ON CONFLICT DO NOTHING", None,
    )  # fmt: skip
    assert to_postgres("INSERT INTO items (a) VALUES (?)") == (
        "INSERT INTO items (a) VALUES (%s) RETURNING id", "id",
    )  # fmt: skip
    assert to_postgres("BEGIN IMMEDIATE") == ("BEGIN", None)


def test_two_migrators_at_once_make_the_schema_once(postgres_url):
    """Two computers starting a new Signoff on an empty team database at the same moment."""
    from desktop_app.storage import pg

    done: list[object] = []

    def start() -> None:
        try:
            db = pg.connect(postgres_url)
            done.append(schema_version(db))
            db.conn.close()
        except Exception as exc:
            done.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert done == [latest_schema(), latest_schema()]


def test_a_newer_team_database_is_refused(postgres_url):
    from desktop_app.storage import pg

    db = pg.connect(postgres_url)
    with transaction(db):
        db.execute("INSERT INTO migrations (id, name, applied_at) VALUES (999, 'future', 'x')")
    db.conn.close()
    with pytest.raises(StorageError, match="schema 999, newer than this Signoff"):
        pg.connect(postgres_url)


def test_the_log_stays_append_only_on_postgres_too(postgres_url):
    import psycopg

    from desktop_app.storage import pg

    db = pg.connect(postgres_url)
    with transaction(db):
        db.execute(
            "INSERT INTO events (ts, kind, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
            ["2026-12-06T10:00:00.000Z", "run.started", "{}", "0" * 64, "1" * 64],
        )
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        db.execute("UPDATE events SET kind = 'x'")
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        db.execute("DELETE FROM events")
    db.conn.close()


def test_the_log_chains_verifies_and_names_a_changed_event(any_db):
    from desktop_app.storage import eventlog

    for n in range(5):
        eventlog.append(any_db, "run.started", workflow="wf", detail={"n": n, "by": "anna"})
    eventlog.append_many(
        any_db,
        [
            ("model.call", "wf", None, None, {"model": "openai/gpt-4o", "n": n}, None)
            for n in range(3)
        ],
    )
    result = eventlog.verify(any_db)
    assert result.ok and result.checked == 8, result.message
    assert eventlog.recorded_head(any_db) == eventlog.head(any_db)
    # a row changed behind Signoff's back (the triggers dropped first, as an attacker would)
    if engine_of(any_db) == "postgresql":
        any_db.execute("ALTER TABLE events DISABLE TRIGGER USER")
    else:
        any_db.execute("DROP TRIGGER events_no_update")
    any_db.execute("UPDATE events SET detail = ? WHERE seq = 3", ['{"n":99}'])
    result = eventlog.verify(any_db)
    assert not result.ok and result.first_bad_seq == 3
    assert "event 3 (run.started" in result.message and "was changed" in result.message


def test_appends_from_two_connections_at_once_keep_one_chain(any_db):
    """Two computers (two connections) appending at once: one chain, no seq twice."""
    from desktop_app.storage import eventlog

    def append(db, n: int) -> None:
        for i in range(40):
            eventlog.append(db, "item.decided", detail={"by": f"p{n}", "n": i})

    assert at_once(other_connections(any_db, 2), append) == []
    result = eventlog.verify(any_db)
    assert result.ok and result.checked == 80, result.message


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("anna", ["a-1", "a-3"]),
        ("ANNA", ["a-1", "a-3"]),
        ("50%", ["a-2"]),
        ("-anna dear", ["a-2"]),
        ("status:escalated", ["a-2"]),
        ("by:tom", []),
        ("model:gpt", ["a-1", "a-2", "a-3"]),
        ("after:2000-01-01 dear", ["a-1", "a-2", "a-3"]),
        ("before:2000-01-01", []),
    ],
)  # fmt: skip
def test_the_search_language_finds_the_same_items_on_both(any_db, search, found):
    _, run_id, inputs = _run(any_db, n=3)
    outputs = ["Dear Anna, thanks", "Dear Tom, 50% off", "Dear anna, sorry"]
    for n, (run_input, output) in enumerate(zip(inputs, outputs)):
        status = ItemState.ESCALATED if n == 1 else ItemState.PENDING
        with transaction(any_db):
            item_rows.insert_item(
                any_db, workflow="wf", run_id=run_id, run_input_id=run_input.id, status=status,
                input_name=f"a-{n + 1}", input_text="text", output=output, model="openai/gpt-4o",
                reason="a rule" if n == 1 else None, checks_json="[]",
            )  # fmt: skip
    if engine_of(any_db) == "sqlite":  # SQLite's own index answers (PostgreSQL: pg_trgm's)
        from desktop_app.storage import fulltext

        assert fulltext.build(any_db).ready
    statuses = ("pending", "escalated")
    names = sorted(
        i["input_name"] for i in item_rows.iter_items(any_db, statuses=statuses, search=search)
    )
    assert names == found


def test_the_log_search_on_both(any_db):
    from desktop_app.storage import eventlog

    eventlog.append(
        any_db, "item.decided", workflow="wf", detail={"by": "anna", "note": "Cold coffee"}
    )
    eventlog.append(
        any_db, "model.call", workflow="wf", detail={"model": "openai/gpt-4o", "response": "coffee"}
    )
    query = eventlog.EventQuery(text="coffee")
    assert eventlog.event_seqs_page(any_db, query, None, 10) == [1]  # not the response
    assert eventlog.count_events(any_db, eventlog.EventQuery(text="by:anna")) == 1
    assert eventlog.count_events(any_db, eventlog.EventQuery(text="model:gpt")) == 1


def test_db_info_says_where_the_database_is_and_never_a_password(any_db, tmp_path):
    from desktop_app.storage.db_info import info

    facts = info(any_db, tmp_path / "signoff.db")
    assert facts["schema"] == latest_schema() and facts["items"] == 0
    if engine_of(any_db) == "postgresql":
        assert facts["engine"].startswith("PostgreSQL 1") and facts["host"] == "127.0.0.1"
        assert facts["user"] == "signoff" and facts["tls"] is False
        assert "password" not in " ".join(map(str, facts.values())).lower()
    else:
        assert facts["engine"].startswith("SQLite 3.") and facts["journal"] == "wal"


def test_an_older_team_database_takes_the_newer_migrations(postgres_url):
    """A team database one schema behind (made by an older Signoff): the newer migrations,
    translated, in one transaction; the data it holds stays."""
    from desktop_app.storage import pg

    db = pg.connect(postgres_url)
    with transaction(db):
        db.execute("ALTER TABLE run_inputs DROP COLUMN identity")  # the latest migration's
        db.execute("DELETE FROM migrations WHERE id = ?", [latest_schema()])
        spec_versions.insert_version(db, "wf", "h", "p", "kept")
    db.conn.close()
    db = pg.connect(postgres_url)
    assert schema_version(db) == latest_schema()
    columns = [r[0] for r in db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'run_inputs'"
    )]  # fmt: skip
    assert "identity" in columns
    assert spec_versions.latest_version(db, "wf").spec_text == "kept"
    db.conn.close()


def test_appends_of_every_kind_in_one_transaction_leave_the_right_head(any_db):
    """One append, many, one more, in one transaction: the recorded head is the last."""
    from desktop_app.storage import eventlog

    with transaction(any_db):
        eventlog.append(any_db, "run.started", detail={"n": 1})
        eventlog.append_many(
            any_db, [("model.call", None, None, None, {"n": n}, None) for n in range(3)]
        )
        eventlog.append(any_db, "run.finished", detail={"n": 5})
    assert eventlog.recorded_head(any_db) == eventlog.head(any_db)
    assert eventlog.head(any_db).seq == 5 and eventlog.verify(any_db).ok


def test_an_error_inside_a_transaction_is_raised_and_nothing_is_kept(any_db):
    """On PostgreSQL a transaction's statements are pipelined (no wait for each answer): a
    failed statement is still raised inside the transaction or at its end, everything in
    it is rolled back, and the connection goes on working."""
    _version, run_id, inputs = _run(any_db, n=1)
    with pytest.raises(Exception) as raised, transaction(any_db):
        _item(any_db, run_id, inputs[0])
        any_db.execute("INSERT INTO items (id, workflow) VALUES (?, ?)", [None, "no"])
        any_db.execute("UPDATE runs SET n_inputs = ? WHERE id = ?", [7, run_id])
    assert "null" in str(raised.value).lower() or "NOT NULL" in str(raised.value)
    assert any_db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
    assert any_db.execute("SELECT n_inputs FROM runs WHERE id = ?", [run_id]).fetchone()[0] == 1
    assert not any_db.conn.in_transaction
    item_id = _item(any_db, run_id, inputs[0])  # the connection goes on
    assert item_rows.get_item(any_db, item_id)["status"] == ItemState.PENDING


def test_what_a_transaction_reads_sees_what_it_wrote(any_db):
    """Reads inside a pipelined transaction wait for the writes before them."""
    _version, run_id, inputs = _run(any_db, n=2)
    with transaction(any_db):
        first = _item(any_db, run_id, inputs[0])
        second = _item(any_db, run_id, inputs[1])
        changed = any_db.execute(
            "UPDATE items SET reason = ? WHERE run_id = ?", ["seen", run_id]
        ).rowcount
        reasons = any_db.execute(
            "SELECT reason FROM items WHERE id IN (?, ?) ORDER BY id", [first, second]
        ).fetchall()
    assert second > first and changed == 2 and [r[0] for r in reasons] == ["seen", "seen"]


TRICKY_VALUES = [
    "plain",
    "O'Brien's \"quote\"",
    "back\\slash and \\' both",
    "日本語 – ünïcödé ✓",
    "",
    "a\x00NUL",
    "%s and %% and ?",
    0,
    7,
    -42,
    2**62,
    1.5,
    -1e-05,
    0.1 + 0.2,
    True,
    False,
    None,
]


def test_values_written_into_a_transactions_statements_come_back_the_same(any_db):
    """A team database's transaction writes its values into the SQL text (one message a
    batch); every kind of value the storage layer sends reads back as it went in (a NUL
    as U+FFFD, which PostgreSQL's text cannot hold)."""
    any_db.execute(
        "CREATE TABLE scratch (n INTEGER PRIMARY KEY, v TEXT, i BIGINT, f DOUBLE PRECISION, b BOOLEAN)"
    )
    with transaction(any_db):
        for n, value in enumerate(TRICKY_VALUES):
            column = {str: "v", int: "i", float: "f", bool: "b"}.get(type(value), "v")
            any_db.execute(f"INSERT INTO scratch (n, {column}) VALUES (?, ?)", [n, value])
        read_back = any_db.execute("SELECT n, v, i, f, b FROM scratch ORDER BY n").fetchall()
    for n, value in enumerate(TRICKY_VALUES):
        row = read_back[n]
        got = {str: row[1], int: row[2], float: row[3], bool: row[4]}.get(type(value), row[1])
        if isinstance(value, str) and "\x00" in value and engine_of(any_db) == "postgresql":
            value = value.replace("\x00", "\ufffd")
        if isinstance(value, bool):
            got = bool(got)
        assert got == value, (n, value, got)


def test_the_team_databases_own_binding_writes_what_psycopg_writes(postgres_url):
    """``pg._literal`` writes each value as psycopg's ``ClientCursor.mogrify`` does (it is
    several times faster); a value of another type is left to psycopg."""
    import datetime

    from desktop_app.storage import pg

    db = pg.connect(postgres_url)
    try:
        binder = db.conn._binder
        for value in TRICKY_VALUES:  # a NUL is written as pg._storable stores it
            assert pg._literal(value) == binder.mogrify("%s", pg._storable([value])), value
        for other in (float("nan"), float("inf"), b"\x00\xff", datetime.date(2026, 1, 2)):
            assert pg._literal(other) is None
            assert db.conn._bound("SELECT %s", [other]) == binder.mogrify("SELECT %s", [other])
        assert db.conn._bound("SELECT %s, '%%'", ["x"]) == "SELECT 'x', '%'"
    finally:
        db.conn.close()


def test_a_script_of_several_statements_inside_a_transaction_answers_with_its_last(any_db):
    """A migration's script (several statements in one text) is sent alone inside a
    transaction; the statements queued around it keep their own answers."""
    _version, run_id, inputs = _run(any_db, n=1)
    with transaction(any_db):
        item_id = _item(any_db, run_id, inputs[0])
        script = (
            any_db.execute(
                "CREATE TABLE scratch2 (n INTEGER); INSERT INTO scratch2 (n) VALUES (1);"
                " SELECT count(*) FROM items"
            )
            if engine_of(any_db) == "postgresql"
            else None
        )
        after = any_db.execute("SELECT id FROM items WHERE id = ?", [item_id]).fetchone()
    if script is not None:
        assert script.fetchone()[0] == 1
    assert after[0] == item_id
    assert item_rows.get_item(any_db, item_id)["run_id"] == run_id
