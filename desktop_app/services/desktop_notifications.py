"""Desktop notifications through the freedesktop notification service, where one runs.

Qt's tray icon, next to an XEmbed tray (trayer, stalonetray, XFCE's panel), draws its own
balloon under the icon; on GNOME there is no tray at all. Desktops show notifications sent
to ``org.freedesktop.Notifications`` on the session D-Bus in their own place (and keep them
in their notification list), tray or not. Each notification names the item it is about:
clicking it (the "default" action, or its Open button) reports that item.

Everything on the bus happens on this module's one thread (jeepney, which keyring already
needs on Linux): the window never waits for the bus, and a bus that does not answer makes
``available`` stay False, so the window falls back to the tray balloon and its banner.
"""

from __future__ import annotations

import html
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
TIMEOUT_S = 2.0  # a notification server answers at once; one that does not is not used
SHOWN_MS = 8000


@dataclass(frozen=True)
class _Send:
    summary: str
    body: str
    item_id: int | None
    urgent: bool


_STOP = object()


class DesktopNotifications:
    """``on_click(item_id)`` and ``on_ready(available)`` are called from this object's thread."""

    def __init__(
        self,
        app_name: str,
        desktop_entry: str,
        on_click: Callable[[int | None], object],
        on_ready: Callable[[bool], object] | None = None,
    ):
        self.app_name = app_name
        self.desktop_entry = desktop_entry
        self._on_click = on_click
        self._on_ready = on_ready
        self._queue: queue.Queue[Any] = queue.Queue()
        self._items: dict[int, int | None] = {}  # notification id -> the item it names
        self._thread: threading.Thread | None = None
        self.available = False
        self._markup = False
        self._actions = False
        self.server = ""  # the notification server's name, once it answered

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="notifications", daemon=True)
            self._thread.start()

    def send(self, summary: str, body: str, item_id: int | None, *, urgent: bool = False) -> None:
        """Queue one notification (nothing happens where no server answered)."""
        if self.available:
            self._queue.put(_Send(summary, body, item_id, urgent))

    def close(self) -> None:
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S + 1)

    def _ready(self, available: bool) -> None:
        self.available = available
        if self._on_ready is not None:
            self._on_ready(available)

    def _serve(self) -> None:
        if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
            self._ready(False)  # Windows and macOS: Qt's tray messages are the native ones
            return
        from contextlib import ExitStack

        with ExitStack() as stack:
            try:
                from jeepney.io.threading import open_dbus_router

                router = stack.enter_context(open_dbus_router(bus="SESSION"))
            except Exception:  # no jeepney, no session bus, or a bus refusing us
                self._ready(False)
                return
            self._run(router)

    def _run(self, router: Any) -> None:
        from jeepney import DBusAddress, MatchRule, message_bus, new_method_call

        address = DBusAddress(PATH, bus_name=SERVICE, interface=SERVICE)
        try:
            info = _call(router, new_method_call(address, "GetServerInformation"))
            (capabilities,) = _call(router, new_method_call(address, "GetCapabilities"))
            for member in ("ActionInvoked", "NotificationClosed"):
                rule = MatchRule(type="signal", interface=SERVICE, path=PATH, member=member)
                _call(router, message_bus.AddMatch(rule))
                router.filter(rule, queue=self._queue)
        except Exception:  # no server, or one that does not answer in time
            self._ready(False)
            return
        self.server = str(info[0]) if info else ""
        self._markup = "body-markup" in capabilities  # then < and & must be escaped
        self._actions = "actions" in capabilities
        self._ready(True)
        self._loop(router, address)

    def _loop(self, router: Any, address: Any) -> None:
        from jeepney import HeaderFields, new_method_call

        while True:
            message = self._queue.get()
            if message is _STOP:
                return
            if isinstance(message, _Send):
                hints: dict[str, tuple[str, object]] = {
                    "desktop-entry": ("s", self.desktop_entry),
                    "urgency": ("y", 2 if message.urgent else 1),  # critical, or normal
                }
                wanted = self._actions and message.item_id is not None
                actions = ["default", "Open", "open", "Open"] if wanted else []
                body = html.escape(message.body, quote=False) if self._markup else message.body
                call = new_method_call(
                    address,
                    "Notify",
                    "susssasa{sv}i",
                    (self.app_name, 0, self.desktop_entry, message.summary, body,
                     actions, hints, SHOWN_MS),
                )  # fmt: skip
                try:
                    (number,) = _call(router, call)
                except Exception:
                    continue  # the server went away: this one is lost, the banner has it
                self._items[int(number)] = message.item_id
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "ActionInvoked":
                number, _action = message.body
                if int(number) in self._items:
                    self._on_click(self._items[int(number)])
            elif member == "NotificationClosed":
                self._items.pop(int(message.body[0]), None)


def _call(router: Any, message: Any) -> tuple:
    """One method call and its reply's body; an error reply raises."""
    from jeepney import MessageType

    reply = router.send_and_get_reply(message, timeout=TIMEOUT_S)
    if reply.header.message_type == MessageType.error:
        raise RuntimeError(str(reply.body[0]) if reply.body else "D-Bus error")
    return tuple(reply.body)
