"""The spec file stays the person's own: byte for byte when unchanged, comments kept when a
field changes, atomic writes, never a file that does not parse, every version logged."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from desktop_app.core.errors import KnownError
from desktop_app.services.spec_files import SpecDocument
from tests.conftest import REPO_ROOT


def spec_file(tmp_path: Path, text: str) -> Path:
    """A spec file of ``text`` in a workflow folder of its own."""
    path = tmp_path / "wf" / "workflow.toml"
    path.parent.mkdir()
    path.write_text(text)
    return path


BUNDLED = sorted((REPO_ROOT / "workflows").glob("*/workflow.toml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.parent.name)
def test_every_bundled_spec_saves_byte_for_byte_when_nothing_changed(tmp_path, path):
    copy = tmp_path / path.parent.name / "workflow.toml"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    document = SpecDocument.open(copy)
    assert not document.changed
    document.set("model.temperature", document.get("model.temperature"))  # the same value
    document.save()
    assert copy.read_bytes() == path.read_bytes()


def test_an_edited_field_changes_its_own_lines_only(tmp_path):
    source = (REPO_ROOT / "workflows" / "review-reply" / "workflow.toml").read_text()
    path = tmp_path / "review-reply" / "workflow.toml"
    path.parent.mkdir()
    path.write_text("# Our café's reply workflow\n" + source)
    document = SpecDocument.open(path)
    document.set("output.max_chars", 777)
    document.set("criteria.rules", [*document.get("criteria.rules"), "Never use emoji."])
    document.save()
    diff = [
        line
        for line in difflib.unified_diff(
            ("# Our café's reply workflow\n" + source).splitlines(),
            path.read_text().splitlines(),
            n=0,
        )
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    old_max = next(
        line for line in source.splitlines() if line.startswith("max_chars") and "4000" not in line
    )
    assert sorted(diff) == sorted([f"-{old_max}", "+max_chars = 777", '+  "Never use emoji.",'])


def test_a_long_new_list_is_written_one_item_a_line(tmp_path):
    path = spec_file(tmp_path, 'name = "wf"\n')
    document = SpecDocument.open(path)
    rules = ["Quote the supplier's new price and its start date.", "Never accept the increase."]
    document.set("criteria.rules", rules)
    assert document.get("criteria.rules") == rules
    assert '[criteria]\nrules = [\n    "Quote' in document.text


def test_a_new_table_goes_at_the_end_and_a_cleared_key_leaves_no_trace(tmp_path):
    path = spec_file(tmp_path, 'name = "wf"\npurpose = "x"\n')
    document = SpecDocument.open(path)
    document.set("budget.max_cost_per_day", 2.5)
    document.set("purpose", None)
    assert document.text == 'name = "wf"\n\n[budget]\nmax_cost_per_day = 2.5\n'


def test_text_with_newlines_is_written_as_a_multiline_string(tmp_path):
    path = spec_file(tmp_path, 'name = "wf"\n')
    document = SpecDocument.open(path)
    document.set("purpose", "Reply to suppliers.\nNot responsible for orders.")
    assert 'purpose = """Reply to suppliers.\nNot responsible for orders."""' in document.text


def test_text_that_does_not_parse_is_refused_and_nothing_is_written(tmp_path):
    path = spec_file(tmp_path, 'name = "wf"\n')
    document = SpecDocument.open(path)
    with pytest.raises(KnownError, match=r"workflow.toml:2: not valid TOML"):
        document.replace_text('name = "wf"\npurpose = = "x"\n')
    assert path.read_text() == 'name = "wf"\n' and not list(path.parent.glob(".*.tmp"))


def test_an_incomplete_spec_saves_and_says_what_is_missing(tmp_path, db):
    path = spec_file(tmp_path, 'name = "wf"\n')
    document = SpecDocument.open(path)
    document.set("purpose", "Reply to suppliers. Not responsible for orders.")
    spec = document.save(db)
    assert spec is not None and not spec.complete
    _, problems = document.check()
    assert problems and all(p.incomplete for p in problems)
    assert {p.key for p in problems} >= {"criteria.rules", "prompt.template"}
    (detail,) = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'spec.changed'")
    ]
    assert "+purpose" in detail["diff"] and detail["complete"] is False


def test_a_change_on_disk_is_noticed(tmp_path):
    path = spec_file(tmp_path, 'name = "wf"\n')
    document = SpecDocument.open(path)
    assert not document.on_disk_changed()
    path.write_text('name = "wf"\npurpose = "changed in another editor"\n')
    assert document.on_disk_changed()
    document.set("title", "Mine")
    document.save()
    assert not document.on_disk_changed()


def test_problems_name_their_field(tmp_path):
    path = spec_file(
        tmp_path, 'name = "wf"\n[model]\nname = "m"\ntemperature = 5\n[output]\nmax_chars = -1\n'
    )
    _, problems = SpecDocument.open(path).check()
    keys = {p.key: p.message for p in problems if not p.incomplete}
    assert "between 0 and 2" in keys["model.temperature"]
    assert "at least 1" in keys["output.max_chars"]
