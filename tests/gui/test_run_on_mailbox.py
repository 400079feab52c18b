"""Run now on a mailbox workflow from the window (issue 27): what is new in its mailbox,
read off the UI thread; again, nothing new; a wrong password in one line, in the status
bar too."""

from __future__ import annotations

from tests.helpers.llm_server import reply
from tests.helpers.mail import add_account, message, write_mail_spec


def _mail_workflow(window, workflows_dir, llm_server, servers):
    llm_server.default = reply("Thank you, we have noted the new prices.")
    add_account(window.paths.data_dir, servers)
    write_mail_spec(workflows_dir, api_base=llm_server.url)
    view = window.show_tab("workflows")
    view.reload()
    return view


def _names(view):
    return [view.proxy.index(row, 0).data() for row in range(view.proxy.rowCount())]


def test_run_now_takes_what_is_new_in_the_mailbox(
    qtbot, window, workflows_dir, llm_server, mail_servers
):
    from desktop_app.gui.run_panel import OWN_SOURCE

    view = _mail_workflow(window, workflows_dir, llm_server, mail_servers)
    qtbot.waitUntil(lambda: "prices" in _names(view), timeout=10000)
    view.select_workflow("prices")
    for n in range(3):
        mail_servers.imap.deliver(message(n))
    panel = view.run_panel
    panel.source.setCurrentIndex(OWN_SOURCE)
    # the job's end is said by a signal after its thread is done: wait for what it says
    panel.run_now()
    qtbot.waitUntil(lambda: "pending" in panel.run_status.text(), timeout=20000)
    assert "3 pending" in panel.run_status.text(), panel.run_status.text()
    panel.run_now()
    qtbot.waitUntil(lambda: "pending" not in panel.run_status.text(), timeout=20000)
    qtbot.waitUntil(lambda: not panel.run_status.text().startswith("Reading"), timeout=20000)
    assert panel.run_status.text().startswith("Nothing new to take"), panel.run_status.text()


def test_a_wrong_password_is_one_line_in_the_panel_and_the_status_bar(
    qtbot, window, workflows_dir, llm_server, mail_servers
):
    from desktop_app.gui.run_panel import OWN_SOURCE
    from desktop_app.services import mail_accounts

    view = _mail_workflow(window, workflows_dir, llm_server, mail_servers)
    account = mail_accounts.get(window.paths.data_dir, "shop")
    mail_accounts.add(window.paths.data_dir, account, "not-it-5531")
    qtbot.waitUntil(lambda: "prices" in _names(view), timeout=10000)
    view.select_workflow("prices")
    panel = view.run_panel
    panel.source.setCurrentIndex(OWN_SOURCE)
    panel.run_now()
    qtbot.waitUntil(lambda: "could not start" in panel.run_status.text(), timeout=20000)
    said = panel.run_status.text()
    assert "refused the login" in said and "not-it-5531" not in said and "\n" not in said
    assert "refused the login" in window.statusBar().currentMessage()


def test_a_text_workflow_has_no_source_to_read(qtbot, window):
    from desktop_app.gui.run_panel import OWN_SOURCE

    view = window.show_tab("workflows")
    qtbot.waitUntil(lambda: "review-reply" in _names(view), timeout=10000)
    view.select_workflow("review-reply")
    view.run_panel.source.setCurrentIndex(OWN_SOURCE)
    view.run_panel.run_now()
    assert not view.run_panel.job.running
    assert "takes one input at a time" in view.run_panel.run_status.text()
