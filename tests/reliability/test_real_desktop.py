"""Signoff on a real desktop: an X server, a session D-Bus, a real XEmbed tray (trayer) and a
notification server, all started by the test; the app started as ``signoff`` starts it, on
Qt's xcb platform. Everything is done as a person would, with real X events (xdotool, and
the close message a window manager sends) and a click on the notification at the server.

- the tray icon appears in the tray;
- a scheduled run's new items reach the desktop's notification server, and clicking that
  notification opens the window on the item;
- closing the window keeps Signoff running in the tray (and says so once, as a
  notification); clicking the icon brings the window back;
- the tray menu's Open Signoff, Pause all schedules and Quit do what they say.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.helpers.desktop_session import Desktop, missing_tools
from tests.helpers.schedules import due_support_digest

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"no real desktop here: {', '.join(missing_tools())} not installed"
    " (.ci/run installs them: apt-get install xvfb xdotool trayer dbus)",
)


@pytest.fixture
def desktop(tmp_path):
    session = Desktop(tmp_path / "desktop").start()
    yield session
    session.stop()


class App:
    """The app's process; ``state()`` asks it what it shows (tests/helpers/app_driver.py)."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.app_driver"], cwd=REPO_ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        assert line == "ready", f"the app did not start: {line!r} {self.proc.stderr.read()}"

    def state(self) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("state\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)  # and its pipes closed


@pytest.mark.heavy  # 10 s: the reliability suite runs it (README)
def test_tray_notifications_and_menu_on_a_real_desktop(tmp_path, desktop, llm_server):
    home = tmp_path / "home"
    home.mkdir()
    workflows = tmp_path / "workflows"
    shutil.copytree(REPO_ROOT / "workflows", workflows)
    due_support_digest(home, workflows, llm_server)
    env = dict(
        desktop.env,
        QT_QPA_PLATFORM="xcb",
        SIGNOFF_HOME=str(home),
        SIGNOFF_WORKFLOWS=str(workflows),
        HOME=str(tmp_path / "user"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    app = App(env)
    try:
        _check(app, desktop, home)
    finally:
        app.end()


def click_icon(app: App, desktop: Desktop, button: int, outcome, what: str):
    """Click the tray icon where it is now; ``outcome()`` once it shows. A click a moment
    after the window was hidden was sometimes not taken (about 1 run in 3 here, never
    twice in a row): a person clicks again, and so does this, up to three times."""
    for _ in range(3):
        x, y, width, height = app.state()["tray_rect"]
        desktop.click_at(x + width // 2, y + height // 2, button)
        try:
            return desktop.wait_for(outcome, what, 4)
        except AssertionError:
            continue
    raise AssertionError(f"no {what} after three clicks on the tray icon")


def _check(app: App, desktop: Desktop, home) -> None:
    # The tray icon is in trayer's panel (32 px high at the top of the screen).
    shown = desktop.wait_for(
        lambda: (s := app.state())["tray"] and s["tray_rect"][2] and s, "the icon"
    )
    _x, y, width, height = shown["tray_rect"]
    assert width > 0 and height > 0 and y + height <= 32, shown["tray_rect"]
    assert desktop.wait_for(lambda: app.state()["desktop_notifications"], "the D-Bus server")

    # The schedule's run (first tick 5 s after the start) reaches the notification server.
    def new_items():
        return [n for n in desktop.notifications() if "support-digest" in n["body"]]

    (notice,) = desktop.wait_for(new_items, "a notification of new items", timeout=40)
    assert notice["app"] == "Signoff" and "default" in notice["actions"], notice
    assert notice["hints"]["desktop-entry"] == "signoff"
    with sqlite3.connect(home / "signoff.db") as db:
        (first,) = db.execute(
            "SELECT min(id) FROM items WHERE workflow = 'support-digest' AND status = 'pending'"
        ).fetchone()
    assert first is not None

    # Closing the window (as a window manager's close button does) keeps Signoff running in
    # the tray, and says so once.
    desktop.close_window(shown["window"])
    desktop.wait_for(lambda: not app.state()["visible"], "the window to hide")
    assert app.proc.poll() is None
    told = desktop.wait_for(
        lambda: [n for n in desktop.notifications() if "keeps running" in n["summary"]],
        "the keeps-running notice",
    )
    assert len(told) == 1 and not told[0]["actions"]

    # Clicking the notification opens the window on its item.
    desktop.click_notification(notice["id"])
    opened = desktop.wait_for(lambda: (s := app.state())["visible"] and s["item"] and s, "the item")
    assert opened["tab"] == "Inbox" and opened["item"] == first, opened

    # Closed again; a click on the tray icon brings it back.
    desktop.close_window(opened["window"])
    desktop.wait_for(lambda: not app.state()["visible"], "the window to hide")
    click_icon(app, desktop, 1, lambda: app.state()["visible"], "the window")

    def menu_entry(text: str) -> None:
        """Right-click the icon, then click the entry where the open menu shows it."""
        where = click_icon(app, desktop, 3, lambda: app.state()["menu"], "the tray menu")
        assert list(where) == ["Open Signoff", "Pause all schedules", "Quit"], where
        desktop.click_at(*where[text])

    menu_entry("Pause all schedules")
    assert desktop.wait_for(lambda: app.state()["paused"], "schedules paused")
    menu_entry("Pause all schedules")
    desktop.wait_for(lambda: not app.state()["paused"], "schedules running again")

    desktop.close_window(app.state()["window"])
    desktop.wait_for(lambda: not app.state()["visible"], "the window to hide")
    menu_entry("Open Signoff")
    desktop.wait_for(lambda: app.state()["visible"], "the window from the menu's Open")

    menu_entry("Quit")
    assert app.proc.wait(timeout=20) == 0
    assert len([n for n in desktop.notifications() if "keeps running" in n["summary"]]) == 1
    assert os.path.exists(home / "signoff.db")
