"""A warm first click (issue 25): the window starts its model worker a few seconds after
its first paint, so *Run now* waits only for the model; an idle worker still leaves, and
opening the Workflows tab warms the next one; a run on a cold worker shows the wait."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop_app.gui.main_window import MainWindow
from desktop_app.llm.process_gateway import ProcessGateway
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import responder

STARTED_WITHIN_MS = 60_000  # litellm's import in the child, at a low priority, on a busy CI box


@pytest.fixture
def warming(_no_warm_worker, monkeypatch):
    """The window as it starts for a person: its worker warmed soon after the first paint."""
    monkeypatch.setattr(MainWindow, "warm_after_ms", 200)


def test_the_worker_is_warm_before_the_first_click_and_serves_it(
    qtbot, warming, window, llm_server
):
    qtbot.waitUntil(lambda: window.gateway.ready, timeout=STARTED_WITHIN_MS)  # nobody clicked
    assert window.gateway.started == 1
    llm_server.default = responder(answer_for)
    window.show_tab("workflows")
    run = window.workflows.run_panel
    window.workflows.select_workflow("meeting-actions")
    run.api_base_edit.setText(llm_server.url)
    qtbot.mouseClick(window.findChild(QPushButton, "runNowButton"), Qt.MouseButton.LeftButton)
    assert run.run_status.text().startswith("Running meeting-actions")  # no wait to show
    assert run.progress.maximum() == 3
    with qtbot.waitSignal(run.job.done, timeout=60_000):
        pass
    assert "3 pending" in run.run_status.text()
    assert window.gateway.started == 1  # the warm worker answered: no second start


def test_an_idle_worker_leaves_and_the_workflows_tab_warms_the_next(
    qtbot, monkeypatch, window, llm_server
):
    gateway = ProcessGateway(idle_s=0.5)
    window._gateway = gateway  # a short idle: the window's own is minutes
    window._warm_after_start()
    qtbot.waitUntil(lambda: gateway.running, timeout=5000)
    qtbot.waitUntil(lambda: not gateway.running, timeout=STARTED_WITHIN_MS)  # idle: it left
    assert gateway.started == 1
    window.show_tab("workflows")
    qtbot.waitUntil(lambda: gateway.started == 2 and gateway.running, timeout=5000)
    window._warm_job.wait()


def test_a_run_on_a_cold_worker_shows_the_wait_as_progress(qtbot, window, llm_server):
    llm_server.default = responder(answer_for)
    assert not window.gateway.running  # nothing warmed it (the tests' default)
    window.show_tab("workflows")
    run = window.workflows.run_panel
    window.workflows.select_workflow("meeting-actions")
    run.api_base_edit.setText(llm_server.url)
    qtbot.mouseClick(window.findChild(QPushButton, "runNowButton"), Qt.MouseButton.LeftButton)
    assert run.run_status.text().startswith("Starting the model worker")
    assert run.progress.isVisible() and run.progress.maximum() == 0  # busy, not frozen
    assert not run.run_button.isEnabled() and run.cancel_button.isVisible()
    with qtbot.waitSignal(run.job.done, timeout=60_000):
        pass
    assert "3 pending" in run.run_status.text()
