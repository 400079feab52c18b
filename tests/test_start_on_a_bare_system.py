"""A system missing a library Qt's X11 plugin needs is told which, in one line, with the
command that installs it, before Qt aborts naming the wrong one (issue 17)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core import system_libraries
from tests.conftest import REPO_ROOT


def _plugin() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _plugin().exists(), reason="Linux's xcb plugin"
)


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
    environment.update(
        DISPLAY=":93",  # never reached: the check comes before any connection
        SIGNOFF_HOME=str(tmp_path / "home"),
        HOME=str(tmp_path / "user"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        **env,
    )
    environment.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app"], cwd=REPO_ROOT, env=environment,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _skip_without_every_library() -> None:
    absent = _libraries_absent(_plugin())
    if absent:
        pytest.skip(
            f"Qt's X11 libraries are not all installed ({absent}):"
            f" sudo apt install {system_libraries.XCB_DEBIAN}"
        )


def test_a_hidden_xcb_library_is_named_with_the_commands_that_install_it(tmp_path):
    _skip_without_every_library()  # one library hidden from an otherwise complete set
    hiding = tmp_path / "libs"
    hiding.mkdir()
    (hiding / "libxcb-icccm.so.4").write_bytes(b"")  # first on the path, and not loadable
    done = _start(tmp_path, LD_LIBRARY_PATH=str(hiding))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    (line,) = lines
    assert line.startswith("signoff: error: the window cannot open")
    assert "libxcb-icccm.so.4" in line
    assert "sudo apt install libxcb-icccm4" in line and "sudo dnf install xcb-util-wm" in line
    assert "xcb-cursor" not in line  # Qt's own message named this one, wrongly
    assert not (tmp_path / "home").exists()  # nothing was made before the check


def _libraries_absent(plugin: Path) -> str:
    """What the system's loader (``ldd``, apart from the check under test) says is not
    there for ``plugin``; empty when every library loads."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return "ldd is not installed"
    done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30)
    said = done.stdout + done.stderr
    absent = [
        line.strip()
        for line in said.splitlines()
        if "not found" in line or "error while loading" in line
    ]
    return "; ".join(absent)


def test_with_every_library_there_the_check_passes_quietly():
    """On a machine with Qt's X11 libraries the check says nothing. A fresh machine (a
    server, a container) may lack them: the test then skips, naming what to install."""
    _skip_without_every_library()
    assert system_libraries.missing(_plugin()) == []


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler to make a test library")
def test_libraries_not_found_are_all_named(tmp_path):
    """A shared object linked against two libraries that are then removed: both named
    (the loader alone names only the first; ldd's "=> not found" lines name each)."""
    absent = ["libsignoff-absent-one.so", "libsignoff-absent-two.so"]
    for name in absent:
        (tmp_path / f"{name}.c").write_text("int signoff_stub;\n")
        _cc(tmp_path, "-o", str(tmp_path / name), str(tmp_path / f"{name}.c"))
    (tmp_path / "needs.c").write_text("int signoff_probe(void) { return 1; }\n")
    needs = tmp_path / "libneeds.so"
    _cc(tmp_path, "-o", str(needs), str(tmp_path / "needs.c"), "-Wl,--no-as-needed",
        f"-L{tmp_path}", "-lsignoff-absent-one", "-lsignoff-absent-two")  # fmt: skip
    for name in absent:
        (tmp_path / name).unlink()
    assert system_libraries.missing(needs) == absent
    assert "install the package" in system_libraries.install_hint(absent)


def _cc(folder: Path, *args: str) -> None:
    done = subprocess.run(
        ["cc", "-shared", "-fPIC", *args], cwd=folder, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
