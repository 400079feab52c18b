"""The one thread-pool loop for model calls (a run's inputs, a profile's samples)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

J = TypeVar("J")
R = TypeVar("R")


def map_concurrently(
    jobs: Iterable[J],
    fn: Callable[[J], R],
    *,
    limit: int,
    cancel: threading.Event | None = None,
    name: str = "signoff-calls",
) -> Generator[list[tuple[J, R]], None, None]:
    """``fn(job)`` for each job on up to ``limit`` threads; yields, on the caller's thread,
    the ``(job, result)`` pairs that have finished since the last yield (at least one): a
    caller that writes them down writes what finished together in one go, so a slow write
    catches up instead of holding the calls back.

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
            ordered = [f for f in in_flight if f in finished]  # in the order they were drawn
            yield [(in_flight.pop(f), f.result()) for f in ordered]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_END: Any = object()
