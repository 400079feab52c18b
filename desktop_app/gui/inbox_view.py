"""The inbox: every workflow's items in one list, the selected one in full, decided by key or button.

Keys on the list: ``A`` approve, ``E`` edit, ``R`` reject, ``J``/``K`` (and the
arrows) next / previous. While editing: ``Ctrl+Enter`` saves the edit and
approves, ``Esc`` cancels. Decisions are written by the services on the
writer thread; the list then reloads and the next item is selected.
Model text is only ever shown as plain text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.money import cost_text, item_answered
from desktop_app.core.search_query import nothing_found, parse
from desktop_app.core.states import OPEN_ITEM_STATES, UNDO_WINDOW_S, ItemState
from desktop_app.core.visible import reveal
from desktop_app.gui.inbox_model import InboxModel
from desktop_app.gui.lazy_model import QueryLoader
from desktop_app.gui.qt_values import ALIGN_CENTER, WIDGET_WITH_CHILDREN_SHORTCUT, set_enum
from desktop_app.gui.search_problem import problem_label, say_problem, workflow_names
from desktop_app.gui.tasks import DbWorker
from desktop_app.gui.widgets import find_shortcut, list_table, named, plain_label, shortcut
from desktop_app.storage import actions as action_rows
from desktop_app.storage import item_pages, item_rows, spec_versions

if TYPE_CHECKING:
    from pathlib import Path

    import sqlite_utils

    from desktop_app.storage.db import DatabaseLike
    from desktop_app.storage.item_rows import Item

STATUS_FILTERS = (
    ("Awaiting decision", ("pending", "escalated")),
    ("Escalated", ("escalated",)),
    ("Pending", ("pending",)),
    ("Approved", ("approved",)),
    ("Rejected", ("rejected",)),
    ("Expired", ("expired",)),
    ("All", ("pending", "escalated", "approved", "rejected", "expired")),
)


def _text_box(object_name: str, accessible: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setObjectName(object_name)
    box.setAccessibleName(accessible)
    box.setReadOnly(True)
    box.setTabChangesFocus(True)
    return box


def _decide(
    db: sqlite_utils.Database, verb: str, ids: list[int], data_dir: Path | None, text: str | None
) -> list[int]:
    """On the writer thread: every id decided in one transaction (none when one fails), by
    the name in Settings (``settings --name``), else the login name.

    ``decisions`` (and the event log's hashing) is imported here, on first use, not at the
    window's start."""
    from desktop_app.gui import current_settings
    from desktop_app.services import decisions

    by = current_settings.or_defaults(data_dir).decider() if data_dir is not None else None
    return decisions.decide_many(db, verb, ids, by=by, text=text)


class InboxView(QWidget):
    """List + detail pane. ``decided`` fires after each decision is stored (for the status bar)."""

    decided = Signal(str, list)  # verb, item ids
    message = Signal(str)
    compare_requested = Signal(dict)  # the item shown: compare its input on another model
    retry_action = Signal(int)  # an approved item whose action failed: try it again
    keep_example = Signal(int)  # an edited or rejected item: keep it as an example

    def __init__(
        self,
        db: DatabaseLike,
        worker: DbWorker,
        parent: QWidget | None = None,
        *,
        data_dir: Path | None = None,
    ):
        """``data_dir``: where the Settings name the decider (None: the login name)."""
        super().__init__(parent)
        self._db = db
        self._worker = worker
        self._data_dir = data_dir
        self._current: Item | None = None
        self._mode = "browse"  # browse | edit | reject
        self._marked = False  # a search's matches are marked in the item's texts

        self.model = InboxModel(db, self)
        self.loader = QueryLoader(
            self.model, worker.db_path, self, ready=lambda: self._mode == "browse"
        )  # searches, off the UI thread
        self._build()
        self._connect()
        self._select_row(0)

    # --- layout ---

    def _build(self) -> None:
        left = self._build_list(self._build_filters())
        self._build_detail_texts()
        self._build_detail(self._build_buttons())
        splitter = QSplitter()  # side by side
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([640, 540])  # the list's text column needs room to be read
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._set_mode("browse")

    def _build_filters(self) -> QHBoxLayout:
        """Which items: by status, by workflow, and a search."""
        self.status_filter = named(QComboBox(), "statusFilter")
        self.status_filter.setAccessibleName("Show items")
        for label, _ in STATUS_FILTERS:
            self.status_filter.addItem(label)
        self.workflow_filter = named(QComboBox(), "workflowFilter")
        self.workflow_filter.setAccessibleName("Workflow")
        self._fill_workflows()
        self.search = named(
            QLineEdit(
                placeholderText='Search: words, "a phrase", -word, status: workflow: by: after:…'
            ),
            "inboxSearch",
        )
        self.search.setAccessibleName("Search")
        self.search.setToolTip(
            'Every word must appear; "a phrase" together; -word must not appear.\n'
            "Filters: workflow:NAME status:STATUS model:TEXT by:PERSON "
            "after:YYYY-MM-DD before:YYYY-MM-DD"
        )
        self._search_timer = QTimer(self, singleShot=True, interval=150)
        self.search_problem = problem_label("inboxSearchProblem")

        filters = QHBoxLayout()
        filters.addWidget(self.status_filter)
        filters.addWidget(self.workflow_filter)
        filters.addWidget(self.search, 1)
        return filters

    def _build_list(self, filters: QHBoxLayout) -> QWidget:
        """The filters above the items' list (and the line said when it is empty)."""
        self.table = list_table(
            "inboxView", "Inbox", self.model, titles=self.model.COLUMNS, multi_select=True
        )
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 24), (1, 120), (2, 130), (4, 112)):
            self.table.setColumnWidth(column, width)
        self.empty_label = plain_label("inboxEmpty")
        set_enum(self.empty_label, "alignment", ALIGN_CENTER)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.search_problem)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.empty_label)
        return left

    def _build_detail_texts(self) -> None:
        """The selected item's title, reason, facts and checks; its input, output and edit."""
        self.title = plain_label("itemTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.2)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.reason = plain_label("itemReason")
        self.reason.setStyleSheet(
            "QLabel { background: #fdecea; color: #7a1c14; border: 1px solid #f3b7b1; border-radius: 4px; padding: 6px; }"
        )
        self.meta = plain_label("itemMeta")
        self.meta.setStyleSheet("color: #4a5361;")
        self.checks = plain_label("itemChecks")
        self.input_box = _text_box("itemInput", "Input")
        self.editor = _text_box("itemEditor", "Output")
        self.diff_box = _text_box("itemDiff", "Your edit against the model's output")
        self.reject_reason = named(
            QLineEdit(placeholderText="Why reject it? (required)"), "rejectReason"
        )
        self.reject_reason.setAccessibleName("Reason for rejecting")
        self.error = plain_label("inboxError")
        self.error.setStyleSheet("color: #b3261e;")

    def _build_buttons(self) -> QHBoxLayout:
        """The decisions and Undo on the left; what else can be done with the item on the right."""
        self.approve_button = named(QPushButton("&Approve"), "approveButton")
        self.edit_button = named(QPushButton("&Edit"), "editButton")
        self.reject_button = named(QPushButton("&Reject"), "rejectButton")
        self.save_button = named(QPushButton("Save && approve  (Ctrl+Enter)"), "saveEditButton")
        self.cancel_button = named(QPushButton("Cancel  (Esc)"), "cancelButton")
        self.undo_button = named(QPushButton("Undo  (Ctrl+Z)"), "undoButton")
        self.undo_button.setToolTip("Take back the last decision (for a minute)")
        self.action_label = plain_label("itemAction")
        self.retry_action_button = named(QPushButton("Retry the action"), "retryActionButton")
        self.retry_action_button.setToolTip("Carry out the action again (the model is not run)")
        self.compare_button = named(QPushButton("Compare models…"), "compareButton")
        self.example_button = named(QPushButton("Keep as an example"), "keepExampleButton")
        self.example_button.setToolTip(
            "Keep this decision in the workflow's examples/: {{ examples }} in its prompt shows "
            "them to the model, and `signoff test` checks new answers against them"
        )
        self.example_button.hide()  # shown for an edited or rejected item (_show_row)
        self.compare_button.setToolTip("Run this item's input on another model, side by side")
        self._undoable: list[int] = []
        self._undo_timer = QTimer(self, singleShot=True, interval=UNDO_WINDOW_S * 1000)
        for button, text in (
            (self.approve_button, "Approve the selected items (A)"),
            (self.edit_button, "Edit the output, then approve (E)"),
            (self.reject_button, "Reject the selected items with a reason (R)"),
        ):
            button.setAccessibleName(button.text().replace("&", ""))
            button.setToolTip(text)
        buttons = QHBoxLayout()
        for button in (
            self.approve_button,
            self.edit_button,
            self.reject_button,
            self.save_button,
            self.cancel_button,
            self.undo_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.retry_action_button)
        buttons.addWidget(self.example_button)
        buttons.addWidget(self.compare_button)
        return buttons

    def _build_detail(self, buttons: QHBoxLayout) -> None:
        """The selected item in full, with the buttons that decide it."""
        self.input_label = plain_label(wrap=False)
        self.input_label.setText("Input")
        self.output_label = plain_label(wrap=False)
        self.output_label.setText("Output")
        self.diff_label = plain_label(wrap=False)
        self.diff_label.setText("Your edit (against the model's output)")

        self.detail = named(QFrame(), "itemDetail")
        detail_layout = QVBoxLayout(self.detail)
        for widget in (
            self.title, self.reason, self.meta, self.checks, self.action_label, self.input_label
        ):  # fmt: skip
            detail_layout.addWidget(widget)
        detail_layout.addWidget(self.input_box, 2)
        detail_layout.addWidget(self.output_label)
        detail_layout.addWidget(self.editor, 3)
        detail_layout.addWidget(self.diff_label)
        detail_layout.addWidget(self.diff_box, 2)
        detail_layout.addWidget(self.reject_reason)
        detail_layout.addWidget(self.error)
        detail_layout.addLayout(buttons)

    def _on_search_text(self, _text: str) -> None:
        if not self.search.isClearButtonEnabled():  # made on first use: its icon slows the start
            self.search.setClearButtonEnabled(True)
        self._search_timer.start()

    def _fill_workflows(self) -> None:
        current = self.workflow_filter.currentData()
        self.workflow_filter.blockSignals(True)
        self.workflow_filter.clear()
        self.workflow_filter.addItem("All workflows", None)
        for name in spec_versions.workflow_names(self._db):
            self.workflow_filter.addItem(name, name)
        index = self.workflow_filter.findData(current)
        self.workflow_filter.setCurrentIndex(max(0, index))
        self.workflow_filter.blockSignals(False)

    def _connect(self) -> None:
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._show_row(current.row())
        )
        self._list_keys()
        self.status_filter.currentIndexChanged.connect(self._apply_filters)
        self.workflow_filter.currentIndexChanged.connect(self._apply_filters)
        self.search.textChanged.connect(self._on_search_text)
        self._search_timer.timeout.connect(self._apply_filters)
        self.loader.shown.connect(lambda: self._select_row(0))
        self.loader.failed.connect(self.message)
        self.approve_button.clicked.connect(self.approve)
        self.edit_button.clicked.connect(self.start_edit)
        self.reject_button.clicked.connect(self.start_reject)
        self.save_button.clicked.connect(self.save_edit)
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_action_button.clicked.connect(self._retry_current)
        self.example_button.clicked.connect(self._keep_current)
        self.compare_button.clicked.connect(self._compare_current)
        self.editor.textChanged.connect(self._update_diff)
        self.reject_reason.returnPressed.connect(self.confirm_reject)
        self.undo_button.clicked.connect(self.undo)
        self._undo_timer.timeout.connect(self._forget_undo)
        find_shortcut(self, self.search)
        shortcut(
            QKeySequence.StandardKey.Undo,
            self,
            self.undo,
            context=WIDGET_WITH_CHILDREN_SHORTCUT,
        )
        for widget, done in (
            (self.editor, self.save_edit),
            (self.reject_reason, self.confirm_reject),
        ):
            shortcut("Ctrl+Return", widget, done)
            shortcut("Ctrl+Enter", widget, done)
            shortcut("Esc", widget, self.cancel)

    def _retry_current(self) -> None:
        if self._current:
            self.retry_action.emit(self._current["id"])

    def _keep_current(self) -> None:
        if self._current:
            self.keep_example.emit(self._current["id"])

    def _compare_current(self) -> None:
        if self._current:
            self.compare_requested.emit(dict(self._current))

    # --- keys on the list ---

    def _list_keys(self) -> None:
        """``A`` ``E`` ``R`` ``J`` ``K`` while the list has the focus (without modifiers)."""
        for keys, slot in (
            ("A", self.approve),
            ("E", self.start_edit),
            ("R", self.start_reject),
            ("J", lambda: self._step(1)),
            ("K", lambda: self._step(-1)),
        ):
            shortcut(keys, self.table, slot)

    def _step(self, by: int) -> None:
        if self._mode == "browse":
            self._select_row(self.table.currentIndex().row() + by)

    # --- selection and detail ---

    def _select_row(self, row: int) -> None:
        count = self.model.rowCount()
        self.empty_label.setVisible(count == 0)
        if count == 0:
            self.empty_label.setText(self._nothing_found())
            self._show_row(-1)
            return
        row = max(0, min(row, count - 1))
        while row >= self.model.rowCount() - 1 and self.model.canFetchMore():
            self.model.fetchMore()
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        self._show_row(row)

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        ids = [self.model.item_id(r) for r in rows]
        if not ids and self._current:
            ids = [self._current["id"]]
        return [i for i in ids if i is not None]

    def _show_row(self, row: int) -> None:
        item_id = self.model.item_id(row)
        self._set_mode("browse")
        self._current = item_rows.get_item(self._db, item_id) if item_id is not None else None
        item = self._current
        self.detail.setEnabled(item is not None)
        if item is None:
            for label in (self.title, self.meta, self.checks):
                label.setText("")
            self.reason.hide()
            self.input_box.setPlainText("")
            self.editor.setPlainText("")
            return
        self.title.setText(f"Item {item['id']} · {item['workflow']} · {item['status'].upper()}")
        reason = item["reject_reason"] if item["status"] == ItemState.REJECTED else item["reason"]
        prefix = "Rejected: " if item["status"] == ItemState.REJECTED else "Needs attention: "
        self.reason.setText(prefix + reveal(reason) if reason else "")
        self.reason.setVisible(bool(reason))
        cost = cost_text(item["cost_usd"], answered=item_answered(item))
        decided = (
            f" · {item['status']} by {item['decided_by']} {item['decided_at'][:16]}"
            if item["decided_at"]
            else ""
        )
        self.meta.setText(
            f"{item['input_name']} · {item['model'] or 'no model'} · cost {cost} · "
            f"{item['latency_ms'] or 0} ms · {item['tokens_in'] or 0}/{item['tokens_out'] or 0} tokens{decided}"
        )
        self.checks.setText(
            "   ".join(f"{'✓' if c['passed'] else '✗'} {c['name']}" for c in item["checks"])
            or "No checks ran."
        )
        # as it reads: a hidden character (a right-to-left override…) shown, not obeyed
        self.input_box.setPlainText(reveal(item["input_text"]))
        self.editor.setPlainText(reveal(item["output"]))
        terms = parse(self.model.query.search).terms if self.model.query.search else ()
        if terms:
            from desktop_app.gui.highlight import highlight  # once a search shows

            for box in (self.input_box, self.editor):
                highlight(box, terms)
            self._marked = True
        elif self._marked:  # cleared only once marked: an empty list makes QTextEdit's class
            for box in (self.input_box, self.editor):
                box.setExtraSelections([])
            self._marked = False
        self.compare_button.setEnabled(bool(item["input_text"]))
        self._show_action(item)
        teaching = item["status"] == ItemState.REJECTED or (
            item["status"] == ItemState.APPROVED and item["output"] != item["original_output"]
        )
        self.example_button.setVisible(teaching)
        open_item = item["status"] in OPEN_ITEM_STATES
        for button in (self.approve_button, self.edit_button, self.reject_button):
            button.setEnabled(open_item)

    def _show_action(self, item: Item) -> None:
        """What became of an approved item's action: done, failed (retry), or still to come."""
        action = (
            action_rows.action_for(self._db, item["id"])
            if item["status"] == ItemState.APPROVED
            else None
        )
        failed = bool(action and action["state"] == "failed")
        self.retry_action_button.setVisible(failed)
        if action is None:
            self.action_label.setText("")
        elif action["state"] == "done":
            self.action_label.setText(f"Action ({action['kind']}): {action['message']}")
        elif failed:
            self.action_label.setText(
                f"Action ({action['kind']}) failed after {action['attempts']} attempt(s): "
                f"{action['message']}"
            )
        else:
            self.action_label.setText(f"Action ({action['kind']}): under way or interrupted")
        self.action_label.setVisible(action is not None)
        if action is not None:  # a style sheet is parsed each time it is set
            self.action_label.setStyleSheet("color: #b3261e;" if failed else "color: #1e6b35;")

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        editing, rejecting = mode == "edit", mode == "reject"
        self.editor.setReadOnly(not editing)
        for widget in (self.diff_box, self.diff_label, self.save_button, self.cancel_button):
            widget.setVisible(editing)
        self.cancel_button.setVisible(editing or rejecting)
        self.undo_button.setVisible(mode == "browse" and bool(getattr(self, "_undoable", None)))
        self.reject_reason.setVisible(rejecting)
        for widget in (self.approve_button, self.edit_button, self.reject_button):
            widget.setVisible(mode == "browse")
        self.table.setEnabled(mode == "browse")
        if mode == "browse":
            self.error.setText("")

    # --- decisions ---

    def approve(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._submit("approve", ids, None)

    def start_edit(self) -> None:
        if not self._current or self._current["status"] not in OPEN_ITEM_STATES:
            return
        if self.diff_box.font().family() != "monospace":  # set on first use: font matching is slow
            self.diff_box.setFont(QFont("monospace"))
        self._set_mode("edit")
        self._update_diff()
        self.editor.setFocus()

    def _update_diff(self) -> None:
        if self._mode != "edit" or not self._current:
            return
        from desktop_app.services import decisions

        diff = decisions.unified_diff(
            self._current["original_output"], self.editor.toPlainText(), item_id=self._current["id"]
        )
        self.diff_box.setPlainText(diff or "(no changes yet)")

    def save_edit(self) -> None:
        if self._mode != "edit" or not self._current:
            return
        self._submit("approve", [self._current["id"]], self.editor.toPlainText())

    def start_reject(self) -> None:
        if not self.selected_ids():
            return
        self._set_mode("reject")
        self.reject_reason.clear()
        self.reject_reason.setFocus()

    def confirm_reject(self) -> None:
        if self._mode != "reject":
            return
        reason = self.reject_reason.text().strip()
        if not reason:
            self.error.setText("A reason is required to reject.")
            return
        self._submit("reject", self.selected_ids(), reason)

    def cancel(self) -> None:
        if self._mode == "browse":
            return
        self._show_row(self.table.currentIndex().row())
        self.table.setFocus()

    def _submit(self, verb: str, ids: list[int], text: str | None) -> None:
        row = self.table.currentIndex().row()
        self.error.setText("")
        self._worker.submit(
            _decide,
            verb,
            ids,
            self._data_dir,
            text,
            on_done=lambda done: self._after_decision(verb, done, row),
            on_error=lambda exc: self._after_error(exc, row),
            context=self,
        )

    def _after_decision(self, verb: str, ids: list[int], row: int) -> None:
        noun = "item" if len(ids) == 1 else "items"
        if verb == "undo":
            self._forget_undo()
            self.reload()
            back = self.model.row_of(ids[0]) if ids else None
            self._select_row(back if back is not None else row)
            self.message.emit(f"Undone: {len(ids)} {noun} back in the inbox")
        else:
            self._undoable = list(ids)
            self._undo_timer.start()
            self.reload(select_row=row)
            past = "approved" if verb == "approve" else "rejected"
            self.message.emit(
                f"{len(ids)} {noun} {past}: {', '.join(str(i) for i in ids)} (Ctrl+Z undoes)"
            )
        self.decided.emit(verb, ids)

    def undo(self) -> None:
        """Take back the last decision made here, while it is recent."""
        if self._undoable and self._mode == "browse":
            self._submit("undo", self._undoable, None)

    def _forget_undo(self) -> None:
        self._undoable = []
        self.undo_button.hide()

    def _after_error(self, exc: BaseException, row: int) -> None:
        from desktop_app.core.errors import KnownError

        self.reload(select_row=row)
        self.error.setText(
            str(exc) if isinstance(exc, KnownError) else f"Something went wrong: {exc}"
        )

    def reload(self, *, select_row: int | None = None) -> None:
        """Re-read the list (after a decision or a run) and select ``select_row`` or the first row."""
        self._fill_workflows()
        self.model.refresh()
        self._set_mode("browse")
        self._select_row(select_row if select_row is not None else 0)
        self.table.setFocus()

    def reload_keeping_selection(self) -> None:
        """New items arrived: reload, keeping the item in view selected unless a decision is under way."""
        if self._mode != "browse":
            return  # never pull the item out from under an edit; the next reload shows the new ones
        current = self._current["id"] if self._current else None
        self._fill_workflows()
        self.model.refresh()
        row = self.model.row_of(current) if current is not None else None
        self._select_row(row if row is not None else 0)

    def open_item(self, item_id: int) -> bool:
        """Show one item (from a notification): the default filters, then its row."""
        if self._mode != "browse":
            return False
        for box in (self.status_filter, self.workflow_filter):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._apply_filters()
        row = self.model.row_of(item_id)
        pages = 0
        while row is None and self.model.canFetchMore() and pages < 50:
            self.model.fetchMore()
            row = self.model.row_of(item_id)
            pages += 1
        if row is None:
            self.message.emit(f"Item {item_id} is no longer waiting for a decision.")
            return False
        self._select_row(row)
        return True

    def _nothing_found(self) -> str:
        """What the empty list says: what was searched, the search's own status included."""
        query = self.model.query
        if not query.search.strip() and self.status_filter.currentIndex() == 0:
            return "Nothing awaits a decision."
        line = nothing_found(parse(query.search), query.statuses, query.workflow)
        return line[0].upper() + line[1:] + "."

    def _apply_filters(self) -> None:
        text = self.search.text()
        if say_problem(self.search_problem, text, workflow_names(self.workflow_filter)):
            return
        statuses = STATUS_FILTERS[self.status_filter.currentIndex()][1]
        query = item_pages.ItemQuery(
            statuses=statuses, workflow=self.workflow_filter.currentData(), search=text
        )
        self.loader.apply(query, searched=bool(query.search.strip()))

    @property
    def searching(self) -> bool:
        """A search was typed and its results are not shown yet."""
        return self.loader.searching
