"""*New workflow*: a name (checked as you type: a folder name, free), and where to start:
blank, one of the bundled workflows, a copy of one of yours, or a draft the model writes
from a description (and up to three example inputs)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.spec_loader import discover
from desktop_app.gui.widgets import named, plain_label
from desktop_app.services import workflow_files


class NewWorkflowDialog(QDialog):
    def __init__(self, workflows_dir: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("newWorkflowDialog")
        self.setWindowTitle("New workflow")
        self._workflows_dir = workflows_dir
        self.name_edit = named(QLineEdit(), "newWorkflowName")
        self.name_edit.setAccessibleName("Name")
        self.name_edit.setPlaceholderText("e.g. supplier-price-reply")
        self.name_problem = plain_label("newWorkflowNameProblem")
        self.name_problem.setStyleSheet("color: #b3261e;")
        self.blank = named(QRadioButton("Blank"), "newWorkflowBlank")
        self.bundled = named(QRadioButton("From an example"), "newWorkflowFromBundled")
        self.copy = named(QRadioButton("A copy of"), "newWorkflowCopy")
        self.bundled_choice = named(QComboBox(), "newWorkflowBundledChoice")
        self.bundled_choice.addItems(workflow_files.bundled_names())
        self.copy_choice = named(QComboBox(), "newWorkflowCopyChoice")
        self.copy_choice.addItems([p.parent.name for p in discover(workflows_dir)])
        self.draft = named(
            QRadioButton("Drafted by the model from a description"), "newWorkflowDraft"
        )
        self.description = named(QPlainTextEdit(), "newWorkflowDescription")
        self.description.setAccessibleName("What the workflow does")
        self.description.setPlaceholderText(
            "A few sentences: what comes in, what a good answer does, what it must never do."
        )
        self.description.setMaximumHeight(110)
        self.description.textChanged.connect(lambda: self.draft.setChecked(True))
        self.examples: list[Path] = []
        self.examples_label = plain_label("newWorkflowExamples")
        pick = named(QPushButton("Example inputs…"), "newWorkflowPickExamples")
        pick.clicked.connect(self._pick_examples)
        examples_row = QHBoxLayout()
        examples_row.addWidget(pick)
        examples_row.addWidget(self.examples_label, 1)
        self.blank.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.blank, self.bundled, self.copy, self.draft):
            group.addButton(button)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("newWorkflowCreate")
        self.ok.setText("Create and edit")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("", self.name_problem)
        form.addRow("Start", self.blank)
        form.addRow("", self.bundled)
        form.addRow("", self.bundled_choice)
        form.addRow("", self.copy)
        form.addRow("", self.copy_choice)
        form.addRow("", self.draft)
        form.addRow("", self.description)
        form.addRow("", examples_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self.bundled_choice.activated.connect(lambda _i: self.bundled.setChecked(True))
        self.copy_choice.activated.connect(lambda _i: self.copy.setChecked(True))
        self.copy.setEnabled(self.copy_choice.count() > 0)
        self._check()

    def _check(self) -> None:
        name = self.name_edit.text().strip()
        why = workflow_files.check_name(self._workflows_dir, name)
        self.name_problem.setText((why or "") if name else "")
        self.ok.setEnabled(why is None)

    def _pick_examples(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Up to three example inputs", str(Path.home())
        )
        if paths:
            self.set_examples([Path(p) for p in paths])

    def set_examples(self, paths: list[Path]) -> None:
        self.examples = paths[:3]
        self.examples_label.setText(", ".join(p.name for p in self.examples))
        self.draft.setChecked(True)

    @property
    def drafting(self) -> bool:
        return self.draft.isChecked() and bool(self.description.toPlainText().strip())

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def source(self) -> str | None:
        """What to start from: None (blank), a bundled or an existing workflow's name."""
        if self.bundled.isChecked():
            return self.bundled_choice.currentText() or None
        if self.copy.isChecked():
            return self.copy_choice.currentText() or None
        return None
