"""From geography to numbers: turn a data set and a model file into a :class:`SelectionInstance`.

This is the geographic wrapper around the numbers-only model: it computes each site's effective
power, which sites are eligible or required, which demand points each site covers, and it
explains, before any solver runs, why a model can have no useful answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siteopt.config import ModelConfig
from siteopt.coverage import Coverage, cover_demand
from siteopt.data import Dataset
from siteopt.data.schema import id_hint
from siteopt.errors import ConfigError, InfeasibleError
from siteopt.geometry import DISTANCE_TOLERANCE_KM, haversine_km
from siteopt.model import SelectionInstance
from siteopt.model.access_rows import AccessData
from siteopt.terms import ACCESS_TERMS
from siteopt.units import eur

#: Hours in a year, for yearly energy (8,760 h).
HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True, eq=False)
class PreparedInstance:
    """The instance plus the per-point coverage it was built from (for results and maps).

    Attributes
    ----------
    instance : SelectionInstance
    coverage : Coverage
        Each demand point's group and each site's population within R.
    annual_energy_mwh : ndarray or None
        Each site's electricity in a year, MWh: effective MW x PUE x utilisation x 8,760 h.
    """

    instance: SelectionInstance
    coverage: Coverage
    annual_energy_mwh: np.ndarray | None = None

    def covered_points(self, selected: np.ndarray) -> np.ndarray:
        """Per demand point: whether a selected site (a mask over the sites) is within R."""
        groups = self.coverage.group_of_point
        covered = np.array([selected[sites].any() for sites in self.instance.group_sites],
                           dtype=bool)
        return (groups >= 0) & np.r_[covered, False][groups]


def required_phrase(site_ids: list[str], verb_singular: str, verb_plural: str) -> str:
    """``required site X costs`` / ``required sites X, Y cost``."""
    if len(site_ids) == 1:
        return f"required site {site_ids[0]} {verb_singular}"
    return f"required sites {', '.join(site_ids)} {verb_plural}"


def _check_site_lists(cfg: ModelConfig, site_ids: list[str], sites_file: str) -> None:
    known = set(site_ids)
    for key, listed in (("sites.required", cfg.sites.required),
                        ("sites.excluded", cfg.sites.excluded)):
        for site_id in listed:
            if site_id not in known:
                hint = id_hint(site_id, known, f"; the site IDs are in {sites_file}")
                raise ConfigError(f"{cfg.origin(key)}: {key} names unknown site "
                                  f"'{site_id}'{hint}")


def effective_mw(power_mw, grid_mw, power_cap_mw: float) -> np.ndarray:
    """:math:`m_s = \\min(\\text{power}, \\text{grid}, P)`, MW."""
    return np.minimum(np.minimum(np.asarray(power_mw, float), np.asarray(grid_mw, float)),
                      power_cap_mw)


def _country_phrase(code: str, sites: list[str]) -> str:
    return f"required sites {', '.join(sites)} are all in {code}"


def diagnose(cfg: ModelConfig, site_ids: list[str], country: list[str], mw: np.ndarray,
             capex: np.ndarray, eligible: np.ndarray, required: np.ndarray,
             lat: np.ndarray, lon: np.ndarray) -> None:
    """Raise :class:`InfeasibleError` naming the rules in conflict, if any.

    Checks the conflicts a user can make with required sites and limits, before any solver
    runs. When nothing but the empty portfolio fits, that is also reported, since a portfolio of
    no gigafactory answers nothing.
    """
    limits, consolidation, budget = cfg.limits, cfg.consolidation, cfg.budget.total_eur
    members = consolidation.max_sites_per_gigafactory
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
    if required.sum() > limits.max_gigafactories * members:
        raise InfeasibleError(
            f"{len(chosen)} {required_phrase(chosen, 'exceeds', 'exceed')} what "
            f"limits.max_gigafactories = {limits.max_gigafactories} gigafactories of at most "
            f"consolidation.max_sites_per_gigafactory = {members} sites can hold")
    if not consolidation.cross_border:
        _diagnose_national_bids(cfg, site_ids, country, mw, required, lat, lon)
    if capex[required].sum() > budget:
        raise InfeasibleError(f"{required_phrase(chosen, 'costs', 'cost')} "
                              f"{eur(capex[required].sum())} > budget {eur(budget)}")
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
    cheapest = np.flatnonzero(eligible)[np.argmin(capex[eligible])]
    if capex[cheapest] > budget:
        raise InfeasibleError(f"budget {eur(budget)} is below the cheapest eligible site, "
                              f"{site_ids[cheapest]} at {eur(capex[cheapest])}: no gigafactory "
                              f"fits; raise budget.total_eur to at least that")
    smallest = np.flatnonzero(eligible)[np.argmin(mw[eligible])]
    if mw[smallest] > limits.total_power_mw:
        raise InfeasibleError(f"limits.total_power_mw = {limits.total_power_mw:,.0f} MW is below "
                              f"the smallest eligible site, {site_ids[smallest]} with "
                              f"{mw[smallest]:,.0f} MW: no gigafactory fits; raise "
                              f"limits.total_power_mw to at least that")


def _diagnose_national_bids(cfg, site_ids, country, mw, required, lat, lon) -> None:
    """Required sites of one member state that must share too few national gigafactories."""
    limits, consolidation = cfg.limits, cfg.consolidation
    bids, members = limits.max_bids_per_country, consolidation.max_sites_per_gigafactory
    for code in sorted(set(country)):
        in_country = sorted((s for s in np.flatnonzero(required) if country[s] == code),
                            key=lambda s: site_ids[s])
        names = [site_ids[s] for s in in_country]
        if len(in_country) > bids * members:
            raise InfeasibleError(
                f"{_country_phrase(code, names)}: more than limits.max_bids_per_country = "
                f"{bids} gigafactories of at most consolidation.max_sites_per_gigafactory = "
                f"{members} sites can hold")
        if bids != 1 or len(in_country) < 2:
            continue
        # one bid: every required site of the state is a member of the same gigafactory
        distance = haversine_km(lat[in_country][:, None], lon[in_country][:, None],
                                lat[in_country][None, :], lon[in_country][None, :])
        far = np.unravel_index(np.argmax(distance), distance.shape)
        if distance[far] > consolidation.link_km + DISTANCE_TOLERANCE_KM:
            first, second = sorted((names[far[0]], names[far[1]]))
            raise InfeasibleError(
                f"required sites {first} and {second} are {distance[far]:,.0f} km apart but "
                f"consolidation.link_km is {consolidation.link_km:g}; with "
                f"limits.max_bids_per_country = 1 they must share one gigafactory")
        power = mw[in_country].sum()
        if power > limits.gigafactory_power_cap_mw + 1e-9:
            raise InfeasibleError(
                f"{_country_phrase(code, names)} and must share one gigafactory "
                f"(limits.max_bids_per_country = 1), but together they have {power:,.0f} MW > "
                f"limits.gigafactory_power_cap_mw = {limits.gigafactory_power_cap_mw:,.0f} MW")


def diagnose_candidates(instance: SelectionInstance) -> None:
    """Every required site must be a member of at least one allowed gigafactory.

    In the compact form no candidates are enumerated; the solver and
    :mod:`siteopt.solvers.infeasibility` name such a conflict instead.
    """
    if instance.compact:
        return
    in_some = np.zeros(len(instance.site_ids), dtype=bool)
    in_some[instance.candidates.site_pairs()[1]] = True
    missing = [instance.site_ids[s] for s in np.flatnonzero(instance.required & ~in_some)]
    if missing:
        raise InfeasibleError(
            f"{required_phrase(missing, 'is', 'are')} in no gigafactory the rules allow: check "
            f"limits.min_gigafactory_mw = {instance.min_gigafactory_mw:g} MW, the budget and "
            f"consolidation.link_km = {instance.link_km:g} km")


def access_data(dataset: Dataset, cfg: ModelConfig, coverage: Coverage,
                eligible: np.ndarray, terms: tuple[str, ...] = ()) -> AccessData:
    """The demand points and the ``access`` settings for the terms A, W, B, F (the rows of
    ``terms`` in the model whatever their weight). Its distances and level rows are kept
    with ``dataset`` while the eligible sites, R, D and the decay stay the same."""
    demand, sites = dataset.demand_table, dataset.site_table
    derived = dataset.derive("access", (eligible.tobytes(), cfg.coverage.radius_km,
                                        cfg.access.reference_km, cfg.coverage.decay), dict)
    states, state = np.unique(np.asarray(demand["country"], dtype=object).astype(str),
                              return_inverse=True)
    return AccessData(
        point_lat=np.asarray(demand["lat"], float), point_lon=np.asarray(demand["lon"], float),
        point_people=np.asarray(demand["population"], float),
        point_state=state.astype(np.int64), states=tuple(states.tolist()),
        point_group=np.asarray(coverage.group_of_point, np.int64),
        point_ids=tuple(np.asarray(demand["point_id"], dtype=object).astype(str).tolist()),
        site_lat=np.asarray(sites["lat"], float), site_lon=np.asarray(sites["lon"], float),
        eligible=eligible, radius_km=cfg.coverage.radius_km,
        reference_km=cfg.access.reference_km, decay=cfg.coverage.decay,
        max_km=cfg.access.max_km, min_country_share=cfg.access.min_country_share,
        site_state=tuple(np.asarray(sites["country"], dtype=object).astype(str).tolist()),
        terms_in_model=tuple(t for t in terms if t in ACCESS_TERMS), derived=derived)


def diagnose_access(instance: SelectionInstance, dataset: Dataset) -> None:
    """``access.max_km`` and ``access.min_country_share`` that no portfolio can meet: name the
    points or member states out of reach and the nearest eligible site.

    Raises
    ------
    InfeasibleError
    """
    data = instance.access
    eligible = np.flatnonzero(data.eligible)
    names = np.asarray(dataset.demand_table["name"], dtype=object).astype(str)
    if data.max_km > 0:
        far = data.populated[data.must_cover[1]]
        if len(far):
            distance = data.distances(far, eligible)
            shown = []
            for row in np.argsort(-distance.min(axis=1), kind="stable")[:3]:
                nearest = int(np.argmin(distance[row]))
                shown.append(f"{data.point_ids[far[row]]} ({names[far[row]]}, "
                             f"{data.states[data.point_state[far[row]]]}): nearest eligible "
                             f"site {instance.site_ids[eligible[nearest]]} at "
                             f"{distance[row, nearest]:,.0f} km")
            more = f" and {len(far) - 3} more" if len(far) > 3 else ""
            raise InfeasibleError(
                f"access.max_km = {data.max_km:g} km cannot be met: {len(far)} populated "
                f"point{'s' if len(far) > 1 else ''} {'have' if len(far) > 1 else 'has'} no "
                f"eligible site that close: {'; '.join(shown)}{more}")
    if data.min_country_share > 0:
        reachable = data.reachable_share()
        short = [c for c in np.flatnonzero(reachable < data.min_country_share - 1e-12)]
        if short:
            parts = []
            for c in short[:3]:
                mine = data.populated[data.point_state[data.populated] == c]
                distance = data.distances(mine, eligible).min(axis=0)
                nearest = int(np.argmin(distance))
                parts.append(f"{data.states[c]} ({reachable[c]:.1%}; nearest eligible site "
                             f"{instance.site_ids[eligible[nearest]]}, "
                             f"{distance[nearest]:,.0f} km from its nearest point)")
            raise InfeasibleError(
                f"access.min_country_share = {data.min_country_share:g} cannot be met: even "
                f"every eligible site together brings less within coverage.radius_km = "
                f"{data.radius_km:g} km in {', '.join(parts)}")


def site_figure(sites, countries, column: str) -> np.ndarray:
    """A per-site figure: the site's own value where given, else its country's.

    Parameters
    ----------
    sites, countries : Table
        The sites (``country`` and maybe ``column``) and the countries (``iso_a2``, ``column``).
    column : str
        The figure, e.g. ``elec_price_eur_mwh``.
    """
    by_country = dict(zip(countries["iso_a2"], countries[column].astype(float)))
    fallback = np.array([by_country.get(code, np.nan) for code in sites["country"]], dtype=float)
    if column not in sites:
        return fallback
    own = sites[column].astype(float)
    return np.where(np.isnan(own), fallback, own)


def energy_cost_eur(mw: np.ndarray, pue: np.ndarray, price_eur_mwh: np.ndarray,
                    cfg: ModelConfig) -> np.ndarray:
    """Electricity cost of each site over ``costs.years``: m_s PUE_s u 8760 h price_s years, EUR."""
    costs = cfg.costs
    return mw * pue * costs.utilisation * HOURS_PER_YEAR * price_eur_mwh * costs.years


def prepare_instance(dataset: Dataset, cfg: ModelConfig,
                     terms: tuple[str, ...] = ()) -> PreparedInstance:
    """Compute coverage, eligibility, costs and the demand groups for ``cfg`` on ``dataset``
    (with the rows of the access ``terms`` even where their weight is 0).

    Raises
    ------
    ConfigError
        If ``sites.required`` or ``sites.excluded`` names an unknown site.
    InfeasibleError
        If the limits conflict (see :func:`diagnose`).
    """
    sites, demand, countries = dataset.site_table, dataset.demand_table, dataset.country_table
    site_ids = sites["site_id"].tolist()
    country = sites["country"].tolist()
    _check_site_lists(cfg, site_ids, dataset.displays["sites.csv"])
    mw = effective_mw(sites["power_mw"], sites["grid_mw"], cfg.limits.gigafactory_power_cap_mw)
    capex = sites["capex_eur"].astype(float)
    lat, lon = sites["lat"].astype(float), sites["lon"].astype(float)
    required = np.isin(sites["site_id"], list(cfg.sites.required))
    eligible = ~np.isin(sites["site_id"], list(cfg.sites.excluded)) & (mw >= cfg.limits.min_site_mw)
    diagnose(cfg, site_ids, country, mw, capex, eligible, required, lat, lon)

    point_population = demand["population"].astype(float)
    coverage = dataset.derive(
        "coverage", (lat.tobytes(), lon.tobytes(), cfg.coverage.radius_km, eligible.tobytes()),
        lambda: cover_demand(lat, lon, demand["lat"], demand["lon"],
                             point_population, cfg.coverage.radius_km, eligible))
    pue = sites["pue"].astype(float) if "pue" in sites else np.full(len(sites), np.nan)
    pue = np.where(np.isnan(pue), cfg.costs.default_pue, pue)
    price = site_figure(sites, countries, "elec_price_eur_mwh")
    position = {site_id: s for s, site_id in enumerate(site_ids)}
    consolidation = cfg.consolidation
    instance = SelectionInstance(
        site_ids=tuple(site_ids),
        site_country=tuple(country),
        effective_mw=mw,
        renewable_share=sites["renewable_share"].astype(float),
        capex_eur=capex,
        group_population=coverage.group_population,
        group_sites=coverage.group_sites,
        total_population=float(point_population.sum()),
        budget_eur=cfg.budget.total_eur,
        max_gigafactories=cfg.limits.max_gigafactories,
        max_bids_per_country=cfg.limits.max_bids_per_country,
        power_cap_mw=cfg.limits.gigafactory_power_cap_mw,
        total_power_mw=cfg.limits.total_power_mw,
        weights=cfg.weights,
        eligible=eligible,
        required=required,
        site_lat=lat,
        site_lon=lon,
        co2_g_per_kwh=site_figure(sites, countries, "co2_g_per_kwh"),
        energy_cost_eur=energy_cost_eur(mw, pue, price, cfg),
        max_members=consolidation.max_sites_per_gigafactory,
        cross_border=consolidation.cross_border,
        max_countries=consolidation.max_countries_per_gigafactory,
        link_km=consolidation.link_km,
        extra_site_cost_eur=consolidation.extra_site_cost_eur,
        min_gigafactory_mw=cfg.limits.min_gigafactory_mw,
        letter_site=np.array([position[s] for s in dataset.letter_table["site_id"]],
                             dtype=np.int64),
        letter_radius_km=consolidation.radius_km,
        cost_reference_eur=cfg.costs.reference_eur,
        access=access_data(dataset, cfg, coverage, eligible, terms),
    )
    # the level rows join the groups first: a copy would enumerate the candidates again
    instance = instance.with_access(instance.access)
    diagnose_candidates(instance)
    diagnose_access(instance, dataset)
    return PreparedInstance(instance, coverage,
                            mw * pue * cfg.costs.utilisation * HOURS_PER_YEAR)
