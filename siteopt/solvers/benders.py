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

The loop:

1. Cut the LP relaxation until it stops improving (fractional points).
2. Fix the columns that no portfolio better than the greedy start can use (reduced-cost fixing
   at the last LP's duals, :mod:`siteopt.solvers.fixing`).
3. With consolidation, find a better portfolio in the kernel: the master restricted to the
   free sites (or candidates) of best reduced cost, solved to its own optimum. Fix again with
   it: at 5,000 sites x 500,000 points, 4,389 free sites become 726.
4. Solve the master MIP from the best portfolio known, evaluate the true objective at its answer
   and at every other integer solution HiGHS found on the way, add the cut at each whose theta
   overstates its coverage, and repeat until the master's bound and the best true objective
   meet (proven optimal) or the time runs out (``time_limit`` with the gap between them).

A cut needs coefficients only on the columns not fixed at 0, which makes it cheaper once
most are fixed.

With level rows (the latency term A, gradual coverage: the radius formulation of
:mod:`siteopt.model.access_rows`) the rows are split into regions, each with its own theta and
cuts (:func:`cut_blocks`); restricted to one point's levels the cut is the p-median cut of
García, Labbé and Marín (2011), :math:`\min(n_d, D) \ge r - \sum_s (r - c_{ds})^+ y_s`.
Such a master's objective is scaled before its MIP phase (:meth:`_Master.scale_objective`).
Where the level rows are too many to build (``levels_as_cuts``), the same regions' cuts come
from the distances (:class:`JointOracle`, :mod:`siteopt.solvers.distance_cuts`).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from siteopt.config import Solver
from siteopt.errors import TimeLimitError
from siteopt.geometry import grid_cells
from siteopt.incidence import Incidence
from siteopt.interrupt import stop_requested
from siteopt.model import TERMS, SelectionInstance, site_objective
from siteopt.model.selection import GROWING_RULES
from siteopt.solvers.direct import integer_columns, layout, load_highs
from siteopt.solvers.distance_cuts import DistanceOracle
from siteopt.solvers.fixing import fixable, lagrangian_bound
from siteopt.solvers.highs import new_highs, objective_overstated, run_highs
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
#: The kernel (:meth:`_Master.solve_kernel`): this share of the free columns, at least
#: :data:`KERNEL_MIN_COLUMNS` of them. At 5,000 x 500,000 a share of 0.025 or 0.05 missed one
#: site of the optimum (Benders 69-90 s), 0.1 and 0.2 found it (49-66 s and 54 s); at
#: 1,000 x 100,000, 0.05 to 0.2 take 8-13 s, within the noise of this machine.
KERNEL_SHARE = 0.1
KERNEL_MIN_COLUMNS = 50
#: The most :meth:`_Master.scale_objective` multiplies the master's objective by.
MAX_OBJECTIVE_SCALE = 1e4
#: Level rows get one theta per populated point up to this many points, else one per cell of
#: a grid of about this many cells (:func:`cut_blocks`). p-median at 200 sites x 5,000 towns
#: (two solves: optimum and ties): one theta for all, no proof in 60 s; a theta per town
#: 176 s; grids of 16, 36, 64, 100, 225 and 1,000 cells 12.5, 10.3, 9.8, 10.4, 12.7 and 25 s.
MAX_CUT_BLOCKS = 64


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
        self.population = instance.group_weights()   # objective points, not people
        self.population_per_column = self.incidence.per_column(self.population)
        self.block = cut_blocks(instance)
        self.block_population = np.bincount(self.block, weights=self.population, minlength=1)
        self.n_blocks = len(self.block_population)

    def values(self, point: np.ndarray) -> np.ndarray:
        """Per block, the points covered at a (possibly fractional) ``point``."""
        covered = self.population * np.minimum(self.incidence.reach(point), 1.0)
        return np.bincount(self.block, weights=covered, minlength=self.n_blocks)

    def cuts(self, point: np.ndarray, blocks: np.ndarray, over: np.ndarray | None = None
             ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The cut of each of ``blocks`` at ``point`` (see :meth:`cut`).

        Returns
        -------
        constants : ndarray
            Per block of ``blocks``, its fully covered points.
        coefficients : (position, column, value)
            The non-zero coefficients: position into ``blocks``, oracle column, points.
        """
        if self.n_blocks == 1:
            constant, coefficients = self.cut(point, over)
            column = np.flatnonzero(coefficients)
            return (np.array([constant]),
                    (np.zeros(len(column), np.int64), column, coefficients[column]))
        position = np.full(self.n_blocks, -1)
        position[blocks] = np.arange(len(blocks))
        full = self.incidence.reach(point) >= 1.0 - 1e-9
        wanted = position[self.block] >= 0
        constants = np.bincount(position[self.block[full & wanted]],
                                weights=self.population[full & wanted], minlength=len(blocks))
        rows = np.flatnonzero(~full & wanted & (self.population > 0))
        at, column, total = self.incidence.per_block_and_column(
            rows, self.population[rows], position[self.block[rows]])
        if over is not None:
            keep = np.isin(column, over)
            at, column, total = at[keep], column[keep], total[keep]
        return constants, (at, column, total)

    def cut(self, point: np.ndarray, over: np.ndarray | None = None
            ) -> tuple[float, np.ndarray]:
        """The cut at ``point``: constant and per-column coefficients (people).

        A column's coefficient is the people of its groups that ``point`` does not cover
        fully, exactly 0 where it has none. It is read the cheapest of three ways: summed over
        the open groups; as the column's whole population less that of its fully covered
        groups; or, where only the columns ``over`` need one (the others fixed at 0; their
        coefficient is then 0), over those columns' groups. At 5,000 sites x 500,000 points a cut
        over all columns reads at most half of the 249 million pairs.
        """
        full = self.incidence.reach(point) >= 1.0 - 1e-9
        constant = float(self.population[full].sum())
        pairs = self.incidence.lengths
        open_pairs, full_pairs = int(pairs[~full].sum()), int(pairs[full].sum())
        over_pairs = (int(self.incidence.column_lengths[over].sum()) if over is not None
                      else math.inf)
        if over_pairs < min(open_pairs, full_pairs):
            coefficients = np.zeros(self.incidence.shape[1])
            coefficients[over] = self.incidence.per_given_column(
                over, np.where(full, 0.0, self.population))
            return constant, coefficients
        if full_pairs >= open_pairs:
            open_rows = np.flatnonzero(~full)
            open_groups, coefficients = self.incidence.per_column_of_rows(
                open_rows, self.population[open_rows])
        else:
            full_rows = np.flatnonzero(full)
            full_groups, covered = self.incidence.per_column_of_rows(
                full_rows, self.population[full_rows])
            open_groups = self.incidence.column_lengths - full_groups
            coefficients = np.maximum(self.population_per_column - covered, 0.0)
        coefficients = np.where(open_groups > 0, coefficients, 0.0)
        if over is not None:
            coefficients[np.setdiff1d(np.arange(len(coefficients)), over)] = 0.0
        return constant, coefficients


class JointOracle:
    """The coverage groups' oracle (:class:`CoverageOracle`, over the sites) and the
    latency term and gradual coverage cut from distances
    (:class:`~siteopt.solvers.distance_cuts.DistanceOracle`), as one: the coverage blocks
    first, then the distance oracle's regions."""

    on_candidates = False

    def __init__(self, instance: SelectionInstance):
        self.coverage = CoverageOracle(instance)
        self.distance = DistanceOracle(instance, int(math.sqrt(MAX_CUT_BLOCKS)))
        self.first_distance = self.coverage.n_blocks
        self.n_blocks = self.coverage.n_blocks + self.distance.n_blocks
        self.block_population = np.r_[self.coverage.block_population,
                                      self.distance.block_population]

    def values(self, point: np.ndarray) -> np.ndarray:
        """Per block, the objective points at ``point``."""
        return np.r_[self.coverage.values(point), self.distance.values(point)]

    def cuts(self, point: np.ndarray, blocks: np.ndarray, over: np.ndarray | None = None):
        """The cut of each of ``blocks`` (ascending) at ``point`` (see
        :meth:`CoverageOracle.cuts`)."""
        blocks = np.asarray(blocks)
        own = blocks[blocks < self.first_distance]
        constants, (at, column, value) = self.coverage.cuts(point, own, over) if len(own) \
            else (np.zeros(0), (np.zeros(0, np.int64),) * 2 + (np.zeros(0),))
        regions = blocks[blocks >= self.first_distance] - self.first_distance
        if not len(regions):
            return constants, (at, column, value)
        more, (at_more, column_more, value_more) = self.distance.cuts(point, regions, over)
        return np.r_[constants, more], (np.r_[at, at_more + len(own)],
                                        np.r_[column, column_more], np.r_[value, value_more])


def make_oracle(instance: SelectionInstance):
    """The cut oracle of ``instance``: :class:`JointOracle` where its latency term or gradual
    coverage is cut from distances, else :class:`CoverageOracle`."""
    return JointOracle(instance) if instance.levels_as_cuts else CoverageOracle(instance)


def cut_blocks(instance: SelectionInstance) -> np.ndarray:
    """Per row of the cut oracle, the theta that bounds it: 0 for the coverage groups; with
    level rows (latency, gradual coverage) one more theta per populated point that stands for
    some (the multi-cut Benders of García, Labbé and Marín 2011 for the p-median) or, beyond
    :data:`MAX_CUT_BLOCKS` such points, per cell of a grid over their latitudes and
    longitudes (nearby points have their levels at the same sites).

    Any partition of the rows gives valid cuts: each theta bounds its own rows' points. A
    theta per region keeps the cut of one region from lending its slack to another, which one
    theta for all points does not; a theta per point makes each LP of the master slow.
    """
    levels = instance.level_rows   # (never with reach rows over candidates)
    block = np.zeros(len(instance.group_sites), np.int64)
    if levels is None:
        return block
    data = instance.access
    standing, region = np.unique(levels.point, return_inverse=True)
    if len(standing) > MAX_CUT_BLOCKS:
        points = data.populated[levels.point]
        side = int(math.sqrt(MAX_CUT_BLOCKS))
        row, column = grid_cells(np.asarray(data.point_lat)[points],
                                 np.asarray(data.point_lon)[points], side)
        region = np.unique(row * side + column, return_inverse=True)[1]
    block[data.level_offset:] = 1 + region.ravel()
    return block


def solve_benders(instance: SelectionInstance, settings: Solver,
                  incumbent=None) -> SolverOutcome:
    """Solve the model of :mod:`siteopt.model` by Benders decomposition.

    The master holds every column and row of the model except the demand groups and their
    reach rows: candidate gigafactories, sites, countries and letters, plus :math:`\\theta`.
    Between the LP phase and the MIP phase, reduced-cost fixing (:mod:`~siteopt.solvers.fixing`)
    removes the columns no better portfolio can use, first with the greedy start, then with
    the best portfolio among the kernel: the columns of best reduced cost.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        ``time_limit_s`` (s) for the whole loop and ``mip_gap`` (relative).
    incumbent : portfolio, optional
        A feasible portfolio to start from (gigafactories as site indices).
    """
    master = _Master(instance, settings)
    if incumbent is not None:
        master.offer(tuple(incumbent))
    master.cut_relaxation()
    if len(master.integer):
        master.make_integer()
        master.fix_columns()
        points = master.solve_kernel()
        master.fix_columns()
        for point in points:   # the kernel's cuts again, now on every free column
            master.add_cut(point)
    master.scale_objective()
    status, _ = master.branch_and_cut()
    seconds = time.perf_counter() - master.began
    if status == Status.INFEASIBLE:
        return no_solution(status, len(instance.site_ids), seconds, "highs")
    if master.best is None and status == Status.INTERRUPTED:
        raise KeyboardInterrupt   # nothing to report: stop as any interrupted command
    if master.best is None:
        raise TimeLimitError(f"HiGHS stopped at the time limit of {settings.time_limit_s:g} s "
                             f"without finding a solution; raise solver.time_limit_s")
    return finish(instance, status, master.best, master.best_value,
                  max(master.bound, master.best_value), settings, seconds, "highs")


class _Master:
    """The Benders master in HiGHS, its cut oracle and the best portfolio known.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
    """

    def __init__(self, instance: SelectionInstance, settings: Solver):
        import highspy

        self.began = time.perf_counter()
        self.deadline = self.began + settings.time_limit_s
        self.instance, self.settings = instance, settings
        w = instance.weights
        self.oracle = make_oracle(instance)
        # each theta is the covered share (0..1) of its block's objective points (coverage
        # and latency; :func:`cut_blocks`), so its cost is their sum and the cut coefficients
        # are shares: points per person would give costs near 1e-9, which HiGHS treats as 0
        points = self.oracle.block_population
        self.scale = np.where(points > 0, points, 1.0)
        self.cols = cols = layout(instance, reach=False)
        self.theta = cols.width   # the first theta; one per block
        self.n_theta = self.oracle.n_blocks
        self.blocks = np.flatnonzero(points > 0) if points.any() else np.arange(1)
        # every master MIP is solved to a zero gap; settings.mip_gap applies to the whole loop
        self.highs = new_highs(dataclasses.replace(settings, mip_gap=0.0))
        self.inf = highspy.kHighsInf
        self.highs.setOptionValue("presolve", master_presolve(instance, instance.eligible))
        load_highs(self.highs, instance, reach=False,
                   extra_columns=(points, np.zeros(self.n_theta), np.ones(self.n_theta)))
        self.objective_scale = 1.0   # HiGHS's objective over the model's (scale_objective)
        self.integer = integer_columns(instance, reach=False)
        if len(self.integer):  # the LP phase works on the relaxation
            self._set_integrality(highspy.HighsVarType.kContinuous)
        # the oracle's columns in the master: the candidates (x) or the sites (y)
        self.first = 0 if self.oracle.on_candidates else cols.y
        self.width = cols.n_candidates if self.oracle.on_candidates else cols.n_sites
        self.columns = self.first + np.arange(self.width)
        self.free = np.arange(self.width)   # the oracle's columns not fixed at 0
        self.duals = np.zeros(0)   # row duals of the last LP relaxation solved to optimality
        self.found: list[np.ndarray] = []   # every integer solution of the current master MIP
        self.highs.cbMipSolution.subscribe(self._on_solution)

        self.best, self.best_value = None, -math.inf
        self.offered: set[tuple] = set()
        if not instance.required.any():  # no gigafactory at all is a feasible first incumbent
            self.offer(())
        start = greedy_portfolio(instance, self.oracle.distance.gains
                                 if instance.levels_as_cuts else None)
        if start is not None:
            self.offer(start)
        # the first cuts: at the required sites; with a theta per region at the greedy
        # portfolio instead (a place's cut then holds only the sites nearer than its
        # nearest member; at no site it would hold them all)
        self.add_cut(self.portfolio_point(start) if start is not None and self.n_theta > 1
                     else np.zeros(self.width) if self.oracle.on_candidates
                     else instance.required.astype(float))
        # before any LP: every term is at most 1 and cost is subtracted, so the sum of the
        # other weights bounds the optimum
        self.bound = sum(getattr(w, term) for term in TERMS if term != "cost")

    # -- the pieces of the loop ---------------------------------------------------------------

    def run(self) -> None:
        """Run HiGHS within the time left."""
        self.highs.setOptionValue("time_limit", max(self.deadline - time.perf_counter(), 0.01))
        run_highs(self.highs)

    def add_cut(self, point: np.ndarray, over=None, blocks=None) -> None:
        """Add the cut of each of ``blocks`` (by default every block with points) at
        ``point``, with coefficients on the oracle's columns ``over`` (by default the free
        ones; the others must be fixed at 0 while the cut stays)."""
        blocks = self.blocks if blocks is None else blocks
        constants, (at, column, value) = self.oracle.cuts(point, blocks, self.free
                                                          if over is None else over)
        keep = value > 0
        at, column, value = at[keep], column[keep], value[keep]
        scale = self.scale[blocks]
        # row b: theta_b - sum_s (value / scale) y_s <= constant / scale, theta first
        length = np.bincount(at, minlength=len(blocks)) + 1
        starts = np.cumsum(length) - length
        index = np.empty(int(length.sum()), np.int32)
        entries = np.empty(len(index))
        index[starts], entries[starts] = self.theta + blocks, 1.0
        position = np.arange(len(at)) + at + 1   # at is sorted: blocks in order
        index[position], entries[position] = self.columns[column], -value / scale[at]
        self.highs.addRows(len(blocks), np.full(len(blocks), -self.inf), constants / scale,
                           len(index), starts.astype(np.int32), index, entries)

    def add_no_good(self, gigafactories, growing: bool) -> None:
        """Cut off a master answer that breaks a rule by HiGHS's feasibility tolerance
        (:meth:`~siteopt.model.SelectionInstance.broken_by_tolerance`). With ``growing``
        (only the budget or total power broken) every answer on all its member sites, S, is
        cut off: the sum of their y is at most |S| - 1 (each further site adds capex and
        power, so no portfolio that keeps the rules is lost); else only answers on exactly
        those sites (the no-good row of :func:`~siteopt.model.exclusion_rows`)."""
        inside = self.instance.site_mask(gigafactories)
        sites = np.flatnonzero(inside)
        others = np.empty(0, np.int64) if growing else np.flatnonzero(~inside)
        columns = (self.cols.y + np.r_[sites, others]).astype(np.int32)
        self.highs.addRow(-self.inf, len(sites) - 1.0, len(columns), columns,
                          np.r_[np.ones(len(sites)), -np.ones(len(others))])

    def overstated(self, solution: np.ndarray, point: np.ndarray) -> np.ndarray:
        """The blocks whose theta in ``solution`` overstates their cover at ``point``."""
        covered = self.oracle.values(point) / self.scale
        theta = solution[self.theta:self.theta + self.n_theta]
        return np.flatnonzero(theta > self._theta_limit(covered))

    def point_of(self, solution: np.ndarray) -> np.ndarray:
        """The oracle's columns of a master solution."""
        return solution[self.first:self.first + self.width]

    def portfolio_point(self, gigafactories) -> np.ndarray:
        """The oracle's columns at a portfolio."""
        if self.oracle.on_candidates:
            return _candidate_vector(self.instance, gigafactories)
        return self.instance.site_mask(gigafactories).astype(float)

    def offer(self, gigafactories) -> None:
        """Keep ``gigafactories`` as the best portfolio if it keeps every rule and its true
        objective is higher than the best known (each portfolio evaluated once)."""
        if gigafactories in self.offered:
            return
        self.offered.add(gigafactories)
        value = self.instance.objective(self.instance.evaluate(gigafactories))
        if value > self.best_value and not self.instance.violations(gigafactories):
            self.best, self.best_value = tuple(gigafactories), value

    def _on_solution(self, event) -> None:
        solution = np.array(event.data_out.mip_solution)
        if len(solution) == self.theta + self.n_theta:   # the master's, not a sub-MIP's
            self.found.append(solution)

    def _choose_presolve(self) -> None:
        """HiGHS presolve for the master as its sites are now (:func:`master_presolve`)."""
        upper = np.asarray(self.highs.getLp().col_upper_)[self.cols.y:self.cols.y
                                                          + self.cols.n_sites]
        self.highs.setOptionValue("presolve", master_presolve(self.instance, upper > 0))

    def _set_integrality(self, kind) -> None:
        self.highs.changeColsIntegrality(len(self.integer), self.integer,
                                         np.full(len(self.integer), kind))

    # -- the phases ---------------------------------------------------------------------------

    def cut_relaxation(self) -> None:
        """Phase 1: cuts at fractional points of the LP relaxation until it stops improving.

        Every LP optimum is a valid upper bound (the master with valid cuts relaxes the
        model); the duals of the last one are kept for reduced-cost fixing.
        """
        import highspy

        for _ in range(MAX_LP_ROUNDS):
            if time.perf_counter() > self.deadline or stop_requested():
                return
            self.run()
            if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return
            self.bound = min(self.bound, float(self.highs.getInfo().objective_function_value))
            solution = self.highs.getSolution()
            self.duals = np.array(solution.row_dual)
            values = np.asarray(solution.col_value)
            point = self.point_of(values)
            blocks = self.overstated(values, point)
            if not len(blocks):
                return
            self.add_cut(point, blocks=blocks)

    @staticmethod
    def _theta_limit(share: float) -> float:
        """The largest theta that does not overstate a covered ``share``."""
        return share * (1 + CUT_TOLERANCE) + 1e-12

    def scale_objective(self) -> None:
        """Before the MIP phase of a many-theta master: scale its objective so that the gap
        between the LP bound and the best portfolio known is about 1 (never down, at most
        :data:`MAX_OBJECTIVE_SCALE`: with 1e6, applied to every master, a fairness example
        never closed its gap within its time limit).

        HiGHS prunes a node whose bound is within its feasibility tolerance (1e-6) of the
        incumbent, in the objective's own units: with a far ``access.reference_km`` the
        latency moves the objective by less between near-optimal portfolios (measured with a
        theta per town, unscaled: the p-median at 200 sites x 5,000 towns with D = 100,000 km
        was "proven" 4e-7 below its optimum).
        """
        gap = self.bound - self.best_value
        if self.n_theta == 1 or self.best is None or not gap > 0:
            return
        self.objective_scale = min(max(1.0, 1.0 / gap), MAX_OBJECTIVE_SCALE)
        lp = self.highs.getLp()
        cost = np.asarray(lp.col_cost_) * self.objective_scale
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        self.highs.changeObjectiveOffset(lp.offset_ * self.objective_scale)

    def make_integer(self) -> None:
        """From the LP phase to the MIP phase."""
        import highspy

        self._set_integrality(highspy.HighsVarType.kInteger)

    def fix_columns(self) -> None:
        """Fix every integer column that no portfolio better than the best known can move
        from its bound (:func:`~siteopt.solvers.fixing.fixable`, at the duals of the last LP
        relaxation)."""
        if self.best is None or not len(self.duals):
            return
        lp = self.highs.getLp()
        at_lower, at_upper = fixable(lp, self.duals, self.integer, self.best_value,
                                     CUT_TOLERANCE * max(1.0, abs(self.best_value)))
        for mask, bounds in ((at_lower, lp.col_lower_), (at_upper, lp.col_upper_)):
            columns = self.integer[mask].astype(np.int32)
            values = np.asarray(bounds)[columns]
            self.highs.changeColsBounds(len(columns), columns, values, values)
        upper = np.asarray(self.highs.getLp().col_upper_)[self.columns]
        self.free = np.flatnonzero(upper > 0)
        self._choose_presolve()

    def solve_kernel(self) -> list[np.ndarray]:
        """A heuristic for a better portfolio before the full MIP phase: the master restricted
        to the kernel (the free oracle columns of best reduced cost, those the best portfolio
        uses and those fixed at 1), solved to its optimum.

        Its cuts have coefficients on the kernel only, so they are removed afterwards; the
        portfolios it finds are kept (their objective is evaluated exactly).

        Returns
        -------
        list of ndarray
            The points it cut at (for cuts on every free column).
        """
        size = max(KERNEL_MIN_COLUMNS, math.ceil(KERNEL_SHARE * len(self.free)))
        if len(self.free) <= 2 * size or self.best is None or self.instance.max_members == 1:
            return []
        lp = self.highs.getLp()
        _, reduced = lagrangian_bound(lp, self.duals)
        upper = np.asarray(lp.col_upper_)
        lower = np.asarray(lp.col_lower_)
        ranked = self.free[np.argsort(-reduced[self.columns[self.free]], kind="stable")]
        in_kernel = np.zeros(self.width, dtype=bool)
        in_kernel[ranked[:size]] = True
        in_kernel |= self.portfolio_point(self.best) > 0
        in_kernel |= lower[self.columns] > 0
        kernel = np.flatnonzero(in_kernel)
        outside = self.columns[self.free[~in_kernel[self.free]]].astype(np.int32)
        rows = self.highs.getNumRow()
        self.highs.changeColsBounds(len(outside), outside, np.zeros(len(outside)),
                                    np.zeros(len(outside)))
        self._choose_presolve()
        _, points = self.branch_and_cut(over=kernel)
        self.highs.deleteRows(self.highs.getNumRow() - rows,
                              np.arange(rows, self.highs.getNumRow(), dtype=np.int32))
        self.highs.changeColsBounds(len(outside), outside, lower[outside], upper[outside])
        self._choose_presolve()
        return points

    def branch_and_cut(self, over=None) -> tuple[Status, list[np.ndarray]]:
        """Phase 2: solve the master MIP from the best portfolio known, evaluate every integer
        solution HiGHS found, cut wherever theta overstates the coverage, and repeat until the
        master's bound meets the best objective (proven optimal) or the time runs out.

        Parameters
        ----------
        over : ndarray of int, optional
            Restrict the master to these oracle columns (the others fixed at 0 by the
            caller): its bound is then not a bound of the model, and its cuts have
            coefficients on these columns only.

        Returns
        -------
        status : Status
        points : list of ndarray
            The points it added cuts at.
        """
        import highspy

        points: list[np.ndarray] = []
        while time.perf_counter() < self.deadline:
            self.found.clear()
            self._run_master()
            model_status = self.highs.getModelStatus()
            info = self.highs.getInfo()
            if model_status == highspy.HighsModelStatus.kInfeasible:
                return Status.INFEASIBLE, points
            solutions = self.found + ([np.asarray(self.highs.getSolution().col_value)]
                                      if info.primal_solution_status == 2 else [])
            overstated = self._take(solutions)
            if stop_requested():   # Ctrl-C: the best portfolio so far, with the bound
                if over is None and model_status != highspy.HighsModelStatus.kOptimal:
                    self.bound = min(self.bound, info.mip_dual_bound / self.objective_scale)
                return Status.INTERRUPTED, points
            if model_status != highspy.HighsModelStatus.kOptimal:   # stopped by the time limit
                if over is None:
                    self.bound = min(self.bound, info.mip_dual_bound / self.objective_scale)
                return Status.TIME_LIMIT, points
            master_bound = info.objective_function_value / self.objective_scale
            if over is None:
                self.bound = min(self.bound, master_bound)
            if relative_gap(self.best_value, master_bound) <= max(self.settings.mip_gap,
                                                                  CUT_TOLERANCE):
                return Status.OPTIMAL, points
            answer = portfolio(self.instance, solutions[-1])
            cuts = list(overstated.values())
            broken = self.instance.broken_by_tolerance(answer)
            if broken:
                self.add_no_good(answer, growing=broken <= GROWING_RULES)
            elif not cuts:
                cuts = [(self.portfolio_point(answer), None)]   # at least at the answer
            for point, blocks in cuts:
                self.add_cut(point, over, blocks)
                points.append(point)
        return Status.TIME_LIMIT, points

    def _run_master(self) -> None:
        """Solve the master MIP within the time left, from the best portfolio known.

        HiGHS 1.16 may return the start's columns with the objective of a better optimum (its
        columns then do not add up to it): the MIP is then solved again without the start.
        """
        start = self.best
        if start is not None:
            values = master_columns(self.instance, self.cols, start,
                                    self.oracle.values(self.portfolio_point(start))
                                    / self.scale)
            columns = np.arange(len(values), dtype=np.int32)
            if self.cols.n_access:   # HiGHS completes the access block's columns
                columns = np.r_[self.integer, self.theta + np.arange(self.n_theta)
                                ].astype(np.int32)
            self.highs.setSolution(len(columns), columns, values[columns])
        self.run()
        if start is not None and objective_overstated(self.highs):
            self.highs.clearSolver()
            self.run()

    def _take(self, solutions) -> dict:
        """Offer every integer solution of a master MIP (the answer last) as the best
        portfolio; return the points of those whose theta overstates their coverage."""
        overstated = {}
        for solution in solutions:
            gigafactories = portfolio(self.instance, solution)
            if gigafactories in overstated:
                continue
            point = self.portfolio_point(gigafactories)
            blocks = self.overstated(solution, point)
            if len(blocks):
                overstated[gigafactories] = (point, blocks)
            self.offer(gigafactories)
        return overstated


def master_presolve(instance: SelectionInstance, free_sites: np.ndarray) -> str:
    """HiGHS presolve for the master: ``"on"`` where consolidation adds a moderate number of
    conflict rows (:attr:`~siteopt.model.SelectionInstance.conflict_cliques`) among the sites
    not fixed at 0 (``free_sites``, a mask), else ``"off"``.

    Measured on generated instances of the full default model: 1.7-2x faster with it at
    200-1,000 sites, and at 3,000 sites (5,307 clique rows) 55 s per master MIP against 100 s
    off; at 5,000 sites (15,936 rows) a 200 s run ends with a gap of 0.27 % off against
    6.7 % on; once reduced-cost fixing leaves 4,389 of them, a kernel of 220 sites is solved
    in 7-8 s per master MIP on against 62-105 s off. Off where every gigafactory is one site
    (the master is the sites, a few limit rows and the cuts; at 500 sites x 20,000 points,
    coverage only, Benders takes 0.4 s with it off against 1.1 s on).
    """
    if instance.max_members == 1:
        return "off"
    free = np.asarray(free_sites, dtype=bool)
    rows = sum(1 for clique in instance.conflict_cliques if np.count_nonzero(free[clique]) > 1)
    return "on" if rows <= MASTER_PRESOLVE_MAX_CLIQUES else "off"


def greedy_portfolio(instance: SelectionInstance, distance_gains=None):
    """A good feasible portfolio to start from: one-site gigafactories added one at a time,
    each time the site whose own terms, new member state and newly covered people weigh most
    among those that keep every rule (:meth:`SelectionInstance.violations`), while the
    objective rises.

    ``distance_gains`` (with ``levels_as_cuts``): per site, the objective points the latency
    term and gradual coverage would gain from it at a portfolio (a site mask).

    Returns
    -------
    tuple of tuple of int, or None
        None when a site is required (the greedy would not respect it).
    """
    if instance.required.any():
        return None
    w = instance.weights
    incidence = instance.group_incidence
    own = site_objective(instance)
    per_state = w.spread / instance.max_gigafactories
    population = instance.group_weights()   # objective points of each group
    uncovered = np.ones(len(population), dtype=bool)
    uncovered_people = incidence.per_column(population)   # per site, points it would add
    chosen: list[tuple[int, ...]] = []
    value = instance.objective(instance.evaluate(chosen))
    while len(chosen) < instance.max_gigafactories:
        states = {instance.site_country[g[0]] for g in chosen}
        gain = (own + uncovered_people
                + np.array([0.0 if c in states else per_state for c in instance.site_country]))
        if distance_gains is not None:
            gain = gain + distance_gains(instance.site_mask(chosen).astype(float))
        gain[~instance.eligible | instance.site_mask(chosen)] = -np.inf
        site = _best_feasible_site(instance, chosen, gain)
        if site is None:
            break
        trial = chosen + [(site,)]
        trial_value = instance.objective(instance.evaluate(trial))
        if trial_value <= value:
            break
        chosen, value = trial, trial_value
        rows = incidence.rows_of(np.array([site]))
        newly = rows[uncovered[rows]]   # only these groups' pairs are read again
        uncovered_people -= incidence.per_column_of_rows(newly, population[newly])[1]
        uncovered[newly] = False
    if instance.has_access_rows and instance.violations(chosen):
        return None   # the access limits may need more than the greedy takes
    return tuple(sorted(chosen))   # in site order, as every solver path returns a portfolio


def _best_feasible_site(instance: SelectionInstance, chosen, gain: np.ndarray) -> int | None:
    """The site of highest ``gain`` that, as a gigafactory of its own, keeps every rule."""
    for site in np.argsort(-gain, kind="stable"):
        if not np.isfinite(gain[site]):
            return None
        if not instance.violations(chosen + [(int(site),)]):
            return int(site)
    return None


def master_columns(instance: SelectionInstance, cols, gigafactories,
                   theta: np.ndarray) -> np.ndarray:
    """The master's columns at a portfolio, with ``theta`` (each block's covered share) last:
    a feasible start for the master MIP.

    Columns x (candidates) or, in the compact form, y and the bids u; a member state is
    counted (u) for each of the first p states the portfolio uses; a letter has a home (h)
    where one of its home sites is a member.
    """
    mask = instance.site_mask(gigafactories)
    values = np.zeros(cols.width + len(theta))
    if not instance.compact:
        values[:cols.n_candidates] = _candidate_vector(instance, gigafactories)
    values[cols.y:cols.y + cols.n_sites] = mask
    states = sorted({instance.site_country[s] for s in np.flatnonzero(mask)},
                    key=instance.countries.index)[:instance.max_gigafactories]
    values[[cols.u + instance.countries.index(c) for c in states]] = 1.0
    values[cols.h:cols.a] = [float(mask[homes].any()) for homes in instance.letter_homes]
    values[cols.width:] = theta
    return values


def _candidate_vector(instance, gigafactories) -> np.ndarray:
    """x for a portfolio: 1 at each of its gigafactories' candidate index (members in any
    order; the candidates hold them sorted)."""
    candidates = instance.candidates
    x = np.zeros(len(candidates))
    x[[candidates.index_of[tuple(sorted(g))] for g in gigafactories]] = 1.0
    return x
