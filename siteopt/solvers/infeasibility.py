"""Naming the rules in conflict when the solver proves that no portfolio exists.

Most conflicts are named before any solver runs (:func:`siteopt.instance.diagnose`). The rest
are combinations only a solver can see, such as required sites in two member states with room
for one gigafactory. Here each rule is relaxed on its own and the model solved for
feasibility only; the rules whose relaxation alone makes a portfolio possible are the ones in
conflict. Where no single rule is enough (the ``access`` limits need portfolios, so even the
empty one may break them), every pair of the rules in force is tried, and the pairs that are
enough are named. The check is exact: it uses the same model and solver as every other answer.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from siteopt.config import Solver, Weights
from siteopt.errors import SolverError
from siteopt.model import SelectionInstance
from siteopt.solvers.outcome import Status

#: km: a link every two sites on Earth keep.
LINK_KM_ANY = 40_000.0
#: Each rule: the model key that sets it, whether it limits anything in an instance (a limit
#: wider than every site together does not), and the instance's fields with it relaxed.
RULES = (
    ("budget.total_eur", lambda i: i.budget_eur < _every_site_eur(i),
     lambda i: {"budget_eur": _every_site_eur(i)}),
    ("limits.total_power_mw", lambda i: i.total_power_mw < float(i.effective_mw.sum()),
     lambda i: {"total_power_mw": float(i.effective_mw.sum())}),
    ("limits.max_gigafactories", lambda i: i.max_gigafactories < len(i.site_ids),
     lambda i: {"max_gigafactories": len(i.site_ids)}),
    ("limits.max_bids_per_country", lambda i: i.max_bids_per_country < len(i.site_ids),
     lambda i: {"max_bids_per_country": len(i.site_ids)}),
    ("limits.min_gigafactory_mw", lambda i: i.min_gigafactory_mw > 0,
     lambda i: {"min_gigafactory_mw": 0.0}),
    ("consolidation.link_km", lambda i: i.max_members > 1 and i.link_km < LINK_KM_ANY,
     lambda i: {"link_km": LINK_KM_ANY}),
    ("consolidation.cross_border",
     lambda i: i.max_members > 1 and not (i.cross_border and i.max_countries >= i.max_members),
     lambda i: {"cross_border": True, "max_countries": i.max_members}),
    ("sites.required", lambda i: i.required is not None and bool(i.required.any()),
     lambda i: {"required": np.zeros(len(i.site_ids), dtype=bool)}),
    ("access.max_km", lambda i: i.access is not None and i.access.max_km > 0,
     lambda i: {"access": dataclasses.replace(i.access, max_km=0.0)}),
    ("access.min_country_share", lambda i: i.access is not None and i.access.min_country_share > 0,
     lambda i: {"access": dataclasses.replace(i.access, min_country_share=0.0)}),
)


def _every_site_eur(instance: SelectionInstance) -> float:
    """EUR: the capital cost of every site in one portfolio, extra-site costs included."""
    return float(instance.capex_eur.sum()) + instance.extra_site_cost_eur * len(instance.site_ids)


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
    """One sentence naming the rules whose relaxation alone would make a portfolio possible;
    if none would, the pairs of rules whose relaxation together would."""
    settings = dataclasses.replace(settings, name="highs", method="direct", mip_gap=0.0)
    in_force = {key: relaxed for key, limits, relaxed in RULES if limits(instance)}

    def helps(*keys: str) -> bool:
        probe = instance
        for key in keys:
            probe = dataclasses.replace(probe, **in_force[key](probe))
        return _helps(probe, settings)

    culprits = [key for key in in_force if helps(key)]
    said = "no portfolio meets every rule together"
    if len(culprits) == 1:
        return f"{said}; only relaxing {culprits[0]} would make one possible"
    if culprits:
        return f"{said}; relaxing any one of {', '.join(culprits)} would make one possible"
    pairs = [f"{first} and {second}" for first, second in itertools.combinations(in_force, 2)
             if helps(first, second)]
    if pairs:
        return (f"{said}, and relaxing one rule alone would not make one possible; relaxing "
                f"both {', or both '.join(pairs)} would")
    return (f"{said}, and relaxing one or two rules alone would not make one possible (the "
            f"rules in force: {', '.join(in_force)})")
