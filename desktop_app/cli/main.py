"""Run one ``signoff`` command: parse, open what it needs, run it, say what went wrong.

Commands import what they need when they run: ``inbox``, ``show``, ``approve``,
``reject``, ``log`` and ``workflows`` never import litellm (3.6 s, 200 MB), so they
answer at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from desktop_app.cli.context import Context
from desktop_app.cli.errors import exit_status
from desktop_app.cli.exit_codes import EXIT_OK

if TYPE_CHECKING:
    import argparse


def main(
    argv: Sequence[str] | None = None, *, open_window: Callable[..., int] | None = None
) -> int:
    """Run one command. ``open_window(paths, argv)`` opens the desktop app when no command is given;
    it is passed in so this module (like the engine below it) never imports Qt."""
    if argv is None:
        argv = sys.argv[1:]
    if not argv and open_window is not None:
        # `signoff` alone opens the window: building the whole parser (every command's
        # options, and argparse itself) would only delay it.
        args = cast("argparse.Namespace", SimpleNamespace())  # no options: nothing to tell apart
    else:
        from desktop_app.cli.parser import build_parser

        args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    func = getattr(args, "func", cmd_no_command)
    if getattr(args, "version", False):
        from desktop_app.cli.setup import cmd_version

        func = cmd_version
    ctx = None
    try:
        ctx = Context(args)
        ctx.open_window = open_window
        return int(func(ctx, args))
    except (Exception, KeyboardInterrupt) as exc:
        return exit_status(exc, debug=debug)
    finally:
        if ctx is not None:
            ctx.close()


def cmd_no_command(ctx: Context, args: argparse.Namespace) -> int:
    """``signoff`` alone: the desktop window (opened by the caller's ``open_window``), else the help."""
    if ctx.open_window is None:
        from desktop_app.cli.parser import build_parser

        build_parser().print_help()
        return EXIT_OK
    return ctx.open_window(ctx.paths, sys.argv[:1])
