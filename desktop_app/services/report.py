"""A report an accountant can read: one self-contained HTML file for a period.

``signoff report --out FILE.html`` and the window's *Report…* write it. It holds the
period and the spend against each cap, each workflow's scorecard with its charts (inline
SVG drawn by pygal), the escalations and their reasons, every decision with who and
when, and the activity log's verification with its last hash. It opens offline in any
browser: no script, style sheet, font or image is fetched, and it runs no script (pygal's
own inline script, for tooltips, is left out). Every text that came from a model, an
input or a person is escaped.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from desktop_app.core.figures import percent
from desktop_app.core.money import usd, usd_or_unknown
from desktop_app.core.stamps import utcnow
from desktop_app.core.visible import reveal
from desktop_app.services.charts import charts
from desktop_app.services.scorecard import Scorecard, scorecard
from desktop_app.storage import eventlog, model_calls, outcomes, spec_versions

if TYPE_CHECKING:
    from pathlib import Path

    from desktop_app.storage.db import DatabaseLike


def esc(text: str) -> str:
    """Text as HTML: escaped, and its hidden characters shown (``core.visible``)."""
    return html.escape(reveal(text))


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;color:#1d2430;padding:0 1em}
h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid #e3e7ee}
h3{font-size:1.05em;margin:1.2em 0 .3em}.meta,.note{color:#5b6675}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{border-bottom:1px solid #e3e7ee;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f6fa}td.n{text-align:right;white-space:nowrap}
.over{color:#b3261e;font-weight:600}.ok{color:#1e7b3c;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1em}.charts svg{width:520px;max-width:100%;height:auto}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font:12px ui-monospace,monospace}
"""


def default_period(today: date | None = None) -> tuple[str, str]:
    """This month so far: its first day, and tomorrow (``until`` is exclusive)."""
    today = today or date.today()
    return today.replace(day=1).isoformat(), (today + timedelta(days=1)).isoformat()


def build(
    db: DatabaseLike,
    workflows_dir: Path,
    *,
    since: str,
    until: str,
    global_month_cap: float | None = None,
) -> str:
    """The report's HTML for items, calls and decisions in [since, until)."""
    from desktop_app.services import catalogue

    specs = {e.name: e.spec for e in catalogue.scan(workflows_dir) if e.spec is not None}
    names = sorted(set(spec_versions.workflow_names(db)) | set(specs))
    cards = [scorecard(db, name, since=since, until=until) for name in names]
    cards = sorted((c for c in cards if c.total.made), key=lambda c: -c.total.made) or cards
    spend = outcomes.spend_between(db, since, until)
    last_day = (date.fromisoformat(until) - timedelta(days=1)).isoformat()
    verified = eventlog.verify(db)
    head = eventlog.head(db)
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>Signoff report {esc(since)} to {esc(last_day)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Signoff report</h1>",
        f'<p class="meta">From {esc(since)} to {esc(last_day)} (UTC) · made {esc(utcnow())}</p>',
        _spend_section(db, names, specs, spend, global_month_cap),
        "<h2>Workflows</h2>",
        *(_card_section(card) for card in cards),
        _escalations_section(outcomes.escalations_between(db, since, until, names)),
        _decisions_section(outcomes.decisions_between(db, since, until)),
        "<h2>The activity log</h2>",
        f'<p class="{"ok" if verified.ok else "over"}">{esc(verified.message)}</p>',
        f"<p>Last event: {head.seq:,}; its hash: <code>{esc(head.hash)}</code>. "
        '<span class="note">Keep this report: <code>signoff log verify</code> against a'
        " later log shows whether anything before this event changed.</span></p>",
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _spend_section(
    db: DatabaseLike,
    names: list[str],
    specs: dict,
    spend: dict[str, float],
    global_month_cap: float | None,
) -> str:
    rows = []
    for name in names:
        budget = specs[name].budget if name in specs else None
        month = model_calls.month_cost(db, name)
        cap = budget.max_cost_per_month if budget else None
        rows.append(
            "<tr>"
            f'<td>{esc(name)}</td><td class="n">{esc(usd(spend.get(name, 0.0)))}</td>'
            f'<td class="n">{esc(usd(month))}</td>'
            f"{_against(month, cap)}"
            f'<td class="n">{esc(_cap(budget.max_cost_per_day if budget else None))}</td>'
            f'<td class="n">{esc(_cap(budget.max_cost_per_run if budget else None))}</td>'
            "</tr>"
        )
    total_month = model_calls.month_cost(db)
    rows.append(
        "<tr><th>All workflows</th>"
        f'<th class="n">{esc(usd(sum(spend.values())))}</th>'
        f'<th class="n">{esc(usd(total_month))}</th>{_against(total_month, global_month_cap)}'
        "<th></th><th></th></tr>"
    )
    return (
        "<h2>Spend against the caps</h2>"
        '<p class="note">Every model call counts: runs, cost profiles, comparisons, tests.'
        " Caps are the specs' <code>[budget]</code> and the monthly cap in Settings.</p>"
        "<table><tr><th>Workflow</th><th>Spent in the period</th><th>This month</th>"
        "<th>Monthly cap</th><th>Daily cap</th><th>Per run</th></tr>" + "".join(rows) + "</table>"
    )


def _cap(value: float | None) -> str:
    return "none" if value is None else usd(value)


def _against(spent: float, cap: float | None) -> str:
    if cap is None:
        return '<td class="n">none</td>'
    share = spent / cap if cap else 1.0
    style = "over" if spent >= cap else ""
    return f'<td class="n {style}">{esc(usd(cap))} ({share:.0%} used)</td>'


def _per_approved(period: Any) -> str:
    """The cost per approved output; "none approved" rather than "unknown" when none was."""
    if not (period.approved + period.edited):
        return "none approved"
    return usd_or_unknown(period.cost_per_approved)


def _card_section(card: Scorecard) -> str:
    t = card.total
    head = (
        f"<h3>{esc(card.workflow)}</h3><p>{t.made:,} items made: "
        f"{percent(t.rate(t.approved))} approved as is, {percent(t.rate(t.edited))} edited, "
        f"{percent(t.rate(t.rejected))} rejected, {percent(t.rate(t.expired))} expired, "
        f"{percent(t.rate(t.open))} still open; {percent(t.rate(t.escalated))} made escalated."
        f" Cost per approved output {esc(_per_approved(t))}, per run"
        f" {esc(usd_or_unknown(t.cost_per_run))}.</p>"
    )
    if not t.made:
        return head
    rows = "".join(
        "<tr>"
        f'<td>{esc(w.start)}</td><td class="n">{w.made}</td>'
        f'<td class="n">{percent(w.rate(w.approved))}</td>'
        f'<td class="n">{percent(w.rate(w.edited))}</td>'
        f'<td class="n">{percent(w.rate(w.rejected))}</td>'
        f'<td class="n">{percent(w.rate(w.escalated))}</td>'
        f'<td class="n">{"-" if w.edit_chars_median is None else f"{w.edit_chars_median:g}"}</td>'
        f'<td class="n">{esc(_per_approved(w))}</td>'
        "</tr>"
        for w in card.weeks
    )
    table = (
        "<table><tr><th>Week of</th><th>Made</th><th>As is</th><th>Edited</th>"
        "<th>Rejected</th><th>Escalated</th><th>Edit size (median chars)</th>"
        f"<th>Cost per approved</th></tr>{rows}</table>"
    )
    reasons = ""
    if card.rejection_reasons:
        reasons = (
            "<p>Rejected because: "
            + "; ".join(f"{esc(reason)} ({count})" for reason, count in card.rejection_reasons)
            + "</p>"
        )
    return head + f'<div class="charts">{"".join(charts(card))}</div>' + table + reasons


def _escalations_section(found: list[outcomes.Escalation]) -> str:
    if not found:
        return "<h2>Escalations</h2><p>None in the period.</p>"
    rows = "".join(
        f'<tr><td class="n">{e.item_id}</td><td>{esc(e.workflow)}</td>'
        f"<td>{esc(e.created_at[:16].replace('T', ' '))}</td><td>{esc(e.input_name)}</td>"
        f"<td><pre>{esc(e.reason)}</pre></td><td>{esc(e.status)}</td></tr>"
        for e in found
    )
    return (
        f"<h2>Escalations ({len(found):,})</h2><table><tr><th>Item</th><th>Workflow</th>"
        f"<th>Made (UTC)</th><th>Input</th><th>Why</th><th>Now</th></tr>{rows}</table>"
    )


def _decisions_section(found: list[outcomes.Decision]) -> str:
    if not found:
        return "<h2>Decisions</h2><p>None in the period.</p>"
    words = {
        "approve": "approved",
        "edit": "edited, approved",
        "reject": "rejected",
        "undo": "undone",
    }
    rows = "".join(
        f"<tr><td>{esc(d.at[:19].replace('T', ' '))}</td><td>{esc(d.by)}</td>"
        f'<td class="n">{d.item_id}</td><td>{esc(d.workflow)}</td><td>{esc(d.input_name)}</td>'
        f"<td>{esc(words.get(d.decision, d.decision))}</td><td><pre>{esc(d.reason or '')}</pre></td></tr>"
        for d in found
    )
    return (
        f"<h2>Decisions ({len(found):,})</h2><table><tr><th>When (UTC)</th><th>Who</th>"
        f"<th>Item</th><th>Workflow</th><th>Input</th><th>Decision</th><th>Reason</th></tr>"
        f"{rows}</table>"
    )
