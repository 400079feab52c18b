"""Find the line of each table and key in a TOML text (tomllib reports none).

A small scanner, not a parser: it follows ``[table]`` and ``[[array]]``
headers and ``key =`` lines, skipping the insides of multi-line strings and
of arrays that span lines. Good enough to point a person at the right line.
"""

from __future__ import annotations

import re

Path = tuple  # ("model", "name") or ("failure_modes", 0, "then")

_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(
    r"""^((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_dotted(key: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", key)
    return [p.strip("\"'") for p in parts]


def _scan_value(value: str) -> tuple[str | None, int]:
    """(an unclosed multi-line string delimiter, or None; bracket depth change) for a value's text."""
    depth = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if value.startswith('"""', i) or value.startswith("'''", i):
            delim = value[i : i + 3]
            end = value.find(delim, i + 3)
            if end == -1:
                return delim, depth
            i = end + 3
            continue
        if ch in "\"'":
            end = i + 1
            while end < len(value) and value[end] != ch:
                end += 2 if (ch == '"' and value[end] == "\\") else 1
            i = end + 1
            continue
        if ch == "#":
            break
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    return None, depth


def index_lines(text: str) -> dict[Path, int]:
    """Map every table header and key path to its 1-based line number."""
    index: dict[Path, int] = {}
    arrays: dict[tuple, int] = {}
    current: tuple = ()
    in_string: str | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            if in_string in line:
                after = line.split(in_string, 1)[1]
                in_string = None
                _, change = _scan_value(after)
                depth += change
            continue
        if depth > 0:
            delim, change = _scan_value(line)
            depth += change
            in_string = delim
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(stripped)
        if header and not _KEY.match(stripped):
            names = tuple(_split_dotted(header.group(1)))
            if stripped.startswith("[["):
                arrays[names] = arrays.get(names, -1) + 1
                current = (*names, arrays[names])
            else:
                current = names
            index.setdefault(current, number)
            if stripped.startswith("[["):
                index.setdefault(names, number)
            continue
        key = _KEY.match(stripped)
        if key:
            path = (*current, *_split_dotted(key.group(1)))
            index.setdefault(path, number)
            delim, change = _scan_value(stripped[key.end() :])
            in_string = delim
            depth += change
    return index


def line_of(index: dict[Path, int], *path: str | int) -> int:
    """The line of ``path``, else of its nearest enclosing table, else 1."""
    path = tuple(path)
    while path:
        if path in index:
            return index[path]
        path = path[:-1]
    return 1
