"""The full-text indexes of an older database, built in the background after the start.

Search works meanwhile (by LIKE, slower over a large history); the status bar shows how far
the build is. Closing the window stops it between two batches; the next start goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named
from desktop_app.storage import fulltext

if TYPE_CHECKING:
    from pathlib import Path

    from desktop_app.storage.db import DatabaseLike


def _build(db: DatabaseLike, report: Callable[[int, int], None], stop: threading.Event) -> bool:
    done = fulltext.build(db, on_progress=lambda p: report(p.done, p.total), cancelled=stop.is_set)
    return done.ready


class IndexBuilder(QObject):
    ready = Signal()  # the indexes are complete: searches use them from now on
    message = Signal(str)

    def __init__(self, db_path: Path, status_bar: QStatusBar, parent: QObject | None = None):
        super().__init__(parent)
        self.job = Job(db_path, self, what="search index build")
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

    def start_if_needed(self, db: DatabaseLike) -> bool:
        """Start the build when an index is not complete; True when it started."""
        progress = fulltext.progress(db)
        if progress.ready or self.job.running:
            return False
        self._on_progress(progress.done, progress.total)
        self.label.show()
        self.job.start(_build, self.job.cancelled)
        return True

    def _on_progress(self, done: int, total: int) -> None:
        percent = 100 if not total else min(99, done * 100 // total)
        self.label.setText(f"Building the search index: {percent}%")

    def _on_done(self, complete: bool) -> None:
        self.label.hide()
        if complete:
            self.message.emit("The search index is ready: searches are fast now.")
            self.ready.emit()

    def _on_failed(self, text: str) -> None:
        self.label.hide()
        self.message.emit(
            f"The search index could not be built ({text}); search still works, more slowly."
        )
