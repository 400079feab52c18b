"""Compare models on a past item: its input on another model, both outputs and costs side by
side. The call runs on a thread of its own (``Job``); nothing reaches the inbox unless
the person keeps the other output."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.money import usd
from desktop_app.gui import current_settings
from desktop_app.gui.tasks import Job
from desktop_app.gui.widgets import named, plain_label

if TYPE_CHECKING:
    import sqlite_utils

    from desktop_app.core.paths import Paths
    from desktop_app.core.spec_model import Spec
    from desktop_app.gui.tasks import Report
    from desktop_app.services.compare import Comparison, Side
    from desktop_app.services.pipeline import ModelGateway
    from desktop_app.storage.item_rows import Item


def _run_compare(
    db: sqlite_utils.Database,
    _report: Report,
    item_id: int,
    spec: Spec,
    model: str,
    api_base: str | None,
    cap: float | None,
    gateway: ModelGateway | None,
) -> Comparison:
    from desktop_app.services import compare

    return compare.compare(
        db, item_id, spec, model, api_base=api_base, global_month_cap=cap, gateway=gateway
    )


def _keep(db: sqlite_utils.Database, _report: Report, comparison: Comparison) -> int:
    from desktop_app.services import compare

    return compare.keep(db, comparison)


def _summary(side: Side) -> str:
    cost = "cost unknown" if side.cost_usd is None else usd(side.cost_usd)
    latency = "" if side.latency_ms is None else f" · {side.latency_ms:,} ms"
    verdict = "passes its checks" if side.status == "pending" else side.status
    if side.failed_checks:
        verdict += f" ({', '.join(side.failed_checks)} failed)"
    return f"{side.model or 'unknown model'} · {cost}{latency} · {verdict}"


class CompareDialog(QDialog):
    kept = Signal(int)  # the new item's id

    def __init__(
        self,
        item: Item,
        spec: Spec,
        paths: Paths,
        parent: QWidget | None = None,
        *,
        gateway: ModelGateway | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self.setWindowTitle(f"Compare models · item {item['id']}")
        self.item, self.spec, self._gateway = item, spec, gateway
        self._result: Comparison | None = None
        chosen = current_settings.or_defaults(paths.data_dir)
        self._api_base = chosen.run_api_base(None)
        self._cap = chosen.monthly_budget_usd
        self.job = Job(paths.database, self, data_dir=paths.data_dir)
        self.keep_job = Job(paths.database, self, data_dir=paths.data_dir)

        self.model_edit = named(QLineEdit(), "compareModel")
        self.model_edit.setAccessibleName("Model to compare with")
        self.model_edit.setPlaceholderText("e.g. openai/gpt-4o-mini or ollama/llama3.1")
        self.run_button = named(QPushButton("Compare"), "compareRunButton")
        self.keep_button = named(QPushButton("Keep as a new item"), "compareKeepButton")
        self.keep_button.setToolTip("Its output goes to the inbox as a new pending item")
        self.status = plain_label("compareStatus")
        self.left_label = plain_label("compareOriginalLabel")
        self.right_label = plain_label("compareOtherLabel")
        self.left = named(QPlainTextEdit(readOnly=True), "compareOriginal")
        self.right = named(QPlainTextEdit(readOnly=True), "compareOther")
        self.left.setAccessibleName("The item's output")
        self.right.setAccessibleName("The other model's output")
        self.left_label.setText("This item: " + _summary(_side_of(item)))
        self.left.setPlainText(item["original_output"])
        self.right_label.setText("Choose a model and press Compare.")

        row = QHBoxLayout()
        row.addWidget(self.model_edit, 1)
        row.addWidget(self.run_button)
        row.addWidget(self.keep_button)
        grid = QGridLayout()
        grid.addWidget(self.left_label, 0, 0)
        grid.addWidget(self.right_label, 0, 1)
        grid.addWidget(self.left, 1, 0)
        grid.addWidget(self.right, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addLayout(grid, 1)
        self.resize(900, 520)
        self.keep_button.setEnabled(False)

        self.run_button.clicked.connect(self.start)
        self.model_edit.returnPressed.connect(self.start)
        self.keep_button.clicked.connect(self.keep)
        self.job.done.connect(self._show)
        self.job.failed.connect(self._failed)
        self.keep_job.done.connect(self._kept)
        self.keep_job.failed.connect(self._failed)

    def start(self) -> None:
        model = self.model_edit.text().strip()
        if not model or self.job.running:
            if not model:
                self.status.setText("Name the model to compare with.")
            return
        self.run_button.setEnabled(False)
        self.keep_button.setEnabled(False)
        self.status.setText(f"Asking {model}…")
        self.job.start(
            _run_compare,
            self.item["id"],
            self.spec,
            model,
            self._api_base,
            self._cap,
            self._gateway,
        )

    def _show(self, result: Comparison) -> None:
        self.job.wait()
        self._result = result
        self.run_button.setEnabled(True)
        self.keep_button.setEnabled(result.other.status != "skipped")
        self.right_label.setText("Other model: " + _summary(result.other))
        self.right.setPlainText(result.other.output or result.other.reason or "")
        a, b = result.original.cost_usd, result.other.cost_usd
        if a is not None and b is not None and a > 0:
            self.status.setText(f"The other model cost {b / a:.0%} of this item's.")
        else:
            self.status.setText("Compared.")

    def _failed(self, message: str) -> None:
        self.job.wait()
        self.keep_job.wait()
        self.run_button.setEnabled(True)
        self.status.setText(message)

    def keep(self) -> None:
        if self._result is None or self.keep_job.running:
            return
        self.keep_button.setEnabled(False)
        self.keep_job.start(_keep, self._result)

    def _kept(self, new_id: int) -> None:
        self.keep_job.wait()
        self.status.setText(f"Kept as item {new_id}: it is in the inbox, pending review.")
        self.kept.emit(new_id)

    def done(self, result: int) -> None:  # closing waits for a call under way
        self.job.wait()
        self.keep_job.wait()
        super().done(result)


def _side_of(item: Item) -> Side:
    from desktop_app.services.compare import original_side

    return original_side(item)
