"""Where an action may write: names from inputs made safe, paths kept in their folder.

An action's path is a template (``replies/{{ input.name }}.txt``), and every value an
input brings (a first line, a file name, a CSV field, an e-mail's subject, the model's
output) is chosen by whoever wrote that input. Two rules keep such values from choosing
where a file lands:

1. ``safe_name``: a value from an input becomes one file-name component — no ``/`` or
   ``\\``, no ``..``, no control characters, no characters Windows refuses, not empty,
   at most ``MAX_NAME`` characters. Every action renders its path with these values.
2. ``confine``: the rendered path must stay inside the folder the spec names — the part
   of the path template before its first ``{{`` (relative to the data folder, or an
   absolute folder the owner wrote) — after ``..``, absolute parts, backslashes and
   symlinks are resolved. A path that would leave it is refused, never written.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

from desktop_app.core.errors import KnownError

MAX_NAME = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{n}" for n in range(1, 10)),
    *(f"lpt{n}" for n in range(1, 10)),
}  # fmt: skip
_TEMPLATE_START = re.compile(r"\{[{%#]")


class PathEscapeError(KnownError):
    """A rendered path that would leave the folder its spec names."""


def safe_name(value: Any) -> str:
    """``value`` as one safe file-name component (``_`` where a character is unsafe)."""
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(c if c.isprintable() or c == " " else "_" for c in text)
    text = _UNSAFE.sub("_", text).strip().strip(".").strip()
    if len(text) > MAX_NAME:
        text = text[:MAX_NAME].rstrip(". ")
    if not text:
        return "_"
    if text.split(".", 1)[0].lower() in _RESERVED:
        return f"_{text}"
    return text


def safe_values(value: Any) -> Any:
    """Every string in ``value`` (a dict, list or string from an input) made a ``safe_name``."""
    if isinstance(value, dict):
        return {k: safe_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe_values(v) for v in value]
    if isinstance(value, str):
        return safe_name(value)
    return value


def folder_of(template: str, data_dir: Path) -> Path:
    """The folder a path template names: its leading parts before the first template tag
    (without the file name when nothing in it is templated), under ``data_dir`` unless
    absolute (``~`` is the owner's home)."""
    parts = re.split(r"[/\\]", template.strip())
    fixed: list[str] = []
    for part in parts[:-1]:
        if _TEMPLATE_START.search(part):
            break
        fixed.append(part)
    joined = "/".join(fixed) if fixed else ""
    if template.strip().startswith(("/", "\\")) and not joined.startswith("/"):
        joined = "/" + joined
    folder = Path(joined).expanduser() if joined else Path()
    return folder if folder.is_absolute() else data_dir / folder


def confine(rendered: str, template: str, data_dir: Path) -> Path:
    """The path ``rendered`` names, if it lies inside ``folder_of(template)``; else
    ``PathEscapeError`` with the reason. Backslashes count as separators everywhere."""
    text = rendered.strip().replace("\\", "/")
    if not text:
        raise PathEscapeError("the action's path came out empty")
    candidate = Path(text).expanduser()
    if not candidate.is_absolute():
        candidate = data_dir / candidate
    root = folder_of(template, data_dir).resolve()
    resolved = candidate.resolve()  # follows symlinks of the parts that exist, folds ".."
    if resolved == root or not resolved.is_relative_to(root):
        raise PathEscapeError(
            f"the action's path {resolved} is outside the folder its spec names ({root}):"
            " refused, nothing written"
        )
    return resolved
