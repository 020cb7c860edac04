"""HiGHS through highspy, shared by the direct and Benders paths (and PuLP's HiGHS call)."""

from __future__ import annotations

import ctypes
import functools
import math
import os
import sys
import threading

from siteopt.config import Solver
from siteopt.errors import TimeLimitError
from siteopt.interrupt import deferred, deferring, stop_requested
from siteopt.solvers.outcome import Status


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


#: Models with at most this many non-zeros (about) are solved with HiGHS's presolve off: on the
#: shipped scenarios it costs more than it saves (see benchmarks/README.md).
PRESOLVE_OFF_NONZEROS = 100_000


def model_nonzeros(instance) -> int:
    """The model's size as the solver paths see it: coverage non-zeros after grouping, plus
    three per member of each candidate gigafactory."""
    nonzeros = sum(len(sites) for sites in instance.group_sites)
    if not instance.compact:
        nonzeros += int(instance.candidates.size.sum()) * 3
    return nonzeros


def presolve_choice(instance) -> str:
    """``"off"`` for a small model (see :data:`PRESOLVE_OFF_NONZEROS`; the rows of the access
    terms and limits count too), else ``"on"``."""
    nonzeros = model_nonzeros(instance)
    if instance.has_access_rows:
        nonzeros += len(instance.access_block.value)
    return "off" if nonzeros <= PRESOLVE_OFF_NONZEROS else "on"


#: HiGHS's MIP options where siteopt's models are solved faster than with HiGHS's defaults,
#: to the same optima (2026-12-07; benchmarks/README.md, "HiGHS's heuristics" and "Strong
#: branching and the cut pool"):
#:
#: - the heuristics that solve a smaller MIP inside the MIP (RENS, RINS and the one that fixes
#:   columns by their reduced costs at the root) off: they cost more time than the portfolios
#:   they find save (the shipped cross-border scenario 3.4 -> 2.2 s, the default model on
#:   ``direct`` 1.5 -> 0.9 s, a generated 200-site instance 14.7 -> 7.5 s);
#: - no strong-branching trials before a column's pseudocosts are trusted (HiGHS's default
#:   8): they took over half the LP iterations of a Monte Carlo draw's solve (the robust
#:   choice's extensive form on 10 draws 19.0 -> 10.4 s, 30 draws of ``cross-border``
#:   32.7 -> 22.7 s, Benders on the default model 0.73 -> 0.47 s);
#: - a cut pool of 100 cuts before old ones are dropped (HiGHS's default 10,000): measured
#:   faster on most models (the extensive form on 10 draws 10.3 -> 8.3 s, the default model
#:   with W weighted 0.2 on ``direct`` 9.4 -> 6.5 s, ``coverage-first`` on ``benders``
#:   2.3 -> 1.4 s).
MIP_OPTIONS = {"mip_heuristic_run_rens": False, "mip_heuristic_run_rins": False,
               "mip_heuristic_run_root_reduced_cost": False,
               "mip_pscost_minreliable": 0,
               "mip_pool_soft_limit": 100}


def new_highs(settings: Solver, time_limit_s: float | None = None):
    """A silent, seeded ``highspy.Highs`` with the gap and time limit of ``settings`` and
    siteopt's MIP options (:data:`MIP_OPTIONS`).

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
    for option, value in MIP_OPTIONS.items():
        highs.setOptionValue(option, value)
    for callback in (highs.cbMipInterrupt, highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
        callback.subscribe(_stop_on_signal)
    return highs


def _stop_on_signal(event) -> None:
    """HiGHS's interrupt callbacks (MIP, simplex, interior point): stop once a stop signal
    has arrived (see :func:`siteopt.interrupt.deferred`)."""
    if stop_requested():
        event.data_in.user_interrupt = True


#: How often (s) the watcher of :func:`run_highs` looks for a stop signal.
WATCH_SECONDS = 0.1


def run_highs(highs) -> None:
    """``highs.run()`` with the stop signals deferred: Ctrl-C stops HiGHS within a moment
    (:class:`~siteopt.solvers.outcome.Status` ``interrupted``, the best solution kept).

    HiGHS's interrupt callbacks come only from its simplex, interior-point and branch-and-
    bound loops, not from presolve (12 s at 500 sites x 20,000 points); a watcher thread
    (highspy releases the GIL while HiGHS runs) therefore also sets HiGHS's time limit to 0
    once a signal has arrived, which presolve obeys.
    """
    with deferred():
        if not deferring():
            highs.run()
            return
        done = threading.Event()

        def watch():
            while not done.wait(WATCH_SECONDS):
                if stop_requested():
                    highs.setOptionValue("time_limit", 0.0)
                    return

        watcher = threading.Thread(target=watch, name="siteopt-stop-watch", daemon=True)
        watcher.start()
        try:
            highs.run()
        finally:
            done.set()
            watcher.join()


def objective_overstated(highs) -> bool:
    """Whether a maximising HiGHS reports an objective above what the columns of its solution
    add up to: HiGHS 1.16 given a start may return the start's columns with the objective of
    a better optimum (the caller then solves again without the start). False without a
    solution."""
    import numpy as np

    info = highs.getInfo()
    if info.primal_solution_status != 2:
        return False
    width = highs.getNumCol()
    costs = highs.getCols(width, np.arange(width, dtype=np.int32))[2]
    worth = float(costs @ np.asarray(highs.getSolution().col_value)) + \
        highs.getObjectiveOffset()[1]
    return info.objective_function_value > worth + 1e-9 * max(1.0, abs(worth))


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
    if model_status == highspy.HighsModelStatus.kInterrupt or stop_requested():
        return Status.INTERRUPTED, bound   # the caller checks for a solution
    if model_status == highspy.HighsModelStatus.kTimeLimit:
        if has_solution:
            return Status.TIME_LIMIT, bound
        raise TimeLimitError(f"HiGHS stopped at the time limit of {time_limit_s:g} s "
                             f"without finding a solution; raise solver.time_limit_s")
    return Status.ERROR, math.nan
