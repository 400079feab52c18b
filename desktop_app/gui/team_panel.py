"""Settings → Team database: the URL of a team's PostgreSQL database (empty: this
computer's file), *Test connection* off the UI thread, and Save (used from the next start:
every connection the window has opens at its start). The password is stored like a key
(``signoff key set database``, or the API keys' panel with provider "database")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QWidget

from desktop_app.core.errors import KnownError
from desktop_app.gui import current_settings
from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    from desktop_app.gui.tasks import Database, Report
    from desktop_app.storage.db import DatabaseLike


def _test(db: DatabaseLike, report: Report, url: str) -> tuple[bool, str]:
    from desktop_app.services.team import test_team_database

    return test_team_database(url)


class TeamPanel(QGroupBox):
    message = Signal(str)

    def __init__(self, database: Database, data_dir: Path, parent: QWidget | None = None):
        super().__init__("Team database (a shared inbox for several people)", parent)
        self._data_dir = data_dir
        self.job = Job(database, self, plain=True, what="connection test", data_dir=data_dir)
        self.url_edit = named(
            QLineEdit(placeholderText="empty: this computer's own file"), "settingsTeamDatabase"
        )
        self.url_edit.setAccessibleName("Team database URL")
        self.url_edit.setToolTip(
            "postgresql://USER@HOST[:PORT]/DATABASE — never a password here: store it with the"
            " API keys' panel (provider: database) or `signoff key set database`"
        )
        self.test_button = named(QPushButton("Test connection"), "teamTestButton")
        self.save_button = named(QPushButton("Save"), "teamSaveButton")
        self.status = plain_label("teamStatus")
        row = QHBoxLayout()
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.test_button)
        row.addWidget(self.save_button)
        form = QFormLayout(self)
        form.addRow("URL", row)
        form.addRow("", self.status)
        self.test_button.clicked.connect(self.test)
        self.save_button.clicked.connect(self.save)
        self.job.done.connect(self._tested)
        self.job.failed.connect(lambda text: self.status.setText(f"That did not work: {text}"))
        self.url_edit.setText(current_settings.or_defaults(data_dir).database)

    def test(self) -> None:
        url = self.url_edit.text().strip()
        if not url:
            self.status.setText("Type the team database's URL to test it.")
            return
        if self.job.running:
            return
        self.status.setText("Connecting…")
        self.job.start(_test, url)

    def _tested(self, result: Any) -> None:
        self.job.wait()
        _reached, line = result
        self.status.setText(line)

    def save(self) -> bool:
        from desktop_app.core.database_url import parse
        from desktop_app.services import settings

        url = self.url_edit.text().strip()
        try:
            if url:
                url = parse(url).url
            chosen = current_settings.or_defaults(self._data_dir)._replace(database=url)
            settings.save(self._data_dir, chosen)
        except (KnownError, OSError) as exc:
            self.status.setText(str(exc))
            return False
        where = "the team database" if url else "this computer's own file"
        self.status.setText(f"Saved: Signoff opens {where} from its next start.")
        self.message.emit(f"Team database saved: restart Signoff to use {where}.")
        return True
