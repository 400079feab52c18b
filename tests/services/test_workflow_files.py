"""Workflows as folders: new (blank, from a bundled one, a copy), samples, archive, delete."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.errors import KnownError, NotFoundError
from desktop_app.core.spec_loader import check_spec, discover
from desktop_app.services import workflow_files as wf
from tests.helpers.specs import write_spec


def kinds(db):
    return [k for (k,) in db.execute("SELECT kind FROM events ORDER BY seq")]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "give the workflow a name"),
        ("Price_Reply", "a-z, 0-9 and '-'"),
        ("-x", "a-z, 0-9 and '-'"),
        ("x" * 49, "at most 48"),
        ("reply", "already a workflow 'reply'"),
    ],
)
def test_a_name_is_checked_as_a_folder_name_and_unique(tmp_path, name, why):
    write_spec(tmp_path, "reply")
    assert why in (wf.check_name(tmp_path, name) or "")
    assert wf.check_name(tmp_path, "price-reply") is None


def test_a_blank_workflow_is_incomplete_but_valid_and_says_what_is_missing(tmp_path, db):
    path = wf.new_workflow(db, tmp_path, "price-reply")
    spec, problems = check_spec(path)
    assert spec is not None and not spec.complete
    assert problems and all(p.incomplete for p in problems)
    assert (path.parent / "samples").is_dir()
    assert kinds(db) == ["workflow.created"]


def test_a_workflow_from_a_bundled_one_is_complete_with_its_samples(tmp_path, db):
    path = wf.new_workflow(db, tmp_path, "our-reviews", from_existing="review-reply")
    spec, problems = check_spec(path)
    assert spec is not None and spec.complete and problems == []
    assert spec.name == "our-reviews"
    assert len(wf.samples(path.parent)) == 4
    assert 'name = "our-reviews"' in path.read_text()
    with pytest.raises(NotFoundError, match="no workflow 'nope' to start from"):
        wf.new_workflow(db, tmp_path, "other", from_existing="nope")


def test_samples_are_added_listed_and_removed(tmp_path, db):
    folder = wf.new_workflow(db, tmp_path / "workflows", "price-reply").parent
    mail = tmp_path / "increase.eml"
    mail.write_text("Subject: New prices\nFrom: supplier@example.com\n\nPrices go up 8%.\n")
    table = tmp_path / "rows.csv"
    table.write_text("supplier,change\nAcme,8%\nBeta,5%\n")
    added = wf.add_samples(db, folder, [mail, table, mail])
    assert [p.name for p in added] == ["increase.eml", "rows.csv", "increase-2.eml"]
    pasted = wf.add_text_sample(db, folder, "Dear Rosa, +10% from May.", name="may note")
    assert pasted.name == "may-note.txt"
    listing = {s.name: [d.name for d in s.inputs] for s in wf.samples(folder)}
    assert listing["rows.csv"] == ["rows row 1", "rows row 2"]  # a CSV: one input a row
    assert len(listing) == 4
    wf.remove_sample(db, folder, "rows.csv")
    assert "rows.csv" not in {s.name for s in wf.samples(folder)}
    with pytest.raises(NotFoundError):
        wf.remove_sample(db, folder, "../workflow.toml")
    details = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind LIKE 'sample.%' ORDER BY seq")
    ]
    assert details[-1] == {"samples": ["rows.csv"]}


def test_an_unreadable_file_is_refused_as_a_sample(tmp_path, db):
    folder = wf.new_workflow(db, tmp_path / "workflows", "w").parent
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(KnownError):
        wf.add_samples(db, folder, [binary])
    assert wf.samples(folder) == []


def test_archive_hides_keeps_and_unarchive_brings_back(tmp_path, db):
    write_spec(tmp_path, "reply")
    wf.archive(db, tmp_path, "reply")
    assert discover(tmp_path) == [] and wf.archived(tmp_path) == ["reply"]
    assert wf.check_name(tmp_path, "reply") is not None  # the name stays taken
    wf.unarchive(db, tmp_path, "reply")
    assert [p.parent.name for p in discover(tmp_path)] == ["reply"]
    assert kinds(db) == ["workflow.archived", "workflow.unarchived"]


def test_delete_only_a_workflow_that_never_made_an_item(tmp_path, db, llm_server):
    from desktop_app.core.spec_loader import load_spec
    from desktop_app.services.inputs import from_text
    from desktop_app.services.runner import Runner

    used = write_spec(tmp_path, "used", api_base=llm_server.url)
    Runner(db).run(load_spec(used), [from_text("Lovely cake")])
    with pytest.raises(KnownError, match="can be archived"):
        wf.delete(db, tmp_path, "used")
    fresh = wf.new_workflow(db, tmp_path, "fresh")
    wf.delete(db, tmp_path, "fresh")
    assert not fresh.parent.exists() and "workflow.deleted" in kinds(db)


def test_rename_moves_the_folder_the_name_and_its_history(tmp_path, db, llm_server):
    from desktop_app.core.spec_loader import load_spec
    from desktop_app.services.inputs import from_text
    from desktop_app.services.runner import Runner
    from desktop_app.storage import item_pages, run_rows

    path = write_spec(tmp_path, "reply", api_base=llm_server.url)
    path.write_text("# kept\n" + path.read_text())
    Runner(db).run(load_spec(path), [from_text("Lovely cake")])
    new = wf.rename(db, tmp_path, "reply", "cake-replies")
    spec, problems = check_spec(new)
    assert spec is not None and spec.name == "cake-replies" and problems == []
    assert new.read_text().startswith("# kept\n") and not (tmp_path / "reply").exists()
    assert (
        item_pages.count_items(db, statuses=("pending", "escalated"), workflow="cake-replies") == 1
    )
    assert run_rows.last_run(db, "cake-replies") is not None
    (detail,) = [
        json.loads(d)
        for (d,) in db.execute("SELECT detail FROM events WHERE kind = 'workflow.renamed'")
    ]
    assert detail == {"from": "reply", "to": "cake-replies"}
    assert db.execute("SELECT count(*) FROM events WHERE workflow = 'reply'").fetchone()[0] > 0
    with pytest.raises(KnownError, match="a-z, 0-9"):
        wf.rename(db, tmp_path, "cake-replies", "Bad Name")
