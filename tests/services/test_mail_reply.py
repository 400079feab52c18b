"""An approved reply sent by e-mail (issue 27): in the sender's thread, the approved text,
once, ever; a copy in Sent; a refusal in the server's words, retried; after a crash between
sending and recording, found in Sent and not sent again. Real Dovecot and SMTP servers."""

from __future__ import annotations

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import actions, decisions, mail_sending, run_start
from tests.helpers.llm_server import reply
from tests.helpers.mail import add_account, message, write_mail_spec

ANSWER = "Thank you, we have noted the new prices."


@pytest.fixture
def replying(tmp_path, db, llm_server, mail_servers):
    """A mailbox workflow that answers by e-mail, run on one supplier's message: (spec,
    the item's id, the message's Message-ID)."""
    llm_server.default = reply(ANSWER)
    data = tmp_path / "data"
    add_account(data, mail_servers)
    path = write_mail_spec(tmp_path / "workflows", api_base=llm_server.url)
    path.write_text(path.read_text() + '\n[action]\nkind = "email"\naccount = "shop"\n')
    spec = load_spec(path)
    raw = message(1)
    mail_servers.imap.deliver(raw)
    summary = run_start.run_workflow(db, spec, data, confirmed=True).summaries[0]
    (item_id,) = summary.item_ids
    original = next(ln for ln in raw.decode().splitlines() if ln.startswith("Message-ID:"))
    return spec, item_id, original.split(":", 1)[1].strip()


ONE_ENGINE = pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # not about the engine


def _sent(servers):
    with servers.imap.reading("Sent") as conn:
        _, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO)])")
    return [part[1].decode() for part in data if isinstance(part, tuple)]


def test_the_approved_reply_goes_to_the_sender_in_the_thread_once(
    tmp_path, db, replying, mail_servers
):
    spec, item_id, original = replying
    decisions.approve(db, item_id, by="rosa", edited_text="Thank you, Rosa will call you.")
    first = actions.perform(db, item_id, spec, tmp_path / "data")
    assert first.state == "done", first.message
    assert first.message == "sent to supplier@example.net (a copy in Sent)"
    ((sender, rcpts, sent),) = mail_servers.smtp.received
    assert sender == "cafe@example.com" and rcpts == ["supplier@example.net"]
    assert sent["To"] == "Supplier 1 <supplier@example.net>"
    assert sent["Subject"] == "Re: Price list 1"
    assert sent["In-Reply-To"] == original and original in sent["References"]
    assert sent.get_payload(decode=True).decode().strip() == "Thank you, Rosa will call you."
    (copy,) = _sent(mail_servers)
    assert sent["Message-ID"] in copy and original in copy
    again = actions.perform(db, item_id, spec, tmp_path / "data")  # a retry of a done action
    assert again.state == "done" and len(mail_servers.smtp.received) == 1


def test_after_a_crash_between_sending_and_recording_it_is_not_sent_again(
    tmp_path, db, replying, mail_servers
):
    """The reply went out and its copy is in Sent, but the process died before the action
    was recorded done: the next attempt finds the copy by its Message-ID."""
    spec, item_id, _ = replying
    decisions.approve(db, item_id, by="rosa")
    item = actions.item_rows.get_item(db, item_id)
    plan = actions._plan(db, item, spec, tmp_path / "data")
    assert actions._record_intent(db, item, plan)
    mail_sending.send_once(*plan.mail)  # sent and filed; then the process dies
    assert actions.action_for(db, item_id)["state"] == "intended"
    (recovered,) = actions.recover(db, {"prices": spec}, tmp_path / "data")
    assert recovered.state == "done" and "not sent again" in recovered.message
    assert len(mail_servers.smtp.received) == 1 and len(_sent(mail_servers)) == 1


@ONE_ENGINE
def test_a_refused_address_fails_in_the_servers_words_and_a_retry_sends_it(
    tmp_path, db, replying, mail_servers
):
    spec, item_id, _ = replying
    decisions.approve(db, item_id, by="rosa")
    mail_servers.smtp.refuse = True
    failed = actions.perform(db, item_id, spec, tmp_path / "data")
    assert failed.state == "failed"
    assert "550 5.1.1 <supplier@example.net>: Recipient address rejected: User unknown" in (
        failed.message
    )
    assert mail_servers.smtp.received == [] and _sent(mail_servers) == []
    mail_servers.smtp.refuse = False
    retried = actions.retry(db, item_id, spec, tmp_path / "data")
    assert retried.state == "done" and len(mail_servers.smtp.received) == 1


@ONE_ENGINE
def test_the_specs_templates_choose_the_recipient_and_subject(tmp_path, db, replying, mail_servers):
    spec, item_id, _ = replying
    path = spec.path
    path.write_text(
        path.read_text().replace(
            'kind = "email"\naccount = "shop"\n',
            'kind = "email"\naccount = "shop"\nto = "orders@example.org"\n'
            'subject = "Prices: {{ input.fields.subject }}"\n',
        )
    )
    spec = load_spec(path)
    decisions.approve(db, item_id, by="rosa")
    assert actions.perform(db, item_id, spec, tmp_path / "data").state == "done"
    ((_, rcpts, sent),) = mail_servers.smtp.received
    assert rcpts == ["orders@example.org"] and sent["Subject"] == "Prices: Price list 1"
