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
