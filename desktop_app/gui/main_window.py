"""The main window: Inbox, Workflows, Activity and Settings tabs, a status bar with counts and this month's spend.

Window geometry and the last view are restored on the next start (QSettings).
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
from PySide6.QtCore import QByteArray, QSettings, QTimer
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget

from desktop_app.gui.activity_view import ActivityView
from desktop_app.gui.inbox_view import InboxView
from desktop_app.gui.settings_view import SettingsView
from desktop_app.gui.tasks import DbWorker
from desktop_app.gui.workflows_view import WorkflowsView
from desktop_app.storage import store
from desktop_app.storage.store import month_start


class MainWindow(QMainWindow):
    def __init__(
        self,
        db: sqlite_utils.Database,
        worker: DbWorker,
        *,
        db_path: Path,
        workflows_dir: Path,
        icon: QIcon | None = None,
    ):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Signoff")
        if icon is not None:
            self.setWindowIcon(icon)
        self._db = db
        self.inbox = InboxView(db, worker, self)
        self.workflows = WorkflowsView(db_path, workflows_dir, worker, self)
        self.activity = ActivityView(db, db_path, self)
        self.settings = SettingsView(db_path.parent, workflows_dir, db_path, self)
        self.tabs = QTabWidget(objectName="mainTabs")
        self.tabs.addTab(self.inbox, "Inbox")
        self.tabs.addTab(self.workflows, "Workflows")
        self.tabs.addTab(self.activity, "Activity")
        self.tabs.addTab(self.settings, "Settings")
        self.setCentralWidget(self.tabs)
        self.counts = QLabel(objectName="statusCounts")
        self.statusBar().addPermanentWidget(self.counts)
        # Items streaming in from a run refresh the inbox at most a few times a second.
        self._inbox_timer = QTimer(self, singleShot=True, interval=400)
        self._inbox_timer.timeout.connect(self._refresh_inbox)
        self.workflows.items_made.connect(self._inbox_timer.start)
        self.inbox.decided.connect(lambda *_: self.update_counts())
        # The log reloads (one page) whenever it is shown, and when new events arrive while it is.
        self.inbox.decided.connect(lambda *_: self._refresh_activity_if_shown())
        self.workflows.items_made.connect(self._refresh_activity_if_shown)
        self.tabs.currentChanged.connect(lambda _index: self._refresh_activity_if_shown())
        self.settings.changed.connect(self.workflows.show_run_defaults)
        for view in (self.inbox, self.workflows, self.activity, self.settings):
            view.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.update_counts()
        self._restore()
        self.settings.setup_needed.connect(self._welcome)

    def _welcome(self) -> None:
        """First start: show Settings with the welcome, and look for a local model server."""
        self.tabs.setCurrentWidget(self.settings)
        self.settings.welcome.show()
        self.settings.find_local()

    def _refresh_activity_if_shown(self) -> None:
        if self.tabs.currentWidget() is self.activity and not self.activity.job.running:
            self.activity.reload()

    def _refresh_inbox(self) -> None:
        self.inbox.reload_keeping_selection()
        self.update_counts()

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
        tab = settings.value("window/tab", 0)
        self.tabs.setCurrentIndex(int(tab) if str(tab).isdigit() else 0)
        focus = getattr(self.tabs.currentWidget(), "table", None)
        if focus is not None:
            focus.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:
        for timer in self.findChildren(
            QTimer
        ):  # nothing fires once the window (and its database) is gone
            timer.stop()
        if self.workflows.job.running:
            self.workflows.job.cancel()
            self.workflows.job.wait(30)
        self.activity.job.wait(60)  # an export under way finishes rather than leaving a .part file
        self.settings.job.wait(30)
        self.settings.key_job.wait(30)
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/tab", self.tabs.currentIndex())
        super().closeEvent(event)
