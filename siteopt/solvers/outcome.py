"""What every solver path returns: status, the chosen gigafactories, objective, bound and gap.

A time-limited incumbent is never called optimal: each path maps its solver's own status to
:class:`Status` and reports the gap between objective and best bound.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from siteopt.config import Solver
from siteopt.errors import SolverError


#: Portfolios within this many objective points of the best are compared exactly when ties
#: are settled (:mod:`siteopt.solvers.ties`): a solver may return one up to its tolerance
#: below another, and the search keeps every portfolio this close to its incumbent. One
#: person among 450 m is about 1e-9 of the objective, so a real difference is not merged.
NEAR_OPTIMAL = 1e-9


class Status(enum.StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"          #: proven optimal (within ``solver.mip_gap``, default 0)
    TIME_LIMIT = "time_limit"    #: stopped by the time limit with a solution; see the gap
    INTERRUPTED = "interrupted"  #: stopped by Ctrl-C (or SIGTERM) with a solution; see the gap
    INFEASIBLE = "infeasible"    #: no selection satisfies the limits
    ERROR = "error"              #: the solver failed

    @property
    def words(self) -> str:
        """The status as a reader says it: ``time limit``."""
        return self.value.replace("_", " ")

    @property
    def remedy(self) -> str:
        """What may still prove the answer, as a clause to append to what is said of it:
        after the time limit ``"; a longer time limit (...) may prove it"``, "" for every other
        status."""
        return ("; a longer time limit (--time-limit, solver.time_limit_s) may prove it"
                if self is Status.TIME_LIMIT else "")


@dataclass(frozen=True)
class RunnerUp:
    """The best portfolio other than the answer (see :mod:`siteopt.solvers.ties`).

    Attributes
    ----------
    gigafactories : tuple of tuple of int
        Member site indices of each gigafactory.
    objective : float
        Its objective, recomputed from its sites.
    """

    gigafactories: tuple[tuple[int, ...], ...]
    objective: float


@dataclass(frozen=True)
class SolverOutcome:
    """What a solver returned.

    Attributes
    ----------
    status : Status
    gigafactories : tuple of tuple of int
        Member site indices of each chosen gigafactory, sorted (empty without a solution).
    selected : ndarray of bool
        Sites that are members of a chosen gigafactory (all False without a solution).
    objective : float
        Objective value the solver reports (NaN without a solution).
    bound : float
        Best proven upper bound on the objective (NaN if unknown).
    gap : float
        Relative gap ``(bound - objective) / |bound|`` (see :func:`relative_gap`); 0 when
        proven optimal.
    seconds : float
        Wall-clock solve time, s.
    solver : str
        ``cbc``, ``highs`` or ``siteopt`` (the search).
    next_start : Start or None
        From the search path: what a search of a similar instance may start from
        (:class:`~siteopt.solvers.search.Start`); None from the other paths.
    runner_up : RunnerUp or None
        The best other portfolio (:mod:`siteopt.solvers.ties`); None when there is none, or
        when it was not proven (a time limit).
    ties : int
        Portfolios that tie with this one for the optimum, itself included (1: no tie).
    ties_settled : bool
        Whether every tied portfolio was compared (False after a time limit, or beyond
        :data:`~siteopt.solvers.ties.MAX_TIES` ties).
    solves : int
        Solves run for this answer (the extra ones settle ties and find the runner-up).
    near_optimal : tuple of (float, portfolio) or None
        From the search path: every portfolio within ``NEAR_OPTIMAL`` of the optimum (so ties
        need no further solve); None from the other paths.
    next_best : tuple or None
        From the search path asked for the runner-up (compact form): ``(value, portfolio)``
        of the best portfolio below every near-optimal one, proven (``(-inf, None)``: there
        is none), so the runner-up needs no further solve; None otherwise.
    """

    status: Status
    gigafactories: tuple[tuple[int, ...], ...]
    selected: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    solver: str
    next_start: object = None
    runner_up: RunnerUp | None = None
    ties: int = 1
    ties_settled: bool = False
    solves: int = 1
    near_optimal: tuple | None = None
    next_best: tuple | None = None


def relative_gap(objective: float, bound: float) -> float:
    """How far the objective may be below the best possible: ``(bound - objective) / |bound|``.

    0 when proven optimal, 1 when nothing better than 0 is known; NaN if the bound is unknown.

    >>> relative_gap(0.9, 1.0)
    0.09999999999999998
    """
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.nan
    return max(0.0, (bound - objective) / max(abs(bound), 1e-10))


#: A site decision further than this from 0 or 1 means the solver's answer is not integral.
INTEGRALITY_TOLERANCE = 1e-6

def integral(values, what: str) -> np.ndarray:
    """The solver's values of binary decisions, checked to be 0 or 1.

    Raises
    ------
    SolverError
        If a value is not within :data:`INTEGRALITY_TOLERANCE` of 0 or 1 (seen with some CBC
        option sets, which then still report "Optimal").
    """
    values = np.asarray(values, dtype=float)
    off = np.abs(values - np.round(values))
    if off.max(initial=0.0) > INTEGRALITY_TOLERANCE:
        raise SolverError(f"the solver returned a fractional {what} decision "
                          f"({values[off > INTEGRALITY_TOLERANCE][0]:.3g}); the solution cannot "
                          f"be trusted")
    return values


def chosen_gigafactories(instance, values) -> tuple[tuple[int, ...], ...]:
    """The chosen candidates from the solver's values of :math:`x_g`, as member tuples
    (:func:`integral` checks the values)."""
    values = integral(values, "gigafactory")
    candidates = instance.candidates
    return tuple(sorted(candidates.member_list(g) for g in np.flatnonzero(values > 0.5)))


def compact_gigafactories(instance, site_values) -> tuple[tuple[int, ...], ...]:
    """Compact form: each member state's used sites are its gigafactory, as member tuples
    (:func:`integral` checks the values)."""
    values = integral(site_values, "site")
    by_state: dict[str, list[int]] = {}
    for s in np.flatnonzero(values > 0.5):
        by_state.setdefault(instance.site_country[s], []).append(int(s))
    return tuple(sorted(tuple(sites) for sites in by_state.values()))


def portfolio(instance, columns) -> tuple[tuple[int, ...], ...]:
    """The chosen gigafactories from the values of the model's columns, in either form: the
    first columns are x (candidates), or y (sites) in the compact form."""
    if instance.compact:
        return compact_gigafactories(instance, columns[: len(instance.site_ids)])
    return chosen_gigafactories(instance, columns[: len(instance.candidates)])


def no_solution(status: Status, n_sites: int, seconds: float, solver: str) -> SolverOutcome:
    """The outcome of a run without a solution (infeasible or failed)."""
    return SolverOutcome(status, (), np.zeros(n_sites, dtype=bool), math.nan, math.nan, math.nan,
                         seconds, solver)


def finish(instance, status: Status, gigafactories, objective: float, bound: float,
           settings: Solver, seconds: float, solver: str) -> SolverOutcome:
    """An outcome with a solution: gap from objective and bound (0 when proven optimal)."""
    if status == Status.OPTIMAL and settings.mip_gap == 0:
        gap, bound = 0.0, objective
    else:
        gap = relative_gap(objective, bound)
    return SolverOutcome(status, tuple(gigafactories), instance.site_mask(gigafactories),
                         objective, bound, gap, seconds, solver)
