"""The Workflows tab's run panel: the selected workflow run now on its samples, a file or
folder, or pasted text, with the model and server typed here (empty: the Settings', else
the spec's own); its progress, Cancel, and what the run did.

The run happens on its own thread (``RunJob``, over ``services.run_start``); items reach the
inbox as they are made (``items_made``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.money import usd_or_unknown
from desktop_app.gui import current_settings
from desktop_app.gui.run_job import RunJob
from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    from desktop_app.core.inputdoc import InputDoc
    from desktop_app.core.paths import Paths
    from desktop_app.core.spec_model import Spec
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.services.run_start import Runs

SOURCES = (
    "Its samples",
    "A file or folder…",
    "Text I paste",
    "What is new in its folder or mailbox",
)
OWN_SOURCE = 3  # the workflow's configured folder, CSV file or mailbox: the new inputs


def _said(done: Runs) -> str:
    """What a run (or the resumed runs) did, one line each, as the panel and the status bar
    say it."""
    lines = []
    for summary in done.summaries:
        cost = usd_or_unknown(summary.cost_usd)
        verb = f"of {summary.workflow} resumed, " if summary.resumed else ""
        bad = f" ({summary.unreadable} could not be read)" if summary.unreadable else ""
        lines.append(
            f"Run {summary.run_id} {verb}{summary.state}{bad}: {summary.pending} pending, "
            f"{summary.escalated} escalated, {summary.skipped} skipped · cost {cost}"
        )
        if summary.blocked:
            lines.append(summary.blocked)
    lines += done.problems
    if done.nothing_new and not lines:
        return "Nothing new to take: every input of its source was taken before."
    return "\n".join(lines) or "Nothing was left to resume."


class RunPanel(QWidget):
    items_made = Signal()  # new items exist: the inbox should reload
    message = Signal(str)  # what a run did, for the status bar
    ended = Signal()  # a run finished or could not start: the list shows its new figures

    def __init__(
        self,
        paths: Paths,
        selected: Callable[[], Spec | None],
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
    ):
        """``selected``: the spec of the workflow chosen in the list (None: none, or invalid)."""
        super().__init__(parent)
        self._paths = paths
        self._selected = selected
        self._chosen_path: Path | None = None
        # asked again on a yes; its inputs None: what is new in the workflow's own source
        self._last_run: tuple[Spec, list[InputDoc] | None, str, str] | None = None
        self._gateway = gateway
        self._running_text = ""  # said once the model worker, still starting, answers
        self.job = RunJob(paths.database, self, gateway=gateway, data_dir=paths.data_dir)
        self._build_inputs()
        self._build_run_row()
        self._lay_out()
        self._connect()
        self._show_source()
        self._set_running(False)

    def _build_inputs(self) -> None:
        """What to run on, and with which model and server."""
        self.source = named(QComboBox(), "runSource")
        self.source.addItems(list(SOURCES))
        self.source.setAccessibleName("Run on")
        self.choose_button = named(QPushButton("Choose…"), "chooseInputButton")
        self.chosen = plain_label("chosenInput")
        self.pasted = named(QPlainTextEdit(), "pastedInput")
        self.pasted.setAccessibleName("Text to run on")
        self.pasted.setPlaceholderText("Paste one input here (a review, an e-mail, meeting notes…)")
        self.model_edit = named(QLineEdit(), "runModel")
        self.model_edit.setAccessibleName("Model for this run")
        self.api_base_edit = named(QLineEdit(), "runApiBase")
        self.api_base_edit.setAccessibleName("API base for this run")
        self.api_base_edit.setPlaceholderText(
            "the provider's own (or e.g. http://127.0.0.1:11434/v1 for Ollama)"
        )

    def _build_run_row(self) -> None:
        self.run_button = named(QPushButton("Run now"), "runNowButton")
        self.run_button.setAccessibleName("Run now")
        self.cancel_button = named(QPushButton("Cancel"), "cancelRunButton")
        self.progress = named(QProgressBar(), "runProgress")
        self.run_status = plain_label("runStatus")

    def _lay_out(self) -> None:
        form = QFormLayout()
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(self.choose_button)
        form.addRow("Run on", source_row)
        form.addRow("", self.chosen)
        form.addRow("", self.pasted)
        form.addRow("Model", self.model_edit)
        form.addRow("API base", self.api_base_edit)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # it reads as part of the workflow's panel
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.run_status)

    def _connect(self) -> None:
        self.source.currentIndexChanged.connect(self._show_source)
        self.choose_button.clicked.connect(self._choose)
        self.run_button.clicked.connect(self.run_now)
        self.cancel_button.clicked.connect(self.job.cancel)
        self.job.progress.connect(self._on_progress)
        self.job.item_made.connect(lambda *_: self.items_made.emit())
        self.job.done.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)

    def show_workflow(self) -> None:
        """The selected workflow's defaults; Run now if its spec is complete and no run is
        under way."""
        self.show_run_defaults()
        spec = self._selected()
        self.run_button.setEnabled(bool(spec and spec.complete) and not self.job.running)

    def show_run_defaults(self) -> None:
        """Empty fields mean: the Settings' model and server, else the spec's own; say which."""
        spec = self._selected()
        chosen = current_settings.or_defaults(self._paths.data_dir)
        self.model_edit.setPlaceholderText(chosen.model or (spec.model.name if spec else ""))
        self.api_base_edit.setPlaceholderText(
            chosen.api_base
            or (spec.model.api_base if spec and spec.model.api_base else "the provider's own")
        )

    def _show_source(self) -> None:
        index = self.source.currentIndex()
        self.choose_button.setVisible(index == 1)
        self.chosen.setVisible(index == 1)
        self.pasted.setVisible(index == 2)

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Run on which input?", str(Path.home()))
        if path:
            self.set_chosen_path(Path(path))

    def set_chosen_path(self, path: Path) -> None:
        self._chosen_path = path
        self.chosen.setText(str(path))

    def run_now(self) -> None:
        from desktop_app.services import inputs

        spec = self._selected()
        if spec is None or self.job.running:
            return
        try:
            source = self.source.currentIndex()
            docs: list[InputDoc] | None
            if source == OWN_SOURCE:
                if spec.input.kind not in ("folder", "csv", "mailbox"):
                    self.run_status.setText(
                        f"{spec.name} takes one input at a time, not a folder or a mailbox: run"
                        " it on its samples, a file or text you paste."
                    )
                    return
                docs = None  # read by the run, off the UI thread (a mailbox takes a moment)
            elif source == 0:
                docs = list(inputs.from_path(spec.samples_dir, "*"))
            elif source == 1:
                if self._chosen_path is None:
                    self.run_status.setText("Choose a file or folder first.")
                    return
                docs = list(inputs.from_path(self._chosen_path, spec.input.glob or "*"))
            else:
                text = self.pasted.toPlainText()
                if not text.strip():
                    self.run_status.setText("Paste the text to run on first.")
                    return
                docs = [inputs.from_text(text)]
        except inputs.InputError as exc:
            self.run_status.setText(str(exc))
            return
        if docs is not None and not docs:
            self.run_status.setText("There is nothing to run on there.")
            return
        model, api_base = self.model_edit.text().strip(), self.api_base_edit.text().strip()
        self._last_run = (spec, docs, model, api_base)
        self._start_run(confirmed=False)

    def _start_run(self, *, confirmed: bool) -> None:
        """The run panel's run (``_last_run``), with its progress; ``confirmed``: the person
        said yes to more inputs than Settings runs without asking."""
        assert self._last_run is not None
        spec, docs, model, api_base = self._last_run
        what = f"{len(docs):,} input(s)" if docs is not None else "what is new in its source"
        self._running_text = f"Running {spec.name} on {what}…"
        if docs is None:  # how many is known once the source is read
            self.progress.setRange(0, 0)
            self.run_status.setText(f"Reading {spec.name}'s source, then running it…")
        elif self._worker_starting():  # the first progress comes once litellm is loaded
            self.progress.setRange(0, 0)
            self.run_status.setText(
                f"Starting the model worker (a few seconds after a while without a run), then"
                f" {spec.name} on {what}…"
            )
        else:
            self.progress.setRange(0, len(docs))
            self.progress.setValue(0)
            self.run_status.setText(self._running_text)
            self._running_text = ""
        self._set_running(True)
        self.job.start_run(spec, docs, model=model, api_base=api_base, confirmed=confirmed)

    def _worker_starting(self) -> bool:
        """The window's model worker is not ready: a run waits for litellm's import first."""
        from desktop_app.llm.process_gateway import ProcessGateway

        return isinstance(self._gateway, ProcessGateway) and not self._gateway.ready

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and bool(self._selected()))
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)

    def _on_progress(self, done: int, total: int) -> None:
        if self._running_text:  # the worker was starting: it answers now
            self.run_status.setText(self._running_text)
            self._running_text = ""
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def resume_interrupted(self) -> None:
        """Finish the runs a crash or a kill interrupted (at start), with progress here."""
        if self.job.running:
            return
        self.run_status.setText("Resuming the runs that were interrupted…")
        self.progress.setRange(0, 0)
        self._set_running(True)
        self.job.start_resume_all(self._paths.workflows_dir)

    def _on_finished(self, done: Runs) -> None:
        self.job.wait()
        self._set_running(False)
        if done.held:  # more inputs than Settings runs without asking: ask, with the cost
            self._go_ahead_or_not(done.held)
            return
        text = _said(done)
        self.run_status.setText(text)
        self.message.emit(text)
        self.items_made.emit()
        self.ended.emit()

    def _go_ahead_or_not(self, held: str) -> None:
        if self._last_run is None or not self.ask_to_go_ahead(held):
            self.run_status.setText(f"{held}.")
            return
        self._start_run(confirmed=True)

    def ask_to_go_ahead(self, held: str) -> bool:
        """A question the person answers before a run over many inputs (tests answer it)."""
        answer = QMessageBox.question(
            self,
            "Run on all of them?",
            f"{held}.\n\nRun it on all of them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _on_failed(self, message: str) -> None:
        self.job.wait()
        self._set_running(False)
        self.run_status.setText(f"The run could not start: {message}")
        self.message.emit(f"The run could not start: {message}")  # the status bar too
        self.ended.emit()
