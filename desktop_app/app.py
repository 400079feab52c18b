"""Start the desktop app: paths, database, the writer thread, the main window."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from desktop_app.core.errors import KnownError
from desktop_app.core.paths import Paths, bundled_dir, ensure_data_dir


def _check_screen() -> None:
    """On Linux without a display Qt aborts the process; say it in one line instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise KnownError(
            "no screen to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "every decision can also be made on the command line: signoff --help"
        )


def run_app(paths: Paths, argv: Sequence[str]) -> int:
    _check_screen()
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker
    from desktop_app.services.recovery import mark_interrupted
    from desktop_app.storage.db import connect_plain

    app = QApplication.instance() or QApplication(list(argv))
    app.setOrganizationName("Signoff")
    app.setApplicationName("Signoff")
    app.setDesktopFileName("signoff")
    icon = QIcon(str(bundled_dir("resources") / "signoff.svg"))
    app.setWindowIcon(icon)

    from desktop_app.gui.single_instance import SingleInstance, server_name

    ensure_data_dir(paths)
    instance = SingleInstance(server_name(paths.data_dir))
    if not instance.claim():
        print("Signoff is already running: its window was brought forward.", file=sys.stderr)
        return 0
    # The UI thread's reader, without sqlite-utils (a third of the start); writes go
    # through the worker thread.
    db = connect_plain(paths.db_path)
    mark_interrupted(db)
    worker = DbWorker(paths.db_path)
    window = MainWindow(
        db, worker, db_path=paths.db_path, workflows_dir=paths.workflows_dir, icon=icon
    )
    instance.activated.connect(window.bring_forward)
    if window.notifier.has_tray:
        app.setQuitOnLastWindowClosed(False)  # closing the window keeps it in the tray
    window.show()
    try:
        return app.exec()
    finally:
        instance.release()
        worker.close()
        db.conn.close()


if __name__ == "__main__":  # pragma: no cover
    from desktop_app.core.paths import resolve_paths

    sys.exit(run_app(resolve_paths(), sys.argv))
