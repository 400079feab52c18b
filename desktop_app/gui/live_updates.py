"""A team database's news, live (issue 26): another computer's new item, decision or run
reaches this window within a moment.

A thread of its own holds a connection that ``LISTEN``s on the team database's channel
(the schema's triggers notify it at every change of items and runs, ``storage/pg_schema``);
each notice becomes ``changed`` on the UI thread, which refreshes what the window shows.
On this computer's SQLite file there is no other computer: nothing runs here.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from desktop_app.core.database_url import TeamRef

WAIT_S = 0.5  # how long one wait for a notice lasts: also how soon a stop is heard


class LiveUpdates(QObject):
    changed = Signal(str)  # the table another connection changed ("items", "runs")

    def __init__(self, team: TeamRef, parent: QObject | None = None):
        super().__init__(parent)
        self._team = team
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="signoff-live", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _listen(self) -> None:
        import psycopg

        from desktop_app.storage.pg_schema import CHANNEL

        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._team.url, password=self._team.password, autocommit=True
                ) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=WAIT_S):
                            self.changed.emit(notice.payload)
            except psycopg.OperationalError:  # the server went away: try again in a moment
                self._stop.wait(5.0)
