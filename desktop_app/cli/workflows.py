"""Workflows and defining them: ``check``, ``workflows``, ``enable``, ``disable``, ``new``,
``samples``, ``try``, ``archive``, ``unarchive`` and ``draft``, on the services the spec
editor uses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.cli.context import Context
from desktop_app.cli.exit_codes import EXIT_FAIL, EXIT_OK
from desktop_app.cli.output import cut, err, money, out
from desktop_app.core.errors import KnownError
from desktop_app.core.money import usd, usd_or_unknown

if TYPE_CHECKING:
    pass


def cmd_new(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import workflow_files

    path = workflow_files.new_workflow(
        ctx.db, ctx.workflows_dir, args.name, from_existing=args.from_existing
    )
    out(f"created {path}")
    if not args.from_existing:
        out("fill in its purpose, input, criteria, prompt and output, then `signoff check`")
    return EXIT_OK


def cmd_samples(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import workflow_files

    folder = _workflow_dir(ctx, args.name)
    for path in workflow_files.add_samples(ctx.db, folder, [Path(f) for f in args.add or []]):
        out(f"added {path.name}")
    if args.remove:
        workflow_files.remove_sample(ctx.db, folder, args.remove)
        out(f"removed {args.remove}")
    found = workflow_files.samples(folder)
    if args.json:
        listing = [
            {"name": s.name, "inputs": [d.name for d in s.inputs], "problem": s.problem or None}
            for s in found
        ]
        out(json.dumps(listing, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not found:
        out(f"no samples in {folder / workflow_files.SAMPLES}")
    for sample in found:
        if sample.problem:
            out(f"{sample.name}  (cannot be read: {sample.problem})")
        elif len(sample.inputs) == 1:
            out(sample.name)
        else:
            out(f"{sample.name}  ({len(sample.inputs)} inputs)")
    return EXIT_OK


def cmd_try(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.core.errors import KnownError
    from desktop_app.services import catalogue, run_start, settings, tryout
    from desktop_app.services.inputs import from_path

    spec = catalogue.find(ctx.workflows_dir, args.name)
    sample = Path(args.sample)
    if not sample.exists() and (spec.samples_dir / args.sample).exists():
        sample = spec.samples_dir / args.sample  # a sample's name is enough
    docs = list(from_path(sample))
    if not docs:
        raise KnownError(f"{sample}: nothing to try on")
    options = run_start.options(settings.load(ctx.paths.data_dir), model=args.model)
    result = tryout.try_sample(
        ctx.db,
        spec,
        docs[0],
        options.route,
        global_month_cap=options.global_month_cap,
        gateway=ctx.gateway,
    )
    if args.json:
        out(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return EXIT_OK
    out(f"== {result.workflow} on {result.sample}: {result.status}")
    if result.reason:
        out(f"reason:  {result.reason}")
    out(
        f"model:   {result.model}   cost: {usd_or_unknown(result.cost_usd)}   "
        f"latency: {result.latency_ms or 0} ms   calls: {result.calls}"
    )
    for check in result.checks:
        out(f"{'ok  ' if check.passed else 'FAIL'}  {check.name}: {check.message}")
    out("-- output")
    out(result.output.rstrip() or "(no output)")
    if len(docs) > 1:
        out(f"(tried the first of {len(docs)} inputs in {sample.name})")
    return EXIT_OK


def cmd_archive(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import workflow_files

    workflow_files.archive(ctx.db, ctx.workflows_dir, args.name)
    out(f"archived '{args.name}': hidden, its items and log kept (`signoff unarchive` undoes it)")
    return EXIT_OK


def cmd_unarchive(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import workflow_files

    path = workflow_files.unarchive(ctx.db, ctx.workflows_dir, args.name)
    out(f"'{args.name}' is back in {path.parent}")
    return EXIT_OK


def cmd_draft(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.core.errors import KnownError
    from desktop_app.services import drafting, run_start, settings, workflow_files
    from desktop_app.services.inputs import from_path

    why = workflow_files.check_name(ctx.workflows_dir, args.name)
    if why:
        raise KnownError(why)
    files = [Path(f) for f in args.example or []]
    examples = [doc for path in files for doc in from_path(path)]
    options = run_start.options(settings.load(ctx.paths.data_dir), model=args.model)
    draft = drafting.draft_spec(
        ctx.db, ctx.workflows_dir, args.name, args.describe, examples, options.route,
        global_month_cap=options.global_month_cap, gateway=ctx.gateway,
    )  # fmt: skip
    path = workflow_files.new_workflow(ctx.db, ctx.workflows_dir, args.name, text=draft.text)
    if files:
        workflow_files.add_samples(ctx.db, path.parent, files)
    out(f"drafted {path} ({draft.tries} tr{'y' if draft.tries == 1 else 'ies'}, "
        f"cost {usd_or_unknown(draft.cost_usd)})")  # fmt: skip
    for problem in draft.problems:
        out(str(problem))
    if draft.passes:
        out("it passes `signoff check`: review it (the spec editor, or the file) before you run it")
    else:
        out("review and fix it before it can run: nothing runs until it is complete")
    return EXIT_OK


def _workflow_dir(ctx: Context, name: str) -> Path:
    from desktop_app.core.errors import NotFoundError

    folder = ctx.workflows_dir / name
    if not (folder / "workflow.toml").is_file():
        raise NotFoundError(f"no workflow '{name}' in {ctx.workflows_dir}")
    return folder


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.core.spec_loader import check_spec, discover

    targets: list[Path] = []
    if not args.paths:
        args.paths = [str(ctx.workflows_dir)]
    for raw in args.paths:
        path = Path(raw)
        if path.is_dir() and (path / "workflow.toml").is_file():
            targets.append(path / "workflow.toml")
        elif path.is_dir():
            found = discover(path)
            if not found:
                err(f"{path}: no workflows here (looked for */workflow.toml)")
                return EXIT_FAIL
            targets.extend(found)
        elif path.is_file():
            targets.append(path)
        else:
            err(f"{path}: no such file or folder")
            return EXIT_FAIL
    bad = 0
    for target in targets:
        spec, problems = check_spec(target)
        for problem in problems:
            out(str(problem))
        if problems:
            bad += 1
        elif spec is not None:
            out(f"{target}: ok ({spec.name}: complete)")
    if bad:
        err(f"{bad} of {len(targets)} spec(s) invalid or incomplete")
        return EXIT_FAIL
    return EXIT_OK


def cmd_workflows(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import overview, settings

    if args.take_new:
        from desktop_app.core import bundled

        taken = bundled.take_new(ctx.workflows_dir, args.take_new)
        if not taken:
            raise KnownError(f"no newer bundled version is offered for '{args.take_new}'")
        for name in taken:
            out(f"{name}: the bundled version is in place; yours is kept as {name}.old")
        return EXIT_OK

    threshold = settings.load(ctx.paths.data_dir).max_cost_per_approved_usd
    rows, _specs = overview.survey(ctx.db, ctx.workflows_dir, threshold)
    if args.json:
        out(json.dumps(rows, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not rows:
        out(f"no workflows in {ctx.paths.workflows_dir}")
        return EXIT_OK
    out(
        f"{'NAME':<22} {'COMPLETE':<10} {'ENABLED':<8} {'SCHEDULE':<14} {'PENDING':>7} {'MONTH':>9}  LAST RUN"
    )
    for r in rows:
        complete = "yes" if r["complete"] else ("invalid" if not r["valid"] else "no")
        last = (
            f"{r['last_run']['state']} {r['last_run']['started_at'][:16]}"
            if r["last_run"]
            else "never"
        )
        out(
            f"{cut(r['name'], 22):<22} {complete:<10} {'yes' if r['enabled'] else 'no':<8} "
            f"{cut(r['schedule'] or 'on demand', 14):<14} {r['pending']:>7} {usd(r['month_cost_usd']):>9}  {last}"
        )
        for missing in r["missing"]:
            out(f"{'':<22} missing: {missing}")
        for problem in r["problems"]:
            out(f"{'':<22} {problem}")
        for found in r["drift"]:
            out(f"{'':<22} drift: {found['message']}")
        if r.get("elsewhere"):
            out(f"{'':<22} spec: {r['elsewhere']}")
    return EXIT_OK


def cmd_enable(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, settings, switches

    spec = catalogue.find(ctx.workflows_dir, args.name)
    chosen = settings.load(ctx.paths.data_dir)
    catalogue.sync_version(ctx.db, spec)
    done = switches.enable(
        ctx.db, spec, model=chosen.run_model(None), global_month_cap=chosen.monthly_budget_usd
    )
    # ``enable`` raises unless the gate is open: a profile with a report for the model.
    assert done.profile is not None
    report = done.profile.report_for(done.model)
    assert report is not None
    projected = money(report.projected_month_usd, report.projected_month_usd is not None)
    if report.projected_month_usd is None and report.served_here:
        projected = "nothing billed (a model on this machine)"
    elif report.projected_month_usd is not None:
        projected = f"about {projected} a month"
    else:
        projected = "an unknown cost a month"
    sched = spec.schedule
    assert sched is not None  # ``enable`` refuses a spec without a schedule
    what = f"every {sched.every}" if sched.every else f"cron {sched.cron}"
    out(f"enabled {spec.name}: {what} on {done.model}, {projected}")
    return EXIT_OK


def cmd_disable(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, switches

    catalogue.find(ctx.workflows_dir, args.name)
    if switches.disable(ctx.db, args.name):
        out(f"disabled {args.name}: its schedule is off")
    else:
        out(f"{args.name} was not enabled")
    return EXIT_OK


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The defining commands, in ``signoff``'s parser."""
    p = sub.add_parser(
        "check", parents=[common], help="validate workflow specs (file:line: message)"
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="spec files or folders (default: the workflows folder)",
    )
    p.set_defaults(func=cmd_check)

    for verb, func, text in (
        ("enable", cmd_enable, "start a workflow's schedule (needs a cost profile)"),
        ("disable", cmd_disable, "stop a workflow's schedule"),
    ):
        p = sub.add_parser(verb, parents=[common], help=text)
        p.add_argument("name", metavar="NAME")
        p.set_defaults(func=func)

    p = sub.add_parser(
        "workflows", parents=[common], help="each workflow: complete?, schedule, pending, cost"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--take-new",
        metavar="NAME",
        help="put the newer bundled version offered beside NAME's files (FILE.new) in place;"
        " yours are kept as FILE.old",
    )
    p.set_defaults(func=cmd_workflows)

    p = sub.add_parser(
        "new", parents=[common], help="a new workflow: blank, or a copy of another (--from)"
    )
    p.add_argument("name", metavar="NAME", help="a-z, 0-9 and '-': also its folder's name")
    p.add_argument("--from", dest="from_existing", metavar="EXISTING",
                   help="a workflow of yours or a bundled one, copied with its samples")  # fmt: skip
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("samples", parents=[common], help="list, add or remove a workflow's samples")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--add", nargs="+", metavar="FILE", help="copy files in as samples")
    p.add_argument("--remove", metavar="SAMPLE", help="a sample's file name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_samples)

    p = sub.add_parser("try", parents=[common], help="the spec on one sample: no item is made")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--sample", metavar="FILE", required=True, help="a file, or a sample's name")
    p.add_argument("--model", metavar="MODEL", help="another model than the spec's / Settings'")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_try)

    p = sub.add_parser(
        "draft", parents=[common], help="a model drafts a new workflow's spec from a description"
    )
    p.add_argument("--describe", metavar="TEXT", required=True, help="the task, in a few sentences")
    p.add_argument("--example", nargs="+", metavar="FILE", help="up to three example inputs")
    p.add_argument("--name", metavar="NAME", required=True, help="the new workflow's name")
    p.add_argument("--model", metavar="MODEL", help="another model than Settings' / the default")
    p.set_defaults(func=cmd_draft)

    for verb, func, text in (
        ("archive", cmd_archive, "hide a workflow, keeping its items and log"),
        ("unarchive", cmd_unarchive, "bring an archived workflow back"),
    ):
        p = sub.add_parser(verb, parents=[common], help=text)
        p.add_argument("name", metavar="NAME")
        p.set_defaults(func=func)
