"""The window's one error path (qutebrowser's split of known errors and bugs).

- A known error (``KnownError``: a spec, a model, the database, a key) is the
  environment's doing: one line in the status bar, in the person's words.
- A bug is ours: its traceback goes to the rotating log file in the data folder (a tray
  app's stderr goes nowhere), and a dialog says what happened and where the details are.

``install`` wires ``sys.excepthook`` and ``threading.excepthook`` here, so an exception
no code caught (in a slot, on a thread) takes the same path as one a job reports.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:  # each imported when first needed: together they cost the start 5 ms
    import logging

    from PySide6.QtWidgets import QMessageBox

from desktop_app.core.errors import KnownError

LOG_NAME = "signoff.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3

LOGGER = "desktop_app"  # `logging` itself is imported with the log file: it costs the start 3 ms


class _Wiring:
    """What ``install`` set up (one per process)."""

    def __init__(self) -> None:
        self.log_path: Path | None = None
        self.status: Callable[[str], None] | None = None  # the main window's status line
        self.bridge: _Bridge | None = None
        self.handler: logging.Handler | None = None  # the log file, once opened
        self.parent: Callable[[], QWidget | None] = _no_parent


def _no_parent() -> QWidget | None:
    return None


class _Bridge(QObject):
    """Brings an exception from another thread to the UI thread."""

    failure = Signal(object)


_State = _Wiring()


def log_path() -> Path | None:
    return _State.log_path


def known(exc: BaseException) -> BaseException:
    """``exc``, or the one-line known error it stands for (a full disk, a read-only data
    folder, a damaged database: ``storage.health``)."""
    from desktop_app.storage.health import explain

    return explain(exc) or exc


def one_line(exc: BaseException, bug: str = "something went wrong") -> str:
    """What the person reads about ``exc``; a bug's traceback is logged here."""
    exc = known(exc)
    if isinstance(exc, KnownError):  # several problems (a spec's) become one line
        return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or (
            type(exc).__name__
        )
    open_log()
    _logger().error("%s", bug, exc_info=(type(exc), exc, exc.__traceback__))
    where = f" (details in {_State.log_path})" if _State.log_path else ""
    return f"{bug}: {type(exc).__name__}: {exc}{where}"


def show_error(exc: BaseException, *, bug: str = "Something went wrong inside Signoff") -> None:
    """On the UI thread: a known error in the status bar; a bug as a dialog, logged."""
    from PySide6.QtWidgets import QMessageBox

    exc = known(exc)
    if isinstance(exc, KnownError):
        text = one_line(exc)
        if _State.status is not None:
            _State.status(text)
            return
        _dialog(QMessageBox.Icon.Warning, "Signoff", text)
        return
    line = one_line(exc, bug)
    _dialog(
        QMessageBox.Icon.Critical,
        "Signoff: something went wrong",
        f"{line}\n\nWhat was under way was stopped; what was saved before stays saved.",
    )


def report_later(exc: BaseException) -> None:
    """From any thread: ``show_error`` on the UI thread (logged only if there is no window)."""
    if _State.bridge is not None:
        _State.bridge.failure.emit(exc)
    else:
        one_line(exc, "background work failed")


def _dialog(icon: QMessageBox.Icon, title: str, text: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    if QApplication.instance() is None:
        return
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, _State.parent())
    box.setObjectName("errorDialog")
    _open_dialogs.add(box)  # a dialog without a parent lives as long as its Python object
    box.finished.connect(lambda _result: _open_dialogs.discard(box))
    box.finished.connect(box.deleteLater)
    box.open()  # not exec(): the window keeps working, and nothing waits on the dialog


_open_dialogs: set[QMessageBox] = set()


def install(
    data_dir: Path,
    *,
    status: Callable[[str], None] | None = None,
    parent: Callable[[], QWidget | None] | None = None,
) -> Callable[[], None]:
    """Route uncaught exceptions here and log to ``data_dir/signoff.log`` (rotated; the file
    is opened by ``open_log``, after the first paint, or by the first bug, whichever comes
    first: ``logging.handlers`` costs the start 5 ms). Returns a function that undoes it."""
    _State.log_path, _State.status = data_dir / LOG_NAME, status
    if parent is not None:
        _State.parent = parent
    bridge = _State.bridge = _Bridge()
    bridge.failure.connect(lambda exc: show_error(exc))
    previous = sys.excepthook, threading.excepthook

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous[0](kind, exc, tb)
            return
        exc.__traceback__ = tb
        if threading.current_thread() is threading.main_thread():
            show_error(exc)
        else:
            report_later(exc)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook, threading.excepthook = excepthook, thread_hook

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous
        if _State.handler is not None:
            _logger().removeHandler(_State.handler)
            _State.handler.close()
        _State.log_path = _State.status = _State.bridge = _State.handler = None
        _State.parent = _no_parent
        bridge.deleteLater()

    return uninstall


def open_log() -> None:
    """The rotating log file, once (a no-op before ``install`` or when already open)."""
    if _State.handler is not None or _State.log_path is None:
        return
    import logging
    from logging.handlers import RotatingFileHandler

    _State.log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(
        _State.log_path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    log = _logger()
    log.addHandler(handler)
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    _State.handler = handler


def _logger() -> logging.Logger:
    import logging

    return logging.getLogger(LOGGER)
