"""Load ``workflow.toml`` into a typed ``Spec``, or report every problem as ``file:line: message``.

Two kinds of problem: *invalid* (a value that cannot be used: a wrong type, a
bad regex, a broken template, an unknown key) prevents loading; *incomplete*
(a required part of the written definition is missing) loads, but the
workflow cannot run or be enabled, and ``Spec.missing`` says what is missing.
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
from desktop_app.core.spec_model import (
    ACTION_KINDS,
    CATCH_UPS,
    FAILURE_THENS,
    FAILURE_WHENS,
    INPUT_KINDS,
    OUTPUT_FORMATS,
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

# Each key: (type, extra rule). Types: str, int, num, bool, strlist, table.
TEXT, INT, NUM, STRLIST, TABLE = "text", "int", "num", "strlist", "table"
SECTIONS: dict[str, dict[str, str]] = {
    "": {
        "name": TEXT,
        "title": TEXT,
        "purpose": TEXT,
        "model": TABLE,
        "input": TABLE,
        "criteria": TABLE,
        "prompt": TABLE,
        "output": TABLE,
        "failure_modes": "tables",
        "schedule": TABLE,
        "review": TABLE,
        "budget": TABLE,
        "action": TABLE,
    },
    "model": {
        "name": TEXT,
        "fallbacks": STRLIST,
        "api_base": TEXT,
        "temperature": NUM,
        "max_tokens": INT,
        "timeout_s": NUM,
        "retries": INT,
        "input_cost_per_mtok": NUM,
        "output_cost_per_mtok": NUM,
    },
    "input": {"kind": TEXT, "description": TEXT, "path": TEXT, "glob": TEXT, "max_chars": INT},
    "criteria": {"rules": STRLIST},
    "prompt": {"system": TEXT, "template": TEXT},
    "output": {
        "format": TEXT,
        "json_schema": TABLE,
        "schema_file": TEXT,
        "min_chars": INT,
        "max_chars": INT,
        "must_contain": STRLIST,
        "must_not_contain": STRLIST,
        "pattern": TEXT,
    },
    "failure_modes": {"name": TEXT, "when": TEXT, "pattern": TEXT, "then": TEXT, "check": TEXT},
    "schedule": {"every": TEXT, "cron": TEXT, "catch_up": TEXT},
    "review": {"remind_after": TEXT, "expire_after": TEXT},
    "budget": {"max_cost_per_run": NUM, "max_cost_per_day": NUM, "max_cost_per_month": NUM},
    "action": {
        "kind": TEXT,
        "path": TEXT,
        "url": TEXT,
    },  # other keys are options of the action kind
}
RANGES: dict[tuple[str, str], tuple[float | None, float | None, str]] = {
    ("model", "temperature"): (0, 2, "between 0 and 2"),
    ("model", "max_tokens"): (1, None, "at least 1"),
    ("model", "timeout_s"): (0.001, None, "more than 0"),
    ("model", "retries"): (0, 10, "between 0 and 10"),
    ("model", "input_cost_per_mtok"): (0, None, "0 or more"),
    ("model", "output_cost_per_mtok"): (0, None, "0 or more"),
    ("input", "max_chars"): (1, None, "at least 1"),
    ("output", "min_chars"): (0, None, "0 or more"),
    ("output", "max_chars"): (1, None, "at least 1"),
    ("budget", "max_cost_per_run"): (0, None, "0 or more"),
    ("budget", "max_cost_per_day"): (0, None, "0 or more"),
    ("budget", "max_cost_per_month"): (0, None, "0 or more"),
}
TYPE_WORDS = {
    TEXT: "text",
    INT: "a whole number",
    NUM: "a number",
    STRLIST: "a list of texts",
    TABLE: "a table",
    "tables": "a list of tables ([[failure_modes]])",
}


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


class _Loader:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[SpecProblem] = []
        self.lines: dict = {}
        self.raw_lines: list[str] = []

    # --- reporting ---

    def problem(
        self, message: str, *path: Any, incomplete: bool = False, line: int | None = None
    ) -> None:
        self.problems.append(
            SpecProblem(self.path, line or line_of(self.lines, *path), message, incomplete)
        )

    # --- entry ---

    def load(self) -> tuple[Spec | None, list[SpecProblem]]:
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
        self.lines = index_lines(text)
        spec = self._build(data, text, raw)
        invalid = [p for p in self.problems if not p.incomplete]
        return (None if invalid else spec), sorted(self.problems, key=lambda p: p.line)

    # --- typed access ---

    def _unknown_keys(self, table: dict, section: str, where: tuple) -> None:
        allowed = SECTIONS[section]
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, list(allowed), n=1)
                label = f"[{section}] " if section else ""
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problem(f"unknown key {label}'{key}'{suggestion}", *where, key)

    def _get(self, table: dict, section: str, key: str, where: tuple, default: Any = None) -> Any:
        if key not in table:
            return default
        value = table[key]
        kind = SECTIONS[section][key]
        label = f"[{section}] {key}" if section else key
        ok = {
            TEXT: isinstance(value, str),
            INT: isinstance(value, int) and not isinstance(value, bool),
            NUM: isinstance(value, (int, float)) and not isinstance(value, bool),
            STRLIST: isinstance(value, list) and all(isinstance(v, str) for v in value),
            TABLE: isinstance(value, dict),
            "tables": isinstance(value, list) and all(isinstance(v, dict) for v in value),
        }[kind]
        if not ok:
            self.problem(
                f"{label} must be {TYPE_WORDS[kind]}, not {_type_name(value)}", *where, key
            )
            return default
        bounds = RANGES.get((section, key))
        if bounds:
            low, high, words = bounds
            if (low is not None and value < low) or (high is not None and value > high):
                self.problem(f"{label} must be {words} (it is {value})", *where, key)
                return default
        if kind == NUM:
            value = float(value)
        return value

    def _table(self, data: dict, key: str) -> dict:
        value = self._get(data, "", key, (), default={})
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
        from jinja2 import TemplateSyntaxError, meta

        from desktop_app.core.templates import environment

        key_line = line_of(self.lines, *path)
        try:
            ast = environment().parse(source)
        except TemplateSyntaxError as exc:
            raw = self.raw_lines[key_line - 1] if key_line - 1 < len(self.raw_lines) else ""
            opens_block = raw.rstrip().endswith(('"""', "'''"))
            line = key_line + (exc.lineno or 1) - (0 if opens_block else 1)
            self.problem(f"{label} is not a valid template: {exc.message}", line=line)
            return
        env_globals = set(environment().globals)
        for name in sorted(meta.find_undeclared_variables(ast) - variables - env_globals):
            hint = difflib.get_close_matches(name, sorted(variables), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            known = ", ".join(sorted(variables))
            self.problem(
                f"{label} uses an unknown variable '{name}'{suggestion}; known: {known}",
                line=key_line,
            )

    def _duration(self, value: str, label: str, *path: Any) -> None:
        try:
            parse_duration(value)
        except ValueError as exc:
            self.problem(f"{label}: {exc}", *path)

    # --- the spec ---

    def _build(self, data: dict, text: str, raw: bytes) -> Spec:
        self._unknown_keys(data, "", ())
        name = self._get(data, "", "name", (), default="")
        folder = self.path.parent.name
        if not name:
            self.problem("name is required (the folder's name, a-z 0-9 and '-')", line=1)
        elif not NAME_RE.match(name):
            self.problem(f"name '{name}' may only use a-z, 0-9 and '-'", "name")
        elif name != folder:
            self.problem(f"name '{name}' must equal its folder's name '{folder}'", "name")
        purpose = self._get(data, "", "purpose", (), default="").strip()
        title = self._get(data, "", "title", (), default="")

        model = self._model(self._table(data, "model"))
        input_spec = self._input(self._table(data, "input"))
        criteria_table = self._table(data, "criteria")
        self._unknown_keys(criteria_table, "criteria", ("criteria",))
        rules = tuple(
            r.strip()
            for r in self._get(criteria_table, "criteria", "rules", ("criteria",), [])
            if r.strip()
        )
        prompt = self._prompt(self._table(data, "prompt"))
        output, schema_bytes = self._output(self._table(data, "output"))
        failure_modes = self._failure_modes(self._get(data, "", "failure_modes", (), default=[]))
        schedule = (
            self._schedule(data["schedule"]) if isinstance(data.get("schedule"), dict) else None
        )
        review = self._review(data["review"]) if isinstance(data.get("review"), dict) else None
        budget = self._budget(data["budget"]) if isinstance(data.get("budget"), dict) else None
        action = self._action(self._table(data, "action"))

        missing = []
        checks = [
            (
                purpose,
                "a purpose (what the workflow does and is not responsible for)",
                ("purpose",),
            ),
            (model.name, "a model ([model] name)", ("model", "name")),
            (
                input_spec.description,
                "a description of the exact inputs ([input] description)",
                ("input", "description"),
            ),
            (rules, "decision criteria (at least one [criteria] rule)", ("criteria", "rules")),
            (prompt.template.strip(), "a prompt ([prompt] template)", ("prompt", "template")),
            (
                output.check_count(),
                "an output contract with at least one check ([output])",
                ("output",),
            ),
            (
                failure_modes,
                "at least one failure mode ([[failure_modes]] with when and then)",
                ("failure_modes",),
            ),
        ]
        for present, words, where in checks:
            if not present:
                missing.append(words)
                self.problem(f"incomplete: missing {words}", *where, incomplete=True)

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
        g = lambda key, default: self._get(t, "model", key, w, default)  # noqa: E731
        api_base = g("api_base", "").strip()
        if api_base and not re.match(r"^https?://", api_base):
            self.problem(
                f"[model] api_base must start with http:// or https:// (it is '{api_base}')",
                *w,
                "api_base",
            )
        return ModelSpec(
            name=g("name", "").strip(),
            fallbacks=tuple(g("fallbacks", [])),
            api_base=api_base,
            temperature=g("temperature", 0.2),
            max_tokens=g("max_tokens", 400),
            timeout_s=g("timeout_s", 60.0),
            retries=g("retries", 2),
            input_cost_per_mtok=g("input_cost_per_mtok", None),
            output_cost_per_mtok=g("output_cost_per_mtok", None),
        )

    def _input(self, t: dict) -> InputSpec:
        w = ("input",)
        self._unknown_keys(t, "input", w)
        g = lambda key, default: self._get(t, "input", key, w, default)  # noqa: E731
        kind = g("kind", "text")
        self._choice(kind, INPUT_KINDS, "[input] kind", *w, "kind")
        path = g("path", "")
        if kind in ("folder", "csv") and not path:
            self.problem(f'[input] kind = "{kind}" needs a path (relative to the data folder)', *w)
        return InputSpec(
            kind=kind,
            description=g("description", "").strip(),
            path=path,
            glob=g("glob", "*") or "*",
            max_chars=g("max_chars", 20000),
        )

    def _prompt(self, t: dict) -> PromptSpec:
        w = ("prompt",)
        self._unknown_keys(t, "prompt", w)
        system = self._get(t, "prompt", "system", w, "")
        template = self._get(t, "prompt", "template", w, "")
        for key, source in (("system", system), ("template", template)):
            if source:
                self._template(source, f"[prompt] {key}", PROMPT_VARIABLES, *w, key)
        return PromptSpec(system=system, template=template)

    def _output(self, t: dict) -> tuple[OutputSpec, bytes | None]:
        w = ("output",)
        self._unknown_keys(t, "output", w)
        g = lambda key, default: self._get(t, "output", key, w, default)  # noqa: E731
        fmt = g("format", "text")
        self._choice(fmt, OUTPUT_FORMATS, "[output] format", *w, "format")
        schema = g("json_schema", None)
        schema_file = g("schema_file", "")
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
        min_chars, max_chars = g("min_chars", None), g("max_chars", None)
        if min_chars is not None and max_chars is not None and min_chars > max_chars:
            self.problem(
                f"[output] min_chars ({min_chars}) is more than max_chars ({max_chars})",
                *w,
                "min_chars",
            )
        pattern = g("pattern", "")
        if pattern:
            self._regex(pattern, "[output] pattern", *w, "pattern")
        return OutputSpec(
            format=fmt,
            json_schema=schema,
            schema_file=schema_file,
            min_chars=min_chars,
            max_chars=max_chars,
            must_contain=tuple(g("must_contain", [])),
            must_not_contain=tuple(g("must_not_contain", [])),
            pattern=pattern,
        ), schema_bytes

    def _failure_modes(self, tables: list) -> tuple[FailureMode, ...]:
        modes = []
        for index, t in enumerate(tables):
            w = ("failure_modes", index)
            self._unknown_keys(t, "failure_modes", w)
            g = lambda key, default, t=t, w=w: self._get(t, "failure_modes", key, w, default)  # noqa: E731
            name, when, then = g("name", "").strip(), g("when", ""), g("then", "")
            pattern, check = g("pattern", ""), g("check", "")
            label = f"failure mode '{name}'" if name else f"failure mode {index + 1}"
            if not name:
                self.problem(f"{label} needs a name", *w)
            if not when:
                self.problem(f"{label} needs when = one of {', '.join(FAILURE_WHENS)}", *w)
            elif self._choice(when, FAILURE_WHENS, f"{label}: when", *w, "when"):
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
                self.problem(f"{label} needs then = one of {', '.join(FAILURE_THENS)}", *w)
            else:
                self._choice(then, FAILURE_THENS, f"{label}: then", *w, "then")
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
                    then=then or "escalate",
                    pattern=pattern,
                    check=check,
                    line=line_of(self.lines, *w),
                )
            )
        return tuple(modes)

    def _schedule(self, t: dict) -> ScheduleSpec:
        w = ("schedule",)
        self._unknown_keys(t, "schedule", w)
        g = lambda key, default: self._get(t, "schedule", key, w, default)  # noqa: E731
        every, cron, catch_up = g("every", ""), g("cron", ""), g("catch_up", "latest")
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
        self._choice(catch_up, CATCH_UPS, "[schedule] catch_up", *w, "catch_up")
        return ScheduleSpec(every=every, cron=cron, catch_up=catch_up)

    def _review(self, t: dict) -> ReviewSpec:
        w = ("review",)
        self._unknown_keys(t, "review", w)
        remind, expire = (
            self._get(t, "review", "remind_after", w, ""),
            self._get(t, "review", "expire_after", w, ""),
        )
        for key, value in (("remind_after", remind), ("expire_after", expire)):
            if value:
                self._duration(value, f"[review] {key}", *w, key)
        return ReviewSpec(remind_after=remind, expire_after=expire)

    def _budget(self, t: dict) -> BudgetSpec:
        w = ("budget",)
        self._unknown_keys(t, "budget", w)
        g = lambda key: self._get(t, "budget", key, w, None)  # noqa: E731
        return BudgetSpec(g("max_cost_per_run"), g("max_cost_per_day"), g("max_cost_per_month"))

    def _action(self, t: dict) -> ActionSpec:
        w = ("action",)
        if not t:
            return ActionSpec()
        g = lambda key, default: self._get(t, "action", key, w, default)  # noqa: E731
        kind = g("kind", "none")
        self._choice(kind, ACTION_KINDS, "[action] kind", *w, "kind")
        path, url = g("path", ""), g("url", "")
        if kind in ("file", "csv", "email_draft") and not path:
            self.problem(f'[action] kind = "{kind}" needs a path', *w)
        if kind == "webhook" and not re.match(r"^https?://", url):
            self.problem(
                '[action] kind = "webhook" needs a url starting with http:// or https://', *w
            )
        if path:
            self._template(path, "[action] path", ACTION_VARIABLES, *w, "path")
        options = {k: v for k, v in t.items() if k not in SECTIONS["action"]}
        return ActionSpec(kind=kind, path=path, url=url, options=options)
