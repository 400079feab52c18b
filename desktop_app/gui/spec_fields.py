"""The spec editor's fields: one widget per key of ``core.spec_keys``, made from the table.

Each field has ``value()`` (what goes into the file: None when left empty, so the key is
not written), ``set_value(v)``, a ``changed`` signal, the objectName ``specField_<key>``
(dots as underscores) and a line under it for the checker's problems with that key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import spec_keys
from desktop_app.core.spec_keys import INT, NUM, STRLIST, TABLE, TABLES, SpecKey
from desktop_app.gui.widgets import named, plain_label

LONG_TEXT = {"purpose", "input.description", "prompt.system", "prompt.template"}
SCHEMA_SHAPES: dict[str, dict[str, Any]] = {
    "An object with named fields": {
        "type": "object",
        "properties": {"field": {"type": "string"}},
        "required": ["field"],
        "additionalProperties": False,
    },
    "A list of objects": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"field": {"type": "string"}},
            "required": ["field"],
        },
    },
    "One of several values": {"type": "string", "enum": ["first", "second"]},
}


def object_name(key: str) -> str:
    return "specField_" + key.replace(".", "_")


class Field(QWidget):
    """A key's editor with its problem line; subclasses make ``editor``."""

    changed = Signal()

    def __init__(self, key: SpecKey, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.setObjectName(object_name(key.name))
        self.setAccessibleName(key.leaf.replace("_", " "))
        self.setToolTip(key.description)
        self.problem = plain_label(f"specProblem_{key.name.replace('.', '_')}")
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.build())
        layout.addWidget(self.problem)

    def build(self) -> QWidget:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def show_problems(self, messages: list[str]) -> None:
        self.problem.setText("\n".join(messages))
        self.problem.setVisible(bool(messages))


class LineField(Field):
    """One line of text, or a number (kept as typed when it is not one: the checker says so)."""

    def build(self) -> QWidget:
        self.edit = QLineEdit()
        self.edit.setAccessibleName(self.accessibleName())
        default = self.key.default
        if default not in (None, "", ()):
            self.edit.setPlaceholderText(f"{default} (default)")
        self.edit.textEdited.connect(lambda _text: self.changed.emit())
        return self.edit

    def value(self) -> Any:
        text = self.edit.text().strip()
        if not text:
            return None
        if self.key.type in (INT, NUM):
            try:
                number = float(text)
            except ValueError:
                return text
            return int(number) if self.key.type == INT and number.is_integer() else number
        return text

    def set_value(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))


class TextField(Field):
    """Several lines: the purpose, the input's description, the prompt."""

    def build(self) -> QWidget:
        self.edit = QPlainTextEdit()
        self.edit.setAccessibleName(self.accessibleName())
        self.edit.setTabChangesFocus(True)
        tall = self.key.name in ("prompt.system", "prompt.template")
        self.edit.setMinimumHeight(110 if tall else 60)
        self.edit.setMaximumHeight(220 if tall else 110)
        self.edit.textChanged.connect(self.changed.emit)
        return self.edit

    def value(self) -> Any:
        return self.edit.toPlainText().strip() or None

    def set_value(self, value: Any) -> None:
        if self.edit.toPlainText() != (value or ""):
            self.edit.setPlainText(value or "")


class ChoiceField(Field):
    def build(self) -> QWidget:
        self.combo = QComboBox()
        self.combo.setAccessibleName(self.accessibleName())
        self.combo.addItems(list(self.key.choices))
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        return self.combo

    def value(self) -> Any:
        chosen = self.combo.currentText()
        return None if chosen == self.key.default else chosen  # the default stays unwritten

    def set_value(self, value: Any) -> None:
        text = str(value) if value not in (None, "") else str(self.key.default or "")
        if self.combo.findText(text) < 0:
            self.combo.addItem(text)  # a value the checker will name: shown, not lost
        self.combo.setCurrentText(text)


class ListField(Field):
    """A list of texts, one a row: type one and press Enter (or Add); a row is edited in
    place with a double click, and Remove takes the selected one out."""

    def build(self) -> QWidget:
        box = QWidget()
        self.items = QListWidget()
        self.items.setAccessibleName(self.accessibleName())
        self.items.setMaximumHeight(130)
        self.items.itemChanged.connect(lambda _item: self.changed.emit())
        self.entry = QLineEdit()
        self.entry.setAccessibleName(f"New {self.accessibleName()}")
        self.entry.setPlaceholderText("Type one and press Enter")
        self.entry.returnPressed.connect(self._add_typed)
        add = QPushButton("Add")
        add.clicked.connect(self._add_typed)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_row)
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry, 1)
        entry_row.addWidget(add)
        entry_row.addWidget(remove)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.items)
        layout.addLayout(entry_row)
        return box

    def _item(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    def _add_typed(self) -> None:
        text = self.entry.text().strip()
        if text:
            self.add_row(text)
            self.entry.clear()

    def add_row(self, text: str) -> None:
        self.items.blockSignals(True)
        self.items.addItem(self._item(text))
        self.items.blockSignals(False)
        self.changed.emit()

    def remove_row(self) -> None:
        row = self.items.currentRow()
        if row >= 0:
            self.items.takeItem(row)
            self.changed.emit()

    def value(self) -> Any:
        texts = [self.items.item(i).text().strip() for i in range(self.items.count())]
        return [t for t in texts if t] or None

    def set_value(self, value: Any) -> None:
        values = [str(v) for v in (value or [])]
        if self.value() == (values or None):
            return
        self.items.blockSignals(True)
        self.items.clear()
        for text in values:
            self.items.addItem(self._item(text))
        self.items.blockSignals(False)


class PathField(LineField):
    """The input folder or CSV file, with a picker; kept relative to the data folder."""

    data_dir: Path | None = None
    kind: str = "folder"

    def build(self) -> QWidget:
        box = QWidget()
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(super().build(), 1)
        pick = named(QPushButton("Choose…"), "specPickInputPath")
        pick.clicked.connect(self.pick)
        layout.addWidget(pick)
        return box

    def pick(self) -> None:
        start = str(self.data_dir or Path.home())
        if self.kind == "csv":
            path, _ = QFileDialog.getOpenFileName(self, "The CSV file", start, "CSV (*.csv)")
        else:
            path = QFileDialog.getExistingDirectory(self, "The folder of inputs", start)
        if path:
            self.set_value(self.relative(Path(path)))
            self.changed.emit()

    def relative(self, path: Path) -> str:
        if self.data_dir is not None:
            try:
                return str(path.resolve().relative_to(self.data_dir.resolve()))
            except ValueError:
                pass
        return str(path)


class SchemaField(Field):
    """A JSON schema, as JSON text, with starting shapes; the checker validates it."""

    def build(self) -> QWidget:
        box = QWidget()
        self.shapes = named(QComboBox(), "specSchemaShape")
        self.shapes.addItems(["Start from a shape…", *SCHEMA_SHAPES])
        self.shapes.activated.connect(self._use_shape)
        self.edit = QPlainTextEdit()
        self.edit.setAccessibleName("JSON schema")
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText('{"type": "object", "properties": {...}}')
        self.edit.setMinimumHeight(90)
        self.edit.setMaximumHeight(220)
        self.edit.textChanged.connect(self.changed.emit)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.shapes)
        layout.addWidget(self.edit)
        return box

    def _use_shape(self, index: int) -> None:
        if index > 0:
            shape = SCHEMA_SHAPES[self.shapes.itemText(index)]
            self.edit.setPlainText(json.dumps(shape, indent=2))
            self.shapes.setCurrentIndex(0)

    def value(self) -> Any:
        text = self.edit.toPlainText().strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValueError(f"the JSON schema is not valid JSON: {exc}") from None

    def set_value(self, value: Any) -> None:
        text = json.dumps(value, indent=2) if value else ""
        try:
            same = self.value() == value
        except ValueError:
            same = False
        if not same:
            self.edit.setPlainText(text)


class FailureModesField(Field):
    """The ``[[failure_modes]]``: one row each (name, when, then, pattern, check)."""

    COLUMNS = ("name", "when", "then", "pattern", "check")

    def build(self) -> QWidget:
        box = QWidget()
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setAccessibleName("Failure modes")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(140)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        add = named(QPushButton("Add a failure mode"), "specAddFailureMode")
        add.clicked.connect(lambda: self.add_row({}))
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        return box

    def add_row(self, mode: dict[str, Any]) -> None:
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        for column, name in enumerate(self.COLUMNS):
            choices = spec_keys.choices(f"failure_modes.{name}")
            value = str(mode.get(name, "") or "")
            if choices:
                combo = QComboBox()
                combo.addItems(["", *choices] if name == "when" else list(choices))
                if value and combo.findText(value) < 0:
                    combo.addItem(value)
                combo.setCurrentText(value or ("" if name == "when" else "escalate"))
                combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
                self.table.setCellWidget(row, column, combo)
            else:
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.blockSignals(False)
        self.changed.emit()

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.changed.emit()

    def _cell(self, row: int, column: int) -> str:
        widget = self.table.cellWidget(row, column)
        if isinstance(widget, QComboBox):
            return widget.currentText()
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def value(self) -> Any:
        modes = []
        for row in range(self.table.rowCount()):
            mode = {name: self._cell(row, c) for c, name in enumerate(self.COLUMNS)}
            if any(mode.values()):
                modes.append({k: v for k, v in mode.items() if v})
        return modes

    def set_value(self, value: Any) -> None:
        modes = [dict(m) for m in (value or []) if isinstance(m, dict)]
        if self.value() == [{k: str(v) for k, v in m.items() if v} for m in modes]:
            return
        self.table.setRowCount(0)
        for mode in modes:
            self.add_row(mode)


def field_for(key: SpecKey) -> Field:
    """The widget for ``key``, from its type and choices in the table."""
    if key.name == "failure_modes":
        return FailureModesField(key)
    if key.name == "output.json_schema":
        return SchemaField(key)
    if key.name == "input.path":
        return PathField(key)
    if key.type == STRLIST:
        return ListField(key)
    if key.choices:
        return ChoiceField(key)
    if key.name in LONG_TEXT:
        return TextField(key)
    if key.type in (TABLE, TABLES):
        raise ValueError(f"no field for the table {key.name}")
    return LineField(key)


def label_for(key: SpecKey) -> QLabel:
    words = key.leaf.replace("_", " ")
    return QLabel(words[:1].upper() + words[1:])
