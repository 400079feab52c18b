"""An approved reply sent by e-mail (``[action] kind = "email"``, issue 27): once, ever.

The message is made from the item: the approved text (the edit, when edited) as its body;
To the input's sender unless the spec's ``to`` template says otherwise (an input never
adds recipients or headers: one plain address, ``actions.reply_address``); ``Re:`` and the
thread's ``In-Reply-To``/``References`` on a mailbox input; a Message-ID made from the
item's idempotency key, the same at every attempt. The action's intent is recorded before
sending (``services/actions``). Before sending, the account's Sent folder is searched for
that Message-ID: found, the reply went out before a crash kept it from being recorded, and
it is not sent again. After sending, a copy is put in Sent (as a mail program does). A
server's refusal (a bad address, 5xx) is the action's failure, in the server's own words.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from desktop_app.core.errors import KnownError
from desktop_app.services import mail_accounts
from desktop_app.services.mail_accounts import Account, server_said

SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "INBOX/Sent")


class SendError(KnownError):
    """The reply could not be sent; the message says why (the server's words)."""


def message_id(key: str, account: Account) -> str:
    """The reply's Message-ID: the same for every attempt at the same item's action."""
    domain = account.address.rsplit("@", 1)[1].strip(">").strip() or "signoff.invalid"
    return f"<{key}@{domain}>"


def compose(
    *,
    account: Account,
    key: str,
    body: str,
    to: str,
    cc: str,
    subject: str,
    in_reply_to: str = "",
    references: str = "",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = account.address
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = message_id(key, account)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*references.split(), in_reply_to][-20:])
    msg.set_content(body)
    return msg


def recipients(msg: EmailMessage) -> list[str]:
    return [a for _n, a in getaddresses([str(msg.get("To", "")), str(msg.get("Cc", ""))]) if a]


def send_once(account: Account, msg: EmailMessage) -> tuple[str, str]:
    """Send ``msg`` unless its copy is already in Sent; then file the copy there. Returns
    (target, message) for the action's record."""
    msg_id = str(msg["Message-ID"])
    to = ", ".join(recipients(msg))
    try:
        imap = mail_accounts.open_imap(account)
    except KnownError as exc:
        raise SendError(str(exc)) from None
    try:
        sent = _sent_folder(imap)
        if sent and _holds(imap, sent, msg_id):
            return to, f"already sent to {to} (its copy is in {sent}): not sent again"
        _send(account, msg)
        if not sent:
            return to, f"sent to {to} (no Sent folder on the server to keep a copy in)"
        status, data = imap.append(
            mail_accounts.quoted(sent),
            "(\\Seen)",
            imaplib.Time2Internaldate(time.time()),
            msg.as_bytes(),
        )
        if status != "OK":
            return to, f"sent to {to}; its copy could not be put in {sent}: {server_said(data)}"
        return to, f"sent to {to} (a copy in {sent})"
    finally:
        mail_accounts.close_imap(imap)


def _send(account: Account, msg: EmailMessage) -> None:
    try:
        smtp = mail_accounts.open_smtp(account)
    except KnownError as exc:
        raise SendError(str(exc)) from None
    try:
        refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        words = "; ".join(
            f"{address}: {code} {server_said(said)}"
            for address, (code, said) in exc.recipients.items()
        )
        raise SendError(f"the SMTP server refused the recipients: {words}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(
            f"the SMTP server refused the message: {exc.smtp_code} {server_said(exc.smtp_error)}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"the SMTP server failed while sending: {exc}") from None
    finally:
        mail_accounts.close_smtp(smtp)
    if refused:  # some recipients refused, the others took it: said, not retried
        words = "; ".join(f"{a}: {code} {server_said(said)}" for a, (code, said) in refused.items())
        raise SendError(f"sent, but the SMTP server refused some recipients: {words}")


def _sent_folder(imap: imaplib.IMAP4) -> str:
    """The folder marked ``\\Sent`` (RFC 6154), else one of the usual names, else ""."""
    status, data = imap.list()
    if status != "OK":
        return ""
    names = []
    for line in data:
        if not isinstance(line, bytes):
            continue
        found = re.match(rb'\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$', line)
        if found is None:
            continue
        name = found.group("name").decode("utf-8", "replace").strip().strip('"')
        if b"\\sent" in found.group("flags").lower():
            return name
        names.append(name)
    return next((n for n in SENT_NAMES if n in names), "")


def _holds(imap: imaplib.IMAP4, folder: str, msg_id: str) -> bool:
    status, _ = imap.select(mail_accounts.quoted(folder), readonly=True)
    if status != "OK":
        return False
    status, data = imap.uid("SEARCH", "HEADER", "Message-ID", mail_accounts.quoted(msg_id))
    return status == "OK" and bool(data and data[0] and data[0].split())
