"""Actions after approval: each kind exactly once, also across a crash between intent and result."""

from __future__ import annotations

import csv
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from desktop_app.core.spec_loader import load_spec
from desktop_app.services import actions, decisions
from desktop_app.services.inputs import from_text
from desktop_app.services.runner import Runner
from desktop_app.storage import eventlog
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec


class Receiver:
    """A webhook receiver on 127.0.0.1 that counts deliveries per idempotency key."""

    def __init__(self, fail_first: int = 0, status: int = 500):
        self.posts: list[dict] = []
        self.keys: Counter[str] = Counter()
        self.fail_first, self.status = fail_first, status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.posts.append(body)
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(receiver.status)
                    self.end_headers()
                    return
                receiver.keys[self.headers["Idempotency-Key"]] += 1
                self.send_response(200)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://user:secret@127.0.0.1:{self.httpd.server_address[1]}/hook?token=abc"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def approved(tmp_path, db, llm_server, action: str, name: str = "anna"):
    llm_server.default = reply("Dear customer, thank you!")
    path = write_spec(tmp_path / "wf", api_base=llm_server.url)
    path.write_text(path.read_text() + "\n[action]\n" + action + "\n")
    spec = load_spec(path)
    (item_id,) = Runner(db).run(spec, [from_text("Lovely cake!", name=name)]).item_ids
    decisions.approve(db, item_id, by="rosa")
    return spec, item_id


def events(db, kind):
    return [
        json.loads(d) for (d,) in db.execute("SELECT detail FROM events WHERE kind = ?", [kind])
    ]


def test_file_is_written_once_and_a_different_file_is_never_overwritten(tmp_path, db, llm_server):
    data = tmp_path / "data"
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "file"\npath = "out/{{ input.name }}.txt"'
    )
    (data / "out").mkdir(parents=True)
    (data / "out" / "anna.txt").write_text("someone else's file")
    first = actions.perform(db, item_id, spec, data)
    assert first.state == "done" and first.target.endswith("anna (2).txt")
    assert "kept" in first.message
    assert (data / "out" / "anna.txt").read_text() == "someone else's file"
    assert (data / "out" / "anna (2).txt").read_text() == "Dear customer, thank you!"
    again = actions.perform(db, item_id, spec, data)
    assert again.state == "done" and sorted(p.name for p in (data / "out").iterdir()) == [
        "anna (2).txt", "anna.txt",
    ]  # fmt: skip
    assert len(events(db, "action.done")) == 1


def test_a_crash_between_intent_and_result_is_settled_without_a_second_write(
    tmp_path, db, llm_server, monkeypatch
):
    data = tmp_path / "data"
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "file"\npath = "out/{{ item.id }}.txt"'
    )
    # the process dies after writing the file, before the result is recorded
    monkeypatch.setattr(actions, "_settle", lambda *a, **k: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        actions.perform(db, item_id, spec, data)
    monkeypatch.undo()
    assert actions.action_for(db, item_id)["state"] == "intended"
    written = data / "out" / f"{item_id}.txt"
    before = written.stat().st_mtime_ns
    (result,) = actions.recover(db, {spec.name: spec}, data)
    assert result.state == "done" and "already holds this output" in result.message
    assert written.stat().st_mtime_ns == before and len(list((data / "out").iterdir())) == 1


def test_csv_appends_one_row_even_when_retried_after_a_crash(tmp_path, db, llm_server, monkeypatch):
    data = tmp_path / "data"
    spec, item_id = approved(tmp_path, db, llm_server, 'kind = "csv"\npath = "log/approved.csv"')
    monkeypatch.setattr(actions, "_settle", lambda *a, **k: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        actions.perform(db, item_id, spec, data)
    monkeypatch.undo()
    actions.recover(db, {spec.name: spec}, data)
    actions.perform(db, item_id, spec, data)
    with (data / "log" / "approved.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["item_id"], r["output"]) for r in rows] == [
        (str(item_id), "Dear customer, thank you!")
    ]


def test_email_draft_is_an_unsent_reply(tmp_path, db, llm_server):
    data = tmp_path / "data"
    spec, item_id = approved(
        tmp_path, db, llm_server, 'kind = "email_draft"\npath = "drafts/{{ item.id }}.eml"'
    )
    result = actions.perform(db, item_id, spec, data)
    text = (data / "drafts" / f"{item_id}.eml").read_text()
    assert result.state == "done" and "X-Unsent: 1" in text and "Dear customer, thank you!" in text


def test_webhook_is_delivered_once_per_key_across_a_crash_and_retried_on_500(
    tmp_path, db, llm_server, monkeypatch, receiver
):
    monkeypatch.setenv("SIGNOFF_BACKOFF_BASE_S", "0.01")
    spec, item_id = approved(tmp_path, db, llm_server, f'kind = "webhook"\nurl = "{receiver.url}"')
    receiver.fail_first = 1  # a 500 first: retried with back-off
    monkeypatch.setattr(actions, "_settle", lambda *a, **k: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):  # delivered, then the process died before recording it
        actions.perform(db, item_id, spec, tmp_path / "data")
    monkeypatch.undo()
    (result,) = actions.recover(db, {spec.name: spec}, tmp_path / "data")
    assert result.state == "done"
    assert len(receiver.keys) == 1  # one delivery as far as the receiver's key says
    (key,) = receiver.keys
    assert key.startswith(f"signoff-reply-{item_id}-")
    assert receiver.posts[-1]["output"] == "Dear customer, thank you!"
    # the target and the log never carry the URL's credentials or query
    row = actions.action_for(db, item_id)
    assert "secret" not in row["target"] and "token" not in row["target"]
    assert "secret" not in json.dumps(events(db, "action.done"))


def test_webhook_400_fails_at_once_and_can_be_retried(tmp_path, db, llm_server, monkeypatch):
    monkeypatch.setenv("SIGNOFF_BACKOFF_BASE_S", "0.01")
    bad = Receiver(fail_first=1, status=400)
    try:
        spec, item_id = approved(tmp_path, db, llm_server, f'kind = "webhook"\nurl = "{bad.url}"')
        failed = actions.perform(db, item_id, spec, tmp_path / "data")
        assert failed.state == "failed" and "answered 400" in failed.message
        assert len(bad.posts) == 1  # no retry on a 4xx
        (event,) = events(db, "action.failed")
        assert "answered 400" in event["error"]
        assert actions.retry(db, item_id, spec, tmp_path / "data").state == "done"
        assert actions.action_for(db, item_id)["attempts"] == 2
    finally:
        bad.close()


def test_clipboard_needs_the_window_and_none_does_nothing(tmp_path, db, llm_server):
    spec, item_id = approved(tmp_path, db, llm_server, 'kind = "clipboard"')
    assert "needs the Signoff window" in actions.perform(db, item_id, spec, tmp_path).message
    copied = []
    assert actions.retry(db, item_id, spec, tmp_path, clipboard=copied.append).state == "done"
    assert copied == ["Dear customer, thank you!"]
    plain = load_spec(write_spec(tmp_path / "wf2", "plain", api_base=llm_server.url))
    (other,) = Runner(db).run(plain, [from_text("Hi", name="x")]).item_ids
    decisions.approve(db, other)
    assert actions.perform(db, other, plain, tmp_path).state == "none"
    assert actions.action_for(db, other) is None
    assert eventlog.verify(db).ok


def test_only_approved_items_are_acted_on_and_due_waits_for_the_undo_window(
    tmp_path, db, llm_server
):
    spec, item_id = approved(tmp_path, db, llm_server, 'kind = "file"\npath = "out/x.txt"')
    assert actions.due(db, settled_before="2000-01-01T00:00:00.000Z", workflows=["reply"]) == []
    later = "2999-01-01T00:00:00.000Z"
    assert actions.due(db, settled_before=later, workflows=["reply"]) == [(item_id, "reply")]
    assert actions.due(db, settled_before=later, workflows=[]) == []
    (pending,) = Runner(db).run(spec, [from_text("Another", name="b")]).item_ids
    with pytest.raises(actions.ActionError, match="only approved items"):
        actions.perform(db, pending, spec, tmp_path)
