"""Random instances for property tests and a hard one for time-limit tests."""

from __future__ import annotations

import itertools

import numpy as np

from siteopt.config import Weights
from siteopt.model import SelectionInstance


def random_instance(seed: int, n_sites: int, n_groups: int, n_countries: int,
                    people_scale: float = 1.0, capex_scale: float = 1.0) -> SelectionInstance:
    """A seeded random instance small enough for brute force (n_sites <= 12).

    ``people_scale`` and ``capex_scale`` multiply populations and money, to give the solvers
    the magnitudes of real data (people in millions, capex in EUR billions).
    """
    rng = np.random.default_rng(seed)
    capex = rng.integers(2, 7, n_sites).astype(float)  # whole numbers: budgets can be met exactly
    groups = tuple(np.sort(rng.choice(n_sites, rng.integers(1, min(4, n_sites) + 1), replace=False))
                   for _ in range(n_groups))
    population = rng.integers(1, 100, n_groups).astype(float)
    eligible = rng.random(n_sites) > 0.15
    required = np.zeros(n_sites, dtype=bool)
    if rng.random() < 0.3:
        required[rng.choice(np.flatnonzero(eligible) if eligible.any() else [0])] = True
        eligible |= required
    weights = rng.random(5) * (rng.random(5) > 0.2)
    power_cap_mw = float(rng.choice([400.0, 1000.0]))
    return SelectionInstance(
        site_ids=tuple(f"S-{i}" for i in range(n_sites)),
        site_country=tuple(f"C{c}" for c in rng.integers(0, n_countries, n_sites)),
        effective_mw=np.minimum(rng.integers(50, 1001, n_sites), power_cap_mw).astype(float),
        renewable_share=rng.random(n_sites).round(3),
        capex_eur=capex * capex_scale,
        group_population=population * people_scale,
        group_sites=groups,
        total_population=float(population.sum() + rng.integers(0, 100)) * people_scale,
        budget_eur=float(rng.integers(3, 20)) * capex_scale,
        max_sites=int(rng.integers(1, n_sites + 1)),
        max_sites_per_country=int(rng.integers(1, 3)),
        power_cap_mw=power_cap_mw,
        total_power_mw=float(rng.integers(300, 4000)),
        weights=Weights(*weights),
        eligible=eligible,
        required=required,
    )


def brute_force(instance: SelectionInstance) -> tuple[float, tuple[int, ...]] | None:
    """Best objective over all feasible subsets, computed from the definition (not the model).

    Returns None when no subset is feasible.
    """
    n = len(instance.site_ids)
    w = instance.weights
    scale = instance.max_sites * instance.power_cap_mw
    mw = instance.effective_mw
    best = None
    for size in range(0, min(n, instance.max_sites) + 1):
        for subset in itertools.combinations(range(n), size):
            chosen = set(subset)
            if any(not instance.eligible[s] for s in chosen):
                continue
            if any(instance.required[s] and s not in chosen for s in range(n)):
                continue
            if sum(instance.capex_eur[s] for s in chosen) > instance.budget_eur + 1e-9:
                continue
            if sum(mw[s] for s in chosen) > instance.total_power_mw + 1e-9:
                continue
            per_country = {}
            for s in chosen:
                per_country[instance.site_country[s]] = per_country.get(instance.site_country[s], 0) + 1
            if per_country and max(per_country.values()) > instance.max_sites_per_country:
                continue
            covered = sum(p for p, sites in zip(instance.group_population, instance.group_sites)
                          if chosen & set(sites.tolist()))
            value = (w.coverage * covered / instance.total_population
                     + w.grid * sum(mw[s] for s in chosen) / scale
                     + w.spread * len(per_country) / instance.max_sites
                     + w.green * sum(instance.renewable_share[s] * mw[s] for s in chosen) / scale
                     - w.cost * sum(instance.capex_eur[s] for s in chosen) / instance.budget_eur)
            if best is None or value > best[0] + 1e-12:
                best = (value, subset)
    return best


def hard_instance(n_sites: int, n_groups: int, seed: int = 1) -> SelectionInstance:
    """A random maximal-covering instance that CBC and HiGHS cannot prove optimal in a second."""
    rng = np.random.default_rng(seed)
    population = rng.uniform(1, 100, n_groups)
    return SelectionInstance(
        site_ids=tuple(f"S{i}" for i in range(n_sites)),
        site_country=tuple(f"C{i % 40}" for i in range(n_sites)),
        effective_mw=rng.uniform(100, 1000, n_sites),
        renewable_share=rng.uniform(0, 1, n_sites),
        capex_eur=rng.uniform(2, 6, n_sites),
        group_population=population,
        group_sites=tuple(np.sort(rng.choice(n_sites, rng.integers(2, 6), replace=False))
                          for _ in range(n_groups)),
        total_population=float(population.sum() * 1.2),
        budget_eur=40.0,
        max_sites=12,
        max_sites_per_country=1,
        power_cap_mw=1000.0,
        total_power_mw=8000.0,
        weights=Weights(coverage=1, grid=0, spread=0, green=0, cost=0),
    )
