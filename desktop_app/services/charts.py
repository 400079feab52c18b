"""The scorecard's charts, drawn by pygal as SVG: inlined in the report, and drawn by
Qt's SVG renderer in the window's Scorecard panel (one chart library for both)."""

from __future__ import annotations

import re
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.services.scorecard import Scorecard


def _pygal() -> ModuleType:
    """pygal, without the import hook its import adds for map plugins (Signoff draws no
    maps): a finder with only the old ``find_module`` makes every later import warn (an
    ImportWarning, an error where warnings are errors)."""
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]
    return pygal


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)


def charts(card: Scorecard) -> list[str]:
    """The scorecard's charts as SVG (pygal), without pygal's script: inlined in the report,
    drawn by Qt's SVG renderer in the window's Scorecard panel. What became of the items
    (once any was decided or expired), and the cost per approved output (once one is
    known): none, one or both."""
    pygal = _pygal()
    from pygal.style import Style

    style = Style(
        font_family="system-ui, sans-serif",
        background="white",
        plot_background="white",
        colors=("#1e7b3c", "#e0a800", "#b3261e", "#6b7380"),
    )
    config = {
        "js": [],
        "disable_xml_declaration": True,
        "width": 640,
        "height": 300,
        "style": style,
        "legend_at_bottom": True,
        "truncate_legend": -1,
    }
    labels = [w.start[5:] for w in card.weeks]
    svgs = []
    t = card.total
    if t.approved + t.edited + t.rejected + t.expired:  # something became of the items
        outcome = pygal.StackedBar(title="What became of the items made each week", **config)
        outcome.x_labels = labels
        for name, label in (
            ("approved", "approved as is"),
            ("edited", "edited"),
            ("rejected", "rejected"),
            ("expired", "expired"),
        ):
            outcome.add(label, [w.rate(getattr(w, name)) or 0 for w in card.weeks])
        outcome.value_formatter = lambda v: f"{v:.0%}"
        svgs.append(outcome.render(is_unicode=True))
    costs = [w.cost_per_approved for w in card.weeks]
    if any(c is not None for c in costs):
        cost = pygal.Line(title="Cost per approved output (USD)", show_legend=False, **config)
        cost.x_labels = labels
        cost.add("cost per approved output", costs)
        svgs.append(cost.render(is_unicode=True))
    return [_unfilled(_SCRIPT.sub("", svg)) for svg in svgs]


_LINE = re.compile(r'(<path\b[^>]*class="line\b[^"]*")')


def _unfilled(svg: str) -> str:
    """A line is a line: pygal leaves its fill to its style sheet, which Qt's SVG renderer
    does not read, so it is said on the path itself too."""
    return _LINE.sub(r'\1 fill="none"', svg)
