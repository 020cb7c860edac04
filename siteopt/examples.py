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

With p = 2 single-site gigafactories (M = 1), q = 1, P = 200 MW, budget 8 and weights
(coverage 0.5, grid 0.2, spread 0.2, green 0.1): {A, B} breaks q = 1 and {B, C} costs 9 > 8, so
the best pair is {A, C} (budget exactly met): C = 0.7, G = 250 / 400 = 0.625, K = 2 / 2 = 1,
green = 50 / 400 = 0.125, objective 0.35 + 0.125 + 0.2 + 0.0125 = 0.6875. Every single site
scores less (A: 0.4625).

>>> from siteopt.examples import three_sites
>>> from siteopt.model import build_model
>>> from siteopt.solvers.via_pulp import solve_model
>>> from siteopt.config import Solver
>>> instance = three_sites()
>>> outcome = solve_model(build_model(instance), instance, Solver())
>>> outcome.status.value, outcome.gigafactories, round(outcome.objective, 6)
('optimal', ((0,), (2,)), 0.6875)

The consolidation examples (:func:`national_bid`, :func:`border_sites`) are worked out in their
docstrings.
"""

from __future__ import annotations

import numpy as np

from siteopt.config import Weights
from siteopt.geometry import destination
from siteopt.model import SelectionInstance

#: Weights that score power only: G = sum of member MW / (p P).
GRID_ONLY = Weights(coverage=0, grid=1, spread=0, clean=0, green=0, letters=0, cost=0)


def three_sites(**changes) -> SelectionInstance:
    """The hand-solved instance of the module docstring; keyword arguments replace fields.

    Examples of changes and their hand-computed optima (weights as above):

    - ``budget_eur=7``: no pair fits; the best single site is A, objective 0.4625.
    - ``max_bids_per_country=2``: {A, B} (cost 7) wins: C 0.9, G 0.75, K 0.5, green 0.625,
      objective 0.7625.
    - ``budget_eur=2``: nothing fits; the empty portfolio, objective 0.
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
        max_gigafactories=2,
        max_bids_per_country=1,
        power_cap_mw=200.0,
        total_power_mw=1000.0,
        weights=Weights(coverage=0.5, grid=0.2, spread=0.2, clean=0, green=0.1, letters=0,
                        cost=0.0),
        cost_reference_eur=8.0,   # with cost weight 1, X = capex / 8 as in earlier versions
    )
    fields.update(changes)
    return SelectionInstance(**fields)


def national_bid(**changes) -> SelectionInstance:
    """Two sites of one member state merge into one national bid.

    A and B (300 MW each, capex 3) lie in X, 100 km apart; C (400 MW, capex 5) in Y. Up to
    p = 2 gigafactories of up to M = 2 sites, one bid per state, P = 1,000 MW, budget 12, an
    extra-site cost of 1, power only (G = MW / 2,000)::

        portfolio        MW     cost            G
        {A+B}, {C}       1,000  3 + 3 + 1 + 5   0.5    <- optimum (budget exactly met)
        {A}, {C}         700    8               0.35   (the best with M = 1)
        {A+B}            600    7               0.3

    Hand-computed variants:

    - ``budget_eur=11``: {A+B}, {C} costs 12 > 11; optimum {A}, {C} (or {B}, {C}), 0.35.
    - ``min_gigafactory_mw=500``: no single site reaches 500 MW; optimum {A+B}, 0.3.
    - ``link_km=50``: A and B are 100 km apart, so they cannot merge; optimum 0.35.
    - ``max_members=1``: the single-site model; optimum 0.35.

    >>> from siteopt.solvers.direct import solve_direct
    >>> from siteopt.config import Solver
    >>> outcome = solve_direct(national_bid(), Solver())
    >>> outcome.gigafactories, round(outcome.objective, 6)
    (((0, 1), (2,)), 0.5)
    """
    b_lat, b_lon = destination(50.0, 10.0, 90.0, 100.0)
    return _power_only(dict(
        site_ids=("A", "B", "C"),
        site_country=("X", "X", "Y"),
        effective_mw=np.array([300.0, 300.0, 400.0]),
        capex_eur=np.array([3.0, 3.0, 5.0]),
        budget_eur=12.0,
        max_gigafactories=2,
        site_lat=np.array([50.0, float(b_lat), 48.0]),
        site_lon=np.array([10.0, float(b_lon), 20.0]),
        max_members=2,
        link_km=1000.0,
        extra_site_cost_eur=1.0,
        cost_reference_eur=12.0,
    ), changes)


def border_sites(**changes) -> SelectionInstance:
    """Three sites in three member states on a line: a gigafactory across a border.

    A (X, 400 MW, capex 2), B (Y, 450 MW, capex 2) 300 km east of A, C (Z, 400 MW, capex 3)
    300 km east of B (600 km from A). One gigafactory (p = 1) of up to M = 3 sites, P = 1,000
    MW, budget 4.5, extra-site cost 0.5, power only (G = MW / 1,000)::

        rules                                   optimum     G
        domestic (cross_border false)           {B}         0.45
        cross_border, link_km 500               {A+B}       0.85  (B+C costs 5.5; A+C too far;
                                                                   A+B+C has 1,250 MW > P)
        cross_border, link_km 200               {B}         0.45  (no pair is linked)
        cross_border, min_gigafactory_mw 900    none        0     (no set reaches 900 MW
                                                                   within the rules)

    >>> from siteopt.solvers.direct import solve_direct
    >>> from siteopt.config import Solver
    >>> outcome = solve_direct(border_sites(cross_border=True), Solver())
    >>> outcome.gigafactories, round(outcome.objective, 6)
    (((0, 1),), 0.85)
    """
    b_lat, b_lon = destination(48.0, 10.0, 90.0, 300.0)
    c_lat, c_lon = destination(float(b_lat), float(b_lon), 90.0, 300.0)
    return _power_only(dict(
        site_ids=("A", "B", "C"),
        site_country=("X", "Y", "Z"),
        effective_mw=np.array([400.0, 450.0, 400.0]),
        capex_eur=np.array([2.0, 2.0, 3.0]),
        budget_eur=4.5,
        max_gigafactories=1,
        site_lat=np.array([48.0, float(b_lat), float(c_lat)]),
        site_lon=np.array([10.0, float(b_lon), float(c_lon)]),
        max_members=3,
        max_countries=3,
        link_km=500.0,
        extra_site_cost_eur=0.5,
        cost_reference_eur=10.0,
    ), changes)


def _power_only(fields: dict, changes: dict) -> SelectionInstance:
    """A consolidation example scored on power only: one demand group of 10 people at the
    first site, no renewables, one bid per state, P = 1,000 MW, T = 5,000 MW; ``fields`` and
    then ``changes`` set the rest."""
    base = dict(renewable_share=np.zeros(len(fields["site_ids"])),
                group_population=np.array([10.0]), group_sites=(np.array([0]),),
                total_population=10.0, max_bids_per_country=1, power_cap_mw=1000.0,
                total_power_mw=5000.0, weights=GRID_ONLY)
    return SelectionInstance(**{**base, **fields, **changes})


#: Positions along the equator (km east of 0 deg) of the sites and points of
#: :func:`access_line`, and the points' people and member states.
LINE_SITES_KM = {"A": 0.0, "B": 600.0, "C": 1000.0}
LINE_POINTS = (("P0", -500.0, 5.0, "X"), ("P1", 100.0, 45.0, "X"), ("P2", 500.0, 30.0, "Y"),
               ("P3", 1100.0, 15.0, "Z"), ("P4", 1800.0, 5.0, "Z"))


def access_line(term: str, max_gigafactories: int = 2, **settings) -> SelectionInstance:
    """The hand-solved access example: sites and towns on a line (the equator), so every
    distance is a difference of positions. One term weighs 1, the others 0; R = 500 km,
    D = 2,000 km; single-site gigafactories, one per member state, the budget no limit::

        position km  -500   0    100  500  600  1000  1100  1800
        site               A               B    C
        town         P0        P1   P2              P3    P4
        people       5         45   30              15    5
        state        X         X    Y               Z     Z
        (sites A, B, C are in states X, Y, Z)

    Distances to the nearest member (km) and the terms, for every portfolio of p = 2::

        sites  P0     P1   P2   P3   P4     mean km  A       W     B     linear C
        A, B   500    100  100  500  1,200  235      0.8825  0.40  0.75  0.60
        A, C   500    100  500  100  800    275      0.8625  0.60  0.30  0.48
        B, C   1,100  500  100  100  800    365      0.8175  0.45  0.45  0.36

    The mean is the sum of people x km over 100 people (A, B: 5 x 500 + 45 x 100 + 30 x 100
    + 15 x 500 + 5 x 1,200 = 23,500); A = 1 - mean / 2,000; W = 1 - the largest distance /
    2,000; B counts the towns within 500 km (inclusive) of both members (A, B: P1 and P2, 75
    people); linear decay counts each town max(0, 1 - km / 500) (A, B: 0.8 x 45 + 0.8 x 30 =
    60 of 100). So:

    - ``latency``: {A, B}, A = 0.8825 (the p-median answer, 235 km on average);
    - ``worst``: {A, C}, W = 0.6 (the p-center answer: nobody beyond 800 km);
    - ``backup``: {A, B}, B = 0.75;
    - ``coverage`` with ``decay="linear"``: {A, B}, 0.60;
    - ``fairness`` with p = 1: {B}, F = 0.75 (states X 90 %, Y 100 %, Z 75 % within 500 km;
      A alone leaves Z at 0 %, C alone X).

    Parameters
    ----------
    term : str
        The term that weighs 1 (``coverage``, ``latency``, ``worst``, ``backup``,
        ``fairness``).
    max_gigafactories : int
    **settings
        ``decay``, ``max_km``, ``min_country_share`` for the access data.

    >>> from siteopt.examples import access_line
    >>> from siteopt.solvers.direct import solve_direct
    >>> from siteopt.config import Solver
    >>> outcome = solve_direct(access_line("worst"), Solver())
    >>> outcome.gigafactories, round(outcome.objective, 6)
    (((0,), (2,)), 0.6)
    """
    from siteopt.coverage import cover_demand
    from siteopt.model.access_rows import AccessData

    ids = tuple(LINE_SITES_KM)
    site_lat, site_lon = destination(0.0, 0.0, 90.0, np.array(list(LINE_SITES_KM.values())))
    position = np.array([p[1] for p in LINE_POINTS])
    point_lat, point_lon = destination(0.0, 0.0, np.where(position < 0, 270.0, 90.0),
                                       np.abs(position))
    people = np.array([p[2] for p in LINE_POINTS])
    states = ("X", "Y", "Z")
    eligible = np.ones(len(ids), dtype=bool)
    coverage = cover_demand(site_lat, site_lon, point_lat, point_lon, people, 500.0, eligible)
    access = AccessData(
        point_lat=np.asarray(point_lat, float), point_lon=np.asarray(point_lon, float),
        point_people=people, point_state=np.array([states.index(p[3]) for p in LINE_POINTS]),
        states=states, point_group=coverage.group_of_point,
        point_ids=tuple(p[0] for p in LINE_POINTS), site_lat=np.asarray(site_lat, float),
        site_lon=np.asarray(site_lon, float), eligible=eligible, radius_km=500.0,
        reference_km=2000.0, **settings)
    weights = Weights(**{t: float(t == term) for t in ("coverage", "grid", "spread", "clean",
                                                         "green", "letters", "cost")},
                      **{t: float(t == term) for t in ("latency", "worst", "backup",
                                                         "fairness")})
    instance = SelectionInstance(
        site_ids=ids, site_country=states, effective_mw=np.full(3, 100.0),
        renewable_share=np.zeros(3), capex_eur=np.ones(3),
        group_population=coverage.group_population, group_sites=coverage.group_sites,
        total_population=float(people.sum()), budget_eur=10.0,
        max_gigafactories=max_gigafactories, max_bids_per_country=1, power_cap_mw=1000.0,
        total_power_mw=5000.0, weights=weights, site_lat=np.asarray(site_lat, float),
        site_lon=np.asarray(site_lon, float), access=access)
    return instance.with_access(access)
