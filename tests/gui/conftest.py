"""GUI fixtures: a real database with items, the window's writer thread, no dangling threads."""

from __future__ import annotations

import threading

import pytest

from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.states import RunState
from desktop_app.storage import eventlog, item_rows, run_rows, spec_versions
from desktop_app.storage.db import connect, transaction


@pytest.fixture(autouse=True)
def _no_dangling_threads():
    """Fail a test that leaves a thread of ours running (napari's ``_dangling_qthread_pool`` idea)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    ours = [
        t for t in threading.enumerate() if t.ident not in before and t.name.startswith("signoff")
    ]
    for thread in ours:  # one that delivered its result is ending: give it a moment
        thread.join(timeout=2)
    leftover = [t for t in ours if t.is_alive()]
    assert not leftover, f"threads left running: {[t.name for t in leftover]}"


@pytest.fixture(autouse=True)
def _no_warm_worker(monkeypatch):
    """The window warms its model worker (litellm's import, in a child) a few seconds after
    it starts; a test that calls no model does without. tests/gui/test_warm_worker.py
    turns it on."""
    from desktop_app.gui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "warm_after_ms", None)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "signoff.db"


def add_items(db, workflow: str, rows: list[tuple[str, str, str, str | None]]) -> list[int]:
    """Items as a run would make them: (input_name, output, status, reason) each."""
    with transaction(db):
        version = spec_versions.insert_version(
            db, workflow, "0" * 64, "workflow.toml", "name = 'x'"
        )
        docs = [
            InputDoc(key=f"{workflow}:{name}", name=name, text=f"Input of {name}")
            for name, *_ in rows
        ]
        run_id, run_inputs = run_rows.create_run(
            db,
            workflow=workflow,
            version_id=version,
            trigger="manual",
            model="openai/gpt-4o-mini",
            api_base=None,
            inputs=docs,
        )
        ids = []
        for ri, (name, output, status, reason) in zip(run_inputs, rows):
            item_id = item_rows.insert_item(
                db,
                workflow=workflow,
                run_id=run_id,
                run_input_id=ri.id,
                status=status,
                input_name=name,
                input_text=ri.doc.text,
                output=output,
                reason=reason,
                model="openai/gpt-4o-mini",
                cost_usd=0.0002,
                checks_json='[{"name": "max_chars", "passed": true, "message": "ok"}]',
            )
            eventlog.append(
                db, "item.created", workflow=workflow, run_id=run_id, item_id=item_id, detail={}
            )
            ids.append(item_id)
        run_rows.set_run_state(db, run_id, RunState.FINISHED)
    return ids


@pytest.fixture
def seeded(db_path):
    db = connect(db_path)
    add_items(
        db,
        "review-reply",
        [
            ("anna", "Dear Anna, thank you!", "pending", None),
            ("tom", "Dear Tom, thanks for the feedback.", "pending", None),
            (
                "legal",
                "We are sorry to hear this.",
                "escalated",
                "The input matches the rule 'Customer mentions legal action'.",
            ),
        ],
    )
    add_items(
        db,
        "meeting-actions",
        [
            (
                "staff",
                '[{"task": "Call the provider", "owner": "Tomasz", "due": null}]',
                "pending",
                None,
            )
        ],
    )
    db.conn.close()
    return db_path


@pytest.fixture
def workflows_dir(tmp_path):
    import shutil

    from tests.conftest import REPO_ROOT

    target = tmp_path / "workflows"
    shutil.copytree(REPO_ROOT / "workflows", target)
    return target


@pytest.fixture(autouse=True)
def _own_settings(tmp_path):
    """Qt resolves its settings folder once per process: point it at this test's folder."""
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture
def openai_key():
    """A (fake) key in the in-memory keychain: the app is set up, no first-start welcome."""
    import keyring

    keyring.set_password("signoff", "openai", "sk-test-not-a-real-key-0123456789")


@pytest.fixture
def window(qtbot, seeded, workflows_dir, openai_key):
    from desktop_app.gui.main_window import MainWindow
    from desktop_app.gui.tasks import DbWorker

    db = connect(seeded)
    worker = DbWorker(seeded)
    win = MainWindow(db, worker, db_path=seeded, workflows_dir=workflows_dir)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.workflows.model.rowCount() > 0, timeout=10000)
    yield win
    from PySide6.QtCore import QTimer

    win.close()  # stops its timers, cancels a run, waits for exports and keychain checks
    running = [
        t.objectName() or type(t.parent()).__name__
        for t in win.findChildren(QTimer)
        if t.isActive()
    ]
    assert not running, f"timers left running after the window closed: {running}"
    qtbot.wait(
        50
    )  # closing cancelled a run and waited for jobs: deliver their last signals  # deliver what the run thread signalled last (it may start one more reload)
    qtbot.waitUntil(lambda: not worker.busy, timeout=10000)
    worker.close()
    db.conn.close()
