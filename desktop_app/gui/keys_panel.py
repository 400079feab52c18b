"""The Settings tab's API keys: one provider's key stored in, or deleted from, the OS keychain.

A key is typed into a password field, handed to the keychain and cleared at once: it is
never read back into a widget. The keychain is asked off the UI thread (it can be slow,
or ask for its own password); only whether a key is there comes back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from desktop_app.core.errors import KnownError
from desktop_app.gui.tasks import Database, Job
from desktop_app.gui.widgets import named, plain_label
from desktop_app.llm import keys

if TYPE_CHECKING:
    from desktop_app.gui.tasks import Report
    from desktop_app.storage.db import DatabaseLike

HOSTED = ("openai", "anthropic", "gemini", "mistral", "groq", "openrouter", "deepseek")


def _keychain(
    db: DatabaseLike, report: Report, provider: str, op: str = "check", secret: str = ""
) -> tuple[str, str, bool]:
    """Off the UI thread (a keychain can be slow, or ask its own password): store or delete
    the key if asked, then whether a key is there for ``provider``. Raises KnownError
    (shown as one line) when the keychain refuses."""
    if op == "store":
        keys.set_key(provider, secret)
    elif op == "delete":
        keys.delete_key(provider)
    try:
        available = keys.get_key(provider) is not None
    except KnownError:
        available = False
    return (op, provider, available)


class KeysPanel(QGroupBox):
    """``show_status`` asks the keychain about the chosen provider; a store or a delete is
    said in ``message`` (the status bar), a stored key also in ``key_stored``."""

    message = Signal(str)
    key_stored = Signal()  # the app has a key now: the first start's welcome can go

    def __init__(
        self, db_path: Database, parent: QWidget | None = None, *, data_dir: Path | None = None
    ) -> None:
        super().__init__("API keys (kept in the operating system's keychain)", parent)
        self.key_job = Job(db_path, self, data_dir=data_dir)
        self._recheck = False  # asked again while a check was under way
        self.provider = named(QComboBox(), "keyProvider")
        self.provider.setAccessibleName("Provider")
        self.provider.addItems(list(HOSTED))
        self.key_field = named(QLineEdit(placeholderText="paste the API key"), "apiKeyField")
        self.key_field.setAccessibleName("API key")
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_key_button = named(QPushButton("Store in the keychain"), "storeKeyButton")
        self.delete_key_button = named(QPushButton("Delete the stored key"), "deleteKeyButton")
        self.key_status = plain_label("keyStatus")
        form = QFormLayout(self)
        form.addRow("Provider", self.provider)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_field, 1)
        key_row.addWidget(self.store_key_button)
        key_row.addWidget(self.delete_key_button)
        form.addRow("Key", key_row)
        form.addRow("", self.key_status)
        self._connect()

    def _connect(self) -> None:
        self.store_key_button.clicked.connect(self.store_key)
        self.key_field.returnPressed.connect(self.store_key)
        self.delete_key_button.clicked.connect(self.delete_key)
        self.provider.currentIndexChanged.connect(lambda _i: self.show_status())
        self.key_job.done.connect(self._on_keychain)
        self.key_job.failed.connect(self._on_keychain_failed)

    def show_status(self) -> None:
        if self.key_job.running:
            self._recheck = True
            return
        self._recheck = False
        self.key_status.setText("Checking the keychain…")
        self.key_job.start(_keychain, self.provider.currentText())

    def _on_keychain(self, result: tuple[str, str, bool]) -> None:
        self.key_job.wait()
        op, provider, stored = result
        self._set_key_buttons(True)
        if op == "store":
            self.key_stored.emit()
            self.message.emit(f"Key for {provider} stored in the keychain")
        elif op == "delete":
            self.message.emit(f"Key for {provider} deleted")
        if self._recheck or provider != self.provider.currentText():
            self.show_status()
            return
        variable = keys.env_var(provider)
        if stored:
            text = f"A key for {provider} is available (from the keychain or {variable})."
        else:
            text = f"No key for {provider}. Store one here, or set {variable} in the environment."
        self.key_status.setText(text)

    def _on_keychain_failed(self, text: str) -> None:
        self.key_job.wait()
        self._set_key_buttons(True)
        self.key_status.setText(text)

    def _set_key_buttons(self, enabled: bool) -> None:
        self.store_key_button.setEnabled(enabled)
        self.delete_key_button.setEnabled(enabled)

    def _keychain_change(self, op: str, provider: str, secret: str = "") -> None:
        if self.key_job.running:
            self.key_job.wait()  # a status check: milliseconds, and then the change goes ahead
        self._set_key_buttons(False)
        self.key_status.setText("Storing the key…" if op == "store" else "Deleting the key…")
        self.key_job.start(_keychain, provider, op, secret)

    def store_key(self) -> None:
        provider, secret = self.provider.currentText(), self.key_field.text().strip()
        self.key_field.clear()  # the secret leaves the widget at once, whatever happens next
        if not secret:
            self.key_status.setText("Paste the key into the field first.")
            return
        self._keychain_change("store", provider, secret)

    def delete_key(self) -> None:
        self._keychain_change("delete", self.provider.currentText())
