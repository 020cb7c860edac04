"""Tiny instances with hand-computed optima, for doctests, tests and notebooks.

:func:`three_sites` is small enough to solve on paper. Sites A and B are in country X, C in
country Y; four demand groups of 40, 30, 20 and 10 people (100 in all)::

    group  people  covered by
    g1     40      A
    g2     30      B
    g3     20      A, C
    g4     10      C

    site  country  MW   renewable  capex
    A     X        100  0.5        3
    B     X        200  1.0        4
    C     Y        150  0.0        5

With p = 2, q = 1, P = 200 MW, budget 8 and weights (coverage 0.5, grid 0.2, spread 0.2,
green 0.1, cost 0): {A, B} breaks q = 1 and {B, C} costs 9 > 8, so the best pair is {A, C}
(budget exactly met): C = 0.7, G = 250 / 400 = 0.625, K = 2 / 2 = 1, E = 50 / 400 = 0.125,
objective 0.35 + 0.125 + 0.2 + 0.0125 = 0.6875. Every single site scores less (A: 0.4625).

>>> from siteopt.examples import three_sites
>>> from siteopt.model import build_model
>>> from siteopt.solve import solve_model
>>> from siteopt.config import Solver
>>> outcome = solve_model(build_model(three_sites()), Solver())
>>> outcome.status.value, outcome.selected.tolist(), round(outcome.objective, 6)
('optimal', [True, False, True], 0.6875)
"""

from __future__ import annotations

import numpy as np

from siteopt.config import Weights
from siteopt.model import SelectionInstance


def three_sites(**changes) -> SelectionInstance:
    """The hand-solved instance of the module docstring; keyword arguments replace fields.

    Examples of changes and their hand-computed optima (weights as above):

    - ``budget_eur=7``: no pair fits; the best single site is A, objective 0.4625.
    - ``max_sites_per_country=2``: {A, B} (cost 7) wins: C 0.9, G 0.75, K 0.5, E 0.625,
      objective 0.7625.
    - ``budget_eur=2``: nothing fits; the empty selection, objective 0.
    """
    fields = dict(
        site_ids=("A", "B", "C"),
        site_country=("X", "X", "Y"),
        effective_mw=np.array([100.0, 200.0, 150.0]),
        renewable_share=np.array([0.5, 1.0, 0.0]),
        capex_eur=np.array([3.0, 4.0, 5.0]),
        group_population=np.array([40.0, 30.0, 20.0, 10.0]),
        group_sites=(np.array([0]), np.array([1]), np.array([0, 2]), np.array([2])),
        total_population=100.0,
        budget_eur=8.0,
        max_sites=2,
        max_sites_per_country=1,
        power_cap_mw=200.0,
        total_power_mw=1000.0,
        weights=Weights(coverage=0.5, grid=0.2, spread=0.2, green=0.1, cost=0.0),
    )
    fields.update(changes)
    return SelectionInstance(**fields)
