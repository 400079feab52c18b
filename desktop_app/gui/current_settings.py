"""The one place the window reads its Settings (``settings.json`` in the data folder).

It is read each time a value is needed (a small file), so what the Settings tab or the
command line saved counts at once. Two ways, chosen by what depends on the answer:

- ``read``: the Settings, or the ``KnownError`` saying why the file cannot be read. For
  work that does not go ahead on settings it could not read (a draft, a try-out: their
  job's failure path says the line) and for the Settings tab, which shows the line.
- ``or_defaults``: where the window goes on without them: what it shows or suggests (the
  list's model column, the run panel's placeholders, the status bar's cap, the
  notifications' quiet hours and muted workflows) and where a dialog or a switch starts
  from (the compare and profile dialogs' server and cap, a schedule's model and cap, the
  scorecard's thresholds, what a save in the Settings tab keeps of the file). An
  unreadable file counts as no settings there; the Settings tab shows what is wrong.

Only ``KnownError`` (the file cannot be read, or holds a value out of place) becomes the
defaults; anything else is a bug and takes the window's error path (``gui.errors``).
A run's options (a scheduled run's too) are read by ``services.run_start``, on its thread.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.core.errors import KnownError
from desktop_app.services import settings
from desktop_app.services.settings import Settings


def read(data_dir: Path) -> Settings:
    """The Settings in ``data_dir`` (the defaults when there is no file); raises
    ``KnownError`` when the file cannot be read or holds a value out of place."""
    return settings.load(data_dir)


def or_defaults(data_dir: Path) -> Settings:
    """The Settings in ``data_dir``, or the defaults when the file cannot be read."""
    try:
        return settings.load(data_dir)
    except KnownError:
        return Settings()
