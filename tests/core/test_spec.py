"""Spec loading: every kind of problem names its file and line; completeness lists what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.core.errors import SpecError
from desktop_app.core.spec_loader import check_spec, discover, load_spec
from desktop_app.core.toml_lines import index_lines, line_of
from tests.conftest import BUNDLED_WORKFLOWS, REPO_ROOT
from tests.helpers.specs import write_spec


def broken(tmp_path: Path, old: str, new: str, name: str = "reply") -> tuple[Path, int]:
    """A valid test spec with ``old`` replaced by ``new``; returns its path and the changed line."""
    path = write_spec(tmp_path / "wf", name)
    text = path.read_text()
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text)
    line = text[: text.index(new)].count("\n") + 1 if new else 1
    return path, line


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in check_spec(path)[1]]


def test_valid_spec_loads_typed_values_and_defaults(tmp_path):
    spec = load_spec(write_spec(tmp_path / "wf", "reply", api_base="http://127.0.0.1:1/v1"))
    assert spec.complete and spec.missing == ()
    assert spec.model.name == "openai/test-model" and spec.model.temperature == 0.0
    assert spec.model.input_cost_per_mtok == 1.0 and spec.model.retries == 1
    assert spec.input.kind == "text" and spec.input.glob == "*"
    assert spec.criteria == ("Be polite.", "Never promise a refund.")
    assert spec.output.must_not_contain == ("refund",) and spec.output.check_count() == 3
    assert [m.when for m in spec.failure_modes] == ["input_matches", "model_error"]
    assert spec.failure_modes[0].line == spec.text.splitlines().index("[[failure_modes]]") + 1
    assert spec.schedule is None and spec.action.kind == "none"
    assert len(spec.version) == 64


def test_version_changes_with_the_file(tmp_path):
    path = write_spec(tmp_path / "wf", "reply")
    first = load_spec(path).version
    path.write_text(path.read_text().replace("Be polite.", "Be very polite."))
    assert load_spec(path).version != first


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (
            "temperature = 0.0",
            "temprature = 0.0",
            "unknown key [model] 'temprature' (did you mean 'temperature'?)",
        ),
        (
            "max_tokens = 200",
            'max_tokens = "200"',
            "[model] max_tokens must be a whole number, not text",
        ),
        (
            "temperature = 0.0",
            "temperature = 3.5",
            "[model] temperature must be between 0 and 2 (it is 3.5)",
        ),
        (
            'kind = "text"',
            'kind = "txt"',
            "[input] kind must be one of text, folder, csv, mailbox, not 'txt' (did you mean 'text'?)",
        ),
        (
            'pattern = "(?i)lawyer"',
            'pattern = "(?i)law(yer"',
            "is not a valid regular expression: missing ), unterminated subpattern",
        ),
        (
            'then = "escalate"',
            'then = "escalat"',
            "then must be one of escalate, skip, retry, not 'escalat'",
        ),
        ('when = "input_matches"', 'when = "input_matchs"', "when must be one of input_matches"),
        (
            'then = "escalate"',
            'then = "retry"',
            'then = "retry" only applies to output_matches, check_failed and model_error',
        ),
        ('name = "reply"', 'name = "Reply!"', "name 'Reply!' may only use a-z, 0-9 and '-'"),
        ('name = "reply"', 'name = "other"', "name 'other' must equal its folder's name 'reply'"),
        (
            "min_chars = 5",
            "min_chars = 500",
            "[output] min_chars (500) is more than max_chars (300)",
        ),
        ("rules = [", "rulez = [", "unknown key [criteria] 'rulez' (did you mean 'rules'?)"),
        ("timeout_s = 5", 'timeout_s = "5"', "[model] timeout_s must be a number, not text"),
        ("max_chars = 2000", "max_chars = 0", "[input] max_chars must be at least 1 (it is 0)"),
        ("timeout_s = 5", "timeout_s = 0", "[model] timeout_s must be more than 0 (it is 0)"),
        (
            'format = "text"',
            'format = "jsn"',
            "[output] format must be one of text, json, not 'jsn' (did you mean 'json'?)",
        ),
    ],
)
def test_invalid_values_name_file_and_line(tmp_path, old, new, fragment):
    path, line = broken(tmp_path, old, new)
    spec, problems = check_spec(path)
    assert spec is None
    matching = [p for p in problems if fragment in p.message]
    assert matching, [str(p) for p in problems]
    assert matching[0].line == line and matching[0].path == path
    assert str(matching[0]).startswith(f"{path}:{line}: ")
    with pytest.raises(SpecError):
        load_spec(path)


def test_toml_syntax_error_has_its_line(tmp_path):
    path, line = broken(tmp_path, "retries = 1", "retries = = 1")
    assert problems_of(path) == [f"{path}:{line}: not valid TOML: Invalid value"]


def test_template_syntax_error_points_into_a_multiline_template(tmp_path):
    path, _ = broken(
        tmp_path,
        'template = "Message from {{ input.name }}:\\n{{ input.text }}"',
        'template = """\nHello\n{{ input.text }\nBye"""',
    )
    lines = path.read_text().splitlines()
    bad_line = lines.index("{{ input.text }") + 1
    problems = check_spec(path)[1]
    assert problems[0].line == bad_line and "is not a valid template" in problems[0].message


def test_template_error_in_a_one_line_string_with_escapes_names_that_line(tmp_path):
    """The template's line 2 is still the TOML line: a one-line string keeps its \\n escapes."""
    path, line = broken(
        tmp_path,
        'template = "Message from {{ input.name }}:\\n{{ input.text }}"',
        'template = "Message from {{ input.name }}:\\n{{ input.text }"',
    )
    (problem,) = [p for p in check_spec(path)[1] if "not a valid template" in p.message]
    assert problem.line == line


def test_template_error_in_a_string_opened_on_the_key_line(tmp_path):
    path, _ = broken(
        tmp_path,
        'template = "Message from {{ input.name }}:\\n{{ input.text }}"',
        'template = """Hello\n{{ input.text }\nBye"""',
    )
    bad_line = path.read_text().splitlines().index("{{ input.text }") + 1
    (problem,) = [p for p in check_spec(path)[1] if "not a valid template" in p.message]
    assert problem.line == bad_line


def test_unknown_template_variable(tmp_path):
    path, line = broken(tmp_path, "{{ input.text }}", "{{ inptu.text }}")
    problem = check_spec(path)[1][0]
    assert problem.line == line
    assert "unknown variable 'inptu' (did you mean 'input'?)" in problem.message


def test_bad_json_schema_and_missing_schema_file(tmp_path):
    path, line = broken(
        tmp_path, 'format = "text"', 'format = "json"\njson_schema = { type = "objekt" }'
    )
    problems = [p for p in check_spec(path)[1] if "JSON schema is not valid" in p.message]
    assert problems and problems[0].line == line + 1
    path, line = broken(tmp_path, 'format = "text"', 'format = "json"\nschema_file = "nope.json"')
    problems = [p for p in check_spec(path)[1] if "schema_file 'nope.json' not found" in p.message]
    assert problems and problems[0].line == line + 1


def test_schema_file_is_part_of_the_version(tmp_path):
    path, _ = broken(tmp_path, 'format = "text"', 'format = "json"\nschema_file = "schema.json"')
    path.write_text(path.read_text().replace("min_chars = 5\n", ""))
    schema = path.parent / "schema.json"
    schema.write_text(json.dumps({"type": "object"}))
    first = load_spec(path)
    assert first.output.json_schema == {"type": "object"}
    schema.write_text(json.dumps({"type": "array"}))
    assert load_spec(path).version != first.version


def test_schedule_and_review_values(tmp_path):
    path, line = broken(tmp_path, "[criteria]", '[schedule]\nevery = "15 minutes"\n\n[criteria]')
    assert any(p.line == line + 1 and "is not a duration" in p.message for p in check_spec(path)[1])
    path, line = broken(tmp_path, "[criteria]", '[schedule]\ncron = "61 * * * *"\n\n[criteria]')
    assert any(
        p.line == line + 1 and "not a valid cron expression" in p.message
        for p in check_spec(path)[1]
    )
    path, _ = broken(
        tmp_path, "[criteria]", '[schedule]\nevery = "1h"\ncatch_up = "all"\n\n[criteria]'
    )
    spec = load_spec(path)
    assert spec.schedule.every == "1h" and spec.schedule.catch_up == "all"


def test_incomplete_spec_loads_and_lists_what_is_missing(tmp_path):
    path = write_spec(tmp_path / "wf", "reply", failure_modes="")
    text = path.read_text().replace(
        'rules = ["Be polite.", "Never promise a refund."]', "rules = []"
    )
    text = text.replace('description = "One short message."\n', "")
    path.write_text(text)
    spec, problems = check_spec(path)
    assert spec is not None and not spec.complete
    assert all(p.incomplete for p in problems)
    assert spec.missing == (
        "a description of the exact inputs ([input] description)",
        "decision criteria (at least one [criteria] rule)",
        "at least one failure mode ([[failure_modes]] with when and then)",
    )
    criteria_line = text.splitlines().index("rules = []") + 1
    assert any(p.line == criteria_line and "decision criteria" in p.message for p in problems)
    assert load_spec(path).missing == spec.missing  # incomplete is loadable, not runnable


def test_empty_unreadable_and_non_utf8_specs(tmp_path):
    folder = tmp_path / "wf" / "x"
    folder.mkdir(parents=True)
    path = folder / "workflow.toml"
    path.write_text("   \n")
    assert problems_of(path) == [f"{path}:1: the spec is empty"]
    path.write_bytes(b"name = '\xff\xfe'")
    assert problems_of(path) == [f"{path}:1: the spec is not UTF-8 text"]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    path = write_spec(tmp_path / "wf", "reply")
    text = (
        path.read_text()
        .replace("temperature = 0.0", "temprature = 0.0")
        .replace("retries = 1", "retries = -1")
    )
    path.write_text(text)
    messages = [p.message for p in check_spec(path)[1]]
    assert any("temprature" in m for m in messages) and any(
        "retries must be between 0 and 10" in m for m in messages
    )


def test_bundled_workflows_are_complete():
    paths = discover(REPO_ROOT / "workflows")
    assert len(paths) == BUNDLED_WORKFLOWS
    for path in paths:
        spec, problems = check_spec(path)
        assert problems == [], [str(p) for p in problems]
        assert spec.complete and spec.name == path.parent.name
        assert 3 <= len(list(spec.samples_dir.iterdir())) <= 5, spec.name


def test_toml_line_index_skips_multiline_strings_and_arrays():
    text = '''name = "x"
purpose = """
[not_a_table]
key = 1
"""
rules = [
  "a = b",
  "[c]",
]

[model]
name = "m"

[[failure_modes]]
name = "one"

[[failure_modes]]
name = "two"
then = "skip"
'''
    index = index_lines(text)
    assert index[("name",)] == 1 and index[("purpose",)] == 2 and index[("rules",)] == 6
    assert ("not_a_table",) not in index and ("key",) not in index and ("c",) not in index
    assert index[("model", "name")] == 12
    assert index[("failure_modes", 0, "name")] == 15 and index[("failure_modes", 1, "then")] == 19
    assert line_of(index, "failure_modes", 1, "pattern") == 17
    assert line_of(index, "nowhere", "at_all") == 1
