"""The quality loop: ``profile`` and ``compare`` (cost and models), ``scorecard`` with its
drift alerts, ``example``, ``test`` and ``report``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Any

from desktop_app.cli.context import Context
from desktop_app.cli.exit_codes import EXIT_FAIL, EXIT_OK
from desktop_app.cli.output import cut, err, money, out
from desktop_app.core.errors import KnownError
from desktop_app.core.money import usd_or_unknown

if TYPE_CHECKING:
    pass
from desktop_app.core.figures import WEEKS_SHOWN, duration, percent, weeks_back


def _since(text: str | None) -> str:
    return _date(text, "--since") or weeks_back()


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}{unit}" if value >= 10 or value == int(value) else f"{value:.1f}{unit}"


def cmd_scorecard(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, settings
    from desktop_app.services.drift import drift
    from desktop_app.services.scorecard import scorecard
    from desktop_app.storage import spec_versions

    since = _since(args.since)
    if args.name:
        names = [catalogue.find(ctx.workflows_dir, args.name).name]
    else:
        names = spec_versions.workflow_names(ctx.db)
    threshold = settings.load(ctx.paths.data_dir).max_cost_per_approved_usd
    cards = [scorecard(ctx.db, name, since=since) for name in names]
    drifts = {name: drift(ctx.db, name, threshold) for name in names}
    if args.json:
        listing = [{**c.as_dict(), "drift": [asdict(d) for d in drifts[c.workflow]]} for c in cards]
        out(json.dumps(listing, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not cards:
        out("no workflow has run yet")
    for number, card in enumerate(cards):
        if number:
            out()
        _print_card(card)
        for found in drifts[card.workflow]:
            out(f"  drift: {found.message}")
    return EXIT_OK


def _print_card(card: Any) -> None:
    t = card.total
    out(f"{card.workflow} — items made since {card.since}: {t.made:,}")
    if not t.made:
        return
    out(
        f"  approved as is {percent(t.rate(t.approved))} · edited {percent(t.rate(t.edited))}"
        f" · rejected {percent(t.rate(t.rejected))} · expired {percent(t.rate(t.expired))}"
        f" · open {percent(t.rate(t.open))} · made escalated {percent(t.rate(t.escalated))}"
    )
    out(
        f"  cost per approved output {usd_or_unknown(t.cost_per_approved)}"
        f" · per run {usd_or_unknown(t.cost_per_run)} · decided in {duration(t.decision_minutes_median)}"
        f" (median) · an edit changes {_number(t.edit_chars_median)} characters"
        f" (median; 90 % up to {_number(t.edit_chars_p90)})"
    )
    out(
        f"  {'WEEK':<10} {'MADE':>5} {'AS IS':>6} {'EDITED':>6} {'REJECT':>6} {'EXPIRE':>6}"
        f" {'ESCAL':>6} {'EDIT CH':>8} {'DECIDED':>8} {'PER RUN':>10} {'PER APPROVED':>12}"
    )
    for w in card.weeks:
        out(
            f"  {w.start:<10} {w.made:>5} {percent(w.rate(w.approved)):>6}"
            f" {percent(w.rate(w.edited)):>6} {percent(w.rate(w.rejected)):>6}"
            f" {percent(w.rate(w.expired)):>6} {percent(w.rate(w.escalated)):>6}"
            f" {_number(w.edit_chars_median):>8} {duration(w.decision_minutes_median):>8}"
            f" {usd_or_unknown(w.cost_per_run):>10} {usd_or_unknown(w.cost_per_approved):>12}"
        )
    if card.rejection_reasons:
        shown = " · ".join(f"{reason} ({count})" for reason, count in card.rejection_reasons[:5])
        out(f"  rejected because: {shown}")


def cmd_example(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services.examples import add_example

    path = add_example(ctx.db, ctx.workflows_dir, args.id)
    out(f"kept item {args.id} as an example: {path}")
    out(
        "`{{ examples }}` in the prompt shows the examples to the model; `signoff test` checks them"
    )
    return EXIT_OK


def cmd_test(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, run_start, settings
    from desktop_app.services.examples import test_examples

    spec = catalogue.find(ctx.workflows_dir, args.name)
    options = run_start.options(settings.load(ctx.paths.data_dir), model=args.model)
    report = test_examples(
        ctx.db,
        spec,
        options.route,
        global_month_cap=options.global_month_cap,
        gateway=ctx.gateway,
    )
    if args.json:
        out(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_FAIL if report.failed else EXIT_OK
    out(f"== {report.workflow} on its {len(report.cases)} example(s), model {report.model}")
    for case in report.cases:
        out(f"{case.result.upper():<7} {case.example}: {case.reason}")
    failed = len(report.failed)
    out(
        f"{failed} of {len(report.cases)} break or drift; cost {usd_or_unknown(report.cost_usd)}"
        if failed
        else f"all {len(report.cases)} hold; cost {usd_or_unknown(report.cost_usd)}"
    )
    return EXIT_FAIL if failed else EXIT_OK


def cmd_report(ctx: Context, args: argparse.Namespace) -> int:
    from pathlib import Path

    from desktop_app.services import report, settings
    from desktop_app.services.spec_files import write_atomically

    since, until = report.default_period()
    since = _date(args.since, "--since") or since
    until = _date(args.until, "--until") or until
    if until <= since:
        raise KnownError(f"--until ({until}) must be after --since ({since})")
    text = report.build(
        ctx.db,
        ctx.workflows_dir,
        since=since,
        until=until,
        global_month_cap=settings.load(ctx.paths.data_dir).monthly_budget_usd,
    )
    target = Path(args.out)
    if target.suffix.lower() not in (".html", ".htm"):
        raise KnownError(f"--out names an HTML file (FILE.html), not {target.name}")
    try:
        write_atomically(target, text)
    except OSError as exc:
        raise KnownError(f"cannot write {target}: {exc.strerror}") from None
    out(f"wrote the report for {since} to {until} (exclusive) to {target}")
    return EXIT_OK


def _date(text: str | None, option: str) -> str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise KnownError(f"{option} takes a date, YYYY-MM-DD (not {text!r})") from None


def cmd_profile(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, settings
    from desktop_app.services.profiler import Profiler, default_models

    spec = catalogue.find(ctx.workflows_dir, args.name)
    chosen = settings.load(ctx.paths.data_dir)
    models = args.model or default_models(spec, chosen.run_model(None), chosen.run_fallbacks())

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(
                f"\r{done}/{total} sample runs", end="" if done < total else "\n", file=sys.stderr
            )

    profiler = Profiler(ctx.db, ctx.gateway, on_progress=progress)
    profile = profiler.profile(
        spec,
        models,
        api_base=chosen.run_api_base(args.api_base),
        runs_per_month=args.runs_per_month,
        global_month_cap=chosen.monthly_budget_usd,
        concurrency=args.concurrency,
    )
    if args.json:
        out(json.dumps(profile.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    out(
        f"profile {profile.id} of {spec.name} ({len(profile.samples)} samples, spec {spec.version[:12]})"
    )
    month = "projected month" if profile.runs_per_month is not None else "month"
    out(
        f"runs per month: {profile.runs_per_month if profile.runs_per_month is not None else '-'} ({profile.runs_basis})"
    )
    out(
        f"{'MODEL':<34} {'COST/RUN':>10} {'MAX':>10} {'TOK IN':>7} {'TOK OUT':>7} "
        f"{'P50 MS':>7} {'P95 MS':>7} {'PASS':>5} {month.upper():>16}"
    )
    for r in profile.reports:
        flag = (
            ""
            if r.cost_known
            else (
                "  (price unknown; on this machine: not billed)"
                if r.served_here
                else "  (price unknown)"
            )
        )
        out(
            f"{cut(r.model, 34):<34} {money(r.cost_mean_usd, r.cost_known):>10} "
            f"{money(r.cost_max_usd, r.cost_known):>10} "
            f"{_num(r.tokens_in_mean):>7} {_num(r.tokens_out_mean):>7} "
            f"{_num(r.latency_p50_ms):>7} {_num(r.latency_p95_ms):>7} {r.pass_rate:>5.0%} "
            f"{money(r.projected_month_usd, r.projected_month_usd is not None):>16}{flag}"
        )
        for check, count in r.failed_checks.items():
            out(f"{'':<34} failed {check}: {count} of {r.samples}")
    for sample, by_model in profile.side_by_side():
        out(f"\n== {sample}")
        for model, run in by_model.items():
            verdict = (
                "passed"
                if run.passed
                else f"{run.status}: {run.reason or ', '.join(run.failed_checks)}"
            )
            out(f"-- {model} ({verdict}, {money(run.cost_usd)})")
            out(run.output.rstrip() or "(no output)")
    if profile.state != "finished":
        err(f"profile {profile.state}")
        return EXIT_FAIL
    return EXIT_OK


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def cmd_compare(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, compare, settings
    from desktop_app.storage import item_rows

    item = item_rows.get_item(ctx.db, args.id)
    spec = catalogue.find(ctx.workflows_dir, item["workflow"])
    chosen = settings.load(ctx.paths.data_dir)
    result = compare.compare(
        ctx.db,
        args.id,
        spec,
        args.model,
        api_base=chosen.run_api_base(args.api_base),
        global_month_cap=chosen.monthly_budget_usd,
        gateway=ctx.gateway,
    )
    kept = compare.keep(ctx.db, result) if args.keep else None
    if args.json:
        out(json.dumps({**result.as_dict(), "kept_item_id": kept}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for label, side in ((f"item {args.id}", result.original), ("compared", result.other)):
        verdict = side.status + (f": {side.reason}" if side.reason else "")
        out(f"== {label}: {side.model} ({verdict}, {money(side.cost_usd)})")
        out(side.output.rstrip() or "(no output)")
    if kept is not None:
        out(f"kept as item {kept} (pending review)")
    return EXIT_OK


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The quality loop's commands, in ``signoff``'s parser."""
    p = sub.add_parser(
        "profile",
        parents=[common],
        help="run a workflow's samples on one or more models: cost, latency, pass rate",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--model",
        metavar="MODEL",
        nargs="+",
        action="extend",
        help="the models to compare (default: the one it runs on and its fallbacks)",
    )
    p.add_argument("--api-base", metavar="URL", help="an OpenAI-compatible server")
    p.add_argument(
        "--runs-per-month",
        type=float,
        metavar="N",
        help="project the month at N runs (default: from its schedule)",
    )
    p.add_argument("--concurrency", type=int, default=4, metavar="N", help="calls at once")
    p.add_argument("--json", action="store_true", help="print the whole profile as JSON")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser(
        "compare", parents=[common], help="run a past item's input on another model, side by side"
    )
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--model", metavar="MODEL", required=True, help="the model to compare with")
    p.add_argument("--api-base", metavar="URL", help="an OpenAI-compatible server")
    p.add_argument("--keep", action="store_true", help="keep its output as a new inbox item")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "scorecard",
        parents=[common],
        help="approval, edit, reject and escalation rates, edit size, cost per approved output, by week",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="one workflow (default: every one)")
    p.add_argument(
        "--since",
        metavar="DATE",
        help=f"YYYY-MM-DD: items made from that day (default: the last {WEEKS_SHOWN} weeks)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_scorecard)

    p = sub.add_parser(
        "example",
        parents=[common],
        help="keep an edited or rejected item as an example of its workflow",
    )
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_example)

    p = sub.add_parser(
        "test",
        parents=[common],
        help="run a workflow on its examples: which now break the contract or drift (no item)",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--model", metavar="MODEL", help="another model than the one it runs on")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_test)

    p = sub.add_parser(
        "report",
        parents=[common],
        help="one readable, self-contained HTML report: spend, scorecards, decisions, the log",
    )
    p.add_argument("--out", required=True, metavar="FILE.html")
    p.add_argument("--since", metavar="DATE", help="YYYY-MM-DD (default: this month's first day)")
    p.add_argument("--until", metavar="DATE", help="YYYY-MM-DD, exclusive (default: tomorrow)")
    p.set_defaults(func=cmd_report)
