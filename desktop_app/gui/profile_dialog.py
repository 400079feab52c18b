"""The Profile panel: a workflow's samples on one or several models, figures and outputs side
by side, before it is enabled. The profile runs on its own thread (``ProfileJob``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.money import usd
from desktop_app.gui import current_settings
from desktop_app.gui.profile_job import ProfileJob
from desktop_app.gui.tasks import DbWorker
from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    from desktop_app.core.spec_model import Spec
    from desktop_app.gui.tasks import Database
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.services.profiler import Profile, SampleRun
    from desktop_app.services.settings import Settings

FIGURES = (
    "Model",
    "Cost / run",
    "Max",
    "Tokens in",
    "Tokens out",
    "p50",
    "p95",
    "Passed",
    "Failed / escalated",
    "Per month",
)


def _money(value: float | None) -> str:
    return "unknown" if value is None else usd(value)


def _count(value: float | None, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.0f}{unit}"


def _cell(text: str, tooltip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)  # a table cell never interprets its text as HTML
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setToolTip(tooltip or text)
    return item


def _table(object_name: str, accessible: str, headers: list[str]) -> QTableWidget:
    table = named(QTableWidget(0, len(headers)), object_name)
    table.setAccessibleName(accessible)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    return table


class ProfileDialog(QDialog):
    profiled = Signal(str)  # workflow name: a new profile is stored

    def __init__(
        self,
        spec: Spec,
        db_path: Database,
        worker: DbWorker,
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
        data_dir: Path | None = None,
    ):
        """``data_dir``: the data folder (the window's ``Paths.data_dir``), whose Settings
        suggest the models, the server and the month's cap; left out, as for a ``Job``."""
        super().__init__(parent)
        self.setObjectName("profilePanel")
        self.setWindowTitle(f"Cost profile · {spec.display_name}")
        self.spec = spec
        self._worker = worker
        self._runs: dict[tuple[str, str], SampleRun] = {}
        self.job = ProfileJob(db_path, self, gateway=gateway, data_dir=data_dir)
        self._build()
        self._connect()
        self._load_latest()

    def _defaults(self) -> Settings:
        """The Settings the profile starts from (the defaults when they cannot be read)."""
        return current_settings.or_defaults(self.job.data_dir)

    def _build(self) -> None:
        from desktop_app.services.profiler import default_models, projection

        chosen = self._defaults()
        spec = self.spec
        intro = plain_label("profileIntro")
        intro.setText(
            f"Runs {spec.display_name} on every sample in {spec.samples_dir.name}/ with each "
            "model. Nothing reaches the inbox; the calls count towards this month's spend."
        )
        self.models_edit = named(QLineEdit(), "profileModels")
        self.models_edit.setAccessibleName("Models to profile")
        self.models_edit.setText(
            ", ".join(default_models(spec, chosen.run_model(None), chosen.run_fallbacks()))
        )
        self.models_edit.setToolTip("One or more models, separated by commas")
        self.api_base_edit = named(QLineEdit(), "profileApiBase")
        self.api_base_edit.setAccessibleName("API base for the profile")
        self.api_base_edit.setPlaceholderText(
            chosen.api_base or spec.model.api_base or "the provider's own"
        )
        runs, basis = projection(spec)
        self.runs_edit = named(QLineEdit(), "profileRunsPerMonth")
        self.runs_edit.setAccessibleName("Runs per month")
        self.runs_edit.setPlaceholderText(
            f"{runs:,.0f} ({basis})" if runs is not None else "e.g. 300 (no schedule)"
        )
        self.start_button = named(QPushButton("Profile"), "startProfileButton")
        self.cancel_button = named(QPushButton("Cancel"), "cancelProfileButton")
        self.progress = named(QProgressBar(), "profileProgress")
        self.status = plain_label("profileStatus")

        self.figures = _table("profileTable", "Figures per model", list(FIGURES))
        header = self.figures.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.outputs = _table("profileOutputs", "Outputs side by side", ["Sample"])
        self.outputs.setWordWrap(True)
        self.outputs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.outputs.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.detail = named(QPlainTextEdit(readOnly=True), "profileOutputDetail")
        self.detail.setAccessibleName("The chosen output in full")
        self.detail.setPlaceholderText("Choose an output to read it in full")

        form = QFormLayout()
        form.addRow("Models", self.models_edit)
        form.addRow("API base", self.api_base_edit)
        form.addRow("Runs per month", self.runs_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        below = QSplitter(Qt.Orientation.Vertical)
        below.addWidget(self.figures)
        below.addWidget(self.outputs)
        below.addWidget(self.detail)
        below.setSizes([140, 320, 120])
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(below, 1)
        self.resize(980, 680)
        self._set_running(False)

    def _connect(self) -> None:
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.job.cancel)
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self.outputs.currentCellChanged.connect(lambda row, col, *_: self._show_output(row, col))

    def _load_latest(self) -> None:
        from desktop_app.services.profiler import latest_profile

        self._worker.submit(
            latest_profile,
            self.spec.name,
            on_done=self._show_stored,
            on_error=lambda exc: self.status.setText(f"Cannot read the last profile: {exc}"),
            context=self,
        )

    def _show_stored(self, profile: Profile | None) -> None:
        if profile is None or self.job.running:
            if profile is None:
                self.status.setText("Not profiled yet.")
            return
        when = (profile.finished_at or "")[:16].replace("T", " ")
        stale = profile.is_stale(self.spec)
        if not stale:
            self.models_edit.setText(", ".join(profile.models))
        self.status.setText(
            f"Last profile ({when} UTC) "
            + (
                "is for an older version of the spec: profile again to enable it."
                if stale
                else "is for this version of the spec."
            )
        )
        self.show_profile(profile)

    # --- running ---

    def start(self) -> None:
        from desktop_app.services.settings import parse_models

        if self.job.running:
            return
        models = list(parse_models(self.models_edit.text()))
        if not models:
            self.status.setText("Name at least one model.")
            return
        typed = self.runs_edit.text().strip().replace(",", "")
        runs = None
        if typed:
            try:
                runs = float(typed)
            except ValueError:
                self.status.setText(f"'{typed}' is not a number of runs per month.")
                return
        chosen = self._defaults()
        samples = sum(1 for p in self.spec.samples_dir.glob("*") if p.is_file())
        self.progress.setRange(0, max(1, samples * len(models)))
        self.progress.setValue(0)
        self.status.setText(f"Profiling on {len(models)} model(s)…")
        self._set_running(True)
        self.job.start_profile(
            self.spec,
            models,
            api_base=chosen.run_api_base(self.api_base_edit.text().strip()),
            runs_per_month=runs,
            global_month_cap=chosen.monthly_budget_usd,
        )

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        self.models_edit.setEnabled(not running)
        self.runs_edit.setEnabled(not running)
        self.api_base_edit.setEnabled(not running)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_finished(self, profile: Profile) -> None:
        self.job.wait()
        self._set_running(False)
        cheapest = min(  # (model, cost a run); the first of equals, as in the table
            ((r.model, r.cost_mean_usd) for r in profile.reports if r.cost_mean_usd is not None),
            key=lambda priced: priced[1],
            default=None,
        )
        text = f"Profile {profile.id} {profile.state}."
        if cheapest is not None and len(profile.reports) > 1:
            text += f" Cheapest: {cheapest[0]} at {usd(cheapest[1])} a run."
        self.status.setText(text)
        self.show_profile(profile)
        self.profiled.emit(self.spec.name)

    def _on_failed(self, message: str) -> None:
        self.job.wait()
        self._set_running(False)
        self.status.setText(f"The profile could not run: {message}")

    # --- showing ---

    def show_profile(self, profile: Profile) -> None:
        self.figures.setRowCount(0)
        for report in profile.reports:
            row = self.figures.rowCount()
            self.figures.insertRow(row)
            note = ""
            if not report.cost_known:
                note = (
                    "The price is unknown (served on this machine: not billed)"
                    if report.served_here
                    else "The price is unknown: give input_cost_per_mtok and "
                    "output_cost_per_mtok in the spec's [model]"
                )
            failed = ", ".join(f"{k} ×{v}" for k, v in report.failed_checks.items())
            if report.escalated:
                failed = ", ".join(filter(None, [failed, f"escalated ×{report.escalated}"]))
            failed = failed or "none"
            cells = (
                report.model,
                _money(report.cost_mean_usd),
                _money(report.cost_max_usd),
                _count(report.tokens_in_mean),
                _count(report.tokens_out_mean),
                _count(report.latency_p50_ms, " ms"),
                _count(report.latency_p95_ms, " ms"),
                f"{report.pass_rate:.0%} of {report.samples}",
                failed,
                _money(report.projected_month_usd)
                if report.projected_month_usd is not None or not report.cost_known
                else "–",
            )
            for column, text in enumerate(cells):
                item = _cell(text, note if column in (1, 2, 9) and note else "")
                if note and column in (1, 2, 9):
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.figures.setItem(row, column, item)
        models = list(profile.models)
        self.outputs.setColumnCount(1 + len(models))
        self.outputs.setHorizontalHeaderLabels(["Sample", *models])
        self.outputs.setRowCount(0)
        self._runs = {}
        for sample, by_model in profile.side_by_side():
            row = self.outputs.rowCount()
            self.outputs.insertRow(row)
            self.outputs.setItem(row, 0, _cell(sample))
            for column, model in enumerate(models, start=1):
                run = by_model.get(model)
                if run is None:
                    self.outputs.setItem(row, column, _cell("(not run)"))
                    continue
                self._runs[(sample, model)] = run
                verdict = self._verdict(run)
                item = _cell(run.output or "(no output)", verdict)
                if not run.passed:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.outputs.setItem(row, column, item)

    @staticmethod
    def _verdict(run: SampleRun) -> str:
        if run.passed:
            what = "passed every check"
        else:
            what = f"{run.status}: " + (run.reason or ", ".join(run.failed_checks) or "failed")
        cost = "cost unknown" if run.cost_usd is None else usd(run.cost_usd)
        latency = "" if run.latency_ms is None else f", {run.latency_ms} ms"
        return f"{run.model} · {what} · {cost}{latency}"

    def _show_output(self, row: int, column: int) -> None:
        if row < 0 or column < 1:
            self.detail.clear()
            return
        sample, model = self.outputs.item(row, 0), self.outputs.horizontalHeaderItem(column)
        if sample is None or model is None:  # the table is being filled
            self.detail.clear()
            return
        run = self._runs.get((sample.text(), model.text()))
        if run is None:
            self.detail.clear()
            return
        self.detail.setPlainText(f"{self._verdict(run)}\n\n{run.output}")

    def done(self, result: int) -> None:  # closing: stop the profile and wait for its thread
        if self.job.running:
            self.job.cancel()
            self.job.wait()
        super().done(result)
