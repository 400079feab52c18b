"""Greedy templates: a prompt or path that asks for a gigabyte, a billion loop turns or a
number with ten billion digits is refused, fast and in little memory, with the reason.

``signoff check`` renders each template once on a sample input and reports a greedy or
failing one at its line; a render at run time raises ``TemplateRenderError`` (never an
internal error), and the pipeline turns it into an escalated item saying why.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.inputdoc import InputDoc
from desktop_app.core.spec_loader import check_spec, discover, load_spec
from desktop_app.core.templates import TemplateRenderError, render, render_messages
from desktop_app.services.inputs import from_text
from desktop_app.services.pipeline import prepare
from desktop_app.services.runner import Runner
from desktop_app.storage import item_rows
from desktop_app.storage.db import connect
from tests.conftest import REPO_ROOT
from tests.helpers.llm_server import reply
from tests.helpers.specs import write_spec

TEMPLATE_LINE = 'template = "Message from {{ input.name }}:\\n{{ input.text }}"'
SYSTEM_LINE = "system = \"You reply politely. Rules: {{ criteria | join('; ') }}\""
MB = 1024 * 1024

GREEDY = {
    "a billion x": ("{{ 'x' * 10**9 }}", "would produce more than 1,000,000 characters"),
    "range(10**9)": (
        "{% for i in range(10**9) %}x{% endfor %}",
        "loops more than 100,000 times",
    ),
    "nested range(100000) loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "loops more than 100,000 times",
    ),
    "10 ** (10 ** 10)": ("{{ 10 ** (10 ** 10) }}", "number too large"),
    "a huge join": ("{{ range(100000) | join('x' * 100000) }}", "would produce more than"),
    "a huge center": ("{{ input.text | center(1000000000) }}", "would produce more than"),
    "a huge indent": ("{{ ('x\\n' * 1000) | indent(1000000) }}", "would produce more than"),
    "a huge batch fill": ("{{ [1] | batch(10**9, 'x') | list }}", "would produce more than"),
    "a huge str.ljust": ("{{ input.text.ljust(10**9) }}", "would produce more than"),
    "a huge format width": ("{{ '%999999999s' | format(input.name) }}", "would produce more than"),
    "doubling with ~": (
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
        "would produce more than",
    ),
    "a list nested 60 deep": (
        "{% set ns = namespace(a=[1]) %}{% for i in range(60) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a | length }}",
        "would produce more than",
    ),
    "a set block of 100,000 lines": (
        "{% set x %}{% for i in range(100000) %}{{ 'x' * 900000 }}{% endfor %}{% endset %}",
        "would produce more than",
    ),
    "a macro calling itself twice": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
        "{{ f(40) }}",
        "loops more than 100,000 times",
    ),
    "a division by zero": ("{{ 1 / 0 }}", "division by zero"),
}


def bounded(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """(what ``fn`` returns or raises, seconds it takes, peak bytes it allocates): timed on
    its own, then run again under tracemalloc (which slows Python down several times)."""

    def call() -> Any:
        try:
            return fn()
        except TemplateRenderError as exc:
            return exc

    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def spec_with(tmp_path: Path, template: str, *, where: str = "template", **kw: Any) -> Path:
    """The test spec with ``template`` as its prompt template (or system prompt, or
    action path); ``template`` holds no double quote or backslash (a TOML basic string)."""
    path = write_spec(tmp_path / "wf", "reply", **kw)
    text = path.read_text()
    if where == "template":
        text = text.replace(TEMPLATE_LINE, f'template = "{template}"')
    elif where == "system":
        text = text.replace(SYSTEM_LINE, f'system = "{template}"')
    else:
        text += f'\n[action]\nkind = "file"\npath = "out/{template}.txt"\n'
    path.write_text(text)
    return path


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


@pytest.mark.parametrize("case", list(GREEDY))
def test_check_reports_a_greedy_template_at_its_line_fast_and_small(tmp_path, case):
    template, reason = GREEDY[case]
    path = spec_with(tmp_path, template)
    (spec, problems), seconds, peak = bounded(lambda: check_spec(path))
    assert spec is None
    (problem,) = problems
    assert problem.line == line_of(path, "template = ")
    assert "[prompt] template fails on a sample input: the template" in problem.message
    # check gives a sample render 0.25 s (the spec editor checks as you type): a slow
    # greedy case may reach that before its own cap
    assert reason in problem.message or "took longer than 0.25 s" in problem.message, problem
    assert str(problem).startswith(f"{path}:{problem.line}: ")
    assert seconds < 3, seconds
    assert peak < 64 * MB, peak


@pytest.mark.parametrize("where", ["system", "action"])
def test_check_finds_a_greedy_system_prompt_or_action_path_too(tmp_path, where):
    path = spec_with(tmp_path, "{{ 'x' * 10**9 }}", where=where)
    spec, problems = check_spec(path)
    label, key = (
        ("[prompt] system", "system = ") if where == "system" else ("[action] path", "path = ")
    )
    assert spec is None and [(p.line, p.message.split(":")[0]) for p in problems] == [
        (line_of(path, key), f"{label} fails on a sample input")
    ]


@pytest.mark.parametrize("case", list(GREEDY))
def test_rendering_a_greedy_template_raises_a_template_render_error(case):
    template, reason = GREEDY[case]
    variables = {"input": {"text": "Lovely cake.", "name": "review-1", "fields": {}}}
    error, seconds, peak = bounded(lambda: render(template, variables))
    assert isinstance(error, TemplateRenderError) and reason in str(error), error
    assert seconds < 3 and peak < 64 * MB, (seconds, peak)


def test_what_jinja_reads_as_10_to_the_100_is_no_problem(tmp_path):
    # Jinja's ** binds to the left: 10**10**10 is (10**10)**10, a number of 101 digits.
    assert render("{{ 10**10**10 }}", {}) == "1" + "0" * 100
    assert check_spec(spec_with(tmp_path, "{{ 10**10**10 }} {{ input.text }}"))[1] == []


def test_a_template_that_is_too_slow_is_stopped_at_the_deadline():
    started = time.perf_counter()
    with pytest.raises(TemplateRenderError, match=r"took longer than 0\.05 s"):
        render("{% for i in range(99999) %}{{ range(2000) | sum }}{% endfor %}", {}, seconds=0.05)
    assert time.perf_counter() - started < 1


def test_an_input_as_long_as_its_spec_allows_is_never_refused_for_its_length():
    text = "x" * 1_500_000  # more than the plain cap: the render may repeat it twice
    assert render("{{ input.text }}|{{ input.text }}", {"input": {"text": text}}) == (
        f"{text}|{text}"
    )
    with pytest.raises(TemplateRenderError, match="would produce more than"):
        render("{{ input.text * 3 }}", {"input": {"text": text}})


def test_ordinary_templates_render_as_before():
    variables = {
        "input": {"text": "Lovely cake.", "name": "review-1", "fields": {"a": "1", "b": "2"}},
        "criteria": ["Be polite.", "No refunds."],
    }
    source = (
        "{{ criteria | join('; ') }}|{% for k, v in input.fields | dictsort %}{{ k }}={{ v }}"
        "{% if not loop.last %},{% endif %}{% endfor %}|{{ input.text[:6] ~ '!' }}|"
        "{{ '%s-%03d' % (input.name, 7) }}|{{ '{}:{}'.format('a', 1) }}|{{ [1, 2] | tojson }}|"
        "{% set a, b = 1, input.name %}{{ a }}{{ b }}|{{ range(3) | list }}|{{ 2 ** 10 }}"
    )
    assert render(source, variables) == (
        "Be polite.; No refunds.|a=1,b=2|Lovely!|review-1-007|a:1|[1, 2]|1review-1|[0, 1, 2]|1024"
    )


def test_any_failure_inside_a_template_is_a_template_render_error():
    for source, reason in [
        ("{{ 1 / 0 }}", "division by zero (ZeroDivisionError)"),
        ("{{ 'a' + 1 }}", "(TypeError)"),
        ("{{ (2.0 ** 10000) }}", "(OverflowError)"),
        ("{{ 10 ** 5000 }}", "(ValueError)"),  # more digits than Python prints
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "too deeply"),
    ]:
        with pytest.raises(TemplateRenderError) as caught:
            render(source, {})
        assert reason in str(caught.value), (source, str(caught.value))


def test_a_value_the_sample_lacks_is_no_problem_but_an_unknown_filter_is(tmp_path):
    path = spec_with(tmp_path, "{{ input.fields.amount * 2 }} {{ input.text }}")
    assert check_spec(path)[1] == []  # a CSV column: the sample input has none
    path = spec_with(tmp_path, "{{ input.text | nosuchfilter }}")
    (problem,) = check_spec(path)[1]
    assert problem.line == line_of(path, "template = ")
    assert "is not a valid template: No filter named 'nosuchfilter'" in problem.message


def test_every_bundled_workflow_still_checks_clean_and_renders():
    for path in discover(REPO_ROOT / "workflows"):
        spec, problems = check_spec(path)
        assert problems == [] and spec is not None, [str(p) for p in problems]
        doc = InputDoc("k", "sample", "A message.", {"Amount": "12.50", "Date": "2024-01-02"})
        try:
            messages = render_messages(spec, doc)
        except TemplateRenderError as exc:  # a CSV column this made-up row lacks
            assert "does not have" in str(exc)
        else:
            assert messages[-1]["content"]


# --- at run time: an escalated item with the reason ------------------------------------------

ONLY_FOR_BOOM = {
    "a billion x": (
        "{% if 'boom' in input.text %}{{ 'x' * 10**9 }}{% endif %}{{ input.text }}",
        "the template would produce more than",
    ),
    "range(10**9), once an internal OverflowError": (
        "{% if 'boom' in input.text %}{% for i in range(10**9) %}x{% endfor %}{% endif %}"
        "{{ input.text }}",
        "the template loops more than 100,000 times",
    ),
    "a division by zero": (
        "{{ input.text }}{% if 'boom' in input.text %}{{ 1 / 0 }}{% endif %}",
        "the template failed: division by zero",
    ),
}


@pytest.fixture
def db(tmp_path):
    database = connect(tmp_path / "data" / "signoff.db")
    yield database
    database.conn.close()


@pytest.mark.parametrize("case", list(ONLY_FOR_BOOM))
def test_a_run_escalates_the_input_a_template_is_greedy_for(tmp_path, db, llm_server, case):
    template, reason = ONLY_FOR_BOOM[case]
    spec = load_spec(spec_with(tmp_path, template, api_base=llm_server.url))  # checks clean
    llm_server.script(reply("Dear Anna, thank you for the kind words!"))
    started = time.perf_counter()
    summary = Runner(db).run(spec, [from_text("boom", name="boom"), from_text("Lovely cake")])
    assert time.perf_counter() - started < 10
    assert (summary.state, summary.pending, summary.escalated) == ("finished", 1, 1)
    items = {i["input_name"]: i for i in map(lambda n: item_rows.get_item(db, n), summary.item_ids)}
    assert items["boom"]["status"] == "escalated"
    assert items["boom"]["reason"].startswith("The prompt could not be filled in for this input")
    assert reason in items["boom"]["reason"], items["boom"]["reason"]
    assert items["Lovely cake"]["status"] == "pending"
    assert len([r for r in llm_server.requests if r.path.endswith("/chat/completions")]) == 1


def test_prepare_decides_a_greedy_input_without_a_model_call(tmp_path):
    spec = load_spec(spec_with(tmp_path, ONLY_FOR_BOOM["a billion x"][0]))
    prepared, seconds, peak = bounded(lambda: prepare(spec, from_text("boom")))
    assert prepared.decided is not None and not prepared.messages
    assert prepared.decided.status == "escalated"
    assert "would produce more than" in (prepared.decided.reason or "")
    assert seconds < 3 and peak < 64 * MB
