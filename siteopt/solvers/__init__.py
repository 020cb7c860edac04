"""The solver paths, and the one place that picks among them.

Every path solves the same :class:`~siteopt.model.SelectionInstance` exactly and returns a
:class:`~siteopt.solvers.outcome.SolverOutcome`:

- :mod:`~siteopt.solvers.via_pulp`: the model built with PuLP, solved by HiGHS or CBC;
- :mod:`~siteopt.solvers.direct`: the same model handed to HiGHS as arrays;
- :mod:`~siteopt.solvers.benders`: coverage as cuts on a small master problem in HiGHS.

:mod:`~siteopt.solvers.outcome` holds the status and gap, :mod:`~siteopt.solvers.highs` the
HiGHS settings the paths share, :mod:`~siteopt.solvers.infeasibility` names the conflicting
limits of an infeasible instance.
"""

from __future__ import annotations

import time

from siteopt.config import Solver
from siteopt.solvers.highs import model_nonzeros

#: With ``solver.method = "auto"``, models with at most this many non-zeros (grouped coverage,
#: plus three per member of each candidate gigafactory) go to the direct path, larger ones to
#: Benders (measured in benchmarks/README.md: direct wins at 5,556 to 21,258, Benders at 88,775).
AUTO_DIRECT_NONZEROS = 40_000


def choose_method(instance, settings: Solver) -> str:
    """The path that solves ``instance``: ``settings.method``, or for ``auto`` the fastest
    exact one (pulp for CBC, the only path that runs it; direct up to
    :data:`AUTO_DIRECT_NONZEROS`; benders beyond)."""
    if settings.method != "auto":
        return settings.method
    if settings.name != "highs":
        return "pulp"
    return "direct" if model_nonzeros(instance) <= AUTO_DIRECT_NONZEROS else "benders"


def solve_instance(instance, settings: Solver, timings: dict[str, float]):
    """Build and solve by the path :func:`choose_method` picks; records ``build`` and
    ``solve`` seconds.

    The direct and Benders paths build inside the solver call, so their build time counts in
    ``solve`` and ``build`` is 0.

    Returns
    -------
    outcome : SolverOutcome
    method : str
        The path taken (``pulp``, ``direct`` or ``benders``).
    """
    method = choose_method(instance, settings)
    if method == "pulp":
        from siteopt.model import build_model
        from siteopt.solvers.via_pulp import solve_model

        start = time.perf_counter()
        built = build_model(instance)
        timings["build"] = time.perf_counter() - start
        outcome = solve_model(built, instance, settings)
    elif method == "direct":
        from siteopt.solvers.direct import solve_direct

        timings["build"] = 0.0
        outcome = solve_direct(instance, settings)
    else:
        from siteopt.solvers.benders import solve_benders

        timings["build"] = 0.0
        outcome = solve_benders(instance, settings)
    timings["solve"] = outcome.seconds
    return outcome, method
