"""This computer's setup: ``settings``, ``key``, ``db recover`` and ``--version``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from desktop_app.cli.context import Context
from desktop_app.cli.exit_codes import EXIT_FAIL, EXIT_OK
from desktop_app.cli.output import err, out
from desktop_app.core.errors import KnownError
from desktop_app.core.money import usd

if TYPE_CHECKING:
    pass


def cmd_db_recover(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import health
    from desktop_app.storage.db import connect
    from desktop_app.storage.eventlog import verify
    from desktop_app.storage.recover import recover

    path = ctx.paths.db_path
    done = recover(path, on_table=lambda table: err(f"copying {table} …"))
    out(f"recovered {path}; the damaged file is kept as {done.damaged_copy}")
    for table, rows in done.rows.items():
        gaps = done.gaps.get(table)
        out(
            f"  {table}: {rows:,} row(s)"
            + (f", {gaps} damaged span(s) stepped over" if gaps else "")
        )
    for table, why in done.unreadable.items():
        out(f"  {table}: could not be read ({why})")
    db = connect(path)
    try:
        damaged = health.damage(path)
        if damaged:
            err(f"signoff: error: {damaged}")
            return EXIT_FAIL
        result = verify(db)
    finally:
        db.conn.close()
    out(f"log verify on the recovered file: {result.message}")
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_key(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.llm import keys

    if args.key_command == "set":
        if sys.stdin.isatty():
            import getpass

            secret = getpass.getpass(f"API key for {args.provider}: ")
        else:
            secret = sys.stdin.readline()
        secret = secret.strip()
        if not secret:
            raise KnownError("no key given on standard input")
        keys.set_key(args.provider, secret)
        out(f"key for {args.provider} stored in the OS keychain")
    else:
        keys.delete_key(args.provider)
        out(f"key for {args.provider} deleted")
    return EXIT_OK


def cmd_settings(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import settings

    current = settings.load(ctx.paths.data_dir)
    changes = (
        args.model,
        args.api_base,
        args.fallbacks,
        args.monthly_budget,
        args.max_cost_per_approved,
        args.ask_over,
        args.name,
    )
    if any(change is not None for change in changes):
        # _replace: the settings this command does not set (quiet hours, muted workflows,
        # start at login) stay as they were
        current = current._replace(
            model=current.model if args.model is None else args.model.strip(),
            api_base=current.api_base if args.api_base is None else args.api_base.strip(),
            fallbacks=current.fallbacks
            if args.fallbacks is None
            else settings.parse_models(args.fallbacks),
            monthly_budget_usd=current.monthly_budget_usd
            if args.monthly_budget is None
            else settings.parse_money(args.monthly_budget),
            max_cost_per_approved_usd=current.max_cost_per_approved_usd
            if args.max_cost_per_approved is None
            else settings.parse_money(args.max_cost_per_approved),
            ask_over_inputs=current.ask_over_inputs if args.ask_over is None else args.ask_over,
            name=current.name if args.name is None else args.name.strip(),
        )
        settings.save(ctx.paths.data_dir, current)
    out(f"model:     {current.model or '(each workflow its own)'}")
    out(f"api base:  {current.api_base or '(the provider default)'}")
    out(f"fallbacks: {', '.join(current.fallbacks) or '(each workflow its own)'}")
    cap = current.monthly_budget_usd
    out(f"budget:    {'(no cap for all workflows)' if cap is None else usd(cap) + ' a month'}")
    alert = current.max_cost_per_approved_usd
    out(
        "drift:     "
        + ("(no cost alert)" if alert is None else f"alert over {usd(alert)} per approved output")
    )
    out(f"ask over:  {current.ask_over_inputs:,} new inputs in one run")
    from desktop_app.services.decisions import default_decider

    out(f"name:      {current.name or default_decider() + ' (your login name)'}")
    return EXIT_OK


def cmd_db_info(ctx: Context, args: argparse.Namespace) -> int:
    """``signoff db info``: engine, where, schema and what the database holds."""
    from desktop_app.storage.db_info import COUNTED, info

    facts = info(ctx.db, ctx.paths.db_path)
    if args.json:
        import json

        out(json.dumps(facts, indent=2))
        return EXIT_OK
    schema = str(facts["schema"])
    if facts["schema"] != facts["schema_written"]:
        schema += f" (this version writes {facts['schema_written']})"
    out(f"engine:   {facts['engine']} (this computer's file; no team database)")
    out(f"file:     {facts['file']} ({facts['size_mb']:,} MB, journal {facts['journal']})")
    out(f"schema:   {schema}")
    out("holds:    " + ", ".join(f"{facts[t]:,} {t.replace('_', ' ')}" for t in COUNTED))
    return EXIT_OK


def cmd_db_copy(ctx: Context, args: argparse.Namespace) -> int:
    """``signoff db copy --to URL`` (this computer's history into a team database) or
    ``--from URL`` (back out, into this computer's file)."""
    from desktop_app.services.team import team_ref
    from desktop_app.storage.copy import copy_history
    from desktop_app.storage.eventlog import verify
    from desktop_app.storage.opening import connect

    team = team_ref(args.to or args.from_)
    ctx.workflows_dir  # noqa: B018 -- the data folder made
    here = connect(ctx.paths.db_path)
    there = connect(team)
    source, target = (here, there) if args.to else (there, here)
    name = team.url if args.to else str(ctx.paths.db_path)
    try:
        copied = copy_history(
            source, target, target_name=name, on_table=lambda t, n: err(f"copied {n:,} {t}")
        )
        before, after = verify(source), verify(target)
    finally:
        here.conn.close()
        there.conn.close()
    out(f"copied {copied['items']:,} items, {copied['runs']:,} runs and {copied['events']:,}"
        f" events into {name}")  # fmt: skip
    same = before.ok and after.ok and before.message == after.message
    out(f"the copy's log: {after.message}" + (" (the same as the source's)" if same else ""))
    if not same:
        err(f"signoff: the source's log: {before.message}")
        return EXIT_FAIL
    return EXIT_OK


def cmd_version(ctx: Context, args: argparse.Namespace) -> int:
    """``signoff --version``: reads the data folder, never creates or migrates it."""
    from desktop_app.services import about

    out(about.text(ctx.paths.data_dir))
    return EXIT_OK


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``db``, ``key`` and ``settings``, in ``signoff``'s parser."""
    p = sub.add_parser("db", parents=[common], help="the database file itself")
    db_sub = p.add_subparsers(dest="db_command", metavar="info|copy|recover", required=True)
    i = db_sub.add_parser(
        "info", parents=[common], help="the database's engine, file, schema and what it holds"
    )
    i.add_argument("--json", action="store_true", help="the same as a JSON object")
    i.set_defaults(func=cmd_db_info)
    c = db_sub.add_parser(
        "copy",
        parents=[common],
        help="copy this computer's whole history into an empty team database, or back out",
    )
    where = c.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", metavar="URL", help="into this team database (it must be empty)")
    where.add_argument(
        "--from",
        dest="from_",
        metavar="URL",
        help="out of this team database, into this computer's file",
    )
    c.set_defaults(func=cmd_db_copy)
    r = db_sub.add_parser(
        "recover",
        parents=[common],
        help="copy what can be read of a damaged database into a new file and use that"
        " (the damaged file is kept beside it; close the window first)",
    )
    r.set_defaults(func=cmd_db_recover)

    p = sub.add_parser(
        "key", parents=[common], help="store or delete a provider's API key in the OS keychain"
    )
    key_sub = p.add_subparsers(dest="key_command", metavar="set|delete", required=True)
    for verb, text in (
        ("set", "store a key read from standard input"),
        ("delete", "delete a stored key"),
    ):
        k = key_sub.add_parser(verb, parents=[common], help=text)
        k.add_argument(
            "provider", metavar="PROVIDER", help="e.g. openai, anthropic, gemini, mistral"
        )
        k.set_defaults(func=cmd_key)

    p = sub.add_parser(
        "settings", parents=[common], help="show or set the model and server every run uses"
    )
    p.add_argument(
        "--model", metavar="MODEL", help='for every workflow, e.g. openai/llama3.1 ("" to clear)'
    )
    p.add_argument("--api-base", metavar="URL", help='e.g. http://127.0.0.1:11434/v1 ("" to clear)')
    p.add_argument(
        "--fallbacks",
        metavar="MODELS",
        help='comma-separated, tried in order when the model fails; replace each spec\'s ("" to clear)',
    )
    p.add_argument(
        "--monthly-budget",
        metavar="USD",
        help='a cap on all workflows\' spend per month, e.g. 20 ("" for no cap)',
    )
    p.add_argument(
        "--max-cost-per-approved",
        metavar="USD",
        help='a drift alert when a workflow\'s cost per approved output passes it ("" for none)',
    )
    p.add_argument(
        "--ask-over",
        type=int,
        metavar="N",
        help="a run over more than N new inputs asks first (the window) or needs --yes (default 1000)",
    )
    p.add_argument(
        "--name",
        metavar="NAME",
        help='the name this computer\'s decisions carry (default: your login name; "" for it)',
    )
    p.set_defaults(func=cmd_settings)
