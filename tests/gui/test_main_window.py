"""The main window remembers its size and last view."""

from __future__ import annotations

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.tasks import DbWorker
from desktop_app.storage.db import connect


def test_last_view_and_geometry_are_restored(qtbot, window, seeded, workflows_dir):
    # the offscreen screen is 800x600; the width stops at the window's minimum
    window.resize(700, 520)
    saved = (window.width(), window.height())
    assert saved[1] == 520
    window.show_tab("activity")
    window.close()

    db = connect(seeded)
    worker = DbWorker(seeded)
    again = MainWindow(db, worker, db_path=seeded, workflows_dir=workflows_dir)
    qtbot.addWidget(again)
    try:
        assert again.current_tab() == "activity"
        # The height proves it (the default is 760); widths are clamped to the 800-pixel offscreen screen.
        assert again.height() == saved[1]
    finally:
        qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
        worker.close()
        db.conn.close()


def test_the_workflows_tab_can_be_the_restored_one(qtbot, window, seeded, workflows_dir):
    window.show_tab("workflows")
    window.close()
    db = connect(seeded)
    worker = DbWorker(seeded)
    again = MainWindow(db, worker, db_path=seeded, workflows_dir=workflows_dir)
    qtbot.addWidget(again)
    try:
        assert again.current_tab() == "workflows"
        qtbot.waitUntil(lambda: again.workflows.model.rowCount() == 6, timeout=10000)
        assert again.workflows.pause_box.isVisibleTo(again)
    finally:
        again.close()
        qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
        worker.close()
        db.conn.close()
