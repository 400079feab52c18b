"""Which system libraries a shared object cannot load, and how to install them.

Qt's xcb platform plugin needs a dozen X11 libraries that a bare Debian or Fedora lacks.
When one is missing Qt prints a message naming the wrong library (``xcb-cursor0``, whatever
is really missing) and aborts. ``missing`` asks the system's own loader instead: the plugin
is loaded once (the window would load it a moment later anyway); only when that fails is
``ldd`` asked, to name every library missing, not only the first.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package), for what Qt's xcb plugin needs.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}

# What the README's start section lists: the packages Qt's xcb plugin needs beyond a base
# system (the packages .ci/run installs for the real-desktop tests).
XCB_DEBIAN = (
    "libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0"
)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_CANNOT_LOAD = re.compile(r"([^\s:]+\.so[.\d]*): ")


def missing(shared_object: Path) -> list[str]:
    """The sonames ``shared_object`` needs that this system cannot load; [] if it loads."""
    try:
        ctypes.CDLL(str(shared_object), mode=ctypes.RTLD_LOCAL)
        return []
    except OSError as failure:
        said = _messages(failure)
    first = [Path(m).name for m in _CANNOT_LOAD.findall(said)]
    first = [name for name in first if name != shared_object.name]
    names = _from_ldd(shared_object) or first
    if not names:  # nothing named: say what the loader said, rather than nothing
        return [f"{shared_object.name} ({said.strip()})"]
    return sorted(set(names), key=names.index)


def _messages(failure: BaseException) -> str:
    """The loader's words. A frozen bundle's ctypes (PyInstaller's) raises its own error
    ("Failed to load dynlib…") from the loader's, which names the library."""
    said: list[str] = []
    seen: BaseException | None = failure
    while seen is not None and len(said) < 5:
        said.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(said)


def _from_ldd(shared_object: Path) -> list[str]:
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        done = subprocess.run([ldd, str(shared_object)], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    # "libfoo.so.1 => not found"; or, for a library that is there but cannot be loaded
    # (a broken file first on the library path), ldd stops with that one library's name.
    names = _NOT_FOUND.findall(done.stdout)
    if not names:
        names = [Path(m).name for m in _CANNOT_LOAD.findall(done.stderr)]
    return [n for n in names if n != shared_object.name]


def install_hint(sonames: list[str]) -> str:
    """``sudo apt install …`` (Debian, Ubuntu) or ``sudo dnf install …`` (Fedora)."""
    debian = [PACKAGES[n][0] for n in sonames if n in PACKAGES]
    fedora = [PACKAGES[n][1] for n in sonames if n in PACKAGES]
    if not debian:
        return "install the package that provides it with your system's package manager"
    unique_fedora = " ".join(dict.fromkeys(fedora))
    return (
        f"install with `sudo apt install {' '.join(debian)}` (Debian, Ubuntu)"
        f" or `sudo dnf install {unique_fedora}` (Fedora)"
    )
