"""Qt's enum values as numbers (gui/qt_values): right, applied, and keeping the ``Qt`` namespace off the start."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QLabel

from desktop_app.gui import qt_values
from desktop_app.gui.inbox_model import InboxModel
from desktop_app.gui.widgets import list_table, plain_label
from desktop_app.storage.db import connect
from tests.gui.conftest import add_items
from tests.helpers.app_process import run_until_ready


@pytest.mark.parametrize(
    ("number", "member"),
    [
        (qt_values.DISPLAY_ROLE, Qt.ItemDataRole.DisplayRole),
        (qt_values.TOOLTIP_ROLE, Qt.ItemDataRole.ToolTipRole),
        (qt_values.FOREGROUND_ROLE, Qt.ItemDataRole.ForegroundRole),
        (qt_values.ACCESSIBLE_TEXT_ROLE, Qt.ItemDataRole.AccessibleTextRole),
        (qt_values.USER_ROLE, Qt.ItemDataRole.UserRole),
        (qt_values.PLAIN_TEXT, Qt.TextFormat.PlainText),
        (qt_values.SELECTABLE_BY_MOUSE, Qt.TextInteractionFlag.TextSelectableByMouse),
        (qt_values.ALIGN_CENTER, Qt.AlignmentFlag.AlignCenter),
        (qt_values.WIDGET_SHORTCUT, Qt.ShortcutContext.WidgetShortcut),
        (qt_values.WIDGET_WITH_CHILDREN_SHORTCUT, Qt.ShortcutContext.WidgetWithChildrenShortcut),
    ],
)
def test_every_number_is_pyside_s_own_value(number, member):
    assert number == member.value


def test_set_enum_sets_the_property_and_a_wrong_name_raises(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    qt_values.set_enum(label, "alignment", qt_values.ALIGN_CENTER)
    assert label.alignment() == Qt.AlignmentFlag.AlignCenter
    shortcut = QShortcut(label)
    qt_values.set_enum(shortcut, "context", qt_values.WIDGET_WITH_CHILDREN_SHORTCUT)
    assert shortcut.context() == Qt.ShortcutContext.WidgetWithChildrenShortcut
    with pytest.raises(ValueError, match="no writable property 'alignmnet'"):
        qt_values.set_enum(label, "alignmnet", qt_values.ALIGN_CENTER)


def test_plain_label_never_reads_text_as_html(qtbot):
    label = plain_label("x")
    qtbot.addWidget(label)
    label.setText("<b>html</b><script>alert(1)</script>")
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.textInteractionFlags() == Qt.TextInteractionFlag.TextSelectableByMouse
    assert label.text() == "<b>html</b><script>alert(1)</script>"


def test_list_table_shows_the_titles_and_the_rows(qtbot, qtmodeltester, db_path):
    db = connect(db_path)
    add_items(db, "review-reply", [("a.txt", "Thanks!", "pending", None)])
    model = InboxModel(db)
    qtmodeltester.check(model)
    table = list_table("t", "T", model, titles=model.COLUMNS)
    qtbot.addWidget(table)
    header = table.horizontalHeader()
    shown = [header.model().headerData(i, Qt.Orientation.Horizontal) for i in range(header.count())]
    assert shown == list(model.COLUMNS)
    assert model.data(model.index(0, 1)) == "review-reply"
    assert model.data(model.index(0, 0), qt_values.USER_ROLE) == model.key(0)
    # Without titles the header is the model's own (the workflows view's item model).
    plain = QStringListModel(["one"])
    other = list_table("u", "U", plain)
    qtbot.addWidget(other)
    assert other.horizontalHeader().model() is plain
    db.conn.close()


def test_the_start_and_first_paint_leave_the_qt_namespace_unbuilt(tmp_path):
    """A fresh process: the window starts along `signoff`'s path, paints an inbox with items,
    and PySide has still not built its ``Qt`` namespace (14 ms of enum classes)."""
    data = tmp_path / "data"
    data.mkdir()
    db = connect(data / "signoff.db")
    add_items(db, "review-reply", [("a.txt", "Thanks!", "pending", None)] * 3)
    db.conn.close()
    proc = run_until_ready(
        tmp_path,
        data,
        """
        import PySide6.QtCore as core
        window.grab()  # paints the window: the list's rows and header
        print('qt built:', 'Qt' in vars(core))
        print('rows:', inbox.model().rowCount())
        """,
    )
    assert proc.returncode == 0, proc.stderr
    assert "rows: 3" in proc.stdout
    assert "qt built: False" in proc.stdout, (
        "something on the start path uses PySide6's Qt namespace; use gui/qt_values instead"
    )


def test_emitting_a_signal_leaks_no_reference(qtbot):
    """PySide6 6.12.0 dropped a reference to the value ``emit`` returns, at every emit: True
    reached zero after a few thousand signals and the app aborted ("deallocating True").
    pyproject keeps that version out; this fails at once on one like it."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        plain = Signal()
        carrying = Signal(object)

    source = Source()
    heard: list[object] = []
    source.plain.connect(lambda: heard.append(1))
    source.carrying.connect(heard.append)
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for _ in range(200):
        source.plain.emit()
        source.carrying.emit(None)
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    assert len(heard) == 400
    heard.clear()
    assert after[0] - before[0] >= 0 and after[1] - before[1] >= 0, (before, after)
    assert after[2] - before[2] >= 0, (before, after)
