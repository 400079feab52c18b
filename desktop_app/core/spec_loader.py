"""Load ``workflow.toml`` into a typed ``Spec``, or report every problem as ``file:line: message``.

Two kinds of problem: *invalid* (a value that cannot be used: a wrong type, a
bad regex, a broken template, an unknown key) prevents loading; *incomplete*
(a required part of the written definition is missing) loads, but the
workflow cannot run or be enabled, and ``Spec.missing`` says what is missing.
Keys, types, ranges, choices, defaults and required parts come from
``core.spec_keys``; this module adds the rules that span keys.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from desktop_app.core.checks import CHECK_NAMES
from desktop_app.core.durations import parse_duration
from desktop_app.core.errors import SpecError, SpecProblem
from desktop_app.core.spec_keys import (
    BY_NAME,
    INT,
    KEYS,
    NUM,
    SECTIONS,
    STRLIST,
    TABLE,
    TABLES,
    TEXT,
    TYPE_WORDS,
    choices,
    default,
)
from desktop_app.core.spec_model import (
    ActionSpec,
    BudgetSpec,
    FailureMode,
    InputSpec,
    ModelSpec,
    OutputSpec,
    PromptSpec,
    ReviewSpec,
    ScheduleSpec,
    Spec,
)
from desktop_app.core.templates import PROMPT_VARIABLES
from desktop_app.core.toml_lines import index_lines, line_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ACTION_VARIABLES = PROMPT_VARIABLES | {"item", "output", "now", "today"}

INCOMPLETE_IF_MISSING = tuple(k for k in KEYS if k.missing)
SAMPLE_TEXT = "A short sample input.\nIt has a second line."  # what ``check`` renders templates on
SAMPLE_RENDER_SECONDS = 0.25  # a template slower than this on a two-line sample is broken


def discover(workflows_dir: Path) -> list[Path]:
    """Every ``*/workflow.toml`` under ``workflows_dir``, sorted by folder name."""
    if not workflows_dir.is_dir():
        return []
    return sorted(p for p in workflows_dir.glob("*/workflow.toml") if p.is_file())


def load_spec(path: Path) -> Spec:
    """The spec at ``path``; raises SpecError listing every invalid value (incompleteness is in ``missing``)."""
    spec, problems = check_spec(path)
    invalid = [p for p in problems if not p.incomplete]
    if spec is None or invalid:
        raise SpecError(invalid or problems)
    return spec


def check_spec(path: Path) -> tuple[Spec | None, list[SpecProblem]]:
    """(the spec or None when invalid, every problem including incompleteness)."""
    return _Loader(Path(path)).load()


def check_text(path: Path, text: str) -> tuple[Spec | None, list[SpecProblem]]:
    """As ``check_spec``, for ``text`` not yet saved as ``path`` (the spec editor's)."""
    return _Loader(Path(path)).load(text.encode("utf-8"))


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


_TABLE_DEFAULT: Any = object()  # ``_get``'s fallback when none is given: the key's default


def _fallback(section: str, key: str, fallback: Any) -> Any:
    return (
        default(f"{section}.{key}" if section else key) if fallback is _TABLE_DEFAULT else fallback
    )


# What a hostile or mistyped value can make the checking itself raise: nesting deeper than
# Python's recursion allows (a template, a regex, a schema, TOML arrays), a duration too
# large for a date. Each is one problem at the value's line, never a crash.
_TOO_MUCH = (RecursionError, OverflowError, MemoryError)


def _too_much(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    if isinstance(exc, OverflowError):
        return "a number in it is too large"
    return "it is too large"


class _Loader:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[SpecProblem] = []
        self.lines: dict = {}
        self.raw_lines: list[str] = []
        self._at: tuple[Any, ...] = ()  # the key being read (where a failure is reported)

    def _deepest_line(self) -> int:
        """The line with the most opening brackets: where nesting went too deep."""
        if not self.raw_lines:
            return 1
        counts = [sum(line.count(c) for c in "[{(") for line in self.raw_lines]
        return counts.index(max(counts)) + 1

    # --- reporting ---

    def problem(
        self, message: str, *path: Any, incomplete: bool = False, line: int | None = None
    ) -> None:
        key = ".".join(str(part) for part in path if not isinstance(part, int))
        self.problems.append(
            SpecProblem(self.path, line or line_of(self.lines, *path), message, incomplete, key)
        )

    # --- entry ---

    def load(self, raw: bytes | None = None) -> tuple[Spec | None, list[SpecProblem]]:
        """The spec in ``raw`` (None: read from the file)."""
        if raw is None:
            try:
                raw = self.path.read_bytes()
            except OSError as exc:
                self.problem(f"cannot read the spec: {exc.strerror}", line=1)
                return None, self.problems
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.problem("the spec is not UTF-8 text", line=1)
            return None, self.problems
        if not text.strip():
            self.problem("the spec is empty", line=1)
            return None, self.problems
        self.raw_lines = text.splitlines()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = re.search(r"\(at line (\d+), column (\d+)\)", message)
            line = int(found.group(1)) if found else 1
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
            self.problem(f"not valid TOML: {reason}", line=line)
            return None, self.problems
        except _TOO_MUCH as exc:
            self.problem(f"cannot be read: {_too_much(exc)}", line=self._deepest_line())
            return None, self.problems
        self.lines = index_lines(text)
        try:
            spec = self._build(data, text, raw)
        except _TOO_MUCH as exc:  # a value nested too deep, or a number too large, to check
            line = line_of(self.lines, *self._at) if self._at else self._deepest_line()
            label = ".".join(str(p) for p in self._at if not isinstance(p, int))
            self.problem(f"{label or 'the spec'} cannot be checked: {_too_much(exc)}", line=line)
            return None, sorted(self.problems, key=lambda p: p.line)
        invalid = [p for p in self.problems if not p.incomplete]
        return (None if invalid else spec), sorted(self.problems, key=lambda p: p.line)

    # --- typed access ---

    def _unknown_keys(self, table: dict[str, Any], section: str, where: tuple[Any, ...]) -> None:
        if section and BY_NAME[section].options:
            return  # the other keys are options
        allowed = SECTIONS[section]
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, list(allowed), n=1)
                label = f"[{section}] " if section else ""
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problem(f"unknown key {label}'{key}'{suggestion}", *where, key)

    def _get(
        self,
        table: dict[str, Any],
        section: str,
        key: str,
        where: tuple[Any, ...],
        choice_label: str | None = None,
        *,
        fallback: Any = _TABLE_DEFAULT,
    ) -> Any:
        """The key's value; when it is absent or invalid (reported as such), ``fallback``:
        the table's default unless another is given (``None`` for "not given").

        A value that is not one of the key's choices is reported and kept; an empty
        required key is left for the caller to report as missing.
        """
        if key not in table:
            return _fallback(section, key, fallback)
        self._at = (*where, key)
        value = table[key]
        spec_key = SECTIONS[section][key]
        kind = spec_key.type
        label = f"[{section}] {key}" if section else key
        ok = {
            TEXT: isinstance(value, str),
            INT: isinstance(value, int) and not isinstance(value, bool),
            NUM: isinstance(value, (int, float)) and not isinstance(value, bool),
            STRLIST: isinstance(value, list) and all(isinstance(v, str) for v in value),
            TABLE: isinstance(value, dict),
            TABLES: isinstance(value, list) and all(isinstance(v, dict) for v in value),
        }[kind]
        if not ok:
            self.problem(
                f"{label} must be {TYPE_WORDS[kind]}, not {_type_name(value)}", *where, key
            )
            return _fallback(section, key, fallback)
        bounds = spec_key.range
        if bounds:
            low, high, words = bounds
            if (low is not None and value < low) or (high is not None and value > high):
                self.problem(f"{label} must be {words} (it is {value})", *where, key)
                return _fallback(section, key, fallback)
        if spec_key.choices and (value or not spec_key.required):
            self._choice(value, spec_key.choices, choice_label or label, *where, key)
        if kind == NUM:
            value = float(value)
        return value

    def _table(self, data: dict, key: str) -> dict:
        value = self._get(data, "", key, ())
        return value if isinstance(value, dict) else {}

    def _choice(self, value: str, allowed: tuple[str, ...], label: str, *path: Any) -> bool:
        if value not in allowed:
            hint = difflib.get_close_matches(value, allowed, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.problem(
                f"{label} must be one of {', '.join(allowed)}, not '{value}'{suggestion}", *path
            )
            return False
        return True

    def _regex(self, pattern: str, label: str, *path: Any) -> None:
        try:
            re.compile(pattern)
        except re.error as exc:
            self.problem(
                f"{label} is not a valid regular expression: {exc.msg} at position {exc.pos}", *path
            )

    def _template(self, source: str, label: str, variables: frozenset[str], *path: Any) -> None:
        from jinja2 import TemplateSyntaxError

        self._at = path
        from desktop_app.core.templates import compile_checked, environment

        key_line = line_of(self.lines, *path)
        try:
            undeclared = compile_checked(source)  # compiled once: kept for every render
        except TemplateSyntaxError as exc:  # (and an unknown filter or test, as it compiles)
            raw = self.raw_lines[key_line - 1] if key_line - 1 < len(self.raw_lines) else ""
            value = raw.split("=", 1)[1].strip() if "=" in raw else ""
            if not value.startswith(('"""', "'''")):
                line = key_line  # a one-line string: its \n escapes all stand on this line
            elif value in ('"""', "'''"):
                line = key_line + (exc.lineno or 1)  # the newline after the quotes is no text
            else:
                line = key_line + (exc.lineno or 1) - 1
            self.problem(f"{label} is not a valid template: {exc.message}", *path, line=line)
            return
        except _TOO_MUCH:
            raise  # one problem at this key's line (``load``)
        except Exception as exc:  # Python's own limits on the compiled code (20 nested loops)
            self.problem(f"{label} is not a valid template: {exc}", *path, line=key_line)
            return
        env_globals = set(environment().globals)
        unknown = sorted(undeclared - variables - env_globals)
        for name in unknown:
            hint = difflib.get_close_matches(name, sorted(variables), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            known = ", ".join(sorted(variables))
            self.problem(
                f"{label} uses an unknown variable '{name}'{suggestion}; known: {known}",
                *path,
                line=key_line,
            )
        if not unknown:
            self._sample_render(source, label, variables, *path, line=key_line)

    def _sample_render(
        self, source: str, label: str, variables: frozenset[str], *path: Any, line: int
    ) -> None:
        """Fill ``source`` in once on a made-up input: a template too greedy to finish
        (``{{ 'x' * 10**9 }}``), or one that fails whatever the input, is a problem now
        rather than at every run. Failing for a value the sample lacks (most CSV columns)
        is not; nor is the sandbox refusing (every run says so)."""
        from desktop_app.core.templates import FAILED, TOO_MUCH, TemplateRenderError, render

        sample = {
            "input": {"text": SAMPLE_TEXT, "name": "sample", "fields": {}},
            "workflow": self.path.parent.name,
            "criteria": ["A sample rule.", "Another sample rule."],
            "examples": "",
            "item": {"id": 1, "workflow": self.path.parent.name, "model": "sample-model"},
            "output": "A sample output.",
            "now": "2000-01-01 00:00",
            "today": "2000-01-01",
        }
        try:
            given = {k: v for k, v in sample.items() if k in variables}
            render(source, given, seconds=SAMPLE_RENDER_SECONDS)  # the editor checks as you type
        except TemplateRenderError as exc:
            if exc.kind in (TOO_MUCH, FAILED):
                self.problem(f"{label} fails on a sample input: {exc}", *path, line=line)

    def _duration(self, value: str, label: str, *path: Any) -> None:
        self._at = path
        try:
            parse_duration(value)
        except ValueError as exc:
            self.problem(f"{label}: {exc}", *path)

    # --- the spec ---

    def _build(self, data: dict, text: str, raw: bytes) -> Spec:
        self._unknown_keys(data, "", ())
        name = self._get(data, "", "name", ())
        folder = self.path.parent.name
        if not name:
            self.problem("name is required (the folder's name, a-z 0-9 and '-')", line=1)
        elif not NAME_RE.match(name):
            self.problem(f"name '{name}' may only use a-z, 0-9 and '-'", "name")
        elif name != folder:
            self.problem(f"name '{name}' must equal its folder's name '{folder}'", "name")
        purpose = self._get(data, "", "purpose", ()).strip()
        title = self._get(data, "", "title", ())

        model = self._model(self._table(data, "model"))
        input_spec = self._input(self._table(data, "input"))
        criteria_table = self._table(data, "criteria")
        self._unknown_keys(criteria_table, "criteria", ("criteria",))
        rules = tuple(
            r.strip()
            for r in self._get(criteria_table, "criteria", "rules", ("criteria",))
            if r.strip()
        )
        prompt = self._prompt(self._table(data, "prompt"))
        output, schema_bytes = self._output(self._table(data, "output"))
        failure_modes = self._failure_modes(self._get(data, "", "failure_modes", ()))
        # Optional tables: absent (or of the wrong type, which is reported) means none.
        schedule_t, review_t, budget_t = (
            self._get(data, "", key, (), fallback=None) for key in ("schedule", "review", "budget")
        )
        schedule = self._schedule(schedule_t) if isinstance(schedule_t, dict) else None
        review = self._review(review_t) if isinstance(review_t, dict) else None
        budget = self._budget(budget_t) if isinstance(budget_t, dict) else None
        action = self._action(self._table(data, "action"))

        present = {
            "purpose": purpose,
            "model.name": model.name,
            "input.description": input_spec.description,
            "criteria.rules": rules,
            "prompt.template": prompt.template.strip(),
            "output": output.check_count(),
            "failure_modes": failure_modes,
        }
        missing = []
        for key in INCOMPLETE_IF_MISSING:
            if not present[key.name]:
                missing.append(key.missing)
                self.problem(
                    f"incomplete: missing {key.missing}", *key.name.split("."), incomplete=True
                )

        version = hashlib.sha256(raw + (schema_bytes or b"")).hexdigest()
        return Spec(
            name=name or folder,
            path=self.path,
            title=title,
            purpose=purpose,
            model=model,
            input=input_spec,
            criteria=rules,
            prompt=prompt,
            output=output,
            failure_modes=failure_modes,
            schedule=schedule,
            review=review,
            budget=budget,
            action=action,
            version=version,
            text=text,
            missing=tuple(missing),
        )

    def _model(self, t: dict) -> ModelSpec:
        w = ("model",)
        self._unknown_keys(t, "model", w)
        g = lambda key: self._get(t, "model", key, w)  # noqa: E731
        api_base = g("api_base").strip()
        if api_base and not re.match(r"^https?://", api_base):
            self.problem(
                f"[model] api_base must start with http:// or https:// (it is '{api_base}')",
                *w,
                "api_base",
            )
        return ModelSpec(
            name=g("name").strip(),
            fallbacks=tuple(g("fallbacks")),
            api_base=api_base,
            temperature=g("temperature"),
            max_tokens=g("max_tokens"),
            timeout_s=g("timeout_s"),
            retries=g("retries"),
            input_cost_per_mtok=g("input_cost_per_mtok"),
            output_cost_per_mtok=g("output_cost_per_mtok"),
        )

    def _input(self, t: dict) -> InputSpec:
        w = ("input",)
        self._unknown_keys(t, "input", w)
        g = lambda key: self._get(t, "input", key, w)  # noqa: E731
        kind = g("kind")
        path = g("path")
        if kind in ("folder", "csv") and not path:
            self.problem(f'[input] kind = "{kind}" needs a path (relative to the data folder)', *w)
        account, since = g("account").strip(), g("since").strip()
        if kind == "mailbox" and not account:
            self.problem(
                '[input] kind = "mailbox" needs an account (signoff account add NAME …)', *w
            )
        if since and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
            self.problem(f"[input] since must be a date, YYYY-MM-DD (it is '{since}')", *w, "since")
        elif since:
            import datetime

            try:
                datetime.date.fromisoformat(since)
            except ValueError:
                self.problem(f"[input] since is not a day of the calendar: '{since}'", *w, "since")
        return InputSpec(
            kind=kind,
            description=g("description").strip(),
            path=path,
            glob=g("glob") or default("input.glob"),
            max_chars=g("max_chars"),
            account=account,
            folder=g("folder").strip() or default("input.folder"),
            since=since,
        )

    def _prompt(self, t: dict) -> PromptSpec:
        w = ("prompt",)
        self._unknown_keys(t, "prompt", w)
        system = self._get(t, "prompt", "system", w)
        template = self._get(t, "prompt", "template", w)
        for key, source in (("system", system), ("template", template)):
            if source:
                self._template(source, f"[prompt] {key}", PROMPT_VARIABLES, *w, key)
        return PromptSpec(system=system, template=template)

    def _output(self, t: dict) -> tuple[OutputSpec, bytes | None]:
        w = ("output",)
        self._unknown_keys(t, "output", w)
        g = lambda key: self._get(t, "output", key, w)  # noqa: E731
        fmt = g("format")
        schema = g("json_schema")
        schema_file = g("schema_file")
        schema_bytes = None
        if schema is not None and schema_file:
            self.problem("[output] give json_schema or schema_file, not both", *w, "schema_file")
        if schema_file:
            schema_path = self.path.parent / schema_file
            try:
                schema_bytes = schema_path.read_bytes()
                schema = json.loads(schema_bytes.decode("utf-8"))
            except OSError:
                self.problem(
                    f"[output] schema_file '{schema_file}' not found next to the spec",
                    *w,
                    "schema_file",
                )
            except ValueError as exc:
                self.problem(
                    f"[output] schema_file '{schema_file}' is not valid JSON: {exc}",
                    *w,
                    "schema_file",
                )
        if schema is not None:
            if fmt != "json":
                self.problem('[output] a JSON schema needs format = "json"', *w, "format")
            from jsonschema.exceptions import SchemaError
            from jsonschema.validators import validator_for

            try:
                validator_for(schema).check_schema(schema)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path)
                self.problem(
                    f"[output] the JSON schema is not valid: {exc.message}"
                    + (f" (at {where})" if where else ""),
                    *w,
                    "schema_file" if schema_file else "json_schema",
                )
        min_chars, max_chars = g("min_chars"), g("max_chars")
        if min_chars is not None and max_chars is not None and min_chars > max_chars:
            self.problem(
                f"[output] min_chars ({min_chars}) is more than max_chars ({max_chars})",
                *w,
                "min_chars",
            )
        pattern = g("pattern")
        if pattern:
            self._regex(pattern, "[output] pattern", *w, "pattern")
        return OutputSpec(
            format=fmt,
            json_schema=schema,
            schema_file=schema_file,
            min_chars=min_chars,
            max_chars=max_chars,
            must_contain=tuple(g("must_contain")),
            must_not_contain=tuple(g("must_not_contain")),
            pattern=pattern,
        ), schema_bytes

    def _failure_modes(self, tables: list) -> tuple[FailureMode, ...]:
        modes = []
        for index, t in enumerate(tables):
            w = ("failure_modes", index)
            self._unknown_keys(t, "failure_modes", w)
            g = lambda key, t=t, w=w: self._get(t, "failure_modes", key, w)  # noqa: E731
            name = g("name").strip()
            label = f"failure mode '{name}'" if name else f"failure mode {index + 1}"
            when = self._get(t, "failure_modes", "when", w, f"{label}: when")
            then = self._get(t, "failure_modes", "then", w, f"{label}: then", fallback=None)
            pattern, check = g("pattern"), g("check")
            whens, thens = choices("failure_modes.when"), choices("failure_modes.then")
            if not name:
                self.problem(f"{label} needs a name", *w)
            if not when:
                self.problem(f"{label} needs when = one of {', '.join(whens)}", *w)
            elif when in whens:  # (any other value was reported as it was read)
                if when in ("input_matches", "output_matches") and not pattern:
                    self.problem(f'{label}: when = "{when}" needs a pattern', *w)
                if then == "retry" and when not in (
                    "output_matches",
                    "check_failed",
                    "model_error",
                ):
                    self.problem(
                        f'{label}: then = "retry" only applies to output_matches, check_failed '
                        "and model_error",
                        *w,
                        "then",
                    )
            if not then:
                self.problem(f"{label} needs then = one of {', '.join(thens)}", *w)
            if pattern:
                self._regex(pattern, f"{label}: pattern", *w, "pattern")
            if check:
                if when != "check_failed":
                    self.problem(
                        f'{label}: check only applies to when = "check_failed"', *w, "check"
                    )
                else:
                    self._choice(check, CHECK_NAMES, f"{label}: check", *w, "check")
            modes.append(
                FailureMode(
                    name=name,
                    when=when,
                    then=then or default("failure_modes.then"),
                    pattern=pattern,
                    check=check,
                    line=line_of(self.lines, *w),
                )
            )
        return tuple(modes)

    def _schedule(self, t: dict) -> ScheduleSpec:
        w = ("schedule",)
        self._unknown_keys(t, "schedule", w)
        g = lambda key: self._get(t, "schedule", key, w)  # noqa: E731
        every, cron, catch_up = g("every"), g("cron"), g("catch_up")
        if every and cron:
            self.problem("[schedule] give every or cron, not both", *w, "cron")
        elif not every and not cron:
            self.problem('[schedule] needs every (e.g. "1h") or cron (e.g. "0 8 * * 1-5")', *w)
        if every:
            self._duration(every, "[schedule] every", *w, "every")
        if cron:
            from croniter import croniter

            if not croniter.is_valid(cron):
                self.problem(f"[schedule] cron '{cron}' is not a valid cron expression", *w, "cron")
        return ScheduleSpec(every=every, cron=cron, catch_up=catch_up)

    def _review(self, t: dict) -> ReviewSpec:
        w = ("review",)
        self._unknown_keys(t, "review", w)
        remind, expire = (
            self._get(t, "review", "remind_after", w),
            self._get(t, "review", "expire_after", w),
        )
        for key, value in (("remind_after", remind), ("expire_after", expire)):
            if value:
                self._duration(value, f"[review] {key}", *w, key)
        return ReviewSpec(remind_after=remind, expire_after=expire)

    def _budget(self, t: dict) -> BudgetSpec:
        w = ("budget",)
        self._unknown_keys(t, "budget", w)
        g = lambda key: self._get(t, "budget", key, w)  # noqa: E731
        return BudgetSpec(g("max_cost_per_run"), g("max_cost_per_day"), g("max_cost_per_month"))

    def _action(self, t: dict) -> ActionSpec:
        w = ("action",)
        if not t:
            return ActionSpec()
        self._unknown_keys(t, "action", w)
        g = lambda key: self._get(t, "action", key, w)  # noqa: E731
        kind = g("kind")
        path, url = g("path"), g("url")
        if kind in ("file", "csv", "email_draft") and not path:
            self.problem(f'[action] kind = "{kind}" needs a path', *w)
        if kind == "webhook" and not re.match(r"^https?://", url):
            self.problem(
                '[action] kind = "webhook" needs a url starting with http:// or https://', *w
            )
        if path:
            self._template(path, "[action] path", ACTION_VARIABLES, *w, "path")
        account = g("account").strip()
        if kind == "email" and not account:
            self.problem(
                '[action] kind = "email" needs an account (signoff account add NAME …)', *w
            )
        headers = {key: g(key) for key in ("to", "cc", "subject")}
        for key, source in headers.items():
            if source:
                self._template(source, f"[action] {key}", ACTION_VARIABLES, *w, key)
        options = {k: v for k, v in t.items() if k not in SECTIONS["action"]}
        return ActionSpec(
            kind=kind, path=path, url=url, account=account, options=options, **headers
        )
