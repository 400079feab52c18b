"""Garbage collection paused while the app starts.

The start makes some 20,000 objects that live as long as the app (the modules,
PySide's types and enums); the collector would walk them about 40 times before
the window is up, 6 ms of the start. ``paused()`` holds collection off, then
``gc.freeze`` sets those objects aside, so the collections that run while the
app is used do not walk them either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block; what it made is frozen at the end. Nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
