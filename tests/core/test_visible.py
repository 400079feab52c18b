"""What you approve is what you see: hidden characters are shown, and an answer holding
one is escalated by the built-in check ``visible``."""

from __future__ import annotations

import sys
import unicodedata

from desktop_app.core import visible
from desktop_app.core.checks import run_checks
from desktop_app.core.spec_model import OutputSpec

HOSTILE = "override \u202ehere\x1b]0;pwned\x07\x1b[31mRED\x1b[0m \x1b[2J\x00 end"


def test_hidden_characters_are_shown_as_marked_code_points():
    shown = visible.reveal(HOSTILE)
    assert "\u202e" not in shown and "\x1b" not in shown and "\x00" not in shown
    assert shown.startswith("override ⟨U+202E⟩here⟨U+001B⟩]0;pwned⟨U+0007⟩")
    assert (
        visible.reveal("Plain text,\nwith a tab\tand é ü 日本")
        == "Plain text,\nwith a tab\tand é ü 日本"
    )
    family = "👨\u200d👩\u200d👧"  # emoji joined by ZERO WIDTH JOINER: kept
    assert visible.reveal(family) == family
    assert visible.describe("\u202e") == "U+202E (right-to-left override)"


def test_the_hidden_set_is_every_control_and_format_character_of_unicode():
    pattern = visible._HIDDEN
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        should = category in ("Cc", "Cf") and char not in visible.KEEP
        found = pattern.fullmatch(char) is not None
        assert found == should or (found and category == "Cn"), f"U+{code:04X} {category}"


def test_the_visible_check_escalates_an_answer_with_a_hidden_character():
    output = OutputSpec()
    (check,) = [c for c in run_checks(output, "Thank you \u202efor nothing") if c.name == "visible"]
    assert not check.passed
    assert check.message == (
        "The answer holds characters that change how it reads without showing: "
        "U+202E (right-to-left override) at character 11."
    )
    (fine,) = [c for c in run_checks(output, "Thank you 👍") if c.name == "visible"]
    assert fine.passed
