"""The Workflows view: completeness, spec reload on change, Run now with progress and cancel."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from desktop_app.storage import item_rows
from desktop_app.storage.db import connect
from tests.conftest import BUNDLED_WORKFLOWS
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import responder


def items_of(db_path, workflow):
    db = connect(db_path)
    try:
        return list(
            item_rows.iter_items(
                db, statuses=("pending", "escalated"), workflow=workflow, full=True
            )
        )
    finally:
        db.conn.close()


def test_lists_the_bundled_workflows_as_complete(window):
    view = window.workflows
    names = [view.proxy.index(r, 0).data() for r in range(view.proxy.rowCount())]
    assert names == sorted(names) and len(names) == BUNDLED_WORKFLOWS and "review-reply" in names
    assert all(view.proxy.index(r, 1).data() == "yes" for r in range(6))
    view.select_workflow("review-reply")
    assert (
        view.title.text() == "Reply to a customer review" and view.run_panel.run_button.isEnabled()
    )


def test_a_broken_spec_shows_its_line_after_it_changes_on_disk(qtbot, window, workflows_dir):
    view = window.workflows
    view.select_workflow("review-reply")
    path = workflows_dir / "review-reply" / "workflow.toml"
    text = path.read_text(encoding="utf-8").replace("temperature = 0.3", "temprature = 0.3")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("temprature = 0.3") + 1
    qtbot.waitUntil(lambda: f"workflow.toml:{line}:" in view.problems.text(), timeout=10000)
    assert "did you mean 'temperature'" in view.problems.text()
    assert not view.run_panel.run_button.isEnabled()
    row = next(
        r for r in range(view.proxy.rowCount()) if view.proxy.index(r, 0).data() == "review-reply"
    )
    assert view.proxy.index(row, 1).data() == "invalid"


def test_run_now_on_the_samples_fills_the_inbox(qtbot, window, seeded, llm_server):
    llm_server.default = responder(answer_for)
    view = window.workflows
    run = view.run_panel
    window.show_tab("workflows")
    view.select_workflow("meeting-actions")
    run.api_base_edit.setText(llm_server.url)
    before = window.inbox.model.rowCount()
    with qtbot.waitSignal(run.job.done, timeout=60000):
        qtbot.mouseClick(window.findChild(QPushButton, "runNowButton"), Qt.MouseButton.LeftButton)
    made = items_of(seeded, "meeting-actions")
    assert len(made) == 1 + 3  # the seeded one and the three samples
    assert "Run 3 finished: 3 pending" in run.run_status.text()
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == before + 3, timeout=5000)
    assert run.progress.isHidden() and run.run_button.isEnabled()


def test_run_on_pasted_text(qtbot, window, seeded, llm_server):
    llm_server.default = responder(answer_for)
    view = window.workflows
    run = view.run_panel
    view.select_workflow("review-reply")
    run.api_base_edit.setText(llm_server.url)
    run.source.setCurrentIndex(2)
    run.pasted.setPlainText("Tom — lovely scones, slow coffee.")
    with qtbot.waitSignal(run.job.done, timeout=60000):
        run.run_button.click()
    (made,) = [i for i in items_of(seeded, "review-reply") if i["input_text"].startswith("Tom —")]
    assert made["status"] == "pending" and "Café Rosa" in made["output"]


def test_cancel_stops_a_run_and_keeps_what_was_made(
    qtbot, window, seeded, llm_server, workflows_dir
):
    def slow(body):
        time.sleep(0.3)
        return answer_for(body)

    llm_server.default = responder(slow)
    folder = workflows_dir.parent / "many-notes"
    folder.mkdir()
    for n in range(24):
        (folder / f"notes-{n:02d}.txt").write_text(
            f"Mia will send order {n} by Monday.", encoding="utf-8"
        )
    view = window.workflows
    run = view.run_panel
    window.show_tab("workflows")
    view.select_workflow("meeting-actions")
    run.api_base_edit.setText(llm_server.url)
    run.source.setCurrentIndex(1)
    run.set_chosen_path(folder)
    run.run_button.click()
    qtbot.waitUntil(lambda: run.progress.value() >= 1, timeout=30000)
    assert run.cancel_button.isVisible()
    with qtbot.waitSignal(run.job.done, timeout=60000) as finished:
        run.cancel_button.click()
    (summary,) = finished.args[0].summaries
    assert summary.state == "cancelled" and 1 <= len(summary.item_ids) < 24
    assert len(items_of(seeded, "meeting-actions")) == 1 + len(summary.item_ids)


def test_a_run_that_cannot_reach_the_model_reports_plainly(qtbot, window, seeded, refused_url):
    view = window.workflows
    run = view.run_panel
    view.select_workflow("review-reply")
    run.api_base_edit.setText(refused_url)
    run.source.setCurrentIndex(2)
    run.pasted.setPlainText("Nice cake")
    with qtbot.waitSignal(run.job.done, timeout=60000):
        run.run_button.click()
    assert "1 escalated" in run.run_status.text()
    (made,) = [i for i in items_of(seeded, "review-reply") if i["input_text"] == "Nice cake"]
    assert made["status"] == "escalated" and made["reason"]


def test_a_run_past_the_global_cap_calls_nothing_and_says_why(qtbot, window, seeded, llm_server):
    from desktop_app.services import settings

    settings.save(seeded.parent, settings.Settings(monthly_budget_usd=0.0))
    view = window.workflows
    run = view.run_panel
    view.select_workflow("meeting-actions")
    run.model_edit.setText("openai/gpt-4o-mini")  # a priced model: the estimate is known
    run.api_base_edit.setText(llm_server.url)
    with qtbot.waitSignal(run.job.done, timeout=60000):
        run.run_button.click()
    assert llm_server.completions == []
    assert "Budget: the monthly cap of $0.00 for all workflows (Settings) would be crossed" in (
        run.run_status.text()
    )
    assert "The model was not called." in run.run_status.text()
    blocked = [i for i in items_of(seeded, "meeting-actions") if i["status"] == "escalated"]
    assert len(blocked) == 1 and blocked[0]["reason"].startswith("Budget:")


def test_a_database_that_cannot_be_opened_ends_the_progress_with_an_error(qtbot, window, seeded):
    """The run's own connection cannot be opened (the file was replaced by a folder): the
    panel says so in one line and stops showing progress; nothing hangs."""
    view = window.workflows
    run = view.run_panel
    view.select_workflow("review-reply")
    run.source.setCurrentIndex(2)
    run.pasted.setPlainText("Nice cake")
    seeded.rename(seeded.with_name("moved.db"))  # open connections keep the old file
    seeded.mkdir()
    with qtbot.waitSignal(run.job.failed, timeout=10000):
        run.run_button.click()
    qtbot.waitUntil(lambda: not run.progress.isVisible(), timeout=5000)
    assert "could not start" in run.run_status.text()
    assert "cannot open the database" in run.run_status.text()
    assert run.run_button.isEnabled() and not run.cancel_button.isVisible()


def test_a_run_over_many_inputs_asks_first_with_the_cost(
    qtbot, window, seeded, llm_server, workflows_dir, monkeypatch
):
    from desktop_app.services import settings

    settings.save(seeded.parent, settings.Settings(ask_over_inputs=5))
    llm_server.default = responder(answer_for)
    folder = workflows_dir.parent / "seven-notes"
    folder.mkdir()
    for n in range(7):
        (folder / f"notes-{n}.txt").write_text(f"Mia sends order {n} by Monday.", encoding="utf-8")
    view = window.workflows
    run = view.run_panel
    view.select_workflow("meeting-actions")
    run.model_edit.setText("openai/gpt-4o-mini")  # a priced model: the projection is known
    run.api_base_edit.setText(llm_server.url)
    run.source.setCurrentIndex(1)
    run.set_chosen_path(folder)
    asked: list[str] = []
    monkeypatch.setattr(run, "ask_to_go_ahead", lambda text: asked.append(text) or False)
    with qtbot.waitSignal(run.job.done, timeout=60000):
        run.run_button.click()
    (question,) = asked
    assert "7 new inputs, more than the 5" in question and "costing about $" in question
    assert llm_server.requests == [] and "Nothing was run" in run.run_status.text()
    monkeypatch.setattr(run, "ask_to_go_ahead", lambda text: True)
    with qtbot.waitSignal(run.job.done, timeout=60000):
        run.run_button.click()
    qtbot.waitUntil(lambda: "7 pending" in run.run_status.text(), timeout=60000)
    assert len(items_of(seeded, "meeting-actions")) == 1 + 7
