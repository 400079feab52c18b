"""Items and decisions: ``inbox``, ``show``, ``approve``, ``action``, ``reject``, ``undo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop_app.cli.context import Context, search_ready
from desktop_app.cli.exit_codes import EXIT_FAIL, EXIT_OK
from desktop_app.cli.output import cut, err, out, stream_json_array
from desktop_app.core.money import cost_text, item_answered
from desktop_app.core.states import ItemState
from desktop_app.core.visible import reveal

STATUSES = (*(s.value for s in ItemState), "all")


def cmd_inbox(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import item_pages, item_rows

    statuses: tuple[str, ...]
    if args.status == "all":
        statuses = STATUSES[:-1]
    elif args.status:
        statuses = (args.status,)
    else:
        statuses = (ItemState.PENDING.value, ItemState.ESCALATED.value)
    db = ctx.db
    if args.json:
        search_ready(ctx, args.search or "")
        stream = item_rows.iter_items(
            db,
            statuses=statuses,
            workflow=args.workflow,
            limit=args.limit or None,
            full=True,
            search=args.search or "",
        )
        stream_json_array((item_rows.public_item(i) for i in stream), sys.stdout)
        return EXIT_OK
    limit = args.limit if args.limit is not None else 50
    search = args.search or ""
    search_ready(ctx, search)
    # A search is not counted (over every status that would read the whole table): one
    # item more than shown says whether there are more.
    total = (
        None if search else item_pages.count_items(db, statuses=statuses, workflow=args.workflow)
    )
    items = list(
        item_rows.iter_items(
            db,
            statuses=statuses,
            workflow=args.workflow,
            limit=(limit + 1 if search else limit) or None,
            search=search,
        )
    )
    if not items:
        from desktop_app.core.search_query import nothing_found, parse

        out(nothing_found(parse(search), statuses, args.workflow))
        return EXIT_OK
    out(f"{'ID':>6}  {'STATUS':<9}  {'WORKFLOW':<20}  {'INPUT':<24}  OUTPUT / REASON")
    for item in items[:limit] if limit else items:
        text = (
            item["reason"]
            if item["status"] is ItemState.ESCALATED and item["reason"]
            else item["output"]
        )
        if item["status"] is ItemState.REJECTED and item.get("reject_reason"):
            text = f"rejected: {item['reject_reason']}"
        line = reveal(" ".join((text or "").split()))
        mark = "!" if item["status"] is ItemState.ESCALATED else " "
        out(
            f"{item['id']:>6}{mark} {item['status']:<9}  {cut(item['workflow'], 20):<20}  "
            f"{cut(reveal(item['input_name']), 24):<24}  {cut(line, 70)}"
        )
    if limit and total is not None and total > limit:
        out(f"… {total - limit:,} more (showing {limit:,} of {total:,}; use --limit 0 for all)")
    elif limit and len(items) > limit:
        out(f"… more match (showing the first {limit:,}; use --limit 0 for all)")
    return EXIT_OK


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import item_rows

    item = item_rows.get_item(ctx.db, args.id)
    public = item_rows.public_item(item)
    if args.json:
        out(json.dumps(public, indent=2, ensure_ascii=False))
        return EXIT_OK
    cost = cost_text(item["cost_usd"], answered=item_answered(item))
    out(f"item {item['id']} — {item['workflow']} — {item['status'].upper()}")
    out(f"input:    {reveal(item['input_name'])} (run {item['run_id']}, {item['created_at']})")
    out(
        f"model:    {item['model'] or '-'}   cost: {cost}   latency: {item['latency_ms'] or 0} ms   "
        f"tokens: {item['tokens_in'] or 0} in / {item['tokens_out'] or 0} out"
    )
    if item["reason"]:
        out(f"escalated because: {reveal(item['reason'])}")
    if item["decided_at"]:
        out(f"decided:  {item['status']} by {item['decided_by']} at {item['decided_at']}")
    if item["reject_reason"]:
        out(f"rejected because: {reveal(item['reject_reason'])}")
    if item["checks"]:
        out(
            "checks:   "
            + ", ".join(
                f"{c['name']} {'passed' if c['passed'] else 'FAILED'}" for c in item["checks"]
            )
        )
        for c in item["checks"]:
            if not c["passed"]:
                out(f"          - {c['message']}")
    out("\n--- input ---")
    out(reveal(item["input_text"]))  # shown as it reads: hidden characters marked
    out("\n--- output ---")
    out(reveal(item["output"]))
    if item["diff"]:
        out("\n--- edit (diff against the model's output) ---")
        out(reveal(item["diff"].rstrip("\n")))
    return EXIT_OK


def cmd_approve(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import decisions
    from desktop_app.services.inputs import read_text_file

    edited = read_text_file(Path(args.edit_file)) if args.edit_file else None
    item = decisions.approve(ctx.db, args.id, by=ctx.decider(args.by), edited_text=edited)
    note = " with your edit" if item["diff"] else ""
    out(f"item {item['id']} approved{note} by {item['decided_by']}")
    return _act(ctx, item["id"], item["workflow"])


def _act(ctx: Context, item_id: int, workflow: str) -> int:
    """The workflow's action for an approved item, once (``action.done`` / ``action.failed``)."""
    from desktop_app.services import actions, catalogue

    spec = catalogue.find(ctx.workflows_dir, workflow)
    result = actions.perform(ctx.db, item_id, spec, ctx.paths.data_dir)
    if result.state == "none":
        return EXIT_OK
    if result.state == "failed":
        err(f"signoff: error: the {result.kind} action failed: {result.message}")
        err(f"retry it with `signoff action {item_id}` (the model is not run again)")
        return EXIT_FAIL
    out(f"{result.kind} action: {result.message}")
    return EXIT_OK


def cmd_action(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import item_rows

    item = item_rows.get_item(ctx.db, args.id)
    return _act(ctx, item["id"], item["workflow"])


def cmd_reject(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import decisions

    item = decisions.reject(ctx.db, args.id, reason=args.reason, by=ctx.decider(args.by))
    out(f"item {item['id']} rejected by {item['decided_by']}: {item['reject_reason']}")
    return EXIT_OK


def cmd_undo(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import decisions

    item = decisions.undo(ctx.db, args.id, by=ctx.decider(args.by))
    out(f"item {item['id']} is {item['status']} again")
    return EXIT_OK


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The item commands, in ``signoff``'s parser."""
    p = sub.add_parser("inbox", parents=[common], help="items awaiting a decision")
    p.add_argument("--status", choices=STATUSES, help="default: pending and escalated")
    p.add_argument("--workflow", metavar="NAME")
    p.add_argument(
        "--search",
        metavar="QUERY",
        help='words, "a phrase", -word, workflow: status: model: by: after: before:',
    )
    p.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="at most N items (0 = all; default 50, all with --json)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inbox)

    p = sub.add_parser("show", parents=[common], help="one item in full")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "approve", parents=[common], help="approve an item (optionally with an edit)"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument(
        "--edit-file", metavar="FILE", help="the edited output; the original and the diff are kept"
    )
    p.add_argument("--by", metavar="NAME", help="who decides (default: your user name)")
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser(
        "action", parents=[common], help="carry out (or retry) an approved item's action"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_action)

    p = sub.add_parser("reject", parents=[common], help="reject an item, with a reason")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument("--by", metavar="NAME")
    p.set_defaults(func=cmd_reject)

    p = sub.add_parser(
        "undo", parents=[common], help="take back the last decision on an item (for a minute)"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--by", metavar="NAME")
    p.set_defaults(func=cmd_undo)
