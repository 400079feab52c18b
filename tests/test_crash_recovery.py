"""Kill Signoff in the middle of a run; the next start marks the run and finishes it, no duplicates."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from desktop_app.cli import main
from tests.conftest import REPO_ROOT
from tests.helpers.llm_server import hang, reply
from tests.helpers.specs import folder_workflow, write_spec


def count(db_path, sql):
    """One value from the database, read-only; 0 while it does not exist yet."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        conn.close()


def _killed_once_called(args: list[str], env: dict, llm_server, calls: int) -> None:
    """``signoff ARGS`` in a process of its own, killed (SIGKILL) once ``calls`` model calls
    have reached the server: the next one hangs there, under way."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", *args],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(llm_server.completions) < calls and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


def test_killed_run_is_resumed_on_next_start(tmp_path, llm_server, capsys, _isolated_environment):
    folder = tmp_path / "wf"
    write_spec(folder, "reply", api_base=llm_server.url, retries=0, timeout_s=30)
    inputs = tmp_path / "reviews"
    inputs.mkdir()
    for n in range(6):
        (inputs / f"review-{n}.txt").write_text(
            f"Review number {n}, lovely cake.", encoding="utf-8"
        )
    # Two quick answers, then the server stalls: the process is killed while waiting.
    llm_server.script(reply("Thanks for review A!"), reply("Thanks for review B!"), hang(20))
    env = dict(os.environ, SIGNOFF_WORKFLOWS=str(folder), SIGNOFF_HOME=str(_isolated_environment))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop_app",
            "run",
            "reply",
            "--input",
            str(inputs),
            "--concurrency",
            "1",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    db_path = _isolated_environment / "signoff.db"
    deadline = time.monotonic() + 60
    while count(db_path, "SELECT count(*) FROM items") < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    while len([r for r in llm_server.requests if r.path.endswith("/chat/completions")]) < 3:
        time.sleep(0.05)  # the third call is in flight (hanging)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)  # reaps it and closes its pipes
    assert count(db_path, "SELECT count(*) FROM runs WHERE state = 'running'") == 1

    llm_server.default = reply("Thanks for the review!")
    llm_server.script()  # nothing queued: every later call answers at once
    os.environ["SIGNOFF_WORKFLOWS"] = str(folder)
    try:
        assert main(["inbox"]) == 0
        err = capsys.readouterr().err
        assert "run 1 was interrupted" in err
        assert count(db_path, "SELECT state FROM runs WHERE id = 1") == "interrupted"
        assert main(["run", "reply", "--text", "A new review"]) == 0
        out = capsys.readouterr().out
        assert "resuming interrupted run 1" in out
    finally:
        del os.environ["SIGNOFF_WORKFLOWS"]
    assert count(db_path, "SELECT state FROM runs WHERE id = 1") == "finished"
    assert count(db_path, "SELECT count(*) FROM items WHERE run_id = 1") == 6
    assert count(db_path, "SELECT count(DISTINCT run_input_id) FROM items WHERE run_id = 1") == 6
    assert (
        count(db_path, "SELECT count(*) FROM run_inputs WHERE run_id = 1 AND status = 'queued'")
        == 0
    )
    kinds = [
        k
        for (k,) in sqlite3.connect(db_path).execute(
            "SELECT kind FROM events WHERE run_id = 1 ORDER BY seq"
        )
    ]
    assert kinds.index("run.interrupted") < kinds.index("run.resumed") < kinds.index("run.finished")
    assert main(["log", "verify"]) == 0


def test_a_folder_of_50_files_is_processed_once_across_a_kill_and_restart(
    tmp_path, llm_server, capsys, _isolated_environment
):
    folder = tmp_path / "wf"
    _, dropbox = folder_workflow(
        folder, _isolated_environment, 50, api_base=llm_server.url, timeout_s=30
    )
    # Twenty quick answers, then the server stalls and the process is killed mid-run.
    llm_server.script(*[reply(f"Thanks, message {n}!") for n in range(20)], hang(20))
    env = dict(os.environ, SIGNOFF_WORKFLOWS=str(folder), SIGNOFF_HOME=str(_isolated_environment))
    _killed_once_called(["run", "inbox", "--concurrency", "1"], env, llm_server, 21)
    db_path = _isolated_environment / "signoff.db"
    assert count(db_path, "SELECT count(*) FROM items") == 20

    llm_server.default = reply("Thanks for the message!")
    llm_server.script()
    os.environ["SIGNOFF_WORKFLOWS"] = str(folder)
    try:
        assert main(["run", "inbox"]) == 0  # resumes the killed run: the other 30 files
        assert "resuming interrupted run 1" in capsys.readouterr().out
        assert main(["run", "inbox"]) == 0  # and again: nothing is processed twice
        assert "nothing new to process" in capsys.readouterr().out
        (dropbox / "message-50.txt").write_text("A late message")
        assert main(["run", "inbox"]) == 0  # a new file is picked up, once
    finally:
        del os.environ["SIGNOFF_WORKFLOWS"]
    assert count(db_path, "SELECT count(*) FROM items") == 51
    assert count(db_path, "SELECT count(DISTINCT input_name) FROM items") == 51
    assert count(db_path, "SELECT count(*) FROM processed_inputs") == 51


def test_a_webhook_is_delivered_once_across_a_kill_between_intent_and_result(
    tmp_path, llm_server, capsys, _isolated_environment
):
    import threading
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    keys: Counter[str] = Counter()
    posts = []
    slow = threading.Event()
    slow.set()  # the first delivery is received, then never answered: the sender is killed

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            posts.append(self.headers["Idempotency-Key"])
            if slow.is_set():
                slow.clear()
                time.sleep(30)
                return
            keys[self.headers["Idempotency-Key"]] += 1
            self.send_response(200)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    folder = tmp_path / "wf"
    path = write_spec(folder, "reply", api_base=llm_server.url)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    path.write_text(path.read_text() + f'\n[action]\nkind = "webhook"\nurl = "{url}"\n')
    llm_server.default = reply("Dear customer, thank you!")
    os.environ["SIGNOFF_WORKFLOWS"] = str(folder)
    try:
        assert main(["run", "reply", "--text", "Lovely cake!"]) == 0
        env = dict(os.environ, SIGNOFF_HOME=str(_isolated_environment))
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop_app", "approve", "1"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not posts and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the delivery is out; its result never recorded
        proc.communicate(timeout=10)
        db_path = _isolated_environment / "signoff.db"
        assert count(db_path, "SELECT state FROM actions WHERE item_id = 1") == "intended"
        capsys.readouterr()
        assert main(["action", "1"]) == 0  # settles it: sent again with the same key
        assert "webhook action:" in capsys.readouterr().out
        assert main(["action", "1"]) == 0  # done: not sent a third time
    finally:
        del os.environ["SIGNOFF_WORKFLOWS"]
        httpd.shutdown()
        httpd.server_close()
    assert len(posts) == 2 and len(set(posts)) == 1  # one idempotency key for both posts
    assert sum(keys.values()) == 1  # the receiver acted on it once
    assert count(db_path, "SELECT count(*) FROM events WHERE kind = 'action.done'") == 1


def test_100_messages_become_100_items_once_across_a_kill_and_restart(
    tmp_path, llm_server, capsys, _isolated_environment, mail_servers
):
    """A mailbox workflow killed mid-run (issue 27): the restart resumes it, nothing is
    taken twice, and every message ends marked as taken in the mailbox."""

    from tests.helpers.dovecot import PASSWORD
    from tests.helpers.mail import add_account, message, write_mail_spec

    add_account(_isolated_environment, mail_servers)
    for n in range(100):
        mail_servers.imap.deliver(message(n))
    folder = tmp_path / "wf"
    write_mail_spec(folder, api_base=llm_server.url, timeout_s=30)
    llm_server.script(*[reply(f"Noted, message {n}!") for n in range(30)], hang(20))
    env = dict(
        os.environ,
        SIGNOFF_WORKFLOWS=str(folder),
        SIGNOFF_HOME=str(_isolated_environment),
        SIGNOFF_ACCOUNT_SHOP_PASSWORD=PASSWORD,  # the child's keychain is its own (in memory)
    )
    _killed_once_called(["run", "prices", "--concurrency", "1", "--yes"], env, llm_server, 31)
    db_path = _isolated_environment / "signoff.db"
    assert count(db_path, "SELECT count(*) FROM items") == 30

    llm_server.default = reply("Noted, thank you!")
    llm_server.script()
    os.environ["SIGNOFF_WORKFLOWS"] = str(folder)
    try:
        assert main(["run", "prices", "--yes"]) == 0  # resumes the killed run: the other 70
        assert "resuming interrupted run 1" in capsys.readouterr().out
        assert main(["run", "prices"]) == 0
        assert "nothing new to process" in capsys.readouterr().out
    finally:
        del os.environ["SIGNOFF_WORKFLOWS"]
    assert count(db_path, "SELECT count(*) FROM items") == 100
    assert count(db_path, "SELECT count(DISTINCT input_name) FROM items") == 100
    with mail_servers.imap.reading() as conn:
        _, unmarked = conn.uid("SEARCH", "UNKEYWORD", "$Signoff")
    assert unmarked == [b""]  # every message marked as taken
