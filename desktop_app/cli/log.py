"""The activity log: ``log export``, ``log search``, ``log verify``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.cli.context import Context, search_ready
from desktop_app.cli.exit_codes import EXIT_FAIL, EXIT_OK
from desktop_app.cli.output import cut, err, out
from desktop_app.core.errors import KnownError

if TYPE_CHECKING:
    pass


def cmd_log_search(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import eventlog

    db = ctx.db
    search_ready(ctx, args.query)
    query = eventlog.EventQuery(text=args.query)
    limit = args.limit if args.limit is not None else (0 if args.json else 50)
    seqs = eventlog.event_seqs_page(db, query, None, limit + 1 if limit else 10**12)
    more = bool(limit) and len(seqs) > limit
    seqs = seqs[:limit] if limit else seqs
    if args.json:
        from desktop_app.storage.export import event_json

        sys.stdout.write("[")
        for start in range(0, len(seqs), 200):
            found = eventlog.events_by_seq(db, seqs[start : start + 200])
            lines = (event_json(*found[seq]) for seq in seqs[start : start + 200])
            sys.stdout.write(("," if start else "") + ",".join(lines))
        sys.stdout.write("]\n")
        return EXIT_OK
    if not seqs:
        out(f"no events matching {args.query!r}")
        return EXIT_OK
    from desktop_app.core.search_query import parse
    from desktop_app.storage.export import event_line

    terms = parse(args.query).terms
    out(f"{'SEQ':>8}  {'TIME (UTC)':<19}  {'EVENT':<15}  {'WORKFLOW':<18}  {'ITEM':>6}  DETAIL")
    for start in range(0, len(seqs), 200):
        chunk = seqs[start : start + 200]
        found = eventlog.events_by_seq(db, chunk)
        for seq in chunk:
            event = found[seq]
            item = "" if event.item_id is None else str(event.item_id)
            out(
                f"{event.seq:>8}  {event.ts[:19].replace('T', ' '):<19}  {cut(event.kind, 15):<15}  "
                f"{cut(event.workflow or '', 18):<18}  {item:>6}  {event_line(event, terms, 70)}"
            )
    if more:
        out(f"… more (showing the newest {limit:,}; use --limit 0 for all)")
    return EXIT_OK


def cmd_log_export(ctx: Context, args: argparse.Namespace) -> int:
    """The log as CSV, JSONL or HTML (``storage/export``), or runs and model calls as
    OpenTelemetry GenAI spans (``services/otel``); to a file through a ``.part`` file."""
    filters = {"since": args.since, "until": args.until, "workflow": args.workflow}
    write: Callable[[TextIO], tuple[int, str]]
    if args.format == "otel":
        from desktop_app.services import otel

        def write(fh: TextIO) -> tuple[int, str]:
            return otel.write(ctx.db, fh, **filters), "span(s) (runs and model calls)"

    else:
        from desktop_app.storage.export import export

        def write(fh: TextIO) -> tuple[int, str]:
            return export(ctx.db, args.format, fh, **filters).count, "event(s)"

    if not args.out:
        write(sys.stdout)
        return EXIT_OK
    target = Path(args.out)
    tmp = target.with_name(target.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            count, noun = write(fh)
        tmp.replace(target)
    except OSError as exc:
        raise KnownError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    err(f"exported {count:,} {noun} to {target}")
    return EXIT_OK


def cmd_log_verify(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage.eventlog import verify
    from desktop_app.storage.export import read_anchor

    anchor = read_anchor(Path(args.anchor)) if args.anchor else None
    result = verify(ctx.db, anchor=anchor)
    if result.ok:
        out(result.message)
        return EXIT_OK
    err(f"log verify failed: {result.message}")
    return EXIT_FAIL


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``log`` and its subcommands, in ``signoff``'s parser."""
    p = sub.add_parser("log", parents=[common], help="the activity log: export, search or verify")
    log_sub = p.add_subparsers(dest="log_command", metavar="export|search|verify", required=True)
    e = log_sub.add_parser("export", parents=[common], help="write the log as CSV, JSONL or HTML")
    e.add_argument(
        "--format",
        choices=("csv", "jsonl", "html", "otel"),
        required=True,
        help="otel: runs and model calls as OpenTelemetry GenAI spans (OTLP JSON)",
    )
    e.add_argument("--out", metavar="FILE", help="default: standard output")
    e.add_argument("--since", metavar="DATE", help="YYYY-MM-DD or an ISO 8601 time (UTC)")
    e.add_argument(
        "--until", metavar="DATE", help="YYYY-MM-DD or an ISO 8601 time (UTC), exclusive"
    )
    e.add_argument("--workflow", metavar="NAME")
    e.set_defaults(func=cmd_log_export)
    f = log_sub.add_parser(
        "search",
        parents=[common],
        help="find events: the inbox's search language, newest first",
    )
    f.add_argument(
        "query",
        metavar="QUERY",
        help='words, "a phrase", -word, workflow: status: model: by: after: before:',
    )
    f.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="at most N events (0 = all; default 50, all with --json)",
    )
    f.add_argument("--json", action="store_true", help="a JSON array of events, as exported")
    f.set_defaults(func=cmd_log_search)
    v = log_sub.add_parser(
        "verify", parents=[common], help="recompute the hash chain; exit 1 if altered"
    )
    v.add_argument(
        "--anchor", metavar="EXPORT", help="also check the log still holds this export's head"
    )
    v.set_defaults(func=cmd_log_verify)
