"""One way for every benchmark to report a figure against its goal.

``record`` prints nothing itself (each benchmark prints its figures its own way, with
their context); where ``SIGNOFF_BENCH_FIGURES`` names a file, it appends one JSON line
there, which ``benchmarks/run.py`` gathers into one table.
"""

from __future__ import annotations

import json
import os


def record(
    name: str,
    value: float,
    unit: str,
    goal: float | None,
    *,
    at_least: bool = False,
    size: str = "",
) -> None:
    """``goal``: the most ``value`` may be (the least, with ``at_least``); None: no goal.
    ``size``: what it was measured over ("1,000,000 events")."""
    path = os.environ.get("SIGNOFF_BENCH_FIGURES")
    if not path:
        return
    line = {"name": name, "value": value, "unit": unit, "goal": goal, "at_least": at_least,
            "size": size}  # fmt: skip
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
