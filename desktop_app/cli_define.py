"""The command line's commands for defining workflows: ``new``, ``samples``, ``try``,
``archive`` and ``unarchive``, on the services the spec editor uses (``cli`` wires them)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from desktop_app.cli import EXIT_OK, Context, out
from desktop_app.core.money import usd_or_unknown


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
    from desktop_app.services import catalogue, runs, settings, tryout
    from desktop_app.services.inputs import from_path

    spec = catalogue.find(ctx.workflows_dir, args.name)
    sample = Path(args.sample)
    if not sample.exists() and (spec.samples_dir / args.sample).exists():
        sample = spec.samples_dir / args.sample  # a sample's name is enough
    docs = list(from_path(sample))
    if not docs:
        raise KnownError(f"{sample}: nothing to try on")
    options = runs.options(settings.load(ctx.paths.data_dir), model=args.model)
    result = tryout.try_sample(
        ctx.db, spec, docs[0], options.route, global_month_cap=options.global_month_cap
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
    from desktop_app.services import drafting, runs, settings, workflow_files
    from desktop_app.services.inputs import from_path

    why = workflow_files.check_name(ctx.workflows_dir, args.name)
    if why:
        raise KnownError(why)
    files = [Path(f) for f in args.example or []]
    examples = [doc for path in files for doc in from_path(path)]
    options = runs.options(settings.load(ctx.paths.data_dir), model=args.model)
    draft = drafting.draft_spec(
        ctx.db, ctx.workflows_dir, args.name, args.describe, examples, options.route,
        global_month_cap=options.global_month_cap,
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


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The defining commands, in ``signoff``'s parser."""
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
