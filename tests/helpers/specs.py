"""Write small workflow specs for tests."""

from __future__ import annotations

from pathlib import Path

BASE_SPEC = """\
name = "{name}"
title = "Test workflow"
purpose = "Draft a short reply to one message. Not responsible for anything else."

[model]
name = "openai/test-model"
api_base = "{api_base}"
temperature = 0.0
max_tokens = 200
timeout_s = {timeout_s}
retries = {retries}
input_cost_per_mtok = 1.0
output_cost_per_mtok = 2.0

[input]
kind = "{kind}"
description = "One short message."
max_chars = {max_chars}
{input_extra}

[criteria]
rules = ["Be polite.", "Never promise a refund."]

[prompt]
system = "You reply politely. Rules: {{{{ criteria | join('; ') }}}}"
template = "Message from {{{{ input.name }}}}:\\n{{{{ input.text }}}}"

[output]
format = "text"
min_chars = 5
max_chars = {out_max}
must_not_contain = ["refund"]

{failure_modes}
"""

DEFAULT_FAILURE_MODES = """\
[[failure_modes]]
name = "Mentions a lawyer"
when = "input_matches"
pattern = "(?i)lawyer"
then = "escalate"

[[failure_modes]]
name = "Model down"
when = "model_error"
then = "escalate"
"""


def write_spec(
    workflows_dir: Path,
    name: str = "reply",
    *,
    api_base: str = "",
    kind: str = "text",
    input_extra: str = "",
    max_chars: int = 2000,
    out_max: int = 300,
    retries: int = 1,
    timeout_s: float = 5,
    failure_modes: str = DEFAULT_FAILURE_MODES,
) -> Path:
    folder = workflows_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "workflow.toml"
    path.write_text(
        BASE_SPEC.format(
            name=name,
            api_base=api_base,
            kind=kind,
            input_extra=input_extra,
            max_chars=max_chars,
            out_max=out_max,
            retries=retries,
            timeout_s=timeout_s,
            failure_modes=failure_modes,
        ),
        encoding="utf-8",
    )
    return path


def folder_workflow(
    workflows_dir: Path,
    home: Path,
    count: int,
    *,
    api_base: str,
    timeout_s: float,
    failure_modes: str = DEFAULT_FAILURE_MODES,
) -> tuple[Path, Path]:
    """The workflow "inbox" reading the folder ``home``/dropbox, with ``count`` short
    messages in it (message-000.txt …), answered once (no retry). Returns (spec, folder)."""
    spec = write_spec(
        workflows_dir, "inbox", api_base=api_base, retries=0, timeout_s=timeout_s,
        kind="folder", input_extra='path = "dropbox"', failure_modes=failure_modes,
    )  # fmt: skip
    dropbox = home / "dropbox"
    dropbox.mkdir(parents=True)
    for n in range(count):
        (dropbox / f"message-{n:03d}.txt").write_text(f"Message {n}: lovely cake.")
    return spec, dropbox
