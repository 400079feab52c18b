"""A real desktop for the tests: an X server (Xvfb), a session D-Bus, an XEmbed tray
(trayer) and a notification server (tests/helpers/notification_server.py), each in its own
process; and the few things a person does to windows there, through real X events.

``missing_tools()`` names what is not installed (the tests skip, saying which); ``.ci/run``
installs them: ``apt-get install xvfb xdotool trayer dbus``.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import REPO_ROOT

TOOLS = ("Xvfb", "xdotool", "trayer", "dbus-daemon")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _first_line(proc: subprocess.Popen, what: str, timeout: float = 10) -> str:
    """The first line a starting helper prints (its display, address, or "ready")."""
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise RuntimeError(f"{what} did not start within {timeout} s")
    line = proc.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"{what} exited: {proc.poll()}")
    return line


@dataclass
class Desktop:
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def record(self) -> Path:
        """One JSON line for each notification the notification server received."""
        return self.root / "notifications.jsonl"

    def start(self) -> Desktop:
        self.root.mkdir(parents=True, exist_ok=True)
        xvfb = self._spawn(["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24",
                            "-nolisten", "tcp"])  # fmt: skip
        display = ":" + _first_line(xvfb, "Xvfb")
        self.start_bus(notifications=True)
        self.env["DISPLAY"] = display
        self.env.pop("WAYLAND_DISPLAY", None)
        self._spawn(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                     "--height", "32", "--SetDockType", "true"])  # fmt: skip
        self.wait_for(lambda: self.windows("panel"), "trayer's panel")
        return self

    def start_bus(self, *, notifications: bool) -> Desktop:
        """Only a session D-Bus (``env`` points at it), with the notification server or not."""
        self.root.mkdir(parents=True, exist_ok=True)
        bus = self._spawn(["dbus-daemon", "--session", "--nofork", "--print-address=1"])
        address = _first_line(bus, "dbus-daemon")
        self.env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        if notifications:
            server = self._spawn(
                [sys.executable, "-m", "tests.helpers.notification_server", str(self.record)]
            )
            _first_line(server, "the notification server")
        return self

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            argv, cwd=REPO_ROOT, env=self.env or None, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.processes.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def notifications(self) -> list[dict]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def click_notification(self, number: int, action: str = "default") -> None:
        from jeepney.io.blocking import open_dbus_connection

        from tests.helpers.notification_server import click

        bus = self.env["DBUS_SESSION_BUS_ADDRESS"]
        with open_dbus_connection(bus=bus) as connection:
            click(connection, number, action)

    def xdotool(self, *args: str | int) -> str:
        done = subprocess.run(
            ["xdotool", *map(str, args)], env=self.env, capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip()

    def windows(self, name: str) -> list[int]:
        """Mapped windows whose name matches ``name`` (a regular expression)."""
        return [int(w) for w in self.xdotool("search", "--onlyvisible", "--name", name).split()]

    def click_at(self, x: int, y: int, button: int = 1) -> None:
        # (not ``--sync``: it waits for a motion, forever when the pointer is there already)
        self.xdotool("mousemove", x, y, "sleep", "0.1", "click", button)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.xdotool("key", key)
            time.sleep(0.1)

    def close_window(self, window: int) -> None:
        """What a window manager's close button does: WM_DELETE_WINDOW to the window."""
        xlib = ctypes.CDLL("libX11.so.6")
        xlib.XOpenDisplay.restype = ctypes.c_void_p
        xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        xlib.XInternAtom.restype = ctypes.c_ulong
        xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                    ctypes.c_void_p]  # fmt: skip
        xlib.XFlush.argtypes = [ctypes.c_void_p]
        xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        display = xlib.XOpenDisplay(self.env["DISPLAY"].encode())
        if not display:
            raise RuntimeError("cannot open the test display")
        try:
            event = _XEvent()
            message = event.xclient
            message.type = 33  # ClientMessage
            message.window = window
            message.message_type = xlib.XInternAtom(display, b"WM_PROTOCOLS", 0)
            message.format = 32
            message.data[0] = xlib.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
            message.data[1] = 0  # CurrentTime
            xlib.XSendEvent(display, window, 0, 0, ctypes.byref(event))
            xlib.XFlush(display)
        finally:
            xlib.XCloseDisplay(display)

    def wait_for(self, condition, what: str, timeout: float = 15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout} s for {what}")


class _XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _XClientMessageEvent), ("pad", ctypes.c_long * 24)]
