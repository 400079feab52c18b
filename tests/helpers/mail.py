"""The mail tests' fixtures: a real Dovecot and a real SMTP server (aiosmtpd) for one test,
and a mail account in Signoff's data folder pointing at them (its password in the test's
in-memory keychain)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.helpers.dovecot import PASSWORD, USER, Dovecot, missing
from tests.helpers.smtp_server import SmtpServer


class MailServers(NamedTuple):
    imap: Dovecot
    smtp: SmtpServer


@pytest.fixture
def mail_servers() -> Iterator[MailServers]:
    why = missing()
    if why:
        pytest.skip(why)
    imap = Dovecot().start()
    smtp = SmtpServer(
        USER, PASSWORD, certificate=imap.certificate, key=imap.folder / "key.pem"
    ).start()
    try:
        yield MailServers(imap, smtp)
    finally:
        smtp.stop()
        imap.stop()


def add_account(data_dir: Path, servers: MailServers, name: str = "shop") -> None:
    """The account as the person adds it: STARTTLS, the servers' own certificate trusted."""
    from desktop_app.services import mail_accounts

    account = mail_accounts.make(
        name,
        imap=f"127.0.0.1:{servers.imap.imap_port}",
        smtp=f"127.0.0.1:{servers.smtp.port}",
        user=USER,
        address="cafe@example.com",
        security="starttls",
        trust=str(servers.imap.certificate),
    )
    mail_accounts.add(data_dir, account, PASSWORD)


def write_mail_spec(workflows_dir: Path, name: str = "prices", **options: Any) -> Path:
    """A workflow reading the ``shop`` account's INBOX (``add_account``) since 2026-01-01;
    ``options`` as ``write_spec`` takes them."""
    from tests.helpers.specs import write_spec

    extra = 'account = "shop"\nfolder = "INBOX"\nsince = "2026-01-01"'
    return write_spec(workflows_dir, name, kind="mailbox", input_extra=extra, **options)


def message(
    n: int,
    *,
    subject: str | None = None,
    body: str | None = None,
    html: str | None = None,
    sender: str = "supplier@example.net",
    date: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Supplier {n} <{sender}>"
    msg["To"] = "cafe@example.com"
    msg["Subject"] = subject if subject is not None else f"Price list {n}"
    msg["Message-ID"] = make_msgid(f"m{n}", domain="example.net")
    if date is not None:
        msg["Date"] = date
    else:
        import datetime

        msg["Date"] = format_datetime(datetime.datetime.now(datetime.timezone.utc))
    if html is not None and body is None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(
            body if body is not None else f"Dear café, our prices rise by {n}% next month."
        )
    return bytes(msg)
