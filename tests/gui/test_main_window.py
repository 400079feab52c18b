"""The main window remembers its size and last view, and goes to the tray once it is up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.tasks import DbWorker
from desktop_app.storage.db import connect
from tests.conftest import BUNDLED_WORKFLOWS


@contextmanager
def opened_again(qtbot, seeded, workflows_dir, **given) -> Iterator[MainWindow]:
    """The window as the next start opens it, on the same data; closed afterwards."""
    db = connect(seeded)
    worker = DbWorker(seeded)
    again = MainWindow(db, worker, db_path=seeded, workflows_dir=workflows_dir, **given)
    qtbot.addWidget(again)
    try:
        yield again
    finally:
        again.close()
        qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
        worker.close()
        db.conn.close()


def test_last_view_and_geometry_are_restored(qtbot, window, seeded, workflows_dir):
    # the offscreen screen is 800x600; the width stops at the window's minimum
    window.resize(700, 520)
    saved = (window.width(), window.height())
    assert saved[1] == 520
    window.show_tab("activity")
    window.close()

    with opened_again(qtbot, seeded, workflows_dir) as again:
        assert again.current_tab() == "activity"
        # The height proves it (the default is 760); widths are clamped to the 800-pixel offscreen screen.
        assert again.height() == saved[1]


def test_the_workflows_tab_can_be_the_restored_one(qtbot, window, seeded, workflows_dir):
    window.show_tab("workflows")
    window.close()
    with opened_again(qtbot, seeded, workflows_dir) as again:
        assert again.current_tab() == "workflows"
        qtbot.waitUntil(
            lambda: again.workflows.model.rowCount() == BUNDLED_WORKFLOWS, timeout=10000
        )
        assert again.workflows.pause_box.isVisibleTo(again)


def test_the_icon_comes_once_the_window_is_up(qtbot, window, seeded, workflows_dir):
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.paths import bundled_dir

    window.close()
    svg = bundled_dir("resources") / "signoff.svg"
    with opened_again(qtbot, seeded, workflows_dir, icon_path=svg) as again:
        try:
            assert again.windowIcon().isNull() and again.notifier.icon is None  # not at start
            again._after_start()  # after the first paint, as its timer calls it
            assert not again.windowIcon().pixmap(32).isNull()
            assert not QApplication.windowIcon().isNull()  # dialogs opened later have it too
            assert again.notifier.icon is not None  # and a tray made now
            again._setup_job.wait(10)
        finally:
            QApplication.setWindowIcon(QIcon())  # the other tests' windows start without


# A tray made on a platform that has none: offscreen Qt cannot follow the tray's window.
@pytest.mark.qt_log_ignore("No such signal QPlatformNativeInterface::systemTrayWindowChanged")
def test_the_tray_comes_once_the_window_is_up_and_closing_then_keeps_signoff_there(
    qtbot, window, monkeypatch
):
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from desktop_app.core.paths import bundled_dir

    app = QApplication.instance()
    assert not window.notifier.has_tray  # none at start: it is made after the first paint
    window._after_start()  # offscreen Qt has no tray: the window alone
    assert not window.notifier.has_tray and app.quitOnLastWindowClosed()
    window._setup_job.wait(10)
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    window.notifier.icon = QIcon(str(bundled_dir("resources") / "signoff.svg"))
    try:
        window._after_start()  # a desktop with a tray
        assert window.notifier.has_tray and not app.quitOnLastWindowClosed()
        menu = [a.text() for a in window.notifier.tray.contextMenu().actions() if a.text()]
        assert menu == ["Open Signoff", "Pause all schedules", "Quit"]
        opened = []
        window.notifier.open_window.connect(lambda: opened.append(True))
        reasons = QSystemTrayIcon.ActivationReason
        for reason in (reasons.Trigger, reasons.DoubleClick, reasons.Context, reasons.MiddleClick):
            window.notifier.tray.activated.emit(reason)
        assert opened == [True, True]  # a click and a double click open it; the menu does not
        window._setup_job.wait(10)
    finally:
        window.notifier.stop()
        window.notifier.tray = None  # the fixture's close() then quits as without a tray
        app.setQuitOnLastWindowClosed(True)


def test_the_window_resumes_an_interrupted_run(qtbot, window, seeded, workflows_dir, llm_server):
    """A run the last start left half done (its process was killed) is finished at start."""
    from desktop_app.core.inputdoc import InputDoc
    from desktop_app.core.states import RunState
    from desktop_app.storage import run_rows
    from desktop_app.storage.db import transaction
    from tests.helpers.llm_server import reply

    window.close()
    llm_server.default = reply("Dear Anna, thank you for the kind words about the cake!")
    db = connect(seeded)
    try:
        with transaction(db):
            run_id, _ = run_rows.create_run(
                db,
                workflow="review-reply",
                version_id=None,
                trigger="manual",
                model="openai/test-model",
                api_base=llm_server.url,
                inputs=[
                    InputDoc(key=f"k{n}", name=f"review-{n}", text="Lovely cake") for n in (1, 2)
                ],
            )
            run_rows.set_run_state(db, run_id, RunState.INTERRUPTED)
        with opened_again(qtbot, seeded, workflows_dir) as again:
            qtbot.waitUntil(
                lambda: run_rows.get_run(db, run_id)["state"] == "finished", timeout=60000
            )
            # what the run panel says arrives by a signal after the job's thread ends: wait
            # for the words, not for the job's flag (a race seen once in the full run)
            said = f"Run {run_id} of review-reply resumed, finished"
            qtbot.waitUntil(
                lambda: said in again.workflows.run_panel.run_status.text(), timeout=10000
            )
        made = db.execute("SELECT count(*) FROM items WHERE run_id = ?", [run_id]).fetchone()[0]
        assert made == 2 and len(llm_server.completions) >= 2  # a retry with feedback may add one
    finally:
        db.conn.close()
