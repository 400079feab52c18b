"""Runner overhead: N inputs through the runner vs the same N calls made directly with litellm.

Both go to the same local OpenAI-compatible server (the test suite's) with the
same concurrency; the runner also renders prompts, checks outputs and writes
items, events and model-call rows to a real SQLite file. Goal: ratio <= 1.15.

The runner is measured as every front end runs it (the window, ``serve`` and the command
line): its model calls made in the model worker (``llm.process_gateway``), its writing in
this process. The same runner with its calls in this process (``Runner``'s default, which
no front end uses) is printed beside it for comparison.

    python benchmarks/bench_runner.py [--inputs 1000] [--concurrency 4] [--realistic]

``--realistic``: inputs of about 1.5 KB and answers of about 500 B (issue 16's sizes, the
text of ``benchmarks/history.py``), so the full-text index's triggers have real text to
index. Every run also times the runner on a database without the search index's triggers,
to show what they cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from benchmarks.figures import record  # noqa: E402
from desktop_app.core.spec_loader import load_spec  # noqa: E402
from desktop_app.core.templates import render_messages  # noqa: E402
from desktop_app.llm.process_gateway import ProcessGateway  # noqa: E402
from desktop_app.services.inputs import from_text  # noqa: E402
from desktop_app.services.runner import Runner, RunOptions  # noqa: E402
from desktop_app.storage.db import connect  # noqa: E402
from tests.helpers.llm_server import LLMServer, reply  # noqa: E402
from tests.helpers.specs import write_spec  # noqa: E402


def direct(spec, docs, url: str, concurrency: int) -> float:
    import litellm

    def one(doc):
        return litellm.completion(
            model=spec.model.name,
            messages=render_messages(spec, doc),
            api_base=url,
            api_key="local",
            temperature=spec.model.temperature,
            max_tokens=spec.model.max_tokens,
            timeout=spec.model.timeout_s,
            max_retries=0,
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, docs))
    return time.perf_counter() - start


def through_runner(spec, docs, db, concurrency: int, gateway=None) -> float:
    """The runner's time; ``gateway`` None: its calls in this process."""
    start = time.perf_counter()
    summary = Runner(db, gateway).run(spec, docs, RunOptions(concurrency=concurrency))
    elapsed = time.perf_counter() - start
    assert summary.pending == len(docs), summary
    return elapsed


def round_ratios(times: dict[str, list[float]], key: str) -> list[float]:
    """Each round's time for ``key`` against that round's direct calls."""
    return [r / d for r, d in zip(times[key], times["direct"], strict=True)]


def paired(times: dict[str, list[float]], key: str) -> float:
    """The median of each round's ratio to that round's direct calls. The rounds take each
    side in turn, so a round's two sides see the same machine; on this 2-core machine the
    direct calls alone move by up to 40 % from one round to the next, and a ratio of the
    two medians (taken from different rounds) moves with them."""
    return statistics.median(round_ratios(times, key))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--rounds", type=int, default=5, help="take direct and runner in turn this many times"
    )
    parser.add_argument("--realistic", action="store_true", help="1.5 KB in, 500 B out")
    parser.add_argument(
        "--engine", choices=("sqlite", "postgresql"), default="sqlite",
        help="where the runner writes: this computer's file, or a team's database (a server"
        " started for the run)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.engine == "postgresql":
        team(args)
        return
    with tempfile.TemporaryDirectory() as tmp, LLMServer() as server:
        answer = "Thank you for your kind review, we hope to see you again soon!"
        texts = [f"Review number {n}: lovely cake and friendly staff." for n in range(args.inputs)]
        if args.realistic:
            import random

            from benchmarks.history import Text

            text = Text(random.Random(3))
            answer = text.paragraph(480).replace("refund", "reply")  # the spec forbids it
            texts = [text.email(n)[1] for n in range(args.inputs)]
        server.default = reply(answer)
        spec = load_spec(
            write_spec(
                Path(tmp) / "wf", api_base=server.url, retries=0, max_chars=4000, out_max=2000
            )
        )
        db = connect(Path(tmp) / "signoff.db")
        bare = connect(Path(tmp) / "bare.db")  # the same without the search index's triggers
        for trigger in ("items_fts_insert", "items_fts_update"):
            bare.execute(f"DROP TRIGGER {trigger}")
        docs = [from_text(t) for t in texts]
        import litellm  # noqa: F401  -- imported before timing: both sides pay it once

        worker = ProcessGateway()
        direct(spec, docs[:20], server.url, args.concurrency)  # warm every path
        through_runner(spec, docs[:20], db, args.concurrency, worker)
        through_runner(spec, docs[:20], db, args.concurrency)
        through_runner(spec, docs[:20], bare, args.concurrency, worker)
        times: dict[str, list[float]] = {"direct": [], "runner": [], "here": [], "bare": []}
        for _ in range(args.rounds):  # in turn, so each sees the same machine
            times["direct"].append(direct(spec, docs, server.url, args.concurrency))
            times["runner"].append(through_runner(spec, docs, db, args.concurrency, worker))
            times["here"].append(through_runner(spec, docs, db, args.concurrency))
            times["bare"].append(through_runner(spec, docs, bare, args.concurrency, worker))
        worker.close()
        n = args.inputs
        mid = {k: statistics.median(v) for k, v in times.items()}
        ratios = round_ratios(times, "runner")
        print(f"inputs: {n}, concurrency: {args.concurrency}, median of {args.rounds} rounds")
        for key, label in (
            ("direct", "litellm direct"),
            ("runner", "runner, calls in the model worker"),
            ("here", "runner, calls in this process"),
            ("bare", "runner without the index's triggers"),
        ):
            print(f"{label:<36}: {mid[key]:7.2f} s  ({mid[key] / n * 1000:.2f} ms/input)")
        print(
            f"ratio runner/direct, median of the rounds' ratios: {paired(times, 'runner'):.3f}"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)}; of the medians"
            f" {mid['runner'] / mid['direct']:.3f})  goal <= 1.15"
        )
        print(f"ratio with the calls in this process: {paired(times, 'here'):.3f}")
        kind = "realistic sizes" if args.realistic else "short texts"
        record("runner / raw litellm", paired(times, "runner"), "x", 1.15,
               size=f"{n:,} inputs, {kind}")  # fmt: skip
        print(
            f"ratio without the triggers: {paired(times, 'bare'):.3f}; the triggers cost "
            f"{(mid['runner'] - mid['bare']) / n * 1000:+.2f} ms/input"
        )
        db.conn.close()
        bare.conn.close()


def team(args: argparse.Namespace) -> None:
    """The runner writing to a team's PostgreSQL database against raw litellm (issue 26)."""
    from desktop_app.storage import pg
    from tests.helpers.postgres import PostgresServer, binaries

    found = binaries()
    if found is None:
        raise SystemExit("needs PostgreSQL (Debian: apt install postgresql)")
    server_pg = PostgresServer(found).start()
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            LLMServer() as server,
            server_pg.database() as url,
        ):
            server.default = reply("Thank you for your kind review, we hope to see you again soon!")
            spec = load_spec(write_spec(Path(tmp) / "wf", api_base=server.url, retries=0))
            docs = [from_text(f"Review number {n}: lovely cake and friendly staff.")
                    for n in range(args.inputs)]  # fmt: skip
            db = pg.connect(url)
            import litellm  # noqa: F401  -- imported before timing: both sides pay it once

            worker = ProcessGateway()
            direct(spec, docs[:20], server.url, args.concurrency)
            through_runner(spec, docs[:20], db, args.concurrency, worker)
            through_runner(spec, docs[:20], db, args.concurrency)
            times: dict[str, list[float]] = {"direct": [], "runner": [], "here": []}
            for _ in range(args.rounds):
                times["direct"].append(direct(spec, docs, server.url, args.concurrency))
                times["runner"].append(through_runner(spec, docs, db, args.concurrency, worker))
                times["here"].append(through_runner(spec, docs, db, args.concurrency))
            worker.close()
            db.conn.close()
    finally:
        server_pg.stop()
    mid = {k: statistics.median(v) for k, v in times.items()}
    ratio = paired(times, "runner")
    rounds = ", ".join(f"{r:.2f}" for r in round_ratios(times, "runner"))
    print(f"inputs: {args.inputs}, on PostgreSQL: litellm direct {mid['direct']:.2f} s,"
          f" runner {mid['runner']:.2f} s; ratio {ratio:.3f}, median of the rounds' ratios"
          f" ({rounds}; of the medians {mid['runner'] / mid['direct']:.3f}; goal <= 1.15);"
          f" with the calls in this process {paired(times, 'here'):.3f}")  # fmt: skip
    record("runner on PostgreSQL / raw litellm", ratio, "x", 1.15,
           size=f"{args.inputs:,} inputs, short texts")  # fmt: skip


if __name__ == "__main__":
    main()
