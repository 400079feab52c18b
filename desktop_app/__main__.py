"""``python -m desktop_app`` and the ``signoff`` entry point."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.core.paths import Paths


def open_window(
    paths: Paths, argv: Sequence[str], *, when_ready: Callable[[], object] | None = None
) -> int:
    from desktop_app.app import run_app

    return run_app(paths, argv, when_ready=when_ready)


def main(*, when_ready: Callable[[], object] | None = None) -> None:
    """``when_ready``: called once the window is shown (the start benchmark's hook)."""
    if sys.argv[1:] == ["--model-worker"]:  # llm.process_gateway.WORKER_ARG, in a bundle
        from desktop_app.llm.worker import main as worker

        worker()
        return
    from desktop_app.core import collector

    with collector.paused():  # the command line's modules load without collections
        from desktop_app.cli import main as cli_main

    code = cli_main(open_window=partial(open_window, when_ready=when_ready))
    if "litellm" in sys.modules and "PySide6" not in sys.modules:
        exit_without_teardown(code)
    sys.exit(code)


def exit_without_teardown(code: int) -> None:
    """End a command that imported litellm without the interpreter's teardown.

    Tearing down litellm's thousands of modules and classes takes ~0.9 s here, as long as
    everything else a one-input ``signoff run`` does (issue 25). Everything that matters at
    exit still happens: the output is flushed and the ``atexit`` handlers run (logging's
    among them); every database write was committed when its transaction ended. Not for
    the window: Qt's objects are left to their own teardown there."""
    import atexit
    import contextlib
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`... | head`)
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
