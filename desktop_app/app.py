"""Start the desktop app: paths, database, the writer thread, the main window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from desktop_app.core import collector, pyside_hook, pyside_support_cache
from desktop_app.core.errors import KnownError
from desktop_app.core.paths import Paths, bundled_dir, ensure_data_dir, user_cache_dir


def _check_screen() -> None:
    """On Linux without a display Qt aborts the process; say it in one line instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise KnownError(
            "no screen to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "every decision can also be made on the command line: signoff --help"
        )


def _platform_is_xcb() -> bool:
    """Will Qt open the window through X11 (its xcb plugin)? As Qt 6 chooses on Linux."""
    if not sys.platform.startswith("linux"):
        return False
    chosen = os.environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    if os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland":
        return False  # Qt tries Wayland first there
    return bool(os.environ.get("DISPLAY"))


def _check_xcb() -> None:
    """Before Qt aborts naming the wrong library: which ones its X11 plugin cannot load, and
    the command that installs them, in one line (exit status 1)."""
    if not _platform_is_xcb():
        return
    from PySide6.QtCore import QLibraryInfo

    from desktop_app.core import system_libraries

    # Where Qt looks: QT_PLUGIN_PATH first (a frozen bundle sets it), then its own folder.
    folders = [p for p in os.environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    folders.append(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    found = [Path(f) / "platforms" / "libqxcb.so" for f in folders]
    plugin = next((p for p in found if p.exists()), None)
    if plugin is None:
        return  # a Qt without it: Qt says so itself
    absent = system_libraries.missing(plugin)
    if absent:
        raise KnownError(
            f"the window cannot open: Qt's X11 support needs {', '.join(absent)}, which"
            f" {'is' if len(absent) == 1 else 'are'} missing or cannot be loaded;"
            f" {system_libraries.install_hint(absent)}"
        )


ENGINE_MODULES = (
    *("core.bundled", "core.database_url", "core.money", "core.search_query", "core.states"),
    *("core.visible", "services.folder_claims", "services.recovery", "services.settings"),
    *("services.team", "services.upgrade_notes", "storage.actions", "storage.db"),
    *("storage.health", "storage.item_pages", "storage.item_rows", "storage.model_calls"),
    *("storage.opening", "storage.search", "storage.spec_versions"),
)


def _load_engine_modules() -> None:
    """Import the Qt-free modules the window's start needs before PySide6 is imported.

    Once PySide6 is loaded, its import hook reads the source of every module imported
    afterwards (it looks for ``from __feature__``); these imports then take half again
    as long. Measured by ``benchmarks/bench_gui.py --only start``.
    """
    from importlib import import_module

    for name in ENGINE_MODULES:
        import_module(f"desktop_app.{name}")


def _load_pyside() -> None:
    """PySide6 imported, once Qt's X11 libraries are known to be there, with its support
    modules' code and regular expressions from an earlier start (30-35 ms of this one)."""
    with pyside_support_cache.kept_compiled(
        pyside_support_cache.cache_file(Path(user_cache_dir()))
    ):
        _check_xcb()
        import PySide6.QtWidgets  # noqa: F401


def run_app(
    paths: Paths, argv: Sequence[str], *, when_ready: Callable[[], object] | None = None
) -> int:
    """Open the window and run until it quits. ``when_ready`` is called at the first idle
    moment after the window is shown (the start benchmark then lets the first paint happen
    and stops its clock)."""
    with collector.paused():
        _check_screen()
        _load_engine_modules()
        _load_pyside()
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        pyside_hook.answer_cheaply()  # before the window's modules (2 ms of the start)
        from desktop_app.gui import errors
        from desktop_app.gui.main_window import MainWindow
        from desktop_app.gui.single_instance import SingleInstance
        from desktop_app.gui.tasks import DbWorker
        from desktop_app.services.recovery import mark_interrupted
        from desktop_app.storage import health
        from desktop_app.storage.opening import connect_plain

        running = QApplication.instance()  # a QCoreApplication as far as the type goes
        app = running if isinstance(running, QApplication) else QApplication(list(argv))
        app.setOrganizationName("Signoff")
        app.setApplicationName("Signoff")
        app.setDesktopFileName("signoff")

        ensure_data_dir(paths)
        instance = SingleInstance(paths.data_dir)
        if not instance.claim():
            if instance.answered:
                print(
                    "Signoff is already running: its window was brought forward.", file=sys.stderr
                )
                return 0
            pid = instance.holder_pid()
            print(
                f"Signoff is already running on this data folder (process {pid or '?'}) but did"
                " not answer; close it, or wait for it, then start again.",
                file=sys.stderr,
            )
            return 1
        from desktop_app.services.folder_claims import serve_holder
        from desktop_app.services.team import chosen

        # The UI thread's reader, without sqlite-utils (a third of the start); writes go
        # through the worker thread.
        try:
            team = chosen(paths.data_dir)  # a team's database, or None: this computer's file
            # (on a team database, each due thing is claimed in it: serve may run beside)
            server = serve_holder(paths.data_dir) if team is None else None  # after our claim
            if server is not None:
                raise KnownError(
                    f"signoff serve runs on {paths.data_dir} (process {server}) and does what"
                    " is due there; stop it first (systemctl --user stop signoff-serve), or"
                    " the two would each run it"
                )
            # SQLite's quick check (35 ms at 100,000 items) runs on the worker after the first
            # paint, not as connections open; the window says what it finds (main_window).
            health.defer_checks()
            db = connect_plain(team if team is not None else paths.db_path)
        except KnownError as refused:  # serve holds the folder; a newer Signoff's database
            from PySide6.QtWidgets import QMessageBox

            instance.release()
            if QApplication.platformName() not in ("offscreen", "minimal"):
                QMessageBox.critical(None, "Signoff cannot open its data", str(refused))
            raise
        mark_interrupted(db)
        worker = DbWorker(team if team is not None else paths.db_path)
        window = MainWindow(
            db,
            worker,
            db_path=paths.db_path,
            workflows_dir=paths.workflows_dir,
            icon_path=bundled_dir("resources") / "signoff.svg",  # set after the first paint
            team=team,
        )
        instance.activated.connect(window.bring_forward)
        uninstall = errors.install(paths.data_dir, status=window.say, parent=lambda: window)
        window.show()
        from desktop_app.services import upgrade_notes

        said = upgrade_notes.take()
        if said:  # once: the next start finds nothing to migrate or add
            window.say("Signoff: " + " · ".join(said))
    QTimer.singleShot(200, instance.listen)  # after the first paint (see single_instance)
    QTimer.singleShot(1000, errors.open_log)
    if when_ready is not None:
        QTimer.singleShot(0, when_ready)
    try:
        return app.exec()
    finally:
        instance.release()
        uninstall()
        worker.close()
        db.conn.close()


if __name__ == "__main__":  # pragma: no cover
    from desktop_app.core.paths import resolve_paths

    sys.exit(run_app(resolve_paths(), sys.argv))
