"""Every key of ``workflow.toml``, declared once.

The loader validates against this table and takes its defaults from it, the
model's dataclasses take their defaults from it, and a test holds
docs/workflow-format.md to it: adding a key is one edit here (plus its use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

# Value types, and how a message names each.
TEXT, INT, NUM, STRLIST, TABLE, TABLES = "text", "int", "num", "strlist", "table", "tables"
TYPE_WORDS = {
    TEXT: "text",
    INT: "a whole number",
    NUM: "a number",
    STRLIST: "a list of texts",
    TABLE: "a table",
    TABLES: "a list of tables ([[failure_modes]])",
}


class Range(NamedTuple):
    """Inclusive bounds (None: open) and how a message words them."""

    low: float | None
    high: float | None
    words: str


def _between(low: int, high: int) -> Range:
    return Range(low, high, f"between {low} and {high}")


AT_LEAST_1 = Range(1, None, "at least 1")
NOT_NEGATIVE = Range(0, None, "0 or more")
POSITIVE = Range(0.001, None, "more than 0")  # from a millisecond, as the loader always checked


@dataclass(frozen=True)
class SpecKey:
    """One key: ``name`` is dotted (``model.temperature``); a top-level table is a key too."""

    name: str
    type: str
    default: Any  # the value when the key is absent (or invalid); None: not set
    description: str
    choices: tuple[str, ...] = ()
    range: Range | None = None
    required: bool = False  # the spec is not complete (or not valid) without it
    missing: str = ""  # how "incomplete: missing ..." names it, when its absence is incompleteness
    options: bool = False  # a table that keeps any other keys as options

    @property
    def section(self) -> str:
        """The table the key is in ("" for the top level)."""
        return self.name.rpartition(".")[0]

    @property
    def leaf(self) -> str:
        return self.name.rpartition(".")[2]


K = SpecKey
KEYS: tuple[SpecKey, ...] = (
    K("name", TEXT, "", "the workflow's id: a-z 0-9 -, equal to its folder's name", required=True),
    K("title", TEXT, "", "the name shown in the app"),
    K(
        "purpose",
        TEXT,
        "",
        "what the workflow does and is not responsible for",
        required=True,
        missing="a purpose (what the workflow does and is not responsible for)",
    ),
    K("model", TABLE, None, "the model that drafts each answer"),
    K(
        "model.name",
        TEXT,
        "",
        "a litellm model string",
        required=True,
        missing="a model ([model] name)",
    ),
    K("model.fallbacks", STRLIST, (), "models tried in order after the main one fails"),
    K("model.api_base", TEXT, "", "an OpenAI-compatible server (http:// or https://)"),
    K("model.temperature", NUM, 0.2, "sampling temperature", range=_between(0, 2)),
    K("model.max_tokens", INT, 400, "the longest answer, in tokens", range=AT_LEAST_1),
    K("model.timeout_s", NUM, 60.0, "seconds per attempt", range=POSITIVE),
    K("model.retries", INT, 2, "retries per model on transient errors", range=_between(0, 10)),
    K("model.input_cost_per_mtok", NUM, None, "USD per million input tokens", range=NOT_NEGATIVE),
    K("model.output_cost_per_mtok", NUM, None, "USD per million output tokens", range=NOT_NEGATIVE),
    K("input", TABLE, None, "what one input is"),
    K(
        "input.kind",
        TEXT,
        "text",
        "where inputs come from",
        choices=("text", "folder", "csv", "mailbox"),
    ),
    K(
        "input.description",
        TEXT,
        "",
        "the exact inputs, in words",
        required=True,
        missing="a description of the exact inputs ([input] description)",
    ),
    K("input.path", TEXT, "", "the folder or CSV file, relative to the data folder"),
    K("input.glob", TEXT, "*", "which files of an input folder are read"),
    K("input.max_chars", INT, 20000, "the longest input, in characters", range=AT_LEAST_1),
    K("input.account", TEXT, "", "a mailbox input's mail account (signoff account add)"),
    K("input.folder", TEXT, "INBOX", "the mailbox folder a mailbox input reads"),
    K("input.since", TEXT, "", "a mailbox input's first day (YYYY-MM-DD; default: its first read)"),
    K("criteria", TABLE, None, "the decision criteria"),
    K(
        "criteria.rules",
        STRLIST,
        (),
        "the rules an answer must follow",
        required=True,
        missing="decision criteria (at least one [criteria] rule)",
    ),
    K("prompt", TABLE, None, "the prompt templates"),
    K("prompt.system", TEXT, "", "the system message, a Jinja2 template"),
    K(
        "prompt.template",
        TEXT,
        "",
        "the user message, a Jinja2 template",
        required=True,
        missing="a prompt ([prompt] template)",
    ),
    K(
        "output",
        TABLE,
        None,
        "the output contract: the checks every answer must pass",
        required=True,
        missing="an output contract with at least one check ([output])",
    ),
    K("output.format", TEXT, "text", "the answer's format", choices=("text", "json")),
    K("output.json_schema", TABLE, None, "an inline JSON schema for a JSON answer"),
    K("output.schema_file", TEXT, "", "a JSON schema file next to the spec"),
    K("output.min_chars", INT, None, "the shortest answer, in characters", range=NOT_NEGATIVE),
    K("output.max_chars", INT, None, "the longest answer, in characters", range=AT_LEAST_1),
    K("output.must_contain", STRLIST, (), "phrases every answer contains"),
    K("output.must_not_contain", STRLIST, (), "phrases no answer contains"),
    K("output.pattern", TEXT, "", "a regular expression the whole answer matches"),
    K(
        "failure_modes",
        TABLES,
        (),
        "rules for inputs and answers that need a person, a skip or a retry",
        required=True,
        missing="at least one failure mode ([[failure_modes]] with when and then)",
    ),
    K("failure_modes.name", TEXT, "", "the rule's name", required=True),
    K(
        "failure_modes.when",
        TEXT,
        "",
        "when the rule fires",
        choices=(
            "input_matches",
            "output_matches",
            "check_failed",
            "model_error",
            "input_invalid",
            "over_budget",
        ),
        required=True,
    ),
    K(
        "failure_modes.then",
        TEXT,
        "escalate",
        "what happens then (required in a spec; the default is for rules built in code)",
        choices=("escalate", "skip", "retry"),
        required=True,
    ),
    K("failure_modes.pattern", TEXT, "", "the regular expression of input_/output_matches"),
    K("failure_modes.check", TEXT, "", "for check_failed: only this check"),
    K("schedule", TABLE, None, "when an enabled folder/csv workflow runs by itself"),
    K("schedule.every", TEXT, "", "a duration between runs"),
    K("schedule.cron", TEXT, "", "a five-field cron expression, in local time"),
    K(
        "schedule.catch_up",
        TEXT,
        "latest",
        "what to do about missed slots",
        choices=("latest", "all", "none"),
    ),
    K("review", TABLE, None, "how long a draft waits for a person"),
    K("review.remind_after", TEXT, "", "a duration until one reminder"),
    K("review.expire_after", TEXT, "", "a duration until the draft expires"),
    K("budget", TABLE, None, "spending caps, in USD"),
    K("budget.max_cost_per_run", NUM, None, "the cap per run", range=NOT_NEGATIVE),
    K("budget.max_cost_per_day", NUM, None, "the cap per day", range=NOT_NEGATIVE),
    K("budget.max_cost_per_month", NUM, None, "the cap per month", range=NOT_NEGATIVE),
    K(
        "action",
        TABLE,
        None,
        "what an approved item does; other keys are its options",
        options=True,
    ),
    K(
        "action.kind",
        TEXT,
        "none",
        "the action",
        choices=("none", "file", "csv", "email_draft", "webhook", "clipboard", "email"),
    ),
    K("action.path", TEXT, "", "the file an action writes, a Jinja2 template"),
    K("action.url", TEXT, "", "the URL a webhook posts to"),
    K("action.account", TEXT, "", "the mail account an e-mail action sends with"),
    K("action.to", TEXT, "", "an e-mail's To, a Jinja2 template (default: the input's sender)"),
    K("action.cc", TEXT, "", "an e-mail's Cc, a Jinja2 template"),
    K("action.subject", TEXT, "", "an e-mail's subject, a Jinja2 template (default: Re: …)"),
)
BY_NAME: dict[str, SpecKey] = {k.name: k for k in KEYS}


def default(name: str) -> Any:
    """The default of the dotted key ``name``."""
    return BY_NAME[name].default


def choices(name: str) -> tuple[str, ...]:
    """The allowed values of the dotted key ``name``."""
    return BY_NAME[name].choices


# The keys of each table ("" is the top level), by their name in it.
SECTIONS: dict[str, dict[str, SpecKey]] = {
    section: {k.leaf: k for k in KEYS if k.section == section}
    for section in dict.fromkeys(k.section for k in KEYS)
}
