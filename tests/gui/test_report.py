"""The report renders in Qt's text browser, and its charts in Qt's SVG renderer."""

from __future__ import annotations

import re

from desktop_app.services import report
from desktop_app.storage.db import connect
from tests.gui.conftest import add_items


def test_the_report_renders_in_a_text_browser_and_its_charts_draw(qtbot, seeded, workflows_dir):
    from PySide6.QtCore import QByteArray
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QTextBrowser

    db = connect(seeded)
    add_items(
        db,
        "review-reply",
        [
            ("<b>bold?</b>", "text", "escalated", "<i>a reason</i>"),
            ("fine", "ok", "approved", None),
        ],
    )
    text = report.build(db, workflows_dir, since="2000-01-01", until="2100-01-01")
    db.conn.close()
    browser = QTextBrowser()
    qtbot.addWidget(browser)
    browser.setHtml(text)
    shown = browser.toPlainText()
    assert "Signoff report" in shown and "review-reply" in shown and "meeting-actions" in shown
    assert "Spend against the caps" in shown and "Escalations" in shown
    assert "<b>bold?</b>" in shown and "<i>a reason</i>" in shown  # shown as text, not markup
    assert "<b>bold?</b>" not in text and "&lt;i&gt;a reason&lt;/i&gt;" in text
    charts = re.findall(r"<svg\b.*?</svg>", text, re.S)
    assert len(charts) == 2  # what became of the items, and the cost per approved output
    for chart in charts:
        assert QSvgRenderer(QByteArray(chart.encode("utf-8"))).isValid()
