"""Decision analysis on top of the exact model: what else is nearly as good, and why.

- :func:`~siteopt.analysis.alternatives.alternatives`: the k best portfolios, each proven.
- :func:`~siteopt.analysis.explain.explain`: why a site is in or out, what insisting costs,
  and the capex or power at which the answer would change.
- :func:`~siteopt.analysis.sweep.sweep`: every combination of values of some keys, solved on
  Dask (:mod:`~siteopt.analysis.engine`), with the breakpoints where the portfolio changes.
- :func:`~siteopt.analysis.pareto.pareto`: the exact Pareto front of two terms.
- :func:`~siteopt.analysis.weights.weight_ranges`: how far each weight may move before the
  answer changes, each end proven.
- :func:`~siteopt.analysis.robust.robust`: Monte Carlo over capex, grid delays and prices,
  every draw solved exactly (here or on Dask): how often each site is chosen, today's regret, the
  portfolio best on average.
- :func:`~siteopt.analysis.choice.robust_choice`: the portfolio of best mean objective (or
  least largest regret) over given draws within the budget in all but a share of them,
  proven on those draws.
- :func:`~siteopt.analysis.choose.choose`: that choice on sampled draws, compared with today's
  optimum on fresh draws, with the sampling gap (``siteopt robust --choose``).
"""

import importlib
import sys
import types

#: Public name -> the module that defines it (imported when first used, so that a sweep does
#: not import PuLP for the alternatives, nor a robust run the Pareto front).
_EXPORTS = {
    "Alternative": "alternatives", "Alternatives": "alternatives", "alternatives": "alternatives",
    "Explanation": "explain", "SiteExplanation": "explain", "explain": "explain",
    "FrontPoint": "pareto", "ParetoFront": "pareto", "pareto": "pareto",
    "Robustness": "robust", "Spread": "draws", "Draws": "draws", "robust": "robust",
    "Sweep": "sweep", "sweep": "sweep", "Choice": "choice", "robust_choice": "choice",
    "RobustChoice": "choose", "SamplingGap": "choose", "choose": "choose",
    "WeightRanges": "weights", "weight_ranges": "weights",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'siteopt.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"siteopt.analysis.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Six functions share their module's name (``robust`` in ``robust.py``): importing the
    module would make ``siteopt.analysis.robust`` the module; this package keeps the name for
    the function (the module stays in ``sys.modules``)."""

    def __setattr__(self, name, value):
        if not (name in _EXPORTS and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
