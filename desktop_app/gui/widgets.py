"""Widgets the views share: labels that never interpret text as HTML, and list tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QAbstractItemModel, QObject
from PySide6.QtGui import QKeySequence, QShortcut, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLabel, QLineEdit, QTableView, QWidget

from desktop_app.gui.qt_values import (
    PLAIN_TEXT,
    SELECTABLE_BY_MOUSE,
    WIDGET_SHORTCUT,
    WIDGET_WITH_CHILDREN_SHORTCUT,
    set_enum,
)

_Named = TypeVar("_Named", bound=QObject)


def named(obj: _Named, object_name: str) -> _Named:
    """``obj`` with its object name set (tests and style sheets find widgets by it), keeping
    its type: ``named(QPushButton("Run"), "runButton")``.

    Qt for Python also takes ``objectName=`` as a constructor keyword, but its stubs only
    describe the keywords for a class's own properties, not inherited ones like this one;
    so the GUI names its widgets here, where the type checker can follow the call."""
    obj.setObjectName(object_name)
    return obj


def plain_label(object_name: str = "", *, wrap: bool = True) -> QLabel:
    """A selectable label for text that may come from a model or a user: always plain text."""
    label = QLabel()
    set_enum(label, "textFormat", PLAIN_TEXT)
    label.setWordWrap(wrap)
    set_enum(label, "textInteractionFlags", SELECTABLE_BY_MOUSE)
    if object_name:
        label.setObjectName(object_name)
    return label


def shortcut(
    keys: str | QKeySequence.StandardKey,
    widget: QWidget,
    slot: Callable[[], object],
    *,
    context: int = WIDGET_SHORTCUT,
) -> QShortcut:
    """``keys`` call ``slot`` while ``widget`` has the focus (or, with
    ``WIDGET_WITH_CHILDREN_SHORTCUT``, one of its children)."""
    made = QShortcut(QKeySequence(keys), widget)
    set_enum(made, "context", context)
    made.activated.connect(slot)
    return made


def find_shortcut(view: QWidget, box: QLineEdit) -> QShortcut:
    """Ctrl+F (the platform's Find) anywhere in ``view``: to its search ``box``, the text
    selected to type over."""

    def find() -> None:
        box.setFocus()
        box.selectAll()

    return shortcut(
        QKeySequence.StandardKey.Find, view, find, context=WIDGET_WITH_CHILDREN_SHORTCUT
    )


def list_table(
    object_name: str,
    accessible_name: str,
    model: QAbstractItemModel,
    *,
    titles: Sequence[str] = (),
    multi_select: bool = False,
) -> QTableView:
    """A read-only table of whole rows: the inbox, the workflows, the activity log.

    With ``titles``, the column header shows them from a small model of its own
    rather than asking ``model.headerData``: Qt calls that with a ``Qt.Orientation``,
    and the first one builds PySide's whole ``Qt`` namespace (see ``qt_values``).
    """
    table = named(QTableView(), object_name)
    table.setAccessibleName(accessible_name)
    table.setModel(model)
    if titles:
        header_model = QStandardItemModel(0, len(titles), table)
        header_model.setHorizontalHeaderLabels(list(titles))
        table.horizontalHeader().setModel(header_model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
        if multi_select
        else QAbstractItemView.SelectionMode.SingleSelection
    )
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    table.setWordWrap(False)
    return table
