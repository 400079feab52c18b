"""A workflow's examples: decisions people made, kept to teach the model and to test it.

Each example is one JSON file in the workflow's ``examples/`` folder (``item-42.json``):
the input, the answer a person approved (after their edit) or the answer they rejected
with the reason, who decided and when. A person may edit or delete the files; one that
cannot be read is named in ``check`` and left out.

A prompt can include them as few-shot cases with ``{{ examples }}`` (``as_prompt_text``):
approved answers as answers to follow, rejected ones as answers to avoid, with why.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

FOLDER = "examples"
VERDICTS = ("approved", "rejected")


@dataclass(frozen=True)
class Example:
    input_name: str
    input: str
    output: str  # the approved text (after a person's edit), or the rejected answer
    verdict: str  # approved | rejected
    reason: str | None = None  # why it was rejected (a file written by hand may say nothing)
    decided_by: str | None = None
    decided_at: str | None = None
    item_id: int | None = None
    model_output: str | None = None  # what the model wrote before a person's edit

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class ExampleError(ValueError):
    """An example file that cannot be read: its path and why."""


def read(path: Path) -> Example:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExampleError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise ExampleError(f"{path}: expected a JSON object")
    missing = [k for k in ("input", "output", "verdict") if not isinstance(data.get(k), str)]
    if missing:
        raise ExampleError(f"{path}: needs {', '.join(missing)} (text)")
    if data["verdict"] not in VERDICTS:
        raise ExampleError(f"{path}: verdict must be approved or rejected")
    fields = {k: v for k, v in data.items() if k in Example.__dataclass_fields__}
    fields["input_name"] = str(data.get("input_name") or path.stem)
    return Example(**fields)


def load(workflow_folder: Path) -> list[Example]:
    """The readable examples, in file name order (a broken file is left out)."""
    return [example for _name, example in load_named(workflow_folder)]


def load_named(workflow_folder: Path) -> list[tuple[str, Example]]:
    """The readable examples with their file names, in file name order."""
    return list(_load(workflow_folder / FOLDER, _stamp(workflow_folder / FOLDER)))


def problems(workflow_folder: Path) -> list[str]:
    """One line for each example file that cannot be read."""
    found = []
    for path in _files(workflow_folder / FOLDER):
        try:
            read(path)
        except ExampleError as exc:
            found.append(str(exc))
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _stamp(folder: Path) -> tuple[int, ...]:
    """Changes when a file is added, removed or edited (prompts are rendered per input)."""
    try:
        return (folder.stat().st_mtime_ns, *(os.stat(p).st_mtime_ns for p in _files(folder)))
    except OSError:
        return ()


@lru_cache(maxsize=32)
def _load(folder: Path, _stamp: tuple[int, ...]) -> tuple[tuple[str, Example], ...]:
    examples = []
    for path in _files(folder):
        try:
            examples.append((path.name, read(path)))
        except ExampleError:
            continue
    return tuple(examples)


def as_prompt_text(examples: list[Example]) -> str:
    """The examples as few-shot cases for a prompt ("" when there are none)."""
    parts = []
    for number, example in enumerate(examples, start=1):
        if example.verdict == "approved":
            parts.append(
                f"Example {number}\nInput:\n{example.input}\nA good answer:\n{example.output}"
            )
        else:
            why = f" (rejected: {example.reason})" if example.reason else " (rejected)"
            parts.append(
                f"Example {number}\nInput:\n{example.input}\nAn answer to avoid{why}:\n"
                f"{example.output}"
            )
    return "\n\n".join(parts)
