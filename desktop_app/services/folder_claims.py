"""Who holds a data folder: the window, or ``signoff serve`` (issue 26).

On SQLite nothing else tells two Signoffs apart, and a window and a ``serve`` on one
database would each run every due schedule and action: each would happen twice. So each
refuses while the other holds the folder.

- The window holds ``signoff.lock`` (Qt's ``QLockFile``, ``gui/single_instance``): its
  first line is the holder's process id.
- ``serve`` holds ``serve.lock``, made here without Qt: created exclusively with its
  process id; a lock whose process is gone (a crash, a kill) is taken over.

A process id is checked on this computer only; the data folder is this computer's.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from desktop_app.core.errors import KnownError
from desktop_app.services.recovery import process_alive

WINDOW_LOCK = "signoff.lock"  # gui/single_instance.LOCK_NAME
SERVE_LOCK = "serve.lock"


def holder(data_dir: Path, name: str) -> int | None:
    """The live process holding ``name`` in ``data_dir``, or None (no lock, or a stale one)."""
    try:
        first = (Path(data_dir) / name).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    line = first.splitlines()[0].strip() if first.strip() else ""
    pid = int(line) if line.isdigit() else 0
    return pid if process_alive(pid) else None


def window_holder(data_dir: Path) -> int | None:
    return holder(data_dir, WINDOW_LOCK)


def serve_holder(data_dir: Path) -> int | None:
    return holder(data_dir, SERVE_LOCK)


@contextlib.contextmanager
def serving(data_dir: Path, *, beside_window: bool = False) -> Iterator[None]:
    """Hold the folder for ``serve`` for the block: refused (``KnownError``, one line) while
    another ``serve`` or (unless ``beside_window``: a team database, whose claims keep each
    due thing once) the window holds it."""
    path = Path(data_dir) / SERVE_LOCK
    for _ in range(2):  # a stale lock is removed once, then taken
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            other = serve_holder(data_dir)
            if other is not None:
                raise KnownError(
                    f"signoff serve already runs on {data_dir} (process {other})"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
        break
    else:
        raise KnownError(f"cannot take {path}: another process keeps making it")
    try:
        window = None if beside_window else window_holder(data_dir)  # after ours: one sees
        if window is not None:
            raise KnownError(
                f"the Signoff window is open on {data_dir} (process {window}): it runs what is"
                " due itself; close it first (two of them on one database would each run it)"
            )
        yield
    finally:
        with contextlib.suppress(OSError):
            if serve_holder(data_dir) == os.getpid():
                path.unlink()
