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

#: Each rule, the model key that sets it, and the instance with the rule relaxed (never
#: tightened: a limit already wider than the relaxed value stays).
RELAXATIONS = (
    ("budget.total_eur", lambda i: {"budget_eur": max(i.budget_eur, float(i.capex_eur.sum())
                                    + i.extra_site_cost_eur * len(i.site_ids))}),
    ("limits.total_power_mw", lambda i: {"total_power_mw": max(
        i.total_power_mw, float(i.effective_mw.sum()))}),
    ("limits.max_gigafactories", lambda i: {"max_gigafactories": max(i.max_gigafactories,
                                                                     len(i.site_ids))}),
    ("limits.max_bids_per_country", lambda i: {"max_bids_per_country": max(
        i.max_bids_per_country, len(i.site_ids))}),
    ("limits.min_gigafactory_mw", lambda i: {"min_gigafactory_mw": 0.0}),
    ("consolidation.link_km", lambda i: {} if i.max_members == 1 else
     {"link_km": max(i.link_km, 40_000.0)}),
    ("consolidation.cross_border", lambda i: {} if i.max_members == 1 else
     {"cross_border": True, "max_countries": i.max_members}),
    ("sites.required", lambda i: {"required": np.zeros(len(i.site_ids), dtype=bool)}),
    ("access.max_km", lambda i: {} if i.access is None else
     {"access": dataclasses.replace(i.access, max_km=0.0)}),
    ("access.min_country_share", lambda i: {} if i.access is None else
     {"access": dataclasses.replace(i.access, min_country_share=0.0)}),
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
    """One sentence naming the rules whose relaxation alone would make a portfolio possible;
    if none would, the pairs of rules whose relaxation together would."""
    settings = dataclasses.replace(settings, name="highs", method="direct", mip_gap=0.0)
    in_force = {key: change for key, relax in RELAXATIONS
                if _changes(instance, change := relax(instance))}
    culprits = [key for key, change in in_force.items()
                if _helps(dataclasses.replace(instance, **change), settings)]
    said = "no portfolio meets every rule together"
    if len(culprits) == 1:
        return f"{said}; only relaxing {culprits[0]} would make one possible"
    if culprits:
        return f"{said}; relaxing any one of {', '.join(culprits)} would make one possible"
    pairs = [f"{first} and {second}" for first, second in itertools.combinations(in_force, 2)
             if _helps(_relaxed(instance, in_force[first], in_force[second]), settings)]
    if pairs:
        return (f"{said}, and relaxing one rule alone would not make one possible; relaxing "
                f"both {', or both '.join(pairs)} would")
    return (f"{said}, and relaxing one or two rules alone would not make one possible (the "
            f"rules in force: {', '.join(in_force)})")


def _changes(instance: SelectionInstance, change: dict) -> bool:
    """Whether ``change`` (instance field -> value) relaxes a rule in force: some value
    differs from the instance's (an access limit that is off, for one, does not)."""
    for name, value in change.items():
        now = getattr(instance, name)
        if name == "required":
            if now is not None and now.any():
                return True
        elif name == "access":
            if (now.max_km, now.min_country_share) != (value.max_km, value.min_country_share):
                return True
        elif not np.array_equal(now, value):
            return True
    return False


def _relaxed(instance: SelectionInstance, first: dict, second: dict) -> SelectionInstance:
    """``instance`` with two relaxations (both access limits: one access without either)."""
    if "access" in first and "access" in second:
        access = dataclasses.replace(instance.access, max_km=0.0, min_country_share=0.0)
        return dataclasses.replace(instance, access=access)
    return dataclasses.replace(instance, **first, **second)
