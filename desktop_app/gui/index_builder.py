"""The full-text indexes brought up to date in the background: an upgraded database's
whole history after the start (with its progress in the status bar), and later the rows
runs and decisions wrote, a few seconds after them.

Search works meanwhile (the rows not indexed yet by LIKE: slower over a large history).
Closing the window stops a build between two batches; the next start goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named
from desktop_app.storage import fulltext

if TYPE_CHECKING:
    from pathlib import Path

    from desktop_app.gui.tasks import Database
    from desktop_app.storage.db import DatabaseLike


def _build(db: DatabaseLike, report: Callable[[int, int], None], stop: threading.Event) -> bool:
    done = fulltext.build(db, on_progress=lambda p: report(p.done, p.total), cancelled=stop.is_set)
    return done.ready


class IndexBuilder(QObject):
    ready = Signal()  # an upgrade's build is complete: searches are fast from now on
    message = Signal(str)
    CATCH_UP_MS = 10_000  # how soon after new rows are written they are indexed

    def __init__(
        self,
        db_path: Database,
        status_bar: QStatusBar,
        parent: QObject | None = None,
        *,
        data_dir: Path | None = None,
    ):
        super().__init__(parent)
        self.job = Job(db_path, self, what="search index build", plain=True, data_dir=data_dir)
        self.job.cancel_on_close = True
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.label = named(QLabel(), "indexProgress")
        self.label.setToolTip(
            "Signoff is indexing your history once, so searches are fast. "
            "Search works meanwhile, more slowly."
        )
        self.label.hide()
        status_bar.addPermanentWidget(self.label)
        self._timer = QTimer(self, singleShot=True, interval=self.CATCH_UP_MS)
        self._timer.timeout.connect(self._catch_up)
        self._db: DatabaseLike | None = None

    def start_if_needed(self, db: DatabaseLike) -> bool:
        """Index what is not indexed yet; True when a build started. A long one (after an
        upgrade) shows its progress; the later ones are quiet."""
        self._db = db
        progress = fulltext.progress(db)
        if progress.ready or self.job.running:
            return False
        if progress.behind >= fulltext.LONG_TAIL:
            self._on_progress(progress.done, progress.total)
            self.label.show()
        self.job.start(_build, self.job.cancelled)
        return True

    def soon(self) -> None:
        """Rows were written (a run, decisions): index them a little later, in one go."""
        if self._db is not None and not self._timer.isActive():
            self._timer.start()

    def _catch_up(self) -> None:
        if self._db is not None:
            self.start_if_needed(self._db)

    def _on_progress(self, done: int, total: int) -> None:
        if self.label.isVisible() or not self.label.text():
            percent = 100 if not total else min(99, done * 100 // total)
            self.label.setText(f"Building the search index: {percent}%")

    def _on_done(self, complete: bool) -> None:
        if self.label.isVisible() and complete:
            self.message.emit("The search index is ready: searches are fast now.")
            self.ready.emit()
        self.label.hide()

    def _on_failed(self, text: str) -> None:
        self.label.hide()
        self.message.emit(
            f"The search index could not be built ({text}); search still works, more slowly."
        )
