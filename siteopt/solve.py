"""Solving a built model: solver profiles, status mapping, gap and time.

PuLP's own status calls a time-limited incumbent "Optimal"; siteopt never does. The status
comes from the solver itself: CBC's final report (from its log) and HiGHS's model status and
MIP gap (from highspy).
"""

from __future__ import annotations

import ctypes
import enum
import functools
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pulp

from siteopt.config import Solver
from siteopt.errors import SolverError
from siteopt.model import BuiltModel


class Status(enum.StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"          #: proven optimal (within ``solver.mip_gap``, default 0)
    TIME_LIMIT = "time_limit"    #: stopped by the time limit with a solution; see the gap
    INFEASIBLE = "infeasible"    #: no selection satisfies the limits
    ERROR = "error"              #: the solver failed


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
        ``cbc`` or ``highs``.
    """

    status: Status
    gigafactories: tuple[tuple[int, ...], ...]
    selected: np.ndarray
    objective: float
    bound: float
    gap: float
    seconds: float
    solver: str


def relative_gap(objective: float, bound: float) -> float:
    """How far the objective may be below the best possible: ``(bound - objective) / |bound|``.

    0 when proven optimal, 1 when nothing better than 0 is known; NaN if the bound is unknown.

    >>> relative_gap(0.9, 1.0)
    0.09999999999999998
    """
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.nan
    return max(0.0, (bound - objective) / max(abs(bound), 1e-10))


_CBC_BOUND = re.compile(r"^(?:Upper|Lower) bound:\s+(-?[\d.eE+-]+)", re.M)
_CBC_BEST_POSSIBLE = re.compile(r"best possible (-?[\d.eE+-]+)")


def _cbc_bound(log: str) -> float:
    """The best bound CBC printed (for a maximisation CBC minimises the negation)."""
    found = _CBC_BOUND.findall(log)
    if found:
        return float(found[-1])
    found = _CBC_BEST_POSSIBLE.findall(log)
    return -float(found[-1]) if found else math.nan


@functools.cache
def cbc_executable() -> str:
    """The CBC binary: the one bundled with PuLP 3, else ``cbc`` on the PATH (``pulp[cbc]``).

    Raises
    ------
    SolverError
        If neither exists.
    """
    from pulp.apis.coin_api import pulp_cbc_path

    if os.path.isfile(pulp_cbc_path):
        if not os.access(pulp_cbc_path, os.X_OK):
            os.chmod(pulp_cbc_path, os.stat(pulp_cbc_path).st_mode | 0o111)
        return pulp_cbc_path
    found = shutil.which("cbc")
    if found is None:
        raise SolverError("CBC not found: install it with pip install 'pulp[cbc]', or use "
                          "--solver highs")
    return found


def _solve_cbc(problem: pulp.LpProblem, settings: Solver,
               presolve: str = "on") -> tuple[Status, float]:
    """Solve with CBC; ``presolve`` is HiGHS's setting, which CBC does not take."""
    with tempfile.TemporaryDirectory(prefix="siteopt-cbc-") as folder:
        log_path = Path(folder) / "cbc.log"
        solver = pulp.COIN_CMD(path=cbc_executable(), msg=False,
                               timeLimit=settings.time_limit_s, gapRel=settings.mip_gap,
                               gapAbs=0.0 if settings.mip_gap == 0 else None,
                               logPath=str(log_path), threads=1)
        began = time.perf_counter()
        try:
            problem.solve(solver)
        except pulp.PulpSolverError as err:
            raise SolverError(f"CBC failed: {err}") from None
        elapsed = time.perf_counter() - began
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
    if problem.sol_status == pulp.LpSolutionOptimal:
        return Status.OPTIMAL, _cbc_bound(log)
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        return Status.TIME_LIMIT, _cbc_bound(log)
    # a run stopped by the clock before any solution can look "infeasible" to PuLP, and CBC
    # cut off in its preprocessing says "infeasible" too: an infeasible verdict reached at the
    # deadline is not trusted
    if "stopped on time" in log.lower() or elapsed >= 0.9 * settings.time_limit_s:
        raise SolverError(f"CBC stopped at the time limit of {settings.time_limit_s:g} s "
                          f"without finding a solution; raise solver.time_limit_s")
    if problem.status == pulp.LpStatusInfeasible:
        return Status.INFEASIBLE, math.nan
    return Status.ERROR, math.nan


@functools.cache
def silence_highs_banner() -> None:
    """HiGHS prints a banner to file descriptor 1 when the first ``Highs`` object is made.

    Make that first object with stdout pointed at the null device, so ``--format json`` keeps
    exactly one JSON document on stdout and analysts see no solver noise.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
        ctypes.CDLL(None).fflush(None)  # C's stdout buffer, while it still points at /dev/null
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _solve_highs(problem: pulp.LpProblem, settings: Solver,
                 presolve: str = "on") -> tuple[Status, float]:
    silence_highs_banner()
    # no threads option: HiGHS shares one scheduler per process, and a thread count that
    # differs from the first run's makes every later run fail
    solver = pulp.HiGHS(msg=False, timeLimit=settings.time_limit_s, gapRel=settings.mip_gap,
                        gapAbs=0.0 if settings.mip_gap == 0 else None, random_seed=0,
                        presolve=presolve)
    try:
        problem.solve(solver)
    except pulp.PulpSolverError as err:
        raise SolverError(f"HiGHS failed: {err}") from None
    # PuLP hands HiGHS the negated objective of a maximisation, so the bound flips sign
    sense = -1.0 if problem.sense == pulp.LpMaximize else 1.0
    return highs_status(problem.solverModel, sense, settings.time_limit_s)


#: Models with at most this many non-zeros (about) are solved with HiGHS's presolve off: on the
#: shipped scenarios it costs more than it saves (see benchmarks/README.md).
PRESOLVE_OFF_NONZEROS = 100_000


def presolve_choice(instance) -> str:
    """``"off"`` for a small model (see :data:`PRESOLVE_OFF_NONZEROS`), else ``"on"``."""
    nonzeros = sum(len(sites) for sites in instance.group_sites)
    if not instance.compact:
        nonzeros += int(instance.candidates.size.sum()) * 3
    return "off" if nonzeros <= PRESOLVE_OFF_NONZEROS else "on"


def new_highs(settings: Solver, time_limit_s: float | None = None):
    """A silent, seeded ``highspy.Highs`` with the gap and time limit of ``settings``.

    A gap of 0 also sets HiGHS's absolute gap to 0 (its defaults, 1e-4 relative and 1e-6
    absolute, would stop short of the proven optimum).
    """
    import highspy

    silence_highs_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    highs.setOptionValue("time_limit", float(time_limit_s or settings.time_limit_s))
    highs.setOptionValue("mip_rel_gap", float(settings.mip_gap))
    if settings.mip_gap == 0:
        highs.setOptionValue("mip_abs_gap", 0.0)
    return highs


def highs_status(highs, sense: float, time_limit_s: float) -> tuple[Status, float]:
    """Status and best bound (in the model's own sense) of a HiGHS run.

    ``sense`` is -1 when HiGHS minimised the negated objective (PuLP's way), 1 when it
    maximised it directly.
    """
    import highspy

    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    bound = sense * float(info.mip_dual_bound)
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Status.OPTIMAL, bound
    if model_status in (highspy.HighsModelStatus.kInfeasible,
                        highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Status.INFEASIBLE, math.nan
    if model_status == highspy.HighsModelStatus.kTimeLimit:
        if has_solution:
            return Status.TIME_LIMIT, bound
        raise SolverError(f"HiGHS stopped at the time limit of {time_limit_s:g} s "
                          f"without finding a solution; raise solver.time_limit_s")
    return Status.ERROR, math.nan


#: A site decision further than this from 0 or 1 means the solver's answer is not integral.
INTEGRALITY_TOLERANCE = 1e-6

SOLVE_FUNCTIONS = {"cbc": _solve_cbc, "highs": _solve_highs}


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


def solve_model(built: BuiltModel, instance, settings: Solver) -> SolverOutcome:
    """Solve a model built with PuLP by the solver named in ``settings``.

    Parameters
    ----------
    built : BuiltModel
    instance : SelectionInstance
        The instance ``built`` was built from.
    settings : Solver
        ``name`` (cbc or highs), ``time_limit_s`` (s) and ``mip_gap``.

    Returns
    -------
    SolverOutcome

    Raises
    ------
    SolverError
        If the solver cannot run, or stops at the time limit without any solution.
    """
    start = time.perf_counter()
    status, bound = SOLVE_FUNCTIONS[settings.name](built.problem, settings,
                                                   presolve_choice(instance))
    seconds = time.perf_counter() - start
    if status in (Status.INFEASIBLE, Status.ERROR):
        return no_solution(status, len(built.site_open), seconds, settings.name)
    variables = built.site_open if instance.compact else built.gigafactory_open
    gigafactories = portfolio(instance, [variables[k].varValue or 0.0 for k in range(len(variables))])
    objective = float(pulp.value(built.problem.objective) or 0.0)
    return finish(instance, status, gigafactories, objective, bound, settings, seconds,
                  settings.name)
