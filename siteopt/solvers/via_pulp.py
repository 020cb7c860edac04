"""The PuLP path: a model built with PuLP (:mod:`siteopt.model`), solved by CBC or HiGHS.

PuLP's own status calls a time-limited incumbent "Optimal"; siteopt never does. The status
comes from the solver itself: CBC's final report (from its log) and HiGHS's model status and
MIP gap (from highspy).
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pulp

from siteopt.config import Solver
from siteopt.errors import SolverError, TimeLimitError
from siteopt.model.formulation import BuiltModel
from siteopt.solvers.highs import highs_status, presolve_choice, silence_highs_banner
from siteopt.solvers.outcome import (
    SolverOutcome,
    Status,
    finish,
    no_solution,
    portfolio,
)

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
        raise TimeLimitError(f"CBC stopped at the time limit of {settings.time_limit_s:g} s "
                             f"without finding a solution; raise solver.time_limit_s")
    if problem.status == pulp.LpStatusInfeasible:
        return Status.INFEASIBLE, math.nan
    return Status.ERROR, math.nan


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


SOLVE_FUNCTIONS = {"cbc": _solve_cbc, "highs": _solve_highs}


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
    if status == Status.INTERRUPTED and built.problem.status != pulp.LpStatusOptimal and \
            all(v.varValue is None for v in built.site_open.values()):
        raise KeyboardInterrupt   # nothing to report: stop as any interrupted command
    variables = built.site_open if instance.compact else built.gigafactory_open
    gigafactories = portfolio(instance, [variables[k].varValue or 0.0 for k in range(len(variables))])
    objective = float(pulp.value(built.problem.objective) or 0.0)
    return finish(instance, status, gigafactories, objective, bound, settings, seconds,
                  settings.name)
