"""A workflow's ``workflow.toml`` as the person wrote it: read, change a key, save.

tomlkit keeps comments, key order and layout: an unchanged document is written back
byte for byte, and a changed key changes only its own line. The checker is the one in
``core.spec_loader`` (``check_text`` for text not yet saved). Saving refuses text that is
not valid TOML, writes atomically (a temporary file, then a rename) and records the new
version with its diff (``spec.changed``, through ``catalogue.sync_version``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Table
from tomlkit.toml_document import TOMLDocument

from desktop_app.core.errors import KnownError, SpecProblem
from desktop_app.core.spec_loader import check_text
from desktop_app.core.spec_model import Spec
from desktop_app.services import catalogue

if TYPE_CHECKING:
    import sqlite_utils

SPEC_NAME = "workflow.toml"


class SpecDocument:
    """One spec file's text, edited key by key."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.doc: TOMLDocument = _parse(path, text)
        self.saved_text = text  # what is on disk as far as this document knows

    @classmethod
    def open(cls, path: Path) -> SpecDocument:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KnownError(f"{path}: cannot read the spec: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise KnownError(f"{path}:1: the spec is not UTF-8 text") from None
        return cls(path, text)

    # --- reading ---

    @property
    def text(self) -> str:
        return tomlkit.dumps(self.doc)

    @property
    def changed(self) -> bool:
        return self.text != self.saved_text

    def get(self, dotted: str, default: Any = None) -> Any:
        """The plain value at ``dotted`` (``"output.max_chars"``), or ``default``."""
        node: Any = self.doc
        for part in dotted.split("."):
            if not isinstance(node, (dict, Table)) or part not in node:
                return default
            node = node[part]
        return node.unwrap() if hasattr(node, "unwrap") else node

    def check(self) -> tuple[Spec | None, list[SpecProblem]]:
        """What ``signoff check`` would say of the text as it stands (saved or not)."""
        return check_text(self.path, self.text)

    # --- changing ---

    def set(self, dotted: str, value: Any) -> None:
        """Set one key (its table is made at the end of the file when missing); ``None`` or
        an empty list removes the key, so an unset field leaves no trace in the file."""
        *tables, key = dotted.split(".")
        if value is None or (isinstance(value, (list, tuple)) and not value):
            self.remove(dotted)
            return
        node: Any = self.doc
        for part in tables:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
            if not isinstance(node, (dict, Table)):
                raise KnownError(f"{self.path}: '{part}' is not a table; cannot set {dotted}")
        if isinstance(value, (list, tuple)):
            _set_list(node, key, list(value))
            return
        if isinstance(value, str) and "\n" in value:
            value = tomlkit.string(value, multiline=True)
        if node.get(key) == value:
            return  # unchanged: keep the line exactly as written
        node[key] = value

    def remove(self, dotted: str) -> None:
        *tables, key = dotted.split(".")
        node: Any = self.doc
        for part in tables:
            if part not in node:
                return
            node = node[part]
        if isinstance(node, (dict, Table)) and key in node:
            del node[key]

    def set_failure_modes(self, modes: list[dict[str, Any]]) -> None:
        """Replace the ``[[failure_modes]]`` (each a dict of its keys)."""
        tables = AoT([])
        for mode in modes:
            table = tomlkit.table()
            for key, value in mode.items():
                if value not in (None, "", []):
                    table[key] = value
            tables.append(table)
        if modes and "failure_modes" not in self.doc:
            if not self.text.endswith("\n\n"):
                self.doc.add(tomlkit.nl())  # a blank line before the new tables, as by hand
            self.doc.append("failure_modes", tables)
        elif modes:
            self.doc["failure_modes"] = tables
        elif "failure_modes" in self.doc:
            del self.doc["failure_modes"]

    def replace_text(self, text: str) -> None:
        """The whole text at once (the editor's TOML tab): must be valid TOML."""
        self.doc = _parse(self.path, text)

    # --- saving ---

    def on_disk_changed(self) -> bool:
        """Whether the file changed on disk since it was read or saved here."""
        try:
            return self.path.read_text(encoding="utf-8") != self.saved_text
        except (OSError, UnicodeDecodeError):
            return True

    def save(self, db: sqlite_utils.Database | None = None) -> Spec | None:
        """Write the file atomically; with ``db``, record the new version (``spec.changed``).
        Returns the spec when it loads (an incomplete spec saves too, and cannot run)."""
        text = self.text
        spec = save_text(db, self.path, text)
        self.saved_text = text
        return spec


def save_text(db: sqlite_utils.Database | None, path: Path, text: str) -> Spec | None:
    """Save a spec's text (refused when it is not valid TOML): atomically, then with ``db``
    its new version is recorded (``spec.changed`` with the diff). The spec, when it loads."""
    _parse(path, text)  # never write what does not parse
    write_atomically(path, text)
    spec, _ = check_text(path, text)
    if db is not None and spec is not None:
        catalogue.sync_version(db, spec)
    return spec


LINE = 72  # a list whose line would be longer is written one item a line


def _set_list(node: Any, key: str, values: list[Any]) -> None:
    """Change a list in place, item by item, so its layout (one item a line, indent,
    trailing comma) stays as written; a new or grown list goes one item a line when long."""
    current = node.get(key)
    if not isinstance(current, Array):
        current = tomlkit.array()
        node[key] = current
    if list(current) == values:
        return
    for index, value in enumerate(values):
        if index < len(current):
            if current[index] != value:
                current[index] = value
        else:
            current.append(value)
    while len(current) > len(values):
        del current[len(current) - 1]
    written = current.as_string()
    if "\n" not in written and len(key) + 3 + len(written) > LINE:
        current.multiline(True)


def write_atomically(path: Path, text: str) -> None:
    """``text`` to ``path`` through a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise KnownError(f"{path}: cannot save the spec: {exc.strerror}") from None


def _parse(path: Path, text: str) -> TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        line = getattr(exc, "line", 1) or 1
        reason = str(exc).split(" at line ")[0]
        raise KnownError(f"{path}:{line}: not valid TOML: {reason}") from None
