"""A mailbox as a workflow's input (issue 27): each message once, ever.

A run of a ``kind = "mailbox"`` workflow takes the messages of its folder from ``since``
(default: the day the workflow first read it, kept in the database) that no run of the
workflow has processed. A message is known by its folder's UIDVALIDITY and its UID (the
input's key) and by its Message-ID (``InputDoc.identity``): a folder its server renumbered
is not taken again. Only the Message-IDs are fetched to decide; only new messages are read
whole (``BODY.PEEK``: nothing is marked read). Once its item is made, a message gets the
IMAP keyword ``$Signoff``, so the mail program shows what Signoff has taken (a message
whose keyword was lost in a crash gets it at the next read); nothing is ever deleted.

``input.text`` is the message's plain body, else its HTML as text (``core/html_text``);
``input.fields``: from, to, cc, subject, date, message_id, references, attachments (name,
type, size; never their bytes). A message that cannot be read (over 25 MB, only
attachments, empty) becomes an input with ``problem``: an escalated item saying why.
"""

from __future__ import annotations

import datetime
import imaplib
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from desktop_app.core.errors import KnownError
from desktop_app.core.inputdoc import InputDoc, content_hash
from desktop_app.services import mail_accounts
from desktop_app.storage import input_rows

if TYPE_CHECKING:
    from desktop_app.core.spec_model import Spec
    from desktop_app.storage.db import DatabaseLike

KEYWORD = "$Signoff"
MAX_BYTES = 25 * 1024 * 1024
CHUNK = 200  # messages a FETCH asks for
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")


class Seen(NamedTuple):
    """What the first, light fetch tells of a message."""

    uid: int
    size: int
    flags: tuple[str, ...]
    message_id: str


def _imap_date(day: str) -> str:
    d = datetime.date.fromisoformat(day)
    return f"{d.day:02d}-{_MONTHS[d.month - 1]}-{d.year}"


def _check(status: str, data: Sequence[object], what: str) -> None:
    if status != "OK":
        raise KnownError(f"the IMAP server refused {what}: {mail_accounts.server_said(data)}")


def source(spec: Spec) -> str:
    """The mailbox a workflow reads, as its first read is kept (``account/folder``)."""
    return f"{spec.name}:{spec.input.account}/{spec.input.folder}"


def new_messages(db: DatabaseLike, spec: Spec, data_dir: Path) -> list[InputDoc]:
    """The messages of ``spec``'s mailbox that no run of it has processed, oldest first."""
    account = mail_accounts.get(data_dir, spec.input.account)
    today = datetime.date.today().isoformat()
    since = spec.input.since or input_rows.first_read(db, source(spec), today)
    conn = mail_accounts.open_imap(account)
    try:
        validity = _select(conn, spec.input.folder)
        seen = list(_light(conn, _search(conn, since)))
        keys = {m.uid: _key(account.name, spec.input.folder, validity, m.uid) for m in seen}
        identities = {m.uid: _identity(m, keys[m.uid]) for m in seen}
        hashes = {uid: content_hash(identity) for uid, identity in identities.items()}
        done = input_rows.processed_hashes(db, spec.name, list(hashes.values()))
        new = [m for m in seen if hashes[m.uid] not in done]
        unmarked = [m.uid for m in seen if hashes[m.uid] in done and KEYWORD not in m.flags]
        if unmarked:  # taken before a crash kept it from being marked
            _mark(conn, unmarked)
        return [_document(m, raw, keys[m.uid], identities[m.uid]) for m, raw in _bodies(conn, new)]
    finally:
        mail_accounts.close_imap(conn)


def mark_taken(spec: Spec, data_dir: Path, docs: Sequence[InputDoc]) -> None:
    """Give the messages whose items were made the ``$Signoff`` keyword (best effort: the
    database, not the keyword, is what keeps a message from being taken twice)."""
    uids = [int(doc.key.rsplit("/", 1)[1]) for doc in docs if doc.key.startswith("imap:")]
    if not uids:
        return
    account = mail_accounts.get(data_dir, spec.input.account)
    conn = mail_accounts.open_imap(account)
    try:
        _select(conn, spec.input.folder)
        _mark(conn, uids)
    finally:
        mail_accounts.close_imap(conn)


def _select(conn: imaplib.IMAP4, folder: str) -> str:
    status, data = conn.select(mail_accounts.quoted(folder))
    if status != "OK":
        said = mail_accounts.server_said(data)
        raise KnownError(f"the mailbox has no folder {folder!r} ({said})")
    validity = conn.response("UIDVALIDITY")[1]
    return validity[0].decode() if validity and isinstance(validity[0], bytes) else "0"


def _search(conn: imaplib.IMAP4, since: str) -> list[int]:
    status, data = conn.uid("SEARCH", "SINCE", _imap_date(since))
    _check(status, data, "the search")
    return sorted(int(uid) for uid in (data[0] or b"").split()) if data else []


def _light(conn: imaplib.IMAP4, uids: list[int]) -> Iterator[Seen]:
    """UID, size, flags and Message-ID of each message: nothing else is fetched."""
    for start in range(0, len(uids), CHUNK):
        chunk = ",".join(str(u) for u in uids[start : start + CHUNK])
        status, data = conn.uid(
            "FETCH", chunk, "(UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        )
        _check(status, data, "the fetch")
        for part in data:
            if not isinstance(part, tuple):
                continue
            head, header = part[0], part[1]
            uid, size, flags = _UID.search(head), _SIZE.search(head), _FLAGS.search(head)
            if uid is None:
                continue
            found = re.search(rb"(?im)^message-id:\s*(\S+)", header or b"")
            yield Seen(
                int(uid.group(1)),
                int(size.group(1)) if size else 0,
                tuple(flags.group(1).decode("ascii", "replace").split()) if flags else (),
                found.group(1).decode("ascii", "replace") if found else "",
            )


def _bodies(conn: imaplib.IMAP4, messages: list[Seen]) -> Iterator[tuple[Seen, bytes | None]]:
    """Each message whole (None for one too big to read), in chunks: memory stays flat."""
    small = [m for m in messages if m.size <= MAX_BYTES]
    by_uid = {m.uid: m for m in messages}
    read: dict[int, bytes] = {}
    for start in range(0, len(small), CHUNK):
        chunk = small[start : start + CHUNK]
        status, data = conn.uid("FETCH", ",".join(str(m.uid) for m in chunk), "(UID BODY.PEEK[])")
        _check(status, data, "the fetch")
        for part in data:
            if isinstance(part, tuple):
                uid = _UID.search(part[0])
                if uid is not None:
                    read[int(uid.group(1))] = part[1]
        for m in chunk:
            yield by_uid[m.uid], read.pop(m.uid, None)
    for m in messages:
        if m.size > MAX_BYTES:
            yield m, None


def _key(account: str, folder: str, validity: str, uid: int) -> str:
    return f"imap:{account}/{folder}/{validity}/{uid}"


def _identity(message: Seen, key: str) -> str:
    return f"message-id:{message.message_id}" if message.message_id else key


def _document(message: Seen, raw: bytes | None, key: str, identity: str) -> InputDoc:
    from desktop_app.services.email_reader import read_email

    if raw is None:
        megabytes = message.size / 1024 / 1024
        return InputDoc(
            key=key,
            name=f"message {message.uid}",
            text="",
            identity=identity,
            problem=f"the e-mail is {megabytes:.1f} MB, more than the 25 MB Signoff reads:"
            " open it in your mail program",
            fields={"message_id": message.message_id},
        )
    mail = read_email(raw)
    subject = mail.headers.get("subject", "")
    fields = {
        "from": mail.headers.get("from", ""),
        "to": mail.headers.get("to", ""),
        "cc": mail.cc,
        "subject": subject,
        "date": mail.headers.get("date", ""),
        "message_id": mail.message_id or message.message_id,
        "references": mail.references,
        "attachments": mail.attachments,
    }
    body = mail.body.strip()
    problem = ""
    if not body and mail.attachments:
        names = ", ".join(str(a["name"]) for a in mail.attachments)
        problem = f"the e-mail holds only attachments ({names}) and no text to read"
    elif not body:
        problem = "the e-mail is empty: no text to read"
    name = _name(subject, mail.headers.get("from", "")) or f"message {message.uid}"
    return InputDoc(
        key=key, name=name, text=body, fields=fields, problem=problem, note=mail.note,
        identity=identity,
    )  # fmt: skip


def _name(subject: str, sender: str) -> str:
    """What the inbox lists a message as: its subject and who sent it."""
    from email.utils import parseaddr

    display, address = parseaddr(sender)
    who = " ".join((display or address).split())[:40]
    about = " ".join(subject.split())[:60]
    return f"{about} — {who}" if about and who else about or who


def _mark(conn: imaplib.IMAP4, uids: Sequence[int]) -> None:
    for start in range(0, len(uids), CHUNK):
        chunk = ",".join(str(u) for u in uids[start : start + CHUNK])
        status, data = conn.uid("STORE", chunk, "+FLAGS.SILENT", f"({KEYWORD})")
        _check(status, data, "marking the messages taken")
