"""Leaving a process that imported litellm without the interpreter's teardown.

Tearing down litellm's thousands of modules and classes takes ~0.9 s here, as long as
everything else a one-input ``signoff run`` does (issue 25), and a command waits for its
model worker to leave. Everything that matters at exit still happens: the output is
flushed and the ``atexit`` handlers run (logging's among them); every database write was
committed when its transaction ended. Not for the window: Qt's objects are left to their
own teardown there.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys


def exit_without_teardown(code: int) -> None:
    """Run the ``atexit`` handlers, flush the standard streams, and end with ``code``."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`... | head`)
            stream.flush()
    os._exit(code)
