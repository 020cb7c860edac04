"""Naming the rules in conflict when the solver proves that no portfolio exists.

Most conflicts are named before any solver runs (:func:`siteopt.instance.diagnose`). The rest
are combinations only a solver can see, such as required sites in two member states with room
for one gigafactory. Here each rule is relaxed on its own and the model solved for
feasibility only; the rules whose relaxation alone makes a portfolio possible are the ones in
conflict. The check is exact: it uses the same model and solver as every other answer.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from siteopt.config import Solver, Weights
from siteopt.errors import SolverError
from siteopt.model import SelectionInstance
from siteopt.solvers.outcome import Status

#: Each rule, the model key that sets it, and the instance with the rule relaxed.
RELAXATIONS = (
    ("budget.total_eur", lambda i: {"budget_eur": float(i.capex_eur.sum())
                                    + i.extra_site_cost_eur * len(i.site_ids)}),
    ("limits.total_power_mw", lambda i: {"total_power_mw": float(i.effective_mw.sum())}),
    ("limits.max_gigafactories", lambda i: {"max_gigafactories": len(i.site_ids)}),
    ("limits.max_bids_per_country", lambda i: {"max_bids_per_country": len(i.site_ids)}),
    ("limits.min_gigafactory_mw", lambda i: {"min_gigafactory_mw": 0.0}),
    ("consolidation.link_km", lambda i: {"link_km": 40_000.0}),
    ("consolidation.cross_border", lambda i: {"cross_border": True,
                                              "max_countries": i.max_members}),
    ("sites.required", lambda i: {"required": np.zeros(len(i.site_ids), dtype=bool)}),
)


def feasible(instance: SelectionInstance, settings: Solver) -> bool:
    """Whether any portfolio meets every rule of ``instance`` (a zero objective is solved)."""
    from siteopt.solvers.direct import solve_direct

    blank = Weights(coverage=0, grid=0, spread=0, clean=0, green=0, letters=0, cost=0)
    probe = dataclasses.replace(instance, weights=blank)
    return solve_direct(probe, settings).status != Status.INFEASIBLE


def _helps(relaxed: SelectionInstance, settings: Solver) -> bool:
    """Whether a relaxed instance is feasible; a relaxation too large to solve does not count."""
    try:
        return feasible(relaxed, settings)
    except SolverError:
        return False


def conflict_message(instance: SelectionInstance, settings: Solver) -> str:
    """One sentence naming the rules whose relaxation alone would make a portfolio possible."""
    settings = dataclasses.replace(settings, name="highs", method="direct", mip_gap=0.0)
    # without required sites the empty portfolio is always feasible, so the list is never empty
    culprits = [key for key, relax in RELAXATIONS
                if _helps(dataclasses.replace(instance, **relax(instance)), settings)]
    if len(culprits) == 1:
        return (f"no portfolio meets every rule together; only relaxing {culprits[0]} would "
                f"make one possible")
    return (f"no portfolio meets every rule together; relaxing any one of "
            f"{', '.join(culprits)} would make one possible")
