"""What you approve must be what you see: characters that change how text reads without
showing themselves, made visible.

A right-to-left override (U+202E) shows "override here" as "ereh edirrevo"; a zero-width
space hides inside a word; an escape sequence retitles or clears a terminal; a NUL cuts a
line. Wherever text from a model, an input or a person is shown — the window, the command
line, the exports and the report — such a character is shown as a marked code point,
``⟨U+202E⟩``, and the built-in check ``visible`` escalates an answer holding one.

Kept as they are: line breaks and tabs, and the joiners of emoji and scripts (U+200C
ZERO WIDTH NON-JOINER, U+200D ZERO WIDTH JOINER), which change no reading order.
"""

from __future__ import annotations

import re
import unicodedata

KEEP = {"\n", "\t", "\u200c", "\u200d"}
# C0 and C1 controls, and Unicode's format characters (category Cf: bidi controls,
# zero-width space, word joiner, BOM, invisible operators, tags…), minus KEEP: written out
# (a test holds it to ``unicodedata``), since finding them at import took 115 ms.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    "\u180e\u200b\u200e-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_NAMES = {
    0x202A: "left-to-right embedding",
    0x202B: "right-to-left embedding",
    0x202C: "pop directional formatting",
    0x202D: "left-to-right override",
    0x202E: "right-to-left override",
    0x2066: "left-to-right isolate",
    0x2067: "right-to-left isolate",
    0x2068: "first strong isolate",
    0x2069: "pop directional isolate",
    0x200B: "zero width space",
    0x200E: "left-to-right mark",
    0x200F: "right-to-left mark",
    0x2060: "word joiner",
    0xFEFF: "zero width no-break space",
    0x1B: "escape",
    0x00: "null",
}


def reveal(text: str) -> str:
    """``text`` with every hidden character shown as ``⟨U+XXXX⟩``."""
    if not text or not _HIDDEN.search(text):
        return text
    return _HIDDEN.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)


def hidden(text: str) -> list[tuple[int, str]]:
    """(position, character) of each hidden character in ``text``."""
    return [(m.start(), m.group()) for m in _HIDDEN.finditer(text or "")]


def describe(char: str) -> str:
    """``U+202E (right-to-left override)``."""
    code = ord(char)
    name = _NAMES.get(code) or unicodedata.name(char, "").lower() or "control character"
    return f"U+{code:04X} ({name})"
