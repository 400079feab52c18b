"""The typed model of a workflow spec (``workflow.toml``).

The loader (``core.spec_loader``) turns a file into these objects or into a
``SpecError`` listing every problem with its line. Field names follow the keys
of WORKFLOW-FORMAT.md one to one; their defaults and allowed values come from
``core.spec_keys``, so that they are written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.core.spec_keys import choices, default

INPUT_KINDS = choices("input.kind")
OUTPUT_FORMATS = choices("output.format")
FAILURE_WHENS = choices("failure_modes.when")
FAILURE_THENS = choices("failure_modes.then")
ACTION_KINDS = choices("action.kind")
CATCH_UPS = choices("schedule.catch_up")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    fallbacks: tuple[str, ...] = default("model.fallbacks")
    api_base: str = default("model.api_base")
    temperature: float = default("model.temperature")
    max_tokens: int = default("model.max_tokens")
    timeout_s: float = default("model.timeout_s")
    retries: int = default("model.retries")
    # USD per million tokens; wins over litellm's price
    input_cost_per_mtok: float | None = default("model.input_cost_per_mtok")
    output_cost_per_mtok: float | None = default("model.output_cost_per_mtok")


@dataclass(frozen=True)
class InputSpec:
    kind: str = default("input.kind")
    description: str = default("input.description")
    path: str = default("input.path")  # folder / csv source, relative to the data folder
    glob: str = default("input.glob")
    max_chars: int = default("input.max_chars")
    account: str = default("input.account")  # mailbox: the mail account's name
    folder: str = default("input.folder")  # mailbox: its folder
    since: str = default("input.since")  # mailbox: the first day read (ISO date)


@dataclass(frozen=True)
class PromptSpec:
    system: str = default("prompt.system")
    template: str = default("prompt.template")


@dataclass(frozen=True)
class OutputSpec:
    format: str = default("output.format")
    # inline, or loaded from schema_file
    json_schema: dict[str, Any] | None = field(default=default("output.json_schema"))
    schema_file: str = default("output.schema_file")
    min_chars: int | None = default("output.min_chars")
    max_chars: int | None = default("output.max_chars")
    must_contain: tuple[str, ...] = default("output.must_contain")
    must_not_contain: tuple[str, ...] = default("output.must_not_contain")
    pattern: str = default("output.pattern")

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
    then: str = default("failure_modes.then")
    pattern: str = default("failure_modes.pattern")  # for input_matches / output_matches
    # for check_failed: only this check (e.g. "max_chars"); empty = any
    check: str = default("failure_modes.check")
    line: int = 0  # where it is declared, for messages


@dataclass(frozen=True)
class ScheduleSpec:
    every: str = default("schedule.every")
    cron: str = default("schedule.cron")
    catch_up: str = default("schedule.catch_up")


@dataclass(frozen=True)
class ReviewSpec:
    remind_after: str = default("review.remind_after")
    expire_after: str = default("review.expire_after")


@dataclass(frozen=True)
class BudgetSpec:
    max_cost_per_run: float | None = default("budget.max_cost_per_run")
    max_cost_per_day: float | None = default("budget.max_cost_per_day")
    max_cost_per_month: float | None = default("budget.max_cost_per_month")


@dataclass(frozen=True)
class ActionSpec:
    kind: str = default("action.kind")
    path: str = default("action.path")
    url: str = default("action.url")
    account: str = default("action.account")  # email: the mail account
    to: str = default("action.to")  # email: templates; to "" is the input's sender
    cc: str = default("action.cc")
    subject: str = default("action.subject")
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
    schedule: ScheduleSpec | None = field(default=default("schedule"))
    review: ReviewSpec | None = field(default=default("review"))
    budget: BudgetSpec | None = field(default=default("budget"))
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
