"""Background work for the window, with results brought back to the UI thread.

Anki's task manager in miniature: one single-thread executor owns the
database connection that writes (decisions, runs), so writes never overlap
and never run on the UI thread; each result comes back through a Qt signal,
which Qt delivers on the UI thread. One mechanism, used everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class _Bridge(QObject):
    done = Signal(object, object, object)  # callback, result, error


class DbWorker:
    """Runs ``fn(db, *args)`` on the writer thread; ``on_done(result)`` / ``on_error(exc)`` on the UI thread."""

    def __init__(self, db_path: Path):
        self._db_path = db_path
        self._local = threading.local()
        self._executor: ThreadPoolExecutor | None = None  # made on the first write, not at start
        self._bridge = _Bridge()
        self._bridge.done.connect(self._deliver)
        self._pending = 0
        self._closed = False

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signoff-db")
        return self._executor

    def _db(self):
        db = getattr(self._local, "db", None)
        if db is None:
            from desktop_app.storage.db import connect

            db = self._local.db = connect(self._db_path)
        return db

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        context: QObject | None = None,
    ) -> Future | None:
        """``context``: the widget the callbacks belong to; once it is deleted they are not called."""
        if self._closed:  # the window is going away: nothing is started, nothing is delivered
            return None
        self._pending += 1
        future = self._pool().submit(lambda: fn(self._db(), *args))
        future.add_done_callback(
            lambda f: self._bridge.done.emit(
                (on_done, on_error, context), f.exception() is None and f.result(), f.exception()
            )
        )
        return future

    def _deliver(self, callbacks, result, error) -> None:
        self._pending -= 1
        on_done, on_error, context = callbacks
        if self._closed or (context is not None and not shiboken6.isValid(context)):
            return
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                log.error("background task failed", exc_info=error)
        elif on_done is not None:
            on_done(result)

    def close(self) -> None:
        """Finish queued writes, then close the writer's connection; later results are dropped."""
        if self._closed:
            return
        self._closed = True

        def close_db() -> None:
            db = getattr(self._local, "db", None)
            if db is not None:
                db.conn.close()
                self._local.db = None

        if self._executor is not None:
            self._executor.submit(close_db).result()
            self._executor.shutdown(wait=True)


class ThreadJob(QObject):
    """A long read (verify, export) on a thread of its own with its own connection.

    Kept off the writer thread so decisions stay instant while a big export runs.
    ``fn(db, report)`` may call ``report(n)`` for progress. With ``plain``, ``db`` is a
    connection without sqlite-utils, for reads that need only SQL: importing
    sqlite-utils on a thread would hold the interpreter while the window starts.
    """

    progress = Signal(int)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, db_path: Path, parent: QObject | None = None, *, plain: bool = False):
        super().__init__(parent)
        self._db_path = db_path
        self._plain = plain
        self._thread: threading.Thread | None = None
        self._busy = False

    @property
    def running(self) -> bool:
        """From ``start`` until the result is sent (the thread then only ends): a job asked
        for when that result arrives can start at once."""
        return self._busy

    def start(self, fn: Callable[..., Any], *args: Any) -> None:
        self._busy = True
        self._thread = threading.Thread(
            target=self._run, args=(fn, args), name="signoff-job", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, fn: Callable[..., Any], args: tuple) -> None:
        from desktop_app.core.errors import KnownError
        from desktop_app.storage.db import connect, connect_plain

        db = None
        try:
            db = (connect_plain if self._plain else connect)(self._db_path)
            result = fn(db, self.progress.emit, *args)
        except KnownError as exc:  # a database that cannot be opened is one too
            signal, value = self.failed, str(exc)
        except Exception as exc:  # a bug: one clear line, and the log keeps the traceback
            log.error("background job failed", exc_info=exc)
            signal, value = self.failed, f"{type(exc).__name__}: {exc}"
        else:
            signal, value = self.done, result
        finally:
            if db is not None:
                db.conn.close()
        self._busy = False
        signal.emit(value)


class CancellableJob(QObject):
    """Long engine work started from the window (a run, a profile): on a thread of its own
    with its own database connection, progress and the result coming back as signals, which
    Qt delivers on the UI thread. ``cancel()`` asks it to start no new model calls; calls
    under way finish and are recorded. Subclasses do the work in ``_work(db, *args)``."""

    progress = Signal(int, int)  # done, total
    finished = Signal(object)  # what _work returned
    failed = Signal(str)  # one line for the person
    what = "job"  # names the thread and an unexpected failure: "the run stopped unexpectedly"

    def __init__(self, db_path: Path, parent: QObject | None = None, *, gateway=None):
        """``gateway`` makes the model calls (the window passes its ``ProcessGateway``)."""
        super().__init__(parent)
        self._db_path = db_path
        self._gateway = gateway
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self, *args: Any) -> None:
        self._cancel.clear()
        self._thread = threading.Thread(
            target=self._run, args=args, name=f"signoff-{self.what}", daemon=True
        )
        self._thread.start()

    def _work(self, db, *args: Any) -> Any:
        raise NotImplementedError

    def _run(self, *args: Any) -> None:
        from desktop_app.core.errors import KnownError
        from desktop_app.storage.db import connect

        db = connect(self._db_path)
        try:
            result = self._work(db, *args)
        except KnownError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: still one clear line, never a silent dead thread
            self.failed.emit(f"the {self.what} stopped unexpectedly: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(result)
        finally:
            db.conn.close()
