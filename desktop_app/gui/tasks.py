"""How the window works in the background: the one place to look.

Anki's task manager in miniature, in three shapes:

- ``DbWorker``: short writes (decisions, reloading the lists) on one writer thread that
  owns its connection, so writes never overlap and never run on the UI thread.
- ``Job``: longer work (a run, a profile, a schedule tick, an export, a model test) on a
  thread of its own with its own connection, opened inside the guarded code. It reports
  progress, can be cancelled, and its result or failure comes back as a Qt signal, which
  Qt delivers on the UI thread.
- ``LatestRead``: reads where only the newest request matters (a search typed into a
  box): one thread with its own read connection; a newer request stops the one under way
  (SQLite's progress handler), and only the newest result is delivered.

Failures take one path: a known error (``KnownError``) is one line for the person; a bug
is one line too, and its traceback goes to the log file (see ``gui.errors``). A failure
that no one listens for goes to ``errors.show_error``. Every job under way is in one set,
which the window cancels and waits on when it closes (``close_all``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import shiboken6
from PySide6.QtCore import QMetaMethod, QObject, Signal

# At import, not on a worker thread: an import there waits on PySide6's import hook while the
# window starts (a hang was seen with one inside a job).
from desktop_app.storage.opening import connect, connect_plain

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import sqlite_utils

    from desktop_app.core.database_url import TeamRef
    from desktop_app.services.pipeline import ModelGateway

Report = Callable[..., None]  # a Job's progress: report(done, total)
Database: TypeAlias = "Path | TeamRef"  # what a connection opens: this computer's file, or a team's
# (on_done, on_error, the widget they belong to): what a write's result is delivered to
_Callbacks = tuple[
    "Callable[[Any], None] | None", "Callable[[BaseException], None] | None", "QObject | None"
]


class _Bridge(QObject):
    done = Signal(object, object, object)  # callback, result, error


class DbWorker:
    """Runs ``fn(db, *args)`` on the writer thread; ``on_done(result)`` / ``on_error(exc)`` on the UI thread."""

    def __init__(self, db_path: Database):
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

    @property
    def db_path(self) -> Database:
        return self._db_path

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signoff-db")
        return self._executor

    def _db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
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

    def _deliver(self, callbacks: _Callbacks, result: Any, error: BaseException | None) -> None:
        self._pending -= 1
        on_done, on_error, context = callbacks
        if self._closed or (context is not None and not shiboken6.isValid(context)):
            return
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                from desktop_app.gui import errors

                errors.show_error(error)
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


class Job(QObject):
    """Work on a thread of its own: ``start(fn, *args)`` runs ``fn(db, report, *args)``.

    ``report(done, total=100)`` sends progress; ``cancelled`` is set by ``cancel()`` (a run
    then starts no new model calls; calls under way finish and are recorded). With
    ``plain``, ``db`` is a connection without sqlite-utils, for reads that need only SQL:
    importing sqlite-utils on a thread would hold the interpreter while the window starts.
    ``cancel_on_close``: the window's closing cancels it (a run) rather than waiting for it
    to finish (an export, which would otherwise leave a ``.part`` file).
    """

    progress = Signal(int, int)  # done, total
    item_made = Signal(int, str)  # item id, status (runs)
    done = Signal(object)  # what fn returned
    failed = Signal(str)  # one line for the person
    what = "job"  # names the thread and a failure: "the run stopped unexpectedly"
    cancel_on_close = False

    def __init__(
        self,
        db_path: Database,
        parent: QObject | None = None,
        *,
        plain: bool = False,
        what: str | None = None,
        gateway: ModelGateway | None = None,
        data_dir: Path | None = None,
    ):
        """``gateway``: where a job that calls models sends them (the window's
        ``ProcessGateway``; None: an in-process one, made when first needed).
        ``data_dir``: the data folder, for work that reads the Settings or keeps files there
        (the window passes its ``Paths.data_dir``; a job made without it, in a test or a
        benchmark, takes the database's folder, where Signoff keeps its database)."""
        super().__init__(parent)
        self._db_path = db_path
        if data_dir is None:
            if not isinstance(db_path, Path):
                raise ValueError("a job on a team database is given the data folder")
            data_dir = db_path.parent
        self.data_dir = data_dir
        self._plain = plain
        self._gateway = gateway
        if what is not None:
            self.what = what
        self.cancelled = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False

    @property
    def running(self) -> bool:
        """From ``start`` until the result is sent (the thread then only ends): a job asked
        for when that result arrives can start at once."""
        return self._busy

    def start(self, fn: Callable[..., Any], *args: Any) -> None:
        self.cancelled.clear()
        self._busy = True
        _in_flight.add(self)
        self._thread = threading.Thread(
            target=self._run, args=(fn, args), name=f"signoff-{self.what}", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        self.cancelled.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def report(self, done: int, total: int = 100) -> None:
        self.progress.emit(done, total)

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        from desktop_app.gui import errors

        db = None
        failure: Exception | None = None
        try:  # the connection too: a database that cannot be opened is a failure, not a hang
            db = (connect_plain if self._plain else connect)(self._db_path)
            result = fn(db, self.report, *args)
        except Exception as exc:
            failure = exc
        finally:
            if db is not None:
                db.conn.close()
        self._busy = False
        _in_flight.discard(self)
        if failure is None:
            self.done.emit(result)
        elif self.isSignalConnected(QMetaMethod.fromSignal(self.failed)):
            self.failed.emit(errors.one_line(failure, f"the {self.what} stopped unexpectedly"))
        else:  # no one handles it here: the window's error path (it logs a bug, once)
            errors.report_later(failure)


class LatestRead(QObject):
    """``request(fn, *args)`` runs ``fn(db, *args)`` on the reader thread; only the newest
    request's result arrives (``done``); an older one still running is interrupted."""

    done = Signal(object)  # what the newest request's fn returned
    failed = Signal(str)  # one line for the person
    cancel_on_close = True

    def __init__(self, db_path: Database, parent: QObject | None = None, *, what: str = "search"):
        super().__init__(parent)
        self._db_path = db_path
        self.what = what
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._wanted: tuple[int, Callable[..., Any], tuple[Any, ...]] | None = None
        self._latest = 0  # the newest request's number
        self._running = 0  # the number of the request under way (0: none)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pending = False

    @property
    def busy(self) -> bool:
        """A request is waiting or running (its result not delivered yet)."""
        return self._pending

    def request(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            if self._closed:
                return
            self._latest += 1
            self._wanted = (self._latest, fn, args)
            self._pending = True  # a query of an older one under way stops (see _superseded)
            self._wake.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name=f"signoff-{self.what}", daemon=True
                )
                self._thread.start()
                _in_flight.add(self)

    def forget(self) -> None:
        """Drop the request under way, if any: the view shows something else now."""
        with self._lock:
            self._latest += 1
            self._wanted = None
            self._pending = False

    def cancel(self) -> None:
        with self._lock:
            self._closed = True
            self._wanted = None
            self._wake.notify()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _superseded(self) -> bool:
        """SQLite asks this every few thousand steps of a query: True stops the query
        ("interrupted"), once a newer request was made or the window is closing. (Unlike
        ``Connection.interrupt``, it cannot miss a query that starts a moment later.)"""
        return self._closed or self._running != self._latest

    def _loop(self) -> None:
        import sqlite3

        from desktop_app.gui import errors

        db = None
        try:
            while True:
                with self._lock:
                    while self._wanted is None and not self._closed:
                        self._wake.wait()
                    if self._closed:
                        return
                    assert self._wanted is not None
                    number, fn, args = self._wanted
                    self._wanted = None
                result: Any = None
                failure: Exception | None = None
                try:
                    if db is None:
                        db = connect_plain(self._db_path, check=False)  # checked at start
                        if isinstance(db.conn, sqlite3.Connection):  # (a team database:
                            db.conn.set_progress_handler(self._superseded, 2000)  # none)
                    self._running = number
                    result = fn(db, *args)
                except sqlite3.OperationalError as exc:
                    if "interrupt" in str(exc):
                        continue  # a newer request (or the window's closing) stopped it
                    failure = exc
                except Exception as exc:
                    failure = exc
                finally:
                    self._running = 0
                with self._lock:
                    if number != self._latest or self._closed:
                        continue  # superseded while it ran
                    self._pending = False
                if failure is None:
                    self.done.emit(result)
                elif self.isSignalConnected(QMetaMethod.fromSignal(self.failed)):
                    self.failed.emit(errors.one_line(failure, f"the {self.what} failed"))
                else:
                    errors.report_later(failure)
        finally:
            if db is not None:
                db.conn.close()
            _in_flight.discard(self)


_in_flight: set[Job | LatestRead] = (
    set()
)  # jobs under way (a set of strong references: none is lost)


def close_all(timeout: float = 60.0) -> None:
    """The window is closing: cancel the jobs that can be cancelled, wait for every one."""
    for job in list(_in_flight):
        if job.cancel_on_close:
            job.cancel()
    for job in list(_in_flight):
        job.wait(timeout)
