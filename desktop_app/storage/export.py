"""Export the activity log as CSV, JSONL or a readable HTML page, streamed row by row.

Fields (PRODUCT.md): ``seq, ts, kind, workflow, run_id, item_id, detail,
prev_hash, hash`` -- ``detail`` is an object in JSONL and its JSON text in CSV.

Every export ends with one extra record of kind ``log.head`` (``seq`` empty):
the whole log's head when the export was made (count, seq, hash, even when the
export is filtered). Keep an export somewhere else and ``signoff log verify
--anchor FILE`` later proves the log still holds everything it held then.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from desktop_app.core.errors import KnownError
from desktop_app.core.stamps import utcnow
from desktop_app.core.visible import reveal
from desktop_app.storage.eventlog import COLUMNS, LogHead, events_cursor, head

if TYPE_CHECKING:
    import sqlite3

    from desktop_app.storage.db import DatabaseLike

FIELDS = COLUMNS
HEAD_KIND = "log.head"
FORMATS = ("csv", "jsonl", "html")


@dataclass(frozen=True)
class ExportResult:
    count: int
    head: LogHead


def _head_detail(log_head: LogHead, filters: dict[str, Any]) -> dict[str, Any]:
    return {
        **log_head.as_dict(),
        "exported_at": utcnow(),
        "filters": {k: v for k, v in filters.items() if v},
    }


def export(
    db: DatabaseLike,
    fmt: str,
    out: TextIO,
    *,
    since: str | None = None,
    until: str | None = None,
    workflow: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the (filtered) log to ``out`` in ``fmt``; returns how many events and the head.

    ``progress(count)`` is called after each chunk of rows (for a progress bar).
    """
    if fmt not in FORMATS:
        raise KnownError(f"unknown export format '{fmt}' (use csv, jsonl or html)")
    log_head = head(db)  # read first: events appended during the export are not claimed by it
    rows = events_cursor(
        db, since=since, until=until, workflow=workflow
    )  # streamed: memory stays flat
    filters = {"since": since, "until": until, "workflow": workflow}
    writer = {"csv": _write_csv, "jsonl": _write_jsonl, "html": _write_html}[fmt]
    count = writer(_reporting(rows, progress), out, _head_detail(log_head, filters), log_head)
    return ExportResult(count, log_head)


class _Rows(Protocol):
    """What the writers read of a cursor."""

    def fetchmany(self, size: int) -> list[Any]: ...


class _reporting:
    """A cursor whose ``fetchmany`` also reports how many rows have been handed out so far."""

    def __init__(self, cursor: sqlite3.Cursor, progress: Callable[[int], None] | None):
        self._cursor, self._progress, self._count = cursor, progress, 0

    def fetchmany(self, size: int) -> list[Any]:
        chunk = self._cursor.fetchmany(size)
        self._count += len(chunk)
        if self._progress is not None and chunk:
            self._progress(self._count)
        return chunk


def _write_csv(rows: _Rows, out: TextIO, head_detail: dict[str, Any], log_head: LogHead) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for chunk in iter(lambda: rows.fetchmany(2000), []):
        writer.writerows(chunk)
        count += len(chunk)
    writer.writerow(
        (
            "",
            head_detail["exported_at"],
            HEAD_KIND,
            "",
            "",
            "",
            json.dumps(head_detail, separators=(",", ":")),
            "",
            log_head.hash,
        )
    )
    return count


def event_json(
    seq: int,
    ts: str,
    kind: str,
    workflow: str | None,
    run_id: int | None,
    item_id: int | None,
    detail: str,
    prev_hash: str,
    hash_: str,
) -> str:
    """One event as a JSON object (the ``jsonl`` export's line, ``log search --json``'s
    element). ``detail`` is stored as JSON text: spliced in, never parsed and re-encoded."""
    dumps = json.dumps
    return (
        f'{{"seq":{seq},"ts":"{ts}","kind":{dumps(kind)},"workflow":{dumps(workflow)},'
        f'"run_id":{"null" if run_id is None else run_id},'
        f'"item_id":{"null" if item_id is None else item_id},'
        f'"detail":{detail},"prev_hash":"{prev_hash}","hash":"{hash_}"}}'
    )


def event_line(event: Any, terms: Sequence[str], width: int) -> str:
    """An event's searched text (its detail without the prompt and the answer) on one line
    of ``width`` characters, around the first of ``terms`` found; control and other
    hidden characters made visible (``core.visible``): stored text cannot steer a
    terminal."""
    try:
        detail = json.loads(event.detail)
    except ValueError:
        detail = event.detail
    if isinstance(detail, dict):
        kept = ((k, v) for k, v in detail.items() if k not in ("messages", "response"))
        text = " · ".join(f"{k}: {v}" for k, v in kept)
    else:
        text = str(detail)
    text = " ".join(reveal(text).split())
    lowered = text.lower()
    at = min((i for i in (lowered.find(t.lower()) for t in terms if t) if i >= 0), default=0)
    start = max(0, min(at - width // 3, len(text) - width))
    shown = text[start : start + width]
    if start > 0:
        shown = "…" + shown[1:]
    if start + width < len(text):
        shown = shown[:-1] + "…"
    return shown


def _write_jsonl(rows: _Rows, out: TextIO, head_detail: dict[str, Any], log_head: LogHead) -> int:
    count = 0
    write = out.write
    for chunk in iter(lambda: rows.fetchmany(2000), []):
        lines = []
        for row in chunk:
            lines.append(event_json(*row))
        write("\n".join(lines) + "\n")
        count += len(chunk)
    record = {
        "seq": None,
        "ts": head_detail["exported_at"],
        "kind": HEAD_KIND,
        "workflow": None,
        "run_id": None,
        "item_id": None,
        "detail": head_detail,
        "prev_hash": None,
        "hash": log_head.hash,
    }
    write(json.dumps(record, separators=(",", ":")) + "\n")
    return count


_HTML_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Signoff activity log</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2430}
h1{font-size:1.4em;margin:0 0 .2em}
.meta{color:#5b6675;margin-bottom:1em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e3e7ee;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f6fa;position:sticky;top:0}
td.k{white-space:nowrap;font-weight:600}
td.d{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}
tr.bad td.k{color:#b3261e}
footer{margin-top:1.5em;color:#5b6675;font-size:12px}
</style></head><body>
"""

_NOTEWORTHY = {
    "item.escalated",
    "item.rejected",
    "model.error",
    "check.failed",
    "budget.blocked",
    "action.failed",
    "run.interrupted",
}


def _summary(kind: str, detail_text: str, limit: int = 600) -> str:
    try:
        detail = json.loads(detail_text)
    except ValueError:
        return detail_text[:limit]
    if not isinstance(detail, dict):
        return detail_text[:limit]
    if kind == "model.call":
        shown = {
            k: detail.get(k) for k in ("model", "tokens_in", "tokens_out", "cost_usd", "latency_ms")
        }
        response = detail.get("response") or ""
        shown["response"] = response[:300] + (
            f"… ({len(response) - 300:,} more characters: the JSONL export has them all)"
            if len(response) > 300
            else ""
        )
    elif kind == "item.edited":
        shown = {"by": detail.get("by"), "diff": detail.get("diff")}
    else:
        shown = {k: v for k, v in detail.items() if k not in ("messages",)}
    text = "\n".join(f"{k}: {v}" for k, v in shown.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_html(rows: _Rows, out: TextIO, head_detail: dict[str, Any], log_head: LogHead) -> int:
    esc = html.escape
    out.write(_HTML_HEAD)
    filters = head_detail["filters"]
    shown = ", ".join(f"{k} {v}" for k, v in filters.items()) or "all events"
    out.write(
        f"<h1>Signoff activity log</h1><div class=meta>Exported {esc(head_detail['exported_at'])}"
        f" &middot; {esc(shown)}</div>\n<table><thead><tr><th>#</th><th>time (UTC)</th><th>event</th>"
        "<th>workflow</th><th>run</th><th>item</th><th>detail</th></tr></thead><tbody>\n"
    )
    count = 0
    for chunk in iter(lambda: rows.fetchmany(1000), []):
        parts = []
        for seq, ts, kind, workflow, run_id, item_id, detail, _prev, _hash in chunk:
            cls = ' class="bad"' if kind in _NOTEWORTHY else ""
            parts.append(
                f"<tr{cls}><td>{seq}</td><td>{esc(ts)}</td><td class=k>{esc(kind)}</td>"
                f"<td>{esc(workflow or '')}</td><td>{'' if run_id is None else run_id}</td>"
                f"<td>{'' if item_id is None else item_id}</td><td class=d>{esc(reveal(_summary(kind, detail)))}</td></tr>\n"
            )
        out.write("".join(parts))
        count += len(chunk)
    out.write(
        f"</tbody></table>\n<footer>{count:,} events shown. Log head at export: {log_head.count:,} events, "
        f'last hash <code data-kind="{HEAD_KIND}" data-seq="{log_head.seq}">{esc(log_head.hash)}</code>. '
        "Keep this file: <code>signoff log verify --anchor FILE</code> proves the log still holds "
        "everything it held then.</footer>\n</body></html>\n"
    )
    return count


def read_anchor(path: Path) -> LogHead:
    """The log head recorded at the end of an export (CSV, JSONL or HTML)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read().decode("utf-8", errors="replace")
    except OSError as exc:
        raise KnownError(f"cannot read {path}: {exc.strerror}") from None
    for line in reversed(tail.splitlines()):
        if HEAD_KIND not in line:
            continue
        if line.startswith("{"):
            record = json.loads(line)
            detail = record["detail"]
            return LogHead(detail["count"], detail["seq"], detail["hash"])
        if "data-kind" in line:
            seq = int(line.split('data-seq="', 1)[1].split('"', 1)[0])
            hash_ = line.split(f'data-seq="{seq}">', 1)[1].split("<", 1)[0]
            return LogHead(seq, seq, hash_)
        fields = next(csv.reader([line]))
        if len(fields) == len(FIELDS) and fields[2] == HEAD_KIND:
            detail = json.loads(fields[6])
            return LogHead(detail["count"], detail["seq"], detail["hash"])
    raise KnownError(f"{path} has no log head: is it a Signoff log export?")
