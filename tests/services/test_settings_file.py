"""A settings.json edited by hand (or half-written by another program) is read or refused
in one line, never a crash: every value of the wrong kind, for every key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.services import settings
from desktop_app.services.settings import Settings

ODD_VALUES = [5, 2.5, -1, True, "text", "", [], ["a", 3], {}, {"x": 1}, None]


@pytest.mark.parametrize("key", Settings._fields)
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_any_value_for_any_key_is_read_or_refused_in_one_line(tmp_path: Path, key, value):
    (tmp_path / settings.FILENAME).write_text(json.dumps({key: value}), encoding="utf-8")
    try:
        loaded = settings.load(tmp_path)
    except KnownError as exc:
        assert str(tmp_path / settings.FILENAME) in str(exc) and "\n" not in str(exc)
        return
    assert isinstance(loaded, Settings)
    assert all(isinstance(m, str) for m in loaded.fallbacks + loaded.muted)


def test_fallbacks_that_are_not_a_list_are_refused_naming_the_key(tmp_path: Path):
    (tmp_path / settings.FILENAME).write_text('{"fallbacks": 5}', encoding="utf-8")
    with pytest.raises(KnownError, match="fallbacks must be a list of models"):
        settings.load(tmp_path)
