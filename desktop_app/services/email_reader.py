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
import email
import email.policy
from collections.abc import Iterator
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
    read_headers(mail, head_fields(raw))
    part = _body_part(msg)
    if part is not None:
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        if isinstance(payload, bytes):
            mail.body, mail.note, mail.html = body_text(
                payload, _declared_charset(part), _subtype(part)
            )
        else:
            text = part.get_payload()
            mail.body = text if isinstance(text, str) else ""
    mail.attachments = _attachments(msg, part)
    return mail


def read_headers(mail: Mail, head: dict[bytes, bytes]) -> None:
    """The headers a workflow sees, from a message's head (``head_fields``)."""
    for name in ("from", "to", "subject", "date"):
        mail.headers[name] = header_text(head, name)
    mail.cc = header_text(head, "cc")
    mail.message_id = header_text(head, "message-id")
    mail.references = header_text(head, "references")


def body_text(payload: bytes, declared: str, subtype: str) -> tuple[str, str, bool]:
    """(text, note, was HTML) of a text part's decoded bytes: by its declared charset (else
    UTF-8, else Windows-1252, ``note`` saying so), as lines, HTML turned into text."""
    text, note = _decode_text(payload, declared)
    # a message from a server has CRLF line ends (IMAP's); its reader sees lines
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if subtype.lower() != "html":
        return text, note, False
    from desktop_app.core.html_text import html_to_text

    return html_to_text(text), note, True


def _subtype(part: Message) -> str:
    try:
        return part.get_content_subtype()
    except Exception:
        return ""


def _attachments(msg: Message, body: Message | None) -> list[dict[str, object]]:
    """Name, type and size of each part that is not the body text: never their bytes. A
    forwarded message is one attachment (as an IMAP server's structure has it)."""
    found: list[dict[str, object]] = []
    try:
        parts = [p for p in _leaves(msg) if p is not body]
    except Exception:
        return found
    for part in parts:
        try:
            kind = part.get_content_type()
            name = part.get_filename() or ""
            if not name and kind.startswith("text/"):
                continue  # the body's other form (HTML beside plain text)
            if kind == "message/rfc822":
                inner = part.get_payload(0)  # the message as forwarded
                size = len(inner.as_bytes()) if isinstance(inner, Message) else 0
            else:
                payload = part.get_payload(decode=True)
                size = len(payload) if isinstance(payload, bytes) else 0
        except Exception:
            continue
        found.append(attachment(name, kind, size))
    return found


def _leaves(part: Message) -> Iterator[Message]:
    if part.get_content_type() != "message/rfc822" and part.is_multipart():
        for child in part.get_payload():
            if isinstance(child, Message):
                yield from _leaves(child)
    else:
        yield part


def attachment(name: str, kind: str, size: int) -> dict[str, object]:
    """What ``input.fields["attachments"]`` says of one: name, type, size (never its bytes)."""
    return {"name": _one_line(name) or "(unnamed)", "type": kind, "size": size}


def head_fields(raw: bytes) -> dict[bytes, bytes]:
    """A message's own head (or the header lines an IMAP server sent): each header's first
    occurrence, unfolded, by its lower-case name (only the head is split, whatever the
    message's size)."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=len(raw))
    head = raw[:end].replace(b"\r\n", b"\n").replace(b"\n ", b" ").replace(b"\n\t", b" ")
    found: dict[bytes, bytes] = {}
    for line in head.split(b"\n"):
        name, colon, value = line.partition(b":")
        if colon:
            found.setdefault(name.strip().lower(), value)
    return found


def header_text(head: dict[bytes, bytes], name: str) -> str:
    """A header exactly as written (unfolded), RFC 2047 words decoded where they can be,
    8-bit bytes read as UTF-8 (else Windows-1252)."""
    data = head.get(name.encode("ascii"))
    if data is None:
        return ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _one_line(data.decode("cp1252", errors="replace"))
    return _one_line(encoded_words(text))


def encoded_words(text: str) -> str:
    """``text`` with its RFC 2047 encoded words (``=?utf-8?q?…?=``) decoded; undecodable
    ones are left as they stand."""
    if "=?" not in text:
        return text
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


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


def _decode_text(payload: bytes, declared: str) -> tuple[str, str]:
    """(text, note): by the declared charset, else UTF-8, else Windows-1252."""
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
