"""The Profile panel (progress, figures, outputs side by side) and the Enable switch."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QPushButton, QTableWidget

from desktop_app.services import switches
from desktop_app.storage.db import connect
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import responder

MODELS = "openai/gpt-4o-mini, openai/gpt-4o"


def click_box(qtbot, box: QCheckBox) -> None:
    """Click a check box on its box, as a person does (its middle may be empty space)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def switch_on(db_path, name):
    db = connect(db_path)
    try:
        return switches.is_enabled(db, name)
    finally:
        db.conn.close()


def profile_in_window(qtbot, window, llm_server, name="support-digest"):
    view = window.workflows
    window.show_tab("workflows")
    view.select_workflow(name)
    qtbot.mouseClick(window.findChild(QPushButton, "profileButton"), Qt.MouseButton.LeftButton)
    panel = view.profile_dialog
    qtbot.waitUntil(lambda: "Not profiled yet" in panel.status.text(), timeout=5000)
    panel.models_edit.setText(MODELS)
    panel.api_base_edit.setText(llm_server.url)
    progress = []
    panel.job.progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(panel.job.done, timeout=60000):
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        assert panel.progress.isVisible() and not panel.start_button.isEnabled()
    return panel, progress


def test_profile_panel_shows_progress_figures_and_outputs_side_by_side(qtbot, window, llm_server):
    llm_server.default = responder(answer_for)
    panel, progress = profile_in_window(qtbot, window, llm_server)
    assert progress[-1] == (10, 10)  # 5 samples x 2 models
    assert panel.progress.isHidden() and panel.start_button.isEnabled()
    figures = panel.findChild(QTableWidget, "profileTable")
    assert [figures.item(r, 0).text() for r in range(2)] == ["openai/gpt-4o-mini", "openai/gpt-4o"]
    assert all(figures.item(r, 1).text().startswith("$") for r in range(2))  # both priced
    assert figures.item(0, 7).text().endswith("of 5")
    assert "Cheapest: openai/gpt-4o-mini" in panel.status.text()
    outputs = panel.findChild(QTableWidget, "profileOutputs")
    assert outputs.rowCount() == 5 and outputs.columnCount() == 3
    headers = [outputs.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Sample", "openai/gpt-4o-mini", "openai/gpt-4o"]
    outputs.setCurrentCell(0, 2)
    assert panel.detail.toPlainText().startswith("openai/gpt-4o ·")
    assert outputs.item(0, 2).text() in panel.detail.toPlainText()
    # the Workflows view shows the new profile
    view = window.workflows
    qtbot.waitUntil(lambda: "Profile:" in view.budget_status.text(), timeout=5000)
    assert "openai/gpt-4o-mini:" in view.budget_status.text()
    assert "caps: $0.50 a day, $5.00 a month" in view.budget_status.text()
    panel.close()


def test_enable_switch_is_refused_without_a_profile_then_turns_on(
    qtbot, window, llm_server, seeded
):
    llm_server.default = responder(answer_for)
    view = window.workflows
    window.show_tab("workflows")
    view.select_workflow("support-digest")
    switch = window.findChild(QCheckBox, "enableSwitch")
    assert switch.isEnabled() and not switch.isChecked()
    click_box(qtbot, switch)
    qtbot.waitUntil(lambda: "never been profiled" in view.schedule_status.text(), timeout=5000)
    assert not switch.isChecked() and not switch_on(seeded, "support-digest")

    panel, _ = profile_in_window(qtbot, window, llm_server)
    panel.close()
    qtbot.waitUntil(lambda: "Profile:" in view.budget_status.text(), timeout=5000)
    with qtbot.waitSignal(view.switched, timeout=5000):
        click_box(qtbot, switch)
    assert switch_on(seeded, "support-digest")
    qtbot.waitUntil(lambda: "On: every 15m, next run" in view.schedule_status.text(), timeout=5000)
    row = next(
        r for r in range(view.proxy.rowCount()) if view.proxy.index(r, 0).data() == "support-digest"
    )
    assert view.proxy.index(row, 3).data() == "every 15m · on"
    with qtbot.waitSignal(view.switched, timeout=5000):
        click_box(qtbot, switch)
    assert not switch_on(seeded, "support-digest")


def test_a_text_workflow_cannot_be_switched_on(qtbot, window):
    view = window.workflows
    view.select_workflow("review-reply")
    assert not view.enable_switch.isEnabled()
    assert "no [schedule]" in view.schedule_status.text()
