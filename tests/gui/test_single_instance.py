"""One Signoff per data folder: a second start brings the first forward and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from desktop_app.gui.single_instance import SingleInstance, server_name
from tests.conftest import REPO_ROOT
from tests.helpers.app_process import run_until_ready


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
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
        ):  # until the first app listens (just after its first paint)
            assert first.poll() is None, first.stderr.read()
            if _listening(name):
                break
            time.sleep(0.2)
        second = start_app(tmp_path)
        _out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "Signoff is already running: its window was brought forward." in err
        assert first.poll() is None  # the first one goes on
    finally:
        first.terminate()
        first.communicate(timeout=30)
    # Terminated, it left its lock file behind; the next start takes it over.
    again = SingleInstance(tmp_path / "data")
    assert again.claim()
    again.release()


def _listening(name: str) -> bool:
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    ok = sock.waitForConnected(100)
    sock.abort()
    return ok


def test_the_first_instance_hears_the_second(qtbot, tmp_path):
    first = SingleInstance(tmp_path)
    assert first.claim()
    first.listen()
    second = SingleInstance(tmp_path)
    with qtbot.waitSignal(first.activated, timeout=5000):
        assert not second.claim()
    assert second.answered
    assert second.holder_pid() == os.getpid()
    first.release()
    again = SingleInstance(tmp_path)
    assert again.claim()
    again.release()


def test_a_second_start_before_the_first_listens_waits_for_it(tmp_path):
    """The first start listens only after its first paint; a second start in that moment
    keeps trying rather than giving up."""
    code = (
        "import sys, time\n"
        "from PySide6.QtCore import QCoreApplication, QTimer\n"
        "from desktop_app.gui.single_instance import SingleInstance\n"
        "app = QCoreApplication([])\n"
        "first = SingleInstance(sys.argv[1])\n"
        "assert first.claim()\n"
        "print('claimed', flush=True)\n"
        "first.activated.connect(lambda: (print('activated', flush=True), app.quit()))\n"
        "QTimer.singleShot(800, first.listen)\n"
        "QTimer.singleShot(20000, app.quit)\n"
        "app.exec()\n"
        "first.release()\n"
    )
    first = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip() == "claimed", first.stderr.read()
        second = SingleInstance(tmp_path)
        assert not second.claim()
        assert second.answered
        out, err = first.communicate(timeout=30)
        assert "activated" in out, err
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()


def test_the_lock_of_a_crashed_start_is_taken_over(tmp_path):
    """A start killed outright leaves its lock file behind; the next start takes it over."""
    code = (
        "import os, signal, sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "from desktop_app.gui.single_instance import SingleInstance\n"
        "app = QCoreApplication([])\n"
        "held = SingleInstance(sys.argv[1])\n"
        "assert held.claim()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=REPO_ROOT, capture_output=True, timeout=60
    )
    assert proc.returncode == -9, proc.stderr
    assert (tmp_path / "signoff.lock").exists()
    again = SingleInstance(tmp_path)
    assert again.claim()
    again.release()


def test_the_window_starts_along_the_path_signoff_takes_and_lets_go_of_the_folder(tmp_path):
    """What the start benchmark measures: `signoff` alone opens the window (no parser is
    built), ``when_ready`` runs at the first idle moment with garbage collection on again
    (it is paused while the app starts), and quitting releases the lock."""
    proc = run_until_ready(
        tmp_path,
        tmp_path / "data",
        """
        import gc
        print('ready', window.paths.data_dir, inbox.isVisible(), inbox.model().rowCount())
        print('collecting again:', gc.isenabled())
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"ready {tmp_path / 'data'} True 0" in proc.stdout  # the inbox shown (empty)
    assert "collecting again: True" in proc.stdout
    assert (tmp_path / "data" / "signoff.db").exists()
    assert not (tmp_path / "data" / "signoff.lock").exists()
