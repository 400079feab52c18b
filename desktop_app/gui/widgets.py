"""Widgets the views share: labels that never interpret text as HTML, and list tables."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView


def plain_label(object_name: str = "", *, wrap: bool = True) -> QLabel:
    """A selectable label for text that may come from a model or a user: always plain text."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


def list_table(
    object_name: str, accessible_name: str, model: QAbstractItemModel, *, multi_select: bool = False
) -> QTableView:
    """A read-only table of whole rows: the inbox, the workflows, the activity log."""
    table = QTableView(objectName=object_name)
    table.setAccessibleName(accessible_name)
    table.setModel(model)
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
