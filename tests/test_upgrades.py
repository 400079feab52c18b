"""Upgrades keep everything (issue 17): a newer Signoff migrates an older database after
keeping a copy of it, and says so once; an older Signoff refuses a newer database in one
line naming both schema versions and changes nothing; ``--version`` reads, never migrates.
The old databases are made by the previous schema (the migrations before the last)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from unittest import mock

import pytest

from desktop_app import __version__
from desktop_app.storage import db as db_module
from desktop_app.storage.db import connect, latest_schema
from desktop_app.storage.migrations import MIGRATIONS
from tests.helpers.old_database import add_items

PREVIOUS = len(MIGRATIONS) - 1


def _schema(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT max(id) FROM migrations").fetchone()[0]


def _items(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def _database_by(schema: int, path: Path, items: int = 0) -> None:
    with mock.patch.object(db_module, "MIGRATIONS", MIGRATIONS[:schema]):
        made = connect(path)
        if items:
            add_items(made, 1, items)
        made.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        made.conn.close()


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name.startswith("signoff.db")
    }


@pytest.fixture(autouse=True)
def _no_upgrade_left(monkeypatch):
    monkeypatch.setattr(db_module, "upgrades", [])


def test_a_newer_signoff_keeps_a_copy_then_migrates_and_says_so_once(
    signoff, _isolated_environment
):
    home = _isolated_environment
    _database_by(PREVIOUS, home / "signoff.db", items=30)

    code, out, err = signoff("inbox")
    assert code == 0, err
    copy = home / f"signoff.db.schema-{PREVIOUS}.bak"
    (said,) = [line for line in err.splitlines() if "upgraded" in line]
    assert f"from schema {PREVIOUS} to {latest_schema()}" in said and str(copy) in said
    assert _schema(home / "signoff.db") == latest_schema() and _items(home / "signoff.db") == 30
    assert _schema(copy) == PREVIOUS and _items(copy) == 30  # the database as it was
    assert "in-30" in out

    code, _out, err = signoff("inbox")
    assert code == 0 and "upgraded" not in err  # once
    assert sorted(p.name for p in home.glob("*.bak")) == [copy.name]


def test_the_window_says_the_upgrade_once(tmp_path, _isolated_environment):
    from tests.helpers.app_process import run_until_ready

    home = _isolated_environment
    _database_by(PREVIOUS, home / "signoff.db", items=3)
    done = run_until_ready(
        tmp_path, home, "print('STATUS', window.statusBar().currentMessage(), flush=True)"
    )
    assert done.returncode == 0, done.stderr
    (status,) = [line for line in done.stdout.splitlines() if line.startswith("STATUS")]
    assert f"upgraded the database {home / 'signoff.db'} from schema {PREVIOUS}" in status
    assert (home / f"signoff.db.schema-{PREVIOUS}.bak").exists()
    again = run_until_ready(
        tmp_path, home, "print('STATUS', window.statusBar().currentMessage(), flush=True)"
    )
    assert "upgraded" not in again.stdout


def test_an_older_signoff_refuses_a_newer_database_in_one_line_and_changes_nothing(
    signoff, _isolated_environment
):
    home = _isolated_environment
    _database_by(len(MIGRATIONS), home / "signoff.db", items=5)
    before = _digest(home)
    with mock.patch.object(db_module, "MIGRATIONS", MIGRATIONS[:PREVIOUS]):  # the older one
        code, out, err = signoff("inbox")
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert f"database schema {len(MIGRATIONS)}" in line
    assert f"reads schema {PREVIOUS} at most" in line and __version__ in line
    assert "Nothing was changed" in line
    assert _digest(home) == before
    assert not list(home.glob("*.bak"))


def test_version_names_the_data_folder_and_schema_and_migrates_nothing(
    signoff, _isolated_environment
):
    home = _isolated_environment
    code, out, _err = signoff("--version")
    assert code == 0
    assert f"Signoff: {__version__}" in out and f"Data folder: {home}" in out
    assert "Database schema: none yet" in out
    assert "litellm: " in out and "Qt (PySide6): 6." in out and "Python: 3." in out
    assert not (home / "signoff.db").exists()  # asking changed nothing

    _database_by(PREVIOUS, home / "signoff.db")
    code, out, _err = signoff("--version")
    assert f"Database schema: {PREVIOUS} (this version writes schema {latest_schema()})" in out
    assert _schema(home / "signoff.db") == PREVIOUS
