"""Make the screenshots in this folder: a demo data folder, the real app under Xvfb, a real capture.

    python docs/screenshots/make_screenshots.py      (needs Debian's xvfb and imagemagick)

The demo items come from running the bundled workflows on their samples against
the test suite's local OpenAI-compatible server with canned answers: no paid
model is called, and the costs shown are litellm's prices for the spec's model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


def seed(data: Path) -> None:
    from desktop_app.cli import main
    from tests.helpers.canned import answer_for
    from tests.helpers.llm_server import LLMServer, responder

    os.environ["SIGNOFF_HOME"] = str(data)
    with LLMServer() as server:
        server.default = responder(answer_for)
        for name in (
            "review-reply",
            "invoice-reminder",
            "bank-categorise",
            "meeting-actions",
            "product-description",
        ):
            for sample in sorted((ROOT / "workflows" / name / "samples").iterdir()):
                assert main(["run", name, "--input", str(sample), "--api-base", server.url]) == 0
        # Settings as a café with Ollama would have them (the demo server stands in for it).
        assert (
            main(
                [
                    "settings",
                    "--model",
                    "openai/llama3.1",
                    "--api-base",
                    "http://127.0.0.1:11434/v1",
                ]
            )
            == 0
        )
        # The morning's bank statement: profiled on two models, then on its schedule.
        assert (
            main(
                ["profile", "bank-categorise", "--model", "openai/llama3.1", "openai/gpt-4o-mini",
                 "--api-base", server.url]
            )
            == 0
        )  # fmt: skip
        assert main(["enable", "bank-categorise"]) == 0
    assert main(["approve", "1", "--by", "rosa"]) == 0
    assert main(["reject", "2", "--reason", "Too formal for us", "--by", "rosa"]) == 0


def add_weeks(data: Path, weeks: int = 6) -> None:
    """Six weeks of decided review replies before today's, as a café's month would leave
    them (plain SQL, like the history benchmark): the scorecard and the report have
    weeks to show. Every third week the replies got worse: more edits and rejections."""
    import random
    from datetime import datetime, timedelta, timezone

    from desktop_app.storage.db import connect, transaction

    rng = random.Random(4)
    db = connect(data / "signoff.db")
    now = datetime.now(timezone.utc)
    stamp = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
    with transaction(db):
        for week in range(weeks, 0, -1):
            start = now - timedelta(weeks=week)
            cur = db.execute(
                "INSERT INTO runs (workflow, trigger, state, model, started_at, finished_at)"
                " VALUES ('review-reply', 'schedule', 'finished', 'openai/gpt-4o-mini', ?, ?)",
                [stamp(start), stamp(start + timedelta(minutes=2))],
            )
            run_id = cur.lastrowid
            worse = week % 3 == 0
            for n in range(rng.randint(14, 22)):
                made = start + timedelta(hours=n * 5)
                roll = rng.random()
                status, output, reason = "approved", "Thank you for your review!", None
                if roll < (0.25 if worse else 0.1):
                    output = "Thank you so much for your kind review, see you soon!"
                elif roll < (0.4 if worse else 0.15):
                    status, reason = (
                        "rejected",
                        rng.choice(["Too formal", "Wrong name", "Too long"]),
                    )
                db.execute(
                    "INSERT INTO items (workflow, run_id, status, input_name, input_text, output,"
                    " original_output, reject_reason, model, cost_usd, created_at, decided_at,"
                    " decided_by) VALUES ('review-reply', ?, ?, ?, 'A review.', ?,"
                    " 'Thank you for your review!', ?, 'openai/gpt-4o-mini', ?, ?, ?, 'rosa')",
                    [run_id, status, f"review-{week}-{n}", output, reason,
                     0.00021, stamp(made), stamp(made + timedelta(hours=rng.randint(1, 20)))],
                )  # fmt: skip
                db.execute(
                    "INSERT INTO model_calls (run_id, workflow, model, attempt, ok, tokens_in,"
                    " tokens_out, cost_usd, latency_ms, at, purpose) VALUES (?, 'review-reply',"
                    " 'openai/gpt-4o-mini', 1, 1, 300, 60, ?, 900, ?, 'run')",
                    [run_id, 0.00021 * (1.6 if worse else 1), stamp(made)],
                )
    db.conn.close()


def render_offscreen(data: Path, code: str) -> None:
    """Run ``code`` (a window's part, grabbed) in a process of its own on Qt's offscreen
    platform, with the demo data folder as ``data``."""
    preamble = (
        "import os, sys\n"
        'os.environ["QT_QPA_PLATFORM"] = "offscreen"\n'
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        f"data = Path({str(data)!r})\n"
    )
    env = dict(os.environ, SIGNOFF_HOME=str(data), XDG_CONFIG_HOME=str(data / "config"))
    subprocess.run(
        [sys.executable, "-c", preamble + code], env=env, cwd=ROOT, check=True, timeout=120
    )


def capture_scorecard(data: Path, out: Path) -> None:
    """The Scorecard panel for review-reply, rendered in a process of its own."""
    code = f"""
from PySide6.QtWidgets import QApplication
from desktop_app.gui.scorecard_dialog import ScorecardDialog
app = QApplication([])
dialog = ScorecardDialog("review-reply", data / "signoff.db", data / "workflows")
dialog.show()
while dialog.table.rowCount() == 0:
    app.processEvents()
for _ in range(10):
    app.processEvents()
dialog.grab().save({str(out)!r})
dialog.close()
"""
    render_offscreen(data, code)


def capture_report(data: Path, out: Path) -> None:
    """The first page of this month's report, in headless Chromium (Debian's chromium)."""
    html = data / "report.html"
    env = dict(os.environ, SIGNOFF_HOME=str(data))
    subprocess.run(
        [sys.executable, "-m", "desktop_app", "report", "--out", str(html), "--since",
         (__import__("datetime").date.today() - __import__("datetime").timedelta(weeks=7)).isoformat()],
        env=env, cwd=ROOT, check=True, timeout=120,
    )  # fmt: skip
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={out}", "--window-size=1280,1400", html.as_uri()],
        check=True, timeout=120, capture_output=True,
    )  # fmt: skip


def capture(
    data: Path,
    out: Path,
    *,
    tab: int = 0,
    search: str = "",
    env_extra: dict | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """Start the app on a virtual screen showing ``tab`` (the last view is restored), grab the
    screen; with ``search``, typed into the tab's search box first (Ctrl+F, then the keys);
    ``meanwhile``: done elsewhere once the window is up, 2 s before the picture."""
    settings = data / "config" / "Signoff" / "Signoff.conf"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(f"[window]\ntab={tab}\n", encoding="utf-8")
    display = ":97"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
    try:
        time.sleep(1.0)
        env = dict(
            os.environ,
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            SIGNOFF_HOME=str(data),
            XDG_CONFIG_HOME=str(data / "config"),
            **(env_extra or {}),
        )
        app = subprocess.Popen([sys.executable, "-m", "desktop_app"], env=env, cwd=ROOT)
        try:
            time.sleep(4.0)
            if search:
                xdo = ["xdotool"]
                found = subprocess.run(
                    [*xdo, "search", "--onlyvisible", "--name", "^Signoff"],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                window = found.stdout.split()[0]
                subprocess.run([*xdo, "windowfocus", "--sync", window], env=env, check=True)
                subprocess.run([*xdo, "key", "ctrl+f"], env=env, check=True)
                subprocess.run([*xdo, "type", "--delay", "60", search], env=env, check=True)
                time.sleep(1.5)
            if meanwhile is not None:
                meanwhile()
                time.sleep(2.0)
            subprocess.run(["import", "-display", display, "-window", "root", str(out)], check=True)
        finally:
            app.terminate()
            app.wait(timeout=10)
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def capture_profile(data: Path, out: Path) -> None:
    """The Profile panel with the stored profile, rendered in a process of its own."""
    code = f"""
from PySide6.QtWidgets import QApplication
from desktop_app.core.spec_loader import load_spec
from desktop_app.gui.profile_dialog import ProfileDialog
from desktop_app.gui.tasks import DbWorker
app = QApplication([])
spec = load_spec(data / "workflows" / "bank-categorise" / "workflow.toml")
worker = DbWorker(data / "signoff.db")
dialog = ProfileDialog(spec, data / "signoff.db", worker)
dialog.resize(1100, 640)
dialog.show()
while "profile" not in dialog.status.text().lower():
    app.processEvents()
dialog.outputs.setCurrentCell(0, 2)
app.processEvents()
dialog.grab().save({str(out)!r})
dialog.close(); worker.close()
"""
    render_offscreen(data, code)


def capture_editor(data: Path, out: Path, *, tab: int = 0, scroll: int = 0) -> None:
    """The spec editor on a copy of review-reply, rendered in a process of its own."""
    code = f"""
from PySide6.QtWidgets import QApplication, QScrollArea
from desktop_app.gui.spec_editor import SpecEditor
from desktop_app.gui.tasks import DbWorker
app = QApplication([])
worker = DbWorker(data / "signoff.db")
editor = SpecEditor(data / "workflows" / "review-reply" / "workflow.toml", data / "signoff.db", worker)
editor.resize(1280, 820)
editor.show()
editor.tabs.setCurrentIndex({tab})
editor.fields["output.max_chars"].edit.setText("-5")
editor.fields["output.max_chars"].changed.emit()
for _ in range(30):
    app.processEvents()
editor.check()
scroll = editor.tabs.widget(0)
if isinstance(scroll, QScrollArea):
    scroll.verticalScrollBar().setValue({scroll})
for _ in range(10):
    app.processEvents()
editor.grab().save({str(out)!r})
editor.document.saved_text = editor.document.text
editor.close(); worker.close()
"""
    render_offscreen(data, code)


def capture_damaged(data: Path, out: Path) -> None:
    """The window on a copy of the demo data whose database has 4 KB of garbage over one
    page: the banner says so, and the inbox still shows what can be read."""
    import shutil

    copy = data.parent / "damaged"
    shutil.copytree(data, copy)
    db = copy / "signoff.db"
    pages = db.stat().st_size // 4096
    with db.open("r+b") as fh:
        fh.seek(4096 * (pages - 3))
        fh.write(bytes((i * 37 + 11) % 256 for i in range(4096)))
    capture(copy, out, tab=0)


def capture_team(data: Path, settings_out: Path, window_out: Path, live_out: Path) -> None:
    """A team's database (a PostgreSQL server started for it, the demo history copied in with
    ``signoff db copy``): Settings' Team database panel after *Test connection*, rendered
    offscreen, and the window on it under Xvfb."""
    from desktop_app.storage import pg
    from desktop_app.storage.copy import copy_history
    from desktop_app.storage.db import connect
    from tests.helpers.postgres import PostgresServer, binaries

    found = binaries()
    if found is None:
        raise SystemExit("the team's screenshots need PostgreSQL: apt install postgresql")
    server = PostgresServer(found).start()
    try:
        with server.database() as url:
            here, there = connect(data / "signoff.db"), pg.connect(url)
            copy_history(here, there, target_name=url)
            here.conn.close()
            there.conn.close()
            render_offscreen(
                data,
                "from PySide6.QtCore import QEventLoop, QTimer\n"
                "from PySide6.QtWidgets import QApplication\n"
                "app = QApplication([])\n"
                "from desktop_app.gui.team_panel import TeamPanel\n"
                "panel = TeamPanel(data / 'signoff.db', data)\n"
                "panel.resize(900, 110)\n"
                f"panel.url_edit.setText({url!r})\n"
                "loop = QEventLoop()\n"
                "panel.job.done.connect(lambda _r: QTimer.singleShot(50, loop.quit))\n"
                "panel.test()\n"
                "loop.exec()\n"
                "panel.show()\n"
                "app.processEvents()\n"
                f"panel.grab().save({str(settings_out)!r})\n",
            )
            capture(data, window_out, tab=0, env_extra={"SIGNOFF_DATABASE": url})
            capture(
                data,
                live_out,
                tab=0,
                search="status:approved by:maria",
                env_extra={"SIGNOFF_DATABASE": url},
                meanwhile=lambda: decide_elsewhere(data.parent / "maria", url),
            )
    finally:
        server.stop()


def decide_elsewhere(home: Path, url: str) -> None:
    """Another computer on the team's database (its own data folder, Maria's name) approves
    the oldest pending item: the window's search for ``by:maria`` finds it within 2 s."""
    env = dict(os.environ, SIGNOFF_HOME=str(home), SIGNOFF_DATABASE=url)
    env.pop("DISPLAY", None)

    def signoff(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", *args],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    signoff("settings", "--name", "maria")
    pending = json.loads(signoff("inbox", "--json"))
    oldest = min(item["id"] for item in pending)
    signoff("approve", str(oldest))


def capture_mail(settings_out: Path, item_out: Path, sent_out: Path) -> None:
    """A café's mailbox (issue 27): a real Dovecot and SMTP server started for it, the
    account added, two suppliers' e-mails taken by supplier-reply; Settings → Mail accounts
    after *Add* (rendered offscreen), an item from an e-mail, and the reply sent once
    approved (the window under Xvfb). The keychain is a memory one: its password reaches
    the window's process by its environment variable."""
    from desktop_app.cli import main as signoff
    from tests.helpers.canned import answer_for
    from tests.helpers.dovecot import PASSWORD, USER, Dovecot, missing
    from tests.helpers.llm_server import LLMServer, responder
    from tests.helpers.mail import MailServers, add_account
    from tests.helpers.smtp_server import SmtpServer

    if missing():
        raise SystemExit(f"the mail screenshots {missing()}")
    import keyring

    from tests.helpers.memkeyring import MemoryKeyring

    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memkeyring.MemoryKeyring"
    keyring.set_keyring(MemoryKeyring())  # never this computer's own keychain
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "mail"
        imap = Dovecot().start()
        smtp = SmtpServer(USER, PASSWORD, certificate=imap.certificate,
                          key=imap.folder / "key.pem").start()  # fmt: skip
        env = {"SIGNOFF_ACCOUNT_SHOP_PASSWORD": PASSWORD, "SIGNOFF_HOME": str(data)}
        os.environ.update(env)
        try:
            signoff(["workflows"])  # the data folder and its bundled workflows
            # a model chosen (as a café with Ollama would): the window opens on its inbox
            signoff(["settings", "--model", "openai/llama3.1", "--api-base",
                     "http://127.0.0.1:11434/v1"])  # fmt: skip
            add_account(data, MailServers(imap, smtp))
            samples = ROOT / "workflows" / "supplier-reply" / "samples"
            for name in ("price-increase.eml", "delivery-delay.eml"):
                imap.deliver((samples / name).read_bytes())
            with LLMServer() as server:
                server.default = responder(answer_for)
                assert signoff(["run", "supplier-reply", "--api-base", server.url]) == 0
            render_offscreen(
                data,
                "from PySide6.QtCore import QEventLoop, QTimer\n"
                "from PySide6.QtWidgets import QApplication\n"
                "app = QApplication([])\n"
                "from desktop_app.gui.mail_accounts_panel import MailAccountsPanel\n"
                "panel = MailAccountsPanel(data / 'signoff.db', data)\n"
                "panel.resize(900, 330)\n"
                "panel.accounts.setCurrentRow(0)\n"
                "loop = QEventLoop()\n"
                "panel.job.done.connect(lambda _r: QTimer.singleShot(50, loop.quit))\n"
                "panel.test_button.click()\n"
                "loop.exec()\n"
                "panel.show()\n"
                "app.processEvents()\n"
                f"panel.grab().save({str(settings_out)!r})\n",
            )
            password = {"SIGNOFF_ACCOUNT_SHOP_PASSWORD": PASSWORD}
            capture(data, item_out, tab=0, env_extra=password)
            assert signoff(["approve", "1", "--by", "rosa"]) == 0  # its reply goes at once
            capture(data, sent_out, tab=0, search="status:approved", env_extra=password)
        finally:
            smtp.stop()
            imap.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        seed(data)
        capture_profile(data, HERE / "profile.png")
        print(f"wrote {HERE / 'profile.png'}")
        capture_editor(data, HERE / "spec-editor.png")
        capture_editor(data, HERE / "spec-editor-contract.png", scroll=1200)
        print(f"wrote {HERE / 'spec-editor.png'} and spec-editor-contract.png")
        for tab, name in enumerate(("inbox", "workflows", "activity", "settings")):
            capture(data, HERE / f"{name}.png", tab=tab)
            print(f"wrote {HERE / name}.png")
        add_weeks(data)
        capture_scorecard(data, HERE / "scorecard.png")
        capture_report(data, HERE / "report.png")
        print(f"wrote {HERE / 'scorecard.png'} and report.png")
        capture(data, HERE / "inbox-search.png", tab=0, search="status:approved thank")
        capture(data, HERE / "activity-search.png", tab=2, search="by:rosa formal")
        print(f"wrote {HERE / 'inbox-search.png'} and activity-search.png")
        capture_damaged(data, HERE / "damaged-database.png")
        print(f"wrote {HERE / 'damaged-database.png'}")
        capture_team(
            data, HERE / "team-settings.png", HERE / "team-inbox.png", HERE / "team-live.png"
        )
        print(f"wrote {HERE / 'team-settings.png'}, team-inbox.png and team-live.png")
    capture_mail(HERE / "mail-account.png", HERE / "mail-item.png", HERE / "mail-sent.png")
    print(f"wrote {HERE / 'mail-account.png'}, mail-item.png and mail-sent.png")


if __name__ == "__main__":
    main()
