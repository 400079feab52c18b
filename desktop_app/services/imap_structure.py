"""A message's MIME outline from its IMAP BODYSTRUCTURE: which part is the text to read,
and what else it holds (issue 27).

The server has parsed the MIME already; Signoff fetches the structure with the headers,
then only the text part (an attachment's bytes never cross the network). The structure is
read by turning IMAP's parenthesised lists into JSON for ``json``'s C decoder: a Python
tokenizer cost 30 µs a message, as much as fetching a small message whole. A structure
that does not read so (a backslash, a literal, an odd atom) gives ``None``: that message
is fetched whole and read by ``email_reader`` instead.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from email.utils import collapse_rfc2231_value, decode_params, unquote
from typing import NamedTuple

from desktop_app.services.email_reader import attachment, encoded_words

_DECODER = json.JSONDecoder()
_MARK = b"BODYSTRUCTURE ("

Structure = list[object]


class TextPart(NamedTuple):
    """The part read as the message's text: its IMAP section and how it is written."""

    section: str  # "1", "1.1", … as BODY[section] names it
    subtype: str  # plain or html
    encoding: str  # 7bit, quoted-printable, base64, …
    charset: str  # as declared ("" when none)


class Outline(NamedTuple):
    body: TextPart | None
    attachments: list[dict[str, object]]


def structure(line: bytes) -> Structure | None:
    """The BODYSTRUCTURE in a FETCH response's line, as nested lists (None: not readable
    the fast way)."""
    start = line.find(_MARK)
    if start < 0:
        return None
    text = line[start + len(_MARK) - 1 :].decode("utf-8", "replace")
    if "\\" in text:
        return None
    pieces = text.split('"')
    pieces[::2] = [
        p.replace(" ", ",")
        .replace(")(", "),(")
        .replace("(", "[")
        .replace(")", "]")
        .replace("NIL", "null")
        for p in pieces[::2]
    ]
    try:
        found = _DECODER.raw_decode('"'.join(pieces))[0]
    except ValueError:
        return None
    return found if isinstance(found, list) else None


def outline(tree: Structure) -> Outline | None:
    """The text part (plain before HTML, an attachment's text only when nothing else is
    text) and the other parts as attachments; None for a structure that is not MIME's."""
    leaves: list[tuple[str, Structure]] = []
    try:
        _leaves(tree, "", leaves)
        body = _pick(leaves)
        text_section = body[0] if body else None
        found = [_attachment(leaf) for section, leaf in leaves if section != text_section]
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    attachments = [a for a in found if a is not None]
    if body is None:
        return Outline(None, attachments)
    section, leaf = body
    return Outline(
        TextPart(section, str(leaf[1]).lower(), str(leaf[5] or "7bit").lower(), _charset(leaf)),
        attachments,
    )


def decoded(payload: bytes, encoding: str) -> bytes:
    """A part's bytes as fetched (``BODY[section]``), its transfer encoding undone
    (leniently, as mail programs do: bad base64 padding is not an error)."""
    import binascii

    if encoding == "quoted-printable":
        return binascii.a2b_qp(payload)
    if encoding == "base64":
        for padding in (b"", b"==="):
            with contextlib.suppress(binascii.Error):
                return binascii.a2b_base64(payload + padding)
    return payload


def _leaves(tree: Structure, prefix: str, out: list[tuple[str, Structure]]) -> None:
    """Each part that is not a multipart, with its section (a message/rfc822 is one part:
    a forwarded message is an attachment, not the text)."""
    if isinstance(tree[0], list):
        children = itertools.takewhile(lambda child: isinstance(child, list), tree)
        for number, child in enumerate(children, 1):
            _leaves(child, f"{prefix}{number}.", out)  # type: ignore[arg-type]
        return
    out.append((prefix.rstrip(".") or "1", tree))


def _pick(leaves: list[tuple[str, Structure]]) -> tuple[str, Structure] | None:
    inline = [(s, leaf) for s, leaf in leaves if _disposition(leaf) != "attachment"]
    for subtype in ("plain", "html"):
        for section, leaf in inline:
            if _kind(leaf) == f"text/{subtype}":
                return section, leaf
    return next(((s, leaf) for s, leaf in leaves if _kind(leaf).startswith("text/")), None)


def _kind(leaf: Structure) -> str:
    return f"{leaf[0]}/{leaf[1]}".lower()


def _extension(leaf: Structure) -> list[object]:
    """The fields after a part's basic ones: md5, disposition, language, location."""
    kind = _kind(leaf)
    if kind.startswith("text/"):
        return leaf[9:]
    if kind == "message/rfc822":
        return leaf[11:]
    return leaf[8:]


def _disposition(leaf: Structure) -> str:
    found = _extension(leaf)[:1]
    if found and isinstance(found[0], list) and found[0]:
        return str(found[0][0]).lower()
    return ""


def _params(pairs: object) -> dict[str, str]:
    """A parameter list (``("charset" "utf-8" …)``), RFC 2231's continued and encoded values
    (``filename*0*``) joined and decoded."""
    if not isinstance(pairs, list):
        return {}
    items = [(str(pairs[i]).lower(), str(pairs[i + 1])) for i in range(0, len(pairs) - 1, 2)]
    if not any("*" in name for name, _ in items):
        return dict(items)
    decoded = decode_params([("", ""), *items])[1:]
    return {name: unquote(collapse_rfc2231_value(value)) for name, value in decoded}


def _charset(leaf: Structure) -> str:
    return _params(leaf[2]).get("charset", "").strip()


def _attachment(leaf: Structure) -> dict[str, object] | None:
    kind = _kind(leaf)
    found = _extension(leaf)[:1]
    disposition = found[0] if found and isinstance(found[0], list) else []
    name = (
        _params(disposition[1] if len(disposition) > 1 else None).get("filename")
        or _params(leaf[2]).get("name")
        or ""
    )
    if not name and kind.startswith("text/"):
        return None  # the text's other form (HTML beside plain text)
    size = int(str(leaf[6] or 0))
    if str(leaf[5] or "").lower() == "base64":
        size = size * 57 // 78  # lines of 76 characters and CRLF, 4 characters for 3 bytes
    return attachment(encoded_words(name), kind, size)
