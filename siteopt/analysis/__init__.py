"""Decision analysis on top of the exact model: what else is nearly as good, and why.

- :func:`~siteopt.analysis.alternatives.alternatives`: the k best portfolios, each proven.
- :func:`~siteopt.analysis.explain.explain`: why a site is in or out, what insisting costs,
  and the capex or power at which the answer would change.
- :func:`~siteopt.analysis.sweep.sweep`: every combination of values of some keys, solved on
  Dask (:mod:`~siteopt.analysis.engine`), with the breakpoints where the portfolio changes.
- :func:`~siteopt.analysis.pareto.pareto`: the exact Pareto front of two terms.
- :func:`~siteopt.analysis.robust.robust`: Monte Carlo over capex, grid delays and prices,
  every draw solved exactly on Dask: how often each site is chosen, today's regret, the
  portfolio best on average.
"""

from siteopt.analysis.alternatives import Alternative, Alternatives, alternatives
from siteopt.analysis.explain import Explanation, SiteExplanation, explain
from siteopt.analysis.pareto import FrontPoint, ParetoFront, pareto
from siteopt.analysis.robust import Robustness, Spread, robust
from siteopt.analysis.sweep import Sweep, sweep

__all__ = ["Alternative", "Alternatives", "alternatives", "Explanation", "SiteExplanation",
           "explain", "FrontPoint", "ParetoFront", "pareto", "Robustness", "Spread", "robust", "Sweep", "sweep"]
