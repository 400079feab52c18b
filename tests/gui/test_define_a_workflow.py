"""Issue 14's acceptance, as a new user: from an empty workflows folder, a workflow that
answers a supplier's price-increase e-mail is made without a text editor, tried on two
samples, profiled and run; its TOML reads as if written by hand."""

from __future__ import annotations

import tomllib
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QPushButton

from desktop_app.core.spec_loader import check_spec
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.tasks import DbWorker
from desktop_app.storage.db import connect
from tests.helpers.llm_server import responder

ANSWER = (
    "Dear Acme team, thank you for letting us know about the new prices. Could you tell us "
    "the date from which they apply? Kind regards, Café Rosa"
)


def test_a_new_user_defines_tries_profiles_and_runs_a_workflow(qtbot, tmp_path, llm_server):
    llm_server.default = responder(lambda body: ANSWER)
    data = tmp_path / "data"
    workflows = tmp_path / "empty-workflows"
    workflows.mkdir()
    db_path = data / "signoff.db"
    db = connect(db_path)
    worker = DbWorker(db_path)
    window = MainWindow(db, worker, db_path=db_path, workflows_dir=workflows)
    qtbot.addWidget(window)
    window.show()
    try:
        view = window.show_tab("workflows")
        qtbot.mouseClick(
            view.findChild(QPushButton, "newWorkflowButton"), Qt.MouseButton.LeftButton
        )
        dialog = view.findChild(QDialog, "newWorkflowDialog")
        qtbot.keyClicks(dialog.name_edit, "supplier-prices")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.editor is not None, timeout=10000)
        editor = view.editor
        f = editor.fields

        qtbot.keyClicks(f["title"].edit, "Answer a supplier's price increase")
        qtbot.keyClicks(
            f["purpose"].edit,
            "Draft a short, polite answer to a supplier's e-mail announcing new prices. "
            "Not responsible for accepting, refusing or negotiating the increase.",
        )
        qtbot.keyClicks(f["input.description"].edit, "One e-mail from a supplier, as received.")
        for rule in ("Thank them for the notice.", "Ask from which date the prices apply."):
            qtbot.keyClicks(f["criteria.rules"].entry, rule)
            qtbot.keyClick(f["criteria.rules"].entry, Qt.Key.Key_Return)
        qtbot.keyClicks(f["prompt.system"].edit, "You answer suppliers for Cafe Rosa.")
        qtbot.keyClicks(f["output.max_chars"].edit, "800")
        qtbot.keyClicks(f["output.must_not_contain"].entry, "we accept")
        qtbot.keyClick(f["output.must_not_contain"].entry, Qt.Key.Key_Return)
        qtbot.keyClicks(f["model.api_base"].edit, llm_server.url)
        modes = f["failure_modes"]
        qtbot.mouseClick(
            modes.findChild(QPushButton, "specAddFailureMode"), Qt.MouseButton.LeftButton
        )
        modes.table.item(0, 0).setText("Model down")
        when = modes.table.cellWidget(0, 1)
        assert isinstance(when, QComboBox)
        when.setCurrentText("model_error")
        qtbot.waitUntil(lambda: editor.status.text() == "Complete: it can run.", timeout=5000)

        panel = editor.samples
        panel.add_text("Dear Rosa, from 1 March our flour costs 8% more. Acme", "acme")
        panel.add_text("Hello, butter goes up by 5% next month. Beta Dairy", "beta")
        qtbot.waitUntil(lambda: panel.try_sample.count() == 2, timeout=5000)
        for index in (0, 1):
            panel.try_sample.setCurrentIndex(index)
            with qtbot.waitSignal(panel.job.done, timeout=60000):
                qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)
            assert (
                panel.try_status.text().startswith("pending")
                and ANSWER in panel.result.toPlainText()
            )

        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: editor.status.text().startswith("Saved."), timeout=10000)
        spec, problems = check_spec(editor.path)
        assert spec is not None and spec.complete and problems == []
        text = editor.path.read_text()
        data_read = tomllib.loads(text)
        assert data_read["criteria"]["rules"] == [
            "Thank them for the notice.",
            "Ask from which date the prices apply.",
        ]
        # as if written by hand: the blank spec's comments and order, one key a line
        assert text.index("[model]") < text.index("[input]") < text.index("[criteria]")
        assert "# What the workflow does" in text and "\n\n\n" not in text
        assert '"we accept"]\n\n[[failure_modes]]\nname = "Model down"' in text
        assert all(len(line) < 200 for line in text.splitlines())
        editor.close()

        def listed_complete() -> bool:  # the list has re-read the saved spec
            spec = view._specs.get("supplier-prices")
            settled = not worker.busy and not view._reload_timer.isActive()
            return spec is not None and spec.complete and settled

        qtbot.waitUntil(listed_complete, timeout=10000)
        view.select_workflow("supplier-prices")
        qtbot.mouseClick(window.findChild(QPushButton, "profileButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: view.profile_dialog is not None, timeout=5000)
        profile = view.profile_dialog
        with qtbot.waitSignal(profile.job.done, timeout=60000):
            qtbot.mouseClick(profile.start_button, Qt.MouseButton.LeftButton)
        assert "Profile 1 finished" in profile.status.text()
        profile.close()

        view.run_panel.source.setCurrentIndex(0)  # its samples
        with qtbot.waitSignal(view.run_panel.job.done, timeout=60000):
            qtbot.mouseClick(view.run_panel.run_button, Qt.MouseButton.LeftButton)
        assert "2 pending" in view.run_panel.run_status.text()
        purposes = dict(
            db.execute("SELECT purpose, count(*) FROM model_calls GROUP BY purpose").fetchall()
        )
        assert purposes == {"try": 2, "profile": 2, "run": 2}
    finally:
        window.close()
        qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
        worker.close()
        db.conn.close()
