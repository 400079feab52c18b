"""Every benchmark, one table: each figure against its goal.

    python benchmarks/run.py [--quick] [--out TABLE.md] [--only NAME ...]

Runs each benchmark script in a process of its own (as documented in
``docs/performance.md``), gathers the figures they ``record`` (``benchmarks/figures.py``)
and prints one Markdown table: figure, what it was measured over, value, goal, met or not.
``--quick`` takes smaller sizes (about 4 minutes here instead of about 15); goals that grow
with the size (the log's verify) are scaled to it, and the sizes are in the table.
Each benchmark's own output goes to a log file named at the end. Exit 1 when a goal is
missed or a benchmark fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]


BENCHES = (
    Bench("runner", "bench_runner.py", ("--inputs", "1000", "--rounds", "5"),
          ("--inputs", "200", "--rounds", "3")),
    Bench("runner-team", "bench_runner.py",
          ("--engine", "postgresql", "--inputs", "1000", "--rounds", "5"),
          ("--engine", "postgresql", "--inputs", "200", "--rounds", "3")),
    Bench("log", "bench_log.py", ("--events", "1000000",), ("--events", "100000")),
    Bench("start", "bench_gui.py", ("--only", "start", "--start-items", "100000", "--rounds", "15"),
          ("--only", "start", "--start-items", "10000", "--rounds", "5")),
    Bench("inbox", "bench_gui.py", ("--only", "inbox", "--inbox-items", "1000000"),
          ("--only", "inbox", "--inbox-items", "100000")),
    Bench("stall", "bench_gui.py",
          ("--only", "stall", "--stall-modes", "process", "--runs", "8", "--items", "1000"),
          ("--only", "stall", "--stall-modes", "process", "--runs", "4", "--items", "250")),
    Bench("team", "bench_team.py", ("--items", "1000000", "--events", "1000000"),
          ("--items", "50000", "--events", "50000")),
    Bench("first-click", "bench_first_click.py", ("--rounds", "3"), ("--rounds", "1")),
    Bench("mailbox", "bench_mailbox.py", ("--messages", "1000", "--rounds", "3"),
          ("--messages", "200", "--rounds", "1")),
    Bench("cli-run", "bench_cli_run.py", ("--rounds", "7"), ("--rounds", "3")),
    Bench("idle", "bench_idle.py", ("--runs", "200",), ("--runs", "30",)),
    Bench("scale", "bench_scale.py", ("--sizes", "10000", "100000", "1000000"),
          ("--sizes", "1000", "10000", "100000", "--inputs", "200", "--rounds", "3")),
)  # fmt: skip


def _met(figure: dict) -> bool | None:
    if figure["goal"] is None:
        return None
    if figure["at_least"]:
        return figure["value"] >= figure["goal"]
    return figure["value"] <= figure["goal"]


def _number(value: float, unit: str) -> str:
    text = f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"
    return f"{text} {unit}" if unit != "x" else f"{text}x"


def table(figures: list[dict]) -> str:
    lines = ["| Figure | Measured over | Value | Goal | Met |", "|---|---|---|---|---|"]
    for f in figures:
        met = _met(f)
        goal = "—"
        if f["goal"] is not None:
            goal = ("≥ " if f["at_least"] else "≤ ") + _number(f["goal"], f["unit"])
        mark = {True: "yes", False: "**no**", None: ""}[met]
        lines.append(
            f"| {f['name']} | {f['size']} | {_number(f['value'], f['unit'])} | {goal} | {mark} |"
        )
    return "\n".join(lines)


def run(bench: Bench, quick: bool, figures: Path, log: Path) -> tuple[int, float]:
    env = dict(
        os.environ,
        SIGNOFF_BENCH_FIGURES=str(figures),
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="tests.helpers.memkeyring.MemoryKeyring",
        PYTHONPATH=str(ROOT),
    )
    args = bench.quick if quick else bench.full
    start = time.perf_counter()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n=== {bench.name}: {bench.script} {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / bench.script), *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return done.returncode, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES])
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    work = Path(tempfile.mkdtemp(prefix="signoff-bench-"))
    figures_file, log = work / "figures.jsonl", work / "benchmarks.log"
    failed = []
    for bench in chosen:
        print(f"{bench.name:<7} …", end=" ", flush=True)
        code, seconds = run(bench, args.quick, figures_file, log)
        print(f"{seconds:.0f} s" + ("" if code == 0 else f"  FAILED (exit {code})"), flush=True)
        if code != 0:
            failed.append(bench.name)
    figures = []
    if figures_file.exists():
        figures = [json.loads(line) for line in figures_file.read_text().splitlines()]
    text = table(figures)
    print()
    print(text)
    missed = [f["name"] for f in figures if _met(f) is False]
    print()
    print(f"{len(figures)} figures; goals missed: {', '.join(missed) or 'none'}"
          + (f"; failed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    print(f"each benchmark's own output: {log}")
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
