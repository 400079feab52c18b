"""A mailbox as a workflow's input (issue 27): each message once, ever.

A run of a ``kind = "mailbox"`` workflow takes the messages of its folder from ``since``
(default: the day the workflow first read it, kept in the database) that no run of the
workflow has processed. A message is known by its folder's UIDVALIDITY and its UID (the
input's key) and by its Message-ID (``InputDoc.identity``): a folder its server renumbered
is not taken again. What was processed is known from the database by UID: nothing is
fetched for it. A new message's headers, MIME outline (``imap_structure``: the server has
parsed the MIME) and the start of its first part come in one FETCH; only a text part
elsewhere takes a second, and an attachment's bytes are never fetched (``BODY.PEEK``:
nothing is marked read). Once its item is made, a message gets the
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
from desktop_app.services import email_reader, imap_structure, mail_accounts
from desktop_app.services.imap_structure import Outline
from desktop_app.storage import input_rows

if TYPE_CHECKING:
    from desktop_app.core.spec_model import Spec
    from desktop_app.storage.db import DatabaseLike

KEYWORD = "$Signoff"
MAX_BYTES = 25 * 1024 * 1024
CHUNK = 200  # messages a FETCH asks for
# Part 1's first bytes come with the outline: it is the text of most mail (plain text, or
# plain and HTML alternatives), so most messages need one FETCH; more costs a second.
FIRST = 16384
HEADERS = "FROM TO CC SUBJECT DATE MESSAGE-ID REFERENCES"
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_START = re.compile(rb"\d+ \(")
_ITEM = re.compile(rb"(BODY\[[^\]]*\](?:<\d+>)?) \{\d+\}$")
# "Name <address>", "\"Name\" <address>" or a bare address: nothing parseaddr must untangle
_PLAIN_SENDER = re.compile(
    r'\s*(?:"(?P<quoted>[^"\\]*)"|(?P<name>[^"<>,;:()\\@]*?))\s*<(?P<address>[^<>]*)>\s*'
    r'|\s*(?P<bare>[^\s"<>,;:()\\]+@[^\s"<>,;:()\\]+)\s*'
)


class Seen(NamedTuple):
    """What the first fetch tells of a message: its headers, its MIME outline, and the start
    of its first part."""

    uid: int
    size: int
    flags: tuple[str, ...]
    head: dict[bytes, bytes]
    outline: Outline | None  # None: the message is read whole (email_reader)
    first: bytes  # part 1, the first FIRST bytes of it
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
    """The messages of ``spec``'s mailbox that no run of it has processed, oldest first.

    What was processed is known from the database by UID (nothing fetched for it); a new
    UID's headers and outline are fetched, its Message-ID checked (a renumbered folder),
    then only its text part."""
    account = mail_accounts.get(data_dir, spec.input.account)
    today = datetime.date.today().isoformat()
    since = spec.input.since or input_rows.first_read(db, source(spec), today)
    folder = _folder_key(account.name, spec.input.folder)
    conn = mail_accounts.open_imap(account)
    try:
        validity = _select(conn, spec.input.folder)
        taken = input_rows.keys_starting(db, spec.name, folder)
        keys = {uid: _key(account.name, spec.input.folder, validity, uid) for uid in
                _search(conn, since)}  # fmt: skip
        _heal(conn, since, [uid for uid, key in keys.items() if key in taken])
        fresh = [uid for uid, key in keys.items() if key not in taken]
        docs: list[InputDoc] = []
        for start in range(0, len(fresh), CHUNK):
            docs.extend(_take(db, spec.name, conn, fresh[start : start + CHUNK], keys))
        return docs
    finally:
        mail_accounts.close_imap(conn)


def _take(
    db: DatabaseLike, workflow: str, conn: imaplib.IMAP4, uids: list[int], keys: dict[int, str]
) -> list[InputDoc]:
    """The inputs of a chunk of new UIDs: outlines fetched, the messages processed under
    another UID (by Message-ID) left out, then the text parts fetched."""
    seen = list(_outlines(conn, uids))
    identities = {m.uid: _identity(m, keys[m.uid]) for m in seen}
    hashes = {uid: content_hash(identity) for uid, identity in identities.items()}
    done = input_rows.processed_hashes(db, workflow, list(hashes.values()))
    new = [m for m in seen if hashes[m.uid] not in done]
    renumbered = [m for m in seen if hashes[m.uid] in done]  # taken before, under another UID
    for m in renumbered:  # known by this UID from now on: not fetched at the next poll
        input_rows.known_as(db, workflow, keys[m.uid], hashes[m.uid])
    unmarked = [m.uid for m in renumbered if KEYWORD not in m.flags]
    if unmarked:
        _mark(conn, unmarked)
    readable = [m for m in new if m.size <= MAX_BYTES]
    texts = _texts(conn, [m for m in readable if m.outline and m.outline.body])
    whole = dict(_bodies(conn, [m for m in readable if m.outline is None]))
    return [
        _document(m, keys[m.uid], identities[m.uid], texts.get(m.uid), whole.get(m.uid))
        for m in new
    ]


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


def _search(conn: imaplib.IMAP4, since: str, *also: str) -> list[int]:
    status, data = conn.uid("SEARCH", "SINCE", _imap_date(since), *also)
    _check(status, data, "the search")
    return sorted(int(uid) for uid in (data[0] or b"").split()) if data else []


def _heal(conn: imaplib.IMAP4, since: str, processed: list[int]) -> None:
    """The keyword for processed messages that lack it (a crash between the item made and
    the message marked)."""
    if processed:
        unmarked = set(_search(conn, since, "UNKEYWORD", KEYWORD))
        _mark(conn, [uid for uid in processed if uid in unmarked])


def _fetch(
    conn: imaplib.IMAP4, uids: Sequence[int], items: str
) -> Iterator[list[tuple[bytes, bytes | None]]]:
    """Each message's FETCH response as imaplib splits it: (text, the literal after it)."""
    if not uids:
        return
    status, data = conn.uid("FETCH", ",".join(str(uid) for uid in uids), items)
    _check(status, data, "the fetch")
    response: list[tuple[bytes, bytes | None]] = []
    for part in data:
        text, literal = part if isinstance(part, tuple) else (part, None)
        if not isinstance(text, bytes):
            continue
        if _START.match(text) and response:
            yield response
            response = []
        response.append((text, literal))
    if response:
        yield response


def _uid(response: list[tuple[bytes, bytes | None]]) -> int | None:
    found = _UID.search(b" ".join(text for text, _ in response))
    return int(found.group(1)) if found else None


def _literal(response: list[tuple[bytes, bytes | None]], item: bytes) -> bytes:
    """The literal of the item whose name starts with ``item`` (``BODY[1]<0>``): the item
    named last before it (a quoted name in a structure cannot pass for one)."""
    for text, literal in response:
        named = _ITEM.search(text)
        if literal is not None and named is not None and named.group(1).startswith(item):
            return literal
    return b""


def _outlines(conn: imaplib.IMAP4, uids: list[int]) -> Iterator[Seen]:
    """UID, size, flags, headers, MIME outline and the start of part 1 of each message:
    nothing else of it is fetched."""
    items = (
        f"(UID RFC822.SIZE FLAGS BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS ({HEADERS})]"
        f" BODY.PEEK[1]<0.{FIRST}>)"
    )
    for response in _fetch(conn, uids, items):
        text = b" ".join(text for text, _ in response)
        uid, size, flags = _UID.search(text), _SIZE.search(text), _FLAGS.search(text)
        if uid is None:
            continue
        tree = imap_structure.structure(text)  # wherever the server put it among the items
        head = email_reader.head_fields(_literal(response, b"BODY[HEADER.FIELDS"))
        yield Seen(
            int(uid.group(1)),
            int(size.group(1)) if size else 0,
            tuple(flags.group(1).decode("ascii", "replace").split()) if flags else (),
            head,
            imap_structure.outline(tree) if tree is not None else None,
            _literal(response, b"BODY[1]<0>"),
            email_reader.header_text(head, "message-id"),
        )


def _texts(conn: imaplib.IMAP4, messages: list[Seen]) -> dict[int, bytes]:
    """Each message's text part, as written: part 1 as it came with the outline when that
    was all of it; else one FETCH for the messages whose text is the same section."""
    sections: dict[str, list[int]] = {}
    found: dict[int, bytes] = {}
    for m in messages:
        assert m.outline is not None and m.outline.body is not None
        if m.outline.body.section == "1" and len(m.first) < FIRST:
            found[m.uid] = m.first
        else:
            sections.setdefault(m.outline.body.section, []).append(m.uid)
    for section, uids in sections.items():
        for response in _fetch(conn, uids, f"(UID BODY.PEEK[{section}])"):
            uid = _uid(response)
            if uid is not None:
                found[uid] = _literal(response, b"BODY[")
    return found


def _bodies(conn: imaplib.IMAP4, messages: list[Seen]) -> Iterator[tuple[int, bytes]]:
    """Messages whose outline could not be read, each whole."""
    for response in _fetch(conn, [m.uid for m in messages], "(UID BODY.PEEK[])"):
        uid = _uid(response)
        if uid is not None:
            yield uid, _literal(response, b"BODY[")


def _folder_key(account: str, folder: str) -> str:
    """What the keys of a folder's messages start with, whatever its UIDVALIDITY."""
    return f"imap:{account}/{folder}/"


def _key(account: str, folder: str, validity: str, uid: int) -> str:
    return f"{_folder_key(account, folder)}{validity}/{uid}"


def _identity(message: Seen, key: str) -> str:
    return f"message-id:{message.message_id}" if message.message_id else key


def _document(
    message: Seen, key: str, identity: str, text: bytes | None, whole: bytes | None
) -> InputDoc:
    if message.size > MAX_BYTES:
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
    mail = email_reader.read_email(whole) if whole is not None else _mail(message, text or b"")
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


def _mail(message: Seen, text: bytes) -> email_reader.Mail:
    """A message read from its fetched headers, outline and text part."""
    assert message.outline is not None
    mail = email_reader.Mail(attachments=message.outline.attachments)
    email_reader.read_headers(mail, message.head)
    part = message.outline.body
    if part is not None:
        payload = imap_structure.decoded(text, part.encoding)
        mail.body, mail.note, mail.html = email_reader.body_text(
            payload, part.charset, part.subtype
        )
    return mail


def _name(subject: str, sender: str) -> str:
    """What the inbox lists a message as: its subject and who sent it."""
    display = _PLAIN_SENDER.fullmatch(sender)  # most senders: parseaddr costs 40 µs each
    if display is not None:
        who = next(filter(None, display.group("quoted", "name", "address", "bare")), "")
    else:
        from email.utils import parseaddr

        name, address = parseaddr(sender)
        who = name or address
    who = " ".join(who.split())[:40]
    about = " ".join(subject.split())[:60]
    return f"{about} — {who}" if about and who else about or who


def _mark(conn: imaplib.IMAP4, uids: Sequence[int]) -> None:
    for start in range(0, len(uids), CHUNK):
        chunk = ",".join(str(u) for u in uids[start : start + CHUNK])
        status, data = conn.uid("STORE", chunk, "+FLAGS.SILENT", f"({KEYWORD})")
        _check(status, data, "marking the messages taken")
