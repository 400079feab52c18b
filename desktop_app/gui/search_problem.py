"""The line under a search box that says what the search cannot mean: a status or a date
that is not one, a workflow nobody has (issue 25). The search is then not made: an empty
list would read as "nothing matches". The same words as the command line's (one
``core.search_query.problem``)."""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtWidgets import QComboBox, QLabel

from desktop_app.core.search_query import parse, problem
from desktop_app.gui.widgets import plain_label


def problem_label(object_name: str) -> QLabel:
    label = plain_label(object_name)
    label.setStyleSheet("color: #b3261e;")
    label.hide()
    return label


def workflow_names(combo: QComboBox) -> list[str]:
    """The workflow names a view's workflow filter offers (its first entry is "All")."""
    return [combo.itemData(i) for i in range(combo.count()) if combo.itemData(i)]


def say_problem(label: QLabel, text: str, workflows: Collection[str]) -> bool:
    """Show what ``text`` asks that cannot be, under the search box; True when it does."""
    said = problem(parse(text), workflows) if ":" in text else ""
    label.setText(said)
    label.setVisible(bool(said))
    return bool(said)
