"""Garbage collection paused while the app starts (core/collector)."""

from __future__ import annotations

import gc

import pytest

from desktop_app.core import collector


@pytest.fixture(autouse=True)
def _collector_restored():
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_no_collection_inside_then_the_objects_are_frozen():
    gc.enable()
    gc.unfreeze()
    with collector.paused():
        assert not gc.isenabled()
        made = [[] for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


def test_nested_pauses_and_an_error_leave_collection_as_it_was():
    gc.enable()
    with pytest.raises(RuntimeError), collector.paused():
        with collector.paused():
            pass
        assert not gc.isenabled()  # the inner block does not turn it back on
        raise RuntimeError("the start failed")
    assert gc.isenabled()
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()  # off before, off after


class _Cycle:
    """An object that refers to itself: only the collector frees it."""

    freed = 0

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.freed += 1


@pytest.mark.parametrize("tidy", [True, False])
def test_a_tidy_pause_frees_the_blocks_garbage_before_freezing_the_rest(tidy):
    gc.enable()
    gc.collect()
    gc.unfreeze()
    _Cycle.freed = 0
    with collector.paused(tidy=tidy):
        for _ in range(100):
            _Cycle()  # garbage at once, as an import's cycles are by its end
        kept = [[] for _ in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() >= len(kept)
    gc.collect()
    # tidy: freed before the freeze; without it the cycles are frozen and kept for good
    assert _Cycle.freed == (100 if tidy else 0)
