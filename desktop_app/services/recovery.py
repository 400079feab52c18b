"""Find runs whose process died (a crash, a kill, a power cut) and mark them interrupted.

A run records the pid and host of the process running it. On the next start,
a ``running`` run whose process is gone -- or whose pid now belongs to a process
started after the run began -- is marked ``interrupted`` and logged; its queued
inputs are then run again by ``services.run_start`` (``run_workflow`` or ``resume_all``).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from desktop_app.core.states import RunState
from desktop_app.storage import input_rows, run_rows
from desktop_app.storage.db import transaction, writes_refused
from desktop_app.storage.engine import SQLITE, engine_of

if TYPE_CHECKING:
    from desktop_app.storage.db import DatabaseLike


def _process_start(pid: int) -> float | None:
    """Start time (epoch seconds) of ``pid`` on Linux; None where it cannot be known cheaply."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])  # field 22 overall: start time in clock ticks since boot
        with open("/proc/stat", "rb") as fh:
            btime = next(int(line.split()[1]) for line in fh if line.startswith(b"btime"))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def process_alive(pid: int, since_iso: str | None = None) -> bool:
    """Is ``pid`` still the process that started at or before ``since_iso``?"""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if since_iso:
        started = _process_start(pid)
        if started is not None:
            run_started = datetime.strptime(since_iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=timezone.utc
            )
            if started > run_started.timestamp() + 1:  # the pid was reused by a newer process
                return False
    return True


def mark_interrupted(db: DatabaseLike) -> list[int]:
    """Mark every run whose process is gone as interrupted; return their ids (none in a
    database opened read-only: the next start that may write marks them)."""
    if writes_refused(db):
        return []
    running = run_rows.runs_in_state(db, RunState.RUNNING)
    if not running:
        return []
    from desktop_app.storage.health import quick_check

    # The window's start skips SQLite's check (it runs after the first paint): made here,
    # before writing, and only when there is something to write. (A team database is the
    # server's to keep whole.)
    if engine_of(db) == SQLITE and quick_check(db.conn) is not None:
        return []
    # Imported here: every window start calls this, and it rarely has work.
    from desktop_app.storage import eventlog

    host = run_rows.hostname()
    marked = []
    for run in running:
        if run["host"] and run["host"] != host:
            continue  # another machine's run (a shared data folder): not ours to judge
        if run["pid"] == os.getpid() or process_alive(run["pid"] or 0, run["started_at"]):
            continue
        with transaction(db):
            if run_rows.run_state(db, run["id"]) != RunState.RUNNING.value:
                continue
            left = input_rows.queued_count(db, run["id"])
            run_rows.set_run_state(
                db, run["id"], RunState.INTERRUPTED, error="the process running it stopped"
            )
            eventlog.append(
                db,
                "run.interrupted",
                workflow=run["workflow"],
                run_id=run["id"],
                detail={"pid": run["pid"], "host": run["host"], "inputs_left": left},
            )
        marked.append(run["id"])
    return marked
