"""The first click (issue 25): *Run now* on one input, 10 s after the window opened, against
a local server that answers at once: how long until the first item arrives, with the
window's warm model worker and without it (as before). Also what window and worker hold.

    python benchmarks/bench_first_click.py [--wait 10] [--rounds 3]

Goal: with the warm worker, the first item within 1 s of the click (the model's own time
is milliseconds here; without the warm-up it is litellm's import, ~5 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_gui import ServerProcess, rss_mb  # noqa: E402
from benchmarks.figures import record  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
GOAL_S = 1.0


def _rss_of(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def first_click(data: Path, server_url: str, *, warm: bool, wait_s: float) -> tuple[float, float]:
    """Seconds from the click to the first item, and window + worker MB just after it."""
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.spec_loader import load_spec
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.run_job import RunJob
    from desktop_app.gui.tasks import DbWorker
    from desktop_app.services.inputs import from_text
    from desktop_app.storage.db import connect
    from tests.helpers.specs import write_spec

    app = QApplication.instance() or QApplication([])
    MainWindow.warm_after_ms = 3000 if warm else None
    db_path = data / "signoff.db"
    db = connect(db_path)
    worker = DbWorker(db_path)
    spec = load_spec(write_spec(data / "workflows", "first", api_base=server_url, retries=0))
    window = MainWindow(db, worker, db_path=db_path, workflows_dir=data / "workflows")
    window.show()
    opened = time.perf_counter()
    while time.perf_counter() - opened < wait_s:  # the person reads the window first
        app.processEvents()
        time.sleep(0.01)
    job = RunJob(db_path, gateway=window.gateway)
    arrived: list[float] = []
    job.item_made.connect(lambda *_: arrived.append(time.perf_counter()))
    click = time.perf_counter()
    job.start_run(spec, [from_text("The cake was lovely")], model=None, api_base=None)
    while not arrived and time.perf_counter() - click < 120:
        app.processEvents()
        time.sleep(0.001)
    job.wait()
    held = rss_mb() + (_rss_of(window.gateway.pid) if window.gateway.pid else 0.0)
    window.close()
    window.deleteLater()
    app.processEvents()
    worker.close()
    db.conn.close()
    return (arrived[0] - click if arrived else float("inf")), held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=10.0, help="seconds before the click")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    with ServerProcess() as server, tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            for warm in (True, False):
                data = Path(tmp) / f"{n}-{warm}"
                results[warm].append(first_click(data, server.url, warm=warm, wait_s=args.wait))
    for warm, label in ((True, "warm worker (now)"), (False, "no warm-up (before)")):
        seconds = [s for s, _ in results[warm]]
        held = max(m for _, m in results[warm])
        shown = " ".join(f"{s:.2f}" for s in seconds)
        print(
            f"{label:<20} first item {statistics.median(seconds):.2f} s after the click"
            f" (median; {shown}); window + worker {held:.0f} MB"
        )
    median = statistics.median(s for s, _ in results[True])
    record("first click: Run now to first item (window open 10 s)", median, "s", GOAL_S,
           size=f"{args.rounds} rounds, 1 input")  # fmt: skip


if __name__ == "__main__":
    main()
