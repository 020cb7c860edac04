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


def solve_instance(instance, settings: Solver, timings: dict[str, float]):
    """Build and solve by ``settings.method``; records ``build`` and ``solve`` seconds.

    The direct and Benders paths build inside the solver call, so their build time counts in
    ``solve`` and ``build`` is 0.

    Returns
    -------
    SolverOutcome
    """
    if settings.method == "pulp":
        from siteopt.model import build_model
        from siteopt.solvers.via_pulp import solve_model

        start = time.perf_counter()
        built = build_model(instance)
        timings["build"] = time.perf_counter() - start
        outcome = solve_model(built, instance, settings)
    elif settings.method == "direct":
        from siteopt.solvers.direct import solve_direct

        timings["build"] = 0.0
        outcome = solve_direct(instance, settings)
    else:
        from siteopt.solvers.benders import solve_benders

        timings["build"] = 0.0
        outcome = solve_benders(instance, settings)
    timings["solve"] = outcome.seconds
    return outcome
