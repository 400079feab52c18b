"""Settings → Mail accounts (issue 27): the accounts a mailbox input reads and an e-mail
action sends with. *Add* keeps the account and puts its password in the keychain, *Test
connection* logs in to both servers, *Remove* forgets it: each off the UI thread (a
keychain or a mail server can take seconds), each said in one line. The same service as
``signoff account`` (``services/mail_accounts``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QWidget,
)

from desktop_app.gui.tasks import Database, Job
from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    from desktop_app.gui.tasks import Report
    from desktop_app.services.mail_accounts import Account
    from desktop_app.storage.db import DatabaseLike


def _work(
    db: DatabaseLike, report: Report, data_dir: Path, op: str, name: str, fields: dict[str, str]
) -> tuple[str, list[str], list[Account]]:
    """Off the UI thread: add, test or remove; then every account (for the list)."""
    from desktop_app.services import mail_accounts

    said: list[str] = []
    if op == "add":
        secret = fields.pop("password")
        account = mail_accounts.make(name, **fields)
        mail_accounts.add(data_dir, account, secret)
        said = [f"Kept {account.name}; its password is in the keychain. Testing it…"]
        said += mail_accounts.test(data_dir, account.name)
    elif op == "test":
        said = mail_accounts.test(data_dir, name)
    elif op == "remove":
        mail_accounts.remove(data_dir, name)
        said = [f"Removed {name} (and its password from the keychain)."]
    return op, said, sorted(mail_accounts.load(data_dir).values())


class MailAccountsPanel(QGroupBox):
    message = Signal(str)

    def __init__(self, database: Database, data_dir: Path, parent: QWidget | None = None):
        super().__init__("Mail accounts (a mailbox to read, replies to send)", parent)
        self._data_dir = data_dir
        self.job = Job(database, self, plain=True, what="mail account", data_dir=data_dir)
        self.accounts = named(QListWidget(), "mailAccountsList")
        self.accounts.setAccessibleName("Mail accounts")
        self.accounts.setMaximumHeight(80)
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        form.addRow(self.accounts)
        for key, label, hint in (
            ("name", "Name", "a short name the workflows use, e.g. shop"),
            ("imap", "IMAP server", "imap.example.com (port 993), or HOST:PORT"),
            ("smtp", "SMTP server", "smtp.example.com (port 465), or HOST:PORT"),
            ("user", "User", "the login name, often the address"),
            ("address", "Replies from", "the address replies are sent from (default: the user)"),
            ("password", "Password", "kept in the keychain, never in a file"),
            ("trust", "Certificate to trust", "a server's own certificate (PEM file), if any"),
        ):
            edit = named(QLineEdit(placeholderText=hint), f"mailAccount_{key}")
            edit.setAccessibleName(label)
            if key == "password":
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.edits[key] = edit
            form.addRow(label, edit)
        self.security = named(QComboBox(), "mailAccountSecurity")
        for value, text in (
            ("ssl", "TLS (IMAPS 993, SMTPS 465)"),
            ("starttls", "STARTTLS (143, 587)"),
            ("none", "none (a server on this computer only)"),
        ):
            self.security.addItem(text, value)
        self.security.setAccessibleName("Security")
        form.addRow("Security", self.security)
        self.add_button = named(QPushButton("Add"), "mailAccountAdd")
        self.test_button = named(QPushButton("Test connection"), "mailAccountTest")
        self.remove_button = named(QPushButton("Remove"), "mailAccountRemove")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.status = plain_label("mailAccountStatus")
        form.addRow(self.status)
        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(lambda: self._on_selected("test"))
        self.remove_button.clicked.connect(lambda: self._on_selected("remove"))
        self.job.done.connect(self._done)
        self.job.failed.connect(self._failed)
        self.accounts.currentTextChanged.connect(self._pick)
        self._working_on = ""  # the account being added
        self._show(self._load())

    def _load(self) -> list[Account]:
        from desktop_app.core.errors import KnownError
        from desktop_app.services import mail_accounts

        try:
            return sorted(mail_accounts.load(self._data_dir).values())
        except KnownError as exc:
            self.status.setText(str(exc))
            return []

    def _show(self, accounts: list[Account], select: str = "") -> None:
        """The list, with ``select`` (else the account selected before) selected."""
        current = self.accounts.currentItem()
        select = select or (current.text() if current is not None else "")
        self._known = {a.name: a for a in accounts}
        self.accounts.blockSignals(True)
        self.accounts.clear()
        for account in accounts:
            self.accounts.addItem(account.name)
            if account.name == select:
                self.accounts.setCurrentRow(self.accounts.count() - 1)
        self.accounts.blockSignals(False)
        self.accounts.setToolTip(
            "\n".join(
                f"{a.name}: {a.user} · IMAP {a.imap_host}:{a.imap_port} · SMTP"
                f" {a.smtp_host}:{a.smtp_port} · {a.security}"
                for a in accounts
            )
        )
        if not accounts:
            self.status.setText("No mail account yet: fill in the fields and Add.")

    def _pick(self, name: str) -> None:
        """The selected account's settings in the fields (its password stays in the keychain)."""
        account = self._known.get(name)
        if account is None:
            return
        values = {
            "name": account.name, "imap": f"{account.imap_host}:{account.imap_port}",
            "smtp": f"{account.smtp_host}:{account.smtp_port}", "user": account.user,
            "address": account.address, "password": "", "trust": account.trust,
        }  # fmt: skip
        for key, value in values.items():
            self.edits[key].setText(value)
        self.security.setCurrentIndex(max(0, self.security.findData(account.security)))

    def add(self) -> None:
        if self.job.running:
            return
        fields = {key: edit.text().strip() for key, edit in self.edits.items()}
        name = fields.pop("name")
        if not name or not fields["password"]:
            self.status.setText(
                "An account needs at least a name, its servers, a user and a password."
            )
            return
        fields["security"] = str(self.security.currentData())
        self.edits["password"].clear()
        self._working_on = name
        self.status.setText(f"Keeping {name} and logging in to its servers…")
        self.job.start(_work, self._data_dir, "add", name, fields)

    def _on_selected(self, op: str) -> None:
        item = self.accounts.currentItem()
        if item is None:
            self.status.setText("Select an account in the list first.")
            return
        if self.job.running:
            return
        self.status.setText("Logging in…" if op == "test" else f"Removing {item.text()}…")
        self.job.start(_work, self._data_dir, op, item.text(), {})

    def _done(self, result: Any) -> None:
        self.job.wait()
        op, said, accounts = result
        self._show(accounts, select=self._working_on if op == "add" else "")
        self.status.setText("\n".join(said))
        if op != "test":
            self.message.emit(said[0])

    def _failed(self, text: str) -> None:
        self._show(self._load())
        self.status.setText(f"That did not work: {text}")
