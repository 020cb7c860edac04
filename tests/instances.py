"""Random instances for property tests, a brute force to check them, and a hard instance.

The brute force knows nothing of the model, the candidate enumeration or ``evaluate``: it
assigns every site to "unused" or to one of up to p gigafactories in every possible way, checks
each rule from its plain-words definition and computes the objective from the terms' definitions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import math

import numpy as np

from siteopt.config import Weights
from siteopt.geometry import DISTANCE_TOLERANCE_KM
from siteopt.model import SelectionInstance
from siteopt.model import access_rows
from siteopt.model.access_rows import AccessData

EARTH_KM = 6371.0088


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


@functools.cache
def random_instance(seed: int, n_sites: int, n_groups: int, n_countries: int,
                    people_scale: float = 1.0, capex_scale: float = 1.0,
                    consolidation: bool = True) -> SelectionInstance:
    """A seeded random instance small enough for brute force (n_sites <= 8).

    ``people_scale`` and ``capex_scale`` multiply populations and money, to give the solvers
    the magnitudes of real data (people in millions, capex in EUR billions). Without
    ``consolidation`` every gigafactory is a single site (M = 1).
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
    weights = rng.random(7) * (rng.random(7) > 0.3)
    power_cap_mw = float(rng.choice([600.0, 1000.0]))
    n_letters = int(rng.integers(0, 6))
    return SelectionInstance(
        site_ids=tuple(f"S-{i}" for i in range(n_sites)),
        site_country=tuple(f"C{c}" for c in rng.integers(0, n_countries, n_sites)),
        effective_mw=np.minimum(rng.integers(50, 701, n_sites), power_cap_mw).astype(float),
        renewable_share=rng.random(n_sites).round(3),
        capex_eur=capex * capex_scale,
        group_population=population * people_scale,
        group_sites=groups,
        total_population=float(population.sum() + rng.integers(0, 100)) * people_scale,
        budget_eur=float(rng.integers(3, 20)) * capex_scale,
        max_gigafactories=int(rng.integers(1, 4)),
        max_bids_per_country=int(rng.integers(1, 3)),
        power_cap_mw=power_cap_mw,
        total_power_mw=float(rng.integers(300, 3000)),
        weights=Weights(*weights, clean_reference_g_per_kwh=800.0),
        eligible=eligible,
        required=required,
        site_lat=rng.uniform(44.0, 54.0, n_sites),
        site_lon=rng.uniform(0.0, 15.0, n_sites),
        co2_g_per_kwh=rng.uniform(0.0, 1000.0, n_sites).round(0),
        energy_cost_eur=rng.uniform(0.0, 3.0, n_sites).round(2) * capex_scale,
        max_members=int(rng.integers(1, 4)) if consolidation else 1,
        cross_border=bool(rng.random() < 0.5) if consolidation else False,
        max_countries=int(rng.integers(1, 4)),
        link_km=float(rng.choice([300.0, 600.0, 2000.0])),
        extra_site_cost_eur=float(rng.choice([0.0, 0.5, 1.0])) * capex_scale,
        min_gigafactory_mw=float(rng.choice([0.0, 0.0, 400.0])),
        letter_site=rng.integers(0, n_sites, n_letters),
        letter_radius_km=float(rng.choice([0.0, 300.0, 800.0])),
        cost_reference_eur=30.0 * capex_scale,
    )


def _assignments(n: int, most: int):
    """Every way to put n sites into "unused" (-1) or one of at most ``most`` unlabelled groups.

    Group labels appear in order of first use (0, then 1, ...), so each partition comes once.
    """
    def grow(prefix, used):
        if len(prefix) == n:
            yield prefix
            return
        for label in range(-1, min(used + 1, most)):
            yield from grow(prefix + (label,), max(used, label + 1))
    yield from grow((), 0)


def every_portfolio(instance: SelectionInstance):
    """Every assignment of sites to at most ``max_gigafactories`` gigafactories (rules aside),
    each as sorted tuples of member site indices, once each."""
    for labels in _assignments(len(instance.site_ids), instance.max_gigafactories):
        groups: dict[int, list[int]] = {}
        for site, label in enumerate(labels):
            if label >= 0:
                groups.setdefault(label, []).append(site)
        yield tuple(sorted(tuple(g) for g in groups.values()))


def feasible_portfolios(instance: SelectionInstance):
    """(objective, portfolio) of every portfolio that keeps every rule."""
    for portfolio in every_portfolio(instance):
        value = portfolio_value(instance, portfolio)
        if value is not None:
            yield value, portfolio


def member_sites(portfolio) -> tuple[int, ...]:
    """The member sites of a portfolio, sorted."""
    return tuple(sorted(s for members in portfolio for s in members))


def portfolio_value(instance: SelectionInstance, gigafactories) -> float | None:
    """The objective of a portfolio from the definitions, or None if it breaks a rule."""
    i = instance
    used = sorted(s for g in gigafactories for s in g)
    if any(not i.eligible[s] for s in used):
        return None
    if any(i.required[s] and s not in used for s in range(len(i.site_ids))):
        return None
    bids: dict[str, int] = {}
    for g in gigafactories:
        states = {i.site_country[s] for s in g}
        if len(g) > i.max_members:
            return None
        if len(states) > (i.max_countries if i.cross_border else 1):
            return None
        power = sum(i.effective_mw[s] for s in g)
        if power > i.power_cap_mw + 1e-9 or power < i.min_gigafactory_mw - 1e-9:
            return None
        for a, b in itertools.combinations(g, 2):
            if _km(i.site_lat[a], i.site_lon[a], i.site_lat[b], i.site_lon[b]) > i.link_km + 1e-6:
                return None
        for state in states:
            bids[state] = bids.get(state, 0) + 1
    if bids and max(bids.values()) > i.max_bids_per_country:
        return None
    capital = sum(i.capex_eur[s] for s in used) + i.extra_site_cost_eur * (
        len(used) - len(gigafactories))
    if capital > i.budget_eur + 1e-9:
        return None
    power = sum(i.effective_mw[s] for s in used)
    if power > i.total_power_mw + 1e-9:
        return None
    scale = i.max_gigafactories * i.power_cap_mw
    chosen = set(used)
    covered = sum(p for p, sites in zip(i.group_population, i.group_sites)
                  if chosen & set(sites.tolist()))
    states = {i.site_country[s] for s in used}
    homed = 0
    for site in i.letter_site:
        at_home = any(i.site_country[s] == i.site_country[site] for s in used)
        near = i.cross_border and any(
            _km(i.site_lat[s], i.site_lon[s], i.site_lat[site], i.site_lon[site])
            <= i.letter_radius_km + 1e-6 for s in used)
        homed += at_home or near
    w = i.weights
    clean = sum(max(0.0, 1 - i.co2_g_per_kwh[s] / w.clean_reference_g_per_kwh)
                * i.effective_mw[s] for s in used)
    access = {"latency": 0.0, "worst": 0.0, "backup": 0.0, "fairness": 0.0,
              "coverage": covered / i.total_population if i.total_population > 0 else 0.0}
    if i.access is not None:
        access = access_values(i, used, gigafactories)
        if access is None:
            return None
    return (w.coverage * access["coverage"]
            + w.latency * access["latency"] + w.worst * access["worst"]
            + w.backup * access["backup"] + w.fairness * access["fairness"]
            + w.grid * power / scale
            + w.spread * min(len(states), i.max_gigafactories) / i.max_gigafactories
            + w.clean * clean / scale
            + w.green * sum(i.renewable_share[s] * i.effective_mw[s] for s in used) / scale
            + w.letters * (homed / len(i.letter_site) if len(i.letter_site) else 0.0)
            - w.cost * (capital + sum(i.energy_cost_eur[s] for s in used))
            / i.cost_reference_eur)


#: The access terms and limits a random access instance may switch on.
ACCESS_SWITCHES = ("latency", "worst", "backup", "fairness", "decay", "max_km", "min_share")


@functools.cache
def random_access_instance(seed: int, n_sites: int, n_points: int, switches: tuple[str, ...],
                           consolidation: bool = True,
                           reference_km: float | None = None) -> SelectionInstance:
    """:func:`random_instance`'s rules and sites with demand points (people, member states) in
    the same box, their coverage groups found here by plain distances, and the access terms
    and limits named in ``switches`` (see :data:`ACCESS_SWITCHES`) switched on; D
    (``reference_km``) drawn among 400, 800 and 2,000 km unless given.
    """
    base = random_instance(seed, n_sites, 0, 3, consolidation=consolidation)
    rng = np.random.default_rng(seed + 7919)
    lat, lon = rng.uniform(44.0, 54.0, n_points), rng.uniform(0.0, 15.0, n_points)
    people = rng.integers(0, 100, n_points).astype(float) * (rng.random(n_points) > 0.1)
    states = ("C0", "C1", "C2", "C9")     # C9: a member state without sites
    state = rng.integers(0, len(states), n_points)
    radius = float(rng.choice([150.0, 300.0, 500.0]))
    reference = float(rng.choice([400.0, 800.0, 2000.0]))
    reference = reference if reference_km is None else reference_km
    covering = [tuple(s for s in range(n_sites) if base.eligible[s] and _km(
        lat[d], lon[d], base.site_lat[s], base.site_lon[s]) <= radius + DISTANCE_TOLERANCE_KM)
        for d in range(n_points)]
    sets = sorted({c for c in covering if c})
    point_group = np.array([sets.index(c) if c else -1 for c in covering], dtype=np.int64)
    group_people = np.array([people[point_group == g].sum() for g in range(len(sets))])
    weights = dataclasses.replace(base.weights, **{
        term: float(rng.uniform(0.05, 1.0)) if term in switches else 0.0
        for term in ("latency", "worst", "backup", "fairness")})
    nearest = np.array([min((_km(lat[d], lon[d], base.site_lat[s], base.site_lon[s])
                             for s in range(n_sites) if base.eligible[s]), default=math.inf)
                        for d in range(n_points)])
    populated = people > 0
    # limits that some portfolio may meet: no farther than the farthest nearest eligible site
    max_km = (float(np.max(nearest[populated]) * rng.uniform(1.0, 1.5))
              if "max_km" in switches and populated.any() and np.isfinite(nearest).all() else 0.0)
    access = AccessData(
        point_lat=lat, point_lon=lon, point_people=people, point_state=state.astype(np.int64),
        states=states, point_group=point_group,
        point_ids=tuple(f"P{d}" for d in range(n_points)),
        site_lat=base.site_lat, site_lon=base.site_lon, eligible=base.eligible,
        radius_km=radius, reference_km=reference,
        decay=str(rng.choice(["linear", "exponential"])) if "decay" in switches else "step",
        max_km=max_km, min_country_share=float(rng.choice([0.1, 0.3]))
        if "min_share" in switches else 0.0, site_state=tuple(base.site_country))
    instance = dataclasses.replace(
        base, group_population=group_people, group_sites=tuple(np.array(c) for c in sets),
        total_population=float(people.sum()), weights=weights, access=access,
        group_coverage=None, group_latency=None)
    return instance.with_access(access)


@contextlib.contextmanager
def one_first_worst_point():
    """W's rounds start from one point, the farthest from every eligible site (none of the
    points each member state adds by rank): the rounds must add the others."""
    from unittest import mock

    with mock.patch.object(access_rows, "FIRST_WORST_POINTS", 1), \
            mock.patch.object(access_rows, "FIRST_WORST_RANKS", 0):
        yield


def access_values(instance: SelectionInstance, used: list[int], gigafactories) -> dict | None:
    """The access terms of a portfolio from their definitions (plain distances), or None if
    it breaks ``access.max_km`` or ``access.min_country_share``."""
    data = instance.access
    people = np.asarray(data.point_people, float)
    total = people.sum()
    radius, reference = data.radius_km, data.reference_km
    nearest = [min((_km(data.point_lat[d], data.point_lon[d], instance.site_lat[s],
                        instance.site_lon[s]) for s in used), default=math.inf)
               for d in range(len(people))]
    reached = [sum(any(_km(data.point_lat[d], data.point_lon[d], instance.site_lat[s],
                           instance.site_lon[s]) <= radius + DISTANCE_TOLERANCE_KM for s in g)
                   for g in gigafactories) for d in range(len(people))]
    populated = [d for d in range(len(people)) if people[d] > 0]
    shares = {}
    for c in range(len(data.states)):
        mine = [d for d in populated if data.point_state[d] == c]
        if mine:
            shares[c] = sum(people[d] for d in mine if reached[d]) / sum(people[d] for d in mine)
    if data.max_km > 0 and any(nearest[d] > data.max_km + DISTANCE_TOLERANCE_KM
                               for d in populated):
        return None
    if data.min_country_share > 0 and any(v < data.min_country_share - 1e-12
                                          for v in shares.values()):
        return None
    decay = {"step": lambda n: float(n <= radius + DISTANCE_TOLERANCE_KM),
             "linear": lambda n: max(0.0, 1 - n / radius),
             "exponential": lambda n: math.exp(-n / radius)}[data.decay]
    share = (lambda values: sum(people[d] * values[d] for d in populated) / total) \
        if total > 0 else (lambda values: 0.0)
    return {
        "coverage": share([decay(n) for n in nearest]),
        "latency": 1 - share([min(n, reference) for n in nearest]) / reference
        if total > 0 else 0.0,
        "worst": 1 - min(max((nearest[d] for d in populated), default=0.0), reference)
        / reference if populated else 0.0,
        "backup": share([float(r >= 2) for r in reached]),
        "fairness": min(shares.values()) if shares else 0.0,
    }


@functools.cache
def brute_force(instance: SelectionInstance) -> tuple[float, tuple] | None:
    """Best objective over every assignment of sites to gigafactories; None if none is feasible.

    Returns
    -------
    (objective, gigafactories) or None
    """
    best = None
    for value, portfolio in feasible_portfolios(instance):
        if best is None or value > best[0] + 1e-12:
            best = (value, portfolio)
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
        max_gigafactories=12,
        max_bids_per_country=1,
        power_cap_mw=1000.0,
        total_power_mw=8000.0,
        weights=Weights(coverage=1, grid=0, spread=0, clean=0, green=0, letters=0, cost=0),
    )


def with_twin(instance: SelectionInstance, site: int) -> SelectionInstance:
    """``instance`` with one more site, a copy of ``site`` in every figure and every demand
    group (a planted tie: any portfolio with one of the two scores the same with the other)."""
    def twin(values):
        values = np.asarray(values)
        return np.r_[values, values[site:site + 1]]

    n = len(instance.site_ids)
    return SelectionInstance(
        site_ids=instance.site_ids + (f"T-{instance.site_ids[site]}",),
        site_country=instance.site_country + (instance.site_country[site],),
        effective_mw=twin(instance.effective_mw),
        renewable_share=twin(instance.renewable_share),
        capex_eur=twin(instance.capex_eur),
        group_population=instance.group_population,
        group_sites=tuple(np.r_[g, n] if site in g else g for g in instance.group_sites),
        total_population=instance.total_population,
        budget_eur=instance.budget_eur,
        max_gigafactories=instance.max_gigafactories,
        max_bids_per_country=instance.max_bids_per_country,
        power_cap_mw=instance.power_cap_mw,
        total_power_mw=instance.total_power_mw,
        weights=instance.weights,
        eligible=twin(instance.eligible),
        required=np.r_[instance.required, False],
        site_lat=twin(instance.site_lat),
        site_lon=twin(instance.site_lon),
        co2_g_per_kwh=twin(instance.co2_g_per_kwh),
        energy_cost_eur=twin(instance.energy_cost_eur),
        max_members=instance.max_members,
        cross_border=instance.cross_border,
        max_countries=instance.max_countries,
        link_km=instance.link_km,
        extra_site_cost_eur=instance.extra_site_cost_eur,
        min_gigafactory_mw=instance.min_gigafactory_mw,
        letter_site=instance.letter_site,
        letter_radius_km=instance.letter_radius_km,
        cost_reference_eur=instance.cost_reference_eur,
    )


def brute_force_optima(instance: SelectionInstance, tolerance: float = 1e-9):
    """Every portfolio within ``tolerance`` of the brute-force optimum, as (value, portfolio)
    with each portfolio as sorted member tuples; empty if none is feasible."""
    values = list(feasible_portfolios(instance))
    if not values:
        return []
    best = max(v for v, _ in values)
    return [(v, p) for v, p in values if v >= best - tolerance]
