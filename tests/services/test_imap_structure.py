"""A message's outline from its IMAP BODYSTRUCTURE (issue 27): the part that is its text,
the others named as attachments, and what cannot be read the fast way said as such (the
message is then fetched whole). The lines are Dovecot's own, as imaplib hands them over."""

from __future__ import annotations

from email.utils import parseaddr

import pytest

from desktop_app.services import imap_structure
from desktop_app.services.imap_structure import TextPart
from desktop_app.services.mailbox import _name

PLAIN = (
    b'1 (UID 1 RFC822.SIZE 338 FLAGS (\\Recent) BODYSTRUCTURE ("text" "plain" ("charset" '
    b'"utf-8") NIL NIL "8bit" 47 1 NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM)] {135}'
)
MIXED = (
    b'2 (UID 2 RFC822.SIZE 91564 FLAGS (\\Recent) BODYSTRUCTURE ((("text" "plain" ("charset"'
    b' "utf-8") NIL NIL "quoted-printable" 3316 64 NIL NIL NIL NIL)("text" "html" ("charset"'
    b' "utf-8") NIL NIL "quoted-printable" 5232 81 NIL NIL NIL NIL) "alternative" ("boundary"'
    b' "==8263==") NIL NIL NIL)("application" "pdf" NIL NIL NIL "base64" 82106 NIL'
    b' ("attachment" ("filename" "invoice-3.pdf")) NIL NIL) "mixed" ("boundary" "==0777==")'
    b" NIL NIL NIL) BODY[HEADER.FIELDS (FROM)] {103}"
)


def _outline(line: bytes) -> imap_structure.Outline:
    tree = imap_structure.structure(line)
    assert tree is not None
    found = imap_structure.outline(tree)
    assert found is not None
    return found


def test_a_plain_message_is_its_first_part():
    found = _outline(PLAIN)
    assert found.body == TextPart("1", "plain", "8bit", "utf-8")
    assert found.attachments == []


def test_plain_text_is_read_before_html_and_the_pdf_is_named_not_fetched():
    found = _outline(MIXED)
    assert found.body == TextPart("1.1", "plain", "quoted-printable", "utf-8")
    # the HTML alternative is not an attachment; the PDF is, its size as decoded (about)
    assert found.attachments == [{"name": "invoice-3.pdf", "type": "application/pdf",
                                  "size": 82106 * 57 // 78}]  # fmt: skip


def test_html_only_with_an_inline_image_reads_the_html():
    line = (
        b'3 (UID 3 BODYSTRUCTURE (("text" "html" ("charset" "iso-8859-1") NIL NIL "7bit" 90 3'
        b' NIL NIL NIL NIL)("image" "png" ("name" "=?utf-8?q?Gr=C3=BC=C3=9Fe.png?=") "<i1>" NIL'
        b' "base64" 780 NIL ("inline" NIL) NIL NIL) "related" ("boundary" "b") NIL NIL NIL))'
    )
    found = _outline(line)
    assert found.body == TextPart("1", "html", "7bit", "iso-8859-1")
    assert [a["name"] for a in found.attachments] == ["Grüße.png"]


def test_an_rfc_2231_file_name_is_decoded():
    line = (
        b'4 (UID 4 BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 4 1 NIL'
        b' NIL NIL NIL)("application" "pdf" NIL NIL NIL "base64" 6 NIL ("attachment"'
        b' ("filename*" "utf-8\'\'Gr%C3%BC%C3%9Fe%20%281%29.pdf")) NIL NIL) "mixed" ("boundary"'
        b' "x") NIL NIL NIL))'
    )
    assert _outline(line).attachments[0]["name"] == "Grüße (1).pdf"


def test_a_message_of_attachments_only_has_no_text_part():
    line = (
        b'5 (UID 5 BODYSTRUCTURE (("application" "pdf" NIL NIL NIL "base64" 16 NIL'
        b' ("attachment" ("filename" "a.pdf")) NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL))'
    )
    found = _outline(line)
    assert found.body is None and [a["name"] for a in found.attachments] == ["a.pdf"]


def test_a_forwarded_message_is_an_attachment_not_the_text():
    line = (
        b'6 (UID 6 BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1'
        b' NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 300 (NIL "Old" NIL NIL NIL'
        b' NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 1 NIL'
        b' NIL NIL NIL) 12 NIL ("attachment" ("filename" "old.eml")) NIL NIL) "mixed"'
        b' ("boundary" "x") NIL NIL NIL))'
    )
    found = _outline(line)
    assert found.body is not None and found.body.section == "1"
    assert found.attachments == [{"name": "old.eml", "type": "message/rfc822", "size": 300}]


@pytest.mark.parametrize(
    "line",
    [
        b'1 (UID 1 BODYSTRUCTURE ("text" "plain" ("name" "a \\"b\\"") NIL NIL "7bit" 1 1))',
        b'1 (UID 1 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 5 0)("application" "pdf"'
        b' ("name" {15}',  # a literal cut the line: imaplib hands it over separately
        b"1 (UID 1 FLAGS (\\Seen))",
        b"1 (UID 1 BODYSTRUCTURE (SOMEATOM))",
    ],
)
def test_what_does_not_read_the_fast_way_says_so(line):
    assert imap_structure.structure(line) is None


def test_a_structure_that_is_not_mime_gives_no_outline():
    assert imap_structure.outline([["text"]]) is None


@pytest.mark.parametrize(
    ("payload", "encoding", "expected"),
    [
        (b"Gr=C3=BC=C3=9Fe =\r\naus Wien", "quoted-printable", "Grüße aus Wien".encode()),
        (b"R3LDvMOfZQ==\r\n", "base64", "Grüße".encode()),
        (b"R3LDvMOfZQ", "base64", "Grüße".encode()),  # padding lost: read as mail programs do
        (b"plain\r\n", "7bit", b"plain\r\n"),
    ],
)
def test_a_parts_transfer_encoding_is_undone(payload, encoding, expected):
    assert imap_structure.decoded(payload, encoding) == expected


@pytest.mark.parametrize(
    "sender",
    [
        "Supplier 1 <s@example.net>",
        '"Smith, John" <j@example.net>',
        "j@example.net",
        "<j@example.net>",
        "  Bob   Lee  <b@example.net> ",
        '"" <q@example.net>',
        "Grüße Team <g@example.de>",
        "John (work) <j@example.net>",
        "a@example.net, c@example.net",
        "undisclosed-recipients:;",
        "Name <a@example.net> extra",
        "",
    ],
)
def test_the_sender_named_in_the_inbox_is_who_parseaddr_finds(sender):
    """The inbox's name for a message skips parseaddr for plain senders (40 µs each): the
    same name either way."""
    display, address = parseaddr(sender)
    who = " ".join((display or address).split())
    assert _name("Prices", sender) == (f"Prices — {who}" if who else "Prices")


class _Server:
    """An IMAP connection that answers one FETCH as given (as imaplib splits a response)."""

    def __init__(self, data):
        self.data = data

    def uid(self, command, *args):
        assert command == "FETCH"
        return "OK", self.data


def test_a_server_may_put_the_items_in_any_order():
    """Another server than Dovecot: the headers' literal first, the structure and the UID
    after it; the outline and the headers are found all the same."""
    from desktop_app.services.mailbox import _outlines

    head = b"From: Anna <anna@example.net>\r\nMessage-ID: <a1@example.net>\r\n\r\n"
    text = b"Prices rise.\r\n"
    data = [
        (b"7 (FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM MESSAGE-ID)] {%d}" % len(head), head),
        (b" BODY[1]<0> {%d}" % len(text), text),
        b' RFC822.SIZE 512 BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 14'
        b" 1 NIL NIL NIL NIL) UID 42)",
    ]
    (seen,) = _outlines(_Server(data), [42])
    assert (seen.uid, seen.size, seen.flags, seen.message_id) == (
        42, 512, ("\\Seen",), "<a1@example.net>"
    )  # fmt: skip
    assert seen.outline is not None and seen.outline.body == TextPart("1", "plain", "7bit", "utf-8")
    assert seen.first == text
