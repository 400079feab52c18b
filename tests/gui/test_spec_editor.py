"""The spec editor driven as a person does: New workflow, typing into its fields, the
checker at each field, the TOML tab, a change on disk, Save, a try-out."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QPushButton

from desktop_app.core.spec_loader import check_spec
from desktop_app.gui.spec_editor import SECTIONS, SpecEditor
from desktop_app.gui.tasks import DbWorker
from desktop_app.storage.db import connect
from tests.conftest import BUNDLED_WORKFLOWS, REPO_ROOT
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


@pytest.fixture
def editor_on(qtbot, tmp_path):
    """A spec editor on a copy of ``path`` with its own writer thread; closed afterwards."""
    opened: list[tuple[SpecEditor, DbWorker]] = []

    def open_editor(path, gateway=None):
        db_path = tmp_path / "data" / "signoff.db"
        db_path.parent.mkdir(exist_ok=True)
        connect(db_path).conn.close()
        worker = DbWorker(db_path)
        editor = SpecEditor(path, db_path, worker, gateway=gateway)
        qtbot.addWidget(editor)
        editor.show()
        opened.append((editor, worker))
        return editor

    yield open_editor
    for editor, worker in opened:
        editor.document.saved_text = editor.document.text  # no "unsaved changes" question
        editor.close()
        qtbot.waitUntil(lambda w=worker: not w.busy, timeout=10000)
        worker.close()


def field_edit(editor, key):
    field = editor.fields[key]
    return getattr(field, "edit", None) or getattr(field, "combo", None) or field


def test_every_key_of_the_format_has_a_field():
    from desktop_app.core.spec_keys import KEYS, TABLE, TABLES

    shown = {key for _title, keys in SECTIONS for key in keys}
    expected = {
        k.name
        for k in KEYS
        if k.name != "name"
        and not k.name.startswith("failure_modes.")
        and (k.type not in (TABLE, TABLES) or k.name in ("failure_modes", "output.json_schema"))
    }
    assert shown == expected


@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "workflows").glob("*/workflow.toml")), ids=lambda p: p.parent.name
)
def test_a_bundled_spec_opens_unchanged_and_complete(editor_on, tmp_path, path):
    copy = tmp_path / path.parent.name
    shutil.copytree(path.parent, copy)
    editor = editor_on(copy / "workflow.toml")
    assert not editor.document.changed  # filling the form wrote nothing
    assert editor.status.text() == "Complete: it can run."
    assert editor.problem_list.count() == 0 and "✗" not in editor.checklist.text()


def test_from_new_workflow_to_a_saved_complete_spec(qtbot, window, seeded):
    view = window.show_tab("workflows")
    qtbot.mouseClick(view.findChild(QPushButton, "newWorkflowButton"), Qt.MouseButton.LeftButton)
    dialog = view.findChild(QDialog, "newWorkflowDialog")
    name = dialog.findChild(QLineEdit, "newWorkflowName")
    qtbot.keyClicks(name, "Review-Reply")
    assert "a-z, 0-9" in dialog.name_problem.text() and not dialog.ok.isEnabled()
    name.clear()
    qtbot.keyClicks(name, "review-reply")
    assert "already a workflow" in dialog.name_problem.text()
    name.clear()
    qtbot.keyClicks(name, "supplier-prices")
    assert dialog.ok.isEnabled()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.editor is not None, timeout=10000)
    editor = view.editor
    assert editor.objectName() == "specEditor" and "✗" in editor.checklist.text()

    qtbot.keyClicks(
        field_edit(editor, "purpose"),
        "Draft a polite answer to a supplier's price-increase e-mail. "
        "Not responsible for accepting or refusing the increase.",
    )
    qtbot.keyClicks(
        field_edit(editor, "input.description"), "One e-mail from a supplier about new prices."
    )
    rules = editor.fields["criteria.rules"]
    qtbot.keyClicks(rules.entry, "Thank them and ask for the date it applies from.")
    qtbot.keyClick(rules.entry, Qt.Key.Key_Return)
    assert rules.entry.text() == "" and rules.items.count() == 1
    qtbot.keyClicks(field_edit(editor, "output.max_chars"), "900")
    modes = editor.fields["failure_modes"]
    qtbot.mouseClick(modes.findChild(QPushButton, "specAddFailureMode"), Qt.MouseButton.LeftButton)
    modes.table.item(0, 0).setText("Model down")
    when = modes.table.cellWidget(0, 1)
    assert isinstance(when, QComboBox)
    when.setCurrentText("model_error")
    qtbot.waitUntil(lambda: editor.status.text() == "Complete: it can run.", timeout=5000)
    assert "✗" not in editor.checklist.text()

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.status.text().startswith("Saved."), timeout=10000)
    spec, problems = check_spec(editor.path)
    assert spec is not None and spec.complete and problems == []
    text = editor.path.read_text()
    assert "# What the workflow does" in text  # the blank spec's comments are kept
    assert 'rules = ["Thank them and ask for the date it applies from."]' in text
    assert 'when = "model_error"' in text and "max_chars = 900" in text
    qtbot.waitUntil(lambda: view.model.rowCount() == BUNDLED_WORKFLOWS + 1, timeout=10000)


def test_each_kind_of_problem_shows_at_its_field(qtbot, editor_on, tmp_path):
    editor = editor_on(write_spec(tmp_path / "wf", "reply"))
    field_edit(editor, "model.temperature").setText("")
    qtbot.keyClicks(field_edit(editor, "model.temperature"), "5")
    qtbot.keyClicks(field_edit(editor, "output.pattern"), "(unclosed")
    field_edit(editor, "purpose").setPlainText("")
    field_edit(editor, "prompt.template").setPlainText("Hello {{ input.text }")
    qtbot.waitUntil(lambda: editor.fields["model.temperature"].problem.isVisible(), timeout=5000)
    problem = {k: f.problem.text() for k, f in editor.fields.items() if f.problem.isVisible()}
    assert "between 0 and 2" in problem["model.temperature"]
    assert "not a valid regular expression" in problem["output.pattern"]
    assert "missing a purpose" in problem["purpose"]
    assert "not a valid template" in problem["prompt.template"]
    listed = [editor.problem_list.item(i).text() for i in range(editor.problem_list.count())]
    assert len(listed) == 4 and all(line.startswith("line ") for line in listed)
    assert "✗ a purpose" in editor.checklist.text()
    assert editor.status.text().startswith("Not valid yet")


def test_the_toml_tab_and_the_form_stay_in_step(qtbot, editor_on, tmp_path):
    editor = editor_on(write_spec(tmp_path / "wf", "reply"))
    qtbot.keyClicks(field_edit(editor, "title"), " for suppliers")
    assert 'title = "Test workflow for suppliers"' in editor.toml.toPlainText()
    text = editor.toml.toPlainText().replace("max_chars = 300", "max_chars = 450")
    editor.tabs.setCurrentWidget(editor.toml)
    editor.toml.setPlainText(text)
    qtbot.waitUntil(lambda: field_edit(editor, "output.max_chars").text() == "450", timeout=5000)
    editor.toml.setPlainText(text.replace("[output]", "[output"))
    qtbot.waitUntil(lambda: bool(editor._toml_error), timeout=5000)
    assert "not valid TOML" in editor.problem_list.item(0).text()
    assert field_edit(editor, "output.max_chars").text() == "450"  # the form keeps what it had
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.status.text().startswith("Not saved: the TOML tab")
    assert "[output\n" in editor.toml.toPlainText()  # the person's text is not replaced


def test_a_change_on_disk_is_noticed_and_can_be_reloaded(qtbot, editor_on, tmp_path):
    path = write_spec(tmp_path / "wf", "reply")
    editor = editor_on(path)
    path.write_text(path.read_text().replace('title = "Test workflow"', 'title = "Changed"'))
    qtbot.waitUntil(lambda: editor.disk_banner.isVisible(), timeout=10000)
    qtbot.mouseClick(editor.reload_button, Qt.MouseButton.LeftButton)
    assert field_edit(editor, "title").text() == "Changed" and not editor.disk_banner.isVisible()


def test_a_try_out_on_a_sample_makes_no_item(qtbot, editor_on, tmp_path, llm_server):
    path = write_spec(tmp_path / "wf", "reply", api_base=llm_server.url)
    (path.parent / "samples").mkdir()
    (path.parent / "samples" / "anna.txt").write_text("Lovely cake, Anna")
    editor = editor_on(path)
    llm_server.script(reply("Dear Anna, thank you!"))
    panel = editor.samples
    assert panel.try_button.isEnabled()
    with qtbot.waitSignal(panel.job.done, timeout=30000):
        qtbot.mouseClick(panel.try_button, Qt.MouseButton.LeftButton)
    assert "Dear Anna, thank you!" in panel.result.toPlainText()
    assert panel.try_status.text().startswith("pending")
    db = connect(editor._db_path)
    try:
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 0
        assert db.execute("SELECT purpose FROM model_calls").fetchall() == [("try",)]
    finally:
        db.conn.close()


def test_samples_are_added_and_the_prompt_preview_uses_them(qtbot, editor_on, tmp_path):
    editor = editor_on(write_spec(tmp_path / "wf", "reply"))
    panel = editor.samples
    panel.add_text("Dear Rosa, prices go up 8%.", "price note")
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=5000)
    assert panel.list.item(0).text() == "price-note.txt"
    assert "prices go up 8%" in editor.preview.toPlainText()
    note = tmp_path / "rows.csv"
    note.write_text("supplier,change\nAcme,8%\nBeta,5%\n")
    panel.add_files([note])
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=5000)
    assert panel.list.item(1).text() == "rows.csv  (2 inputs)"


def test_a_draft_from_a_description_opens_unsaved_in_the_editor(
    qtbot, window, seeded, tmp_path, llm_server
):
    from desktop_app.services import settings

    good = (REPO_ROOT / "workflows" / "review-reply" / "workflow.toml").read_text()
    llm_server.script(reply(good.replace('name = "review-reply"', 'name = "supplier-prices"')))
    settings.save(seeded.parent, settings.Settings(api_base=llm_server.url))
    example = tmp_path / "acme.txt"
    example.write_text("Dear Rosa, from March our flour costs 8% more.")
    view = window.show_tab("workflows")
    qtbot.mouseClick(view.findChild(QPushButton, "newWorkflowButton"), Qt.MouseButton.LeftButton)
    dialog = view.findChild(QDialog, "newWorkflowDialog")
    qtbot.keyClicks(dialog.name_edit, "supplier-prices")
    qtbot.keyClicks(dialog.description, "Answer a supplier's price-increase e-mail politely.")
    dialog.set_examples([example])
    assert dialog.drafting
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.editor is not None, timeout=60000)
    editor = view.editor
    assert editor.status.text().startswith("A draft from the model, not saved")
    assert editor.document.changed and "# What the workflow does" in editor.path.read_text()
    assert [editor.samples.list.item(i).text() for i in range(editor.samples.list.count())] == [
        "acme.txt"
    ]
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.status.text().startswith("Saved."), timeout=10000)
    spec, problems = check_spec(editor.path)
    assert spec is not None and spec.complete and problems == []


def test_rename_archive_and_delete_from_the_workflows_view(qtbot, window, seeded, workflows_dir):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    view = window.show_tab("workflows")
    qtbot.waitUntil(lambda: view.model.rowCount() == BUNDLED_WORKFLOWS, timeout=10000)
    view.select_workflow("review-reply")
    view.rename_action.trigger()
    dialog = view.findChild(QInputDialog, "renameWorkflowDialog")
    dialog.setTextValue("cafe-replies")
    dialog.accept()
    qtbot.waitUntil(lambda: view.selected_name() == "cafe-replies", timeout=10000)
    db = connect(seeded)
    try:  # the seeded items of review-reply followed it
        assert (
            db.execute("SELECT count(*) FROM items WHERE workflow = 'cafe-replies'").fetchone()[0]
            == 3
        )
    finally:
        db.conn.close()

    view.delete_action.trigger()  # it has made items: refused, with the reason
    box = view.findChild(QMessageBox, "deleteWorkflowDialog")
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: "can be archived" in window.statusBar().currentMessage(), timeout=5000)
    assert (workflows_dir / "cafe-replies").is_dir()

    view.archive_action.trigger()
    qtbot.waitUntil(lambda: view.model.rowCount() == BUNDLED_WORKFLOWS - 1, timeout=10000)
    assert (workflows_dir / ".archived" / "cafe-replies" / "workflow.toml").is_file()
    view.unarchive_action.trigger()  # undone from the same menu
    dialog = view.findChild(QInputDialog, "unarchiveWorkflowDialog")
    assert dialog.comboBoxItems() == ["cafe-replies"]
    dialog.setTextValue("cafe-replies")
    dialog.accept()
    qtbot.waitUntil(lambda: view.selected_name() == "cafe-replies", timeout=10000)
    assert view.model.rowCount() == BUNDLED_WORKFLOWS
