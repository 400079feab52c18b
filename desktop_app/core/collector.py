"""Garbage collection paused while the app starts, and while litellm is imported.

The start makes some 20,000 objects that live as long as the app (the modules,
PySide's types and enums); the collector would walk them about 40 times before
the window is up, 6 ms of the start. ``paused()`` holds collection off, then
``gc.freeze`` sets those objects aside, so the collections that run while the
app is used do not walk them either. litellm's import makes ~540,000 (~150,000 of
them garbage by its end): collected as it goes, that is a quarter of the import's
time, and every full collection afterwards walked the rest again (0.2 s each, in
the middle of a run).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(*, tidy: bool = False) -> Iterator[None]:
    """No collection inside the block; what it made is frozen at the end. Nests.

    ``tidy``: one collection before the freeze, for a block that leaves garbage behind
    (an import's reference cycles), which would otherwise be kept for good."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if tidy:
            gc.collect()
        gc.freeze()
        if was_enabled:
            gc.enable()
