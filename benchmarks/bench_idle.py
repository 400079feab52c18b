"""Resident memory idle in the tray after a day of scheduled runs (offscreen Qt).

    python benchmarks/bench_idle.py [--runs 200] [--idle-s 5]

Goal (issue 6): <= 200 MB resident while idle after 200 scheduled runs. The window's
schedule driver runs a workflow enabled on a 1-minute schedule 200 times (each run finds
one new file in its folder, one model call, one item), the model calls going to the model
worker process; then nothing happens until the worker exits for being idle, and the
window's own process is measured (the worker's memory is reported while it lives).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchmarks.figures import record  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb(pid: int | None = None) -> float:
    path = f"/proc/{pid or 'self'}/status"
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--idle-s", type=float, default=5.0, help="the model worker's idle exit")
    args = parser.parse_args()
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

    from bench_gui import ServerProcess
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.spec_loader import load_spec
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker
    from desktop_app.llm.process_gateway import ProcessGateway
    from desktop_app.services import switches
    from desktop_app.services.profiler import Profiler
    from desktop_app.storage.db import connect
    from tests.helpers.specs import write_spec

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp, ServerProcess() as server:
        data = Path(tmp)
        os.environ["HOME"] = str(data)  # QSettings and friends stay in the temporary folder
        path = write_spec(
            data / "workflows", "digest", api_base=server.url, kind="folder",
            input_extra='path = "inbox"',
        )  # fmt: skip
        path.write_text(path.read_text() + '\n[schedule]\nevery = "1m"\ncatch_up = "latest"\n')
        (path.parent / "samples").mkdir()
        (path.parent / "samples" / "one.txt").write_text("Lovely cake!")
        spec = load_spec(path)
        db_path = data / "signoff.db"
        db = connect(db_path)
        gateway = ProcessGateway(idle_s=args.idle_s)  # litellm stays out of this process
        Profiler(db, gateway).profile(spec, [spec.model.name])
        switches.enable(db, spec)
        worker = DbWorker(db_path)
        window = MainWindow(db, worker, db_path=db_path, workflows_dir=data / "workflows")
        window.schedules._gateway = gateway
        window.show()
        app.processEvents()
        start_rss = rss_mb()
        inbox = data / "inbox"
        inbox.mkdir()
        fired: list = []
        window.schedules.fired.connect(fired.append)
        started = time.perf_counter()
        peak_child = 0.0
        for n in range(args.runs):
            (inbox / f"message-{n:04d}.txt").write_text(f"Message {n}: lovely cake, slow coffee")
            db.execute(  # the previous slot was a minute ago: one slot is due now
                "UPDATE workflow_state SET last_slot = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
                "'-61 seconds'), enabled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')"
            )
            db.conn.commit()
            window.schedules.tick()
            while len(fired) <= n:
                app.processEvents()
                time.sleep(0.002)
            if gateway.pid:
                peak_child = max(peak_child, rss_mb(gateway.pid))
        elapsed = time.perf_counter() - started
        busy_rss = rss_mb()
        items = db.execute("SELECT count(*) FROM items").fetchone()[0]
        deadline = time.monotonic() + args.idle_s + 30
        while gateway.running and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.05)
        for _ in range(50):  # idle: the timers tick, nothing else
            app.processEvents()
            time.sleep(0.02)
        gc.collect()
        idle_rss = rss_mb()
        assert "litellm" not in sys.modules, "litellm was imported in the window's process"
        print(f"  {args.runs} scheduled runs in {elapsed:.1f} s, {items} items")
        print(f"  window process: {start_rss:.0f} MB at start, {busy_rss:.0f} MB after the runs")
        print(f"  model worker process: {peak_child:.0f} MB at its largest (litellm lives here)")
        print(
            f"  idle after the worker exited ({'gone' if not gateway.running else 'STILL RUNNING'}):"
            f" {idle_rss:.0f} MB resident (goal <= 200 MB)"
        )
        record("idle in the tray (resident)", idle_rss, "MB", 200, size=f"after {args.runs} runs")
        window.close()
        window.deleteLater()
        app.processEvents()
        gateway.close()
        worker.close()
        db.conn.close()


if __name__ == "__main__":
    main()
