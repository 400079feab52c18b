"""Values from Qt's ``Qt`` namespace as plain numbers, for the code the window runs at start.

The first use of anything in PySide6's ``Qt`` namespace (``Qt.AlignCenter``, a
model's ``headerData`` called with a ``Qt.Orientation``...) makes Python enum
classes for all of its enums at once: about 100 classes and 3,000 members,
14 ms on the reference machine, a tenth of the window's start. So the start
path compares item roles with these numbers (PySide passes roles as ``int``)
and sets enum-typed properties through Qt's property system, which takes
numbers (``set_enum``). Code that runs later (keys, the other tabs) uses
``Qt`` as usual. ``tests/gui/test_qt_values.py`` checks every number against
PySide's own enum.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

# Qt::ItemDataRole
DISPLAY_ROLE = 0
TOOLTIP_ROLE = 3
FOREGROUND_ROLE = 9
ACCESSIBLE_TEXT_ROLE = 11
USER_ROLE = 256

# Qt::TextFormat, Qt::TextInteractionFlag, Qt::AlignmentFlag
PLAIN_TEXT = 0
SELECTABLE_BY_MOUSE = 1
ALIGN_CENTER = 0x84

# Qt::ShortcutContext
WIDGET_SHORTCUT = 0
WIDGET_WITH_CHILDREN_SHORTCUT = 3


def set_enum(obj: QObject, name: str, value: int) -> None:
    """Set the enum-typed Qt property ``name`` by number; a wrong name raises."""
    if not obj.setProperty(name, value):
        raise ValueError(f"{type(obj).__name__} has no writable property {name!r}")
