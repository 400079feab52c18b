"""What an upgrade changed in this process — the database migrated (its old copy kept), the
bundled workflows added to or offered — for the command line or the window to say once."""

from __future__ import annotations


def take() -> list[str]:
    """Each change as a sentence, then forgotten: the next start finds nothing to say."""
    from desktop_app.core import paths
    from desktop_app.storage import db

    said = [upgrade.describe() for upgrade in db.upgrades]
    said += [f"the bundled workflows: {synced.describe()}" for synced in paths.bundled_changes]
    db.upgrades.clear()
    paths.bundled_changes.clear()
    return said
