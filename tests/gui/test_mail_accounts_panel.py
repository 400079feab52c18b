"""Settings → Mail accounts (issue 27): add an account (its password to the keychain),
test it against real servers, a wrong password in one line, remove it; all off the UI
thread."""

from __future__ import annotations

import keyring
from PySide6.QtCore import Qt

from tests.helpers.dovecot import PASSWORD, USER


def _panel(window):
    window.tabs.setCurrentIndex(3)
    return window.settings.mail


def _fill(panel, imap, smtp, password):
    values = {
        "name": "shop", "imap": f"127.0.0.1:{imap.imap_port}", "smtp": f"127.0.0.1:{smtp.port}",
        "user": USER, "address": "cafe@example.com", "password": password,
        "trust": str(imap.certificate),
    }  # fmt: skip
    for key, value in values.items():
        panel.edits[key].setText(value)
    panel.security.setCurrentIndex(panel.security.findData("starttls"))


def test_add_test_and_remove_an_account(qtbot, window, mail_servers):
    panel = _panel(window)
    assert panel.accounts.count() == 0 and "No mail account yet" in panel.status.text()
    imap, smtp = mail_servers
    _fill(panel, imap, smtp, PASSWORD)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.edits["password"].text() == ""  # not kept in the field
    qtbot.waitUntil(lambda: "SMTP" in panel.status.text(), timeout=10000)
    assert f"IMAP 127.0.0.1:{imap.imap_port}: logged in" in panel.status.text()
    assert panel.accounts.count() == 1 and panel.accounts.currentItem().text() == "shop"
    assert keyring.get_password("signoff", "account:shop") == PASSWORD
    panel.accounts.setCurrentRow(0)
    assert panel.edits["user"].text() == USER and panel.edits["password"].text() == ""
    qtbot.mouseClick(panel.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.status.text().startswith("IMAP"), timeout=10000)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.accounts.count() == 0, timeout=10000)
    assert keyring.get_password("signoff", "account:shop") is None


def test_a_wrong_password_is_one_line_without_it(qtbot, window, mail_servers):
    panel = _panel(window)
    imap, smtp = mail_servers
    _fill(panel, imap, smtp, "wrong-password-991")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "did not work" in panel.status.text(), timeout=10000)
    said = panel.status.text()
    assert "refused the login" in said and "wrong-password-991" not in said
    assert "\n" not in said
