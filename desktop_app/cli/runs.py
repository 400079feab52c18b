"""``signoff run``: one run, headless, on the services the window uses; SIGTERM and
Ctrl+C stop it cleanly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.cli.context import Context
from desktop_app.cli.exit_codes import EXIT_FAIL, EXIT_OK
from desktop_app.cli.output import err, out
from desktop_app.core.states import RunState

if TYPE_CHECKING:
    from desktop_app.services.runner import RunSummary


def cmd_run(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, run_start
    from desktop_app.services.inputs import read_inputs
    from desktop_app.services.runner import Hooks
    from desktop_app.services.stop_signals import stop_on_signals

    given = args.input is not None or args.text is not None
    if given:
        ctx.gateway.warm()  # litellm's import in the worker, beside this command's own start
    spec = catalogue.find(ctx.workflows_dir, args.name)
    inputs = None
    if given:
        inputs = read_inputs(
            spec,
            ctx.paths.data_dir,
            input_path=Path(args.input) if args.input else None,
            text=args.text,
        )

    def on_item(item_id: int, status: str) -> None:
        if not args.json:
            out(f"item {item_id}: {status}")

    def on_resume(run_id: int, _workflow: str) -> None:
        if not args.json:
            out(f"resuming interrupted run {run_id}")

    db = ctx.db  # opened (and a dead process's runs marked) before any signal is taken
    with stop_on_signals(err) as stop:
        done = run_start.run_workflow(
            db,
            spec,
            ctx.paths.data_dir,
            inputs=inputs,
            model=args.model,
            api_base=args.api_base,
            concurrency=args.concurrency,
            hooks=Hooks(
                ctx.gateway,
                on_item=on_item,
                on_resume=on_resume,
                cancel=stop.cancel,
                interrupt=stop.interrupt,
            ),
            confirmed=args.yes,
        )
    if done.held:
        err(
            f"signoff: {done.held}: run again with --yes to go ahead, or raise the limit"
            " with `signoff settings --ask-over N`"
        )
        return EXIT_FAIL
    summaries = done.summaries
    if args.json:
        out(json.dumps([_summary_dict(s) for s in summaries], indent=2))
        return stop.exit_code if stop.signum else EXIT_OK
    for s in summaries:
        out(s.describe())
    if done.nothing_new:
        out(f"nothing new to process for '{spec.name}'")
    if any(s.pending or s.escalated for s in summaries):
        out("review them with `signoff inbox`")
    if stop.signum:
        left = [s.run_id for s in summaries if s.state is RunState.INTERRUPTED]
        where = f"run {', '.join(map(str, left))} is interrupted" if left else "stopped"
        err(
            f"signoff: {stop.name}: {where}; every item made is kept — the same command"
            " resumes it and takes no input twice"
        )
        return stop.exit_code
    return EXIT_OK


def _summary_dict(s: RunSummary) -> dict[str, Any]:
    return {
        "run_id": s.run_id,
        "workflow": s.workflow,
        "state": s.state.value,
        "inputs": s.inputs,
        "items": s.item_ids,
        "pending": s.pending,
        "escalated": s.escalated,
        "skipped": s.skipped,
        "unreadable": s.unreadable,
        "cost_usd": s.cost_usd,
        "answered": s.answered,
        "resumed": s.resumed,
    }


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``run``, in ``signoff``'s parser."""
    p = sub.add_parser("run", parents=[common], help="run a workflow once; items go to the inbox")
    p.add_argument("name", metavar="NAME")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--input",
        metavar="PATH",
        help="a text file, an .eml, a CSV file (one input per row) or a folder",
    )
    src.add_argument("--text", metavar="TEXT", help="the input itself")
    p.add_argument("--model", metavar="MODEL", help="use this model instead of the spec's")
    p.add_argument(
        "--api-base",
        metavar="URL",
        help="an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1",
    )
    p.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="model calls at once (default 4)"
    )
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.add_argument(
        "--yes",
        action="store_true",
        help="go ahead with more new inputs than Settings runs without asking (default 1,000)",
    )
    p.set_defaults(func=cmd_run)
