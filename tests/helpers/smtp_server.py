"""A real SMTP server for the tests (aiosmtpd, in a thread): STARTTLS with the test
Dovecot's certificate, or none; AUTH with one user and password; every message received
kept (``received``), and a switch that refuses the next recipients with a 5xx."""

from __future__ import annotations

import ssl
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.helpers.ports import free_port


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(
        self, smtp: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.server.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        self.server.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, user: str, password: str, *, certificate: Path | None = None,
                 key: Path | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.received: list[tuple[str, list[str], Message]] = []
        self.refuse = False
        self._user, self._password = user.encode(), password.encode()
        context = None
        if certificate is not None and key is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(certificate), str(key))
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=context is not None,
            authenticator=self._authenticate,
            auth_require_tls=context is not None,
        )

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:  # fmt: skip
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == self._user and auth_data.password == self._password
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
