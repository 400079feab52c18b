"""The workflows: completeness, model, last run, pending, month's cost; the selected one's
schedule, profile, budget and drift, its files, and Run now (``run_panel``).

The list is read on the writer thread (scanning specs loads Jinja2 and
jsonschema, and records new spec versions) and reloaded when a spec file
changes on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QFileSystemWatcher, QSortFilterProxyModel, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import KnownError
from desktop_app.core.money import usd
from desktop_app.gui import current_settings
from desktop_app.gui.run_panel import RunPanel
from desktop_app.gui.tasks import DbWorker
from desktop_app.gui.widgets import list_table, named, plain_label

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.core.paths import Paths
    from desktop_app.core.spec_model import Spec
    from desktop_app.gui.new_workflow_dialog import NewWorkflowDialog
    from desktop_app.gui.profile_dialog import ProfileDialog
    from desktop_app.gui.spec_editor import SpecEditor
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.services.settings import Settings

COLUMNS = ("Workflow", "Complete", "Model", "Schedule", "Last run", "Pending", "This month")


def _reflow(text: str) -> str:
    """A spec's multi-line text as paragraphs: its hard line breaks would fight the label's wrapping."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def _schedule_cell(row: dict) -> str:
    if not row["schedule"]:
        return "on demand"
    return f"{row['schedule']} · {'on' if row['enabled'] else 'off'}"


def _month_cell(row: dict, spec: Spec | None) -> str:
    spent = usd(row["month_cost_usd"])
    cap = spec.budget.max_cost_per_month if spec is not None and spec.budget else None
    return spent if cap is None else f"{spent} of {usd(cap)}"


def _local(stamp: str | None) -> str:
    """An ISO 8601 UTC stamp as local 'Mon 25 Nov 14:00'."""
    if not stamp:
        return ""
    from datetime import datetime

    when = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    return when.strftime("%a %d %b %H:%M")


def _load(
    db: sqlite_utils.Database, workflows_dir: Path, threshold: float | None
) -> tuple[list[dict], dict[str, Spec | None]]:
    """On the writer thread: every workflow's overview and its loaded spec (None when invalid)."""
    from desktop_app.services import overview

    return overview.survey(db, workflows_dir, threshold)


class WorkflowsView(QWidget):
    items_made = Signal()  # new items exist: the inbox should reload
    message = Signal(str)
    switched = Signal(str, bool)  # a workflow's schedule was turned on / off
    pause_toggled = Signal(bool)  # "Pause all schedules"
    drifted = Signal(list)  # notices: a workflow has newly got worse (services/drift)

    def __init__(
        self,
        paths: Paths,
        worker: DbWorker,
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
    ):
        super().__init__(parent)
        self._paths = paths
        self._worker = worker
        self._rows: list[dict] = []
        self._specs: dict[str, Spec | None] = {}
        self._told_drift: set[tuple[str, str]] = set()  # (workflow, kind) told this session
        self._select_after_reload: str | None = None  # a renamed workflow stays selected
        self.gateway = gateway
        self.editor: SpecEditor | None = None
        self.profile_dialog: ProfileDialog | None = None
        self.scorecard_dialog: QDialog | None = None
        self._build()
        self._connect()
        self.reload()

    def _build(self) -> None:
        self._build_list()
        self._build_title_and_buttons()
        self._build_schedule_lines()
        self.run_panel = RunPanel(self._paths, self._selected_spec, gateway=self.gateway)
        self._lay_out()
        self.watcher = QFileSystemWatcher(self)
        self._reload_timer = QTimer(self, singleShot=True, interval=300)

    def _build_list(self) -> None:
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = list_table("workflowsView", "Workflows", self.proxy)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The long texts share what is left and are elided (full text in the tooltip), so
        # the list never scrolls sideways.
        for column in (COLUMNS.index("Workflow"), COLUMNS.index("Model")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)

    def _build_title_and_buttons(self) -> None:
        """The selected workflow's title and what to do with its spec and files."""
        self.title = plain_label("workflowTitle")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.purpose = plain_label("workflowPurpose")
        self.problems = plain_label("workflowProblems")
        self.problems.setStyleSheet("color: #b3261e;")
        self.new_button = named(QPushButton("New workflow…"), "newWorkflowButton")
        self.new_button.setToolTip("Define a workflow: blank, from an example, or a copy")
        self.edit_button = named(QPushButton("Edit…"), "editWorkflowButton")
        self.edit_button.setToolTip("Its purpose, inputs, criteria, output contract and more")
        self.manage_button = named(QPushButton("More"), "manageWorkflowButton")
        manage = QMenu(self.manage_button)
        self.rename_action = named(manage.addAction("Rename…"), "renameWorkflowAction")
        self.archive_action = named(manage.addAction("Archive"), "archiveWorkflowAction")
        self.archive_action.setToolTip("Hide it (its items and log stay); signoff unarchive")
        self.delete_action = named(manage.addAction("Delete…"), "deleteWorkflowAction")
        manage.addSeparator()
        self.unarchive_action = named(manage.addAction("Unarchive…"), "unarchiveWorkflowAction")
        self.manage_button.setMenu(manage)
        self.open_button = named(QPushButton("Open the file"), "openSpecButton")
        self.open_button.setToolTip("Open workflow.toml in your text editor")
        self.profile_button = named(QPushButton("Cost profile…"), "profileButton")
        self.scorecard_button = named(QPushButton("Scorecard…"), "scorecardButton")
        self.scorecard_button.setToolTip(
            "Week by week: approved as is, edited, rejected; cost per approved output; drift"
        )
        self.profile_button.setToolTip(
            "Run its samples on one or more models: cost, latency, pass rate, outputs side by side"
        )

    def _build_schedule_lines(self) -> None:
        """The schedule switches, and the lines on its schedule, profile, budget and drift."""
        self.pause_box = named(QCheckBox("Pause all schedules"), "pauseSchedulesBox")
        self.pause_box.setToolTip(
            "No scheduled runs until unticked (missed slots follow each catch_up rule)"
        )
        self.enable_switch = named(QCheckBox("Run on its schedule"), "enableSwitch")
        self.enable_switch.setAccessibleName("Enable the schedule")
        self.schedule_status = plain_label("scheduleStatus")
        self.budget_status = plain_label("budgetStatus")
        self.drift_status = plain_label("driftStatus")
        self.drift_status.setStyleSheet("color: #b3261e;")
        self.drift_status.hide()

    def _lay_out(self) -> None:
        """The list beside the selected workflow's panel; New workflow and Pause below."""
        panel = QWidget()
        panel_layout = QVBoxLayout(panel)
        for widget in (self.title, self.purpose, self.problems):
            panel_layout.addWidget(widget)
        spec_row = QHBoxLayout()
        spec_row.addWidget(self.edit_button)
        spec_row.addWidget(self.profile_button)
        spec_row.addWidget(self.scorecard_button)
        spec_row.addWidget(self.open_button)
        spec_row.addWidget(self.manage_button)
        spec_row.addStretch(1)
        panel_layout.addLayout(spec_row)
        panel_layout.addWidget(self.enable_switch)
        panel_layout.addWidget(self.schedule_status)
        panel_layout.addWidget(self.budget_status)
        panel_layout.addWidget(self.drift_status)
        panel_layout.addWidget(self.run_panel)
        panel_layout.addStretch(1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([720, 460])
        outer = QVBoxLayout(self)
        outer.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.new_button)
        bottom.addStretch(1)
        bottom.addWidget(self.pause_box)
        outer.addLayout(bottom)

    def _connect(self) -> None:
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.watcher.directoryChanged.connect(lambda _path: self._reload_timer.start())
        self.watcher.fileChanged.connect(lambda _path: self._reload_timer.start())
        self._reload_timer.timeout.connect(self.reload)
        self.open_button.clicked.connect(self._open_spec)
        self.new_button.clicked.connect(self.new_workflow)
        self.edit_button.clicked.connect(self.edit_selected)
        self.archive_action.triggered.connect(self.archive_selected)
        self.rename_action.triggered.connect(self.ask_rename)
        self.delete_action.triggered.connect(self.ask_delete)
        self.unarchive_action.triggered.connect(self.ask_unarchive)
        self.profile_button.clicked.connect(self.open_profile)
        self.scorecard_button.clicked.connect(self.open_scorecard)
        self.enable_switch.clicked.connect(self._switch)
        self.pause_box.toggled.connect(self.pause_toggled)
        self.run_panel.items_made.connect(self.items_made)
        self.run_panel.message.connect(self.message)
        self.run_panel.ended.connect(self.reload)

    # --- the list ---

    def reload(self) -> None:
        self._worker.submit(
            _load,
            self._paths.workflows_dir,
            self._defaults().max_cost_per_approved_usd,
            on_done=self._show_rows,
            on_error=lambda exc: self.run_panel.run_status.setText(
                f"Cannot read the workflows: {exc}"
            ),
            context=self,
        )

    def _show_rows(self, loaded: tuple[list[dict], dict[str, Spec | None]]) -> None:
        rows, specs = loaded
        selected = self._select_after_reload or self.selected_name()
        self._select_after_reload = None
        self._rows, self._specs = rows, specs
        self.model.setRowCount(0)
        chosen = self._defaults().model  # Settings' model replaces every spec's own
        for row in rows:
            complete = (
                "yes" if row["complete"] else ("invalid" if not row["valid"] else "missing parts")
            )
            last = row["last_run"]
            cells = (
                row["name"],
                complete,
                f"{chosen} (Settings)" if chosen else row["model"] or "",
                _schedule_cell(row),
                f"{last['state']} {last['started_at'][5:16].replace('T', ' ')}"
                if last
                else "never",
                str(row["pending"]),
                _month_cell(row, specs.get(row["name"])),
            )
            items = [QStandardItem(text) for text in cells]
            for item in items:
                item.setToolTip(item.text())
            if not row["complete"]:
                items[1].setForeground(Qt.GlobalColor.darkRed)
            self.model.appendRow(items)
        files = [str(self._paths.workflows_dir)] + [r["path"] for r in rows]
        if self._paths.workflows_dir.is_dir():
            old = self.watcher.files() + self.watcher.directories()
            if old:
                self.watcher.removePaths(old)
            self.watcher.addPaths([f for f in files if Path(f).exists()])
        names = [r["name"] for r in rows]
        self._select(names.index(selected) if selected in names else 0)
        self._tell_drift(rows)

    def _tell_drift(self, rows: list[dict]) -> None:
        """A notice for drift not told yet in this session (told again once it went away)."""
        from desktop_app.services.notices import from_drift

        now = {(r["name"], d["kind"]): d for r in rows for d in r["drift"]}
        new = [key for key in now if key not in self._told_drift]
        self._told_drift = set(now)
        notices = [n for key in new for n in from_drift(key[0], [now[key]])]
        if notices:
            self.drifted.emit(notices)

    def _select(self, row: int) -> None:
        if self.proxy.rowCount() == 0:
            self._show_selected()
            return
        self.table.selectRow(max(0, min(row, self.proxy.rowCount() - 1)))
        self._show_selected()

    def selected_name(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.proxy.index(index.row(), 0).data()

    def _selected_spec(self) -> Spec | None:
        """The selected workflow's spec (None: none selected, or its spec is invalid)."""
        return self._specs.get(self.selected_name() or "")

    def select_workflow(self, name: str) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data() == name:
                self._select(row)
                return

    def _show_selected(self) -> None:
        name = self.selected_name()
        row = next((r for r in self._rows if r["name"] == name), None)
        spec = self._specs.get(name) if name else None
        if row is None:
            self.title.setText("No workflows yet")
            self.purpose.setText(
                f"Add a folder with a workflow.toml to {self._paths.workflows_dir}"
            )
            self.problems.setText("")
            self.run_panel.run_button.setEnabled(False)
            return
        self.title.setText(row["title"])
        self.purpose.setText(_reflow(spec.purpose) if spec else "")
        lines = [f"Missing: {m}" for m in row["missing"]] + row["problems"]
        self.problems.setText("\n".join(lines))
        self.run_panel.show_workflow()
        self.profile_button.setEnabled(bool(spec and spec.complete))
        self.scorecard_button.setEnabled(True)
        self._show_switch(row, spec)
        drift = "\n".join(f"Drift: {d['message']}." for d in row.get("drift", []))
        if row.get("elsewhere"):
            drift = "\n".join(filter(None, (drift, f"Spec: {row['elsewhere']}.")))
        self.drift_status.setText(drift)
        self.drift_status.setVisible(bool(drift))

    def _show_switch(self, row: dict, spec: Spec | None) -> None:
        self.enable_switch.setEnabled(bool(spec and spec.schedule))
        self.enable_switch.setChecked(bool(row.get("enabled")))
        if spec is None or spec.schedule is None:
            self.schedule_status.setText("On demand only: the spec has no [schedule].")
        elif row.get("enabled"):
            upcoming = _local(row.get("next_run"))
            self.schedule_status.setText(
                f"On: {row['schedule']}" + (f", next run {upcoming}." if upcoming else ".")
            )
        else:
            self.schedule_status.setText(f"Off ({row['schedule']}).")
        profile = row.get("profile")
        if profile is None:
            text = "Not profiled yet: a cost profile is needed before it can be enabled."
        else:
            parts = []
            for m in profile["models"]:
                per_run = m["cost_mean_usd"]
                month = m["projected_month_usd"]
                parts.append(
                    f"{m['model']}: "
                    + (
                        ("not billed (on this machine)" if m.get("served_here") else "cost unknown")
                        if per_run is None
                        else f"{usd(per_run)} a run"
                    )
                    + ("" if month is None else f", about {usd(month)} a month")
                )
            state = "" if profile["current"] else " (for an older version of the spec)"
            text = f"Profile{state}: " + "; ".join(parts)
        caps = []
        if spec is not None and spec.budget is not None:
            b = spec.budget
            for label, value in (
                ("run", b.max_cost_per_run),
                ("day", b.max_cost_per_day),
                ("month", b.max_cost_per_month),
            ):
                if value is not None:
                    caps.append(f"{usd(value)} a {label}")
        spent = f"Spent this month: {usd(row['month_cost_usd'])}"
        spent += f" · caps: {', '.join(caps)}" if caps else " · no budget caps in its spec"
        self.budget_status.setText(f"{text}\n{spent}")

    def _switch(self, on: bool) -> None:
        from desktop_app.services import switches

        spec = self._selected_spec()
        if spec is None:
            return
        chosen = self._defaults()
        self.enable_switch.setEnabled(False)
        model, cap = chosen.run_model(None), chosen.monthly_budget_usd

        def call(db: sqlite_utils.Database) -> object:
            if on:
                return switches.enable(db, spec, model=model, global_month_cap=cap)
            return switches.disable(db, spec.name)

        self._worker.submit(
            call, on_done=lambda _r: self._switched(spec.name, on), on_error=self._refused,
            context=self,
        )  # fmt: skip

    def _switched(self, name: str, on: bool) -> None:
        text = f"{name}: schedule {'on' if on else 'off'}"
        self.message.emit(text)
        self.switched.emit(name, on)
        self.reload()

    def _refused(self, exc: BaseException) -> None:
        self.enable_switch.setEnabled(True)
        self.enable_switch.setChecked(False)
        self.schedule_status.setText(str(exc))
        self.message.emit(str(exc))

    def open_profile(self) -> None:
        """The Profile panel for the chosen workflow (one at a time, kept until closed)."""
        from desktop_app.gui.profile_dialog import ProfileDialog

        spec = self._selected_spec()
        if spec is None:
            return
        if self.profile_dialog is not None:
            self.profile_dialog.close()
        dialog = ProfileDialog(
            spec,
            self._paths.database,
            self._worker,
            self,
            gateway=self.gateway,
            data_dir=self._paths.data_dir,
        )
        self.profile_dialog = dialog
        dialog.profiled.connect(lambda _name: self.reload())
        dialog.show()

    def open_scorecard(self) -> None:
        """The Scorecard panel for the chosen workflow (one at a time, kept until closed)."""
        from desktop_app.gui.scorecard_dialog import ScorecardDialog

        name = self.selected_name()
        if not name:
            return
        if self.scorecard_dialog is not None:
            self.scorecard_dialog.close()
        chosen = self._defaults()
        dialog = ScorecardDialog(
            name,
            self._paths.database,
            self._paths.workflows_dir,
            cost_threshold=chosen.max_cost_per_approved_usd,
            month_cap=chosen.monthly_budget_usd,
            parent=self,
            data_dir=self._paths.data_dir,
        )
        self.scorecard_dialog = dialog
        dialog.show()

    def new_workflow(self) -> None:
        from desktop_app.gui.new_workflow_dialog import NewWorkflowDialog

        dialog = NewWorkflowDialog(self._paths.workflows_dir, self)
        dialog.accepted.connect(lambda: self._accepted(dialog))
        self.new_dialog = dialog
        dialog.open()

    def _accepted(self, dialog: NewWorkflowDialog) -> None:
        if dialog.drafting:
            self.draft_workflow(dialog.name, dialog.description.toPlainText(), dialog.examples)
        else:
            self._create(dialog.name, dialog.source)

    def draft_workflow(self, name: str, description: str, examples: list[Path]) -> None:
        """The model drafts the spec (off the UI thread); it opens in the editor, unsaved."""
        from desktop_app.gui.draft_job import DraftJob

        self.draft_job = DraftJob(
            self._paths.database, self, gateway=self.gateway, data_dir=self._paths.data_dir
        )
        self.draft_job.done.connect(self._drafted)
        self.draft_job.failed.connect(
            lambda text: self.message.emit(f"The draft of '{name}' could not be made: {text}")
        )
        self.message.emit(f"The model is drafting '{name}'…")
        self.draft_job.start_draft(self._paths.workflows_dir, name, description, examples)

    def _drafted(self, made: tuple[Path, str]) -> None:
        path, text = made
        self.open_editor(path)
        if self.editor is not None:
            self.editor.show_draft(text)

    def _create(self, name: str, source: str | None) -> None:
        from desktop_app.services import workflow_files

        self._change_files(
            f"create '{name}'",
            lambda db: workflow_files.new_workflow(
                db, self._paths.workflows_dir, name, from_existing=source
            ),
            self.open_editor,
        )

    def _change_files(
        self, doing: str, change: Callable[[Any], Any], on_done: Callable[[Any], Any]
    ) -> None:
        """A change to the workflows' folders (``services.workflow_files``) on the writer
        thread; a refusal is said in the status bar: "Cannot <doing>: <why>"."""
        self._worker.submit(
            change,
            on_done=on_done,
            on_error=lambda exc: self.message.emit(f"Cannot {doing}: {exc}"),
            context=self,
        )

    def edit_selected(self) -> None:
        name = self.selected_name()
        if name:
            self.open_editor(self._paths.workflows_dir / name / "workflow.toml")

    def open_editor(self, path: Path) -> None:
        """The spec editor on ``path`` (one at a time, kept until closed)."""
        from desktop_app.gui.spec_editor import SpecEditor

        if self.editor is not None:
            self.editor.close()
        try:
            editor = SpecEditor(
                path,
                self._paths.database,
                self._worker,
                self,
                gateway=self.gateway,
                data_dir=self._paths.data_dir,
            )
        except KnownError as exc:
            self.message.emit(str(exc))
            return
        self.editor = editor
        editor.saved.connect(lambda _name: self.reload())
        editor.show()
        self.reload()

    def archive_selected(self) -> None:
        from desktop_app.services import workflow_files

        name = self.selected_name()
        if not name:
            return
        self._change_files(
            f"archive '{name}'",
            lambda db: workflow_files.archive(db, self._paths.workflows_dir, name),
            lambda _path: self._archived(name),
        )

    def ask_rename(self) -> None:
        name = self.selected_name()
        if not name:
            return
        dialog = named(QInputDialog(self), "renameWorkflowDialog")
        dialog.setWindowTitle(f"Rename {name}")
        dialog.setLabelText("New name (a-z, 0-9 and '-'); its items and history follow it:")
        dialog.setTextValue(name)
        dialog.textValueSelected.connect(lambda new: self.rename(name, new.strip()))
        dialog.open()

    def rename(self, old: str, new: str) -> None:
        from desktop_app.services import workflow_files

        if not new or new == old:
            return
        self._change_files(
            f"rename '{old}'",
            lambda db: workflow_files.rename(db, self._paths.workflows_dir, old, new),
            lambda _path: self._renamed(new),
        )

    def _renamed(self, new: str) -> None:
        """A workflow back under ``new`` (renamed, unarchived): listed and selected."""
        self.message.emit(f"'{new}' is in the list")
        self._select_after_reload = new
        self.reload()

    def ask_delete(self) -> None:
        name = self.selected_name()
        if not name:
            return
        box = named(
            QMessageBox(
                QMessageBox.Icon.Warning,
                f"Delete {name}",
                f"Delete '{name}' and its folder for good? Only a workflow that never made "
                "an item can be deleted; one that did can be archived.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self,
            ),
            "deleteWorkflowDialog",
        )
        box.accepted.connect(lambda: self.delete(name))
        box.open()

    def delete(self, name: str) -> None:
        from desktop_app.services import workflow_files

        self._change_files(
            f"delete '{name}'",
            lambda db: workflow_files.delete(db, self._paths.workflows_dir, name),
            lambda _none: self._deleted(name),
        )

    def ask_unarchive(self) -> None:
        from desktop_app.services import workflow_files

        names = workflow_files.archived(self._paths.workflows_dir)
        if not names:
            self.message.emit("No archived workflows")
            return
        dialog = named(QInputDialog(self), "unarchiveWorkflowDialog")
        dialog.setWindowTitle("Unarchive")
        dialog.setLabelText("Bring back:")
        dialog.setComboBoxItems(names)
        dialog.textValueSelected.connect(self.unarchive)
        dialog.open()

    def unarchive(self, name: str) -> None:
        from desktop_app.services import workflow_files

        self._change_files(
            f"unarchive '{name}'",
            lambda db: workflow_files.unarchive(db, self._paths.workflows_dir, name),
            lambda _path: self._renamed(name),
        )

    def _deleted(self, name: str) -> None:
        self.message.emit(f"'{name}' deleted")
        self.reload()

    def _archived(self, name: str) -> None:
        self.message.emit(
            f"'{name}' archived: hidden, its items and log kept (More › Unarchive… brings it back)"
        )
        self.reload()

    def _defaults(self) -> Settings:
        """The Settings runs go by (the defaults when they cannot be read)."""
        return current_settings.or_defaults(self._paths.data_dir)

    def _open_spec(self) -> None:
        row = next((r for r in self._rows if r["name"] == self.selected_name()), None)
        if row:
            QDesktopServices.openUrl(QUrl.fromLocalFile(row["path"]))
