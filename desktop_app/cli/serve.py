"""``signoff serve [--once]``: Signoff without a window (``services/serving``)."""

from __future__ import annotations

import argparse
from typing import Any

from desktop_app.cli.context import Context
from desktop_app.cli.exit_codes import EXIT_OK
from desktop_app.cli.output import err


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import folder_claims, serving
    from desktop_app.services.stop_signals import stop_on_signals

    data_dir = ctx.paths.data_dir
    ctx.workflows_dir  # noqa: B018 -- the data folder made, the bundled workflows there
    # On a team database each due thing is claimed in the database: a window may be open.
    with folder_claims.serving(data_dir, beside_window=ctx.team is not None):
        db = ctx.db  # interrupted runs of a dead process are marked here, said once
        said = "once" if args.once else f"every {serving.INTERVAL_S:.0f} s until stopped"
        err(f"signoff serve: {ctx.paths.data_dir}, what is due {said}")
        with stop_on_signals(err) as stop:
            serving.serve(
                db,
                ctx.paths,
                say=err,
                once=args.once,
                cancel=stop.cancel,
                interrupt=stop.interrupt,
            )
        if stop.signum:
            err(
                f"signoff serve: {stop.name}: stopped; an interrupted run resumes at the next start"
            )
        return EXIT_OK


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``serve``, in ``signoff``'s parser."""
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="Signoff without a window: run what is due (schedules, reminders, actions)"
        " until stopped",
    )
    p.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    p.set_defaults(func=cmd_serve)
