"""One input to a workflow: a text, an e-mail, or one CSV row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def content_hash(text: str) -> str:
    import hashlib  # only when inputs are read: a few ms off the window's start

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class InputDoc:
    """What a prompt template sees as ``input``: ``input.text``, ``input.name``, ``input.fields``.

    ``key`` identifies the input within its source (a file path, ``path#row``),
    so the same input is recognised again across runs and restarts.
    """

    key: str
    name: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    # Why the input could not be read (binary, a broken row, an e-mail that does not
    # parse): it makes an escalated item (or a skip, by the spec's input_invalid), never a
    # model call. "" for a readable input.
    problem: str = ""
    # Read, but with a caveat the person should see (an unknown charset): the item is
    # escalated with it after the answer.
    note: str = ""
    # What makes it the same input again, when not its text: an e-mail's Message-ID (the
    # same message in a folder renumbered by its server is not taken twice).
    identity: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(self.identity or self.text)
