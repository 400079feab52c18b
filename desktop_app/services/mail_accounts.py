"""Mail accounts (issue 27): where a workflow's mailbox is read and its replies are sent.

An account is this computer's, kept in ``<data>/accounts.json`` (name, servers, user,
address, security, a certificate to trust); its password is in the OS keychain as
``account:NAME`` (``llm/keys``), never in a file, the log or an error line. Security is
TLS: ``ssl`` (IMAPS/SMTPS from the first byte) or ``starttls``; ``none`` only for a server
on this computer. Certificates are verified; a server's own (self-signed) certificate is
trusted only when the account names it (``trust``).
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import json
import os
import re
import smtplib
import ssl
from pathlib import Path
from typing import NamedTuple

from desktop_app.core.errors import KnownError, NotFoundError

FILENAME = "accounts.json"
SECURITIES = ("ssl", "starttls", "none")
# The usual ports: IMAP and SMTP, by security.
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
TIMEOUT_S = 20.0
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Account(NamedTuple):
    name: str
    imap_host: str
    imap_port: int
    smtp_host: str
    smtp_port: int
    user: str
    address: str  # the From: of a reply
    security: str = "ssl"
    trust: str = ""  # a certificate file (PEM) to trust besides the system's: a server's own

    @property
    def key(self) -> str:
        """The keychain entry of its password."""
        return f"account:{self.name}"


def host_port(text: str, default_port: int, what: str) -> tuple[str, int]:
    """``HOST[:PORT]`` (``[::1]:993`` for an IPv6 address) as a pair."""
    text = text.strip()
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|([^:\s]+)(?::(\d+))?", text)
    if not text or match is None:
        raise KnownError(f"{what} must be HOST or HOST:PORT (it is {text!r})")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or default_port)
    if not 0 < port < 65536:
        raise KnownError(f"{what}: {port} is not a port number")
    return host, port


def _path(data_dir: Path) -> Path:
    return data_dir / FILENAME


def load(data_dir: Path) -> dict[str, Account]:
    """Every account of this computer, by name."""
    path = _path(data_dir)
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {a["name"]: Account(**a) for a in raw.get("accounts", [])}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise KnownError(f"cannot read the mail accounts in {path}: {exc}") from None


def _save(data_dir: Path, accounts: dict[str, Account]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = _path(data_dir)
    tmp = path.with_name(FILENAME + ".tmp")
    body = {"accounts": [a._asdict() for a in sorted(accounts.values())]}
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def get(data_dir: Path, name: str) -> Account:
    found = load(data_dir).get(name)
    if found is None:
        known = ", ".join(sorted(load(data_dir))) or "none yet: signoff account add"
        raise NotFoundError(f"no mail account named {name!r} (the accounts: {known})")
    return found


def make(
    name: str,
    *,
    imap: str,
    smtp: str,
    user: str,
    address: str = "",
    security: str = "ssl",
    trust: str = "",
) -> Account:
    """An account from what was typed, checked: a name, servers, TLS unless on this computer."""
    name = name.strip().lower()
    if not _NAME.fullmatch(name):
        raise KnownError(f"{name!r} is not an account name: letters, digits, '_' or '-'")
    if security not in SECURITIES:
        raise KnownError(f"security must be one of {', '.join(SECURITIES)} (it is {security!r})")
    imap_host, imap_port = host_port(imap, IMAP_PORTS[security], "--imap")
    smtp_host, smtp_port = host_port(smtp, SMTP_PORTS[security], "--smtp")
    if security == "none":
        remote = [h for h in (imap_host, smtp_host) if h.lower() not in LOCAL_HOSTS]
        if remote:
            raise KnownError(
                f"security none sends the password unencrypted: only for a server on this"
                f" computer, and {remote[0]} is not; use --security ssl or starttls"
            )
    user = user.strip()
    if not user:
        raise KnownError("an account needs --user (the login name)")
    address = (address or (user if "@" in user else "")).strip()
    if not address or "@" not in address or any(ch in address for ch in "\r\n<>,; "):
        raise KnownError("an account needs --from ADDRESS, one plain e-mail address")
    if trust:
        trusted = Path(trust).expanduser().resolve()
        if not trusted.is_file():
            raise KnownError(f"the certificate to trust is not a file: {trusted}")
        trust = str(trusted)
    return Account(name, imap_host, imap_port, smtp_host, smtp_port, user, address, security, trust)


def add(data_dir: Path, account: Account, password: str) -> None:
    """Keep ``account`` (replacing one of the same name) and its password in the keychain."""
    from desktop_app.llm import keys

    if not password.strip():
        raise KnownError("no password given on standard input")
    keys.set_key(account.key, password)
    accounts = load(data_dir)
    accounts[account.name] = account
    _save(data_dir, accounts)


def remove(data_dir: Path, name: str) -> None:
    """Forget an account and its password."""
    from desktop_app.llm import keys

    accounts = load(data_dir)
    account = get(data_dir, name)
    del accounts[account.name]
    _save(data_dir, accounts)
    with contextlib.suppress(KnownError):  # no password kept (or no keychain): nothing to forget
        keys.delete_key(account.key)


def password(account: Account) -> str:
    from desktop_app.llm import keys

    found = keys.get_key(account.key)
    if not found:
        raise KnownError(
            f"no password for mail account {account.name!r}: signoff account add"
            f" {account.name} … reads it from standard input (or set {keys.env_var(account.key)})"
        )
    return found


def tls_context(account: Account) -> ssl.SSLContext:
    """The system's certificates verified, or only the certificate the account trusts (its
    own server's: pinned, as ``ssl.create_default_context(cafile=…)`` does).

    A context is made once a process for each: loading the system's certificates takes
    20 ms, as long as reading a thousand small messages (``signoff serve`` polls often);
    a certificate file written again is read again."""
    try:
        written = os.stat(account.trust).st_mtime_ns if account.trust else 0
    except OSError:
        written = -1  # gone: the context's making says so
    return _context(account.trust, written)


@functools.lru_cache(maxsize=8)
def _context(trust: str, _written: int) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=trust or None)


def server_said(said: object) -> str:
    """What a server answered, as text: bytes decoded, a response's first line of several."""
    if isinstance(said, list | tuple):
        said = said[0] if said else b""
    if isinstance(said, bytes):
        return said.decode("utf-8", "replace").strip()
    return str(said).strip()


def refused(account: Account, server: str, exc: BaseException) -> KnownError:
    """One line for what went wrong talking to a server; never the password."""
    where = f"{server} of mail account {account.name!r}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        said = exc.verify_message or "not trusted"
        return KnownError(
            f"the {where} has a certificate this computer does not trust ({said}): if it is"
            f" your own server, give its certificate with signoff account add {account.name}"
            " … --trust-certificate FILE, or add it to the system's certificates"
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return KnownError(f"the {where} refused the login: {server_said(exc.smtp_error)}")
    if isinstance(exc, imaplib.IMAP4.error):
        return KnownError(f"the {where} refused the login: {server_said(exc.args or exc)}")
    if isinstance(exc, ConnectionRefusedError):
        return KnownError(f"the {where} is not reachable: nothing answers on that port")
    if isinstance(exc, TimeoutError | OSError):
        return KnownError(f"the {where} is not reachable: {exc.strerror or exc}")
    return KnownError(f"the {where} failed: {type(exc).__name__}: {exc}")


def open_imap(account: Account, secret: str | None = None) -> imaplib.IMAP4:
    """A logged-in IMAP connection (TLS as the account says)."""
    secret = secret if secret is not None else password(account)
    conn: imaplib.IMAP4 | None = None
    try:
        if account.security == "ssl":
            conn = imaplib.IMAP4_SSL(
                account.imap_host, account.imap_port, ssl_context=tls_context(account),
                timeout=TIMEOUT_S,
            )  # fmt: skip
        else:
            conn = imaplib.IMAP4(account.imap_host, account.imap_port, timeout=TIMEOUT_S)
            if account.security == "starttls":
                conn.starttls(ssl_context=tls_context(account))
        conn.login(account.user, secret)
        return conn
    except (imaplib.IMAP4.error, OSError) as exc:
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown()
        raise refused(account, "IMAP server", exc) from None


def open_smtp(account: Account, secret: str | None = None) -> smtplib.SMTP:
    """A logged-in SMTP connection (TLS as the account says)."""
    secret = secret if secret is not None else password(account)
    conn: smtplib.SMTP | None = None
    try:
        if account.security == "ssl":
            conn = smtplib.SMTP_SSL(
                account.smtp_host, account.smtp_port, context=tls_context(account),
                timeout=TIMEOUT_S,
            )  # fmt: skip
        else:
            conn = smtplib.SMTP(account.smtp_host, account.smtp_port, timeout=TIMEOUT_S)
            if account.security == "starttls":
                conn.starttls(context=tls_context(account))
        if conn.has_extn("auth"):
            conn.login(account.user, secret)
        return conn
    except (smtplib.SMTPException, OSError) as exc:
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        raise refused(account, "SMTP server", exc) from None


def test(data_dir: Path, name: str) -> list[str]:
    """Log in to both servers; one line each on success, a KnownError naming the first
    that failed (the password never in it)."""
    account = get(data_dir, name)
    secret = password(account)
    said = []
    imap = open_imap(account, secret)
    try:
        status, counts = imap.select("INBOX", readonly=True)
        messages = counts[0].decode() if status == "OK" and counts and counts[0] else "?"
    finally:
        close_imap(imap)
    said.append(f"IMAP {account.imap_host}:{account.imap_port}: logged in, INBOX holds {messages}")
    smtp = open_smtp(account, secret)
    try:
        smtp.noop()
    finally:
        close_smtp(smtp)
    said.append(f"SMTP {account.smtp_host}:{account.smtp_port}: logged in")
    return said


def quoted(text: str) -> str:
    """A folder name or a search string as an IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def close_imap(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()


def close_smtp(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        conn.quit()
