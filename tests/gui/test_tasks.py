"""Background jobs (gui/tasks.ThreadJob): results back on the UI thread, failures as one line."""

from __future__ import annotations

from desktop_app.gui.tasks import ThreadJob


def _count_items(db, report):
    report(1)
    return db.execute("SELECT count(*) FROM items").fetchone()[0]


def test_the_result_arrives_with_the_job_no_longer_running(qtbot, db_path):
    job = ThreadJob(db_path, plain=True)
    seen = []
    job.done.connect(lambda result: seen.append((result, job.running)))
    with qtbot.waitSignal(job.done, timeout=5000):
        job.start(_count_items)
    job.wait(5)
    assert seen == [(0, False)]  # so a job asked for in this slot can start at once


def test_a_database_that_cannot_be_opened_is_a_failure_in_one_line(qtbot, tmp_path):
    (tmp_path / "signoff.db").mkdir()  # a folder where the database should be
    job = ThreadJob(tmp_path / "signoff.db")
    with qtbot.waitSignal(job.failed, timeout=5000) as failed:
        job.start(_count_items)
    job.wait(5)
    assert "cannot open the database" in failed.args[0] and "\n" not in failed.args[0]
    assert not job.running


def test_a_bug_in_the_job_is_reported_not_lost(qtbot, db_path, caplog):
    job = ThreadJob(db_path)
    with qtbot.waitSignal(job.failed, timeout=5000) as failed:
        job.start(lambda db, report: 1 / 0)
    job.wait(5)
    assert failed.args == ["ZeroDivisionError: division by zero"]
    assert "background job failed" in caplog.text
