"""From geography to numbers: turn a data set and a model file into a :class:`SelectionInstance`.

This is the geographic wrapper around the numbers-only model: it computes each site's effective
power, which sites are eligible or required, which demand points each site covers, and it
explains, before any solver runs, why a model can have no useful answer.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from siteopt.config import ModelConfig
from siteopt.data import Dataset
from siteopt.errors import ConfigError, InfeasibleError
from siteopt.geometry import coverage_pairs
from siteopt.model import SelectionInstance, group_demand


@dataclass(frozen=True, eq=False)
class PreparedInstance:
    """The instance plus the per-point coverage it was built from (for results and maps).

    Attributes
    ----------
    instance : SelectionInstance
    point_index, site_index : ndarray
        Every (demand point, site) pair within R, over all sites (eligible or not).
    point_population : ndarray
        People per demand point.
    """

    instance: SelectionInstance
    point_index: np.ndarray
    site_index: np.ndarray
    point_population: np.ndarray


def bn(eur: float) -> str:
    """EUR amount in billions for messages: ``EUR 3.6 bn``."""
    return f"EUR {eur / 1e9:,.1f} bn"


def required_phrase(site_ids: list[str], verb_singular: str, verb_plural: str) -> str:
    """``required site X costs`` / ``required sites X, Y cost``."""
    if len(site_ids) == 1:
        return f"required site {site_ids[0]} {verb_singular}"
    return f"required sites {', '.join(site_ids)} {verb_plural}"


def _check_site_lists(cfg: ModelConfig, site_ids: list[str]) -> None:
    known = set(site_ids)
    for key, listed in (("sites.required", cfg.sites.required),
                        ("sites.excluded", cfg.sites.excluded)):
        for site_id in listed:
            if site_id not in known:
                close = difflib.get_close_matches(site_id, site_ids, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else "; see data/sites.csv"
                raise ConfigError(f"{cfg.source}: {key} names unknown site '{site_id}'{hint}")


def effective_mw(power_mw, grid_mw, power_cap_mw: float) -> np.ndarray:
    """:math:`m_s = \\min(\\text{power}, \\text{grid}, P)`, MW."""
    return np.minimum(np.minimum(np.asarray(power_mw, float), np.asarray(grid_mw, float)),
                      power_cap_mw)


def diagnose(cfg: ModelConfig, site_ids: list[str], country: list[str], mw: np.ndarray,
             capex: np.ndarray, eligible: np.ndarray, required: np.ndarray) -> None:
    """Raise :class:`InfeasibleError` naming the limits in conflict, if any.

    The model is feasible exactly when the required sites alone satisfy every limit (choosing
    no other site is always allowed). When nothing but the empty selection fits, that is also
    reported, since a portfolio of no gigafactory answers nothing.
    """
    limits, budget = cfg.limits, cfg.budget.total_eur
    both = sorted(set(cfg.sites.required) & set(cfg.sites.excluded))
    if both:
        subject = (f"site {both[0]} is" if len(both) == 1 else f"sites {', '.join(both)} are")
        pronoun = "it" if len(both) == 1 else "them"
        raise InfeasibleError(f"{subject} both required and excluded; remove {pronoun} from "
                              f"sites.required or sites.excluded")
    below = [site_ids[s] for s in np.flatnonzero(required & (mw < limits.min_site_mw))]
    if below:
        raise InfeasibleError(f"{required_phrase(below, 'has', 'have')} less effective power "
                              f"than limits.min_site_mw = {limits.min_site_mw:g} MW")
    chosen = [site_ids[s] for s in np.flatnonzero(required)]
    if required.sum() > limits.max_sites:
        raise InfeasibleError(f"{len(chosen)} {required_phrase(chosen, 'exceeds', 'exceed')} "
                              f"limits.max_sites = {limits.max_sites}")
    for code in sorted(set(country)):
        in_country = [site_ids[s] for s in np.flatnonzero(required)
                      if country[s] == code]
        if len(in_country) > limits.max_sites_per_country:
            raise InfeasibleError(f"required sites {', '.join(in_country)} are all in {code}, more "
                                  f"than limits.max_sites_per_country = "
                                  f"{limits.max_sites_per_country}")
    if capex[required].sum() > budget:
        raise InfeasibleError(f"{required_phrase(chosen, 'costs', 'cost')} "
                              f"{bn(capex[required].sum())} > budget {bn(budget)}")
    if mw[required].sum() > limits.total_power_mw:
        raise InfeasibleError(f"{required_phrase(chosen, 'has', 'have')} "
                              f"{mw[required].sum():,.0f} MW > limits.total_power_mw = "
                              f"{limits.total_power_mw:,.0f} MW")
    if required.any():
        return
    if not eligible.any():
        raise InfeasibleError(f"no site is eligible: every site is excluded or has less "
                              f"effective power than limits.min_site_mw = "
                              f"{limits.min_site_mw:g} MW")
    cheapest = capex[eligible].min()
    if cheapest > budget:
        raise InfeasibleError(f"budget {bn(budget)} is below the cheapest eligible site, "
                              f"{bn(cheapest)}")
    smallest = mw[eligible].min()
    if smallest > limits.total_power_mw:
        raise InfeasibleError(f"limits.total_power_mw = {limits.total_power_mw:,.0f} MW is below "
                              f"the smallest eligible site, {smallest:,.0f} MW")
    fits = eligible & (capex <= budget) & (mw <= limits.total_power_mw)
    if not fits.any():
        raise InfeasibleError(f"no eligible site fits both the budget {bn(budget)} and "
                              f"limits.total_power_mw = {limits.total_power_mw:,.0f} MW")


def prepare_instance(dataset: Dataset, cfg: ModelConfig) -> PreparedInstance:
    """Compute coverage, eligibility and the demand groups for ``cfg`` on ``dataset``.

    Raises
    ------
    ConfigError
        If ``sites.required`` or ``sites.excluded`` names an unknown site.
    InfeasibleError
        If the limits conflict (see :func:`diagnose`).
    """
    sites, demand = dataset.sites, dataset.demand
    site_ids = sites["site_id"].tolist()
    country = sites["country"].tolist()
    _check_site_lists(cfg, site_ids)
    mw = effective_mw(sites["power_mw"], sites["grid_mw"], cfg.limits.gigafactory_power_cap_mw)
    capex = sites["capex_eur"].to_numpy(dtype=float)
    required = sites["site_id"].isin(cfg.sites.required).to_numpy()
    eligible = ~sites["site_id"].isin(cfg.sites.excluded).to_numpy() & (mw >= cfg.limits.min_site_mw)
    diagnose(cfg, site_ids, country, mw, capex, eligible, required)

    point_population = demand["population"].to_numpy(dtype=float)
    point_index, site_index = coverage_pairs(sites["lat"].to_numpy(), sites["lon"].to_numpy(),
                                             demand["lat"].to_numpy(), demand["lon"].to_numpy(),
                                             cfg.coverage.radius_km)
    group_population, group_sites = group_demand(point_population, point_index, site_index,
                                                 eligible)
    instance = SelectionInstance(
        site_ids=tuple(site_ids),
        site_country=tuple(country),
        effective_mw=mw,
        renewable_share=sites["renewable_share"].to_numpy(dtype=float),
        capex_eur=capex,
        group_population=group_population,
        group_sites=group_sites,
        total_population=float(point_population.sum()),
        budget_eur=cfg.budget.total_eur,
        max_sites=cfg.limits.max_sites,
        max_sites_per_country=cfg.limits.max_sites_per_country,
        power_cap_mw=cfg.limits.gigafactory_power_cap_mw,
        total_power_mw=cfg.limits.total_power_mw,
        weights=cfg.weights,
        eligible=eligible,
        required=required,
    )
    return PreparedInstance(instance, point_index, site_index, point_population)
