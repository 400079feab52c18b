"""What the command line prints: standard output for answers, one line on standard error
for problems (secrets redacted, hidden characters shown), and the small formats every
command shares.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from desktop_app.core.money import usd_or_unknown
from desktop_app.core.visible import reveal


def err(message: str) -> None:
    from desktop_app.core.redact import redact  # only when there is something to say

    print(reveal(redact(message)), file=sys.stderr)  # no raw control bytes reach the terminal


def out(text: str = "", stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stdout)


def cut(text: str, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def stream_json_array(objects: Iterable[dict[str, Any]], stream: TextIO) -> None:
    count = 0
    stream.write("[")
    for obj in objects:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(obj, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")


def money(value: float | None, known: bool = True) -> str:
    return usd_or_unknown(value if known else None)
