"""What this Signoff is and where its data is: ``signoff --version`` and the window's About box.

Nothing here imports litellm or Qt (versions are read from the installed packages'
metadata, or from the frozen bundle's record of them), and the database is read, never
migrated: asking for the version of an older data folder changes nothing.
"""

from __future__ import annotations

import platform
import sqlite3
from pathlib import Path

from desktop_app import __version__
from desktop_app.storage.db import PlainDatabase, latest_schema, schema_version


def _package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _schema_of(db_path: Path) -> str:
    latest = latest_schema()
    if not db_path.exists():
        return f"none yet (this version writes schema {latest})"
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)  # read, never migrated
        try:
            found = schema_version(PlainDatabase(conn))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"unreadable ({exc})"
    if found == latest:
        return str(found)
    return f"{found} (this version writes schema {latest})"


def facts(data_dir: Path) -> list[tuple[str, str]]:
    """(label, value) pairs, in the order shown."""
    return [
        ("Signoff", __version__),
        ("Data folder", str(data_dir)),
        ("Database schema", _schema_of(data_dir / "signoff.db")),
        ("litellm", _package_version("litellm")),
        ("Qt (PySide6)", _package_version("PySide6-Essentials")),
        ("Python", platform.python_version()),
    ]


def text(data_dir: Path) -> str:
    return "\n".join(f"{label}: {value}" for label, value in facts(data_dir))
