r"""Benders decomposition for large instances (many demand points), on HiGHS.

The coverage part of the objective, :math:`f(y) = \sum_g a_g \min(1, \sum_{s \in N_g} y_s)`,
is replaced in a small master problem by one variable :math:`\theta` and cuts that bound it
from above. For any point :math:`\hat y \in [0, 1]^S`, with :math:`G^+` the groups that
:math:`\hat y` covers fully (:math:`\sum_{s \in N_g} \hat y_s \ge 1`),

.. math::

    \theta \le \sum_{g \in G^+} a_g + \sum_s y_s \sum_{g \notin G^+,\, s \in N_g} a_g

holds for every feasible :math:`y` (because :math:`z_g \le 1` and
:math:`z_g \le \sum_{s \in N_g} y_s`), and is tight at :math:`\hat y`. These are the
aggregated Benders cuts of Cordeau, Furini and Ljubic (2019) for maximal covering. The master
keeps the candidate gigafactories, the sites, countries and letters and every other row of
:mod:`siteopt.model`, so it has no column or row per demand group.

The loop: cut the LP relaxation until it stops improving (cheap, fractional points), then solve
the master MIP from the best portfolio known, evaluate the true objective at its answer and at
every other integer solution HiGHS found on the way, add the cut at each whose theta overstates
its coverage, and repeat until the master's bound and the best true objective meet (proven
optimal) or the time runs out (``time_limit`` with the gap between them).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from siteopt.config import Solver
from siteopt.errors import SolverError
from siteopt.incidence import Incidence
from siteopt.model import TERMS, SelectionInstance, site_objective
from siteopt.solvers.direct import integer_columns, layout, load_highs
from siteopt.solvers.highs import new_highs
from siteopt.solvers.outcome import (
    SolverOutcome,
    Status,
    finish,
    no_solution,
    portfolio,
    relative_gap,
)

#: Relative tolerance at which the master's theta counts as equal to the true coverage.
CUT_TOLERANCE = 1e-9
#: Beyond this many conflict rows (cliques) the master is solved without HiGHS's presolve.
MASTER_PRESOLVE_MAX_CLIQUES = 10_000
#: Rounds of cuts on the LP relaxation before the MIP phase.
MAX_LP_ROUNDS = 60


class CoverageOracle:
    """Evaluates the covered people :math:`f` and the cut at any point, vectorised over groups.

    The point is over the candidate gigafactories (x) where the instance writes its reach rows
    over candidates (:attr:`~siteopt.model.SelectionInstance.candidate_reach`): a cut over
    candidates counts a multi-site gigafactory once per group, which makes it tighter than the
    same cut over the sites (y). Elsewhere (many candidates per group: measured slower) the
    point is over the sites. For an integer portfolio both give the same people.
    """

    def __init__(self, instance: SelectionInstance):
        over_candidates = instance.candidate_reach
        self.on_candidates = over_candidates is not None
        self.incidence = (Incidence(over_candidates, len(instance.candidates))
                          if self.on_candidates else instance.group_incidence)
        self.population = np.asarray(instance.group_population, float)
        self.population_per_column = self.incidence.per_column(self.population)

    def value(self, point: np.ndarray) -> float:
        """People covered by a (possibly fractional) point: :math:`f`."""
        return float(self.population @ np.minimum(self.incidence.reach(point), 1.0))

    def cut(self, point: np.ndarray) -> tuple[float, np.ndarray]:
        """The cut at ``point``: constant and per-column coefficients (people).

        A column's coefficient is the people of its groups that ``point`` does not cover
        fully, exactly 0 where it has none. It is summed over those open groups, or, where the
        fully covered groups hold fewer pairs, as the column's whole population less theirs:
        a cut reads at most half of the pairs (at 5,000 sites x 500,000 points, 249 million).
        """
        full = self.incidence.reach(point) >= 1.0 - 1e-9
        constant = float(self.population[full].sum())
        pairs = self.incidence.lengths
        if pairs[full].sum() >= pairs[~full].sum():
            open_rows = np.flatnonzero(~full)
            open_groups, coefficients = self.incidence.per_column_of_rows(
                open_rows, self.population[open_rows])
        else:
            full_rows = np.flatnonzero(full)
            full_groups, covered = self.incidence.per_column_of_rows(
                full_rows, self.population[full_rows])
            open_groups = self.incidence.column_lengths - full_groups
            coefficients = np.maximum(self.population_per_column - covered, 0.0)
        return constant, np.where(open_groups > 0, coefficients, 0.0)


def solve_benders(instance: SelectionInstance, settings: Solver) -> SolverOutcome:
    """Solve the model of :mod:`siteopt.model` by Benders decomposition.

    The master holds every column and row of the model except the demand groups and their
    reach rows: candidate gigafactories, sites, countries and letters, plus :math:`\\theta`.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        ``time_limit_s`` (s) for the whole loop and ``mip_gap`` (relative).
    """
    import highspy

    began = time.perf_counter()
    deadline = began + settings.time_limit_s
    n_sites = len(instance.site_ids)
    w = instance.weights
    # theta is the covered share of the population (0..1), so its cost is w_C and the cut
    # coefficients are shares: people / A would give costs near 1e-9, which HiGHS treats as 0
    people = instance.total_population if instance.total_population > 0 else 1.0
    oracle = CoverageOracle(instance)
    cols = layout(instance, reach=False)
    theta = cols.width

    # every master MIP is solved to a zero gap; settings.mip_gap applies to the whole loop
    highs = new_highs(dataclasses.replace(settings, mip_gap=0.0))
    highs.setOptionValue("presolve", master_presolve(instance))
    load_highs(highs, instance, reach=False, extra_columns=(np.array([w.coverage]),
                                                            np.zeros(1), np.ones(1)))
    inf = highspy.kHighsInf
    n_candidates = cols.n_candidates
    integer = integer_columns(instance, reach=False)
    if len(integer):  # phase 1 works on the LP relaxation
        highs.changeColsIntegrality(len(integer), integer,
                                    np.full(len(integer), highspy.HighsVarType.kContinuous))

    # the oracle's columns in the master: the candidates (x) or the sites (y)
    first = 0 if oracle.on_candidates else cols.y
    width = n_candidates if oracle.on_candidates else n_sites
    columns = first + np.arange(width)

    def run_until_deadline() -> None:
        highs.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
        highs.run()

    def point_of(solution: np.ndarray) -> np.ndarray:
        return solution[first:first + width]

    def add_cut(point):
        constant, coefficients = oracle.cut(point)
        keep = coefficients > 0
        highs.addRow(-inf, constant / people, int(keep.sum()) + 1,
                     np.r_[theta, columns[keep]].astype(np.int32),
                     np.r_[1.0, -coefficients[keep] / people])

    def portfolio_point(gigafactories) -> np.ndarray:
        if oracle.on_candidates:
            return _candidate_vector(instance, gigafactories)
        return instance.site_mask(gigafactories).astype(float)

    def true_objective(gigafactories) -> float:
        return instance.objective(instance.evaluate(gigafactories))

    best, best_value = None, -math.inf
    if not instance.required.any():  # no gigafactory at all is a feasible first incumbent
        best, best_value = (), true_objective(())
    add_cut(np.zeros(width) if oracle.on_candidates else instance.required.astype(float))
    start = greedy_portfolio(instance)
    if start is not None and true_objective(start) > best_value:
        best, best_value = start, true_objective(start)   # the first incumbent

    # phase 1: cuts at fractional points of the LP relaxation; every LP optimum is a valid
    # upper bound (the master with valid cuts relaxes the model). Before the first one, every
    # term is at most 1 and cost is subtracted: the sum of the other weights bounds the optimum.
    bound = sum(getattr(w, term) for term in TERMS if term != "cost")
    for _ in range(MAX_LP_ROUNDS):
        if time.perf_counter() > deadline:
            break
        run_until_deadline()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        bound = min(bound, float(highs.getInfo().objective_function_value))
        solution = np.asarray(highs.getSolution().col_value)
        point = point_of(solution)
        if solution[theta] <= oracle.value(point) / people * (1 + CUT_TOLERANCE) + 1e-12:
            break
        add_cut(point)

    # phase 2: the master MIP, cut at each integer answer
    if len(integer):
        highs.changeColsIntegrality(len(integer), integer,
                                    np.full(len(integer), highspy.HighsVarType.kInteger))
    cost = np.asarray(highs.getLp().col_cost_)

    def run_master(start) -> None:
        """Solve the master MIP within the time left, from the portfolio ``start`` (if any).

        HiGHS 1.16 may return the start's columns with the objective of a better optimum (its
        columns then do not add up to it): the MIP is then solved again without the start.
        """
        if start is not None:
            values = master_columns(instance, cols, start,
                                    oracle.value(portfolio_point(start)) / people)
            highs.setSolution(len(values), np.arange(len(values), dtype=np.int32), values)
        run_until_deadline()
        info = highs.getInfo()
        if start is not None and info.primal_solution_status == 2 and not math.isclose(
                cost @ np.asarray(highs.getSolution().col_value),
                info.objective_function_value, rel_tol=1e-9, abs_tol=1e-9):
            highs.clearSolver()
            run_until_deadline()

    status = Status.TIME_LIMIT
    found: list[np.ndarray] = []   # every integer solution HiGHS finds in a master MIP

    def on_solution(event) -> None:
        solution = np.array(event.data_out.mip_solution)
        if len(solution) == theta + 1:   # the master's columns (not a sub-MIP's)
            found.append(solution)

    highs.cbMipSolution.subscribe(on_solution)
    while time.perf_counter() < deadline:
        found.clear()
        run_master(best)
        model_status = highs.getModelStatus()
        info = highs.getInfo()
        if model_status == highspy.HighsModelStatus.kInfeasible:
            return no_solution(Status.INFEASIBLE, n_sites, time.perf_counter() - began, "highs")
        # every integer solution of this master, the answer last: keep the best true
        # objective, and cut where theta overstates the coverage
        solutions = found + ([np.asarray(highs.getSolution().col_value)]
                             if info.primal_solution_status == 2 else [])
        overstated = {}
        for solution in solutions:
            gigafactories = portfolio(instance, solution)
            if gigafactories in overstated:
                continue
            point = portfolio_point(gigafactories)
            covered = oracle.value(point) / people
            if solution[theta] > covered * (1 + CUT_TOLERANCE) + 1e-12:
                overstated[gigafactories] = point
            value = true_objective(gigafactories)
            if value > best_value and not instance.violations(gigafactories):
                best, best_value = gigafactories, value
        if model_status == highspy.HighsModelStatus.kOptimal:
            bound = min(bound, float(info.objective_function_value))
            if relative_gap(best_value, bound) <= max(settings.mip_gap, CUT_TOLERANCE):
                status = Status.OPTIMAL
                break
            for cut_point in list(overstated.values()) or [point]:   # at least at the answer
                add_cut(cut_point)
        else:  # stopped by the time limit inside the master
            bound = min(bound, float(info.mip_dual_bound))
            break
    seconds = time.perf_counter() - began
    if best is None:
        raise SolverError(f"HiGHS stopped at the time limit of {settings.time_limit_s:g} s "
                          f"without finding a solution; raise solver.time_limit_s")
    if status == Status.OPTIMAL:
        bound = max(bound, best_value)
    return finish(instance, status, best, best_value, bound, settings, seconds, "highs")


def master_presolve(instance: SelectionInstance) -> str:
    """HiGHS presolve for the master: ``"on"`` where consolidation adds a moderate number of
    conflict rows (:attr:`~siteopt.model.SelectionInstance.conflict_cliques`), else ``"off"``.

    Measured on generated instances of the full default model: 1.7-2x faster with it at
    200-1,000 sites, and at 3,000 sites (5,307 clique rows) 55 s per master MIP against 100 s
    off; at 5,000 sites (15,936 rows) a 200 s run ends with a gap of 0.27 % off against
    6.7 % on. Off where every gigafactory is one site (the master is the sites, a few limit
    rows and the cuts; at 500 sites x 20,000 points, coverage only, Benders takes 0.4 s with
    it off against 1.1 s on).
    """
    if instance.max_members == 1:
        return "off"
    return "on" if len(instance.conflict_cliques) <= MASTER_PRESOLVE_MAX_CLIQUES else "off"


def greedy_portfolio(instance: SelectionInstance):
    """A good feasible portfolio to start from: one-site gigafactories added one at a time,
    each time the site whose own terms, new member state and newly covered people weigh most
    among those that keep every rule (:meth:`SelectionInstance.violations`), while the
    objective rises.

    Returns
    -------
    tuple of tuple of int, or None
        None when a site is required (the greedy would not respect it).
    """
    if instance.required.any():
        return None
    w = instance.weights
    people = instance.total_population if instance.total_population > 0 else 1.0
    incidence = instance.group_incidence
    own = site_objective(instance)
    per_state = w.spread / instance.max_gigafactories
    uncovered = np.ones(len(instance.group_population))
    chosen: list[tuple[int, ...]] = []
    value = instance.objective(instance.evaluate(chosen))
    while len(chosen) < instance.max_gigafactories:
        states = {instance.site_country[g[0]] for g in chosen}
        gain = (own + w.coverage * incidence.per_column(instance.group_population * uncovered)
                / people
                + np.array([0.0 if c in states else per_state for c in instance.site_country]))
        gain[~instance.eligible | instance.site_mask(chosen)] = -np.inf
        site = _best_feasible_site(instance, chosen, gain)
        if site is None:
            break
        trial = chosen + [(site,)]
        trial_value = instance.objective(instance.evaluate(trial))
        if trial_value <= value:
            break
        chosen, value = trial, trial_value
        uncovered[incidence.rows_of(np.array([site]))] = 0.0
    return tuple(sorted(chosen))   # in site order, as every solver path returns a portfolio


def _best_feasible_site(instance: SelectionInstance, chosen, gain: np.ndarray) -> int | None:
    """The site of highest ``gain`` that, as a gigafactory of its own, keeps every rule."""
    for site in np.argsort(-gain, kind="stable"):
        if not np.isfinite(gain[site]):
            return None
        if not instance.violations(chosen + [(int(site),)]):
            return int(site)
    return None


def master_columns(instance: SelectionInstance, cols, gigafactories, theta: float) -> np.ndarray:
    """The master's columns at a portfolio, with ``theta`` (the covered share) last: a
    feasible start for the master MIP.

    Columns x (candidates) or, in the compact form, y and the bids u; a member state is
    counted (u) for each of the first p states the portfolio uses; a letter has a home (h)
    where one of its home sites is a member.
    """
    mask = instance.site_mask(gigafactories)
    values = np.zeros(cols.width + 1)
    if not instance.compact:
        values[:cols.n_candidates] = _candidate_vector(instance, gigafactories)
    values[cols.y:cols.y + cols.n_sites] = mask
    states = sorted({instance.site_country[s] for s in np.flatnonzero(mask)},
                    key=instance.countries.index)[:instance.max_gigafactories]
    values[[cols.u + instance.countries.index(c) for c in states]] = 1.0
    values[cols.h:cols.width] = [float(mask[homes].any()) for homes in instance.letter_homes]
    values[cols.width] = theta
    return values


def _candidate_vector(instance, gigafactories) -> np.ndarray:
    """x for a portfolio: 1 at each of its gigafactories' candidate index."""
    candidates = instance.candidates
    x = np.zeros(len(candidates))
    x[[candidates.index_of[tuple(g)] for g in gigafactories]] = 1.0
    return x
