"""Searching in the window: off the UI thread, the newest query wins, matches highlighted,
and an older database's index built in the background while the window stays usable."""

from __future__ import annotations

import threading

import pytest

from desktop_app.gui.tasks import LatestRead
from desktop_app.storage import fulltext
from desktop_app.storage.db import connect
from tests.helpers.old_database import make_old_database

SLOW = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


def test_a_newer_search_interrupts_the_older_and_only_its_result_arrives(qtbot, seeded):
    reader = LatestRead(seeded)
    results: list[object] = []
    reader.done.connect(results.append)
    threads: list[str] = []

    def slow(db):  # would run for ever: only an interrupt ends it
        threads.append(threading.current_thread().name)
        return db.execute(SLOW).fetchone()[0]

    def fast(db, text):
        threads.append(threading.current_thread().name)
        return text

    reader.request(slow)
    qtbot.waitUntil(lambda: len(threads) == 1, timeout=5000)
    reader.request(fast, "first")
    reader.request(fast, "newest")
    qtbot.waitUntil(lambda: results == ["newest"], timeout=5000)
    qtbot.wait(100)
    assert results == ["newest"] and not reader.busy
    assert set(threads) == {"signoff-search"}  # never the UI thread
    reader.cancel()
    reader.wait(5)


def test_typing_a_search_shows_the_newest_query_and_marks_its_matches(qtbot, window):
    view = window.inbox
    for text in ("t", "th", "tha", "than", "thank"):  # typed fast: only the last counts
        view.search.setText(text)
    qtbot.waitUntil(lambda: not view.searching and view.model.query.search == "thank", timeout=5000)
    assert view.model.rowCount() == 2  # "thank you" and "thanks"
    marks = view.editor.extraSelections()
    assert marks and all(m.cursor.selectedText().lower() == "thank" for m in marks)
    assert view.editor.toPlainText().startswith("Dear")  # the text itself is unchanged
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=5000)
    assert view.editor.extraSelections() == []


def test_the_activity_log_takes_the_same_search_language(qtbot, window):
    window.show_tab("activity")
    view = window.activity
    view.search.setText("created workflow:meeting-actions")
    qtbot.waitUntil(lambda: view.model.query.text.startswith("created"), timeout=5000)
    # item.created events carry an empty detail here: "created" is nowhere in the data
    assert view.model.rowCount() == 0
    view.search.setText("workflow:meeting-actions")
    qtbot.waitUntil(lambda: view.model.query.text == "workflow:meeting-actions", timeout=5000)
    kinds = {view.model.data(view.model.index(r, 2)) for r in range(view.model.rowCount())}
    assert kinds and kinds <= {"item.created", "spec.changed"}
    view.search.setText('"Call the provider" -nothing')
    qtbot.waitUntil(lambda: view.model.query.text.startswith('"Call'), timeout=5000)


@pytest.fixture
def old_history(db_path):
    """A database an older Signoff left: 2,000 items, their events, no search index."""
    make_old_database(db_path, 2000)
    return db_path


def test_the_window_builds_an_old_databases_index_and_stays_usable(
    qtbot, old_history, workflows_dir, openai_key, monkeypatch
):
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker

    real_step = fulltext.build_step
    ui_thread = threading.current_thread()
    build_threads: set[str] = set()
    release = threading.Event()  # a large history: the build goes on until the test is done

    def slow_step(db, rows=1000):
        build_threads.add(threading.current_thread().name)
        if fulltext.progress(db).done:  # after its first batch, until the test lets it go
            release.wait(20)
        return real_step(db, min(rows, 200))

    monkeypatch.setattr(fulltext, "build_step", slow_step)
    monkeypatch.setattr(fulltext, "LONG_TAIL", 1000)  # 4,000 rows stand for a long history
    db = connect(old_history)
    worker = DbWorker(old_history)
    win = MainWindow(db, worker, db_path=old_history, workflows_dir=workflows_dir)
    qtbot.addWidget(win)
    win.show()
    builder = win.index_builder
    qtbot.waitUntil(lambda: builder.job.running, timeout=5000)
    qtbot.waitUntil(lambda: "Building the search index" in builder.label.text(), timeout=5000)
    assert builder.label.isVisible()

    # While it builds, a search answers (by LIKE) on the reader thread, and the UI thread
    # is free to show it.
    win.inbox.status_filter.setCurrentIndex(win.inbox.status_filter.count() - 1)  # All
    win.inbox.search.setText("number1234")
    qtbot.waitUntil(lambda: win.inbox.model.query.search == "number1234", timeout=5000)
    assert builder.job.running  # held after its first batch: the search answered meanwhile
    assert [win.inbox.model.item_id(r) for r in range(win.inbox.model.rowCount())] == [1234]
    assert not fulltext.progress(db).ready
    release.set()

    # the label is hidden by a signal after the job's thread ends: wait for it, not the flag
    qtbot.waitUntil(
        lambda: not builder.job.running and not builder.label.isVisible(), timeout=60000
    )
    assert fulltext.progress(db).ready
    assert ui_thread.name not in build_threads and build_threads == {"signoff-search index build"}
    win.inbox.search.setText("number123")
    qtbot.waitUntil(lambda: win.inbox.model.query.search == "number123", timeout=5000)
    assert win.inbox.model.rowCount() == 11  # from the index now: 123, 1230-1239

    win.close()
    qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
    worker.close()
    db.conn.close()


def test_closing_the_window_stops_the_build_between_two_batches(
    qtbot, old_history, workflows_dir, openai_key, monkeypatch
):
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker

    real_step = fulltext.build_step
    monkeypatch.setattr(
        fulltext,
        "build_step",
        lambda db, rows=1000: (threading.Event().wait(0.03), real_step(db, 100))[1],
    )
    db = connect(old_history)
    worker = DbWorker(old_history)
    win = MainWindow(db, worker, db_path=old_history, workflows_dir=workflows_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: fulltext.progress(db).done > 0, timeout=10000)
    win.close()  # cancels the build between two batches and waits for it
    assert not win.index_builder.job.running
    stopped = fulltext.progress(db)
    assert 0 < stopped.done < stopped.total
    worker.close()
    db.conn.close()


def test_rows_written_later_are_indexed_quietly_soon_after(
    qtbot, seeded, workflows_dir, openai_key, monkeypatch
):
    from desktop_app.gui.index_builder import IndexBuilder
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker

    monkeypatch.setattr(IndexBuilder, "CATCH_UP_MS", 50)
    db = connect(seeded)
    worker = DbWorker(seeded)
    win = MainWindow(db, worker, db_path=seeded, workflows_dir=workflows_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: fulltext.progress(db).ready, timeout=10000)  # at the start
    before = fulltext.indexed_upto(db, fulltext.EVENTS)
    win.inbox.approve()  # a decision writes events: the index's tail …
    qtbot.waitUntil(lambda: fulltext.indexed_upto(db, fulltext.EVENTS) > before, timeout=10000)
    assert fulltext.progress(db).ready  # … indexed soon after
    assert not win.index_builder.label.isVisible()  # a short tail is indexed without a word
    win.close()
    qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
    worker.close()
    db.conn.close()


def test_ctrl_f_goes_to_the_search_box_with_its_text_selected(qtbot, window):
    from PySide6.QtCore import Qt

    view = window.inbox
    view.search.setText("thank")
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.selectedText() == "thank"
    qtbot.waitUntil(lambda: not view.searching, timeout=5000)


def test_a_search_that_cannot_mean_anything_says_so_under_the_box(qtbot, window):
    """An unknown status, a date that is not one, a workflow nobody has: one line under the
    search box naming what is valid, and no search made (issue 25); status:all is every
    status, and an empty result says what was searched."""
    view = window.inbox
    problem = view.search_problem
    view.search.setText("status:bogus thank")
    qtbot.waitUntil(lambda: problem.isVisible(), timeout=5000)
    assert problem.text() == (
        "no status 'bogus': use one of pending, escalated, approved, rejected, expired, all"
    )
    assert view.model.query.search == ""  # not searched: the list is what it was
    view.search.setText("after:2026-02-30")
    qtbot.waitUntil(lambda: "is not a date" in problem.text(), timeout=5000)
    view.search.setText("workflow:nobody")
    qtbot.waitUntil(lambda: "no workflow named 'nobody'" in problem.text(), timeout=5000)
    assert "review-reply" in problem.text()
    view.search.setText("status:all thank")
    qtbot.waitUntil(lambda: view.model.query.search == "status:all thank", timeout=5000)
    qtbot.waitUntil(lambda: not view.searching, timeout=5000)
    assert not problem.isVisible() and view.model.rowCount() == 2
    view.search.setText("status:rejected thank")
    qtbot.waitUntil(lambda: view.model.query.search == "status:rejected thank", timeout=5000)
    qtbot.waitUntil(lambda: not view.searching and view.empty_label.isVisible(), timeout=5000)
    assert view.empty_label.text() == "No items rejected matching 'status:rejected thank'."
    window.show_tab("activity")
    log = window.activity
    log.search.setText("status:bogus")
    qtbot.waitUntil(lambda: log.search_problem.isVisible(), timeout=5000)
    assert log.search_problem.text().startswith("no status 'bogus'")
