"""The window's one background mechanism (gui/tasks.Job, DbWorker) and its one error path
(gui/errors): results on the UI thread, failures as one line, bugs logged with their
traceback, uncaught exceptions and unhandled failures shown, nothing left running."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.core.errors import KnownError
from desktop_app.gui import errors, tasks
from desktop_app.gui.tasks import Job


def _count_items(db, report):
    report(1, 2)
    return db.execute("SELECT count(*) FROM items").fetchone()[0]


@pytest.fixture
def error_path(tmp_path):
    """The error path as the app installs it, with the status line captured."""
    said: list[str] = []
    uninstall = errors.install(tmp_path / "data", status=said.append)
    yield said, tmp_path / "data" / errors.LOG_NAME
    uninstall()
    for box in QApplication.topLevelWidgets():
        if box.objectName() == "errorDialog":
            box.close()


def dialogs():
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_the_result_arrives_with_the_job_no_longer_running(qtbot, db_path):
    job = Job(db_path, plain=True)
    seen, progress = [], []
    job.progress.connect(lambda done, total: progress.append((done, total)))
    job.done.connect(lambda result: seen.append((result, job.running)))
    with qtbot.waitSignal(job.done, timeout=5000):
        job.start(_count_items)
    job.wait(5)
    assert seen == [(0, False)]  # so a job asked for in this slot can start at once
    assert progress == [(1, 2)]


def test_a_database_that_cannot_be_opened_is_a_failure_in_one_line(qtbot, tmp_path):
    (tmp_path / "signoff.db").mkdir()  # a folder where the database should be
    job = Job(tmp_path / "signoff.db")
    with qtbot.waitSignal(job.failed, timeout=5000) as failed:
        job.start(_count_items)
    job.wait(5)
    assert "cannot open the database" in failed.args[0] and "\n" not in failed.args[0]
    assert not job.running and job not in tasks._in_flight


def test_a_bug_in_the_job_is_one_line_and_its_traceback_is_in_the_log(qtbot, db_path, error_path):
    said, log_file = error_path
    job = Job(db_path, what="export")
    with qtbot.waitSignal(job.failed, timeout=5000) as failed:
        job.start(lambda db, report: 1 / 0)
    job.wait(5)
    (line,) = failed.args
    assert line.startswith("the export stopped unexpectedly: ZeroDivisionError: division by zero")
    assert str(log_file) in line
    logged = log_file.read_text()
    assert "Traceback" in logged and "1 / 0" in logged
    assert said == [] and dialogs() == []  # the view that listens says it, nothing else


def test_a_known_failure_no_one_listens_for_goes_to_the_status_line(qtbot, db_path, error_path):
    said, _ = error_path

    def refuse(db, report):
        raise KnownError("the model server refused the connection")

    job = Job(db_path)
    job.start(refuse)
    qtbot.waitUntil(lambda: said == ["the model server refused the connection"], timeout=5000)
    assert dialogs() == []


def test_a_bug_no_one_listens_for_is_a_dialog(qtbot, db_path, error_path):
    _, log_file = error_path
    job = Job(db_path)
    job.start(lambda db, report: {}["missing"])
    qtbot.waitUntil(lambda: len(dialogs()) == 1, timeout=5000)
    (box,) = dialogs()
    assert "KeyError" in box.text() and str(log_file) in box.text()
    assert log_file.read_text().count("Traceback") == 1  # logged once, not per layer
    job.wait(5)  # its thread ends just after it reported


def test_an_uncaught_exception_takes_the_same_path(qtbot, error_path):
    said, log_file = error_path
    try:
        raise RuntimeError("a slot went wrong")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: len(dialogs()) == 1, timeout=5000)
    assert "a slot went wrong" in log_file.read_text()
    worker = threading.Thread(target=lambda: (_ for _ in ()).throw(KnownError("no key")))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: said == ["no key"], timeout=5000)


def test_closing_cancels_runs_and_waits_for_every_job(qtbot, db_path):
    started = threading.Event()

    def long_run(db, report):
        started.set()
        run.cancelled.wait(10)
        return "cancelled" if run.cancelled.is_set() else "ran out"

    def export(db, report):
        started.wait(10)
        return "written"

    run, writer = Job(db_path, what="run"), Job(db_path, what="export")
    run.cancel_on_close = True
    results = []
    run.done.connect(results.append)
    writer.done.connect(results.append)
    run.start(long_run)
    writer.start(export)
    started.wait(10)
    tasks.close_all(timeout=10)
    assert not run.cancelled.is_set() or run not in tasks._in_flight
    assert tasks._in_flight == set() and writer.cancelled.is_set() is False
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert sorted(results) == ["cancelled", "written"]


def test_a_known_error_of_several_lines_is_said_in_one():
    from desktop_app.core.errors import SpecError, SpecProblem

    problems = [SpecProblem("a/workflow.toml", 3, "purpose is empty"),
                SpecProblem("a/workflow.toml", 9, "unknown key 'modle'")]  # fmt: skip
    line = errors.one_line(SpecError(problems))
    assert "\n" not in line and "purpose is empty" in line and "unknown key 'modle'" in line
