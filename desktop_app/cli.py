"""The ``signoff`` command line, on the same services the window uses.

Commands import what they need when they run: ``inbox``, ``show``, ``approve``,
``reject``, ``log`` and ``workflows`` never import litellm (3.6 s, 200 MB), so
they answer at once. Errors are one line on stderr and a non-zero exit; a
traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.core.errors import KnownError, SpecError
from desktop_app.core.money import cost_text, item_answered, usd, usd_or_unknown
from desktop_app.core.visible import reveal

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.services.runner import RunSummary
    from desktop_app.storage.db import DatabaseLike

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 70
STATUSES = ("pending", "escalated", "approved", "rejected", "expired", "all")


class Context:
    """Paths and the database, opened on first use."""

    def __init__(self, args: argparse.Namespace):
        from desktop_app.core.paths import resolve_paths

        self.args = args
        self.paths = resolve_paths(
            getattr(args, "data_dir", None), getattr(args, "workflows", None)
        )
        self._db: sqlite_utils.Database | None = None
        self.open_window: Callable[..., int] | None = None

    @property
    def workflows_dir(self) -> Path:
        """The workflows folder, seeded from the bundled examples on first start."""
        self._ensure_data_dir()
        return self.paths.workflows_dir

    def _ensure_data_dir(self) -> None:
        """The data folder made; what an upgrade brought to the workflows folder, said once."""
        from desktop_app.core.paths import ensure_data_dir

        ensure_data_dir(self.paths)
        _say_upgrades()

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            from desktop_app.services.recovery import mark_interrupted
            from desktop_app.storage import health
            from desktop_app.storage.db import connect

            self._ensure_data_dir()
            self._db = connect(self.paths.db_path)
            damaged = health.damage(self.paths.db_path)
            if damaged:
                err(f"signoff: warning: {damaged}")
            _say_upgrades()  # a migrated database, once
            for run_id in mark_interrupted(self._db):
                err(f"run {run_id} was interrupted (its process stopped); `signoff run` resumes it")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None


def _say_upgrades() -> None:
    from desktop_app.services import upgrade_notes

    for line in upgrade_notes.take():
        err(f"signoff: {line}")


def err(message: str) -> None:
    from desktop_app.core.redact import redact  # only when there is something to say

    print(reveal(redact(message)), file=sys.stderr)  # no raw control bytes reach the terminal


def out(text: str = "", stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stdout)


# --- commands -----------------------------------------------------------------------------------


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


def cmd_run(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, runs
    from desktop_app.services.inputs import read_inputs
    from desktop_app.services.runner import Hooks
    from desktop_app.services.stop_signals import stop_on_signals

    spec = catalogue.find(ctx.workflows_dir, args.name)
    inputs = None
    if args.input is not None or args.text is not None:
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
        done = runs.run_workflow(
            db,
            spec,
            ctx.paths.data_dir,
            inputs=inputs,
            model=args.model,
            api_base=args.api_base,
            concurrency=args.concurrency,
            hooks=Hooks(
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
        cost = cost_text(s.cost_usd, answered=bool(s.answered))
        bad = f" ({s.unreadable} could not be read)" if s.unreadable else ""
        out(
            f"run {s.run_id} {s.state}: {s.inputs} input(s){bad}, {s.pending} pending,"
            f" {s.escalated} escalated, {s.skipped} skipped, cost {cost}"
        )
    if done.nothing_new:
        out(f"nothing new to process for '{spec.name}'")
    if any(s.pending or s.escalated for s in summaries):
        out("review them with `signoff inbox`")
    if stop.signum:
        left = [s.run_id for s in summaries if s.state == "interrupted"]
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
        "state": s.state,
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


def cmd_inbox(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import store

    statuses: tuple[str, ...]
    if args.status == "all":
        statuses = STATUSES[:-1]
    elif args.status:
        statuses = (args.status,)
    else:
        statuses = ("pending", "escalated")
    db = ctx.db
    if args.json:
        _search_ready(db, args.search or "")
        stream = store.iter_items(
            db,
            statuses=statuses,
            workflow=args.workflow,
            limit=args.limit or None,
            full=True,
            search=args.search or "",
        )
        _stream_json_array((store.public_item(i) for i in stream), sys.stdout)
        return EXIT_OK
    limit = args.limit if args.limit is not None else 50
    search = args.search or ""
    _search_ready(db, search)
    # A search is not counted (over every status that would read the whole table): one
    # item more than shown says whether there are more.
    total = None if search else store.count_items(db, statuses=statuses, workflow=args.workflow)
    items = list(
        store.iter_items(
            db,
            statuses=statuses,
            workflow=args.workflow,
            limit=(limit + 1 if search else limit) or None,
            search=search,
        )
    )
    if not items:
        what = "awaiting a decision" if not args.status else args.status
        out(
            f"no items {what}"
            + (f" in '{args.workflow}'" if args.workflow else "")
            + (f" matching {search!r}" if search else "")
        )
        return EXIT_OK
    out(f"{'ID':>6}  {'STATUS':<9}  {'WORKFLOW':<20}  {'INPUT':<24}  OUTPUT / REASON")
    for item in items[:limit] if limit else items:
        text = (
            item["reason"] if item["status"] == "escalated" and item["reason"] else item["output"]
        )
        if item["status"] == "rejected" and item.get("reject_reason"):
            text = f"rejected: {item['reject_reason']}"
        line = reveal(" ".join((text or "").split()))
        mark = "!" if item["status"] == "escalated" else " "
        out(
            f"{item['id']:>6}{mark} {item['status']:<9}  {_cut(item['workflow'], 20):<20}  "
            f"{_cut(reveal(item['input_name']), 24):<24}  {_cut(line, 70)}"
        )
    if limit and total is not None and total > limit:
        out(f"… {total - limit:,} more (showing {limit:,} of {total:,}; use --limit 0 for all)")
    elif limit and len(items) > limit:
        out(f"… more match (showing the first {limit:,}; use --limit 0 for all)")
    return EXIT_OK


def _search_ready(db: DatabaseLike, text: str) -> None:
    """Before a search with words: the rows written since the index was last brought up to
    date are added first (a long wait only after an upgrade, said on stderr with its
    progress); a search then answers from the index."""
    from desktop_app.storage import fulltext

    if not text.strip():
        return
    behind = fulltext.progress(db).behind
    if not behind:
        return
    tell = behind >= fulltext.LONG_TAIL
    live = tell and sys.stderr.isatty()
    if tell:
        err(
            f"the search index is being built ({behind:,} rows, once after an upgrade): waiting for it"
        )

    def progress(now: fulltext.Progress) -> None:
        if live:
            end = "\n" if now.ready else ""
            print(f"\rbuilding the search index: {now.percent}%", end=end, file=sys.stderr)

    fulltext.build(db, on_progress=progress)
    if tell and not live:
        err("the search index is ready")


def cmd_log_search(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import eventlog

    db = ctx.db
    _search_ready(db, args.query)
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
                f"{event.seq:>8}  {event.ts[:19].replace('T', ' '):<19}  {_cut(event.kind, 15):<15}  "
                f"{_cut(event.workflow or '', 18):<18}  {item:>6}  {event_line(event, terms, 70)}"
            )
    if more:
        out(f"… more (showing the newest {limit:,}; use --limit 0 for all)")
    return EXIT_OK


def _cut(text: str, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _stream_json_array(objects: Iterable[dict[str, Any]], stream: TextIO) -> None:
    count = 0
    stream.write("[")
    for obj in objects:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(obj, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.storage import store

    item = store.get_item(ctx.db, args.id)
    public = store.public_item(item)
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
    item = decisions.approve(ctx.db, args.id, by=args.by, edited_text=edited)
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
    from desktop_app.storage import store

    item = store.get_item(ctx.db, args.id)
    return _act(ctx, item["id"], item["workflow"])


def cmd_reject(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import decisions

    item = decisions.reject(ctx.db, args.id, reason=args.reason, by=args.by)
    out(f"item {item['id']} rejected by {item['decided_by']}: {item['reject_reason']}")
    return EXIT_OK


def cmd_undo(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import decisions

    item = decisions.undo(ctx.db, args.id, by=args.by)
    out(f"item {item['id']} is {item['status']} again")
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
        out(f"  {table}: {rows:,} row(s)" + (f", {gaps} damaged span(s) stepped over" if gaps else ""))
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
            f"{_cut(r['name'], 22):<22} {complete:<10} {'yes' if r['enabled'] else 'no':<8} "
            f"{_cut(r['schedule'] or 'on demand', 14):<14} {r['pending']:>7} {usd(r['month_cost_usd']):>9}  {last}"
        )
        for missing in r["missing"]:
            out(f"{'':<22} missing: {missing}")
        for problem in r["problems"]:
            out(f"{'':<22} {problem}")
        for found in r["drift"]:
            out(f"{'':<22} drift: {found['message']}")
    return EXIT_OK


def _money(value: float | None, known: bool = True) -> str:
    return usd_or_unknown(value if known else None)


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

    profiler = Profiler(ctx.db, on_progress=progress)
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
            f"{_cut(r.model, 34):<34} {_money(r.cost_mean_usd, r.cost_known):>10} "
            f"{_money(r.cost_max_usd, r.cost_known):>10} "
            f"{_num(r.tokens_in_mean):>7} {_num(r.tokens_out_mean):>7} "
            f"{_num(r.latency_p50_ms):>7} {_num(r.latency_p95_ms):>7} {r.pass_rate:>5.0%} "
            f"{_money(r.projected_month_usd, r.projected_month_usd is not None):>16}{flag}"
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
            out(f"-- {model} ({verdict}, {_money(run.cost_usd)})")
            out(run.output.rstrip() or "(no output)")
    if profile.state != "finished":
        err(f"profile {profile.state}")
        return EXIT_FAIL
    return EXIT_OK


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


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
    projected = _money(report.projected_month_usd, report.projected_month_usd is not None)
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


def cmd_compare(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import catalogue, compare, settings
    from desktop_app.storage import store

    item = store.get_item(ctx.db, args.id)
    spec = catalogue.find(ctx.workflows_dir, item["workflow"])
    chosen = settings.load(ctx.paths.data_dir)
    result = compare.compare(
        ctx.db,
        args.id,
        spec,
        args.model,
        api_base=chosen.run_api_base(args.api_base),
        global_month_cap=chosen.monthly_budget_usd,
    )
    kept = compare.keep(ctx.db, result) if args.keep else None
    if args.json:
        out(json.dumps({**result.as_dict(), "kept_item_id": kept}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for label, side in ((f"item {args.id}", result.original), ("compared", result.other)):
        verdict = side.status + (f": {side.reason}" if side.reason else "")
        out(f"== {label}: {side.model} ({verdict}, {_money(side.cost_usd)})")
        out(side.output.rstrip() or "(no output)")
    if kept is not None:
        out(f"kept as item {kept} (pending review)")
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
    return EXIT_OK


def cmd_no_command(ctx: Context, args: argparse.Namespace) -> int:
    """``signoff`` alone: the desktop window (opened by the caller's ``open_window``), else this help."""
    if ctx.open_window is None:
        build_parser().print_help()
        return EXIT_OK
    return ctx.open_window(ctx.paths, sys.argv[:1])


# --- parser -------------------------------------------------------------------------------------


def cmd_version(ctx: Context, args: argparse.Namespace) -> int:
    """``signoff --version``: reads the data folder, never creates or migrates it."""
    from desktop_app.services import about

    out(about.text(ctx.paths.data_dir))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="data folder (default: $SIGNOFF_HOME, else the platform's user data folder)",
    )
    common.add_argument(
        "--workflows",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="workflows folder (default: $SIGNOFF_WORKFLOWS, else DATA/workflows)",
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show a traceback on errors"
    )

    parser = argparse.ArgumentParser(
        prog="signoff",
        parents=[common],
        description="Run small AI workflows and approve, edit or reject every output. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="the version, the data folder, its schema, and the litellm and Qt versions",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    p = sub.add_parser("db", parents=[common], help="the database file itself")
    db_sub = p.add_subparsers(dest="db_command", metavar="recover", required=True)
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
    p.set_defaults(func=cmd_settings)

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

    from desktop_app import cli_define, cli_quality

    cli_define.add_parsers(sub, common)
    cli_quality.add_parsers(sub, common)
    return parser


def main(
    argv: Sequence[str] | None = None, *, open_window: Callable[..., int] | None = None
) -> int:
    """Run one command. ``open_window(paths, argv)`` opens the desktop app when no command is given;
    it is passed in so this module (like the engine below it) never imports Qt."""
    if argv is None:
        argv = sys.argv[1:]
    if not argv and open_window is not None:
        # `signoff` alone opens the window: building the whole parser (every command's
        # options) would only delay it.
        args = argparse.Namespace()
    else:
        args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    func = getattr(args, "func", cmd_no_command)
    if getattr(args, "version", False):
        func = cmd_version
    ctx = None
    try:
        ctx = Context(args)
        ctx.open_window = open_window
        return func(ctx, args)
    except SpecError as exc:
        problems = exc.problems
        more = f" (and {len(problems) - 1} more: run `signoff check`)" if len(problems) > 1 else ""
        err(f"signoff: error: {problems[0]}{more}")
        return EXIT_FAIL
    except KnownError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        err(f"signoff: error: {exc}")
        return EXIT_FAIL
    except KeyboardInterrupt:
        err("signoff: interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, traceback on request
        from desktop_app.storage.health import explain

        known = explain(exc)  # a full disk, a read-only folder, a damaged file: one line
        if known is not None:
            err(f"signoff: error: {known}")
            return EXIT_FAIL
        if debug:
            import traceback

            traceback.print_exc()
        err(f"signoff: internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_BUG
    finally:
        if ctx is not None:
            ctx.close()
