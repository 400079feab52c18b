"""The ``signoff`` command line, on the same services the window uses (a package: the
parser and dispatch, one module a group of commands, and the output, exit statuses and
error lines they share). Errors are one line on stderr and a non-zero exit; a traceback
only with ``--debug``."""

from desktop_app.cli.main import main

__all__ = ["main"]
