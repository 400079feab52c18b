"""The bundled workflows in the data folder's ``workflows/``, across upgrades.

The first start copies them there; from then on they are the person's. A newer Signoff
may bring new workflows, new samples, or changed specs:

- a bundled workflow (or one of its files) the folder never had is added;
- a file that changed in the bundle is never written over: the new version is offered
  beside it as ``<file>.new`` (the person compares and keeps what they want, or runs
  ``signoff workflows --take-new NAME``); a spec changed in place would switch off its
  schedule and its cost profile;
- a workflow or file the person deleted stays deleted.

``.bundled.json`` in the folder records the Signoff version last synced and the hash of
each bundled file as it was shipped; the folder is compared only when the version
changed, so an ordinary start reads one small file.
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = ".bundled.json"
OFFERED = ".new"
_SKIP = ("__pycache__",)


class Synced:
    """What a sync did (a plain class, not a dataclass: 0.5 ms off the window's start)."""

    def __init__(self) -> None:
        self.added: list[str] = []  # "review-reply", "review-reply/samples/x.txt"
        self.offered: list[str] = []  # files with a ``.new`` beside them

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Synced) and (self.added, self.offered) == (
            other.added,
            other.offered,
        )

    def __repr__(self) -> str:
        return f"Synced(added={self.added!r}, offered={self.offered!r})"

    def describe(self) -> str:
        said = []
        if self.added:
            said.append(f"added from this version's bundle: {', '.join(self.added)}")
        if self.offered:
            said.append(
                "a newer bundled version is offered beside "
                + ", ".join(f"{name}{OFFERED}" for name in self.offered)
                + " (yours are unchanged)"
            )
        return "; ".join(said)


def _digest(path: Path) -> str:
    import hashlib  # not at import: an ordinary start only reads the manifest's version

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part in _SKIP for part in p.parts) and p.suffix != ".pyc"
    }


def record(folder: Path, source: Path, version: str) -> None:
    """After the first copy: what was shipped, as the base of later upgrades."""
    hashes = {name: _digest(path) for name, path in _files(source).items()}
    _write(folder, version, hashes)


def _write(folder: Path, version: str, hashes: dict[str, str]) -> None:
    text = json.dumps({"version": version, "files": hashes}, indent=1, sort_keys=True)
    part = folder / f"{MANIFEST}.part"
    part.write_text(text, encoding="utf-8")
    part.replace(folder / MANIFEST)


def sync(folder: Path, source: Path, version: str) -> Synced:
    """Bring ``folder`` (the person's copy) up to ``source`` (this version's bundle)."""
    synced = Synced()
    manifest = folder / MANIFEST
    try:
        known = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {"version": "", "files": None}  # before manifests: every file is the person's
    if known.get("version") == version:
        return synced
    import shutil

    base: dict[str, str] | None = known.get("files")
    shipped = _files(source)
    hashes = dict(base or {})
    workflows_known = {name.split("/", 1)[0] for name in (base or {})}
    for name, path in shipped.items():
        new = _digest(path)
        workflow = name.split("/", 1)[0]
        target = folder / name
        if not target.exists():
            hashes[name] = new
            if base is None or name in base:
                continue  # removed by the person (or unknowable, before manifests): stays so
            if not (folder / workflow).exists():
                if workflow in workflows_known:
                    continue  # the person removed the whole workflow
                if workflow not in synced.added:
                    synced.added.append(workflow)
            elif workflow not in synced.added:
                synced.added.append(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            continue
        mine = _digest(target)
        if mine == new:
            hashes[name] = new
            continue
        if base is None or base.get(name) == new:
            hashes[name] = new  # the bundle did not change it (or, before manifests, the
            continue  # same version shipped it): the difference is the person's edit
        shutil.copyfile(path, target.with_name(target.name + OFFERED))
        synced.offered.append(name)
        hashes[name] = new
    _write(folder, version, hashes)
    return synced


def take_new(folder: Path, workflow: str) -> list[str]:
    """Put each offered ``.new`` file of ``workflow`` in place; the replaced ones are kept as
    ``<file>.old``. Returns the files replaced."""
    taken = []
    for offered in sorted((folder / workflow).rglob(f"*{OFFERED}")):
        current = offered.with_name(offered.name[: -len(OFFERED)])
        if current.exists():
            current.replace(current.with_name(current.name + ".old"))
        offered.replace(current)
        taken.append(current.relative_to(folder).as_posix())
    return taken
