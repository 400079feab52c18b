"""One cost profile started from the window: off the UI thread, with progress and cancel.

Like ``RunJob``: the profiler works on its own thread with its own database connection;
its progress callback becomes a Qt signal, delivered on the UI thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.core.errors import KnownError


class ProfileJob(QObject):
    progress = Signal(int, int)  # done, total
    finished = Signal(object)  # Profile
    failed = Signal(str)  # one line for the person

    def __init__(self, db_path: Path, parent: QObject | None = None, *, gateway=None):
        super().__init__(parent)
        self._db_path = db_path
        self._gateway = gateway
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, spec, models: list[str], **options) -> None:
        """``options``: api_base, runs_per_month, global_month_cap (see ``Profiler.profile``)."""
        self._cancel.clear()
        self._thread = threading.Thread(
            target=self._run, args=(spec, models, options), name="signoff-profile", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Start no new calls; the calls under way finish and are recorded."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, spec, models, options) -> None:
        from desktop_app.services.profiler import Profiler
        from desktop_app.storage.db import connect

        db = connect(self._db_path)
        try:
            profiler = Profiler(
                db, self._gateway, on_progress=self.progress.emit, cancel=self._cancel
            )
            profile = profiler.profile(spec, models, **options)
        except KnownError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: still one clear line, never a silent dead thread
            self.failed.emit(f"the profile stopped unexpectedly: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(profile)
        finally:
            db.conn.close()
