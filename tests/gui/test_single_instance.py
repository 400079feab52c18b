"""One Signoff per data folder: a second start brings the first forward and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from desktop_app.gui.single_instance import SingleInstance, server_name
from tests.conftest import REPO_ROOT


def start_app(tmp_path) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"))
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO_ROOT,
    )


def test_a_second_start_brings_the_first_forward_and_exits(qtbot, tmp_path):
    first = start_app(tmp_path)
    try:
        name = server_name(tmp_path / "data")
        probe = SingleInstance(name)
        deadline = time.monotonic() + 60
        # Wait until the first app listens (a probe that finds nobody would take the name:
        # release it at once so the app can still claim it).
        while time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read()
            if os.path.exists(os.path.join("/tmp", name)) or _listening(name):
                break
            time.sleep(0.2)
        second = start_app(tmp_path)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "Signoff is already running: its window was brought forward." in err
        assert first.poll() is None  # the first one goes on
        probe.release()
    finally:
        first.terminate()
        first.communicate(timeout=30)


def _listening(name: str) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    ok = sock.waitForConnected(100)
    sock.abort()
    return ok


def test_the_first_instance_hears_the_second_and_a_stale_name_is_taken_over(qtbot, tmp_path):
    name = server_name(tmp_path / "elsewhere")
    first = SingleInstance(name)
    assert first.claim()
    with qtbot.waitSignal(first.activated, timeout=5000):
        assert not SingleInstance(name).claim()
    first.release()  # as after a crash: nobody answers any more
    again = SingleInstance(name)
    assert again.claim()
    again.release()
