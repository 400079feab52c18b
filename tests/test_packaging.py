"""Installing like a desktop app (issue 17): the frozen bundle, the .deb and the .tar.gz.

The build itself takes minutes: those tests are marked ``bundle`` and run by ``.ci/run``
after the README's command (``pytest -m bundle tests/test_packaging.py``). They build once
into a temporary folder (or use the bundle ``SIGNOFF_BUNDLE_DIST`` names, built by
``python packaging/build.py``), then start the frozen app as a person would: a fresh data
folder, an empty ``PATH``, no Python of its own to lean on.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from desktop_app import __version__
from tests.conftest import BUNDLED_WORKFLOWS, REPO_ROOT


def _load_build():
    """packaging/build.py (not importable as ``build``: PyPI has a package of that name)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "signoff_packaging_build", REPO_ROOT / "packaging" / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def test_every_qt_module_the_code_imports_is_kept_in_the_bundle():
    """The bundle leaves out every Qt module not in ``USED_QT``: one imported anyway would
    make the frozen app fail where the venv works (QtNetwork did, for the single instance)."""
    imported = set()
    for path in (REPO_ROOT / "desktop_app").rglob("*.py"):
        imported |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert imported, "no Qt import found: the pattern is wrong"
    assert imported <= set(build.USED_QT), imported - set(build.USED_QT)


def test_the_desktop_entry_starts_signoff():
    entry = (REPO_ROOT / "resources" / "signoff.desktop").read_text(encoding="utf-8")
    assert "\nExec=signoff\n" in entry and "\nIcon=signoff\n" in entry
    assert "\nType=Application\n" in entry


# --- the build (minutes) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    given = os.environ.get("SIGNOFF_BUNDLE_DIST")
    if given:
        return Path(given)
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux build is tested here; Windows and macOS build on hosted runners")
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.skip('PyInstaller is not installed: pip install -e ".[build]"')
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "packaging" / "build.py"), "--dist", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def _frozen(dist: Path, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(dist / "signoff" / "signoff"), *args], env=_env(tmp_path, **env), cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh user: own home and data folder, an empty PATH, no Python variables."""
    return {
        "PATH": "",
        "HOME": str(tmp_path / "user"),
        "SIGNOFF_HOME": str(tmp_path / "data"),
        "LANG": "C.UTF-8",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        **extra,
    }


@pytest.mark.bundle
def test_the_frozen_app_answers_checks_and_runs_with_nothing_else(dist, tmp_path, llm_server):
    from tests.helpers.canned import answer_for
    from tests.helpers.llm_server import responder

    done = _frozen(dist, tmp_path, "--version")
    assert done.returncode == 0, done.stderr
    assert f"Signoff: {__version__}" in done.stdout and "litellm: 1." in done.stdout
    assert "Qt (PySide6): 6." in done.stdout

    done = _frozen(dist, tmp_path, "check")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok (") == BUNDLED_WORKFLOWS  # copied and valid

    llm_server.default = responder(answer_for)
    samples = tmp_path / "data" / "workflows" / "review-reply" / "samples"
    done = _frozen(dist, tmp_path, "run", "review-reply", "--input", str(samples),
                   "--model", "openai/test-model", "--api-base", llm_server.url)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"run \d+ finished: 4 input\(s\)", done.stdout), done.stdout


@pytest.mark.bundle
def test_the_frozen_window_runs_its_schedule_through_the_frozen_worker(dist, tmp_path, llm_server):
    """The window (offscreen) until it is ready, a due schedule run in it: its model calls
    go through the model worker, which in a bundle is the bundle's own executable."""
    from tests.helpers.schedules import due_support_digest

    assert _frozen(dist, tmp_path, "check").returncode == 0  # the data folder, made frozen
    home = tmp_path / "data"
    due_support_digest(home, home / "workflows", llm_server)

    window = subprocess.Popen(
        [str(dist / "signoff" / "signoff")], env=_env(tmp_path, QT_QPA_PLATFORM="offscreen"),
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # the window first takes the data folder's lock; a second start before that would be
        # the window itself (and never return)
        while not (home / "signoff.lock").exists():
            assert window.poll() is None, window.communicate()
            assert time.monotonic() < deadline, "the window took no lock"
            time.sleep(0.05)
        while True:  # ready: a second start finds it listening and brings it forward
            again = _frozen(dist, tmp_path, QT_QPA_PLATFORM="offscreen")
            if "brought forward" in again.stderr:
                break
            assert window.poll() is None, window.communicate()
            assert time.monotonic() < deadline, again.stderr
            time.sleep(0.3)

        def scheduled() -> tuple[int, int]:
            """Finished scheduled runs, and the items they made."""
            with sqlite3.connect(f"file:{home / 'signoff.db'}?mode=ro", uri=True) as conn:
                return conn.execute(
                    "SELECT count(DISTINCT r.id), count(i.id) FROM runs r"
                    " LEFT JOIN items i ON i.run_id = r.id"
                    " WHERE r.trigger IN ('schedule', 'catch-up') AND r.state = 'finished'"
                ).fetchone()

        while scheduled()[0] == 0:  # the first tick is 5 s after the start
            assert window.poll() is None, window.communicate()
            assert time.monotonic() < deadline + 30, "no scheduled run finished"
            time.sleep(0.5)
        # four .eml samples: one skipped by its rule, three answered through the worker
        assert scheduled() == (1, 3)
        # PySide6's support code kept compiled for the next start (core/pyside_support_cache)
        assert list((tmp_path / "user" / ".cache" / "Signoff").glob("pyside6-support.*"))
    finally:
        window.terminate()
        window.communicate(timeout=30)


@pytest.mark.bundle
def test_the_deb_and_the_tarball_hold_what_an_install_needs(dist):
    debs = list(dist.glob(f"signoff_{__version__}_*.deb"))
    if not debs:
        pytest.skip("no .deb: dpkg-deb is not installed")
    (deb,) = debs
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
    paths = {line.split()[-1] for line in listing.splitlines()}
    for needed in ("./usr/bin/signoff", "./opt/signoff/signoff",
                   "./usr/share/applications/signoff.desktop",
                   "./usr/share/icons/hicolor/scalable/apps/signoff.svg",
                   "./usr/lib/systemd/user/signoff-serve.service"):  # fmt: skip
        assert needed in paths, needed
    assert any(
        p.startswith("./opt/signoff/_internal/desktop_app/bundled_workflows/") for p in paths
    )
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    for package in [*build.XCB_DEBIAN.split(), "libegl1", "libfontconfig1"]:
        assert package in depends, package
    unpacked = dist / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    entry = (unpacked / "usr/share/applications/signoff.desktop").read_text()
    assert "\nExec=signoff\n" in entry
    unit = (unpacked / "usr/lib/systemd/user/signoff-serve.service").read_text()
    assert "\nExecStart=/usr/bin/signoff serve\n" in unit
    launcher = (unpacked / "usr/bin/signoff").read_text()
    assert 'exec /opt/signoff/signoff "$@"' in launcher
    assert os.access(unpacked / "usr/bin/signoff", os.X_OK)

    (tarball,) = dist.glob(f"signoff-{__version__}-linux-*.tar.gz")
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert f"signoff-{__version__}/signoff" in names
    assert not any("/translations/" in n for n in names)  # left out: the window is in English


@pytest.mark.bundle
def test_the_frozen_app_names_a_library_it_cannot_load(dist, tmp_path):
    """The bundle carries most X11 libraries itself; one that cannot be loaded (here the
    bundled copy made unreadable, in a copy of the bundle made of hard links) is named in
    one line, as from the venv."""
    copy = tmp_path / "copy"
    shutil.copytree(dist / "signoff", copy / "signoff", copy_function=os.link, symlinks=True)
    library = next((copy / "signoff" / "_internal").glob("libxcb-icccm.so.4"), None)
    if library is None:
        pytest.skip("this bundle does not carry libxcb-icccm (the system's is used)")
    library.unlink()
    library.write_bytes(b"")
    done = _frozen(copy, tmp_path, DISPLAY=":93")
    assert done.returncode == 1, done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if "signoff: error" in ln]
    assert "libxcb-icccm.so.4" in line and "sudo apt install libxcb-icccm4" in line
