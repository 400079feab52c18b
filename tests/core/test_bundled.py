"""The bundled workflows across an upgrade: new ones added, changed ones offered beside the
person's files (never written over), deleted ones left deleted (issue 17)."""

from __future__ import annotations

import shutil

from desktop_app.core import bundled
from desktop_app.core.paths import Paths, bundled_changes, ensure_data_dir
from tests.conftest import REPO_ROOT


def _bundle(root, version: str):
    """A bundle as Signoff ``version`` would ship it: two workflows with a sample each."""
    source = root / f"bundle-{version}"
    for name in ("reply", "digest"):
        (source / name / "samples").mkdir(parents=True)
        (source / name / "workflow.toml").write_text(f'name = "{name}"\n# {version}\n')
        (source / name / "samples" / "one.txt").write_text("a sample")
    return source


def test_an_upgrade_adds_new_offers_changed_and_keeps_what_the_person_did(tmp_path):
    old = _bundle(tmp_path, "1")
    folder = tmp_path / "workflows"
    shutil.copytree(old, folder)
    bundled.record(folder, old, "1")
    # what the person did meanwhile
    (folder / "reply" / "workflow.toml").write_text('name = "reply"\n# mine\n')
    (folder / "digest" / "samples" / "one.txt").unlink()

    new = _bundle(tmp_path, "2")  # both specs changed in the bundle
    (new / "digest" / "samples" / "one.txt").write_text("a better sample")
    (new / "digest" / "samples" / "two.txt").write_text("a new sample")
    (new / "invoices" / "samples").mkdir(parents=True)
    (new / "invoices" / "workflow.toml").write_text('name = "invoices"\n')

    synced = bundled.sync(folder, new, "2")

    assert synced.added == ["digest/samples/two.txt", "invoices"]
    assert sorted(synced.offered) == ["digest/workflow.toml", "reply/workflow.toml"]
    # the person's spec is theirs; the bundle's newer one is beside it
    assert (folder / "reply" / "workflow.toml").read_text() == 'name = "reply"\n# mine\n'
    assert (folder / "reply" / "workflow.toml.new").read_text() == 'name = "reply"\n# 2\n'
    assert (folder / "digest" / "workflow.toml").read_text().endswith("# 1\n")
    assert (folder / "invoices" / "workflow.toml").exists()
    assert not (folder / "digest" / "samples" / "one.txt").exists()  # deleted stays deleted
    assert "invoices" in synced.describe() and "reply/workflow.toml.new" in synced.describe()

    # the same version again: nothing compared, nothing said
    assert bundled.sync(folder, new, "2") == bundled.Synced()

    taken = bundled.take_new(folder, "reply")
    assert taken == ["reply/workflow.toml"]
    assert (folder / "reply" / "workflow.toml").read_text().endswith("# 2\n")
    assert (folder / "reply" / "workflow.toml.old").read_text().endswith("# mine\n")
    assert bundled.take_new(folder, "reply") == []


def test_a_removed_workflow_stays_removed_and_an_unchanged_bundle_offers_nothing(tmp_path):
    old = _bundle(tmp_path, "1")
    folder = tmp_path / "workflows"
    shutil.copytree(old, folder)
    bundled.record(folder, old, "1")
    shutil.rmtree(folder / "digest")  # archived or deleted by the person
    (folder / "reply" / "workflow.toml").write_text("# my own edit\n")

    synced = bundled.sync(folder, old, "1.0.1")  # a release that did not touch the workflows
    assert synced == bundled.Synced()
    assert not (folder / "digest").exists()
    assert not list(folder.rglob("*.new"))


def test_a_folder_from_before_manifests_gets_one_and_loses_nothing(tmp_path):
    old = _bundle(tmp_path, "1")
    folder = tmp_path / "workflows"
    shutil.copytree(old, folder)  # no .bundled.json: the first version had none
    (folder / "reply" / "workflow.toml").write_text("# edited before any manifest\n")
    (folder / "digest" / "samples" / "one.txt").unlink()

    synced = bundled.sync(folder, old, "1")
    assert synced == bundled.Synced()  # the same bundle: the differences are the person's
    assert (folder / "reply" / "workflow.toml").read_text() == "# edited before any manifest\n"
    assert not (folder / "digest" / "samples" / "one.txt").exists()
    assert (folder / bundled.MANIFEST).exists()


def test_the_data_folder_is_seeded_with_a_manifest_and_an_upgrade_is_said_once(
    tmp_path, signoff, monkeypatch
):
    paths = Paths(tmp_path / "data", tmp_path / "data" / "workflows")
    assert ensure_data_dir(paths)
    assert (paths.workflows_dir / bundled.MANIFEST).exists()
    assert not ensure_data_dir(paths) and bundled_changes == []

    monkeypatch.setenv("SIGNOFF_HOME", str(paths.data_dir))
    monkeypatch.setattr("desktop_app.__version__", "99.0")
    (paths.workflows_dir / "review-reply" / "workflow.toml").write_text("# changed by me\n")
    spec = REPO_ROOT / "workflows" / "review-reply" / "workflow.toml"
    manifest = paths.workflows_dir / bundled.MANIFEST
    manifest.write_text(
        manifest.read_text().replace(bundled._digest(spec), "0" * 64)
    )  # shipped differently
    code, _out, err = signoff("workflows")
    assert code == 0
    said = [line for line in err.splitlines() if "bundled workflows" in line]
    assert len(said) == 1 and "review-reply/workflow.toml.new" in said[0]
    code, _out, err = signoff("workflows")
    assert "bundled workflows" not in err
    code, out, _err = signoff("workflows", "--take-new", "review-reply")
    assert code == 0 and "review-reply/workflow.toml.old" in out
    assert (
        paths.workflows_dir / "review-reply" / "workflow.toml"
    ).read_bytes() == spec.read_bytes()
    code, _out, err = signoff("workflows", "--take-new", "review-reply")
    assert code == 1 and "no newer bundled version is offered" in err
