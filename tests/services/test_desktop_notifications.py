"""Desktop notifications over a real session D-Bus (a dbus-daemon the test starts) to the
test's notification server: what arrives, what a click reports, and nothing where no
server answers."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from desktop_app.services.desktop_notifications import DesktopNotifications
from tests.helpers.desktop_session import Desktop

pytestmark = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None, reason="dbus-daemon not installed (apt-get install dbus)"
)


def _started(monkeypatch, desktop: Desktop) -> tuple[DesktopNotifications, list, threading.Event]:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    clicks: list = []
    answered = threading.Event()
    notifications = DesktopNotifications(
        "Signoff", "signoff", clicks.append, on_ready=lambda _ok: answered.set()
    )
    notifications.start()
    assert answered.wait(5)
    return notifications, clicks, answered


def test_a_notification_arrives_and_its_click_reports_the_item(tmp_path, monkeypatch):
    desktop = Desktop(tmp_path).start_bus(notifications=True)
    try:
        notifications, clicks, _ = _started(monkeypatch, desktop)
        assert notifications.available and notifications.server == "signoff-test-notifications"
        notifications.send("2 new items to review", "support-digest: <b>wait</b> & see", 42,
                           urgent=True)  # fmt: skip
        notifications.send("Signoff keeps running", "in the tray", None)
        first, second = desktop.wait_for(
            lambda: len(desktop.notifications()) == 2 and desktop.notifications(), "both", 5
        )
        assert first["summary"] == "2 new items to review"
        # this server does not take markup: the text goes as it is
        assert first["body"] == "support-digest: <b>wait</b> & see"
        assert first["actions"] == ["default", "Open", "open", "Open"]
        assert first["hints"] == {"desktop-entry": "signoff", "urgency": 2}
        assert second["actions"] == [] and second["hints"]["urgency"] == 1

        desktop.click_notification(second["id"])  # names no item: the window opens
        desktop.click_notification(first["id"], "open")
        assert desktop.wait_for(lambda: len(clicks) == 2 and clicks, "the clicks", 5) == [None, 42]
        desktop.click_notification(first["id"])  # closed once clicked: a stale id is ignored
        time.sleep(0.2)
        assert clicks == [None, 42]
        notifications.close()
    finally:
        desktop.stop()


def test_without_a_notification_server_nothing_is_sent_and_nothing_waits(tmp_path, monkeypatch):
    desktop = Desktop(tmp_path).start_bus(notifications=False)
    try:
        began = time.monotonic()
        notifications, _, _ = _started(monkeypatch, desktop)
        assert not notifications.available
        assert time.monotonic() - began < 1  # the bus says at once that nobody owns the name
        notifications.send("title", "text", 1)  # a no-op, not an error
        notifications.close()
    finally:
        desktop.stop()


def test_without_a_session_bus_it_is_simply_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    answered = threading.Event()
    notifications = DesktopNotifications("Signoff", "signoff", print, lambda _ok: answered.set())
    notifications.start()
    assert answered.wait(5) and not notifications.available
    notifications.close()
