"""The app, started along the path ``signoff`` takes, that tells a test what it shows.

``python -m tests.helpers.app_driver``: once the window is up, each line ``state`` read on
stdin is answered with one JSON line on stdout (the window shown or not, the tab, the item
open in the inbox, schedules paused, the tray icon and where it is, whether the desktop's
notification server was reached). The test acts only as a person would, through real X
events and D-Bus; this only reports.
"""

from __future__ import annotations

import json
import sys

from desktop_app.__main__ import main


def _state(window) -> dict:
    notifier = window.notifier
    tray = notifier.tray
    rect = tray.geometry() if tray is not None else None
    selected = window.inbox.selected_ids()
    return {
        "visible": window.isVisible(),
        "window": int(window.winId()),
        "tab": window.tabs.tabText(window.tabs.currentIndex()),
        "item": selected[0] if len(selected) == 1 else None,
        "paused": window.schedules.paused,
        "tray": tray is not None and tray.isVisible(),
        "tray_rect": [rect.x(), rect.y(), rect.width(), rect.height()] if rect else None,
        "desktop_notifications": notifier.desktop is not None and notifier.desktop.available,
        "menu": _menu(notifier),
    }


def _menu(notifier) -> dict[str, list[int]]:
    """Where each entry of the tray's menu is on the screen, while the menu is open."""
    menu = getattr(notifier, "_menu", None)
    if menu is None or not menu.isVisible():
        return {}
    where = {}
    for action in menu.actions():
        if action.text():
            centre = menu.mapToGlobal(menu.actionGeometry(action).center())
            where[action.text()] = [centre.x(), centre.y()]
    return where


def _ready() -> None:
    from PySide6.QtCore import QSocketNotifier
    from PySide6.QtWidgets import QApplication

    (window,) = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]

    def answer() -> None:
        line = sys.stdin.readline()
        if not line:  # the test went away
            QApplication.instance().quit()
            return
        if line.strip() == "state":
            print(json.dumps(_state(window)), flush=True)

    reader = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read, window)
    reader.activated.connect(answer)
    print("ready", flush=True)


if __name__ == "__main__":
    main(when_ready=_ready)
