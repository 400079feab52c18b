"""What happens to an approved item's output, exactly once (``[action]`` in a spec).

The intent is recorded before acting and the result after, each in its own transaction,
with ``action.done`` / ``action.failed`` events. A crash in between leaves the row
``intended``; ``recover`` settles it without doing anything twice: a file or draft that
is there with the same content is done; a CSV that has the item's row is done; a webhook
is sent again with the same ``Idempotency-Key`` so the receiver can drop the repeat.

Kinds: ``file`` (the output at a templated path; a different file already there is never
overwritten: the next free name is used and said), ``csv`` (one row appended),
``email_draft`` (an ``.eml`` with ``X-Unsent: 1`` for the mail program), ``webhook``
(JSON POST with httpx, retried with back-off on 429, 5xx and connection errors),
``clipboard`` (through the window). A failed action marks the item and can be retried;
it never runs the model again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.redact import redact
from desktop_app.core.spec_model import Spec
from desktop_app.core.states import ItemState
from desktop_app.storage import actions as action_rows
from desktop_app.storage import eventlog, item_rows, run_rows
from desktop_app.storage.db import transaction
from desktop_app.storage.engine import CLAIM_S, POSTGRESQL, engine_of

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.storage.item_rows import Item

CSV_COLUMNS = ("item_id", "workflow", "input_name", "output", "approved_at")
WEBHOOK_TRIES = 3
Clipboard = Callable[[str], None]


@dataclass(frozen=True)
class ActionResult:
    item_id: int
    kind: str
    state: str  # none | done | failed | elsewhere (another computer of the team holds it)
    target: str = ""
    message: str = ""
    workflow: str = ""


class ActionError(KnownError):
    """An action could not be carried out; the message says what and where."""


# --- public ---------------------------------------------------------------------------------


def perform(
    db: sqlite_utils.Database,
    item_id: int,
    spec: Spec,
    data_dir: Path,
    *,
    clipboard: Clipboard | None = None,
    http_timeout_s: float = 10.0,
) -> ActionResult:
    """Carry out the spec's action for an approved item, once; a done action is not redone."""
    kind = spec.action.kind
    if kind == "none":
        return ActionResult(item_id, kind, "none", workflow=spec.name)
    item = item_rows.get_item(db, item_id)
    if item["status"] is not ItemState.APPROVED:
        raise ActionError(f"item {item_id} is {item['status']}: only approved items are acted on")
    row = action_for(db, item_id)
    if row is not None and row["state"] == "done":
        return ActionResult(
            item_id, row["kind"], "done", row["target"] or "", row["message"] or "", spec.name
        )
    try:
        plan = _plan(db, item, spec, data_dir)
    except ActionError as exc:  # e.g. a path that would leave its folder: refused, logged
        refused = _Plan(kind, spec.action.path or spec.action.url, "", _key(item))
        if not _record_intent(db, item, refused):
            return _elsewhere(db, item_id, kind, spec.name)
        return _settle(db, item, refused, "failed", refused.target, redact(str(exc)))
    if not _record_intent(db, item, plan):
        return _elsewhere(db, item_id, kind, spec.name)
    return _act_and_settle(db, item, spec, plan, clipboard, http_timeout_s)


def _elsewhere(db: sqlite_utils.Database, item_id: int, kind: str, workflow: str) -> ActionResult:
    """Another computer of the team holds the action (or just finished it): not ours to do."""
    row = action_for(db, item_id) or {}
    state = "done" if row.get("state") == "done" else "elsewhere"
    return ActionResult(
        item_id, kind, state, row.get("target") or "", row.get("message") or "", workflow
    )


retry = perform  # a failed or unsettled action, tried again (a done one is never redone)


def recover(
    db: sqlite_utils.Database,
    specs: dict[str, Spec | None],
    data_dir: Path,
    *,
    clipboard: Clipboard | None = None,
    http_timeout_s: float = 10.0,
) -> list[ActionResult]:
    """Settle every action left ``intended`` by a crash, without doing it twice."""
    results = []
    for item_id, workflow in action_rows.left_intended(db):
        spec = specs.get(workflow)
        if spec is None:
            continue
        results.append(
            perform(db, item_id, spec, data_dir, clipboard=clipboard, http_timeout_s=http_timeout_s)
        )
    return results


action_for = action_rows.action_for  # the action row of an item, or None


def due(
    db: sqlite_utils.Database, *, settled_before: str, workflows: Collection[str]
) -> list[tuple[int, str]]:
    """Approved items of ``workflows`` (those with an action) whose action has not been
    tried, decided before ``settled_before`` (the undo window has passed), and actions left
    ``intended``: (item id, workflow). Items approved before actions existed in this
    database (migration 3) are never acted on after the fact."""
    return action_rows.due(db, settled_before=settled_before, workflows=workflows)


# --- planning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    kind: str
    target: str  # a path, or a URL fit to show
    payload: str  # what is written or sent
    key: str  # idempotency key
    url: str = ""  # the real URL (may hold credentials): never stored
    row: tuple = ()  # a csv action's row, CSV_COLUMNS in order
    mail: Any = None  # an e-mail action's (account, message)


def _doc(db: sqlite_utils.Database, item: Item) -> InputDoc:
    from desktop_app.services.compare import input_of

    return input_of(db, item)


def _render_path(spec: Spec, doc: InputDoc, item: Item, data_dir: Path, default: str) -> Path:
    """The action's path for ``item``: every value from the input (and the model's output)
    made a safe file name, and the result kept inside the folder the spec names
    (``core/safe_paths``)."""
    from desktop_app.core.safe_paths import PathEscapeError, confine, safe_name, safe_values
    from desktop_app.core.templates import render_path

    template = spec.action.path or default
    now = datetime.now().astimezone()
    safe_doc = InputDoc(
        key=doc.key, name=safe_name(doc.name), text=safe_name(doc.text),
        fields=safe_values(dict(doc.fields)),
    )  # fmt: skip
    text = render_path(
        template,
        spec,
        safe_doc,
        item={"id": item["id"], "workflow": item["workflow"], "model": item["model"]},
        output=safe_name(item["output"]),
        now=now.strftime("%Y-%m-%d %H:%M"),
        today=now.strftime("%Y-%m-%d"),
    )
    try:
        return confine(text, template, data_dir)
    except PathEscapeError as exc:
        raise ActionError(f"item {item['id']}: {exc}") from None


def _key(item: Item) -> str:
    digest = hashlib.sha256(item["output"].encode("utf-8")).hexdigest()[:12]
    return f"signoff-{item['workflow']}-{item['id']}-{digest}"


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _one_line(value: str, limit: int = 200) -> str:
    """A header value from an input: control characters (a line break would start a new
    header) folded to spaces, at most ``limit`` characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())[:limit]


def reply_address(sender: str) -> str:
    """The address to reply to from an input's ``From`` (``Name <a@b>`` kept), or "" when
    it holds no single plain address; an input never adds recipients or headers."""
    from email.utils import formataddr, getaddresses

    pairs = getaddresses([_one_line(sender, 998)])
    valid = [(n, a) for n, a in pairs if a.count("@") == 1 and " " not in a and "," not in a]
    if len(valid) != 1 or len(pairs) != 1:
        return ""
    name, address = valid[0]
    try:
        return formataddr((_one_line(name), address))
    except (UnicodeError, ValueError):
        return address


def _reply_subject(item: Item, doc: InputDoc) -> str:
    """A reply's subject: ``Re:`` and the input's (once), else the workflow and the input."""
    subject = _one_line(str(doc.fields.get("subject", "") or ""))
    if not subject:
        return _one_line(f"{item['workflow']}: {item['input_name']}")
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def _email(item: Item, doc: InputDoc) -> str:
    from email.message import EmailMessage

    msg = EmailMessage()
    sender = reply_address(str(doc.fields.get("from", "") or ""))
    if sender:
        msg["To"] = sender
    msg["Subject"] = _reply_subject(item, doc)
    msg["X-Unsent"] = "1"
    msg.set_content(item["output"])
    return msg.as_string()


def _plan(db: sqlite_utils.Database, item: Item, spec: Spec, data_dir: Path) -> _Plan:
    kind = spec.action.kind
    key = _key(item)
    if kind == "webhook":
        payload = json.dumps(
            {
                "item_id": item["id"],
                "workflow": item["workflow"],
                "input_name": item["input_name"],
                "output": item["output"],
                "approved_at": item["decided_at"],
                "idempotency_key": key,
            },
            ensure_ascii=False,
        )
        return _Plan(kind, _safe_url(spec.action.url), payload, key, url=spec.action.url)
    if kind == "clipboard":
        return _Plan(kind, "the clipboard", item["output"], key)
    doc = _doc(db, item)
    if kind == "csv":
        path = _render_path(spec, doc, item, data_dir, "")
        row = (
            str(item["id"]), item["workflow"], item["input_name"], item["output"],
            item["decided_at"] or "",
        )  # fmt: skip
        return _Plan(kind, str(path), item["output"], key, row=row)
    if kind == "email_draft":
        path = _render_path(spec, doc, item, data_dir, "drafts/{{ item.id }}.eml")
        return _Plan(kind, str(path), _email(item, doc), key)
    if kind == "file":
        path = _render_path(spec, doc, item, data_dir, "")
        return _Plan(kind, str(path), item["output"], key)
    if kind == "email":
        return _reply(spec, doc, item, data_dir, key)
    raise ActionError(f"unknown action kind '{kind}'")


def _reply(spec: Spec, doc: InputDoc, item: Item, data_dir: Path, key: str) -> _Plan:
    """An e-mail action's message: the spec's templates for To, Cc and Subject, else a reply
    to the input's sender in its thread (``services/mail_sending``)."""
    from desktop_app.core.templates import context, render
    from desktop_app.services import mail_accounts, mail_sending

    try:
        account = mail_accounts.get(data_dir, spec.action.account)
    except KnownError as exc:
        raise ActionError(str(exc)) from None
    now = datetime.now().astimezone()
    variables = context(
        spec, doc, item={"id": item["id"], "workflow": item["workflow"], "model": item["model"]},
        output=item["output"], now=now.strftime("%Y-%m-%d %H:%M"), today=now.strftime("%Y-%m-%d"),
    )  # fmt: skip
    fields = doc.fields
    sender = reply_address(str(fields.get("from", "") or ""))
    to = reply_address(render(spec.action.to, variables)) if spec.action.to else sender
    if not to:
        raise ActionError(
            f"item {item['id']}: no one to send the reply to (the input names no single"
            " sender; give [action] to)"
        )
    cc = reply_address(render(spec.action.cc, variables)) if spec.action.cc else ""
    subject = (
        _one_line(render(spec.action.subject, variables))
        if spec.action.subject
        else _reply_subject(item, doc)
    )
    msg = mail_sending.compose(
        account=account, key=key, body=item["output"], to=to, cc=cc, subject=subject,
        in_reply_to=_one_line(str(fields.get("message_id", "") or ""), 998),
        references=_one_line(str(fields.get("references", "") or ""), 4000),
    )  # fmt: skip
    return _Plan("email", f"e-mail to {to}", msg.as_string(), key, mail=(account, msg))


def _record_intent(db: sqlite_utils.Database, item: Item, plan: _Plan) -> bool:
    """The intent recorded; False when another computer of the team holds the action (a
    claim younger than ``CLAIM_S``) or it is done."""
    digest = hashlib.sha256(plan.payload.encode("utf-8")).hexdigest()
    with transaction(db):
        action_rows.lock(db, item["id"])
        row = action_for(db, item["id"])
        if row is not None and (row["state"] == "done" or _held_elsewhere(db, row)):
            return False
        action_rows.record_intent(
            db,
            item_id=item["id"],
            workflow=item["workflow"],
            kind=plan.kind,
            target=plan.target,
            payload_hash=digest,
            idempotency_key=plan.key,
            claimed_by=f"{run_rows.hostname()}:{os.getpid()}",
        )
        return True


def _held_elsewhere(db: sqlite_utils.Database, row: dict[str, Any]) -> bool:
    """An action left ``intended`` that another process may be carrying out right now: one
    of a live process of this computer (the window, the command line), or, on a team's
    database, one of another computer claimed less than ``CLAIM_S`` ago. Else the row is a
    crash's, settled now."""
    if row["state"] != "intended" or not row["claimed_by"]:
        return False
    from desktop_app.services.recovery import process_alive

    host, _, pid = str(row["claimed_by"]).rpartition(":")
    if host == run_rows.hostname():
        return pid.isdigit() and int(pid) != os.getpid() and process_alive(int(pid))
    return engine_of(db) == POSTGRESQL and bool(row["updated_at"] > utc_before(CLAIM_S))


# --- acting ---------------------------------------------------------------------------------


def _act_and_settle(
    db: sqlite_utils.Database,
    item: Item,
    spec: Spec,
    plan: _Plan,
    clipboard: Clipboard | None,
    timeout_s: float,
) -> ActionResult:
    try:
        target, message = _act(plan, clipboard, timeout_s)
    except ActionError as exc:
        return _settle(db, item, plan, "failed", plan.target, redact(str(exc)))
    except OSError as exc:
        return _settle(db, item, plan, "failed", plan.target, redact(f"{plan.target}: {exc}"))
    return _settle(db, item, plan, "done", target, message)


def _settle(
    db: sqlite_utils.Database,
    item: Item,
    plan: _Plan,
    state: str,
    target: str,
    message: str,
) -> ActionResult:
    with transaction(db):
        action_rows.settle(db, item["id"], state, target, message)
        row = action_for(db, item["id"])
        assert row is not None  # _record_intent wrote it before the action ran
        attempts = row["attempts"]
        eventlog.append(
            db,
            "action.done" if state == "done" else "action.failed",
            workflow=item["workflow"],
            item_id=item["id"],
            detail={
                "kind": plan.kind,
                "target": target,
                "attempts": attempts,
                "idempotency_key": plan.key,
                ("message" if state == "done" else "error"): message,
            },
        )
    return ActionResult(item["id"], plan.kind, state, target, message, item["workflow"])


def _act(plan: _Plan, clipboard: Clipboard | None, timeout_s: float) -> tuple[str, str]:
    if plan.kind in ("file", "email_draft"):
        return _write_file(Path(plan.target), plan.payload)
    if plan.kind == "csv":
        return _append_row(Path(plan.target), plan)
    if plan.kind == "webhook":
        return _post(plan, timeout_s)
    if plan.kind == "email":
        from desktop_app.services.mail_sending import SendError, send_once

        try:
            return send_once(*plan.mail)
        except SendError as exc:
            raise ActionError(str(exc)) from None
    if plan.kind == "clipboard":
        if clipboard is None:
            raise ActionError("the clipboard action needs the Signoff window: approve it there")
        clipboard(plan.payload)
        return plan.target, "copied to the clipboard"
    raise ActionError(f"unknown action kind '{plan.kind}'")


def _free_name(path: Path, text: str) -> tuple[Path, bool]:
    """``path``, or ``name (2).ext`` etc. when a different file is there; True when the
    chosen file already holds ``text`` (nothing to write)."""
    candidate, n = path, 1
    while candidate.exists():
        try:
            if candidate.read_text(encoding="utf-8") == text:
                return candidate, True
        except (OSError, UnicodeDecodeError):
            pass
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate, False


def _write_file(path: Path, text: str) -> tuple[str, str]:
    chosen, already = _free_name(path, text)
    if already:
        return str(chosen), f"{chosen} already holds this output"
    chosen.parent.mkdir(parents=True, exist_ok=True)
    tmp = chosen.with_name(f".{chosen.name}.signoff-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, chosen)
    if chosen != path:
        return str(chosen), f"wrote {chosen} ({path.name} exists with other content: kept)"
    return str(chosen), f"wrote {chosen}"


def _append_row(path: Path, plan: _Plan) -> tuple[str, str]:
    """The item's row at the end of the CSV file (its header first in a new file), once.

    The file is locked while it is read and written: the window and the command line (or
    two computers' Signoffs on a shared folder) appending at once would otherwise both find
    it empty and both write the header, or both miss the other's row."""
    item_id = plan.row[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8", newline="") as fh:
        _lock_file(fh.fileno())  # released when the file is closed
        fh.seek(0)
        if any(r.get("item_id") == item_id for r in csv.DictReader(fh)):
            return str(path), f"{path} already has the row of item {item_id}"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if os.fstat(fh.fileno()).st_size == 0:
            writer.writerow(CSV_COLUMNS)
        writer.writerow(plan.row)
        fh.seek(0, os.SEEK_END)
        fh.write(buffer.getvalue())
        fh.flush()
        os.fsync(fh.fileno())
    return str(path), f"appended a row to {path}"


def _lock_file(fd: int) -> None:
    """An exclusive lock on an open file, waited for (POSIX; elsewhere none is taken)."""
    try:
        import fcntl
    except ImportError:  # Windows: appends from one Signoff at a time there
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _backoff(attempt: int) -> float:
    base = float(os.environ.get("SIGNOFF_BACKOFF_BASE_S", "1.0"))
    return base * (2 ** (attempt - 1))


def _post(plan: _Plan, timeout_s: float) -> tuple[str, str]:
    import httpx

    last = ""
    for attempt in range(1, WEBHOOK_TRIES + 1):
        try:
            response = httpx.post(
                plan.url,
                content=plan.payload.encode("utf-8"),
                headers={"Content-Type": "application/json", "Idempotency-Key": plan.key},
                timeout=timeout_s,
            )
        except httpx.HTTPError as exc:
            last = f"{plan.target} could not be reached ({type(exc).__name__})"
        else:
            if response.status_code < 300:
                return plan.target, f"{plan.target} answered {response.status_code}"
            last = f"{plan.target} answered {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                raise ActionError(last)
        if attempt < WEBHOOK_TRIES:
            time.sleep(_backoff(attempt))
    raise ActionError(f"{last} after {WEBHOOK_TRIES} tries")


def utc_before(seconds: float) -> str:
    """A stored timestamp ``seconds`` ago (for ``due``)."""
    moment = datetime.now(timezone.utc).timestamp() - seconds
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
