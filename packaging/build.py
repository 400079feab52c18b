"""Build Signoff as a desktop app: a one-folder PyInstaller bundle, and on Linux a .deb and
a .tar.gz of it.

    pip install -e ".[build]"
    python packaging/build.py [--skip-bundle] [--dist DIR]

Writes ``dist/signoff/`` (its launcher ``dist/signoff/signoff``; the bundled workflows,
the resources, the icon and the ``.desktop`` file inside), then on Linux
``dist/signoff_VERSION_ARCH.deb`` (the bundle in ``/opt/signoff``, a launcher in
``/usr/bin``, the ``.desktop`` entry and the icon in their XDG places, Qt's X11 libraries
as ``Depends``) and ``dist/signoff-VERSION-linux-ARCH.tar.gz``. Prints the bundle's size.
Windows and macOS are built by ``.github/workflows/`` on hosted runners (docs/install.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app import __version__  # noqa: E402
from desktop_app.core.system_libraries import PACKAGES, XCB_DEBIAN  # noqa: E402

# The Qt modules Signoff imports (tests/test_packaging.py holds this to the code); every
# other one PySide6-Essentials ships is left out, so that no hook pulls it in.
USED_QT = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg", "QtSvgWidgets")


def unused_qt() -> list[str]:
    import PySide6

    shipped = {p.name.split(".")[0] for p in Path(PySide6.__file__).parent.glob("Qt*.*so")}
    shipped |= {p.name.split(".")[0] for p in Path(PySide6.__file__).parent.glob("Qt*.pyd")}
    return sorted(shipped - set(USED_QT))


# Never used by Signoff: the proxy server's extras (litellm's own proxy modules stay: its
# core imports some of them), test tools, Tk.
UNUSED_PYTHON = (
    "tkinter", "fastapi", "uvicorn", "gunicorn", "pytest", "hypothesis",
    # PyInstaller's runtime hook for pkg_resources imports it at every start (about 100 ms);
    # litellm falls back to it only where importlib.resources is missing (never, 3.10+)
    "pkg_resources", "setuptools",
    "mypy", "ruff", "IPython", "matplotlib", "numpy", "pandas", "boto3", "botocore",
)  # fmt: skip
# Runtime libraries the window needs from the system (the .deb's Depends), beyond libc.
DEB_DEPENDS = XCB_DEBIAN.split() + [
    PACKAGES[name][0]
    for name in ("libxcb.so.1", "libX11-xcb.so.1", "libxkbcommon.so.0", "libEGL.so.1",
                 "libGL.so.1", "libfontconfig.so.1", "libfreetype.so.6", "libdbus-1.so.3",
                 "libglib-2.0.so.0")
]  # fmt: skip


def bundle(dist: Path, work: Path) -> Path:
    import PyInstaller.__main__

    separator = os.pathsep
    args = [
        str(ROOT / "packaging" / "launcher.py"),
        "--name", "signoff", "--onedir", "--noconfirm", "--clean", "--console",
        "--distpath", str(dist), "--workpath", str(work / "build"), "--specpath", str(work),
        "--add-data", f"{ROOT / 'workflows'}{separator}desktop_app/bundled_workflows",
        "--add-data", f"{ROOT / 'resources'}{separator}desktop_app/resources",
        # litellm reads its price list and tokenizers from files beside its modules, and
        # imports provider modules by name; tiktoken finds its encodings through a plugin.
        "--collect-data", "litellm", "--collect-submodules", "litellm.llms",
        "--hidden-import", "tiktoken_ext.openai_public", "--hidden-import", "tiktoken_ext",
        # versions shown by --version and the About box
        "--copy-metadata", "litellm", "--copy-metadata", "PySide6-Essentials",
        # the search index's module loads lazily, as do the window's views
        "--collect-submodules", "desktop_app",
        # our runtime hook for PySide6 in place of PyInstaller's (packaging/hooks)
        "--additional-hooks-dir", str(ROOT / "packaging" / "hooks"),
        "--log-level", "WARN",
    ]  # fmt: skip
    if sys.platform == "darwin":  # a .app (dist/signoff.app), put in a .dmg below
        args += ["--windowed", "--osx-bundle-identifier", "org.signoff.Signoff"]
    elif sys.platform == "win32":  # started from the Start menu: no console window
        args += ["--hide-console", "hide-early"]
    for name in unused_qt():
        args += ["--exclude-module", f"PySide6.{name}"]
    for name in UNUSED_PYTHON:
        args += ["--exclude-module", name]
    PyInstaller.__main__.run(args)
    out = dist / "signoff"
    _prune(out)
    return out


def _prune(out: Path) -> None:
    """What PyInstaller copies and Signoff never loads: Qt's translations (the window is in
    English) and the plugins of Qt modules it does not use."""
    qt = out / "_internal" / "PySide6" / "Qt"
    shutil.rmtree(qt / "translations", ignore_errors=True)
    for unused in ("qmltooling", "designer", "sqldrivers", "multimedia", "position"):
        shutil.rmtree(qt / "plugins" / unused, ignore_errors=True)


def _size_mb(path: Path) -> float:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6
    )


def _arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def deb(bundle_dir: Path, dist: Path) -> Path:
    """The bundle as a Debian package, built with dpkg-deb."""
    root = dist / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle_dir, root / "opt" / "signoff", symlinks=True)
    launcher = root / "usr" / "bin" / "signoff"
    launcher.parent.mkdir(parents=True)
    launcher.write_text('#!/bin/sh\nexec /opt/signoff/signoff "$@"\n', encoding="utf-8")
    launcher.chmod(0o755)
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "signoff.desktop", applications / "signoff.desktop")
    units = root / "usr" / "lib" / "systemd" / "user"  # systemctl --user enable --now signoff-serve
    units.mkdir(parents=True)
    shutil.copyfile(ROOT / "packaging" / "signoff-serve.service", units / "signoff-serve.service")
    icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "signoff.svg", icons / "signoff.svg")
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    installed_kb = int(_size_mb(root) * 1000)
    control.write_text(
        "Package: signoff\n"
        f"Version: {__version__}\n"
        f"Architecture: {_arch()}\n"
        "Maintainer: Signoff <signoff@localhost>\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {', '.join(DEB_DEPENDS)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        "Description: supervisor's desk for small AI workflows\n"
        " Run narrowly scoped AI workflows on demand or on a timer, and approve, edit\n"
        " or reject every output in an inbox before anything happens with it, with a\n"
        " tamper-evident activity log.\n",
        encoding="utf-8",
    )
    out = dist / f"signoff_{__version__}_{_arch()}.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", str(root), str(out)], check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    shutil.rmtree(root)
    return out


def tarball(bundle_dir: Path, dist: Path) -> Path:
    out = dist / f"signoff-{__version__}-linux-{platform.machine().lower()}.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle_dir, arcname=f"signoff-{__version__}")
    return out


def dmg(dist: Path) -> Path:
    """macOS: dist/signoff.app in a compressed disk image (hdiutil ships with macOS)."""
    out = dist / f"Signoff-{__version__}-macos-{platform.machine().lower()}.dmg"
    subprocess.run(
        ["hdiutil", "create", "-volname", "Signoff", "-srcfolder", str(dist / "signoff.app"),
         "-ov", "-format", "UDZO", str(out)],
        check=True,
    )  # fmt: skip
    return out


def main() -> int:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # analysis imports litellm
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--skip-bundle", action="store_true", help="package dist/signoff as is")
    args = parser.parse_args()
    dist = args.dist.resolve()
    start = time.perf_counter()
    bundle_dir = dist / "signoff"
    if not args.skip_bundle:
        bundle_dir = bundle(dist, ROOT / "build")
    print(f"bundle: {bundle_dir} ({_size_mb(bundle_dir):.0f} MB)")
    if sys.platform.startswith("linux"):
        if shutil.which("dpkg-deb"):
            print(f"deb: {deb(bundle_dir, dist)}")
        else:
            print("deb: skipped (dpkg-deb not found: apt-get install dpkg)")
        print(f"tar.gz: {tarball(bundle_dir, dist)}")
    elif sys.platform == "darwin":
        print(f"dmg: {dmg(dist)}")
    elif sys.platform == "win32":
        name = f"signoff-{__version__}-windows-{platform.machine().lower()}"
        print(f"zip: {shutil.make_archive(str(dist / name), 'zip', dist, 'signoff')}")
    print(f"built in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
