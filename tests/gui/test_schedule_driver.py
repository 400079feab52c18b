"""The window's schedule driver: a due workflow runs off the UI thread and fills the inbox."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from desktop_app.services import settings
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import responder
from tests.helpers.schedules import enable_due


def enable_support_digest(seeded, workflows_dir, llm_server, *, hours_ago: float) -> None:
    """Every run on the test server; support-digest profiled and enabled ``hours_ago``, so
    its schedule has slots due."""
    llm_server.default = responder(answer_for)
    settings.save(seeded.parent, settings.Settings(api_base=llm_server.url))
    spec_path = workflows_dir / "support-digest" / "workflow.toml"
    enable_due(seeded, spec_path, llm_server.url, hours_ago=hours_ago)


def test_a_due_workflow_runs_from_the_timer_and_its_items_reach_the_inbox(
    qtbot, window, seeded, workflows_dir, llm_server
):
    # enabled two hours ago: two slots missed, one catch-up run (catch_up = "latest")
    enable_support_digest(seeded, workflows_dir, llm_server, hours_ago=2)
    inbox = seeded.parent / "inbox" / "support"
    inbox.mkdir(parents=True)
    for name in ("late-order", "thanks"):
        (inbox / f"{name}.eml").write_text(f"From: Ann <ann@example.com>\nSubject: {name}\n\nHello")
    before = window.inbox.model.rowCount()
    with qtbot.waitSignal(window.schedules.fired, timeout=60000) as fired:
        window.schedules.tick()
    (summary,) = fired.args[0].summaries
    assert summary.inputs == 2 and len(summary.item_ids) == 2
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == before + 2, timeout=5000)
    assert "support-digest: 2 new item(s) from its schedule" in window.statusBar().currentMessage()
    # no tray on the offscreen platform: the notice is in the window's banner
    assert not window.notifier.has_tray
    assert window.banner.isVisible()
    assert window.banner.text.text().startswith("2 new items to review — support-digest")
    window.show_tab("workflows")
    qtbot.mouseClick(window.banner.open_button, Qt.MouseButton.LeftButton)
    assert window.current_tab() == "inbox" and not window.banner.isVisible()
    assert window.inbox._current["id"] == summary.item_ids[0]
    fired_again: list = []
    window.schedules.fired.connect(fired_again.append)
    with qtbot.waitSignal(window.schedules.job.done, timeout=10000):  # the tick ran to its end
        window.schedules.tick()
    assert not fired_again  # the slot was handled: nothing is due now
    window.schedules.stop()


def test_paused_schedules_do_not_tick(qtbot, window):
    window.schedules.set_paused(True)
    window.schedules.tick()
    assert not window.schedules.running


def test_pause_all_schedules_from_the_workflows_tab(qtbot, window):
    window.show_tab("workflows")
    box = window.workflows.pause_box
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=box.rect().topLeft() + QPoint(8, 8))
    assert window.schedules.paused and box.isChecked()
    window.schedules.tick()
    assert not window.schedules.running
    window.set_paused(False)  # as the tray's menu does
    assert not box.isChecked() and not window.schedules.paused


def test_a_scheduled_run_that_cannot_start_says_so_in_the_banner(
    qtbot, window, seeded, workflows_dir, llm_server
):
    enable_support_digest(seeded, workflows_dir, llm_server, hours_ago=1)
    # its folder (inbox/support in the data folder) was never made
    with qtbot.waitSignal(window.schedules.failed, timeout=30000):
        window.schedules.tick()
    assert window.banner.isVisible()
    text = window.banner.text.text()
    assert text.startswith("A scheduled task could not start — support-digest:")
    assert "does not exist" in text
    window.schedules.stop()
