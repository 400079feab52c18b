"""The charts' library leaves the import system as it found it."""

from __future__ import annotations

import importlib.util
import sys
import warnings

from desktop_app.services.charts import charts
from desktop_app.services.scorecard import Period, Scorecard


def test_drawing_charts_leaves_no_import_hook_that_warns():
    week = Period(start="2026-11-02", made=4, approved=2, edited=1, rejected=1, runs=1)
    week.cost_usd = 0.03
    card = Scorecard("wf", "2026-11-01", "", [week], week, [])
    svgs = charts(card)
    assert len(svgs) == 2 and all(s.startswith("<svg") and "<script" not in s for s in svgs)
    assert 'class="line' in svgs[1] and 'fill="none"' in svgs[1]  # Qt reads no style sheet
    nothing_yet = Period(start="2026-11-02", made=3, open=3)
    assert charts(Scorecard("wf", "2026-11-01", "", [nothing_yet], nothing_yet, [])) == []
    assert not [f for f in sys.meta_path if type(f).__name__ == "PluginImportFixer"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every finder is asked, none warns
        assert importlib.util.find_spec("signoff_no_such_module") is None
