"""The spec editor: a workflow's ``workflow.toml`` as a form, in the essay's order.

Every field writes its key into a ``SpecDocument`` (tomlkit: the rest of the file stays as
written); the checker (``core.spec_loader.check_text``, the one ``signoff check`` uses)
runs as you type and its problems show at their fields and in one list. The TOML tab shows
the file itself, in step both ways. Save writes atomically through the writer thread and
logs ``spec.changed``; an incomplete spec saves (and cannot run), text that is not TOML
never does. A change made to the file by another program is noticed, never overwritten
silently. The samples and a try-out on one of them are in their own tab (``spec_samples``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFileSystemWatcher, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import spec_keys
from desktop_app.core.errors import KnownError, SpecProblem
from desktop_app.core.spec_model import Spec
from desktop_app.gui.spec_fields import Field, PathField, TextField, field_for, label_for
from desktop_app.gui.widgets import named, plain_label
from desktop_app.services.spec_files import SpecDocument, save_text

if TYPE_CHECKING:
    from desktop_app.gui.tasks import Database, DbWorker
    from desktop_app.services.pipeline import ModelGateway

# The form, in the order the essay gives a spec's parts.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Purpose", ("title", "purpose")),
    (
        "Inputs",
        (
            *("input.kind", "input.description", "input.path", "input.glob", "input.account"),
            *("input.folder", "input.since", "input.max_chars"),
        ),
    ),
    ("Criteria", ("criteria.rules",)),
    ("Prompt", ("prompt.system", "prompt.template")),
    (
        "Output contract",
        (
            "output.format",
            "output.min_chars",
            "output.max_chars",
            "output.must_contain",
            "output.must_not_contain",
            "output.pattern",
            "output.json_schema",
            "output.schema_file",
        ),
    ),
    ("Failure modes", ("failure_modes",)),
    (
        "Model",
        (
            "model.name",
            "model.fallbacks",
            "model.api_base",
            "model.temperature",
            "model.max_tokens",
            "model.timeout_s",
            "model.retries",
            "model.input_cost_per_mtok",
            "model.output_cost_per_mtok",
        ),
    ),
    (
        "Schedule, review and budget",
        (
            "schedule.every",
            "schedule.cron",
            "schedule.catch_up",
            "review.remind_after",
            "review.expire_after",
            "budget.max_cost_per_run",
            "budget.max_cost_per_day",
            "budget.max_cost_per_month",
        ),
    ),
    (
        "Action",
        (
            *("action.kind", "action.path", "action.url", "action.account", "action.to"),
            *("action.cc", "action.subject"),
        ),
    ),
)
VARIABLES = (
    ("input.text", "{{ input.text }}"),
    ("input.name", "{{ input.name }}"),
    ("a CSV column", "{{ input.fields.COLUMN }}"),
    ("workflow", "{{ workflow }}"),
    ("criteria", "{% for rule in criteria %}- {{ rule }}\n{% endfor %}"),
)
CHECK_DELAY_MS = 250


class SpecEditor(QDialog):
    saved = Signal(str)  # the workflow's name, after each save

    def __init__(
        self,
        path: Path,
        db_path: Database,
        worker: DbWorker,
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
        data_dir: Path | None = None,
    ):
        """``data_dir``: the data folder (the window's ``Paths.data_dir``), where a path field
        starts and what its paths are written relative to; an editor made without it, in a
        test or for a screenshot, takes the database's folder, where Signoff keeps it."""
        super().__init__(parent)
        self.setObjectName("specEditor")
        self.setAccessibleName("Spec editor")
        self.path, self._db_path, self._worker, self._gateway = path, db_path, worker, gateway
        if data_dir is None:  # (the screenshots' editor on a file)
            assert isinstance(db_path, Path), (
                "an editor on a team database is given the data folder"
            )
            data_dir = db_path.parent
        self._data_dir = data_dir
        self.document = SpecDocument.open(path)
        self.spec: Spec | None = None
        self._last_valid: Spec | None = (
            None  # the preview's spec while the current one has problems
        )
        self.problems_found: list[SpecProblem] = []
        self.fields: dict[str, Field] = {}
        self._filling = False
        self._toml_error = ""  # the TOML tab holds text that is not TOML: kept, and said
        self.setWindowTitle(f"Edit {path.parent.name}")
        self.resize(1100, 760)
        self._check_timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check)
        self._toml_timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self._toml_timer.timeout.connect(self._apply_toml)
        self._build()
        self.watcher = QFileSystemWatcher([str(path)], self)
        self.watcher.fileChanged.connect(self._on_disk_change)
        self._fill_form()
        self.check()

    # --- building ---

    def _build(self) -> None:
        self.heading = named(QLabel(f"{self.path.parent.name}"), "specHeading")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.heading.setFont(font)
        self.disk_banner = plain_label("specDiskChanged")
        self.disk_banner.setStyleSheet("background: #fff4ce; padding: 4px;")
        self.reload_button = named(QPushButton("Reload from disk"), "specReloadButton")
        self.reload_button.clicked.connect(self.reload)
        banner = QHBoxLayout()
        banner.addWidget(self.disk_banner, 1)
        banner.addWidget(self.reload_button)
        self.disk_banner.hide()
        self.reload_button.hide()

        self.tabs = named(QTabWidget(), "specTabs")
        self.tabs.addTab(self._form_page(), "Spec")
        from desktop_app.gui.spec_samples import SamplesPanel

        self.samples = SamplesPanel(
            self, self._db_path, self._worker, gateway=self._gateway, data_dir=self._data_dir
        )
        self.tabs.addTab(self.samples, "Samples and try-out")
        self.toml = named(QPlainTextEdit(), "specToml")
        self.toml.setAccessibleName("The spec file")
        self.toml.textChanged.connect(self._on_toml_typed)
        self.tabs.addTab(self.toml, "TOML")

        self.checklist = plain_label("specChecklist")
        self.problem_list = named(QListWidget(), "specProblems")
        self.problem_list.setAccessibleName("Problems")
        self.problem_list.setWordWrap(True)
        self.problem_list.itemActivated.connect(self._go_to_problem)
        self.status = plain_label("specStatus")
        self.save_button = named(QPushButton("Save"), "specSaveButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.open_file_button = named(QPushButton("Open the file"), "specOpenFileButton")
        self.open_file_button.clicked.connect(self._open_file)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(QLabel("Complete?"))
        side_layout.addWidget(self.checklist)
        side_layout.addWidget(QLabel("Problems"))
        side_layout.addWidget(self.problem_list, 1)
        side_layout.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.open_file_button)
        buttons.addWidget(close)
        side_layout.addLayout(buttons)

        split = QSplitter()
        split.addWidget(self.tabs)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(banner)
        layout.addWidget(split, 1)

    def _form_page(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        for title, keys in SECTIONS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            for name in keys:
                field = field_for(spec_keys.BY_NAME[name])
                if isinstance(field, PathField):
                    field.data_dir = self._data_dir
                field.changed.connect(lambda f=field: self._on_field(f))
                self.fields[name] = field
                form.addRow(label_for(field.key), field)
            if title == "Inputs":
                self._inputs_form = form
            if title == "Prompt":
                form.addRow("Insert", self._variables())
                form.addRow("Preview", self._preview())
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        return scroll

    def _variables(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, text in VARIABLES:
            button = named(QPushButton(label), f"specInsert_{label.replace(' ', '_')}")
            button.setToolTip(f"Insert {text.strip()} where the cursor is in the prompt")
            button.clicked.connect(lambda _c=False, t=text: self.insert_variable(t))
            layout.addWidget(button)
        layout.addStretch(1)
        return row

    def _preview(self) -> QWidget:
        box = QWidget()
        self.preview_sample = named(QComboBox(), "specPreviewSample")
        self.preview_sample.currentIndexChanged.connect(lambda _i: self._show_preview())
        self.preview = named(QPlainTextEdit(), "specPromptPreview")
        self.preview.setReadOnly(True)
        self.preview.setMinimumHeight(120)
        self.preview.setMaximumHeight(260)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview_sample)
        layout.addWidget(self.preview)
        return box

    # --- form <-> document ---

    def _fill_form(self) -> None:
        self._filling = True
        try:
            for name, field in self.fields.items():
                value = self.document.get(name)
                field.set_value(value)
                if isinstance(field, PathField):
                    field.kind = str(self.document.get("input.kind") or "text")
        finally:
            self._filling = False
        self._show_toml()

    def _on_field(self, field: Field) -> None:
        if self._filling:
            return
        try:
            value = field.value()
        except ValueError as exc:  # a JSON schema that is not JSON yet: said at the field
            field.show_problems([str(exc)])
            return
        name = field.key.name
        if name == "failure_modes":
            self.document.set_failure_modes(value)
        else:
            self.document.set(name, value)
        if name == "input.kind":
            path_field = self.fields["input.path"]
            if isinstance(path_field, PathField):
                path_field.kind = str(value or "text")
        self._show_toml()
        self._check_timer.start()

    def _show_toml(self) -> None:
        text = self.document.text
        if self._toml_error:  # the person's text in the TOML tab is not replaced
            return
        if self.toml.toPlainText() != text and not self.toml.hasFocus():
            self.toml.blockSignals(True)
            self.toml.setPlainText(text)
            self.toml.blockSignals(False)

    def _on_toml_typed(self) -> None:
        self._toml_timer.start()

    def _apply_toml(self) -> None:
        try:
            self.document.replace_text(self.toml.toPlainText())
        except KnownError as exc:  # not TOML (yet): said, the form keeps what it had
            self._toml_error = str(exc)
            self._show_problems(self.problems_found)
            return
        self._toml_error = ""
        self._fill_form()
        self.check()

    def insert_variable(self, text: str) -> None:
        target = self.fields["prompt.template"]
        system = self.fields["prompt.system"]
        if isinstance(system, TextField) and system.edit.hasFocus():
            target = system
        if isinstance(target, TextField):
            target.edit.insertPlainText(text)
            target.edit.setFocus()

    # --- checking ---

    def check(self) -> None:
        """What ``signoff check`` says of the spec as it stands, at each field."""
        self.spec, self.problems_found = self.document.check()
        if self.spec is not None:
            self._last_valid = self.spec
        self._show_problems(self.problems_found)
        self._show_source_rows()
        self._show_preview()
        self.samples.set_spec(self.spec)

    def _show_problems(self, problems: list[SpecProblem]) -> None:
        by_field: dict[str, list[str]] = {name: [] for name in self.fields}
        self.problem_list.clear()
        extra = self._toml_error
        if extra:
            self.problem_list.addItem(f"TOML tab: {extra}")
        for problem in problems:
            self.problem_list.addItem(f"line {problem.line}: {problem.message}")
            name = self._field_of(problem)
            if name:
                by_field[name].append(problem.message)
        for name, messages in by_field.items():
            self.fields[name].show_problems(messages)
        missing = {p.key for p in problems if p.incomplete}
        lines = []
        for key in spec_keys.KEYS:
            if key.missing:
                done = key.name not in missing
                words = key.missing.split(" (")[0]
                lines.append(f"{'✓' if done else '✗'} {words}")
        self.checklist.setText("\n".join(lines))
        invalid = [p for p in problems if not p.incomplete]
        if extra or invalid:
            self.status.setText(
                "Not valid yet: it can be saved, and cannot run until the problems are fixed."
            )
        elif missing:
            self.status.setText("Valid, not complete: it saves, and runs once complete.")
        else:
            self.status.setText("Complete: it can run.")

    def _field_of(self, problem: SpecProblem) -> str | None:
        key = problem.key
        if key in self.fields:
            return key
        for name in self.fields:  # a problem of a table, about one of its keys
            section, _, leaf = name.rpartition(".")
            if section == key and leaf.replace("_", " ") in problem.message:
                return name
        if key.startswith("failure_modes"):
            return "failure_modes"
        if key == "output":
            return "output.format"
        return None

    def _go_to_problem(self) -> None:
        row = self.problem_list.currentRow() - (1 if self._toml_error else 0)
        if 0 <= row < len(self.problems_found):
            name = self._field_of(self.problems_found[row])
            if name:
                self.tabs.setCurrentIndex(0)
                self.fields[name].setFocus()

    def _show_preview(self) -> None:
        docs = self.samples.inputs()
        names = [doc.name for doc in docs]
        if [self.preview_sample.itemText(i) for i in range(self.preview_sample.count())] != names:
            self.preview_sample.blockSignals(True)
            self.preview_sample.clear()
            self.preview_sample.addItems(names)
            self.preview_sample.blockSignals(False)
        spec = self.spec or self._last_valid
        if spec is None:
            self.preview.setPlainText("(the prompt shows here once the spec has no problems)")
            return
        if not docs:
            self.preview.setPlainText("(add a sample to see the prompt it makes)")
            return
        from desktop_app.core.templates import TemplateRenderError, render_messages

        doc = docs[max(0, self.preview_sample.currentIndex())]
        try:
            messages = render_messages(spec, doc)
        except TemplateRenderError as exc:
            self.preview.setPlainText(f"The prompt cannot be filled in for {doc.name}: {exc}")
            return
        note = "" if self.spec is not None else "(as it was before the problems listed)\n\n"
        shown = "\n\n".join(f"— {m['role']} —\n{m['content']}" for m in messages)
        self.preview.setPlainText(note + shown)

    def _show_source_rows(self) -> None:
        """The folder or CSV rows only for a workflow that reads one; the mailbox's for one
        that reads a mailbox (each also while it holds a value)."""
        kind = str(self.document.get("input.kind") or "text")
        for names, shown in (
            (("input.path", "input.glob"), kind in ("folder", "csv")),
            (("input.account", "input.folder", "input.since"), kind == "mailbox"),
        ):
            for name in names:
                visible = shown or bool(self.document.get(name))
                self._inputs_form.setRowVisible(self.fields[name], visible)

    # --- saving, the file on disk ---

    def save(self) -> None:
        """Save, asking first when another program changed the file since it was read."""
        if self._toml_error:
            self.status.setText("Not saved: the TOML tab's text is not valid TOML yet.")
            return
        if self.document.on_disk_changed():
            self._ask(
                "specOverwriteDialog",
                "The file changed on disk",
                f"{self.path} was changed by another program since you opened it.\n\n"
                "Save yours over it (its change is lost), or cancel (your edits stay here)?",
                {QMessageBox.StandardButton.Save: self._write},
            )
            return
        self._write()

    def _write(self) -> None:
        text = self.document.text
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self._worker.submit(
            save_text,
            self.path,
            text,
            on_done=lambda _spec: self._saved(text),
            on_error=self._save_failed,
            context=self,
        )

    def _ask(
        self, name: str, title: str, text: str, actions: dict[Any, Callable[[], None]]
    ) -> None:
        """A question that does not stop the window (Cancel is always offered)."""
        buttons = QMessageBox.StandardButton.Cancel
        for button in actions:
            buttons |= button
        box = named(QMessageBox(QMessageBox.Icon.Question, title, text, buttons, self), name)
        box.finished.connect(lambda _r: self._answered(box, actions))
        box.open()

    def _answered(self, box: QMessageBox, actions: dict[Any, Callable[[], None]]) -> None:
        action = actions.get(box.standardButton(box.clickedButton()))
        box.deleteLater()
        if action is not None:
            action()

    def _saved(self, text: str) -> None:
        self.document.saved_text = text
        self.save_button.setEnabled(True)
        self._watch_again()
        self.disk_banner.hide()
        self.reload_button.hide()
        done = self.spec is not None and self.spec.complete
        self.status.setText("Saved." + ("" if done else " It cannot run until it is complete."))
        self.saved.emit(self.path.parent.name)

    def _save_failed(self, exc: BaseException) -> None:
        from desktop_app.gui import errors

        self.save_button.setEnabled(True)
        self.status.setText(f"Not saved: {errors.one_line(exc)}")

    def _on_disk_change(self, _path: str = "") -> None:
        self._watch_again()
        if self.document.on_disk_changed():
            self.disk_banner.setText(
                "The file was changed on disk by another program. Reload it (your edits here "
                "are lost), or go on: saving will ask before overwriting it."
            )
            self.disk_banner.show()
            self.reload_button.show()

    def _watch_again(self) -> None:
        """A rename-over (an atomic save, ours or an editor's) drops the watch: take it up."""
        if str(self.path) not in self.watcher.files() and self.path.exists():
            self.watcher.addPath(str(self.path))

    def show_draft(self, text: str) -> None:
        """A draft from the model, unsaved: it is the person's Save that writes it."""
        try:
            self.document.replace_text(text)
        except KnownError as exc:
            self.status.setText(f"The draft is not valid TOML: {exc}")
            self.toml.setPlainText(text)
            return
        self._fill_form()
        self.check()
        self.status.setText(
            "A draft from the model, not saved: review every part, then Save. " + self.status.text()
        )

    def reload(self) -> None:
        try:
            self.document = SpecDocument.open(self.path)
        except KnownError as exc:
            self.status.setText(str(exc))
            return
        self.disk_banner.hide()
        self.reload_button.hide()
        self._fill_form()
        self.check()

    def _open_file(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))

    def closeEvent(self, event: Any) -> None:
        if self.document.changed:
            event.ignore()
            self._ask(
                "specUnsavedDialog",
                "Unsaved changes",
                "Save your changes to the spec before closing?",
                {
                    QMessageBox.StandardButton.Save: self._save_and_close,
                    QMessageBox.StandardButton.Discard: self._discard_and_close,
                },
            )
            return
        self.samples.close_jobs()
        super().closeEvent(event)

    def _save_and_close(self) -> None:
        self.saved.connect(lambda _name: self.close())
        self.save()

    def _discard_and_close(self) -> None:
        self.document.saved_text = self.document.text  # nothing left to ask about
        self.close()
