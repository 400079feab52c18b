"""Settings: the model and server every workflow uses, API keys, notifications, folders.

The API keys are in their own panel (``keys_panel``), the model checks in
``server_probe`` (run off the UI thread) and the About box in ``about_box``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import KnownError
from desktop_app.gui import current_settings, server_probe
from desktop_app.gui.keys_panel import KeysPanel
from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named, plain_label
from desktop_app.services import settings

if TYPE_CHECKING:
    from desktop_app.core.paths import Paths
    from desktop_app.services.pipeline import ModelGateway


def _left_row(*widgets: QWidget) -> QHBoxLayout:
    """``widgets`` side by side from the left."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row


class SettingsView(QWidget):
    message = Signal(str)
    changed = Signal()  # the model or server changed: views showing them refresh

    def __init__(
        self,
        paths: Paths,
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
    ):
        super().__init__(parent)
        self.gateway = gateway
        self._paths = paths
        self._servers: list = []
        self.job = Job(paths.database, self, data_dir=paths.data_dir)  # the model checks
        self._build()
        self._connect()
        self._load()
        self.keys.show_status()

    def _build(self) -> None:
        self.welcome = self._welcome_banner()
        model_box = self._model_box()
        self.keys = KeysPanel(self._paths.database, data_dir=self._paths.data_dir)
        folders = self._folders_box()
        away = self._away_box()
        from desktop_app.gui.team_panel import TeamPanel

        self.team = TeamPanel(self._paths.database, self._paths.data_dir)
        self.team.message.connect(self.message)
        from desktop_app.gui.mail_accounts_panel import MailAccountsPanel

        self.mail = MailAccountsPanel(self._paths.database, self._paths.data_dir)
        self.mail.message.connect(self.message)
        layout = QVBoxLayout(self)
        for widget in (self.welcome, model_box, self.keys, away, self.team, self.mail, folders):
            layout.addWidget(widget)
        layout.addStretch(1)
        self._show_found()

    def _welcome_banner(self) -> QLabel:
        """Shown on the first start (no model chosen, no key): what to do first."""
        welcome = plain_label("welcomeBanner")
        welcome.setText(
            "Welcome to Signoff. The workflows need a language model: use one running on this computer "
            "(Ollama, LM Studio, llama.cpp) or store an API key for a hosted provider below. "
            "Nothing is sent anywhere until you run a workflow."
        )
        welcome.setStyleSheet(
            "QLabel { background: #e8f1fb; border: 1px solid #b6d0ee; border-radius: 4px; padding: 8px; }"
        )
        welcome.hide()
        return welcome

    def _model_box(self) -> QGroupBox:
        """The model, server, fallbacks and monthly budget for every workflow; the checks."""
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
        form.addRow("", _left_row(self.save_button, self.test_button, self.find_button))
        local = QHBoxLayout()
        local.addWidget(self.local_models, 1)
        local.addWidget(self.use_local_button)
        form.addRow("Found", local)
        form.addRow("", self.model_status)
        return model_box

    def _folders_box(self) -> QGroupBox:
        """The data and workflows folders, each with Open; About Signoff."""
        folders = QGroupBox("Folders")
        folder_form = QFormLayout(folders)
        for title, path in (
            ("Data", self._paths.data_dir),
            ("Workflows", self._paths.workflows_dir),
        ):
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
        folder_form.addRow("", _left_row(self.about_button))
        return folders

    def _away_box(self) -> QGroupBox:
        """The name on decisions; quiet hours, muted workflows, start at login."""
        from desktop_app.services import autostart
        from desktop_app.services.decisions import default_decider

        away = QGroupBox("You, and while you are away")
        away_form = QFormLayout(away)
        self.name_edit = named(QLineEdit(placeholderText=default_decider()), "settingsName")
        self.name_edit.setAccessibleName("Your name")
        self.name_edit.setToolTip(
            "The name your decisions carry in the log and the report (default: your login name)"
        )
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
        away_form.addRow("Your name", self.name_edit)
        away_form.addRow("Quiet hours", self.quiet_edit)
        away_form.addRow("Muted workflows", self.muted_edit)
        away_form.addRow("", self.login_box)
        away_form.addRow("", self.save_away_button)
        away_form.addRow("", self.away_status)
        return away

    def _connect(self) -> None:
        self.save_button.clicked.connect(self.save)
        self.save_away_button.clicked.connect(self.save_away)
        self.test_button.clicked.connect(self.test_connection)
        self.find_button.clicked.connect(self.find_local)
        self.use_local_button.clicked.connect(self.use_local)
        self.keys.message.connect(self.message)
        self.keys.key_stored.connect(self.welcome.hide)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(
            lambda text: self.model_status.setText(f"That did not work: {text}")
        )

    def show_about(self) -> QMessageBox:
        from desktop_app.gui.about_box import show_about

        return show_about(self, self._paths.data_dir)

    # --- model and server ---

    def _load(self) -> None:
        """The saved Settings into the fields; a file that cannot be read is said instead."""
        try:
            current = current_settings.read(self._paths.data_dir)
        except KnownError as exc:
            self.model_status.setText(str(exc))
            return
        self.model_edit.setText(current.model)
        self.api_base_edit.setText(current.api_base)
        self.fallbacks_edit.setText(", ".join(current.fallbacks))
        cap = current.monthly_budget_usd
        self.budget_edit.setText("" if cap is None else f"{cap:g}")
        self.name_edit.setText(current.name)
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
            settings.save(self._paths.data_dir, chosen)
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
        """What a save starts from: the saved Settings (the defaults when they cannot be
        read), the fields of the section saved then replacing theirs."""
        return current_settings.or_defaults(self._paths.data_dir)

    def save_away(self) -> bool:
        """The name on decisions, quiet hours, muted workflows and start at login."""
        from desktop_app.services import autostart

        try:
            chosen = self._current()._replace(
                name=self.name_edit.text().strip(),
                quiet_hours=self.quiet_edit.text().strip(),
                muted=settings.parse_models(self.muted_edit.text()),
                start_at_login=self.login_box.isChecked(),
            )
            settings.save(self._paths.data_dir, chosen)
            if autostart.supported() and autostart.is_enabled() != chosen.start_at_login:
                autostart.set_enabled(chosen.start_at_login, self._paths.data_dir)
        except (KnownError, OSError) as exc:
            self.away_status.setText(str(exc))
            return False
        parts = [f"decisions by {chosen.decider() or self.name_edit.placeholderText()}"]
        parts.append(f"quiet {chosen.quiet_hours}" if chosen.quiet_hours else "no quiet hours")
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
        self.job.start(
            server_probe.test_model, model, self.api_base_edit.text().strip(), self.gateway
        )

    def find_local(self) -> None:
        if self.job.running:
            return
        self.model_status.setText(
            "Looking on 127.0.0.1 (Ollama 11434, LM Studio 1234, llama.cpp 8080)…"
        )
        self.job.start(server_probe.find_servers)

    def _on_done(self, result: tuple[str, Any]) -> None:
        self.job.wait()
        kind, value = result
        if kind == "probe":
            self._servers = value
            self._show_found()
            self.model_status.setText(server_probe.found_line(value))
        else:
            self.model_status.setText(server_probe.tested_line(value))

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
