"""The app started in a process of its own, along the path `signoff` takes, until its window is up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent, indent

from tests.conftest import REPO_ROOT

_SCRIPT = """\
from desktop_app.__main__ import main
def ready():
    from PySide6.QtWidgets import QApplication, QTableView
    (window,) = [w for w in QApplication.topLevelWidgets() if w.objectName() == 'mainWindow']
    inbox = window.findChild(QTableView, 'inboxView')
{body}
    QApplication.instance().quit()
main(when_ready=ready)
"""


def run_until_ready(tmp_path: Path, data: Path, body: str) -> subprocess.CompletedProcess:
    """Start Signoff on the data folder ``data`` and run ``body`` once its window is ready
    (``window`` and ``inbox``, its list, at hand); the app then quits."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        SIGNOFF_HOME=str(data),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        HOME=str(tmp_path / "home"),
    )
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(body=indent(dedent(body), "    "))],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
