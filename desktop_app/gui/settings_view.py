"""Settings: the model and server every workflow uses, API keys in the OS keychain, folders.

A key is typed into a password field, handed to the keychain and cleared: it is
never read back into a widget. Finding a local server and testing the
connection run off the UI thread (the test imports litellm there).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import KnownError
from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named, plain_label
from desktop_app.llm import keys
from desktop_app.services import settings

if TYPE_CHECKING:
    from desktop_app.gui.tasks import Report
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.storage.db import DatabaseLike

HOSTED = ("openai", "anthropic", "gemini", "mistral", "groq", "openrouter", "deepseek")


def _probe(db: DatabaseLike, report: Report) -> tuple[str, Any]:
    from desktop_app.services.local_servers import probe

    return ("probe", probe())


def _test(
    db: DatabaseLike, report: Report, model: str, api_base: str, gateway: ModelGateway | None
) -> tuple[str, Any]:
    from desktop_app.services.connection import test_connection

    return ("test", test_connection(model, api_base or None, gateway))


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


class SettingsView(QWidget):
    message = Signal(str)
    changed = Signal()  # the model or server changed: views showing them refresh

    def __init__(
        self,
        data_dir: Path,
        workflows_dir: Path,
        db_path: Path,
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
    ):
        super().__init__(parent)
        self.gateway = gateway
        self._data_dir = data_dir
        self._workflows_dir = workflows_dir
        self._servers: list = []
        self.job = Job(db_path, self)
        self.key_job = Job(db_path, self)
        self._build()
        self._connect()
        self._load()
        self._show_key_status()

    def _build(self) -> None:
        self.welcome = plain_label("welcomeBanner")
        self.welcome.setText(
            "Welcome to Signoff. The workflows need a language model: use one running on this computer "
            "(Ollama, LM Studio, llama.cpp) or store an API key for a hosted provider below. "
            "Nothing is sent anywhere until you run a workflow."
        )
        self.welcome.setStyleSheet(
            "QLabel { background: #e8f1fb; border: 1px solid #b6d0ee; border-radius: 4px; padding: 8px; }"
        )
        self.welcome.hide()

        self.model_edit = named(
            QLineEdit(placeholderText="each workflow's own model"), "settingsModel"
        )
        self.model_edit.setAccessibleName("Model for every workflow")
        self.api_base_edit = named(
            QLineEdit(placeholderText="the provider's own"), "settingsApiBase"
        )
        self.api_base_edit.setAccessibleName("API base")
        self.fallbacks_edit = named(
            QLineEdit(placeholderText="each workflow's own"), "settingsFallbacks"
        )
        self.fallbacks_edit.setAccessibleName("Fallback models")
        self.fallbacks_edit.setToolTip(
            "Models tried in order when the model above fails after its retries, separated by "
            "commas, e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest"
        )
        self.save_button = named(QPushButton("Save"), "saveSettingsButton")
        self.test_button = named(QPushButton("Test connection"), "testConnectionButton")
        self.find_button = named(
            QPushButton("Find a model server on this computer"), "findLocalButton"
        )
        self.local_models = named(QComboBox(), "localModels")
        self.local_models.setAccessibleName("Models found on this computer")
        self.use_local_button = named(QPushButton("Use it for every workflow"), "useLocalButton")
        self.model_status = plain_label("modelStatus")

        model_box = QGroupBox("Model for every workflow")
        form = QFormLayout(model_box)
        form.addRow("Model", self.model_edit)
        form.addRow("API base", self.api_base_edit)
        form.addRow("Fallbacks", self.fallbacks_edit)
        self.budget_edit = named(QLineEdit(placeholderText="no cap"), "settingsMonthlyBudget")
        self.budget_edit.setAccessibleName("Monthly budget for all workflows, in USD")
        self.budget_edit.setToolTip(
            "Runs stop before a model call that would take this month's spend of all "
            "workflows past this amount (USD). Each workflow may have its own caps too."
        )
        form.addRow("Monthly budget (USD)", self.budget_edit)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.test_button, self.find_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        local = QHBoxLayout()
        local.addWidget(self.local_models, 1)
        local.addWidget(self.use_local_button)
        form.addRow("Found", local)
        form.addRow("", self.model_status)

        self.provider = named(QComboBox(), "keyProvider")
        self.provider.setAccessibleName("Provider")
        self.provider.addItems(list(HOSTED))
        self.key_field = named(QLineEdit(placeholderText="paste the API key"), "apiKeyField")
        self.key_field.setAccessibleName("API key")
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.store_key_button = named(QPushButton("Store in the keychain"), "storeKeyButton")
        self.delete_key_button = named(QPushButton("Delete the stored key"), "deleteKeyButton")
        self.key_status = plain_label("keyStatus")
        key_box = QGroupBox("API keys (kept in the operating system's keychain)")
        key_form = QFormLayout(key_box)
        key_form.addRow("Provider", self.provider)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_field, 1)
        key_row.addWidget(self.store_key_button)
        key_row.addWidget(self.delete_key_button)
        key_form.addRow("Key", key_row)
        key_form.addRow("", self.key_status)

        folders = QGroupBox("Folders")
        folder_form = QFormLayout(folders)
        for title, path in (("Data", self._data_dir), ("Workflows", self._workflows_dir)):
            row = QHBoxLayout()
            shown = plain_label(f"{title.lower()}Folder")
            shown.setText(str(path))
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            open_button = QPushButton("Open")
            open_button.clicked.connect(
                lambda _=False, p=path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(p)))
            )
            row.addWidget(shown, 1)
            row.addWidget(open_button)
            folder_form.addRow(title, row)
        self.about_button = named(QPushButton("About Signoff…"), "aboutButton")
        self.about_button.clicked.connect(self.show_about)
        about_row = QHBoxLayout()
        about_row.addWidget(self.about_button)
        about_row.addStretch(1)
        folder_form.addRow("", about_row)

        from desktop_app.services import autostart

        away = QGroupBox("While you are away")
        away_form = QFormLayout(away)
        self.quiet_edit = named(QLineEdit(placeholderText="e.g. 22:00-07:00"), "settingsQuietHours")
        self.quiet_edit.setAccessibleName("Quiet hours")
        self.quiet_edit.setToolTip(
            "No pop-up notifications in these hours; the banner still shows them"
        )
        self.muted_edit = named(QLineEdit(placeholderText="none"), "settingsMuted")
        self.muted_edit.setAccessibleName("Muted workflows")
        self.muted_edit.setToolTip("Workflows that never notify, separated by commas")
        self.login_box = named(QCheckBox("Start Signoff when I log in"), "settingsStartAtLogin")
        self.login_box.setVisible(autostart.supported())
        self.save_away_button = named(QPushButton("Save"), "saveAwayButton")
        self.away_status = plain_label("awayStatus")
        away_form.addRow("Quiet hours", self.quiet_edit)
        away_form.addRow("Muted workflows", self.muted_edit)
        away_form.addRow("", self.login_box)
        away_form.addRow("", self.save_away_button)
        away_form.addRow("", self.away_status)

        layout = QVBoxLayout(self)
        for widget in (self.welcome, model_box, key_box, away, folders):
            layout.addWidget(widget)
        layout.addStretch(1)
        self._show_found()

    def _connect(self) -> None:
        self.save_button.clicked.connect(self.save)
        self.save_away_button.clicked.connect(self.save_away)
        self.test_button.clicked.connect(self.test_connection)
        self.find_button.clicked.connect(self.find_local)
        self.use_local_button.clicked.connect(self.use_local)
        self.store_key_button.clicked.connect(self.store_key)
        self.key_field.returnPressed.connect(self.store_key)
        self.delete_key_button.clicked.connect(self.delete_key)
        self.provider.currentIndexChanged.connect(lambda _i: self._show_key_status())
        self.job.done.connect(self._on_done)
        self.key_job.done.connect(self._on_keychain)
        self.key_job.failed.connect(self._on_keychain_failed)
        self.job.failed.connect(
            lambda text: self.model_status.setText(f"That did not work: {text}")
        )

    def show_about(self) -> QMessageBox:
        """The version, the data folder and its schema, the litellm and Qt versions
        (``signoff --version`` says the same)."""
        from html import escape

        from desktop_app.services import about

        rows = "".join(
            f"<tr><td><b>{escape(label)}</b>&nbsp;&nbsp;</td><td>{escape(value)}</td></tr>"
            for label, value in about.facts(self._data_dir)
        )
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setWindowTitle("About Signoff")
        box.setIconPixmap(self.window().windowIcon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            "<p><b>Signoff</b>: a supervisor's desk for small AI workflows. Every output is"
            f" approved, edited or rejected by a person.</p><table>{rows}</table>"
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()
        return box

    # --- model and server ---

    def _load(self) -> None:
        try:
            current = settings.load(self._data_dir)
        except KnownError as exc:
            self.model_status.setText(str(exc))
            return
        self.model_edit.setText(current.model)
        self.api_base_edit.setText(current.api_base)
        self.fallbacks_edit.setText(", ".join(current.fallbacks))
        cap = current.monthly_budget_usd
        self.budget_edit.setText("" if cap is None else f"{cap:g}")
        self.quiet_edit.setText(current.quiet_hours)
        self.muted_edit.setText(", ".join(current.muted))
        self.login_box.setChecked(current.start_at_login)

    def save(self) -> bool:
        try:
            chosen = self._current()._replace(
                model=self.model_edit.text().strip(),
                api_base=self.api_base_edit.text().strip(),
                fallbacks=settings.parse_models(self.fallbacks_edit.text()),
                monthly_budget_usd=settings.parse_money(self.budget_edit.text()),
            )
            settings.save(self._data_dir, chosen)
        except (KnownError, OSError) as exc:
            self.model_status.setText(str(exc))
            return False
        what = chosen.model or "each workflow's own model"
        then = f", then {', '.join(chosen.fallbacks)}" if chosen.fallbacks else ""
        self.model_status.setText(
            f"Saved: every run uses {what}{then}"
            + (f" at {chosen.api_base}" if chosen.api_base else "")
        )
        self.welcome.hide()
        self.changed.emit()
        return True

    def _current(self) -> settings.Settings:
        try:
            return settings.load(self._data_dir)
        except KnownError:
            return settings.Settings()

    def save_away(self) -> bool:
        """Quiet hours, muted workflows and start at login."""
        from desktop_app.services import autostart

        try:
            chosen = self._current()._replace(
                quiet_hours=self.quiet_edit.text().strip(),
                muted=settings.parse_models(self.muted_edit.text()),
                start_at_login=self.login_box.isChecked(),
            )
            settings.save(self._data_dir, chosen)
            if autostart.supported() and autostart.is_enabled() != chosen.start_at_login:
                autostart.set_enabled(chosen.start_at_login, self._data_dir)
        except (KnownError, OSError) as exc:
            self.away_status.setText(str(exc))
            return False
        parts = [f"quiet {chosen.quiet_hours}" if chosen.quiet_hours else "no quiet hours"]
        parts.append(f"muted: {', '.join(chosen.muted)}" if chosen.muted else "nothing muted")
        parts.append("starts at login" if chosen.start_at_login else "starts when you open it")
        self.away_status.setText("Saved: " + "; ".join(parts))
        return True

    def test_connection(self) -> None:
        if self.job.running:
            return
        model = self.model_edit.text().strip()
        if not model:
            self.model_status.setText(
                "Type a model to test (e.g. openai/gpt-4o-mini), or find a local one."
            )
            return
        self.model_status.setText(f"Asking {model} for a one-word answer…")
        self.job.start(_test, model, self.api_base_edit.text().strip(), self.gateway)

    def find_local(self) -> None:
        if self.job.running:
            return
        self.model_status.setText(
            "Looking on 127.0.0.1 (Ollama 11434, LM Studio 1234, llama.cpp 8080)…"
        )
        self.job.start(_probe)

    def _on_done(self, result: tuple[str, Any]) -> None:
        self.job.wait()
        kind, value = result
        if kind == "probe":
            self._servers = value
            self._show_found()
            count = sum(len(s.models) for s in value)
            self.model_status.setText(
                f"Found {count} model(s) on {len(value)} server(s)."
                if value
                else "No model server answered on this computer. Start Ollama or LM Studio, or use an API key."
            )
        else:
            ok, text = value
            self.model_status.setText(("It works: " if ok else "It did not work: ") + text)

    def _show_found(self) -> None:
        self.local_models.clear()
        for server in self._servers:
            for model in server.models:
                self.local_models.addItem(
                    f"{server.name}: {model}", (server.api_base, server.litellm_model(model))
                )
        has = self.local_models.count() > 0
        self.local_models.setEnabled(has)
        self.use_local_button.setEnabled(has)

    def use_local(self) -> None:
        data = self.local_models.currentData()
        if not data:
            return
        api_base, model = data
        self.model_edit.setText(model)
        self.api_base_edit.setText(api_base)
        self.save()

    # --- keys ---

    def _show_key_status(self) -> None:
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
            self.welcome.hide()
            self.message.emit(f"Key for {provider} stored in the keychain")
        elif op == "delete":
            self.message.emit(f"Key for {provider} deleted")
        if getattr(self, "_recheck", False) or provider != self.provider.currentText():
            self._show_key_status()
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
