"""Start Signoff at login: an XDG autostart entry on Linux (``$XDG_CONFIG_HOME/autostart``).

Other systems are not supported yet; ``supported()`` says so and the window hides the
option there.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from desktop_app.core.errors import KnownError

ENTRY = "signoff.desktop"


def supported() -> bool:
    return sys.platform.startswith("linux")


def entry_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "autostart" / ENTRY


def _command(data_dir: Path | None) -> str:
    # a frozen bundle's executable is Signoff itself; else this Python runs the package
    parts = (
        [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "desktop_app"]
    )
    if data_dir is not None:
        parts += ["--data-dir", str(data_dir)]
    return " ".join(shlex.quote(p) for p in parts)


def is_enabled() -> bool:
    return entry_path().is_file()


def set_enabled(on: bool, data_dir: Path | None = None) -> Path:
    """Write or remove the autostart entry; returns its path."""
    if not supported():
        raise KnownError("starting at login is only available on Linux for now")
    path = entry_path()
    if not on:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Signoff\n"
        "Comment=Approve, edit or reject what your AI workflows produce\n"
        f"Exec={_command(data_dir)}\n"
        "Icon=signoff\n"
        "X-GNOME-Autostart-enabled=true\n"
        "Terminal=false\n"
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
