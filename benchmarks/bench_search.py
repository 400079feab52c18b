"""Search figures over a large history: the index build, the file's growth, and the first
page of each query shape in the inbox and the activity log, warm and after a start.

    python benchmarks/history.py /tmp/history.db --items 1000000   # once, about 5 min
    python benchmarks/bench_search.py /tmp/history.db [--build-only | --typing-only] [--rows 5000]

The history file is changed: opening it adds the indexes (migration 5), and the first
run builds them (the figures of that build are printed). Goals (issue 16): every first
page <= 20 ms with the file in memory, <= 300 ms for the first search after a start.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.storage import eventlog, fulltext, item_pages, item_rows  # noqa: E402
from desktop_app.storage.db import connect_plain  # noqa: E402

PAGE = 100  # the window's first page (gui/lazy_model.PAGE), its rows read too

ALL = ("pending", "escalated", "approved", "rejected", "expired")
AWAITING = ("pending", "escalated")
# The shapes of issue 16, with words the history generator writes at those frequencies.
SHAPES = {
    "rare word": "Quinn",
    "common word": "delivery",
    "no match": "zyxwvut",
    "phrase": '"Dear Quinn"',
    "common phrase": '"late delivery"',
    "filter + word": "workflow:invoice-reminder refund",
    "short word": "Kim",
    "two-char word": "ok",
    "non-English": "Rechnung",
    "file name": "mail-0424242.eml",
}
VIEWS = {
    "inbox, awaiting": lambda db, q: _inbox(db, AWAITING, q),
    "inbox, all": lambda db, q: _inbox(db, ALL, q),
    "activity": lambda db, q: _activity(db, q),
}


def _inbox(db, statuses, text: str) -> int:
    ids, _ = item_pages.item_page(
        db, item_pages.ItemQuery(statuses=statuses, search=text), None, PAGE
    )
    item_rows.item_summaries(db, ids)
    return len(ids)


def _activity(db, text: str) -> int:
    seqs = eventlog.event_seqs_page(db, eventlog.EventQuery(text=text), None, PAGE)
    eventlog.events_by_seq(db, seqs)
    return len(seqs)


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def build(path: Path, rows: int) -> None:
    before = _size_mb(path)
    db = connect_plain(path)
    db.conn.execute("PRAGMA cache_size=-500000")
    progress = fulltext.progress(db)
    if progress.ready:
        print(f"index already built ({progress.total:,} rows); file {before:,.0f} MB")
        return
    print(f"building the index over {progress.total:,} rows (items and events) …", flush=True)
    started = last = time.perf_counter()

    def report(now: fulltext.Progress) -> None:
        nonlocal last
        if time.perf_counter() - last > 30:
            last = time.perf_counter()
            print(f"  {now.percent}% after {last - started:.0f} s", flush=True)

    fulltext.build(db, rows=rows, on_progress=report)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    took = time.perf_counter() - started
    after = _size_mb(path)
    sizes = {
        name: db.execute("SELECT sum(length(block)) / 1e6 FROM " + name + "_data").fetchone()[0]
        for name in ("items_fts", "events_fts")
    }
    db.conn.close()
    print(
        f"index build: {took:.0f} s; file {before:,.0f} MB -> {after:,.0f} MB (+{after / before - 1:.0%})"
    )
    for name, mb in sizes.items():
        print(f"  {name}: {mb:,.0f} MB of index")


def warm(path: Path, repeat: int) -> dict[str, dict[str, float]]:
    db = connect_plain(path)
    db.conn.execute("PRAGMA cache_size=-200000")
    figures: dict[str, dict[str, float]] = {}
    for view, run in VIEWS.items():
        for shape, text in SHAPES.items():
            run(db, text)  # once to warm
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                count = run(db, text)
                times.append((time.perf_counter() - started) * 1000)
            figures.setdefault(view, {})[shape] = statistics.median(times)
            figures[view][shape + " (rows)"] = count
    db.conn.close()
    return figures


_FIRST = """
import sys, time, json
sys.path.insert(0, {root!r})
sys.argv = ["x"]
import benchmarks.bench_search as b
started = time.perf_counter()
from desktop_app.storage.db import connect_plain
db = connect_plain({path!r})
b.VIEWS[{view!r}](db, {text!r})
print(json.dumps((time.perf_counter() - started) * 1000))
"""


def first_after_start(path: Path, view: str, text: str) -> float:
    """One search in a new process (its own connection and an empty SQLite cache; the
    file in the OS's cache, as after closing and opening the window)."""
    code = _FIRST.format(root=str(ROOT), path=str(path), view=view, text=text)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def typing(path: Path, key_ms: int = 60) -> None:
    """Each shape typed into the inbox's and the activity log's search boxes, a key every
    ``key_ms``, offscreen: the UI thread's longest stall (a 10 ms heartbeat) and the time
    from the last key to the results shown."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from benchmarks.bench_gui import Heartbeat
    from desktop_app.gui.activity_view import ActivityView
    from desktop_app.gui.inbox_view import InboxView
    from desktop_app.gui.tasks import DbWorker, close_all

    app = QApplication.instance() or QApplication([])
    db = connect_plain(path)
    worker = DbWorker(path)
    inbox = InboxView(db, worker)
    activity = ActivityView(db, path)
    for view in (inbox, activity):
        view.resize(1200, 700)
        view.show()
    app.processEvents()
    heartbeat = Heartbeat()
    heartbeat.start()

    def pump(ms: float) -> None:
        end = time.perf_counter() + ms / 1000
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    print(f"\ntyping a key every {key_ms} ms over {path.name}, offscreen:")
    for name, view in (("inbox", inbox), ("activity", activity)):
        latencies = []
        for shape, text in SHAPES.items():
            view.search.clear()
            pump(300)
            for n in range(1, len(text)):
                view.search.setText(text[:n])
                pump(key_ms)
            view.search.setText(text)
            typed = time.perf_counter()
            shown = inbox.model.query.search if view is inbox else activity.model.query.text
            while view.searching or shown != text:
                app.processEvents()
                time.sleep(0.001)
                shown = inbox.model.query.search if view is inbox else activity.model.query.text
            latencies.append((shape, (time.perf_counter() - typed) * 1000))
        print(
            f"  {name}: results shown after the last key, ms (150 of them the pause that ends typing):"
        )
        print("    " + " · ".join(f"{shape} {ms:.0f}" for shape, ms in latencies))
    heartbeat.stop()
    print(f"  UI thread: {heartbeat.summary()}")
    for view in (inbox, activity):
        view.close()
    close_all()
    worker.close()
    db.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--rows", type=int, default=5000, help="rows per build batch")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--typing-only", action="store_true", help="only the typing figures")
    args = parser.parse_args()
    items = connect_plain(args.db).execute("SELECT count(*) FROM items").fetchone()[0]
    print(f"{items:,} items, {_size_mb(args.db):,.0f} MB")
    build(args.db, args.rows)
    if args.build_only:
        return
    if args.typing_only:
        typing(args.db)
        return
    figures = warm(args.db, args.repeat)
    print(f"\nfirst page ({PAGE} rows and their columns), median ms, file in memory:")
    print(f"{'shape':<16}" + "".join(f"{view:>18}" for view in VIEWS) + "   rows found")
    for shape in SHAPES:
        cells = "".join(f"{figures[view][shape]:>18.1f}" for view in VIEWS)
        rows = "/".join(str(int(figures[view][shape + " (rows)"])) for view in VIEWS)
        print(f"{shape:<16}{cells}   {rows}")
    print("\nfirst search after a start, ms (a new process each):")
    for shape, text in SHAPES.items():
        cells = "".join(f"{first_after_start(args.db, view, text):>18.1f}" for view in VIEWS)
        print(f"{shape:<16}{cells}")
    typing(args.db)


if __name__ == "__main__":
    main()
