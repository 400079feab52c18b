"""Generated spec files through the checker (hypothesis): valid ones cut short, keys
given values of the wrong type, hostile strings and deep nesting in any value. None ends
in a traceback, and every problem names its file and a line of it."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.spec_loader import check_text
from tests.conftest import REPO_ROOT

BUNDLED = sorted((REPO_ROOT / "workflows").glob("*/workflow.toml"))
TEXTS = [p.read_text(encoding="utf-8") for p in BUNDLED]
ASSIGNMENT = re.compile(r"^(\s*[A-Za-z_]+\s*=\s*)(.*)$")

HOSTILE = st.sampled_from(
    [
        '"{{ ' + "(" * 200 + "1" + ")" * 200 + ' }}"',
        '"' + "{% if 1 %}" * 400 + "x" + "{% endif %}" * 400 + '"',
        "[" * 1000 + "]" * 1000,
        '"9999999999999d"',
        '"' + "(" * 5000 + "a" + ")" * 5000 + '"',
        '"<script>alert(1)</script>"',
        '"\\u202e\\u0000\\u001b[2J"',
        '"' + "x" * 100_000 + '"',
        "-1",
        "1e308",
        "true",
        "{}",
        '{ a = { b = { c = [1, "2", 3.0] } } }',
        '"{{ input.nope.deeper }}"',
        '"{% for %}"',
        '"' + "\\\\" * 50 + '"',
        '""',
        "[]",
        '["", "", ""]',
        '"*/5 * * * * * *"',
        '"0 25 * * *"',
    ]
)
VALUES = st.one_of(
    HOSTILE,
    HOSTILE,
    HOSTILE,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=False).map(repr),
    st.text(max_size=40).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)


@st.composite
def specs(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(TEXTS)).splitlines()
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        n = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        found = ASSIGNMENT.match(lines[n])
        if found:
            lines[n] = found.group(1) + draw(VALUES)
    if draw(st.booleans()):  # cut short, anywhere
        lines = lines[: draw(st.integers(min_value=0, max_value=len(lines)))]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=specs())
def test_no_spec_ends_in_a_traceback_and_every_problem_has_file_and_line(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("fuzz") / "review-reply"
    path = folder / "workflow.toml"
    _spec, problems = check_text(path, text)  # raises nothing
    line_count = max(1, len(text.splitlines()))
    for problem in problems:
        shown = str(problem)
        assert shown.startswith(f"{path}:{problem.line}: "), shown
        assert 1 <= problem.line <= line_count + 1, shown
