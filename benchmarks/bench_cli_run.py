"""The command line's floor: a one-input ``signoff run`` against a bare ``import litellm``.

Both as fresh processes on the same machine, alternated, best and median of ``--rounds``.
The run talks to a local OpenAI-compatible server (``tests/helpers/llm_server``) that
answers at once, in a data folder of its own made by the first round (so the first round
pays the first start: bundled workflows copied, the database made). Goal: the run costs at
most 1.25x the import, i.e. nothing but litellm's import is slow (issue 25).

    python benchmarks/bench_cli_run.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.figures import record  # noqa: E402
from tests.helpers.llm_server import LLMServer  # noqa: E402

GOAL = 1.25


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    server = LLMServer().start()
    try:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, SIGNOFF_HOME=str(Path(home) / "data"), HOME=home)
            env.pop("SIGNOFF_BENCH_FIGURES", None)
            imports, runs = [], []
            for i in range(args.rounds):
                imports.append(timed([sys.executable, "-c", "import litellm"], env))
                runs.append(timed([
                    sys.executable, "-m", "desktop_app", "run", "review-reply",
                    "--text", f"The cake was lovely ({i})", "--model", "openai/bench",
                    "--api-base", server.url,
                ], env))  # fmt: skip
    finally:
        server.stop()
    for name, values in (("import litellm", imports), ("signoff run (1 input)", runs)):
        shown = " ".join(f"{v:.2f}" for v in values)
        print(
            f"{name:<24} best {min(values):.2f} s  median {statistics.median(values):.2f} s  ({shown})"
        )
    best = min(runs) / min(imports)
    median = statistics.median(runs) / statistics.median(imports)
    print(f"ratio: best {best:.2f}x, median {median:.2f}x (goal <= {GOAL}x)")
    record("signoff run, 1 input / import litellm (median)", median, "x", GOAL,
           size=f"{args.rounds} rounds, fresh processes")  # fmt: skip


if __name__ == "__main__":
    main()
