"""A small freedesktop notification server on the session D-Bus, for the real-desktop tests.

``python -m tests.helpers.notification_server RECORD.jsonl`` owns
``org.freedesktop.Notifications``, writes one JSON line for each notification that arrives,
and answers the methods a client asks before sending. A test clicks a notification as a
person would by calling ``Click(id, action)`` on ``org.signoff.TestNotifications``: the
server emits ``ActionInvoked`` and then ``NotificationClosed`` (reason 2, dismissed by the
user), as desktop servers do.
"""

from __future__ import annotations

import json
import sys

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
CONTROL = "org.signoff.TestNotifications"


def click(connection: DBusConnection, number: int, action: str = "default") -> None:
    """Click notification ``number`` (from a test's own bus connection)."""
    address = DBusAddress(PATH, bus_name=NAME, interface=CONTROL)
    reply = connection.send_and_get_reply(
        new_method_call(address, "Click", "us", (number, action)), timeout=5
    )
    if reply.header.message_type == MessageType.error:
        raise RuntimeError(f"Click failed: {reply.body}")


def serve(record_path: str) -> None:
    connection = open_dbus_connection(bus="SESSION")
    reply = connection.send_and_get_reply(message_bus.RequestName(NAME, 4))  # 4: do not queue
    if reply.body != (1,):  # 1: primary owner
        raise SystemExit(f"could not own {NAME}: {reply.body}")
    emitter = DBusAddress(PATH, interface=NAME)
    print("ready", flush=True)
    last = 0
    with open(record_path, "a", encoding="utf-8") as record:
        while True:
            message = connection.receive()
            if message.header.message_type != MessageType.method_call:
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "Notify":
                app, _replaces, icon, summary, body, actions, hints, timeout = message.body
                last += 1
                entry = {
                    "id": last, "app": app, "icon": icon, "summary": summary, "body": body,
                    "actions": list(actions), "hints": {k: v[1] for k, v in hints.items()},
                    "timeout": timeout,
                }  # fmt: skip
                record.write(json.dumps(entry) + "\n")
                record.flush()
                connection.send(new_method_return(message, "u", (last,)))
            elif member == "GetCapabilities":
                connection.send(new_method_return(message, "as", (["actions", "body"],)))
            elif member == "GetServerInformation":
                info = ("signoff-test-notifications", "signoff", "1.0", "1.2")
                connection.send(new_method_return(message, "ssss", info))
            elif member == "CloseNotification":
                connection.send(new_method_return(message))
            elif member == "Click":
                number, action = message.body
                connection.send(new_signal(emitter, "ActionInvoked", "us", (number, action)))
                connection.send(new_signal(emitter, "NotificationClosed", "uu", (number, 2)))
                connection.send(new_method_return(message))
            else:
                error = "org.freedesktop.DBus.Error.UnknownMethod"
                connection.send(new_error(message, error, "s", (f"no method {member}",)))


if __name__ == "__main__":
    serve(sys.argv[1])
