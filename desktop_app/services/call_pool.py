"""The one thread-pool loop for model calls (a run's inputs, a profile's samples)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

# Once a call has finished, how long the caller may wait for others to finish with it, so
# that they are written in one transaction. Each transaction costs the writer a fixed part
# (on a team database two round trips, the log's lock and head): on a fast local model,
# 1,000 inputs went from ~440 groups to ~260 and the writer's CPU from 0.54 to 0.44 ms an
# input (docs/performance.md, stop 33). Beside a real model's second, 10 ms is not seen.
GATHER_S = 0.01

J = TypeVar("J")
R = TypeVar("R")


def map_concurrently(
    jobs: Iterable[J],
    fn: Callable[[J], R],
    *,
    limit: int,
    cancel: threading.Event | None = None,
    name: str = "signoff-calls",
    gather: float = GATHER_S,
) -> Generator[list[tuple[J, R]], None, None]:
    """``fn(job)`` for each job on up to ``limit`` threads; yields, on the caller's thread,
    the ``(job, result)`` pairs that have finished since the last yield (at least one): a
    caller that writes them down writes what finished together in one go, so a slow write
    catches up instead of holding the calls back. Once one has finished, up to ``gather``
    seconds are given for others (up to ``limit`` in all) to finish with it; the calls
    drawn ahead keep the threads busy meanwhile.

    Jobs are drawn from ``jobs`` lazily, on the caller's thread, and never more than
    ``2 * limit`` ahead: the caller may decide about each (a budget check) with what has
    finished so far. Once ``cancel`` is set no new job is drawn; those under way finish
    and are yielded. An exception in ``fn`` is raised here; closing the iterator early
    waits for the calls under way and drops the rest.
    """
    limit = max(1, limit)
    source = iter(jobs)
    in_flight: dict[Future[R], J] = {}
    pool = ThreadPoolExecutor(max_workers=limit, thread_name_prefix=name)
    exhausted = False
    try:
        while True:
            while not exhausted and len(in_flight) < limit * 2:
                if cancel is not None and cancel.is_set():
                    exhausted = True
                    break
                job = next(source, _END)
                if job is _END:
                    exhausted = True
                    break
                in_flight[pool.submit(fn, job)] = job
            if not in_flight:
                return
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            finished |= {f for f in in_flight if f.done()}  # what finished meanwhile too
            _gather(finished, in_flight, limit, time.monotonic() + gather, cancel)
            ordered = [f for f in in_flight if f in finished]  # in the order they were drawn
            yield [(in_flight.pop(f), f.result()) for f in ordered]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _gather(
    finished: set[Future[R]],
    in_flight: dict[Future[R], Any],
    limit: int,
    until: float,
    cancel: threading.Event | None,
) -> None:
    """Add to ``finished`` the calls that finish before ``until``, up to ``limit`` in all."""
    while len(finished) < limit and len(finished) < len(in_flight):
        left = until - time.monotonic()
        if left <= 0 or (cancel is not None and cancel.is_set()):
            return
        running = [f for f in in_flight if f not in finished]
        more, _ = wait(running, timeout=left, return_when=FIRST_COMPLETED)
        finished |= more


_END: Any = object()
