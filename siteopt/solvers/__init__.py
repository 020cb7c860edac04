"""The solver paths, and the one place that picks among them.

Every path solves the same :class:`~siteopt.model.SelectionInstance` exactly and returns a
:class:`~siteopt.solvers.outcome.SolverOutcome`:

- :mod:`~siteopt.solvers.via_pulp`: the model built with PuLP, solved by HiGHS or CBC;
- :mod:`~siteopt.solvers.direct`: the same model handed to HiGHS as arrays;
- :mod:`~siteopt.solvers.benders`: coverage as cuts on a small master problem in HiGHS;
- :mod:`~siteopt.solvers.search`: branch and bound over whole gigafactories in NumPy.

:mod:`~siteopt.solvers.outcome` holds the status and gap, :mod:`~siteopt.solvers.highs` the
HiGHS settings the paths share, :mod:`~siteopt.solvers.infeasibility` names the conflicting
limits of an infeasible instance.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time

import numpy as np

from siteopt.config import Solver
from siteopt.errors import InfeasibleError, SolverError, TimeLimitError
from siteopt.interrupt import after_solve, deferred
from siteopt.solvers.highs import model_nonzeros
from siteopt.solvers.outcome import Status, no_solution

#: With ``solver.method = "auto"``, models with at most this many non-zeros (grouped coverage,
#: plus three per member of each candidate gigafactory) go to the direct path, larger ones to
#: Benders (measured in benchmarks/README.md: direct wins at 5,556 to 21,258, Benders at 88,775).
AUTO_DIRECT_NONZEROS = 40_000


def choose_method(instance, settings: Solver) -> str:
    """The path that solves ``instance``: ``settings.method``, or for ``auto`` the fastest
    exact one: pulp for CBC, the only path that runs it; the search for the compact form up
    to :data:`~siteopt.solvers.search.AUTO_SEARCH_ENTRIES`, within a work limit
    (:func:`auto_work_limit`) beyond which HiGHS solves the instance. The search proves W, B
    and F faster, limits or not (B 0.2 alone 0.6 s against 36.4 s, with ``access.max_km``
    1,500 4.4 s against 35.3 s; F 0.3 alone 0.1 s against 2.4 s; every access term 0.8 s
    where HiGHS proves nothing in 60 s: ``benchmarks/README.md``), W on a few points at a time
    (:mod:`~siteopt.solvers.worst`); W as the only weighted term goes to HiGHS, which searches
    over radii (:mod:`~siteopt.solvers.radius`); the latency term or gradual coverage cut from
    distances (``levels_as_cuts``) goes to benders, the one path that solves it; else direct
    up to :data:`AUTO_DIRECT_NONZEROS`, benders beyond."""
    if settings.method != "auto":
        return settings.method
    if settings.name != "highs":
        return "pulp"
    from siteopt.solvers.radius import applies
    from siteopt.solvers.search import AUTO_SEARCH_ENTRIES, search_entries

    if applies(instance):   # W alone: the search over radii, on HiGHS
        return highs_method(instance)
    if instance.levels_as_cuts:   # only Benders cuts the latency term from distances
        return "benders"
    if instance.compact and search_entries(instance) <= AUTO_SEARCH_ENTRIES:
        return "search"
    return highs_method(instance)


def auto_work_limit(instance) -> float:
    """The work after which a search ``auto`` chose gives the instance to HiGHS:
    :data:`~siteopt.solvers.search.AUTO_LIMITS_WORK` for an ``access`` limit without W, B or
    F weighted (where neither path is always the faster: a short search first proves most such
    models in under a second, and costs the others a fraction of one), else
    :data:`~siteopt.solvers.search.AUTO_SEARCH_WORK`."""
    from siteopt.solvers.search import AUTO_LIMITS_WORK, AUTO_SEARCH_WORK

    data, w = instance.access, instance.weights
    limits_alone = (data is not None and (data.max_km > 0 or data.min_country_share > 0)
                    and not (w.worst > 0 or w.backup > 0 or w.fairness > 0))
    return AUTO_LIMITS_WORK if limits_alone else AUTO_SEARCH_WORK


def highs_method(instance) -> str:
    """The faster HiGHS path for ``instance``: direct up to :data:`AUTO_DIRECT_NONZEROS`
    non-zeros, benders beyond."""
    return "direct" if model_nonzeros(instance) <= AUTO_DIRECT_NONZEROS else "benders"


def solve_instance(instance, settings: Solver, timings: dict[str, float], start=None,
                   runner_up: bool = False, settle_ties: bool = True):
    """Build and solve by the path :func:`choose_method` picks, then settle ties and find the
    runner-up on the same path (:mod:`siteopt.solvers.ties`); records ``build`` and ``solve``
    seconds.

    ``start`` (a :class:`~siteopt.solvers.search.Start`, the ``next_start`` of a similar
    instance's outcome) speeds up the search path; the other paths ignore it. It never
    changes the optimal value.

    The direct and Benders paths build inside the solver call, so their build time counts in
    ``solve`` and ``build`` is 0.

    Under ``auto``, a search that needs more than :func:`auto_work_limit` hands the instance
    to HiGHS.

    With ``runner_up``, the best portfolio below the optimum is proven too (one more full
    solve when nothing ties); without, the extra solves only look for ties (each pruned at
    the optimum's value, so cheap). ``settings.time_limit_s`` covers all of them: the solves
    after the first get what is left (ties and runner-up are then reported unsettled).

    Without ``settle_ties`` only the first solve runs: its proven optimum is one of the tied
    ones, not necessarily the one the documented order picks (for callers that need the
    optimal value alone, such as each draw of the robust comparison). Asking for the
    runner-up as well raises ValueError.

    A stop signal (Ctrl-C, SIGTERM) stops the solver, and then raises ``KeyboardInterrupt``:
    an analysis has no use for one interrupted solve among many. Within
    :func:`siteopt.interrupt.best_so_far` (``siteopt solve``) the solve instead returns its
    best portfolio so far, status ``interrupted``.

    Returns
    -------
    outcome : SolverOutcome
        The optimum the documented order picks among ties, with its runner-up (with
        ``settle_ties`` off: the first proven optimum, ``ties_settled`` False).
    method : str
        The path that gave the answer (``pulp``, ``direct``, ``benders`` or ``search``).
    """
    if runner_up and not settle_ties:
        raise ValueError("the runner-up is found while settling ties")
    method = choose_method(instance, settings)
    began = time.perf_counter()
    with deferred():   # Ctrl-C stops the solver, which returns its best portfolio
        outcome, method = _solve_once(instance, settings, timings, method, start,
                                      runner_up=runner_up)
        build = timings.get("build", 0.0)
        if settle_ties:
            outcome = _settled(instance, settings, timings, method, outcome, began, runner_up)
    after_solve()
    timings["build"], timings["solve"] = build, outcome.seconds
    return outcome, method


def _settled(instance, settings: Solver, timings: dict[str, float], method: str, outcome,
             began: float, runner_up: bool):
    """``outcome``, the first solve on ``method`` (begun at ``began``, ``time.perf_counter``
    seconds), with its ties settled and runner-up found by further solves on the same path
    (:func:`~siteopt.solvers.ties.settle`), all within ``settings.time_limit_s``."""
    from siteopt.solvers.radius import applies, farthest_km
    from siteopt.solvers.ties import neighbour_start, settle

    # a solve with exclusions cannot bring every place nearer than the optimum does
    farthest = (farthest_km(instance.access, outcome.selected)
                if outcome.status == Status.OPTIMAL and applies(instance) else None)

    def again(excluded):
        # a start helps HiGHS, not the search, nor the radii's feasibility solves
        starts = method != "search" and not applies(excluded)
        incumbent = neighbour_start(excluded, outcome.gigafactories) if starts else None
        # the time limit covers every solve: a tie solve past it leaves ties unsettled
        left = settings.time_limit_s - (time.perf_counter() - began)
        try:
            return _solve_once(excluded, dataclasses.replace(settings, time_limit_s=max(
                left, 0.01)), timings, method, outcome.next_start, incumbent,
                farthest)[0]
        except TimeLimitError:
            return no_solution(Status.TIME_LIMIT, len(instance.site_ids), max(left, 0.0),
                               outcome.solver)

    return settle(instance, outcome, again, runner_up,
                  floor_helps=method == "search" or applies(instance))


def solve_fewest(instance, settings: Solver, timings: dict[str, float],
                 runner_up: bool = False):
    """The set-covering question: the fewest gigafactories that keep every rule and limit,
    then the best portfolio of that many (``access.fewest_gigafactories``).

    Counts 1, 2, ... are tried in turn; each count below the answer's is proven infeasible by
    a full solve, so the count is the least one. The model file may not weight the terms
    scaled by p (grid, spread, clean, green) with it (:func:`siteopt.config.check_consistency`).

    Returns
    -------
    outcome : SolverOutcome
        The best portfolio of the least count (or the infeasible outcome at the largest).
    method : str
    count : int
        The least count (0 when none is feasible).
    """
    for count in range(1, instance.max_gigafactories + 1):
        limited = _with_count(instance, count)
        outcome, method = solve_instance(limited, settings, timings, runner_up=runner_up)
        if outcome.status != Status.INFEASIBLE:
            return outcome, method, count
    return outcome, method, 0


def trusted(instance, settings: Solver, outcome):
    """``outcome`` of ``instance`` when it holds a portfolio that keeps every rule, checked
    from the definitions (:meth:`~siteopt.model.SelectionInstance.violations`).

    Raises
    ------
    InfeasibleError
        No portfolio keeps the rules; the message names the conflicting limits.
    SolverError
        The solver failed without a portfolio, or returned one that breaks a rule.
    """
    if outcome.status == Status.INFEASIBLE:
        from siteopt.solvers.infeasibility import conflict_message

        raise InfeasibleError(conflict_message(instance, settings))
    if outcome.status == Status.ERROR:
        raise SolverError(f"{settings.name} failed without a solution")
    broken = instance.violations(outcome.gigafactories)
    if broken:
        raise SolverError(f"{settings.name} returned a selection that breaks "
                          f"{', '.join(broken)}; the solution cannot be trusted")
    return outcome


def _with_count(instance, count: int):
    """``instance`` with at most ``count`` gigafactories (the candidates are enumerated
    again: their bound on the count is part of them)."""
    return dataclasses.replace(instance, max_gigafactories=count)


def _solve_once(instance, settings: Solver, timings: dict[str, float], method: str, start,
                incumbent=None, at_least_km: float | None = None, runner_up: bool = False):
    """One solve on ``method`` (a search past its work limit goes to HiGHS); ``incumbent`` is
    a feasible portfolio the HiGHS paths start from. With the worst-served term, every path
    adds the points a few at a time (:mod:`~siteopt.solvers.worst`). ``at_least_km``: the
    farthest place of the optimum of the same question without ``instance``'s exclusions
    (km; no portfolio of ``instance`` brings every place nearer), where the search over radii
    starts. ``runner_up``: the search proves the runner-up in the same run where it can
    (:func:`~siteopt.solvers.search.run_search`)."""
    from siteopt.solvers import radius
    from siteopt.solvers.worst import needs_points, solve_adding_points

    if method in ("direct", "benders") and radius.applies(instance):
        return radius.solve_by_radius(instance, settings, lambda limited, within: _solve_path(
            limited, within, timings, "direct", start)[0], at_least_km), method
    if needs_points(instance):
        methods = []

        def one(restricted, limited, previous):
            # a round starts from the previous round's answer, feasible for it too
            outcome, used = _solve_path(
                restricted, limited, timings, method,
                start if previous is None else previous.next_start,
                incumbent if previous is None else previous.gigafactories, runner_up)
            methods.append(used)
            return outcome

        return solve_adding_points(instance, settings, one), methods[-1]
    return _solve_path(instance, settings, timings, method, start, incumbent, runner_up)


def _solve_path(instance, settings: Solver, timings: dict[str, float], method: str, start,
                incumbent=None, runner_up: bool = False):
    """One solve on ``method`` (see :func:`_solve_once`), its answer within the budget, the
    total power limit and ``access.min_country_share``.

    HiGHS and CBC keep a row to within their feasibility tolerance (about 1e-7 of it, EUR
    2,000 at EUR 20 bn). Whole capex and power values leave no portfolio that close to a
    limit (:attr:`~siteopt.model.SelectionInstance.budget_row_eur`); with others (a draw's
    capex times its factor), and for ``access.min_country_share`` (a share), an answer may
    break it by that much (:meth:`~siteopt.model.SelectionInstance.broken_by_tolerance`).
    That set of member sites is then excluded and the model solved again, within what is
    left of the time limit, until the answer keeps every rule (Benders' master cuts such
    answers off itself).
    """
    spent = 0.0   # s, the solves' own clocks
    for round_ in itertools.count():
        outcome, used = _solve_path_once(instance, settings, timings, method, start, incumbent,
                                         runner_up)
        spent += outcome.seconds
        if (used == "search" or not outcome.gigafactories   # the search compares exactly
                or not instance.broken_by_tolerance(outcome.gigafactories)):
            if round_:
                outcome = dataclasses.replace(outcome, seconds=spent)
            return outcome, used
        left = settings.time_limit_s - outcome.seconds
        if left <= 0:
            return no_solution(Status.TIME_LIMIT, len(instance.site_ids), spent,
                               outcome.solver), used
        instance = instance.excluding([np.flatnonzero(outcome.selected)],
                                      instance.objective_floor)
        settings = dataclasses.replace(settings, time_limit_s=left)
        incumbent = None


def _solve_path_once(instance, settings: Solver, timings: dict[str, float], method: str,
                     start, incumbent=None, runner_up: bool = False):
    """One solve on ``method``, as the solver returns it."""
    if method == "search":
        from siteopt.solvers.search import solve_search

        timings["build"] = 0.0
        limit = auto_work_limit(instance) if settings.method == "auto" else math.inf
        outcome = solve_search(instance, settings, start=start, work_limit=limit,
                               runner_up=runner_up)
        if outcome is not None:
            return outcome, method
        method = highs_method(instance)
    if method == "pulp":
        from siteopt.model.formulation import build_model
        from siteopt.solvers.via_pulp import solve_model

        start = time.perf_counter()
        built = build_model(instance)
        timings["build"] = time.perf_counter() - start
        return solve_model(built, instance, settings), method
    timings["build"] = 0.0
    if method == "direct":
        from siteopt.solvers.direct import solve_direct

        return solve_direct(instance, settings, incumbent), method
    from siteopt.solvers.benders import solve_benders

    return solve_benders(instance, settings, incumbent), method
