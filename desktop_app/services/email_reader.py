"""Read one e-mail's headers and text body, whatever it holds.

Headers are read from the bytes as written (unfolded, RFC 2047 words decoded where they can
be, 8-bit bytes as UTF-8, else Windows-1252): the standard library's header objects cost
three times the rest of the reading, and some malformed headers (``From: :;>éq>``) raise
``AttributeError`` or ``IndexError`` deep inside them. A MIME part can declare a charset
no codec knows: a body is decoded by its declared charset, else as UTF-8, else as
Windows-1252, and ``note`` says when the declared charset was not used.
"""

from __future__ import annotations

import codecs
import contextlib
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage, Message


@dataclass
class Mail:
    headers: dict[str, str] = field(default_factory=dict)  # from, to, subject, date (as read)
    body: str = ""
    note: str = ""  # how the body was decoded, when not as declared
    cc: str = ""
    message_id: str = ""
    references: str = ""  # the thread's Message-IDs, for a reply's References
    attachments: list[dict[str, object]] = field(default_factory=list)  # name, type, size
    html: bool = False  # the body was HTML only, turned into text


def read_email(raw: bytes) -> Mail:
    # compat32: headers stay the text they are (read below from the bytes, decoded there),
    # not parsed into objects at every look (three times the cost of the rest: issue 27).
    msg = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.compat32)
    mail = Mail()
    head = _head(raw)
    for name in ("from", "to", "subject", "date"):
        mail.headers[name] = _raw_header(head, name)
    mail.cc = _raw_header(head, "cc")
    mail.message_id = _raw_header(head, "message-id")
    mail.references = _raw_header(head, "references")
    part = _body_part(msg)
    if part is not None:
        mail.body, mail.note = _decode_body(part)
        # a message from a server has CRLF line ends (IMAP's); its reader sees lines
        mail.body = mail.body.replace("\r\n", "\n").replace("\r", "\n")
        if _subtype(part) == "html":
            from desktop_app.core.html_text import html_to_text

            mail.body, mail.html = html_to_text(mail.body), True
    mail.attachments = _attachments(msg, part)
    return mail


def _subtype(part: Message) -> str:
    try:
        return part.get_content_subtype()
    except Exception:
        return ""


def _attachments(msg: Message, body: Message | None) -> list[dict[str, object]]:
    """Name, type and size of each part that is not the body text: never their bytes."""
    found: list[dict[str, object]] = []
    try:
        parts = [p for p in msg.walk() if not p.is_multipart() and p is not body]
    except Exception:
        return found
    for part in parts:
        try:
            kind = part.get_content_type()
            name = part.get_filename() or ""
            if not name and kind.startswith("text/"):
                continue  # the body's other form (HTML beside plain text)
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
        except Exception:
            continue
        found.append({"name": _one_line(name) or "(unnamed)", "type": kind, "size": size})
    return found


def _head(raw: bytes) -> dict[bytes, bytes]:
    """The message's own head: each header's first occurrence, unfolded, by its lower-case
    name (read once a message, whatever its size: only the head is split)."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    head = raw[:end].replace(b"\r\n", b"\n").replace(b"\n ", b" ").replace(b"\n\t", b" ")
    found: dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon:
            found.setdefault(name.strip().lower(), value)
    return found


def _raw_header(head: dict[bytes, bytes], name: str) -> str:
    """A header exactly as written (unfolded), RFC 2047 words decoded where they can be,
    8-bit bytes read as UTF-8 (else Windows-1252)."""
    from email.header import decode_header, make_header

    data = head.get(name.encode("ascii"))
    if data is None:
        return ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _one_line(data.decode("cp1252", errors="replace"))
    if "=?" in text:
        with contextlib.suppress(Exception):  # undecodable encoded words: the text as it stands
            text = str(make_header(decode_header(text)))
    return _one_line(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _body_part(msg: Message) -> Message | None:
    try:
        if isinstance(msg, EmailMessage):
            found = msg.get_body(preferencelist=("plain", "html"))
            if found is not None:
                return found
    except Exception:  # a MIME structure get_body cannot walk: look for a text part
        pass
    try:
        for part in msg.walk():
            if part.get_content_maintype() == "text" and not part.is_multipart():
                return part
    except Exception:
        return None
    return None


def _decode_body(part: Message) -> tuple[str, str]:
    """(text, note): by the declared charset, else UTF-8, else Windows-1252."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return (raw if isinstance(raw, str) else ""), ""
    declared = _declared_charset(part)
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            why = f"declares the charset '{declared}', which is unknown"
        else:
            try:
                return payload.decode(declared), ""
            except (UnicodeDecodeError, LookupError):
                why = f"does not decode as its declared charset '{declared}'"
    else:
        why = ""
    try:
        text, used = payload.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        text, used = payload.decode("cp1252", errors="replace"), "Windows-1252"
    if used == "UTF-8" and declared.lower() in ("", "us-ascii", "ascii"):
        return text, ""  # plain UTF-8 where ASCII was said (or nothing): nothing to say
    note = f"The e-mail {why or 'names no charset'}; its text was read as {used}: check that it reads right."
    return text, note


def _declared_charset(part: Message) -> str:
    try:
        return (part.get_content_charset() or "").strip()
    except Exception:
        return ""
