"""SIGTERM and Ctrl+C during a headless run: stop cleanly, never pay twice.

The first signal asks the run to stop: no new model call starts, the calls under way
finish and their items are written, and the run is left ``interrupted`` so the same
command resumes it. A second signal stops at once (``KeyboardInterrupt``): the calls
under way are abandoned and their inputs stay queued for the resume.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType


@dataclass
class StopRequest:
    """What a signal asked: ``cancel`` and ``interrupt`` for the runner's hooks."""

    cancel: threading.Event = field(default_factory=threading.Event)
    interrupt: threading.Event = field(default_factory=threading.Event)
    signum: int | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def exit_code(self) -> int:
        """What a shell expects of a process stopped by this signal (128 + its number)."""
        return 128 + (self.signum or 0)


@contextmanager
def stop_on_signals(say: Callable[[str], None]) -> Iterator[StopRequest]:
    """Within the block, SIGTERM and SIGINT ask for a clean stop (``say`` tells the person
    once); a second one raises ``KeyboardInterrupt``. Outside the main thread, nothing."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if request.interrupt.is_set():
            raise KeyboardInterrupt
        request.signum = signum
        request.interrupt.set()
        request.cancel.set()
        say(
            f"signoff: {signal.Signals(signum).name}: stopping — no new model calls; the ones"
            " under way finish and are kept (again to abandon them)"
        )

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
