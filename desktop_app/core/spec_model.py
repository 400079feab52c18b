"""The typed model of a workflow spec (``workflow.toml``).

The loader (``core.spec_loader``) turns a file into these objects or into a
``SpecError`` listing every problem with its line. Field names follow the keys
of WORKFLOW-FORMAT.md one to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INPUT_KINDS = ("text", "folder", "csv")
OUTPUT_FORMATS = ("text", "json")
FAILURE_WHENS = (
    "input_matches",
    "output_matches",
    "check_failed",
    "model_error",
    "input_invalid",
    "over_budget",
)
FAILURE_THENS = ("escalate", "skip", "retry")
ACTION_KINDS = ("none", "file", "csv", "email_draft", "webhook", "clipboard")
CATCH_UPS = ("latest", "all", "none")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    fallbacks: tuple[str, ...] = ()
    api_base: str = ""
    temperature: float = 0.2
    max_tokens: int = 400
    timeout_s: float = 60.0
    retries: int = 2
    input_cost_per_mtok: float | None = None  # USD per million tokens; wins over litellm's price
    output_cost_per_mtok: float | None = None


@dataclass(frozen=True)
class InputSpec:
    kind: str = "text"
    description: str = ""
    path: str = ""  # folder / csv source, relative to the data folder
    glob: str = "*"
    max_chars: int = 20000


@dataclass(frozen=True)
class PromptSpec:
    system: str = ""
    template: str = ""


@dataclass(frozen=True)
class OutputSpec:
    format: str = "text"
    json_schema: dict[str, Any] | None = None  # inline, or loaded from schema_file
    schema_file: str = ""
    min_chars: int | None = None
    max_chars: int | None = None
    must_contain: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    pattern: str = ""

    def check_count(self) -> int:
        """How many checks this contract declares (a contract needs at least one)."""
        return sum(
            (
                self.format == "json",
                self.json_schema is not None,
                self.min_chars is not None,
                self.max_chars is not None,
                bool(self.must_contain),
                bool(self.must_not_contain),
                bool(self.pattern),
            )
        )


@dataclass(frozen=True)
class FailureMode:
    name: str
    when: str
    then: str = "escalate"
    pattern: str = ""  # for input_matches / output_matches
    check: str = ""  # for check_failed: only this check (e.g. "max_chars"); empty = any
    line: int = 0  # where it is declared, for messages


@dataclass(frozen=True)
class ScheduleSpec:
    every: str = ""
    cron: str = ""
    catch_up: str = "latest"


@dataclass(frozen=True)
class ReviewSpec:
    remind_after: str = ""
    expire_after: str = ""


@dataclass(frozen=True)
class BudgetSpec:
    max_cost_per_run: float | None = None
    max_cost_per_day: float | None = None
    max_cost_per_month: float | None = None


@dataclass(frozen=True)
class ActionSpec:
    kind: str = "none"
    path: str = ""
    url: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # any other keys, kept for the action


@dataclass(frozen=True)
class Spec:
    """A loaded, valid workflow spec. ``missing`` lists the parts that make it incomplete."""

    name: str
    path: Path  # the workflow.toml file
    title: str
    purpose: str
    model: ModelSpec
    input: InputSpec
    criteria: tuple[str, ...]
    prompt: PromptSpec
    output: OutputSpec
    failure_modes: tuple[FailureMode, ...]
    schedule: ScheduleSpec | None = None
    review: ReviewSpec | None = None
    budget: BudgetSpec | None = None
    action: ActionSpec = field(default_factory=ActionSpec)
    version: str = ""  # sha256 of the spec file (and its schema file), hex
    text: str = ""  # the spec file's text, for diffs in spec.changed
    missing: tuple[str, ...] = ()  # human-readable missing parts; empty = complete

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def samples_dir(self) -> Path:
        return self.path.parent / "samples"

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def display_name(self) -> str:
        return self.title or self.name

    def modes(self, when: str) -> tuple[FailureMode, ...]:
        return tuple(m for m in self.failure_modes if m.when == when)
