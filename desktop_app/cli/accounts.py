"""``signoff account add|test|list|remove``: the mail accounts a mailbox input reads and an
e-mail action sends with (``services/mail_accounts``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from desktop_app.cli.context import Context
from desktop_app.cli.exit_codes import EXIT_OK
from desktop_app.cli.output import out
from desktop_app.core.errors import KnownError


def _read_password(name: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password of mail account {name}: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_account(ctx: Context, args: argparse.Namespace) -> int:
    from desktop_app.services import mail_accounts

    data_dir = ctx.paths.data_dir
    if args.account_command == "add":
        account = mail_accounts.make(
            args.name,
            imap=args.imap,
            smtp=args.smtp,
            user=args.user,
            address=args.address or "",
            security=args.security,
            trust=args.trust_certificate or "",
        )
        secret = _read_password(account.name)
        if not secret.strip():
            raise KnownError("no password given on standard input")
        mail_accounts.add(data_dir, account, secret)
        out(
            f"mail account {account.name} kept: IMAP {account.imap_host}:{account.imap_port},"
            f" SMTP {account.smtp_host}:{account.smtp_port} ({account.security}); its password"
            f" is in the OS keychain. Try it: signoff account test {account.name}"
        )
    elif args.account_command == "test":
        for line in mail_accounts.test(data_dir, args.name):
            out(line)
    elif args.account_command == "list":
        accounts = sorted(mail_accounts.load(data_dir).values())
        if args.json:
            out(json.dumps([a._asdict() for a in accounts], indent=2))  # no password in it
        elif not accounts:
            out(
                "no mail accounts yet: signoff account add NAME --imap HOST --smtp HOST --user USER"
            )
        for account in accounts if not args.json else ():
            out(
                f"{account.name}: {account.user} · IMAP {account.imap_host}:{account.imap_port}"
                f" · SMTP {account.smtp_host}:{account.smtp_port} · {account.security}"
                f" · replies from {account.address}"
            )
    else:
        mail_accounts.remove(data_dir, args.name)
        out(f"mail account {args.name} removed (and its password from the keychain)")
    return EXIT_OK


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "account", parents=[common], help="the mail accounts mailbox inputs and e-mail actions use"
    )
    verbs = p.add_subparsers(dest="account_command", metavar="add|test|list|remove", required=True)
    a = verbs.add_parser(
        "add",
        parents=[common],
        help="keep a mail account; its password is read from standard input",
    )
    a.add_argument("name", metavar="NAME", help="a short name the workflows use, e.g. shop")
    a.add_argument(
        "--imap", required=True, metavar="HOST[:PORT]", help="the server mail is read from"
    )
    a.add_argument(
        "--smtp", required=True, metavar="HOST[:PORT]", help="the server replies go out by"
    )
    a.add_argument("--user", required=True, metavar="USER", help="the login name")
    a.add_argument(
        "--from", dest="address", metavar="ADDRESS", help="replies' From: (default: USER)"
    )
    a.add_argument(
        "--security",
        choices=("ssl", "starttls", "none"),
        default="ssl",
        help="TLS from the start (ssl, the default), after STARTTLS, or none (this computer only)",
    )
    a.add_argument(
        "--trust-certificate",
        metavar="FILE",
        help="a server's own certificate (PEM) to trust, for a server with a self-signed one",
    )
    for verb, text in (("test", "log in to both servers"), ("remove", "forget an account")):
        v = verbs.add_parser(verb, parents=[common], help=text)
        v.add_argument("name", metavar="NAME")
    lister = verbs.add_parser("list", parents=[common], help="the mail accounts of this computer")
    lister.add_argument("--json", action="store_true")
    for parser in (a, lister, *verbs.choices.values()):
        parser.set_defaults(func=cmd_account)
