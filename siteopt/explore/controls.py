"""The explorer's control panel as one Panel component (``assets/controls.js``).

Native form elements with a visible label each (its accessible name), reachable by keyboard.
The page sends each user action as :attr:`Controls.event`; Python sends back what the
controls show. No value from the page is used before :mod:`siteopt.explore.settings` has
checked it.
"""

from __future__ import annotations

from pathlib import Path

import param
from panel.custom import JSComponent

from siteopt.config import settings as model_keys
from siteopt.explore.settings import CONTROLS

ASSETS = Path(__file__).resolve().parent / "assets"

#: Ranges of the controls (in the shown unit), where the schema has none or a wide one.
RANGES = {
    "budget.total_eur": (1.0, 40.0, 0.5),
    "coverage.radius_km": (50.0, 2000.0, 50.0),
}
STYLE = """
.controls { font: 14px/1.35 system-ui, sans-serif; color: #222; }
.controls .field { margin: 0 0 10px 0; }
.controls label, .controls .list-title { display: block; font-weight: 600; margin-bottom: 2px; }
.controls input[type=number], .controls select, .controls input[type=search] {
  width: 100%; box-sizing: border-box; padding: 4px 6px; font-size: 14px; }
.controls input[type=range] { width: 100%; }
.controls input[role=switch] + label { display: inline; margin-left: 6px; }
.controls .note { display: block; color: #555; font-size: 12px; }
.controls .buttons { display: flex; gap: 4px; margin-top: 4px; flex-wrap: wrap; }
.controls button { padding: 3px 8px; font-size: 13px; }
.controls .site-list { list-style: none; margin: 0; padding: 0; }
.controls .site-list li { display: inline-flex; align-items: center; gap: 2px; margin: 0 6px 4px 0;
  padding: 1px 4px; border: 1px solid #bbb; border-radius: 10px; font-size: 13px; }
.controls .site-list li.empty { border: none; color: #777; }
.controls .site-list button { border: none; background: none; font-size: 15px; padding: 0 2px;
  cursor: pointer; }
.controls :focus-visible { outline: 3px solid #0072B2; outline-offset: 1px; }
"""


def fields() -> list[dict]:
    """What each control shows and accepts: model key, label, kind (``switch``, ``choice``,
    ``slider`` or ``number``), the choices of a ``choice``, the range of a number."""
    specs = dict(model_keys())
    out = []
    for key, label, _ in CONTROLS:
        spec = specs[key]
        choices = list(spec.metadata["choices"] or ())
        if isinstance(spec.default, bool) or choices:
            out.append({"key": key, "label": label, "choices": choices,
                        "kind": "choice" if choices else "switch",
                        "min": None, "max": None, "step": None})
            continue
        low, high, step = RANGES.get(key, (spec.metadata["minimum"] or 0,
                                           None, 1 if isinstance(spec.default, int) else 0.05))
        if isinstance(spec.default, int) and low == 0:
            low = 1
        out.append({"key": key, "label": label, "kind": "slider" if key in RANGES else "number",
                    "choices": [], "min": low, "max": high, "step": step})
    return out


class Controls(JSComponent):
    """The control panel: scenario, limits, weights, sites."""

    fields = param.List(default=[], doc="What each control shows (see :func:`fields`).")
    values = param.Dict(default={}, doc="Model key -> the value shown (EUR bn for the budget).")
    answered = param.Integer(default=0, doc="The number ``n`` of the last page event handled "
                             "when :attr:`values` was set (older values are not shown).")
    notes = param.Dict(default={}, doc="Model key -> a note under the control.")
    scenarios = param.List(default=[], doc="The scenarios offered.")
    scenario = param.String(default="", doc="The scenario shown.")
    sites = param.List(default=[], doc="[site ID, name] of every candidate site.")
    required = param.List(default=[], doc="Site IDs required.")
    excluded = param.List(default=[], doc="Site IDs excluded.")
    site = param.String(default="", doc="The site in the search field.")
    event = param.Dict(default={}, doc="The last user action, as the page sent it.")

    #: Panel waits 50 ms for more changes before handling one; a user's action goes at once.
    _priority_changes = ["event"]

    _esm = (ASSETS / "controls.js").read_text(encoding="utf-8")
    _stylesheets = [STYLE]
