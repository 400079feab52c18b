"""Hostile or mistyped values that once crashed the checker (issue 18's fuzzing): each is
now one problem with its file and line, and one bad spec never hides the others."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.spec_loader import check_text
from tests.conftest import REPO_ROOT

BASE = (REPO_ROOT / "workflows" / "bank-categorise" / "workflow.toml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def _with(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


DEEP_SCHEMA = json.dumps({"type": "object", "properties": {"a": {"type": "object"}}}).replace(
    '{"type": "object"}', "X"
)
for _ in range(100):
    DEEP_SCHEMA = DEEP_SCHEMA.replace("X", '{"type": "object", "properties": {"a": X}}')
DEEP_SCHEMA = DEEP_SCHEMA.replace("X", '{"type": "string"}')

CASES = {
    "a template with 70 nested parentheses": (
        lambda: _with(
            'template = """', 'template = "{{ ' + "(" * 70 + "1" + ")" * 70 + ' }}"\nold = """'
        ),
        "template = ",
    ),
    "300 nested if blocks": (
        lambda: _with(
            'template = """',
            'template = "' + "{% if 1 %}" * 300 + "x" + "{% endif %}" * 300 + '"\nold = """',
        ),
        "template = ",
    ),
    "fallbacks with 500 nested brackets": (
        lambda: _with("fallbacks = []", "fallbacks = " + "[" * 500 + "]" * 500),
        "fallbacks = ",
    ),
    "a regex with 20,000 nested groups": (
        lambda: (
            BASE
            + '\n[[failure_modes]]\nname = "deep"\nwhen = "input_matches"\npattern = "'
            + "(" * 20000
            + "a"
            + ")" * 20000
            + '"\nthen = "escalate"\n'
        ),
        'pattern = "((',
    ),
    "a duration too large for a date": (
        lambda: _with('cron = "0 7 * * *"', 'every = "9999999999999d"'),
        "every = ",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_value_is_one_problem_at_its_line(tmp_path, case):
    make, needle = CASES[case]
    text = make()
    path = tmp_path / "bank-categorise" / "workflow.toml"
    spec, problems = check_text(path, text)
    assert spec is None and problems
    lines = {p.line for p in problems if not p.incomplete}
    assert _line_of(text, needle) in lines, [str(p) for p in problems]
    assert all(str(p).startswith(f"{path}:") for p in problems)


def test_a_schema_a_hundred_levels_deep_is_one_problem_or_fine(tmp_path):
    folder = tmp_path / "bank-categorise"
    folder.mkdir()
    (folder / "schema.json").write_text(DEEP_SCHEMA, encoding="utf-8")
    _spec, problems = check_text(folder / "workflow.toml", BASE)
    invalid = [p for p in problems if not p.incomplete]
    assert all(p.line == _line_of(BASE, "schema_file = ") for p in invalid), [
        str(p) for p in invalid
    ]


def test_one_bad_spec_never_hides_the_others(tmp_path, capsys, monkeypatch):
    from desktop_app.cli import main

    folder = tmp_path / "workflows"
    for name in ("aaa", "bbb", "ccc"):
        (folder / name).mkdir(parents=True)
        text = BASE.replace('name = "bank-categorise"', f'name = "{name}"')
        if name == "bbb":
            text = text.replace("fallbacks = []", "fallbacks = " + "[" * 500 + "]" * 500)
        (folder / name / "workflow.toml").write_text(text, encoding="utf-8")
        (folder / name / "schema.json").write_text(
            (REPO_ROOT / "workflows" / "bank-categorise" / "schema.json").read_text(), "utf-8"
        )
    monkeypatch.setenv("SIGNOFF_WORKFLOWS", str(folder))
    assert main(["workflows", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [w["name"] for w in listed] == ["aaa", "bbb", "ccc"]
    assert [w["valid"] for w in listed] == [True, False, True]
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"{folder / 'bbb' / 'workflow.toml'}:" in out and "nested too deeply" in out
    paths = [str(folder / n / "workflow.toml") for n in ("aaa", "bbb", "ccc")]
    assert main(["check", *paths]) == 1
    captured = capsys.readouterr()
    assert "1 of 3 spec(s) invalid or incomplete" in captured.err  # the third one was checked
    assert "nested too deeply" in captured.out
