"""The table of spec keys: the loader, the model and the documentation all agree with it."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core import spec_keys as sk
from desktop_app.core import spec_model as sm
from desktop_app.core.spec_loader import check_spec
from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "workflow-format.md"
MODELS: dict[str, type] = {
    "": sm.Spec,
    "model": sm.ModelSpec,
    "input": sm.InputSpec,
    "prompt": sm.PromptSpec,
    "output": sm.OutputSpec,
    "failure_modes": sm.FailureMode,
    "schedule": sm.ScheduleSpec,
    "review": sm.ReviewSpec,
    "budget": sm.BudgetSpec,
    "action": sm.ActionSpec,
}
# A complete spec with every table and as few keys as possible: the rest take their defaults.
MINIMAL: dict[str, dict[str, str]] = {
    "": {"name": '"minimal"', "purpose": '"Test the table of keys."'},
    "model": {"name": '"openai/test-model"'},
    "input": {"description": '"One short message."'},
    "criteria": {"rules": '["Be short."]'},
    "prompt": {"template": '"{{ input.text }}"'},
    "output": {"max_chars": "300"},
    "failure_modes": {"name": '"Model down"', "when": '"model_error"', "then": '"skip"'},
    "schedule": {"every": '"1h"'},
    "review": {"remind_after": '"1h"'},
    "budget": {"max_cost_per_day": "1"},
    "action": {"kind": '"clipboard"'},
}
LEAF_KEYS = [k for k in sk.KEYS if k.type not in (sk.TABLE, sk.TABLES) or k.section]
WRONG = {sk.TEXT: ("5", "a whole number"), sk.INT: ('"5"', "text"), sk.NUM: ('"5"', "text")}
WRONG |= {sk.STRLIST: ('"x"', "text"), sk.TABLE: ("5", "a whole number")}


def write_minimal(
    tmp_path: Path, changes: dict[str, str] | None = None, top: str = "", drop: str | None = None
) -> tuple[Path, dict[str, int]]:
    """The minimal spec with ``changes`` (dotted key: TOML value), ``top`` lines first and the
    table ``drop`` left out; returns its path and the line of each changed key."""
    sections = {name: dict(keys) for name, keys in MINIMAL.items() if name != drop}
    for dotted, value in (changes or {}).items():
        section, _, leaf = dotted.rpartition(".")
        sections[section][leaf] = value
    lines, where = top.splitlines(), {}
    for section, keys in sections.items():
        if section:
            header = f"[[{section}]]" if section == "failure_modes" else f"[{section}]"
            lines += ["", header]
        for leaf, value in keys.items():
            lines.append(f"{leaf} = {value}")
            where[f"{section}.{leaf}" if section else leaf] = len(lines)
    path = tmp_path / "minimal" / "workflow.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path, where


def loaded(spec: sm.Spec, key: sk.SpecKey) -> Any:
    """The value the loaded ``spec`` holds for ``key``."""
    if key.name == "criteria.rules":
        return spec.criteria
    owner = spec.failure_modes[0] if key.section == "failure_modes" else spec
    if key.section and key.section != "failure_modes":
        owner = getattr(spec, key.section)
    return getattr(owner, key.leaf)


def label(key: sk.SpecKey) -> str:
    return f"[{key.section}] {key.leaf}" if key.section else key.name


def problem_at(path: Path, line: int, fragment: str) -> None:
    """``path`` does not load and reports ``fragment`` as ``path:line: ...``."""
    spec, problems = check_spec(path)
    assert spec is None
    found = [str(p) for p in problems if fragment in p.message]
    assert found, [str(p) for p in problems]
    assert found[0].startswith(f"{path}:{line}: "), found


# --- the loader ---


def test_unwritten_keys_take_the_tables_defaults(tmp_path: Path) -> None:
    path, _ = write_minimal(tmp_path, {"action.greeting": '"Re: {{ input.name }}"'})
    spec, problems = check_spec(path)
    assert problems == [] and spec is not None and spec.complete
    written = {f"{s}.{k}" if s else k for s, keys in MINIMAL.items() for k in keys}
    unwritten = [k for k in LEAF_KEYS if k.name not in written]
    assert len(unwritten) > 20
    for key in unwritten:
        assert loaded(spec, key) == key.default, key.name
    assert spec.action.options == {"greeting": "Re: {{ input.name }}"}  # [action] keeps the rest


@pytest.mark.parametrize("key", LEAF_KEYS, ids=lambda k: k.name)
def test_a_wrong_type_is_named_with_file_and_line(tmp_path: Path, key: sk.SpecKey) -> None:
    value, written_as = WRONG[key.type]
    path, where = write_minimal(tmp_path, {key.name: value})
    words = {sk.TEXT: "text", sk.INT: "a whole number", sk.NUM: "a number"}
    words |= {sk.STRLIST: "a list of texts", sk.TABLE: "a table"}
    problem_at(path, where[key.name], f"{label(key)} must be {words[key.type]}, not {written_as}")


@pytest.mark.parametrize("key", [k for k in sk.KEYS if k.range], ids=lambda k: k.name)
def test_an_out_of_range_value_is_named_with_file_and_line(tmp_path: Path, key: sk.SpecKey) -> None:
    assert key.range is not None
    low, high, words = key.range
    outside = [math.ceil(low) - 1] if low is not None else []
    outside += [math.floor(high) + 1] if high is not None else []
    for value in outside:
        path, where = write_minimal(tmp_path, {key.name: str(value)})
        problem_at(path, where[key.name], f"{label(key)} must be {words} (it is {value})")


@pytest.mark.parametrize("key", [k for k in sk.KEYS if k.choices], ids=lambda k: k.name)
def test_a_value_not_among_the_choices_is_named_with_file_and_line(
    tmp_path: Path, key: sk.SpecKey
) -> None:
    path, where = write_minimal(tmp_path, {key.name: '"bogus"'})
    problem_at(path, where[key.name], f"must be one of {', '.join(key.choices)}, not 'bogus'")


@pytest.mark.parametrize("table", ["schedule", "review", "budget"])
def test_an_optional_table_of_the_wrong_type_is_reported(tmp_path: Path, table: str) -> None:
    path, _ = write_minimal(tmp_path, top=f'{table} = "1h"', drop=table)
    problem_at(path, 1, f"{table} must be a table, not text")


# --- the table and the model ---


def test_each_default_is_a_value_the_key_accepts() -> None:
    types = {
        sk.TEXT: str,
        sk.INT: int,
        sk.NUM: float,
        sk.STRLIST: tuple,
        sk.TABLE: dict,
        sk.TABLES: tuple,
    }
    for key in sk.KEYS:
        value: Any = key.default
        if value is None:
            continue
        if key.range:
            low, high, _ = key.range
            assert (low is None or value >= low) and (high is None or value <= high), key.name
        if key.choices and value:
            assert value in key.choices, key.name
        assert type(value) is types[key.type], key.name
    assert all(k.required for k in sk.KEYS if k.missing)


def test_the_models_fields_are_the_keys_with_the_tables_defaults() -> None:
    for section, model in MODELS.items():
        fields = {f.name: f for f in dataclasses.fields(model)}
        for leaf, key in sk.SECTIONS[section].items():
            if section:
                assert leaf in fields or key.name == "criteria.rules", key.name
            field = fields.get(leaf)
            if field is None or field.default is dataclasses.MISSING:
                assert not section or field is None or key.required, key.name
                continue
            assert field.default == key.default, key.name


# --- the documentation ---


def documented() -> dict[str, tuple[str, str]]:
    """Each dotted key of the doc's "Keys as read" table: its (type and default, notes) cells.

    A table is documented by rows under ``[name]``; a key by its row under its table.
    """
    rows = DOC.read_text().split("## Keys as read", 1)[1].split("\n## ", 1)[0]
    keys: dict[str, tuple[str, str]] = {}
    table = ""
    for line in rows.splitlines():
        if not line.startswith("| ") or line.startswith("| table |"):
            continue
        where, names, kind, notes = (c.strip() for c in line.strip().strip("|").split("|"))
        if where:
            table = "" if where == "top" else where.strip("`[]")
            if table:
                keys[table] = ("", "")
        for name in re.findall(r"`(\w+)`", names):
            keys[f"{table}.{name}" if table else name] = (kind, notes)
    return keys


def stated_default(kind: str) -> str | None:
    """The default a "type, default" cell states: ``number, 0.2``; ``a, b; a`` for choices."""
    if ";" in kind:
        return kind.rsplit(";", 1)[1].strip().strip("`")
    if kind.startswith("`") or "," not in kind:
        return None  # choices without a default, or a type alone
    stated = kind.split(",", 1)[1].strip()
    return None if stated == "required" else stated.strip("`")


def as_documented(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return str(value)


def test_every_key_is_documented_and_every_documented_key_is_in_the_table() -> None:
    doc = documented()
    assert sorted(k.name for k in sk.KEYS if k.name not in doc) == []
    assert sorted(name for name in doc if name not in {k.name for k in sk.KEYS}) == []


def test_the_documented_defaults_choices_and_required_keys_agree_with_the_table() -> None:
    table = {k.name: k for k in sk.KEYS}
    stated = 0
    for name, (kind, notes) in documented().items():
        key = table[name]
        default = stated_default(kind)
        if default is not None:
            stated += 1
            assert key.default is not None and as_documented(key.default) == default, name
        if kind.startswith("`"):
            assert tuple(re.findall(r"`([^`]+)`", kind.split(";")[0])) == key.choices, name
        if "required" in kind:
            assert key.required, name
        if "required for completeness" in notes:
            assert key.missing, name
    assert stated >= 10
