"""About Signoff: the version, the data folder and its schema, the litellm and Qt versions
(``signoff --version`` says the same, from ``services.about``)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def show_about(parent: QWidget, data_dir: Path) -> QMessageBox:
    """Open the box over ``parent`` (``open``: nothing waits on it) and return it."""
    from desktop_app.services import about

    rows = "".join(
        f"<tr><td><b>{escape(label)}</b>&nbsp;&nbsp;</td><td>{escape(value)}</td></tr>"
        for label, value in about.facts(data_dir)
    )
    box = QMessageBox(parent)
    box.setObjectName("aboutBox")
    box.setWindowTitle("About Signoff")
    box.setIconPixmap(parent.window().windowIcon().pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(
        "<p><b>Signoff</b>: a supervisor's desk for small AI workflows. Every output is"
        f" approved, edited or rejected by a person.</p><table>{rows}</table>"
    )
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()
    return box
