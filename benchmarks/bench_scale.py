"""Per-item cost as the history grows: a run of new inputs, and deciding them, on a database
already holding 10,000, then 100,000, then 1,000,000 items (and as many log events).

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--inputs 300] [--rounds 5]

Each size gets its own file, seeded as a long-used inbox (``bench_gui.seed_items``) with a
hash-chained log (``bench_log.events``). Then, in turn, ``--rounds`` times: ``--inputs``
inputs through the runner against the test suite's local server (prompts, checks, items,
events, the index's bookkeeping), and each new item approved (a decision and its event).
The median per item is the figure. Goal (issue 18): flat from the smallest size to the
largest within ±20 %.
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
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch from the network

from benchmarks.bench_gui import seed_items  # noqa: E402
from benchmarks.bench_log import events  # noqa: E402
from benchmarks.figures import record  # noqa: E402
from desktop_app.core.spec_loader import load_spec  # noqa: E402
from desktop_app.services import decisions  # noqa: E402
from desktop_app.services.inputs import from_text  # noqa: E402
from desktop_app.services.runner import Runner, RunOptions  # noqa: E402
from desktop_app.storage import eventlog  # noqa: E402
from desktop_app.storage.db import connect  # noqa: E402
from tests.helpers.llm_server import LLMServer, reply  # noqa: E402
from tests.helpers.specs import write_spec  # noqa: E402


def seeded(path: Path, n: int) -> None:
    seed_items(path, n)
    db = connect(path)
    eventlog.append_many(db, events(n))
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def one_round(db, spec, docs) -> tuple[float, float]:
    """Seconds per item: the run, then approving each of its items."""
    start = time.perf_counter()
    summary = Runner(db).run(spec, docs, RunOptions(concurrency=4))
    ran = time.perf_counter() - start
    assert summary.pending == len(docs), summary
    start = time.perf_counter()
    for item_id in summary.item_ids:
        decisions.approve(db, item_id, by="maria")
    decided = time.perf_counter() - start
    return ran / len(docs), decided / len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--inputs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LLMServer() as server:
        server.default = reply("Thank you for your kind review, we hope to see you again soon!")
        spec = load_spec(write_spec(Path(tmp) / "wf", api_base=server.url, retries=0))
        dbs = {}
        for n in args.sizes:
            start = time.perf_counter()
            path = Path(tmp) / f"history-{n}.db"
            seeded(path, n)
            dbs[n] = connect(path)
            print(f"seeded {n:,} items and events in {time.perf_counter() - start:.0f} s")
        import litellm  # noqa: F401  -- imported before timing

        warm = [from_text(f"Warm-up review {i}: nice.") for i in range(20)]
        for db in dbs.values():
            one_round(db, spec, warm)
        runs: dict[int, list[float]] = {n: [] for n in args.sizes}
        approvals: dict[int, list[float]] = {n: [] for n in args.sizes}
        for r in range(args.rounds):  # sizes in turn, so each sees the same machine
            for n, db in dbs.items():
                docs = [from_text(f"Review {r}-{i}: lovely cake.") for i in range(args.inputs)]
                ran, decided = one_round(db, spec, docs)
                runs[n].append(ran)
                approvals[n].append(decided)
        print(f"per item, median of {args.rounds} rounds of {args.inputs} inputs:")
        per_item = {}
        for n in args.sizes:
            run_ms = statistics.median(runs[n]) * 1000
            approve_ms = statistics.median(approvals[n]) * 1000
            per_item[n] = run_ms + approve_ms
            print(f"  {n:>9,} items: run {run_ms:.2f} ms + approve {approve_ms:.2f} ms")
        low, high = min(per_item.values()), max(per_item.values())
        spread = (high / low - 1) * 100
        first, last = per_item[args.sizes[0]], per_item[args.sizes[-1]]
        print(
            f"largest / smallest size: {last / first:.2f}; spread across sizes {spread:.0f} %"
            " (goal: within ±20 %)"
        )
        sizes = " → ".join(f"{n:,}" for n in args.sizes) + " items"
        record("per-item cost (run + approve), spread", spread, "%", 20, size=sizes)
        for db in dbs.values():
            db.conn.close()


if __name__ == "__main__":
    main()
