"""Commands that make no model call, timed as a user runs them, with 100,000 items in the database.

Each command runs as a fresh process (``python -m desktop_app ...``), best of
several runs, and must never import litellm. Goal: each <= 0.5 s.

    python benchmarks/bench_cli.py [--items 100000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.core.inputdoc import InputDoc  # noqa: E402
from desktop_app.storage import eventlog, run_rows  # noqa: E402
from desktop_app.storage.db import connect, transaction  # noqa: E402

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


def seed(data_dir: Path, n_items: int) -> None:
    db = connect(data_dir / "signoff.db")
    per_run = 1000
    with transaction(db):
        for start in range(0, n_items, per_run):
            docs = [
                InputDoc(
                    key=f"k{start + i}", name=f"review-{start + i}", text=f"Review text {start + i}"
                )
                for i in range(min(per_run, n_items - start))
            ]
            run_id, run_inputs = run_rows.create_run(
                db,
                workflow="review-reply",
                version_id=None,
                trigger="manual",
                model="openai/gpt-4o-mini",
                api_base=None,
                inputs=docs,
            )
            db.conn.executemany(
                "INSERT INTO items (workflow, run_id, run_input_id, status, input_name, input_text, output,"
                " original_output, model, cost_usd, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        "review-reply",
                        run_id,
                        ri.id,
                        STATUSES[ri.id % len(STATUSES)],
                        ri.doc.name,
                        ri.doc.text,
                        "Thank you for your review!",
                        "Thank you for your review!",
                        "openai/gpt-4o-mini",
                        0.0001,
                        "2026-11-24T09:00:00.000Z",
                    )
                    for ri in run_inputs
                ],
            )
            for ri in run_inputs:
                eventlog.append(
                    db,
                    "item.created",
                    workflow="review-reply",
                    run_id=run_id,
                    detail={"input": ri.doc.name, "status": "pending"},
                )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def reopen(data: Path, item_id: int) -> None:
    """Put a decided item back to pending so approve/reject can be timed again (bypasses the log)."""
    db = connect(data / "signoff.db")
    db.conn.execute("UPDATE items SET status = 'pending' WHERE id = ?", [item_id])
    db.conn.close()


def timed(args: list[str], env: dict, data: Path, rounds: int = 5) -> tuple[float, bool]:
    """Best wall time of ``signoff ARGS`` as a fresh process, and whether it imported litellm."""
    code = (
        "import sys, io, contextlib\n"
        "from desktop_app.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main({args!r})\n"
        "print(rc, 'litellm' in sys.modules)\n"
    )
    best, imported = float("inf"), False
    for _ in range(rounds):
        if args[0] in ("approve", "reject"):
            reopen(data, int(args[1]))
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - start
        rc, lit = proc.stdout.split()[-2:] if proc.stdout.strip() else ("?", "?")
        if proc.returncode != 0 or rc != "0":
            raise SystemExit(f"signoff {' '.join(args)} failed: {proc.stderr.strip()}")
        best = min(best, elapsed)
        imported = imported or lit == "True"
    return best, imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        seed(data, args.items)
        print(
            f"seeded {args.items:,} items and {args.items:,} events in {time.perf_counter() - t0:.1f} s"
        )
        env = dict(os.environ, SIGNOFF_HOME=str(data))
        bare = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare = min(bare, time.perf_counter() - start)
        print(f"bare python start-up: {bare:.3f} s")
        last = args.items
        commands = [
            ["workflows"],
            ["check"],
            ["inbox"],
            ["inbox", "--json"],
            ["inbox", "--status", "all"],
            ["show", str(last)],
            ["approve", str(last - 1), "--by", "bench"],
            ["reject", str(last - 2), "--reason", "bench"],
            ["log", "verify"],
        ]
        print(f"{'command':<40} {'best of 5':>10}  litellm imported")
        for command in commands:
            elapsed, imported = timed(command, env, data)
            flag = "" if elapsed <= 0.5 else "  (over the 0.5 s goal)"
            print(f"signoff {' '.join(command):<32} {elapsed:>9.3f}s  {imported}{flag}")


if __name__ == "__main__":
    main()
