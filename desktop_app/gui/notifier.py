"""Notifications: the desktop's own (D-Bus) where a notification server runs, else a tray
balloon where a tray exists, and always the in-window banner.

The banner (``notificationBanner``) keeps the latest notice, with Open (the item) and
Dismiss; where there is no tray or notification service (e.g. a bare X session) it is the
only place, and nothing breaks. Clicking a desktop notification or a balloon opens the item
it names. Quiet hours hold back pop-ups; muted workflows say nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    from datetime import datetime

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QSystemTrayIcon

    from desktop_app.services.desktop_notifications import DesktopNotifications
    from desktop_app.services.notices import Notice

BALLOON_MS = 8000
WARNINGS = ("budget", "escalated", "action_failed", "expired", "schedule_failed")


class Banner(QFrame):
    """Hidden until the first notice; its contents are built then (not at the window's start)."""

    open_item = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("notificationBanner")
        self._item_id: int | None = None
        self.hide()

    def _build(self) -> None:
        self.setStyleSheet(
            "#notificationBanner { background: #e8f0fe; border: 1px solid #aecbfa;"
            " border-radius: 4px; }"
        )
        self.text = plain_label("notificationText")
        self.open_button = named(QPushButton("Open"), "notificationOpen")
        self.dismiss_button = named(QPushButton("Dismiss"), "notificationDismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.dismiss_button)
        self.open_button.clicked.connect(self._open)
        self.dismiss_button.clicked.connect(self.hide)

    def show_notice(self, notice: Notice, more: int = 0) -> None:
        if not hasattr(self, "text"):
            self._build()
        extra = f"  (+{more} more)" if more else ""
        self.text.setText(f"{notice.title} — {notice.text}{extra}")
        self._item_id = notice.item_id
        self.open_button.setVisible(notice.item_id is not None)
        self.show()

    def _open(self) -> None:
        if self._item_id is not None:
            self.open_item.emit(self._item_id)
        self.hide()


class Notifier(QObject):
    open_item = Signal(int)
    open_window = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()
    _desktop_clicked = Signal(object)  # from the notification thread: the item id, or None

    def __init__(self, banner: Banner, parent: QObject | None = None):
        super().__init__(parent)
        self.banner = banner
        self.banner.open_item.connect(self.open_item)
        self.tray: QSystemTrayIcon | None = None
        self.icon: QIcon | None = None  # the tray's: the window's, once it is made
        self._last_item: int | None = None
        self.desktop: DesktopNotifications | None = None
        self._desktop_clicked.connect(self._notification_clicked)
        self.shown: list[Notice] = []  # every notice shown, newest last (for tests and a log)

    def start_tray(self) -> bool:
        """Put Signoff in the tray where there is one; True if it is there.

        Called once the window is up: on a desktop, reaching the tray goes over D-Bus.
        (``QSystemTrayIcon`` is named here, not at import: making its class is part of the
        start's cost otherwise.)"""
        from PySide6.QtGui import QIcon
        from PySide6.QtWidgets import QSystemTrayIcon

        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = self._make_tray(self.icon or QIcon())
        return self.tray is not None

    def start_desktop_notifications(self) -> None:
        """Reach the desktop's notification server, off the UI thread (not on an offscreen
        or minimal platform: no desktop there, and tests must not notify the real one)."""
        from PySide6.QtGui import QGuiApplication

        if self.desktop is None and QGuiApplication.platformName() not in ("offscreen", "minimal"):
            from desktop_app.services.desktop_notifications import DesktopNotifications

            self.desktop = DesktopNotifications("Signoff", "signoff", self._desktop_clicked.emit)
            self.desktop.start()

    def _make_tray(self, icon: QIcon) -> QSystemTrayIcon:
        from PySide6.QtWidgets import QMenu, QSystemTrayIcon  # only where there is a tray

        tray = QSystemTrayIcon(icon, self)
        tray.setToolTip("Signoff")
        menu = QMenu()
        menu.addAction("Open Signoff", self.open_window.emit)
        self.pause_action = menu.addAction("Pause all schedules")
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.pause_toggled)
        menu.addSeparator()
        menu.addAction("Quit", self.quit_requested.emit)
        tray.setContextMenu(menu)
        self._menu = menu  # the tray does not own its menu
        tray.activated.connect(self._tray_activated)
        tray.messageClicked.connect(self._balloon_clicked)
        tray.show()
        return tray

    def _tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A click opens the window; so does a double click (the habit on Windows, and what
        # two clicks in quick succession are taken for: found by tests/reliability's tray).
        from PySide6.QtWidgets import QSystemTrayIcon

        opening = (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        )
        if reason in opening:
            self.open_window.emit()

    @property
    def has_tray(self) -> bool:
        return self.tray is not None

    def notify(
        self,
        notices: list[Notice],
        *,
        muted: tuple[str, ...] = (),
        quiet_hours: str = "",
        now: datetime | None = None,
    ) -> None:
        from datetime import datetime

        from desktop_app.services.notices import audible, is_quiet

        heard = audible(notices, muted)
        if not heard:
            return
        self.shown.extend(heard)
        first = heard[0]
        self.banner.show_notice(first, more=len(heard) - 1)
        if is_quiet(now or datetime.now(), quiet_hours):
            return
        rest = [f"{n.title}: {n.text}" for n in heard[1:3]]
        self.pop_up(first.title, "\n".join([first.text, *rest]), first.item_id,
                    urgent=first.kind in WARNINGS)  # fmt: skip

    def pop_up(self, title: str, text: str, item_id: int | None, *, urgent: bool = False) -> bool:
        """One notification outside the window: the desktop's, else the tray's balloon.
        False where there is neither."""
        if self.desktop is not None and self.desktop.available:
            self.desktop.send(title, text, item_id, urgent=urgent)
            return True
        if self.tray is None or not self.tray.supportsMessages():
            return False
        from PySide6.QtWidgets import QSystemTrayIcon

        self._last_item = item_id
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if urgent
            else QSystemTrayIcon.MessageIcon.Information
        )
        self.tray.showMessage(title, text, icon, BALLOON_MS)
        return True

    def _balloon_clicked(self) -> None:
        self._notification_clicked(self._last_item)

    def _notification_clicked(self, item_id: int | None) -> None:
        self.open_window.emit()
        if item_id is not None:
            self.open_item.emit(item_id)

    def stop(self) -> None:
        """The window closes for good: the tray icon goes, the notification thread ends."""
        if self.tray is not None:
            self.tray.hide()
        if self.desktop is not None:
            self.desktop.close()
