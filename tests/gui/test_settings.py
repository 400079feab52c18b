"""Settings: keys into the keychain (never back into a widget), model and server, local discovery."""

from __future__ import annotations

import json

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.tasks import DbWorker
from desktop_app.storage.db import connect
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import reply, responder

SECRET = "sk-typed-into-the-window-0123456789abcdef"


def open_settings(window):
    window.show_tab("settings")
    return window.settings


def test_a_key_goes_to_the_keychain_and_never_back_into_a_widget(qtbot, window):
    view = open_settings(window)
    view.keys.provider.setCurrentText("anthropic")
    assert view.keys.key_field.echoMode() == view.keys.key_field.EchoMode.Password
    qtbot.keyClicks(view.keys.key_field, SECRET)
    qtbot.keyClick(view.keys.key_field, Qt.Key.Key_Return)
    assert view.keys.key_field.text() == ""  # at once, before the keychain has answered
    qtbot.waitUntil(lambda: "available" in view.keys.key_status.text(), timeout=5000)
    assert keyring.get_password("signoff", "anthropic") == SECRET
    for widget in view.findChildren(object):
        for getter in ("text", "toPlainText", "currentText"):
            if hasattr(widget, getter):
                assert SECRET not in str(getattr(widget, getter)())
    view.keys.delete_key_button.click()
    qtbot.waitUntil(lambda: "No key for anthropic" in view.keys.key_status.text(), timeout=5000)
    assert keyring.get_password("signoff", "anthropic") is None


def test_no_keychain_says_which_variable_to_use(qtbot, window):
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    view = open_settings(window)
    view.keys.provider.setCurrentText("mistral")
    view.keys.key_field.setText(SECRET)
    view.keys.store_key_button.click()
    assert view.keys.key_field.text() == ""
    qtbot.waitUntil(lambda: "MISTRAL_API_KEY" in view.keys.key_status.text(), timeout=5000)
    assert SECRET not in view.keys.key_status.text() and view.keys.store_key_button.isEnabled()


def test_find_a_local_server_and_use_it_for_every_workflow(
    qtbot, window, seeded, llm_server, monkeypatch
):
    from desktop_app.services import local_servers

    port = int(llm_server.url.split(":")[2].split("/")[0])
    monkeypatch.setattr(local_servers, "KNOWN_PORTS", {port: "Ollama"})
    view = open_settings(window)
    with qtbot.waitSignal(view.job.done, timeout=10000):
        view.find_button.click()
    assert view.local_models.currentText() == "Ollama: test-model"
    view.use_local_button.click()
    saved = json.loads((seeded.parent / "settings.json").read_text())
    assert saved == {
        "model": "openai/test-model",
        "api_base": llm_server.url,
        "fallbacks": [],
        "monthly_budget_usd": None,
        "max_cost_per_approved_usd": None,
        "quiet_hours": "",
        "muted": [],
        "start_at_login": False,
        "ask_over_inputs": 1000,
        "name": "",
        "database": "",
    }
    qtbot.waitUntil(
        lambda: window.workflows.run_panel.api_base_edit.placeholderText() == llm_server.url,
        timeout=5000,
    )
    assert window.workflows.proxy.index(0, 2).data() == "openai/test-model (Settings)"

    # A bundled workflow now runs against it with nothing typed in the run panel.
    llm_server.default = responder(answer_for)
    window.show_tab("workflows")
    window.workflows.select_workflow("meeting-actions")
    with qtbot.waitSignal(window.workflows.run_panel.job.done, timeout=60000):
        window.workflows.run_panel.run_button.click()
    assert "3 pending" in window.workflows.run_panel.run_status.text()
    assert {
        r.body["model"] for r in llm_server.requests if r.path.endswith("/chat/completions")
    } == {"test-model"}

    llm_server.default = reply("OK")
    with qtbot.waitSignal(view.job.done, timeout=30000):
        view.test_button.click()
    assert view.model_status.text().startswith("It works: openai/test-model answered in")


def test_bad_api_base_is_refused(window, seeded):
    view = open_settings(window)
    view.api_base_edit.setText("localhost:11434")
    assert not view.save()
    assert "must start with http://" in view.model_status.text()
    assert not (seeded.parent / "settings.json").exists()


@pytest.fixture
def first_start(qtbot, seeded, workflows_dir, monkeypatch, refused_url):
    from desktop_app.services import local_servers

    port = int(refused_url.split(":")[2].split("/")[0])
    monkeypatch.setattr(local_servers, "KNOWN_PORTS", {port: "Ollama"})
    db = connect(seeded)
    worker = DbWorker(seeded)
    win = MainWindow(db, worker, db_path=seeded, workflows_dir=workflows_dir)
    qtbot.addWidget(win)
    yield win
    win.close()
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
    worker.close()
    db.conn.close()


def test_first_start_without_a_model_opens_the_welcome(qtbot, first_start):
    win = first_start
    qtbot.waitUntil(lambda: win.current_tab() == "settings", timeout=10000)
    assert not win.settings.welcome.isHidden()
    qtbot.waitUntil(
        lambda: "No model server answered" in win.settings.model_status.text(), timeout=10000
    )


def test_quiet_hours_mutes_and_start_at_login(qtbot, window, seeded, tmp_path):
    from desktop_app.services import autostart, settings

    view = window.settings
    window.show_tab("settings")
    view.model_edit.setText("openai/gpt-4o-mini")
    assert view.save()
    view.quiet_edit.setText("late")
    qtbot.mouseClick(view.save_away_button, Qt.MouseButton.LeftButton)
    assert "should look like 22:00-07:00" in view.away_status.text()
    view.quiet_edit.setText("22:00-07:00")
    view.muted_edit.setText("bank-categorise, support-digest")
    view.login_box.setChecked(True)
    qtbot.mouseClick(view.save_away_button, Qt.MouseButton.LeftButton)
    saved = settings.load(seeded.parent)
    assert saved.quiet_hours == "22:00-07:00" and saved.model == "openai/gpt-4o-mini"
    assert saved.muted == ("bank-categorise", "support-digest") and saved.start_at_login
    entry = autostart.entry_path()
    assert entry.is_relative_to(tmp_path)  # the test's own XDG folder, never the user's
    assert "Exec=" in entry.read_text() and "--data-dir" in entry.read_text()
    view.login_box.setChecked(False)
    qtbot.mouseClick(view.save_away_button, Qt.MouseButton.LeftButton)
    assert not entry.exists()


def test_about_says_the_version_data_folder_schema_and_library_versions(qtbot, window, db_path):
    from desktop_app import __version__
    from desktop_app.storage.db import latest_schema

    view = open_settings(window)
    view.about_button.click()
    box = window.findChild(QMessageBox, "aboutBox")
    assert box is not None and box.isVisible()
    text = box.text()
    assert f"<td>{__version__}</td>" in text
    assert str(db_path.parent) in text
    assert f"<td>{latest_schema()}</td>" in text  # the open database is up to date
    assert "litellm" in text and "Qt (PySide6)" in text
    box.close()
