"""Matches of a search marked in a plain-text box: the text stays plain, the marks are
extra selections (nothing is inserted into the text, so an edit never carries them)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

MATCH_COLOR = QColor("#ffe58f")
MOST = 500  # marks per box: enough to see, bounded for a very long text


def highlight(box: QPlainTextEdit, terms: Sequence[str]) -> int:
    """Mark every occurrence of each of ``terms`` in ``box``, in any case; return how many."""
    if not any(terms):  # the usual case, at the start too: nothing to make
        if box.extraSelections():
            box.setExtraSelections([])
        return 0
    marks: list[QTextEdit.ExtraSelection] = []
    look = QTextCharFormat()
    look.setBackground(MATCH_COLOR)
    document = box.document()
    for term in terms:
        if not term:
            continue
        cursor = document.find(term)  # case-insensitive unless asked otherwise
        while not cursor.isNull() and len(marks) < MOST:
            mark = QTextEdit.ExtraSelection()
            mark.cursor = cursor  # type: ignore[misc]  # PySide6 exposes these as fields
            mark.format = look  # type: ignore[misc]
            marks.append(mark)
            cursor = document.find(term, cursor)
    box.setExtraSelections(marks)
    return len(marks)
