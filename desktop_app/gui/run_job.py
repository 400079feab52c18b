"""One workflow run started from the window: off the UI thread, with progress, items and cancel.

The runner works on its own thread with its own database connection (and
imports litellm there, never on the UI thread); its callbacks become Qt
signals, which Qt delivers on the UI thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc


class RunJob(QObject):
    progress = Signal(int, int)  # done, total
    item_made = Signal(int, str)  # item id, status
    finished = Signal(object)  # RunSummary
    failed = Signal(str)  # one line for the person

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

    def start(
        self,
        spec,
        inputs: list[InputDoc],
        *,
        model: str | None,
        api_base: str | None,
        fallbacks: tuple[str, ...] | None = None,
        global_month_cap: float | None = None,
    ) -> None:
        from desktop_app.services.runner import RunOptions

        self._cancel.clear()
        options = RunOptions(
            model=model or None,
            api_base=api_base or None,
            fallbacks=fallbacks,
            global_month_cap=global_month_cap,
        )
        self._thread = threading.Thread(
            target=self._run, args=(spec, inputs, options), name="signoff-run", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Stop starting new model calls; calls already under way finish and are kept."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, spec, inputs, options) -> None:
        from desktop_app.services.runner import Runner
        from desktop_app.storage.db import connect

        db = connect(self._db_path)
        try:
            runner = Runner(
                db,
                self._gateway,
                on_item=self.item_made.emit,
                on_progress=self.progress.emit,
                cancel=self._cancel,
            )
            summary = runner.run(
                spec,
                inputs,
                options,
            )
        except KnownError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: still one clear line, never a silent dead thread
            self.failed.emit(f"the run stopped unexpectedly: {type(exc).__name__}: {exc}")
        else:
            self.finished.emit(summary)
        finally:
            db.conn.close()
