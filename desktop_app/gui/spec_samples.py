"""The spec editor's samples and try-out: list, add (picker, drag and drop, pasted text),
remove; *Try on a sample* runs the spec as it stands in the editor, unsaved, on one sample
through the worker process (``services.tryout``): no item, its spend recorded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.money import usd_or_unknown
from desktop_app.core.spec_model import Spec
from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named, plain_label
from desktop_app.services import workflow_files

if TYPE_CHECKING:
    from desktop_app.gui.spec_editor import SpecEditor
    from desktop_app.gui.tasks import Database, DbWorker
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.services.tryout import TryResult


class _DropList(QListWidget):
    """The samples list: files dropped on it become samples."""

    def __init__(self, on_files: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self._on_files = on_files
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self._on_files(files)


class SamplesPanel(QWidget):
    def __init__(
        self,
        editor: SpecEditor,
        db_path: Database,
        worker: DbWorker,
        *,
        gateway: ModelGateway | None = None,
        data_dir: Path | None = None,
    ):
        super().__init__(editor)
        self.editor, self._worker, self._gateway = editor, worker, gateway
        self.folder = editor.path.parent
        self._spec: Spec | None = None
        self._samples: list[workflow_files.Sample] = []
        self.job = TryJob(db_path, self, gateway=gateway, data_dir=data_dir)
        self.job.done.connect(self._show_result)
        self.job.failed.connect(self._try_failed)
        self._build()
        self.refresh()

    def _build(self) -> None:
        self.list = named(_DropList(self.add_files), "specSamples")
        self.list.setAccessibleName("Samples")
        self.list.currentRowChanged.connect(lambda _row: self._show_inputs())
        self.inputs_label = plain_label("specSampleInputs")
        add = named(QPushButton("Add files…"), "specAddSamples")
        add.clicked.connect(self._pick_files)
        paste = named(QPushButton("Paste text…"), "specPasteSample")
        paste.clicked.connect(self._paste)
        remove = named(QPushButton("Remove"), "specRemoveSample")
        remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        for button in (add, paste, remove):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.try_sample = named(QComboBox(), "specTrySample")
        self.try_model = named(QLineEdit(), "specTryModel")
        self.try_model.setPlaceholderText("the model a run would use")
        self.try_button = named(QPushButton("Try on a sample"), "specTryButton")
        self.try_button.clicked.connect(self.try_it)
        self.try_status = plain_label("specTryStatus")
        self.result = named(QPlainTextEdit(), "specTryResult")
        self.result.setReadOnly(True)
        try_row = QHBoxLayout()
        try_row.addWidget(QLabel("Sample"))
        try_row.addWidget(self.try_sample, 1)
        try_row.addWidget(QLabel("Model"))
        try_row.addWidget(self.try_model, 1)
        try_row.addWidget(self.try_button)

        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Samples (drop files here): what a cost profile and a try-out run on")
        )
        layout.addWidget(self.list, 1)
        layout.addWidget(self.inputs_label)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Try the spec as it stands here, unsaved: no item is made"))
        layout.addLayout(try_row)
        layout.addWidget(self.try_status)
        layout.addWidget(self.result, 2)

    # --- samples ---

    def refresh(self) -> None:
        self._samples = workflow_files.samples(self.folder)
        self.list.clear()
        self.try_sample.clear()
        for sample in self._samples:
            count = len(sample.inputs)
            note = f"  (cannot be read: {sample.problem})" if sample.problem else (
                f"  ({count} inputs)" if count != 1 else ""
            )  # fmt: skip
            self.list.addItem(sample.name + note)
            for doc in sample.inputs:
                self.try_sample.addItem(doc.name)
        self._show_inputs()

    def inputs(self) -> list[InputDoc]:
        return [doc for sample in self._samples for doc in sample.inputs]

    def _show_inputs(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._samples) and len(self._samples[row].inputs) > 1:
            names = ", ".join(d.name for d in self._samples[row].inputs[:20])
            self.inputs_label.setText(f"Makes {len(self._samples[row].inputs)} inputs: {names}")
        else:
            self.inputs_label.setText("")

    def add_files(self, files: list[Path]) -> None:
        self._write(workflow_files.add_samples, self.folder, files)

    def add_text(self, text: str, name: str = "pasted") -> None:
        self._write(workflow_files.add_text_sample, self.folder, text, name)

    def _pick_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add samples", str(Path.home()))
        if paths:
            self.add_files([Path(p) for p in paths])

    def _paste(self) -> None:
        text, ok = QInputDialog.getMultiLineText(self, "Paste a sample", "One input, as it comes:")
        if ok and text.strip():
            self.add_text(text)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._samples):
            self._write(workflow_files.remove_sample, self.folder, self._samples[row].name)

    def _write(self, fn: Any, *args: Any) -> None:
        self._worker.submit(
            fn,
            *args,
            on_done=lambda _result: self._changed(),
            on_error=lambda exc: self.try_status.setText(str(exc)),
            context=self,
        )

    def _changed(self) -> None:
        self.refresh()
        self.editor.check()  # the preview may use a new sample

    # --- try-out ---

    def set_spec(self, spec: Spec | None) -> None:
        self._spec = spec
        ready = spec is not None and spec.complete
        self.try_button.setEnabled(ready and not self.job.running)
        if not ready:
            self.try_status.setText("A try-out needs a complete spec without problems.")
        elif self.try_status.text().startswith("A try-out needs"):
            self.try_status.setText("")

    def try_it(self) -> None:
        docs = self.inputs()
        index = self.try_sample.currentIndex()
        if self._spec is None or not self._spec.complete or not (0 <= index < len(docs)):
            return
        self.try_button.setEnabled(False)
        self.try_status.setText(f"Trying on {docs[index].name}…")
        self.job.start_try(self._spec, docs[index], self.try_model.text().strip() or None)

    def _show_result(self, result: TryResult) -> None:
        self.job.wait()
        self.try_button.setEnabled(True)
        self.try_status.setText(
            f"{result.status} · {result.model} · cost {usd_or_unknown(result.cost_usd)} · "
            f"{result.latency_ms or 0} ms · {result.calls} call(s)"
        )
        lines = ["— the prompt —"]
        lines += [f"[{m['role']}]\n{m['content']}" for m in result.messages]
        lines += ["", "— the answer —", result.output or "(no output)", "", "— checks —"]
        lines += [f"{'✓' if c.passed else '✗'} {c.name}: {c.message}" for c in result.checks]
        if result.reason:
            lines += ["", f"Would be {result.status}: {result.reason}"]
        self.result.setPlainText("\n".join(lines))

    def _try_failed(self, message: str) -> None:
        self.job.wait()
        self.try_button.setEnabled(True)
        self.try_status.setText(f"The try-out could not run: {message}")

    def close_jobs(self) -> None:
        self.job.cancel()
        self.job.wait(30)


class TryJob(Job):
    """A try-out on the worker process's gateway, off the UI thread."""

    what = "try-out"

    def start_try(self, spec: Spec, doc: InputDoc, model: str | None) -> None:
        self.start(self._try, spec, doc, model)

    def _try(self, db: Any, _report: Any, spec: Spec, doc: InputDoc, model: str | None) -> Any:
        from desktop_app.gui import current_settings
        from desktop_app.services import run_start, tryout

        options = run_start.options(current_settings.read(self.data_dir), model=model)
        return tryout.try_sample(
            db, spec, doc, options.route, global_month_cap=options.global_month_cap,
            gateway=self._gateway,
        )  # fmt: skip
