"""A mailbox as a workflow's input (issue 27), against a real Dovecot: each message once,
ever; what cannot be read becomes an escalated item saying why; the mail program sees what
Signoff took. Every test on both engines (the services' ``db``)."""

from __future__ import annotations

import dataclasses
import shutil
import time

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.core.states import ItemState
from desktop_app.services import mailbox, run_start
from desktop_app.storage import item_rows
from tests.helpers.llm_server import reply
from tests.helpers.mail import add_account, message, write_mail_spec


@pytest.fixture
def mail_spec(tmp_path, llm_server, mail_servers):
    llm_server.default = reply("Thank you, we have noted the new prices.")
    add_account(tmp_path / "data", mail_servers)
    path = write_mail_spec(tmp_path / "workflows", api_base=llm_server.url, max_chars=60000)
    return load_spec(path)


# Reading and parsing mail does not depend on the engine: those tests run on SQLite only;
# what keeps a message from being taken twice runs on both.
ONE_ENGINE = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def _run(db, spec, tmp_path):
    return run_start.run_workflow(db, spec, tmp_path / "data", confirmed=True)


def _items(db):
    rows = db.execute("SELECT id FROM items ORDER BY id").fetchall()
    return [item_rows.get_item(db, row[0]) for row in rows]


def _flags(servers):
    with servers.imap.reading() as conn:
        _, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    return [part.decode() for part in data if isinstance(part, bytes)]


def test_each_message_becomes_one_item_once_and_is_marked_taken(
    db, tmp_path, mail_spec, mail_servers
):
    for n in range(5):
        mail_servers.imap.deliver(message(n))
    first = _run(db, mail_spec, tmp_path)
    assert [s.inputs for s in first.summaries] == [5]
    items = _items(db)
    assert len(items) == 5
    assert sorted(i["input_text"] for i in items) == [
        f"Dear café, our prices rise by {n}% next month." for n in range(5)
    ]
    assert sorted(i["input_name"] for i in items) == [  # what the inbox lists: subject, sender
        f"Price list {n} — Supplier {n}" for n in range(5)
    ]
    assert all("$Signoff" in flags for flags in _flags(mail_servers))
    assert _run(db, mail_spec, tmp_path).nothing_new  # nothing new: nothing taken twice
    mail_servers.imap.deliver(message(5))
    again = _run(db, mail_spec, tmp_path)
    assert [s.inputs for s in again.summaries] == [1]
    assert len(_items(db)) == 6


@ONE_ENGINE
def test_the_fields_a_template_sees(db, tmp_path, mail_spec, mail_servers):
    mail_servers.imap.deliver(message(1, body="Dear café,\n\nnew prices.\nRegards"))
    (doc,) = mailbox.new_messages(db, mail_spec, tmp_path / "data")
    assert doc.text == "Dear café,\n\nnew prices.\nRegards"  # lines, not the server's CRLF
    fields = doc.fields
    assert fields["from"] == "Supplier 1 <supplier@example.net>"
    assert fields["to"] == "cafe@example.com" and fields["subject"] == "Price list 1"
    assert fields["message_id"].endswith("m1@example.net>") and fields["attachments"] == []
    assert doc.key.startswith("imap:shop/INBOX/") and doc.identity == (
        f"message-id:{fields['message_id']}"
    )


def test_a_renumbered_folder_is_not_taken_again(db, tmp_path, mail_spec, mail_servers):
    """The server changed the folder's UIDVALIDITY (its index rebuilt): the messages are
    known by their Message-ID, and none becomes a second item."""
    for n in range(3):
        mail_servers.imap.deliver(message(n))
    _run(db, mail_spec, tmp_path)
    time.sleep(1.05)  # Dovecot makes a new UIDVALIDITY from the clock's seconds: another one
    maildir = mail_servers.imap.maildir
    for index in maildir.glob("dovecot*"):
        if index.is_dir():
            shutil.rmtree(index)
        else:
            index.unlink()
    assert mailbox.new_messages(db, mail_spec, tmp_path / "data") == []
    assert len(_items(db)) == 3
    # known by their new numbers too: the next poll fetches nothing of them
    from desktop_app.storage import input_rows

    keys = input_rows.keys_starting(db, mail_spec.name, "imap:shop/INBOX/")
    assert len(keys) == 6 and len({key.rsplit("/", 2)[1] for key in keys}) == 2
    assert mailbox.new_messages(db, mail_spec, tmp_path / "data") == []


@ONE_ENGINE
def test_messages_before_since_are_left_alone(db, tmp_path, mail_spec, mail_servers):
    mail_servers.imap.deliver(message(1))
    late = dataclasses.replace(
        mail_spec, input=dataclasses.replace(mail_spec.input, since="2999-01-01")
    )
    assert mailbox.new_messages(db, late, tmp_path / "data") == []


@ONE_ENGINE
def test_mail_that_cannot_be_read_is_escalated_with_the_reason(
    db, tmp_path, mail_spec, mail_servers
):
    from email.message import EmailMessage

    html = message(1, html="<html><body><script>x()</script><p>New <b>prices</b>: see "
                   '<a href="https://example.net/p">the list</a>.</p></body></html>')  # fmt: skip
    attached = EmailMessage()
    attached["From"], attached["Subject"] = "a@example.net", "Invoice"
    attached["Message-ID"] = "<attached@example.net>"
    attached.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf",
                            filename="invoice.pdf")  # fmt: skip
    broken = (
        b"From: b@example.net\r\nSubject: Gr\xfc\xdfe\r\nMessage-ID: <broken@example.net>\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nGr\xfc\xdfe aus Wien\r\n"
    )
    empty = b"From: c@example.net\r\nSubject: (empty)\r\nMessage-ID: <empty@example.net>\r\n\r\n"
    for raw in (html, bytes(attached), broken, empty):
        mail_servers.imap.deliver(raw)
    docs = {
        d.fields.get("message_id", ""): d
        for d in mailbox.new_messages(db, mail_spec, tmp_path / "data")
    }
    assert len(docs) == 4
    html_doc = next(d for d in docs.values() if d.name == "Price list 1 — Supplier 1")
    assert html_doc.text == "New prices: see the list (https://example.net/p)."
    assert docs["<attached@example.net>"].problem == (
        "the e-mail holds only attachments (invoice.pdf) and no text to read"
    )
    assert docs["<attached@example.net>"].fields["attachments"][0]["type"] == "application/pdf"
    assert "Windows-1252" in docs["<broken@example.net>"].note
    assert docs["<broken@example.net>"].text == "Grüße aus Wien"
    assert docs["<empty@example.net>"].problem == "the e-mail is empty: no text to read"
    summary = _run(db, mail_spec, tmp_path).summaries[0]
    assert summary.inputs == 4 and summary.escalated == 3  # unreadable two, the charset one


@ONE_ENGINE
def test_a_message_over_25_mb_is_not_read_but_said(db, tmp_path, mail_spec, mail_servers):
    mail_servers.imap.deliver(message(1, body="x" * (26 * 1024 * 1024)))
    mail_servers.imap.deliver(message(2))
    docs = mailbox.new_messages(db, mail_spec, tmp_path / "data")
    big = next(d for d in docs if d.problem)
    assert big.problem.startswith("the e-mail is 2") and "MB, more than the 25 MB" in big.problem
    assert big.text == ""
    assert [d.name for d in docs if not d.problem] == ["Price list 2 — Supplier 2"]


@ONE_ENGINE
def test_a_wrong_password_is_one_line_without_the_password(db, tmp_path, mail_spec, mail_servers):
    from desktop_app.core.errors import KnownError
    from desktop_app.services import mail_accounts

    account = mail_accounts.get(tmp_path / "data", "shop")
    mail_accounts.add(tmp_path / "data", account, "wrong-horse-battery")
    with pytest.raises(KnownError) as refused:
        mailbox.new_messages(db, mail_spec, tmp_path / "data")
    said = str(refused.value)
    assert "refused the login" in said and "wrong-horse-battery" not in said
    assert "\n" not in said
    assert _items(db) == [] and ItemState.PENDING  # nothing made


def _corpus() -> list[bytes]:
    """Mail as programs send it: every shape of MIME the outline must read as the whole
    message reads."""
    from email.message import EmailMessage

    def made(subject, build):
        msg = EmailMessage()
        msg["From"], msg["To"] = "Anna Weiß <anna@example.net>", "cafe@example.com"
        msg["Subject"], msg["Message-ID"] = subject, f"<{abs(hash(subject))}@example.net>"
        build(msg)
        return bytes(msg)

    def alternative(msg):
        msg.set_content("Preise steigen um 5 %.\n" * 30)
        msg.add_alternative("<p>Preise <b>steigen</b>.</p>", subtype="html")

    def mixed(msg):
        alternative(msg)
        msg.add_attachment(bytes(range(256)) * 40, maintype="application", subtype="pdf",
                           filename="Rechnung März.pdf")  # fmt: skip

    def related(msg):
        msg.set_content("<p>Logo: <img src='cid:logo'></p>", subtype="html")
        msg.add_related(b"\x89PNG" + bytes(300), maintype="image", subtype="png", cid="<logo>")

    def forwarded(msg):
        inner = EmailMessage()
        inner["Subject"] = "Old order"
        inner.set_content("the old order")
        msg.set_content("See the order below.")
        msg.add_attachment(inner)

    def text_attachment(msg):
        msg.set_content("Notes attached.")
        msg.add_attachment("line one\nline two\n", filename="notes.txt")

    def base64_latin1(msg):
        msg.set_content("Grüße aus Köln, " * 20, charset="iso-8859-1", cte="base64")

    def long_lines(msg):
        msg.set_content("Ein sehr langer Satz " * 80)  # quoted-printable

    eight_bit_name = (
        b"From: b@example.net\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n"
        b"Message-ID: <eight@example.net>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHallo\r\n--XX\r\n"
        b'Content-Type: application/pdf; name="Gr\xc3\xbc\xc3\x9fe.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nYWJj\r\n--XX--\r\n"
    )  # the server sends the name as a literal: the message is read whole
    builds = [alternative, mixed, related, forwarded, text_attachment, base64_latin1, long_lines]
    return [made(f"{b.__name__} {n}", b) for n, b in enumerate(builds)] + [eight_bit_name]


@ONE_ENGINE
def test_the_outline_reads_mail_as_the_whole_message_reads(db, tmp_path, mail_spec, mail_servers):
    """Fetching the outline and the text part gives each message the text and fields that
    reading it whole gives (attachments' sizes estimated from the encoded size)."""
    from desktop_app.services.email_reader import read_email

    for raw in _corpus():
        mail_servers.imap.deliver(raw)
    docs = mailbox.new_messages(db, mail_spec, tmp_path / "data")
    with mail_servers.imap.reading() as conn:
        _, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
    whole = [read_email(part[1]) for part in data if isinstance(part, tuple)]
    assert len(docs) == len(whole) == len(_corpus())
    for doc, mail in zip(docs, whole, strict=True):
        assert doc.text == mail.body.strip() and doc.note == mail.note
        assert doc.text  # every message of the corpus has text
        assert doc.fields["subject"] == mail.headers["subject"]
        assert doc.fields["from"] == mail.headers["from"]
        assert doc.fields["message_id"] == mail.message_id
        found = doc.fields["attachments"]
        assert [(a["name"], a["type"]) for a in found] == [
            (a["name"], a["type"]) for a in mail.attachments
        ]
        for ours, exact in zip(found, mail.attachments, strict=True):
            assert abs(ours["size"] - exact["size"]) <= max(8, exact["size"] // 20)


def test_a_taken_message_that_lost_its_mark_gets_it_back_and_is_not_taken_again(
    db, tmp_path, mail_spec, mail_servers
):
    """A crash between the item made and the message marked: the next read marks it, from
    the database's word (nothing of the message is fetched again)."""
    import imaplib

    from tests.helpers.dovecot import PASSWORD, USER

    for n in range(3):
        mail_servers.imap.deliver(message(n))
    _run(db, mail_spec, tmp_path)
    conn = imaplib.IMAP4("127.0.0.1", mail_servers.imap.imap_port)
    conn.login(USER, PASSWORD)
    conn.select("INBOX")
    conn.uid("STORE", "2", "-FLAGS.SILENT", "($Signoff)")
    conn.logout()
    assert sum("$Signoff" in flags for flags in _flags(mail_servers)) == 2
    assert mailbox.new_messages(db, mail_spec, tmp_path / "data") == []
    assert all("$Signoff" in flags for flags in _flags(mail_servers))
    assert len(_items(db)) == 3
