"""Keep secrets out of everything Signoff writes or prints.

The key store registers every secret it hands out; ``redact`` replaces any
registered secret (and anything shaped like a provider key) before text reaches
the database, the log, an export or stderr.
"""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Shapes of provider keys, redacted even when not registered (e.g. echoed back in an error).
_KEY_SHAPES = re.compile(r"\b(sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}|AIza[0-9A-Za-z_\-]{30,})")

MASK = "[redacted]"


def register_secret(secret: str) -> None:
    """Remember ``secret`` so every later ``redact`` call removes it."""
    global _pattern
    secret = secret.strip()
    if len(secret) < 6:  # too short to redact safely without mangling ordinary text
        return
    with _lock:
        if secret in _secrets:
            return
        _secrets.add(secret)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in alternatives))


def redact(text: str) -> str:
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "sk-" in text or "AIza" in text:
        text = _KEY_SHAPES.sub(MASK, text)
    return text
