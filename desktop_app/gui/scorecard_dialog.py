"""The Scorecard panel: one workflow's weeks at a glance — what became of its items, what
an approved output cost, how much people rewrite it — with its charts, and the report.

Figures and charts are made off the UI thread (a ``Job``); the charts are pygal's SVG
(``services/charts``), drawn by Qt's SVG renderer: the same charts as the report's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.figures import duration, percent
from desktop_app.core.money import usd_or_unknown
from desktop_app.gui.tasks import Database, Job
from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    from desktop_app.services.scorecard import Scorecard

PERIODS = (("Last 4 weeks", 4), ("Last 8 weeks", 8), ("Last 13 weeks", 13), ("Last 26 weeks", 26))
COLUMNS = ("Week of", "Made", "As is", "Edited", "Rejected", "Escalated", "Edit size",
           "Decided in", "Per run", "Per approved")  # fmt: skip


def _figures(db: Any, _report: Any, workflow: str, weeks: int, threshold: float | None) -> tuple:
    """On the job's thread: the scorecard, its charts and its drift."""
    from desktop_app.core.figures import weeks_back
    from desktop_app.services.charts import charts
    from desktop_app.services.drift import drift
    from desktop_app.services.scorecard import scorecard

    card = scorecard(db, workflow, since=weeks_back(weeks))
    return card, charts(card), drift(db, workflow, threshold)


def _write_report(
    db: Any, _report: Any, workflows_dir: Path, target: Path, cap: float | None
) -> Path:
    from desktop_app.services import report
    from desktop_app.services.spec_files import write_atomically

    since, until = report.default_period()
    write_atomically(
        target, report.build(db, workflows_dir, since=since, until=until, global_month_cap=cap)
    )
    return target


class ScorecardDialog(QDialog):
    def __init__(
        self,
        workflow: str,
        db_path: Database,
        workflows_dir: Path,
        *,
        cost_threshold: float | None = None,
        month_cap: float | None = None,
        parent: QWidget | None = None,
        data_dir: Path | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("scorecardDialog")
        self.setWindowTitle(f"Scorecard: {workflow}")
        self.workflow = workflow
        self._workflows_dir = workflows_dir
        self._threshold, self._cap = cost_threshold, month_cap
        self.job = Job(db_path, self, what="scorecard", data_dir=data_dir)
        self.report_job = Job(db_path, self, what="report", data_dir=data_dir)
        self._build()
        self.job.done.connect(self._show)
        self.job.failed.connect(self._failed)
        self.report_job.done.connect(
            lambda path: self.status.setText(f"Wrote the report to {path}")
        )
        self.report_job.failed.connect(self._failed)
        self.period.currentIndexChanged.connect(self.refresh)
        self.report_button.clicked.connect(self._ask_report)
        self.close_button.clicked.connect(self.close)
        self.resize(1180, 760)
        self.refresh()

    def _build(self) -> None:
        self.period = named(QComboBox(), "scorecardPeriod")
        self.period.setAccessibleName("Period")
        for label, _weeks in PERIODS:
            self.period.addItem(label)
        self.period.setCurrentIndex(1)
        self.summary = plain_label("scorecardSummary")
        self.summary.setWordWrap(True)
        self.drift = plain_label("scorecardDrift")
        self.drift.setStyleSheet("color: #b3261e; font-weight: 600;")
        self.drift.setWordWrap(True)
        self.outcome_chart = named(QSvgWidget(), "outcomeChart")
        self.cost_chart = named(QSvgWidget(), "costChart")
        for chart in (self.outcome_chart, self.cost_chart):
            chart.setMinimumSize(520, 245)
        self.table = named(QTableWidget(0, len(COLUMNS)), "scorecardTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.reasons = plain_label("scorecardReasons")
        self.reasons.setWordWrap(True)
        self.status = plain_label("scorecardStatus")
        self.report_button = named(QPushButton("Report…"), "reportButton")
        self.report_button.setToolTip(
            "This month's report as one HTML file: spend against the caps, every workflow's "
            "scorecard, escalations, every decision and the log's check"
        )
        self.close_button = named(QPushButton("Close"), "closeScorecardButton")

        top = QHBoxLayout()
        top.addWidget(QLabel("Items made in the"))
        top.addWidget(self.period)
        top.addStretch(1)
        charts = QHBoxLayout()
        charts.addWidget(self.outcome_chart)
        charts.addWidget(self.cost_chart)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.report_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.drift)
        layout.addLayout(charts)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reasons)
        layout.addLayout(buttons)

    def refresh(self) -> None:
        if self.job.running:
            return
        self.status.setText("Adding up…")
        weeks = PERIODS[self.period.currentIndex()][1]
        self.job.start(_figures, self.workflow, weeks, self._threshold)

    def _show(self, result: tuple) -> None:
        card, svgs, drifts = result
        self.status.setText("")
        self._summary(card)
        self.drift.setText("\n".join(f"Drift: {d.message}." for d in drifts))
        self.drift.setVisible(bool(drifts))
        padded = [*svgs, "", ""][:2]
        for chart, svg in zip((self.outcome_chart, self.cost_chart), padded, strict=True):
            if svg:
                chart.load(QByteArray(svg.encode("utf-8")))
            chart.setVisible(bool(svg))
        self.table.setRowCount(len(card.weeks))
        for row, w in enumerate(card.weeks):
            cells = (
                w.start,
                str(w.made),
                percent(w.rate(w.approved)),
                percent(w.rate(w.edited)),
                percent(w.rate(w.rejected)),
                percent(w.rate(w.escalated)),
                "-" if w.edit_chars_median is None else f"{w.edit_chars_median:g} chars",
                duration(w.decision_minutes_median),
                usd_or_unknown(w.cost_per_run),
                usd_or_unknown(w.cost_per_approved),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        reasons = " · ".join(f"{r} ({n})" for r, n in card.rejection_reasons[:8])
        self.reasons.setText(f"Rejected because: {reasons}" if reasons else "")

    def _summary(self, card: Scorecard) -> None:
        t = card.total
        if not t.made:
            self.summary.setText(f"No items made since {card.since}.")
            return
        self.summary.setText(
            f"{t.made:,} items since {card.since}: {percent(t.rate(t.approved))} approved as "
            f"they were, {percent(t.rate(t.edited))} edited, {percent(t.rate(t.rejected))} "
            f"rejected, {percent(t.rate(t.expired))} expired. An approved output cost "
            f"{usd_or_unknown(t.cost_per_approved)}; a decision took {duration(t.decision_minutes_median)} "
            f"(median); an edit changed {'-' if t.edit_chars_median is None else f'{t.edit_chars_median:g}'} "
            "characters (median)."
        )

    def _ask_report(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the report", str(Path.home() / "signoff-report.html"), "HTML (*.html)"
        )
        if path:
            self.write_report(Path(path))

    def write_report(self, target: Path) -> None:
        if target.suffix.lower() not in (".html", ".htm"):
            target = target.with_suffix(".html")
        self.status.setText("Writing the report…")
        self.report_job.start(_write_report, self._workflows_dir, target, self._cap)

    def _failed(self, text: str) -> None:
        self.status.setText(f"That did not work: {text}")

    def closeEvent(self, event: Any) -> None:
        for job in (self.job, self.report_job):
            job.wait(10)
        super().closeEvent(event)
