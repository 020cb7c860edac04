"""W alone, the p-center question: a search over radii that adds the places left out (Gaar and
Sinnl 2022), on the HiGHS paths.

When W is the only weighted term (and no other access term or limit is on), the best
portfolio is the one whose farthest populated place is nearest (capped at D). The answer
is the least radius ``t`` at which some portfolio keeping every rule brings every place
within ``t``. Each radius is a feasibility question with no objective: the rules, and every
place of a set S within ``t`` of a member (the ``access.max_km`` rows over S alone), which
HiGHS answers at once. S starts with W's first places
(:attr:`~siteopt.model.access_rows.AccessData.first_worst_points`: those farthest from every
eligible site and, in each member state, from its nearest member states) and grows:

- no portfolio brings S within ``t``: none brings every place, so the answer is above ``t``;
- one does, and its farthest place over *all* places is within ``t``: the answer is at most
  ``t`` (and the portfolio is kept);
- one does, but it leaves places beyond ``t``: the :data:`ADDED_POINTS` farthest join S, and
  ``t`` is asked again.

The radii asked are the distances from the places of S to the eligible sites, halving the
range between the largest radius proven too small and the smallest one reached; the range
closes when no such distance lies inside it. That is the optimum: the optimal portfolio
brings S within one of those distances, which the halving would have found. Every radius
at or beyond D is worth the same (W = 0).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time

import numpy as np

from siteopt.errors import TimeLimitError
from siteopt.geometry import DISTANCE_TOLERANCE_KM
from siteopt.model.access_rows import AccessData
from siteopt.solvers.outcome import Status, no_solution, relative_gap
from siteopt.solvers.worst import needs_points
from siteopt.terms import TERMS

#: Places added to S when a portfolio leaves places beyond the radius asked: the farthest.
ADDED_POINTS = 32


def applies(instance) -> bool:
    """Whether W is the objective's only weighted term, with no other access term or limit:
    the question this module answers."""
    weights = instance.weights
    return (needs_points(instance) and instance.access.only_worst(weights)
            and all(getattr(weights, term) == 0 for term in TERMS if term != "worst"))


def farthest_km(data: AccessData, selected: np.ndarray) -> float:
    """The distance from the farthest populated place to the nearest selected site (mask
    ``selected``), km (0 without places)."""
    return float(data.nearest_km(np.flatnonzero(selected), data.populated).max(initial=0.0))


def floor_km(instance) -> float:
    """The farthest a place may be from the nearest member site for W to reach the
    instance's objective floor, km (inf without a floor or with one W always reaches, -inf
    with one it never does)."""
    floor, weight = instance.objective_floor, instance.weights.worst
    if floor <= 0:
        return math.inf
    if floor > weight:
        return -math.inf
    return instance.access.reference_km * (1.0 - floor / weight)


def solve_by_radius(instance, settings, solve, at_least_km: float | None = None):
    """The proven optimum of ``instance`` (:func:`applies`) by the search over radii.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        Its ``time_limit_s`` covers every feasibility solve.
    solve : callable
        ``solve(instance, settings) -> SolverOutcome``: one HiGHS solve.
    at_least_km : float, optional
        A distance, km, no portfolio brings every place nearer than (up to
        :data:`~siteopt.geometry.DISTANCE_TOLERANCE_KM`): the optimum of the same question
        before the exclusions of a tie solve. The radii below are not asked, and the first
        radius asked is the least one above (a tie is then found at once).

    Returns
    -------
    SolverOutcome
        The portfolio with the nearest farthest place, its objective and bound for
        ``instance``; ``solves`` counts the feasibility solves. A time limit returns the best
        portfolio found, with the bound the radii proven too small give. With an objective
        floor (a tie solve) only the radii that reach it are asked: none reached is
        infeasible.
    """
    data = instance.access
    reference = data.reference_km
    skeleton = _feasibility_skeleton(instance)
    points = data.learned_worst_points()
    began = time.perf_counter()
    solves = 0

    def ask(radius_km):
        nonlocal solves
        left = settings.time_limit_s - (time.perf_counter() - began)
        solves += 1
        try:
            return solve(_within(skeleton, data, points, radius_km),
                         dataclasses.replace(settings, time_limit_s=max(left, 0.01)))
        except TimeLimitError:
            if radius_km == 0:   # not even a portfolio that keeps the rules
                raise
            return no_solution(Status.TIME_LIMIT, len(instance.site_ids), left, "highs")

    cap = floor_km(instance)
    if cap < math.inf:   # radii beyond the floor's need not be asked
        best, last, reached = None, None, cap + DISTANCE_TOLERANCE_KM
    else:
        first = ask(0.0)   # any portfolio that keeps the rules
        if first.status != Status.OPTIMAL:
            return dataclasses.replace(first, seconds=time.perf_counter() - began,
                                       solves=solves)
        best = last = first
        # radii from here on need not be asked: the farthest place of the best portfolio
        reached = farthest_km(data, first.selected)
    too_small = -math.inf   # the largest radius no portfolio reaches
    lowest_first = at_least_km is not None   # until the least radius is proven too small
    if lowest_first:
        too_small = at_least_km - 2 * DISTANCE_TOLERANCE_KM
    while True:
        radii = _radii(data, points, too_small, min(reached, reference))
        if not len(radii):
            break
        radius = float(radii[0 if lowest_first else len(radii) // 2])
        last = ask(radius)
        if last.status == Status.INFEASIBLE:
            too_small, lowest_first = radius, False
            continue
        if last.status != Status.OPTIMAL:
            break
        beyond, nearest = data.farther_than(np.flatnonzero(last.selected),
                                            max(radius, DISTANCE_TOLERANCE_KM), data.populated)
        if not len(beyond):
            best, reached = last, radius
            continue
        new = ~np.isin(beyond, points)
        beyond, nearest = beyond[new], nearest[new]
        order = np.argsort(-nearest, kind="stable")[:ADDED_POINTS]
        points = np.union1d(points, beyond[order])
        data.learn_worst_points(points)
    proven = last is None or last.status in (Status.OPTIMAL, Status.INFEASIBLE)
    if best is None:   # no radius within the floor's reaches every place
        return no_solution(Status.INFEASIBLE if proven else last.status,
                           len(instance.site_ids), time.perf_counter() - began, "highs")
    objective = instance.objective(instance.evaluate(best.gigafactories))
    bound = objective if proven else instance.weights.worst * (
        1.0 - min(max(too_small, 0.0), reference) / reference)
    return dataclasses.replace(
        best, status=Status.OPTIMAL if proven else last.status, objective=objective,
        bound=max(bound, objective), gap=relative_gap(objective, max(bound, objective)),
        seconds=time.perf_counter() - began, solves=solves, next_start=None,
        near_optimal=None)


def _radii(data: AccessData, points: np.ndarray, above: float, below: float) -> np.ndarray:
    """The distinct distances from the places ``points`` (indices into ``populated``) to the
    eligible sites strictly between ``above`` and ``below``, km, ascending; none below the
    farthest of those places from its nearest eligible site (no portfolio reaches it)."""
    distance = data.distances(data.populated[points], np.flatnonzero(data.eligible))
    if not distance.size:
        return np.empty(0)
    reachable = distance.min(axis=1).max()
    distance = np.unique(distance.ravel())
    return distance[(distance > above) & (distance < below) & (distance >= reachable)]


def _feasibility_skeleton(instance):
    """``instance`` with no objective, no objective floor (the radii keep it) and no demand
    groups: what every radius asks of."""
    zero = dataclasses.replace(instance.weights, **{term: 0.0 for term in TERMS})
    return dataclasses.replace(instance, weights=zero, objective_floor=-math.inf,
                               group_population=np.zeros(0),
                               group_sites=(), group_coverage=np.zeros(0),
                               group_latency=np.zeros(0), access=None)


def _within(skeleton, data: AccessData, points: np.ndarray, radius_km: float):
    """``skeleton`` with the places ``points`` within ``radius_km`` of a member site (0: no
    such limit)."""
    rows = data.populated[points]
    small = AccessData(
        point_lat=np.asarray(data.point_lat)[rows], point_lon=np.asarray(data.point_lon)[rows],
        point_people=np.ones(len(rows)), point_state=np.asarray(data.point_state)[rows],
        states=data.states, point_group=np.full(len(rows), -1, dtype=np.int64),
        point_ids=tuple(data.point_ids[r] for r in rows.tolist()), site_lat=data.site_lat,
        site_lon=data.site_lon, eligible=data.eligible, radius_km=data.radius_km,
        reference_km=data.reference_km,
        max_km=max(radius_km, DISTANCE_TOLERANCE_KM) if radius_km > 0 else 0.0)
    limited = copy.copy(skeleton)
    object.__setattr__(limited, "access", small)
    limited.__dict__.pop("access_block", None)
    return limited
