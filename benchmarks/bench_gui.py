"""Window figures (offscreen Qt): cold start, a 1,000,000-item inbox, UI stalls during runs.

    python benchmarks/bench_gui.py [--start-items 100000] [--inbox-items 1000000] [--runs 8 --items 1000]

Goals (issue 4): cold start with 100,000 items <= 1.5x a bare QMainWindow's start
measured in the same run; over 1,000,000 items the inbox's first screen and a
status / workflow filter each <= 100 ms, resident memory <= 250 MB; during 8
concurrent runs streaming 1,000 items, the longest stall of the UI thread (a
10 ms heartbeat) <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.figures import record  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STATUSES = (
    "approved",
    "approved",
    "rejected",
    "approved",
    "pending",
    "escalated",
    "approved",
    "approved",
)
WORKFLOWS = (
    "review-reply",
    "support-digest",
    "bank-categorise",
    "product-description",
    "invoice-reminder",
)


def seed_items(db_path: Path, n: int) -> None:
    """``n`` items straight into the tables (no events): what a long-used inbox looks like."""
    from desktop_app.storage.db import connect, transaction

    db = connect(db_path)
    with transaction(db):
        for name in WORKFLOWS:
            db.execute(
                "INSERT INTO workflow_versions (workflow, hash, path, spec_text, created_at)"
                " VALUES (?, '0', '-', '', '2026-11-01T00:00:00.000Z')",
                [name],
            )
        db.execute(
            "INSERT INTO runs (id, workflow, trigger, state, started_at, n_inputs)"
            " VALUES (1, 'review-reply', 'manual', 'finished', '2026-11-01T00:00:00.000Z', 0)"
        )
        batch = []
        for i in range(1, n + 1):
            batch.append(
                (
                    i,
                    WORKFLOWS[i % len(WORKFLOWS)],
                    1,
                    STATUSES[i % len(STATUSES)],
                    f"input-{i}",
                    f"Input text number {i}",
                    f"Thank you for message {i}!",
                    f"Thank you for message {i}!",
                    "openai/gpt-4o-mini",
                    0.0001,
                    "2026-11-20T09:00:00.000Z",
                )
            )
            if len(batch) == 50_000:
                db.conn.executemany(
                    "INSERT INTO items (id, workflow, run_id, status, input_name, input_text, output,"
                    " original_output, model, cost_usd, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    batch,
                )
                batch.clear()
        if batch:
            db.conn.executemany(
                "INSERT INTO items (id, workflow, run_id, status, input_name, input_text, output,"
                " original_output, model, cost_usd, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                batch,
            )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


# Each script prints the clock (time.perf_counter: CLOCK_MONOTONIC, the same in every process)
# at its first line and at the moment its window is shown and painted: at the first idle moment
# after show(), ``settle`` lets Qt deliver what is pending, which is where the window's first
# paint happens (it comes after that idle moment, on the offscreen platform as under X11).
# Background work started by the app is not waited for.
# Timed runs use SETTLE; one untimed run of each uses SETTLE_CHECKED, which fails unless the
# named widget really was painted inside ``settle``.
SETTLE = """
def settle(app, widget):
    app.processEvents()
"""

SETTLE_CHECKED = """
def settle(app, widget):
    from PySide6.QtCore import QEvent, QObject

    class Seen(QObject):
        paints = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                Seen.paints += 1
            return False

    seen = Seen()
    widget().installEventFilter(seen)
    app.processEvents()
    if not Seen.paints:
        raise SystemExit("the window was not painted by the time it was measured")
"""

BARE = """
import time; t0 = time.perf_counter()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); w = QMainWindow(); w.resize(1200, 760); w.show()
QTimer.singleShot(0, lambda: (settle(app, lambda: w), print(t0, time.perf_counter()), app.quit()))
app.exec()
"""

# For scale: a single-file window with the same kinds of widgets over the same database
# (a table of 60 rows, filters, search box, detail pane, buttons, status bar), no Signoff code.
REFERENCE = """
import time; t0 = time.perf_counter()
import os, sqlite3
from PySide6.QtCore import QAbstractTableModel, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QHBoxLayout, QLabel,
    QLineEdit, QMainWindow, QPlainTextEdit, QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

class Model(QAbstractTableModel):
    def __init__(self, rows):
        super().__init__()
        self.rows = rows
    def rowCount(self, parent=None):
        return len(self.rows)
    def columnCount(self, parent=None):
        return 3
    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.rows[index.row()][index.column()])
        return None

app = QApplication([])
db = sqlite3.connect(os.environ["BENCH_DB"])
rows = db.execute("SELECT id, workflow, output FROM items ORDER BY id DESC LIMIT 60").fetchall()
window = QMainWindow(); window.resize(1200, 760)
central = QWidget(); layout = QVBoxLayout(central); top = QHBoxLayout()
for widget in (QComboBox(), QComboBox(), QLineEdit(placeholderText="Search")):
    top.addWidget(widget)
layout.addLayout(top)
splitter = QSplitter(); table = QTableView(); table.setModel(Model(rows))
table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows); splitter.addWidget(table)
detail = QWidget(); detail_layout = QVBoxLayout(detail)
for _ in range(4):
    label = QLabel("label"); label.setTextFormat(Qt.TextFormat.PlainText); detail_layout.addWidget(label)
detail_layout.addWidget(QPlainTextEdit()); detail_layout.addWidget(QPlainTextEdit())
buttons = QHBoxLayout()
for text in ("Approve", "Edit", "Reject"):
    buttons.addWidget(QPushButton(text))
detail_layout.addLayout(buttons); splitter.addWidget(detail); layout.addWidget(splitter)
window.setCentralWidget(central); window.statusBar().showMessage("3 pending"); window.show()
QTimer.singleShot(
    0, lambda: (settle(app, table.viewport), print(t0, time.perf_counter()), app.quit())
)
app.exec()
"""

# Signoff's start is measured along the path `signoff` takes (desktop_app/__main__.main): the
# command line, the data folder (found with platformdirs, as for a user), the single-instance
# lock, recovery, the window.
APP = """
import time; t0 = time.perf_counter()
from desktop_app.__main__ import main


def ready():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()

    def inbox_list():
        (window,) = [w for w in app.topLevelWidgets() if w.objectName() == "mainWindow"]
        return window.inbox.table.viewport()

    settle(app, inbox_list)
    print(t0, time.perf_counter())
    app.quit()


main(when_ready=ready)
"""


class Start(NamedTuple):
    from_launch: float  # from starting the process (the interpreter's own start included)
    from_first_line: float  # from the script's first line


class Starts(NamedTuple):
    best: Start
    launches: list[float]  # every start's time from launch, in the order taken

    def spread(self) -> str:
        """The starts' own spread in this run, in ms: best, median, worst."""
        ms = sorted(t * 1000 for t in self.launches)
        return f"{ms[0]:.0f} / {statistics.median(ms):.0f} / {ms[-1]:.0f} ms"


def cold_start(data: Path, rounds: int) -> dict[str, Starts]:
    """Best of ``rounds`` for each window, the starts taken in turn so drift hits all alike;
    with every start's time, so the machine's own spread in the run can be shown."""
    # The data folder as a user's start finds it: platformdirs, under XDG_DATA_HOME.
    env = dict(
        os.environ,
        XDG_CONFIG_HOME=str(data / "config"),
        XDG_DATA_HOME=str(data.parent),
        XDG_CACHE_HOME=str(data.parent / "cache"),  # filled by the first start, as a user's
        BENCH_DB=str(data / "signoff.db"),
    )
    env.pop("SIGNOFF_HOME", None)
    env.pop("SIGNOFF_WORKFLOWS", None)
    # As installed: Python keeps the compiled modules (pip compiles them at install; an
    # editable install writes them on the first start). Some machines set this variable,
    # which would make every start compile Signoff's modules from source again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    (data / "workflows").mkdir(exist_ok=True)

    # Signoff as on its first start after an install or an upgrade: its cache folder cannot
    # be written (a file stands where it would be), so PySide6's support code and regular
    # expressions are compiled at every start (core/pyside_support_cache).
    (data / "no-cache").write_text("")
    uncached = dict(env, XDG_CACHE_HOME=str(data / "no-cache" / "cache"))

    def once(code: str, settle: str = SETTLE, env: dict[str, str] = env) -> Start:
        launched = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", settle + code],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        first_line, painted = map(float, proc.stdout.split()[-2:])
        return Start(painted - launched, painted - first_line)

    scripts = {"bare": BARE, "signoff": APP, "reference": REFERENCE, "uncached": APP}
    envs = {"uncached": uncached}
    for name, code in scripts.items():  # the first start writes Signoff's compiled modules
        once(code, SETTLE_CHECKED, envs.get(name, env))
    times: dict[str, list[Start]] = {name: [] for name in scripts}
    for _ in range(rounds):
        for name, code in scripts.items():
            times[name].append(once(code, env=envs.get(name, env)))
    return {
        name: Starts(
            Start(min(t.from_launch for t in got), min(t.from_first_line for t in got)),
            [t.from_launch for t in got],
        )
        for name, got in times.items()
    }


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def big_inbox(db_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop_app.gui.inbox_model import InboxModel
    from desktop_app.storage import item_pages
    from desktop_app.storage.db import connect

    QApplication.instance() or QApplication([])
    db = connect(db_path)

    def first_screen(model) -> None:
        for row in range(min(40, model.rowCount())):
            for column in range(model.columnCount()):
                model.data(model.index(row, column))

    start = time.perf_counter()
    model = InboxModel(db)
    first_screen(model)
    t_open = time.perf_counter() - start
    timings = {"open (awaiting decision)": t_open}
    for label, query in (
        ("filter: escalated", item_pages.ItemQuery(statuses=("escalated",))),
        ("filter: approved", item_pages.ItemQuery(statuses=("approved",))),
        ("filter: workflow bank-categorise", item_pages.ItemQuery(workflow="bank-categorise")),
        (
            "filter: all, one workflow",
            item_pages.ItemQuery(
                statuses=("pending", "escalated", "approved", "rejected", "expired"),
                workflow="invoice-reminder",
            ),
        ),
    ):
        start = time.perf_counter()
        model.set_query(query)
        first_screen(model)
        timings[label] = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(50):  # scrolling: 50 pages of 200
        model.fetchMore()
    t_scroll = (time.perf_counter() - start) / 50
    for label, seconds in timings.items():
        print(f"  {label:<36} {seconds * 1000:7.1f} ms  (goal <= 100 ms)")
    print(f"  scroll: fetchMore of 200 rows          {t_scroll * 1000:7.1f} ms each")
    print(f"  resident memory after: {rss_mb():.0f} MB (goal <= 250 MB)")
    size = f"{db.conn.execute('SELECT count(*) FROM items').fetchone()[0]:,} items"
    slowest = max(timings, key=lambda k: timings[k])
    record(
        f"inbox: slowest first screen ({slowest})", timings[slowest] * 1000, "ms", 100, size=size
    )
    record("inbox: resident memory", rss_mb(), "MB", 250, size=size)
    db.conn.close()


SERVER = """
import sys
from tests.helpers.llm_server import LLMServer, reply
with LLMServer() as server:
    server.default = reply("Thank you for your kind words, we hope to see you again soon!")
    print(server.url, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
"""


class ServerProcess:
    """The test suite's OpenAI-compatible server in a process of its own, as a real model server is."""

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.proc.stdout.readline().strip()
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class Heartbeat:
    """A 10 ms timer on the UI thread: the gaps between its beats are the UI's stalls."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer(interval=interval_ms)
        self._timer.timeout.connect(self._beat)

    def start(self) -> None:
        self._clock.start()
        self._last = self._clock.elapsed()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _beat(self) -> None:
        now = self._clock.elapsed()
        self.gaps.append(now - self._last)
        self._last = now

    def summary(self) -> str:
        beats = sorted(self.gaps)
        return (
            f"longest gap {beats[-1]:.0f} ms (goal <= 50 ms); p99 "
            f"{beats[int(len(beats) * 0.99)]:.0f} ms; median {beats[len(beats) // 2]:.0f} ms"
            f" ({len(beats)} heartbeats of 10 ms)"
        )


def stall_during_runs(data: Path, runs: int, items: int, *, mode: str = "process") -> None:
    """mode: process (the window's way: calls in the model worker), thread-cold, thread-warm."""
    from PySide6.QtWidgets import QApplication

    from desktop_app.core import collector
    from desktop_app.core.spec_loader import load_spec
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.run_job import RunJob
    from desktop_app.gui.tasks import DbWorker
    from desktop_app.services.inputs import from_text
    from desktop_app.storage.db import connect
    from tests.helpers.specs import write_spec

    app = QApplication.instance() or QApplication([])
    if mode == "thread-warm":  # as after a first in-process run: litellm already imported
        from desktop_app.llm.gateway import warm_up

        warm_up()
    db_path = data / "signoff.db"
    db = connect(db_path)
    worker = DbWorker(db_path)
    with ServerProcess() as server:
        specs = [
            load_spec(
                write_spec(data / "bench-workflows", f"wf-{n}", api_base=server.url, retries=0)
            )
            for n in range(runs)
        ]
        with collector.paused():  # as run_app builds it: what the start made is then frozen
            window = MainWindow(db, worker, db_path=db_path, workflows_dir=data / "bench-workflows")
            window.show()
        # Runs start from the Workflows tab, so it is built (and its list loaded) before.
        window.workflows  # noqa: B018
        while worker.busy:
            app.processEvents()
            time.sleep(0.005)
        heartbeat = Heartbeat()
        gateway = window.gateway if mode == "process" else None
        jobs = [RunJob(db_path, gateway=gateway) for _ in range(runs)]
        done = []
        for job in jobs:
            job.done.connect(lambda s: done.append(s))
            job.failed.connect(lambda text: done.append(text))
            job.item_made.connect(lambda *_: window.workflows.items_made.emit())
        per_run = items // runs
        start = time.perf_counter()
        heartbeat.start()
        for n, (job, spec) in enumerate(zip(jobs, specs)):
            docs = [from_text(f"Run {n}, review {i}: lovely cake") for i in range(per_run)]
            job.start_run(spec, docs, model=None, api_base=None)
        while len(done) < runs:
            app.processEvents()
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
        heartbeat.stop()
        for job in jobs:
            job.wait()
        window.close()
        window.deleteLater()  # its timers must not fire once the database is closed
        app.processEvents()
        worker.close()
    print(f"  {runs} runs x {per_run} items in {elapsed:.1f} s")
    print(f"  {heartbeat.summary()}")
    if mode == "process":  # as the window makes its calls
        size = f"{runs} runs x {per_run} items"
        record("UI stall during runs (longest)", max(heartbeat.gaps), "ms", 50, size=size)
    print(
        {
            "process": "  model calls in the worker process, started by this run (as in the window)",
            "thread-cold": "  model calls on threads of this process, litellm imported meanwhile",
            "thread-warm": "  model calls on threads of this process, litellm imported beforehand",
        }[mode]
    )
    db.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-items", type=int, default=100_000)
    parser.add_argument("--inbox-items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--only", choices=("start", "inbox", "stall"))
    parser.add_argument(
        "--stall-modes", nargs="+", default=["process", "thread-cold", "thread-warm"],
        choices=["process", "thread-cold", "thread-warm"],
        help="where the runs' model calls are made (the window: process)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=15, help="starts of each window; the best one counts"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.only in (None, "start"):
            data = tmp / "Signoff"  # platformdirs' data folder under XDG_DATA_HOME=tmp
            seed_items(data / "signoff.db", args.start_items)
            starts = cold_start(data, args.rounds)
            bare, app, reference = (starts[k].best for k in ("bare", "signoff", "reference"))
            print(
                f"cold start to a painted, interactive window, {args.start_items:,} items"
                f" (best of {args.rounds}):"
            )
            for label, field in (
                ("from launching the process", "from_launch"),
                ("from the script's first line", "from_first_line"),
            ):
                b, a, r = (getattr(t, field) for t in (bare, app, reference))
                if field == "from_launch":
                    size = f"{args.start_items:,} items"
                    record("cold start / bare window", a / b, "x", 1.5, size=size)
                print(
                    f"  {label}: bare QMainWindow {b:.3f} s · Signoff {a:.3f} s"
                    f" · ratio {a / b:.2f} (goal <= 1.5)"
                    f" · single-file window with the same kinds of widgets {r:.3f} s"
                    f" (ratio {r / b:.2f})"
                )
            print(
                "  each window's own spread in this run, from launch (best / median / worst):"
                f" bare {starts['bare'].spread()} · Signoff {starts['signoff'].spread()}"
                f" · single-file {starts['reference'].spread()}"
            )
            first = starts["uncached"].best.from_launch
            print(
                "  Signoff as on its first start (nothing in its cache folder, which it could not"
                f" write): {first:.3f} s from launch (ratio {first / bare.from_launch:.2f});"
                f" spread {starts['uncached'].spread()}"
            )
        if args.only in (None, "inbox"):
            data = tmp / "inbox"
            start = time.perf_counter()
            seed_items(data / "signoff.db", args.inbox_items)
            print(
                f"inbox over {args.inbox_items:,} items (seeded in {time.perf_counter() - start:.0f} s):"
            )
            big_inbox(data / "signoff.db")
        if args.only in (None, "stall"):
            for mode in args.stall_modes:
                print(f"UI thread during {args.runs} concurrent runs:")
                stall_during_runs(tmp / f"stall-{mode}", args.runs, args.items, mode=mode)


if __name__ == "__main__":
    main()
