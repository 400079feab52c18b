"""The main window: the inbox, a status bar with counts and this month's spend, remembered geometry."""

from __future__ import annotations

import sqlite_utils
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow

from desktop_app.gui.inbox_view import InboxView
from desktop_app.gui.tasks import DbWorker
from desktop_app.services.catalogue import month_start
from desktop_app.storage import store


class MainWindow(QMainWindow):
    def __init__(self, db: sqlite_utils.Database, worker: DbWorker, *, icon: QIcon | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Signoff")
        if icon is not None:
            self.setWindowIcon(icon)
        self._db = db
        self.inbox = InboxView(db, worker, self)
        self.setCentralWidget(self.inbox)
        self.counts = QLabel(objectName="statusCounts")
        self.statusBar().addPermanentWidget(self.counts)
        self.inbox.decided.connect(lambda *_: self.update_counts())
        self.inbox.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        self.update_counts()
        self._restore()
        self.inbox.table.setFocus()

    def update_counts(self) -> None:
        pending = store.count_items(self._db, statuses=("pending",))
        escalated = store.count_items(self._db, statuses=("escalated",))
        spend = store.month_cost(self._db, month_start=month_start())
        money = (
            f"${spend:,.2f}" if spend >= 1 or spend == 0 else f"${spend:.4f}"
        )  # cents hide small spend
        self.counts.setText(
            f"{pending:,} pending · {escalated:,} escalated · {money} spent this month"
        )

    def _restore(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)
