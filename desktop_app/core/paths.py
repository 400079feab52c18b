"""Where Signoff keeps its data and finds its workflows.

Data folder: ``--data-dir``, else ``SIGNOFF_HOME``, else the platform's user
data folder. Workflows folder: ``--workflows``, else ``SIGNOFF_WORKFLOWS``, else
``<data>/workflows``, seeded from the bundled examples the first time.
"""

from __future__ import annotations

import os
import posixpath
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from desktop_app.core.errors import KnownError

if TYPE_CHECKING:
    from desktop_app.core.bundled import Synced
    from desktop_app.core.database_url import TeamRef

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundled_dir(name: str) -> Path:
    """A folder shipped with Signoff: installed copy first, then the source checkout's."""
    installed = PACKAGE_DIR / f"bundled_{name}" if name == "workflows" else PACKAGE_DIR / name
    if installed.is_dir():
        return installed
    return PACKAGE_DIR.parent / name


class Paths(NamedTuple):  # a tuple, not a dataclass (0.6 ms each): read at the window's start
    data_dir: Path
    workflows_dir: Path
    team: TeamRef | None = None  # a team's database, instead of the data folder's file

    @property
    def db_path(self) -> Path:
        """This computer's SQLite file (whether or not a team database is used)."""
        return self.data_dir / "signoff.db"

    @property
    def database(self) -> Path | TeamRef:
        """What a connection opens: the team's database, else this computer's file."""
        return self.team if self.team is not None else self.db_path


def resolve_paths(
    data_dir: str | Path | None = None, workflows_dir: str | Path | None = None
) -> Paths:
    if data_dir is None:
        data_dir = os.environ.get("SIGNOFF_HOME") or None
    if data_dir is None:
        data_dir = user_data_dir()
    data = Path(data_dir).expanduser().resolve()
    if workflows_dir is None:
        workflows_dir = os.environ.get("SIGNOFF_WORKFLOWS") or None
    workflows = Path(workflows_dir).expanduser().resolve() if workflows_dir else data / "workflows"
    return Paths(data, workflows)


def user_data_dir() -> str:
    """The platform's data folder for Signoff, as platformdirs finds it.

    On Linux the usual cases (an absolute ``XDG_DATA_HOME``, else an absolute ``HOME`` and
    not root) are answered here: importing platformdirs costs the window's start 7 ms.
    Every other case is platformdirs' (a test holds the two answers equal)."""
    found = _linux_folder("XDG_DATA_HOME", ".local/share")
    if found is not None:
        return found
    import platformdirs

    return platformdirs.user_data_dir("Signoff", appauthor=False)


def user_cache_dir() -> str:
    """The platform's cache folder for Signoff, as platformdirs finds it (see
    ``user_data_dir``): what can be made again, such as ``core.pyside_support_cache``'s."""
    found = _linux_folder("XDG_CACHE_HOME", ".cache")
    if found is not None:
        return found
    import platformdirs

    return platformdirs.user_cache_dir("Signoff", appauthor=False)


def _linux_folder(variable: str, under_home: str) -> str | None:
    """Signoff's folder under an XDG base folder, where platformdirs' answer is plain."""
    if not sys.platform.startswith("linux"):
        return None
    xdg = os.environ.get(variable, "")
    if posixpath.isabs(xdg):
        return posixpath.join(xdg, "Signoff")
    home = os.environ.get("HOME", "")
    if posixpath.isabs(home) and os.getuid() != 0:
        return posixpath.join(home.rstrip("/") or "/", under_home, "Signoff")
    return None


def ensure_data_dir(paths: Paths) -> bool:
    """Create the data folder; seed ``<data>/workflows`` from the bundled examples on first
    start, and after an upgrade add what the new bundle brings (``core.bundled``: changed
    files are offered beside, never written over).

    Returns True when it seeded. A user-chosen workflows folder is never seeded.
    """
    try:
        paths.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnownError(f"cannot create the data folder {paths.data_dir}: {exc.strerror}") from exc
    default = paths.data_dir / "workflows"
    if paths.workflows_dir != default:
        return False
    from desktop_app import __version__
    from desktop_app.core import bundled

    source = bundled_dir("workflows")
    if default.exists():
        if source.is_dir():
            try:
                synced = bundled.sync(
                    default, source, __version__
                )  # reads one file, unless upgraded
            except OSError:  # a read-only or full data folder: the bundle waits for a later start
                return False
            if synced.added or synced.offered:
                bundled_changes.append(synced)
        return False
    if not source.is_dir():
        default.mkdir()
        return False
    import shutil  # only on the first start

    shutil.copytree(source, default, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    bundled.record(default, source, __version__)
    return True


bundled_changes: list[Synced] = []  # what an upgrade brought to the workflows folder, to say once
