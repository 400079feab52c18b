"""``signoff serve``: Signoff without a window (issue 26, point 7) — what is due done once,
one line an event on stderr, SIGTERM a clean stop whose run the next start resumes, and
never alongside a window (or another serve) on one SQLite data folder."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.helpers.canned import answer_for
from tests.helpers.llm_server import reply, responder
from tests.helpers.schedules import due_support_digest

MAILS = 30


def count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(sql).fetchone()[0])


def completions(server) -> int:
    return len([r for r in server.requests if r.path.endswith("/chat/completions")])


@pytest.fixture
def due(_isolated_environment, llm_server, monkeypatch):
    """support-digest due, with MAILS e-mails in its folder; the workflows in the data folder."""
    home = _isolated_environment
    workflows = home / "workflows"
    shutil.copytree(REPO_ROOT / "workflows", workflows)
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(workflows))
    due_support_digest(home, workflows, llm_server)
    sample = (workflows / "support-digest" / "samples" / "double-charge.eml").read_text()
    for n in range(MAILS - 4):  # the four samples, and more of the same, each its own
        mail = sample.replace("Subject: ", f"Subject: [{n}] ", 1)
        (home / "inbox" / "support" / f"more-{n}.eml").write_text(mail, encoding="utf-8")
    return home


def _process(home: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, SIGNOFF_HOME=str(home), SIGNOFF_WORKFLOWS=str(home / "workflows"))
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_app", *args], cwd=REPO_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.sqlite_file
def test_serve_once_runs_what_is_due_and_says_each_thing_in_a_line(signoff, due, llm_server):
    code, out, err = signoff("serve", "--once")
    assert code == 0, err
    db = due / "signoff.db"
    made = count(db, "SELECT count(*) FROM items WHERE workflow = 'support-digest'")
    assert count(db, "SELECT count(*) FROM run_inputs") == MAILS  # the out-of-office: skipped
    assert made == count(db, "SELECT count(*) FROM run_inputs WHERE status = 'done'") >= MAILS - 1
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"signoff serve: {due}, what is due once")
    assert sum(line.startswith("item ") and " made: " in line for line in lines) == made
    assert any(line.startswith("support-digest: run 1 finished:") for line in lines), err
    assert out == ""  # stdout stays free for nothing: serve is a log on stderr
    code, _, err = signoff("serve", "--once")  # the slot is handled: nothing again
    assert code == 0 and count(db, "SELECT count(*) FROM runs") == 1
    assert not (due / "serve.lock").exists()  # released


@pytest.mark.sqlite_file
def test_sigterm_stops_serve_cleanly_and_the_next_start_resumes_the_run(due, llm_server):
    def slow(body):
        time.sleep(0.15)
        return answer_for(body)

    llm_server.default = responder(slow)
    before = completions(llm_server)  # the profile's calls, made while enabling it
    proc = _process(due, "serve")
    db = due / "signoff.db"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if db.exists() and count(db, "SELECT count(*) FROM items") >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err  # a stop asked for is a clean end for systemd
    assert "signoff: SIGTERM: stopping" in err and "signoff serve: SIGTERM: stopped" in err
    made = count(db, "SELECT count(*) FROM items")
    assert 3 <= made < MAILS - 1
    assert made == completions(llm_server) - before  # every call under way was kept
    assert count(db, "SELECT count(*) FROM runs WHERE state = 'interrupted'") == 1
    assert not (due / "serve.lock").exists()

    llm_server.default = responder(answer_for)
    again = _process(due, "serve", "--once")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert "support-digest: resuming run 1" in err
    answered = count(db, "SELECT count(*) FROM run_inputs WHERE status = 'done'")
    assert count(db, "SELECT count(*) FROM run_inputs WHERE status = 'queued'") == 0
    assert count(db, "SELECT count(*) FROM items") == answered  # each input one item
    assert completions(llm_server) - before == answered  # none sent twice
    assert count(db, "SELECT count(*) FROM runs") == 1
    assert count(db, "SELECT count(*) FROM runs WHERE state = 'finished'") == 1


@pytest.fixture
def other_process():
    """A live process that is not this one (its id is written into a lock)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.mark.sqlite_file
def test_serve_is_refused_while_the_window_or_another_serve_holds_the_folder(
    signoff, _isolated_environment, other_process
):
    home = _isolated_environment
    home.mkdir(parents=True, exist_ok=True)
    (home / "signoff.lock").write_text(f"{other_process}\nsignoff\nhost\n")
    code, _, err = signoff("serve", "--once")
    assert code == 1
    assert err.strip() == (
        f"signoff: error: the Signoff window is open on {home} (process {other_process}): it"
        " runs what is due itself; close it first (two of them on one database would each"
        " run it)"
    )
    assert not (home / "serve.lock").exists()  # ours was given back
    (home / "signoff.lock").unlink()
    (home / "serve.lock").write_text(f"{other_process}\n")
    code, _, err = signoff("serve", "--once")
    assert code == 1
    assert (
        err.strip()
        == f"signoff: error: signoff serve already runs on {home} (process {other_process})"
    )
    assert (home / "serve.lock").read_text() == f"{other_process}\n"  # not taken from it


def test_a_stale_lock_is_taken_over(signoff, _isolated_environment):
    home = _isolated_environment
    home.mkdir(parents=True, exist_ok=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (home / "serve.lock").write_text(f"{gone.pid}\n")
    (home / "signoff.lock").write_text(f"{gone.pid}\nsignoff\nhost\n")  # a window that crashed
    code, _, err = signoff("serve", "--once")
    assert code == 0, err
    assert not (home / "serve.lock").exists()


@pytest.mark.sqlite_file
def test_the_window_will_not_open_while_serve_holds_the_folder(
    _isolated_environment, other_process
):
    home = _isolated_environment
    home.mkdir(parents=True, exist_ok=True)
    (home / "serve.lock").write_text(f"{other_process}\n")
    env = dict(os.environ, SIGNOFF_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app"], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().startswith(
        f"signoff: error: signoff serve runs on {home} (process {other_process})"
    )
    assert "systemctl --user stop signoff-serve" in done.stderr
    assert (
        not (home / "signoff.db").exists()
        or count(home / "signoff.db", "SELECT count(*) FROM runs") == 0
    )


def test_the_systemd_user_unit_starts_serve_and_stops_it_with_time_for_its_calls():
    """packaging/signoff-serve.service (in the .deb: /usr/lib/systemd/user/)."""
    import configparser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys as written
    unit.read(REPO_ROOT / "packaging" / "signoff-serve.service", encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStart"].split()[-1] == "serve"
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 60
    assert service["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "default.target"


@pytest.mark.sqlite_file
def test_serve_takes_new_mail_on_the_schedule_once(
    signoff, llm_server, mail_servers, _isolated_environment, tmp_path, monkeypatch
):
    """A mailbox workflow on its schedule, with Signoff only in the background (issue 27):
    each pass takes what is new in the mailbox, once."""
    from tests.helpers.mail import add_account, message, write_mail_spec
    from tests.helpers.schedules import enable_due

    home = _isolated_environment
    add_account(home, mail_servers)
    folder = tmp_path / "wf"
    path = write_mail_spec(folder, api_base=llm_server.url)
    path.write_text(path.read_text() + '\n[schedule]\nevery = "1h"\n')
    shutil.copytree(REPO_ROOT / "workflows" / "supplier-reply" / "samples", path.parent / "samples")
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(folder))
    llm_server.default = reply("Thank you, we have noted it.")
    enable_due(home / "signoff.db", path, llm_server.url)
    for n in range(3):
        mail_servers.imap.deliver(message(n))
    code, _, err = signoff("serve", "--once")
    assert code == 0, err
    assert any(line.startswith("prices: run ") and "finished" in line for line in err.splitlines())
    db = home / "signoff.db"
    assert count(db, "SELECT count(*) FROM items WHERE workflow = 'prices'") == 3
