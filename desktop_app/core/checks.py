"""The output contract: every check a spec's ``[output]`` declares, with plain-words results."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from desktop_app.core.spec_model import OutputSpec
from desktop_app.core.visible import describe, hidden

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

CHECK_NAMES = (
    "complete",
    "visible",
    "json",
    "schema",
    "min_chars",
    "max_chars",
    "must_contain",
    "must_not_contain",
    "pattern",
)
_FENCE = re.compile(r"^```[A-Za-z0-9_-]*\s*\n(.*?)\n?```\s*$", re.S)


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    message: str


@lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def matches(pattern: str, text: str) -> bool:
    """Does ``pattern`` occur anywhere in ``text`` (failure-mode patterns)?"""
    return compiled(pattern).search(text) is not None


def normalise_output(output: OutputSpec, text: str) -> str:
    """Trim the answer; for JSON, also drop one surrounding Markdown code fence models like to add."""
    text = (text or "").strip()
    if output.format == "json":
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1).strip()
    return text


@lru_cache(maxsize=64)
def _validator(schema_text: str) -> Validator:
    from jsonschema.validators import validator_for

    schema = json.loads(schema_text)
    return validator_for(schema)(schema)


def _quote(words: list[str]) -> str:
    quoted = [f"'{w}'" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _schema_problem(error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def run_checks(
    output: OutputSpec, text: str, *, finish_reason: str | None = None
) -> list[CheckResult]:
    """Every declared check, in a fixed order. ``text`` should already be normalised."""
    return [
        _check_complete(finish_reason),
        _check_visible(text),
        *(_check_json(output, text) if output.format == "json" else ()),
        *_check_length(output, text),
        *_check_phrases(output, text),
        *_check_pattern(output, text),
    ]


def _check_complete(finish_reason: str | None) -> CheckResult:
    """A reply stopped by ``max_tokens`` may pass every other check and still be half."""
    cut = finish_reason == "length"
    return CheckResult(
        "complete",
        not cut,
        "The answer was cut off at the max_tokens limit." if cut else "The answer is complete.",
    )


def _check_visible(text: str) -> CheckResult:
    """Characters that change how the answer reads without showing (the first three named)."""
    unseen = hidden(text)
    return CheckResult(
        "visible",
        not unseen,
        "The answer holds characters that change how it reads without showing: "
        + ", ".join(f"{describe(c)} at character {i + 1}" for i, c in unseen[:3])
        + (f" and {len(unseen) - 3} more" if len(unseen) > 3 else "")
        + "."
        if unseen
        else "Every character of the answer shows.",
    )


def _check_json(output: OutputSpec, text: str) -> list[CheckResult]:
    """``json``, then ``schema`` when one is declared (only an answer that parses has a shape)."""
    try:
        parsed: Any = json.loads(text)
    except ValueError as exc:
        return [
            CheckResult("json", False, f"The answer is not valid JSON: {getattr(exc, 'msg', exc)}.")
        ]
    results = [CheckResult("json", True, "The answer is valid JSON.")]
    if output.json_schema is not None:
        results.append(_check_schema(output.json_schema, parsed))
    return results


def _check_schema(json_schema: dict[str, Any], parsed: Any) -> CheckResult:
    """The parsed answer against the spec's JSON Schema, reporting the most telling error."""
    validator = _validator(json.dumps(json_schema, sort_keys=True))
    errors = sorted(validator.iter_errors(parsed), key=lambda e: list(e.absolute_path))
    if not errors:
        return CheckResult("schema", True, "The answer has the required shape.")
    from jsonschema.exceptions import best_match

    return CheckResult(
        "schema",
        False,
        f"The answer does not have the required shape: {_schema_problem(best_match(errors))}.",
    )


def _check_length(output: OutputSpec, text: str) -> list[CheckResult]:
    """``min_chars`` and ``max_chars``, each only when declared."""
    results: list[CheckResult] = []
    length = len(text)
    if output.min_chars is not None:
        ok = length >= output.min_chars
        results.append(
            CheckResult(
                "min_chars",
                ok,
                f"The answer is {length:,} characters long; it must be at least "
                f"{output.min_chars:,}."
                if not ok
                else "The answer is long enough.",
            )
        )
    if output.max_chars is not None:
        ok = length <= output.max_chars
        results.append(
            CheckResult(
                "max_chars",
                ok,
                f"The answer is {length:,} characters long; the limit is {output.max_chars:,}."
                if not ok
                else "The answer is short enough.",
            )
        )
    return results


def _check_phrases(output: OutputSpec, text: str) -> list[CheckResult]:
    """``must_contain`` and ``must_not_contain``, each only when declared (case ignored)."""
    results: list[CheckResult] = []
    lowered = text.casefold()
    if output.must_contain:
        missing = [p for p in output.must_contain if p.casefold() not in lowered]
        results.append(
            CheckResult(
                "must_contain",
                not missing,
                f"The answer must contain {_quote(missing)} but does not."
                if missing
                else "The answer contains every required phrase.",
            )
        )
    if output.must_not_contain:
        found = [p for p in output.must_not_contain if p.casefold() in lowered]
        results.append(
            CheckResult(
                "must_not_contain",
                not found,
                f"The answer contains {_quote(found)}, which it must not."
                if found
                else "The answer contains no forbidden phrase.",
            )
        )
    return results


def _check_pattern(output: OutputSpec, text: str) -> list[CheckResult]:
    """``pattern``, when declared: the whole answer must match it, not just a part."""
    if not output.pattern:
        return []
    ok = compiled(output.pattern).fullmatch(text) is not None
    return [
        CheckResult(
            "pattern",
            ok,
            "The answer has the required form."
            if ok
            else "The answer does not have the required form (its pattern does not match).",
        )
    ]


def failed(results: list[CheckResult]) -> list[CheckResult]:
    return [r for r in results if not r.passed]
