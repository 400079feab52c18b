"""Make the screenshots in this folder: a demo data folder, the real app under Xvfb, a real capture.

    python docs/screenshots/make_screenshots.py      (needs Debian's xvfb and imagemagick)

The demo items come from running the bundled workflows on their samples against
the test suite's local OpenAI-compatible server with canned answers: no paid
model is called, and the costs shown are litellm's prices for the spec's model.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
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


def capture(data: Path, out: Path, *, tab: int = 0, search: str = "") -> None:
    """Start the app on a virtual screen showing ``tab`` (the last view is restored), grab the
    screen; with ``search``, typed into the tab's search box first (Ctrl+F, then the keys)."""
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
        )
        app = subprocess.Popen([sys.executable, "-m", "desktop_app"], env=env, cwd=ROOT)
        try:
            time.sleep(4.0)
            if search:
                xdo = ["xdotool"]
                found = subprocess.run(
                    [*xdo, "search", "--name", "^Signoff$"], env=env, capture_output=True, text=True
                )
                window = found.stdout.split()[0]
                subprocess.run([*xdo, "windowfocus", "--sync", window], env=env, check=True)
                subprocess.run([*xdo, "key", "ctrl+f"], env=env, check=True)
                subprocess.run([*xdo, "type", "--delay", "60", search], env=env, check=True)
                time.sleep(1.5)
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
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from PySide6.QtWidgets import QApplication
from desktop_app.core.spec_loader import load_spec
from desktop_app.gui.profile_dialog import ProfileDialog
from desktop_app.gui.tasks import DbWorker
app = QApplication([])
data = Path({str(data)!r})
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
    env = dict(os.environ, SIGNOFF_HOME=str(data), XDG_CONFIG_HOME=str(data / "config"))
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=120)


def capture_editor(data: Path, out: Path, *, tab: int = 0, scroll: int = 0) -> None:
    """The spec editor on a copy of review-reply, rendered in a process of its own."""
    code = f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from PySide6.QtWidgets import QApplication, QScrollArea
from desktop_app.gui.spec_editor import SpecEditor
from desktop_app.gui.tasks import DbWorker
app = QApplication([])
data = Path({str(data)!r})
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
    env = dict(os.environ, SIGNOFF_HOME=str(data), XDG_CONFIG_HOME=str(data / "config"))
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=120)


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
        capture(data, HERE / "inbox-search.png", tab=0, search="status:approved thank")
        capture(data, HERE / "activity-search.png", tab=2, search="by:rosa formal")
        print(f"wrote {HERE / 'inbox-search.png'} and activity-search.png")


if __name__ == "__main__":
    main()
