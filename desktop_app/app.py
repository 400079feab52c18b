"""Start the desktop app: paths, database, the writer thread, the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from desktop_app.core.paths import Paths, bundled_dir, ensure_data_dir


def run_app(paths: Paths, argv: Sequence[str]) -> int:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker
    from desktop_app.services.recovery import mark_interrupted
    from desktop_app.storage.db import connect

    app = QApplication.instance() or QApplication(list(argv))
    app.setOrganizationName("Signoff")
    app.setApplicationName("Signoff")
    app.setDesktopFileName("signoff")
    icon = QIcon(str(bundled_dir("resources") / "signoff.svg"))
    app.setWindowIcon(icon)

    ensure_data_dir(paths)
    db = connect(paths.db_path)  # the UI thread's reader; writes go through the worker
    mark_interrupted(db)
    worker = DbWorker(paths.db_path)
    window = MainWindow(db, worker, icon=icon)
    window.show()
    try:
        return app.exec()
    finally:
        worker.close()
        db.conn.close()


if __name__ == "__main__":  # pragma: no cover
    from desktop_app.core.paths import resolve_paths

    sys.exit(run_app(resolve_paths(), sys.argv))
