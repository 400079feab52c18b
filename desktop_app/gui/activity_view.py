"""The activity log: every event with filters, its full data, a verify action and export.

Verify and export run on a thread of their own (``Job``) with progress,
so a million-event log never freezes the window.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.search_query import parse
from desktop_app.core.visible import reveal
from desktop_app.gui.activity_model import ActivityModel
from desktop_app.gui.highlight import highlight
from desktop_app.gui.lazy_model import QueryLoader
from desktop_app.gui.search_problem import problem_label, say_problem, workflow_names
from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import find_shortcut, list_table, named, plain_label
from desktop_app.storage import eventlog, spec_versions

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.gui.tasks import Database, Report
    from desktop_app.storage.db import DatabaseLike

ANY_DATE = QDate(2000, 1, 1)
EXPORT_FILTERS = {
    "CSV (*.csv)": "csv",
    "JSON lines (*.jsonl)": "jsonl",
    "HTML report (*.html)": "html",
}


def describe(event: eventlog.Event) -> str:
    """An event's full data for a person: long texts (prompts, answers, diffs) as they are."""
    lines = [
        f"Event {event.seq} · {event.kind} · {event.ts}",
        f"workflow: {event.workflow or '-'} · run: {event.run_id or '-'} · item: {event.item_id or '-'}",
        "",
    ]
    try:
        detail = json.loads(event.detail)
    except ValueError:
        detail = {"detail": event.detail}
    if not isinstance(detail, dict):
        detail = {"detail": detail}
    for key, value in detail.items():
        if key == "messages" and isinstance(value, list):
            lines.append("messages:")
            for message in value:
                role = message.get("role", "?") if isinstance(message, dict) else "?"
                content = message.get("content", "") if isinstance(message, dict) else str(message)
                lines.extend(
                    [f"  [{role}]", *(f"    {ln}" for ln in str(content).splitlines()), ""]
                )
        elif isinstance(value, str) and "\n" in value:
            lines.extend([f"{key}:", *(f"    {ln}" for ln in value.splitlines())])
        elif isinstance(value, (dict, list)):
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            lines.append(f"{key}: {'none' if value is None else value}")
    lines.extend(["", f"prev_hash: {event.prev_hash}", f"hash:      {event.hash}"])
    return "\n".join(lines)


def _verify(db: sqlite_utils.Database, report: Report) -> eventlog.VerifyResult:
    return eventlog.verify(db)


def _export(
    db: sqlite_utils.Database, report: Report, fmt: str, path: Path, filters: dict
) -> tuple[int, Path]:
    """On the job's thread: write the export under a temporary name, report percent done, rename."""
    from desktop_app.storage.export import export

    total = max(1, eventlog.count_events(db, eventlog.EventQuery(**filters)))
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            result = export(
                db, fmt, fh, progress=lambda n: report(min(100, n * 100 // total)), **filters
            )
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return result.count, path


class ActivityView(QWidget):
    message = Signal(str)

    def __init__(self, db: DatabaseLike, db_path: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self._db = db
        self.model = ActivityModel(db, self)
        self.job = Job(db_path, self)
        self.loader = QueryLoader(self.model, db_path, self)  # searches, off the UI thread
        self._build()
        self._connect()
        self._select(0)

    def _build(self) -> None:
        self.workflow_filter = named(QComboBox(), "activityWorkflow")
        self.workflow_filter.setAccessibleName("Workflow")
        self.kind_filter = named(QComboBox(), "activityKind")
        self.kind_filter.setAccessibleName("Event kind")
        self.since = self._date_edit("activitySince", "From")
        self.until = self._date_edit("activityUntil", "Up to and including")
        self.search = named(
            QLineEdit(placeholderText='Search: words, "a phrase", -word, by: model: status:…'),
            "activitySearch",
        )
        self.search.setAccessibleName("Search the log")
        self.search.setToolTip(
            'Every word must appear in the event\'s data; "a phrase" together; -word must not.\n'
            "Filters: workflow:NAME by:PERSON model:TEXT status:STATUS (of the item) "
            "after:YYYY-MM-DD before:YYYY-MM-DD.\nPrompts are not searched: their inputs are "
            "the items' (search them in the Inbox)."
        )
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self._fill_choices()

        filters = QHBoxLayout()
        for widget in (
            self.workflow_filter,
            self.kind_filter,
            QLabel("from"),
            self.since,
            QLabel("to"),
            self.until,
        ):
            filters.addWidget(widget)
        filters.addWidget(self.search, 1)
        self.search_problem = problem_label("activitySearchProblem")

        self.table = list_table(
            "activityView", "Activity log", self.model, titles=self.model.COLUMNS
        )
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 60), (1, 140), (2, 120), (3, 130), (4, 45), (5, 45)):
            self.table.setColumnWidth(column, width)

        self.detail = named(QPlainTextEdit(), "eventDetail")
        self.detail.setAccessibleName("Event data")
        self.detail.setReadOnly(True)
        self.detail.setFont(QFont("monospace"))
        self.verify_button = named(QPushButton("Verify the log"), "verifyLogButton")
        self.export_button = named(QPushButton("Export…"), "exportLogButton")
        self.export_button.setAccessibleName("Export the log")
        self.progress = named(QProgressBar(), "activityProgress")
        self.result = plain_label("activityResult")

        actions = QHBoxLayout()
        actions.addWidget(self.verify_button)
        actions.addWidget(self.export_button)
        actions.addWidget(self.progress, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.detail, 1)
        right_layout.addLayout(actions)
        right_layout.addWidget(self.result)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.search_problem)
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([700, 480])
        QVBoxLayout(self).addWidget(splitter)
        self.progress.hide()

    @staticmethod
    def _date_edit(name: str, accessible: str) -> QDateEdit:
        edit = named(QDateEdit(), name)
        edit.setAccessibleName(accessible)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(ANY_DATE)
        edit.setSpecialValueText("any")  # shown at the minimum date: no limit
        edit.setDate(ANY_DATE)
        return edit

    def _fill_choices(self) -> None:
        for combo, everything, values in (
            (self.workflow_filter, "All workflows", spec_versions.workflow_names(self._db)),
            (self.kind_filter, "All events", eventlog.kinds(self._db)),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)

    def _connect(self) -> None:
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._show(current.row())
        )
        for combo in (self.workflow_filter, self.kind_filter):
            combo.currentIndexChanged.connect(self.apply_filters)
        for edit in (self.since, self.until):
            edit.dateChanged.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self._search_timer.timeout.connect(self.apply_filters)
        self.loader.shown.connect(lambda: self._select(0))
        self.loader.failed.connect(self.message)
        find_shortcut(self, self.search)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self._ask_export)
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)

    # --- list and detail ---

    def filters(self) -> dict:
        since, until = self.since.date(), self.until.date()
        return {
            "workflow": self.workflow_filter.currentData(),
            "since": since.toString("yyyy-MM-dd") if since > ANY_DATE else None,
            "until": until.addDays(1).toString("yyyy-MM-dd") if until > ANY_DATE else None,
        }

    def apply_filters(self) -> None:
        if say_problem(
            self.search_problem, self.search.text(), workflow_names(self.workflow_filter)
        ):
            return
        f = self.filters()
        query = eventlog.EventQuery(
            workflow=f["workflow"],
            kind=self.kind_filter.currentData(),
            since=f["since"],
            until=f["until"],
            text=self.search.text(),
        )
        self.loader.apply(query, searched=bool(query.text.strip()))

    @property
    def searching(self) -> bool:
        """A search was typed and its results are not shown yet."""
        return self.loader.searching

    def reload(self) -> None:
        """New events exist: re-read, newest first."""
        self._fill_choices()
        self.model.refresh()
        self._select(0)

    def _select(self, row: int) -> None:
        if self.model.rowCount() == 0:
            self.detail.setPlainText("No events match." if self.model.key(0) is None else "")
            return
        self.table.selectRow(max(0, min(row, self.model.rowCount() - 1)))
        self._show(self.table.currentIndex().row())

    def _show(self, row: int) -> None:
        event = self.model.event_at(row)
        self.detail.setPlainText(reveal(describe(event)) if event else "")
        text = self.model.query.text
        highlight(self.detail, parse(text).terms if text and event else ())

    # --- verify and export ---

    def verify(self) -> None:
        if self.job.running:
            return
        self._busy("Verifying the log…", maximum=0)
        self.job.start(_verify)

    def _ask_export(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export the activity log",
            str(Path.home() / "signoff-activity.csv"),
            ";;".join(EXPORT_FILTERS),
        )
        if path:
            suffix = Path(path).suffix.lower().lstrip(".")
            fmt = (
                suffix if suffix in ("csv", "jsonl", "html") else EXPORT_FILTERS.get(chosen, "csv")
            )
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> None:
        """Export what the filters show (workflow and dates) to ``path``, with progress."""
        if self.job.running:
            return
        self._busy(f"Exporting to {path.name}…", maximum=100)
        self.job.start(_export, fmt, path, self.filters())

    def _busy(self, text: str, *, maximum: int) -> None:
        self.result.setStyleSheet("")
        self.result.setText(text)
        self.progress.setRange(0, maximum)
        self.progress.setValue(0)
        self.progress.show()
        self.verify_button.setEnabled(False)
        self.export_button.setEnabled(False)

    def _idle(self) -> None:
        self.job.wait()
        self.progress.hide()
        self.verify_button.setEnabled(True)
        self.export_button.setEnabled(True)

    def _on_progress(self, done: int, total: int) -> None:
        if self.progress.maximum():
            self.progress.setValue(done * 100 // max(1, total))

    def _on_done(self, result: eventlog.VerifyResult | tuple[int, Path]) -> None:
        self._idle()
        if isinstance(result, eventlog.VerifyResult):
            good = result.ok
            text = ("Verified: " if good else "The log was altered: ") + result.message
            self.result.setStyleSheet(
                "color: #1e7b3c;" if good else "color: #b3261e; font-weight: bold;"
            )
        else:
            count, path = result
            text = f"Exported {count:,} events to {path}"
        self.result.setText(text)
        self.message.emit(text)

    def _on_failed(self, message: str) -> None:
        self._idle()
        self.result.setStyleSheet("color: #b3261e;")
        self.result.setText(f"That did not work: {message}")
