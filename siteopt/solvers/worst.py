"""The worst-served term W by adding points: solve with the rows of a few points, add the points
the answer leaves farther than the model thought, solve again.

W counts the farthest populated point; a model with the rows of only some points
(:meth:`~siteopt.model.SelectionInstance.with_worst_points`) can only overstate it, so its
optimum bounds the true one from above. When the answer's true objective (every point) equals
the restricted model's, that answer is optimal for every point; otherwise the
:data:`ADDED_POINTS` points it leaves farthest join the model. Each round adds at least one
point, so the loop ends; on the shipped data it takes a few rounds (Gaar and Sinnl 2022 solve
the p-center problem the same way, over radii).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from siteopt.errors import ConfigError
from siteopt.solvers.outcome import NEAR_OPTIMAL, Status

#: Points added per round: the farthest from the answer among those not yet in the model.
ADDED_POINTS = 8


def needs_points(instance) -> bool:
    """Whether ``instance`` counts W over every point and can be solved point by point."""
    data = instance.access
    return (data is not None and data.counts("worst", instance.weights)
            and data.worst_points is None)


def refuse_whole_model(instance, command: str) -> None:
    """Refuse an analysis that builds the whole model at once (a PuLP model with extra rows)
    when it would hold a W row for every place: it would be exact but far too large.

    Raises
    ------
    ConfigError
    """
    if needs_points(instance):
        raise ConfigError(f"{command} does not handle weights.worst (the worst-served place) "
                          f"yet: its model would hold a row per populated place; set "
                          f"weights.worst = 0 for it")


def solve_adding_points(instance, settings, solve):
    """Solve ``instance`` by ``solve(restricted, settings, previous)`` on instances with the W
    rows of growing sets of points (see the module docstring); ``previous`` is the last
    round's outcome (None in the first), whose portfolio keeps every rule of the next and
    starts it (shipped data, W 0.2: the second round's search 7,735 -> 7,480 nodes).

    Parameters
    ----------
    instance : SelectionInstance
        W counted over every populated point.
    settings : Solver
        Its ``time_limit_s`` covers every round.
    solve : callable
        One solve of an instance on one path; returns a SolverOutcome.

    Returns
    -------
    SolverOutcome
        The last round's, with its objective and bound for ``instance``, its seconds and
        solves summed over the rounds.
    """
    data = instance.access
    points = data.learned_worst_points()
    began = time.perf_counter()
    solves, outcome = 0, None
    while True:
        left = settings.time_limit_s - (time.perf_counter() - began)
        outcome = solve(instance.with_worst_points(points),
                        dataclasses.replace(settings, time_limit_s=max(left, 0.01)), outcome)
        solves += outcome.solves
        seconds = time.perf_counter() - began
        if not outcome.gigafactories and outcome.status in (Status.INFEASIBLE, Status.ERROR):
            return dataclasses.replace(outcome, seconds=seconds, solves=solves)
        true = instance.objective(instance.evaluate(outcome.gigafactories))
        if outcome.status != Status.OPTIMAL or outcome.objective - true <= NEAR_OPTIMAL:
            near, next_best = (_on_every_point(instance, outcome, true)
                               if outcome.status == Status.OPTIMAL else (None, None))
            return dataclasses.replace(outcome, objective=true,
                                       bound=max(outcome.bound, true), seconds=seconds,
                                       solves=solves, next_start=None, near_optimal=near,
                                       next_best=next_best,
                                       gap=0.0 if outcome.status == Status.OPTIMAL
                                       else outcome.gap)
        members = np.flatnonzero(outcome.selected)
        nearest = data.nearest_km(members, data.populated)
        nearest[points] = -np.inf
        order = np.argsort(-nearest, kind="stable")[:ADDED_POINTS]
        points = np.union1d(points, order[np.isfinite(nearest[order])])
        data.learn_worst_points(points)


def _on_every_point(instance, outcome, best: float) -> tuple:
    """The near-optimal portfolios and the runner-up the last round's search proved
    (``outcome.near_optimal`` and ``next_best``, valued on its points), as they stand on
    every point, where ``best`` is the optimum's value: ``(near, next_best)``, or
    ``(None, None)`` when that does not prove them (the caller then solves again).

    A portfolio is worth at most its value on fewer points. So those of them still within
    :data:`NEAR_OPTIMAL` of ``best`` tie with it; the best of the rest is the runner-up if it
    is worth at least what the search's runner-up was on the points: no other portfolio is
    worth more (shipped data, W 0.2: two searches instead of three)."""
    if outcome.near_optimal is None or outcome.next_best is None:
        return None, None
    bound, runner = outcome.next_best
    portfolios = [portfolio for _, portfolio in outcome.near_optimal] + (
        [] if runner is None else [runner])
    values = instance.objective(instance.evaluate_many(portfolios, weighted_only=True))
    near = tuple((float(v), p) for v, p in zip(values, portfolios) if v >= best - NEAR_OPTIMAL)
    below = [(float(v), p) for v, p in zip(values, portfolios) if v < best - NEAR_OPTIMAL]
    next_best = max(below, key=lambda pair: pair[0], default=(-np.inf, None))
    if next_best[0] < bound - NEAR_OPTIMAL:
        return None, None
    return near, next_best
