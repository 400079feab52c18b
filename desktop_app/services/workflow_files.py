"""Workflows as folders: make one (blank, from a bundled one, or a copy), its samples,
archive and unarchive, delete. Every change is logged.

An archived workflow's folder moves to ``<workflows>/.archived/NAME``: it no longer shows
or runs, its items and log stay, and unarchiving moves it back. Only a workflow that never
made an item can be deleted.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.core.errors import KnownError, NotFoundError
from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.paths import bundled_dir
from desktop_app.core.spec_loader import NAME_RE, discover
from desktop_app.services.spec_files import SPEC_NAME, SpecDocument, write_atomically
from desktop_app.storage import eventlog, item_pages, run_rows, spec_versions
from desktop_app.storage.db import transaction

if TYPE_CHECKING:
    import sqlite_utils

ARCHIVE = ".archived"
SAMPLES = "samples"
MAX_NAME = 48

BLANK = """\
name = "{name}"
title = ""
# What the workflow does, in a sentence or two, and what it is not responsible for.
purpose = ""

[model]
name = "openai/gpt-4o-mini"

[input]
kind = "text"  # text (one input at a time) | folder | csv
# Exactly what one input is: its form, its length, what it may contain.
description = ""

[criteria]
# What a good output does, one rule a line: the model is told them, a person checks them.
rules = []

[prompt]
system = ""
template = "{{{{ input.text }}}}"

[output]
format = "text"  # text | json
"""


@dataclass(frozen=True)
class Sample:
    name: str  # the file's name in samples/
    path: Path
    inputs: list[InputDoc]  # what a run makes of it (a CSV: one input a row)
    problem: str = ""  # why it cannot be read, when it cannot


def check_name(workflows_dir: Path, name: str) -> str | None:
    """Why ``name`` cannot be a new workflow's name, or None when it can."""
    if not name:
        return "give the workflow a name"
    if len(name) > MAX_NAME:
        return f"a name has at most {MAX_NAME} characters"
    if not NAME_RE.match(name):
        return "a name is made of a-z, 0-9 and '-', starting with a letter or digit"
    if (workflows_dir / name).exists():
        return f"there is already a workflow '{name}'"
    if (workflows_dir / ARCHIVE / name).exists():
        return f"an archived workflow is called '{name}' (unarchive it, or choose another name)"
    return None


def bundled_names() -> list[str]:
    return [p.parent.name for p in discover(bundled_dir("workflows"))]


def new_workflow(
    db: sqlite_utils.Database | None,
    workflows_dir: Path,
    name: str,
    *,
    from_existing: str | None = None,
    text: str | None = None,
) -> Path:
    """A new workflow folder: blank, a copy of ``from_existing`` (a workflow of this
    folder, else a bundled one) with its samples, or with ``text`` as its spec (a draft).
    Returns its spec's path."""
    why = check_name(workflows_dir, name)
    if why:
        raise KnownError(why)
    target = workflows_dir / name
    if from_existing:
        source = _source_of(workflows_dir, from_existing)
        shutil.copytree(
            source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*.tmp")
        )
        document = SpecDocument.open(target / SPEC_NAME)
        document.set("name", name)
        write_atomically(target / SPEC_NAME, document.text)
    else:
        target.mkdir(parents=True)
        write_atomically(target / SPEC_NAME, text if text is not None else BLANK.format(name=name))
    (target / SAMPLES).mkdir(exist_ok=True)
    if db is not None:
        with transaction(db):
            eventlog.append(
                db,
                "workflow.created",
                workflow=name,
                detail={
                    "path": str(target / SPEC_NAME),
                    "from": from_existing or ("a draft" if text is not None else None),
                },
            )
    return target / SPEC_NAME


def _source_of(workflows_dir: Path, name: str) -> Path:
    for folder in (workflows_dir / name, bundled_dir("workflows") / name):
        if (folder / SPEC_NAME).is_file():
            return folder
    known = sorted({p.parent.name for p in discover(workflows_dir)} | set(bundled_names()))
    raise NotFoundError(f"no workflow '{name}' to start from (there are: {', '.join(known)})")


# --- samples ---------------------------------------------------------------------------------


def samples(workflow_dir: Path) -> list[Sample]:
    """The workflow's samples and the inputs each makes (an ``.eml``, a CSV's rows)."""
    from desktop_app.services.inputs import InputError, from_path

    folder = workflow_dir / SAMPLES
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            found.append(Sample(path.name, path, list(from_path(path))))
        except (InputError, OSError) as exc:
            found.append(Sample(path.name, path, [], str(exc)))
    return found


def add_samples(
    db: sqlite_utils.Database | None, workflow_dir: Path, files: list[Path]
) -> list[Path]:
    """Copy ``files`` into samples/ (a name already there gets a number); their new paths."""
    from desktop_app.services.inputs import from_path

    folder = workflow_dir / SAMPLES
    folder.mkdir(exist_ok=True)
    added = []
    for source in files:
        if not source.is_file():
            raise KnownError(f"{source}: no such file")
        list(from_path(source))  # refuse what a run could not read (not UTF-8, a bad CSV)
        target = _free_name(folder, source.name)
        shutil.copyfile(source, target)
        added.append(target)
    _log_samples(db, workflow_dir, "sample.added", [p.name for p in added])
    return added


def add_text_sample(
    db: sqlite_utils.Database | None, workflow_dir: Path, text: str, name: str = "pasted"
) -> Path:
    """Pasted text as a new ``.txt`` sample."""
    if not text.strip():
        raise KnownError("the sample is empty")
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.strip()) or "pasted"
    folder = workflow_dir / SAMPLES
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, f"{stem}.txt")
    write_atomically(target, text)
    _log_samples(db, workflow_dir, "sample.added", [target.name])
    return target


def remove_sample(db: sqlite_utils.Database | None, workflow_dir: Path, name: str) -> None:
    path = workflow_dir / SAMPLES / name
    if path.parent != workflow_dir / SAMPLES or not path.is_file():
        raise NotFoundError(f"no sample '{name}' in {workflow_dir / SAMPLES}")
    path.unlink()
    _log_samples(db, workflow_dir, "sample.removed", [name])


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 2
    while target.exists():
        target = folder / f"{stem}-{number}{suffix}"
        number += 1
    return target


def _log_samples(
    db: sqlite_utils.Database | None, workflow_dir: Path, kind: str, names: list[str]
) -> None:
    if db is None or not names:
        return
    with transaction(db):
        eventlog.append(db, kind, workflow=workflow_dir.name, detail={"samples": names})


# --- archive, delete --------------------------------------------------------------------------


def archive(db: sqlite_utils.Database, workflows_dir: Path, name: str) -> Path:
    """Hide a workflow (its schedule stops); its items and log stay. Undone by ``unarchive``."""
    from desktop_app.services import switches

    source = workflows_dir / name
    if not (source / SPEC_NAME).is_file():
        raise NotFoundError(f"no workflow '{name}' in {workflows_dir}")
    target = workflows_dir / ARCHIVE / name
    if target.exists():
        raise KnownError(f"an archived workflow is already called '{name}'")
    target.parent.mkdir(exist_ok=True)
    switches.disable(db, name, why="archived")
    source.rename(target)
    with transaction(db):
        eventlog.append(db, "workflow.archived", workflow=name, detail={"path": str(target)})
    return target


def unarchive(db: sqlite_utils.Database, workflows_dir: Path, name: str) -> Path:
    source = workflows_dir / ARCHIVE / name
    if not source.is_dir():
        raise NotFoundError(f"no archived workflow '{name}' in {workflows_dir / ARCHIVE}")
    target = workflows_dir / name
    if target.exists():
        raise KnownError(f"a workflow '{name}' exists again: rename one of them first")
    source.rename(target)
    with transaction(db):
        eventlog.append(db, "workflow.unarchived", workflow=name, detail={"path": str(target)})
    return target


def rename(db: sqlite_utils.Database, workflows_dir: Path, old: str, new: str) -> Path:
    """A new name for a workflow: its folder, its spec's ``name`` and its items, runs, costs
    and profiles follow; the log keeps the old name on what happened before, and says so
    (``workflow.renamed``). Refused while it runs. Returns the spec's new path."""
    source = workflows_dir / old
    if not (source / SPEC_NAME).is_file():
        raise NotFoundError(f"no workflow '{old}' in {workflows_dir}")
    why = check_name(workflows_dir, new)
    if why:
        raise KnownError(why)
    if run_rows.has_running_run(db, old):
        raise KnownError(f"'{old}' has a run under way: rename it when the run has finished")
    document = SpecDocument.open(source / SPEC_NAME)
    document.set("name", new)
    target = workflows_dir / new
    source.rename(target)
    try:
        write_atomically(target / SPEC_NAME, document.text)
        with transaction(db):
            spec_versions.rename_workflow(db, old, new)
            eventlog.append(db, "workflow.renamed", workflow=new, detail={"from": old, "to": new})
    except BaseException:
        target.rename(source)  # the folder goes back with its old spec: nothing half done
        (source / SPEC_NAME).write_text(document.saved_text, encoding="utf-8")
        raise
    return target / SPEC_NAME


def archived(workflows_dir: Path) -> list[str]:
    return [p.parent.name for p in discover(workflows_dir / ARCHIVE)]


def delete(db: sqlite_utils.Database, workflows_dir: Path, name: str) -> None:
    """Remove a workflow that never made an item (one that did can be archived)."""
    folder = workflows_dir / name
    if not (folder / SPEC_NAME).is_file():
        raise NotFoundError(f"no workflow '{name}' in {workflows_dir}")
    made = item_pages.count_items(
        db, statuses=("pending", "escalated", "approved", "rejected", "expired"), workflow=name
    )
    if made:
        raise KnownError(
            f"'{name}' has made {made} item(s): it can be archived (hidden, kept), not deleted"
        )
    from desktop_app.services import switches

    switches.disable(db, name, why="deleted")
    shutil.rmtree(folder)
    with transaction(db):
        eventlog.append(db, "workflow.deleted", workflow=name, detail={"path": str(folder)})
