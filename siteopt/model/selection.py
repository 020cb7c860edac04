"""The numbers-only instance of the consolidation model (see :mod:`siteopt.model` for the
formulation): sites, candidate gigafactories, demand groups, limits and weights as arrays, with
the objective coefficients and conflict rows every solver path shares. No PuLP, no geometry
beyond great-circle distances between sites.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from siteopt.candidates import Candidates, enumerate_candidates
from siteopt.config import Weights
from siteopt.errors import ConfigError
from siteopt.geometry import DISTANCE_TOLERANCE_KM, haversine_km
from siteopt.incidence import Incidence, concatenated_ranges, sorted_unique
from siteopt.model.access_rows import AccessBlock, AccessData, access_block, access_terms
from siteopt.terms import ACCESS_TERMS, TERMS

#: The reach rows are written over the candidates while that takes at most this many times the
#: non-zeros of the rows over the sites (see :attr:`SelectionInstance.candidate_reach`).
CANDIDATE_REACH_RATIO = 8.0


#: A portfolio keeps the budget or the total power limit when it is over it by at most this
#: share of it (floating-point sums of EUR and MW).
LIMIT_TOLERANCE = 1e-9

#: The rules a MIP solver's feasibility tolerance may let a portfolio break by a hair: the
#: budget and the total power (every further site uses more of them) and the least share of
#: a member state's people within R (further sites may meet it).
TOLERANCE_RULES = {"budget", "total_power", "access.min_country_share"}
#: Those of them that every portfolio on the same sites and more breaks too.
GROWING_RULES = {"budget", "total_power"}

#: Integers up to this size are exact in a float, and so are their sums here.
EXACT_INTEGER = 2.0 ** 52


def attainable_limit(values: np.ndarray, limit: float) -> float:
    """The largest sum of ``values`` (each taken any number of times) that keeps ``limit``
    within :data:`LIMIT_TOLERANCE`, when ``values`` are whole numbers; else ``limit``.

    Whole capex (EUR) or power (MW) values are all multiples of their greatest common
    divisor g, and so is every portfolio's sum of them, so a limit can be lowered to the
    multiple of g at or below it without losing a portfolio. A MIP solver then has to break
    the row by a whole g (EUR 2 m on the shipped data) to let a portfolio over it through,
    far beyond its feasibility tolerance; at the limit itself it may break it by about 1e-7
    of the row (EUR 2,000 at EUR 20 bn).

    Parameters
    ----------
    values : numpy.ndarray
        The row's coefficients (EUR or MW).
    limit : float
        The row's limit (EUR or MW).

    Returns
    -------
    float
        The limit to give the solver.
    """
    values = np.abs(np.asarray(values, float))
    allowed = limit * (1 + LIMIT_TOLERANCE)
    whole = values[values > 0]
    if (len(whole) == 0 or not np.all(whole == np.round(whole)) or whole.max() > EXACT_INTEGER
            or not 0 <= allowed < EXACT_INTEGER):
        return limit
    unit = float(np.gcd.reduce(whole.astype(np.int64)))
    return math.floor(allowed / unit) * unit


@dataclass(frozen=True, eq=False)
class SelectionInstance:
    """Everything the integer program needs, as numbers.

    Parameters
    ----------
    site_ids, site_country : tuple of str
        Site identifiers and member-state codes, in the order of every per-site array.
    effective_mw : ndarray
        :math:`m_s`, MW (already capped at P).
    renewable_share : ndarray
        :math:`r_s`, 0..1.
    capex_eur : ndarray
        Capital cost of each site, EUR.
    group_population, group_sites, total_population
        :math:`a_d`, :math:`N_d` (site indices, non-empty) and :math:`A` (people).
    budget_eur, max_gigafactories, max_bids_per_country, power_cap_mw, total_power_mw
        :math:`B` (EUR), :math:`p`, :math:`q`, :math:`P` (MW), :math:`T` (MW).
    weights : Weights
    eligible, required : ndarray of bool
        Sites that may be members; sites that must be.
    site_lat, site_lon : ndarray
        Site positions, degrees (for the link distance and the letters' radius).
    co2_g_per_kwh : ndarray
        :math:`g_s`, g/kWh; with ``clean_reference_g_per_kwh`` it gives :math:`e_s`.
    energy_cost_eur : ndarray
        :math:`o_s`, EUR over the costed years.
    max_members, cross_border, max_countries, link_km, extra_site_cost_eur,
    min_gigafactory_mw
        The gigafactory rules (M; members in several states or not; most states; most km
        between two members; EUR per member beyond the first; least MW).
    letter_site : ndarray of int
        The site of each letter of interest (empty: no letters, L = 0).
    letter_radius_km : float
        With ``cross_border``, a letter finds a home at a member within this distance, km.
    cost_reference_eur : float
        :math:`X_{ref}`, EUR.
    excluded_site_sets : tuple
        Sets of member sites (sorted tuples of site indices) no answer may use exactly,
        however they are grouped into gigafactories: the no-good rows of
        :func:`exclusion_rows` (ties and the runner-up, :mod:`siteopt.solvers.ties`; the
        ranking of :mod:`siteopt.analysis.alternatives`).
    objective_floor : float
        No answer may score below this (objective points; ``-inf``: no floor). With
        exclusions it asks only for the portfolios that tie with one found before.
    group_coverage, group_latency : ndarray, optional
        Per demand group, its share of C and of A when covered (by default
        :math:`a_d / A` and 0): with ``coverage.decay`` or the latency term the groups include
        the level rows of :mod:`siteopt.model.access_rows`.
    access : AccessData, optional
        The demand points and the access settings (needed for the terms A, W, B, F and the
        ``access`` limits; without, those terms are 0 and their weights must be).
    """

    site_ids: tuple[str, ...]
    site_country: tuple[str, ...]
    effective_mw: np.ndarray
    renewable_share: np.ndarray
    capex_eur: np.ndarray
    group_population: np.ndarray
    group_sites: Sequence[np.ndarray]
    total_population: float
    budget_eur: float
    max_gigafactories: int
    max_bids_per_country: int
    power_cap_mw: float
    total_power_mw: float
    weights: Weights = field(default_factory=Weights)
    eligible: np.ndarray | None = None
    required: np.ndarray | None = None
    site_lat: np.ndarray | None = None
    site_lon: np.ndarray | None = None
    co2_g_per_kwh: np.ndarray | None = None
    energy_cost_eur: np.ndarray | None = None
    max_members: int = 1
    cross_border: bool = False
    max_countries: int = 1
    link_km: float = 1000.0
    extra_site_cost_eur: float = 0.0
    min_gigafactory_mw: float = 0.0
    letter_site: np.ndarray | None = None
    letter_radius_km: float = 0.0
    cost_reference_eur: float = 1.0
    excluded_site_sets: tuple = ()
    objective_floor: float = -math.inf
    group_coverage: np.ndarray | None = None
    group_latency: np.ndarray | None = None
    access: AccessData | None = None

    def __post_init__(self):
        n = len(self.site_ids)
        if np.any(np.asarray(self.effective_mw) > self.power_cap_mw):
            raise ValueError("effective_mw must already be capped at power_cap_mw "
                             "(m_s = min(power_mw, grid_mw, P))")
        defaults = {"eligible": np.ones(n, dtype=bool), "required": np.zeros(n, dtype=bool),
                    "site_lat": np.zeros(n), "site_lon": np.zeros(n),
                    "co2_g_per_kwh": np.zeros(n), "energy_cost_eur": np.zeros(n),
                    "letter_site": np.empty(0, dtype=np.int64)}
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if self.access is None and any(getattr(self.weights, t) > 0 for t in ACCESS_TERMS):
            raise ValueError("the terms latency, worst, backup and fairness need the demand "
                             "points (access)")

    def group_weights(self, weights: Weights | None = None) -> np.ndarray:
        """Objective points of each demand group when covered, under ``weights`` (by default
        the instance's): coverage and latency."""
        w = weights or self.weights
        return w.coverage * self.coverage_shares + w.latency * self.latency_shares

    @property
    def coverage_shares(self) -> np.ndarray:
        """Per demand group, its share of C when covered (``group_coverage``, by default
        :math:`a_d / A`)."""
        if self.group_coverage is not None:
            return np.asarray(self.group_coverage, float)
        population = np.asarray(self.group_population, float)
        return (population / self.total_population if self.total_population > 0
                else np.zeros(len(population)))

    @property
    def latency_shares(self) -> np.ndarray:
        """Per demand group, its share of A when covered (``group_latency``, by default 0)."""
        if self.group_latency is not None:
            return np.asarray(self.group_latency, float)
        return np.zeros(len(self.group_population))

    @property
    def has_access_rows(self) -> bool:
        """Whether the model has rows of W, B, F or the ``access`` limits (see
        :func:`~siteopt.model.access_rows.access_block`), told without building them (W's
        rows of a million places would take minutes)."""
        return self.access is not None and self.access.has_rows(self.weights)

    @functools.cached_property
    def access_block(self) -> AccessBlock:
        """The rows of W, B, F and the ``access`` limits
        (:func:`~siteopt.model.access_rows.access_block`)."""
        return access_block(self)

    def with_access(self, data: AccessData) -> SelectionInstance:
        """This instance (its groups the coverage groups of ``data.point_group``, no level rows
        yet) with the demand points and access settings ``data``: the level rows join the
        groups when gradual coverage or latency need them, unless there would be more than
        :data:`~siteopt.model.access_rows.MAX_LEVEL_PAIRS` (``levels_as_cuts``)."""
        population = np.asarray(self.group_population, float)
        n = len(population)
        coverage = (population / self.total_population if self.total_population > 0
                    else np.zeros(n))
        if data.decay != "step":
            coverage = np.zeros(n)
        sites, latency = self.group_sites, np.zeros(n)
        cutoff = data.level_cutoff(self.weights)
        if cutoff > 0 and data.too_many_levels():
            data = dataclasses.replace(data, level_cutoff_km=cutoff, levels_as_cuts=True)
        elif cutoff > 0:
            levels = data.levels(cutoff)
            sites = tuple(self.group_sites) + levels.sites
            population = np.r_[population, np.zeros(len(levels.sites))]
            coverage = np.r_[coverage, levels.coverage]
            latency = np.r_[latency, levels.latency]
            data = dataclasses.replace(data, level_offset=n, level_cutoff_km=cutoff)
        return dataclasses.replace(self, group_sites=sites, group_population=population,
                                   group_coverage=coverage, group_latency=latency, access=data)

    @property
    def access_in_objective(self) -> bool:
        """Whether the objective needs each place's distance: an access term weighted, or
        gradual coverage."""
        return self.access is not None and (
            self.access.decay != "step"
            or any(getattr(self.weights, t) > 0 for t in ACCESS_TERMS))

    @property
    def levels_as_cuts(self) -> bool:
        """Whether the latency term or gradual coverage is solved by cuts from distances, not
        by level rows (only the Benders path: ``access.levels_as_cuts``)."""
        return self.access is not None and self.access.levels_as_cuts

    def require_level_rows(self, path: str) -> None:
        """Refuse (:class:`~siteopt.errors.ConfigError`) to solve on ``path`` an instance
        whose latency term or gradual coverage only the Benders path can solve
        (:attr:`levels_as_cuts`)."""
        if self.levels_as_cuts:
            data = self.access
            pairs = len(data.populated) * int(np.count_nonzero(data.eligible))
            raise ConfigError(
                f"solver.method {path!r} cannot solve the latency term or gradual coverage "
                f"over {len(data.populated):,} places and {np.count_nonzero(data.eligible):,} "
                f"sites: its level rows would hold up to {pairs:,} entries; use solver.method "
                f"\"benders\" or \"auto\", which cut them from the distances")

    def with_worst_points(self, points) -> SelectionInstance:
        """The same instance whose W counts only these populated points (indices into
        ``access.populated``): a relaxation, see :mod:`siteopt.solvers.worst`."""
        copied = copy.copy(self)
        object.__setattr__(copied, "access", self.access.with_worst_points(points))
        copied.__dict__.pop("access_block", None)
        return copied

    @functools.cached_property
    def backup_reach(self) -> tuple[np.ndarray, ...]:
        """For each demand group, every candidate with a member that covers it."""
        return cover_sets_over_candidates(self)

    @property
    def countries(self) -> tuple[str, ...]:
        """Distinct site countries, sorted."""
        return tuple(sorted(set(self.site_country)))

    @property
    def clean_share(self) -> np.ndarray:
        """:math:`e_s = \\max(0, 1 - g_s / g_{ref})`, the clean share of each site's power."""
        reference = self.weights.clean_reference_g_per_kwh
        return np.clip(1.0 - np.asarray(self.co2_g_per_kwh, float) / reference, 0.0, 1.0)

    @functools.cached_property
    def candidates(self) -> Candidates:
        """Every gigafactory the rules allow (enumerated once)."""
        return enumerate_candidates(self)

    @property
    def compact(self) -> bool:
        """Whether the compact form applies: one bid per member state, members in one state."""
        return self.max_bids_per_country == 1 and not self.cross_border

    @functools.cached_property
    def conflicting_pairs(self) -> np.ndarray:
        """``(k, 2)`` eligible site pairs of one member state that can never share a
        gigafactory: more than ``link_km`` apart, more than P together, or over the budget
        together (with the extra-site cost)."""
        pairs = []
        country = np.asarray(self.site_country)
        lat, lon = np.asarray(self.site_lat, float), np.asarray(self.site_lon, float)
        if self.max_members > 1:
            for code in self.countries:
                sites = np.flatnonzero((country == code) & self.eligible)
                conflict = haversine_km(lat[sites][:, None], lon[sites][:, None],
                                        lat[sites][None, :], lon[sites][None, :]) > (
                    self.link_km + DISTANCE_TOLERANCE_KM)
                conflict |= self._over_power(sites[:, None], sites[None, :])
                conflict |= self._over_budget(sites[:, None], sites[None, :])
                a, b = np.nonzero(np.triu(conflict, 1))
                pairs.append(np.column_stack([sites[a], sites[b]]))
        return np.vstack(pairs) if pairs else np.empty((0, 2), dtype=np.int64)

    @functools.cached_property
    def conflict_cliques(self) -> tuple[np.ndarray, ...]:
        """Sets of eligible sites of one member state, any two of which conflict (see
        :attr:`conflicting_pairs`), that together hold every conflicting pair.

        Two sites over P together, or over the budget together, form a threshold graph: its
        cliques are the sites above half the limit, and each site below half with those
        above the rest of the limit; one row per clique replaces the rows of all its pairs and
        is stronger in the relaxation. Pairs in conflict only by distance stay pairs.
        """
        if not len(self.conflicting_pairs):
            return ()
        mw, capex = np.asarray(self.effective_mw, float), np.asarray(self.capex_eur, float)
        pairs = self.conflicting_pairs
        country = np.asarray(self.site_country)[pairs[:, 0]]
        cliques: list[np.ndarray] = []
        for code in np.unique(country):
            sites = np.unique(pairs[country == code])
            cliques += _threshold_cliques(sites, mw, self._over_power)
            cliques += _threshold_cliques(sites, capex, self._over_budget)
        a, b = pairs[:, 0], pairs[:, 1]
        by_distance = ~(self._over_power(a, b) | self._over_budget(a, b))
        cliques += list(pairs[by_distance])
        unique = {tuple(clique.tolist()): clique for clique in cliques}   # once each, in order
        return tuple(unique.values())

    def _over_power(self, a, b):
        """Whether sites a and b together are over P (vectorised)."""
        mw = np.asarray(self.effective_mw, float)
        return mw[a] + mw[b] > self.power_cap_mw + 1e-9

    def _over_budget(self, a, b):
        """Whether sites a and b together, with the extra-site cost, are over the budget."""
        capex = np.asarray(self.capex_eur, float)
        return (capex[a] + capex[b] + self.extra_site_cost_eur
                > self.budget_row_eur * (1 + 1e-12))

    @functools.cached_property
    def budget_row_eur(self) -> float:
        """The budget as every solver path applies it (EUR): the budget within the rules'
        tolerance (:data:`LIMIT_TOLERANCE`), lowered to the largest capital cost a portfolio
        can have (:func:`attainable_limit`), so that a MIP solver's own feasibility tolerance
        (about 1e-7 of the row in HiGHS) cannot let a portfolio over the budget through, and
        the search and the pairs that cannot share a bid draw the line at the same place."""
        return attainable_limit(np.r_[np.asarray(self.capex_eur, float),
                                      self.extra_site_cost_eur], self.budget_eur)

    @functools.cached_property
    def power_row_mw(self) -> float:
        """The total power limit as every solver path applies it (MW), as
        :attr:`budget_row_eur` is for the budget."""
        return attainable_limit(np.asarray(self.effective_mw, float), self.total_power_mw)

    @functools.cached_property
    def country_reach(self) -> tuple[np.ndarray, ...]:
        """For each demand group, the member states (indices into :attr:`countries`) with a
        site that covers it."""
        code = {c: i for i, c in enumerate(self.countries)}
        of_site = np.array([code[c] for c in self.site_country], dtype=np.int64)
        return tuple(np.unique(of_site[sites]) for sites in self.group_sites)

    @functools.cached_property
    def group_incidence(self) -> Incidence:
        """The demand groups x sites incidence of :attr:`group_sites`."""
        return Incidence(self.group_sites, len(self.site_ids))

    @functools.cached_property
    def coverage_incidence(self) -> Incidence:
        """The coverage groups x sites incidence: :attr:`group_incidence` without the level
        rows (they have no people of their own)."""
        if self.level_rows is None:
            return self.group_incidence
        return Incidence(self.group_sites[:self.access.level_offset], len(self.site_ids))

    @functools.cached_property
    def candidate_reach(self) -> tuple[np.ndarray, ...] | None:
        """For each demand group d, the candidates with a member in :math:`N_d`; None when these
        rows would have more than :data:`CANDIDATE_REACH_RATIO` times the non-zeros of the
        rows over the sites.

        ``z_d <= sum of x_g over these candidates`` is the reach row written over candidates.
        It is valid (a covered group has a member site in :math:`N_d`, whose gigafactory is
        one of them) and tighter than ``z_d <= sum of y_s over N_d``, which counts a
        gigafactory once per member in :math:`N_d`: the relaxation cannot buy coverage twice
        with one fractional multi-site candidate. Both forms give the same optimum.
        """
        if self.compact or self.level_rows is not None or self.levels_as_cuts:
            return None
        return cover_sets_over_candidates(self, CANDIDATE_REACH_RATIO)

    @property
    def level_rows(self):
        """The :class:`~siteopt.model.access_rows.LevelRows` among the groups, from
        ``access.level_offset`` on (None: none); the model writes their reach rows chained."""
        return None if self.access is None else self.access.model_levels

    @functools.cached_property
    def letter_homes(self) -> tuple[np.ndarray, ...]:
        """:math:`H_l`: the eligible sites whose membership gives letter l a home."""
        country = np.asarray(self.site_country)
        homes = []
        near = None
        if self.cross_border and len(self.letter_site):
            lat, lon = np.asarray(self.site_lat, float), np.asarray(self.site_lon, float)
            near = haversine_km(lat[self.letter_site][:, None], lon[self.letter_site][:, None],
                                lat[None, :], lon[None, :]) <= (self.letter_radius_km
                                                                + DISTANCE_TOLERANCE_KM)
        for index, site in enumerate(self.letter_site):
            home = country == country[site]
            if near is not None:
                home = home | near[index]
            homes.append(np.flatnonzero(home & self.eligible))
        return tuple(homes)

    def excluding(self, site_sets=(), floor: float = -math.inf) -> SelectionInstance:
        """The same instance with these member-site sets excluded as well, and the objective
        floor ``floor`` (objective points; replaces the one before).

        The copy keeps what was computed once (candidates, conflicts, coverage sets), none of
        which depends on the exclusions.

        Parameters
        ----------
        site_sets : iterable of iterable of int
            Sets of member sites no answer may use exactly.
        floor : float
            No answer may score below it.
        """
        copied = copy.copy(self)
        object.__setattr__(copied, "excluded_site_sets", tuple(dict.fromkeys(
            self.excluded_site_sets + tuple(tuple(sorted(int(s) for s in sites))
                                            for sites in site_sets))))
        object.__setattr__(copied, "objective_floor", float(floor))
        return copied

    @property
    def excludes_any(self) -> bool:
        """Whether any member-site set is excluded."""
        return bool(self.excluded_site_sets)

    def excludes(self, gigafactories) -> bool:
        """Whether the portfolio uses a member-site set :attr:`excluded_site_sets` names."""
        return self.excludes_any and site_set(gigafactories) in self.excluded_site_sets

    def site_mask(self, gigafactories) -> np.ndarray:
        """Boolean mask of the sites that are members of the given gigafactories."""
        mask = np.zeros(len(self.site_ids), dtype=bool)
        for members in gigafactories:
            mask[list(members)] = True
        return mask

    def capital_cost_eur(self, gigafactories) -> float:
        """A portfolio's nominal capital cost, EUR: its members' capex plus the extra-site
        cost of every member beyond each gigafactory's first.

        Parameters
        ----------
        gigafactories : iterable of iterable of int
            Member site indices of each gigafactory.
        """
        gigafactories = [list(g) for g in gigafactories]
        extra_sites = sum(len(g) - 1 for g in gigafactories)
        return float(np.asarray(self.capex_eur, float)[self.site_mask(gigafactories)].sum()
                     + self.extra_site_cost_eur * extra_sites)

    def evaluate(self, gigafactories) -> dict[str, float]:
        """The un-weighted terms of a portfolio, from the definitions (no solver involved).

        Parameters
        ----------
        gigafactories : iterable of iterable of int
            Member site indices of each chosen gigafactory.
        """
        return {term: float(values[0])
                for term, values in self.evaluate_many([gigafactories]).items()}

    def evaluate_many(self, portfolios, weighted_only: bool = False) -> dict[str, np.ndarray]:
        """:meth:`evaluate` of many portfolios at once (vectorised): each term as an array.

        Parameters
        ----------
        portfolios : list of iterable of iterable of int
            Each a portfolio: member site indices of each gigafactory.
        weighted_only : bool
            Leave the access terms at 0 where their weight is (they need every place's
            distance, per portfolio): for callers that need the objective, not those terms.
        """
        used = np.zeros((len(portfolios), len(self.site_ids)), dtype=bool)
        extra_sites = np.zeros(len(portfolios))
        for row, portfolio in enumerate(portfolios):
            gigafactories = [tuple(g) for g in portfolio]
            for members in gigafactories:
                used[row, list(members)] = True
            extra_sites[row] = sum(len(g) - 1 for g in gigafactories)
        weights = used.astype(float)
        scale_mw = self.max_gigafactories * self.power_cap_mw
        mw = np.asarray(self.effective_mw, float)
        country = np.asarray(self.site_country)
        n_sites = len(self.site_ids)
        states = Incidence([np.flatnonzero(country == c) for c in self.countries],
                           n_sites).touched(used)
        covered = self.coverage_incidence.touched(used) @ np.asarray(
            self.group_population, float)[:self.coverage_incidence.shape[0]]
        homed = Incidence(self.letter_homes, n_sites).touched(used).sum(axis=1)
        lifetime = (weights @ (np.asarray(self.capex_eur, float) + self.energy_cost_eur)
                    + self.extra_site_cost_eur * extra_sites)
        needed = self.access is not None and (not weighted_only
                                              or self.access_in_objective)
        access = (access_terms(self, portfolios) if needed
                  else {term: np.zeros(len(portfolios)) for term in ACCESS_TERMS})
        if self.access is not None and self.access.decay != "step":
            coverage = access["coverage"]
        else:
            coverage = (covered / self.total_population if self.total_population > 0
                        else np.zeros(len(portfolios)))
        return {
            "coverage": coverage,
            "grid": weights @ mw / scale_mw,
            "spread": np.minimum(states.sum(axis=1), self.max_gigafactories)
            / self.max_gigafactories,
            "clean": weights @ (self.clean_share * mw) / scale_mw,
            "green": weights @ (np.asarray(self.renewable_share, float) * mw) / scale_mw,
            "letters": homed / len(self.letter_site) if len(self.letter_site)
            else np.zeros(len(portfolios)),
            **{term: access[term] for term in ACCESS_TERMS},
            "cost": lifetime / self.cost_reference_eur,
        }

    def violations(self, gigafactories, budget: bool = True) -> list[str]:
        """The rules and limits a portfolio breaks (empty when it is feasible), in words.

        Checked from the definitions, not against the enumerated candidates; without
        ``budget`` the budget is not checked (for callers that check it with other capex).
        """
        gigafactories = [tuple(sorted(g)) for g in gigafactories]
        broken = []
        members = [s for g in gigafactories for s in g]
        if len(members) != len(set(members)):
            broken.append("a site is a member of two gigafactories")
        if len(gigafactories) > self.max_gigafactories:
            broken.append(f"{len(gigafactories)} gigafactories > max_gigafactories "
                          f"{self.max_gigafactories}")
        used = self.site_mask(gigafactories)
        broken += self._limits_broken(gigafactories, budget)
        bids: dict[str, int] = {}
        lat, lon = np.asarray(self.site_lat, float), np.asarray(self.site_lon, float)
        for g in gigafactories:
            states = {self.site_country[s] for s in g}
            for state in states:
                bids[state] = bids.get(state, 0) + 1
            if not g:
                broken.append("an empty gigafactory")
                continue
            if len(g) > self.max_members:
                broken.append("max_sites_per_gigafactory")
            if len(states) > (self.max_countries if self.cross_border else 1):
                broken.append("countries per gigafactory")
            power = self.effective_mw[list(g)].sum()
            if power > self.power_cap_mw + 1e-9 or power < self.min_gigafactory_mw - 1e-9:
                broken.append("gigafactory power")
            if len(g) > 1:
                distance = haversine_km(lat[list(g)][:, None], lon[list(g)][:, None],
                                        lat[list(g)][None, :], lon[list(g)][None, :])
                if distance.max() > self.link_km + DISTANCE_TOLERANCE_KM:
                    broken.append("link_km")
        if bids and max(bids.values()) > self.max_bids_per_country:
            broken.append("max_bids_per_country")
        if (used & ~self.eligible).any():
            broken.append("an ineligible site is chosen")
        if (self.required & ~used).any():
            broken.append("a required site is missing")
        broken += self._access_violations(used)
        if self.excludes(gigafactories):
            broken.append("an excluded set of sites")
        if math.isfinite(self.objective_floor) and \
                self.objective(self.evaluate(gigafactories)) < self.objective_floor:
            broken.append("the objective floor")
        return broken

    def _limits_broken(self, gigafactories, budget: bool = True) -> list[str]:
        """``budget`` (unless not ``budget``) and ``total_power`` where the portfolio is over
        them beyond :data:`LIMIT_TOLERANCE`."""
        broken = []
        if budget and self.capital_cost_eur(gigafactories) > self.budget_eur * (
                1 + LIMIT_TOLERANCE):
            broken.append("budget")
        used = self.site_mask(gigafactories)
        if self.effective_mw[used].sum() > self.total_power_mw * (1 + LIMIT_TOLERANCE):
            broken.append("total_power")
        return broken

    def broken_by_tolerance(self, gigafactories) -> set[str]:
        """The rules of :data:`TOLERANCE_RULES` the portfolio breaks, when it breaks no other
        (else the empty set): those a MIP solver's feasibility tolerance (about 1e-7 of a
        row) may let a portfolio break by a hair, where the row's values are not whole
        numbers (see :attr:`budget_row_eur`). Every rule is checked only where the budget or
        the power is over, or ``access.min_country_share`` is on (the caller checks every
        rule again: at scale the access and objective checks take a pass over the places)."""
        share_floor = self.access is not None and self.access.min_country_share > 0
        if not share_floor and not self._limits_broken(gigafactories):
            return set()
        broken = set(self.violations(gigafactories))
        return broken if broken <= TOLERANCE_RULES else set()

    def _access_violations(self, used: np.ndarray) -> list[str]:
        """``access.max_km`` and ``access.min_country_share``, from the points' distances."""
        data = self.access
        if data is None or (data.max_km <= 0 and data.min_country_share <= 0):
            return []
        broken = []
        nearest = data.nearest_km(np.flatnonzero(used), data.populated)
        if data.max_km > 0 and (nearest > data.max_km + DISTANCE_TOLERANCE_KM).any():
            broken.append("access.max_km")
        if data.min_country_share > 0:
            people = np.asarray(data.point_people, float)[data.populated]
            within = nearest <= data.radius_km + DISTANCE_TOLERANCE_KM
            share = np.bincount(data.point_state[data.populated], weights=people * within,
                                minlength=len(data.states))
            total = data.state_people
            if (share[total > 0] / total[total > 0] < data.min_country_share - 1e-12).any():
                broken.append("access.min_country_share")
        return broken

    def objective(self, terms: dict[str, float]) -> float:
        """The weighted objective of the given terms (cost subtracted)."""
        w = self.weights
        return sum((-1.0 if term == "cost" else 1.0) * getattr(w, term) * terms[term]
                   for term in TERMS)


def exclusion_rows(instance: SelectionInstance) -> list[tuple[np.ndarray, np.ndarray, int]]:
    """The no-good rows of the excluded member-site sets.

    A set U of member sites is cut off, however it is grouped into gigafactories, by
    :math:`\\sum_{s \\in U} y_s - \\sum_{s \\notin U} y_s \\le |U| - 1`.

    Returns
    -------
    list of (plus, minus, limit)
        Each row: the sum of :math:`y_s` over ``plus`` minus the sum over ``minus``, at most
        ``limit``.
    """
    rows = []
    for sites in instance.excluded_site_sets:
        inside = np.zeros(len(instance.site_ids), dtype=bool)
        inside[list(sites)] = True
        rows.append((np.flatnonzero(inside), np.flatnonzero(~inside), len(sites) - 1))
    return rows


def site_set(gigafactories) -> tuple[int, ...]:
    """The member sites of a portfolio, sorted."""
    return tuple(sorted(int(s) for members in gigafactories for s in members))


def _threshold_cliques(sites: np.ndarray, weight: np.ndarray, conflict) -> list[np.ndarray]:
    """The maximal cliques of a threshold conflict graph on ``sites``.

    ``conflict(a, b)`` (vectorised over site indices) must hold exactly when the ``weight`` of
    a plus that of b exceeds a limit (summed in floating point, which keeps the order). The
    sites a site conflicts with are then the heaviest ones, and the heavy sites (those in
    conflict with themselves) conflict with each other: every light site forms one clique
    with the heavy sites it conflicts with, and the heavy sites form one more unless a light
    site's clique holds them all.
    """
    ranked = sites[np.argsort(-weight[sites], kind="stable")]
    conflicts = conflict(ranked[:, None], ranked[None, :])
    prefix = conflicts.sum(axis=1)          # each site conflicts with the first `prefix`
    heavy = np.diagonal(conflicts).copy()
    n_heavy = int(heavy.sum())
    cliques = [np.sort(np.r_[ranked[:n], site])
               for site, n in zip(ranked[~heavy], prefix[~heavy]) if n > 0]
    if n_heavy >= 2 and not np.any(prefix[~heavy] == n_heavy):
        cliques.append(np.sort(ranked[:n_heavy]))
    return cliques


def lp_names(prefix: str, labels: list[str]) -> list[str]:
    """Readable LP names ``<prefix>_<label>``, unique even after PuLP's character rewriting.

    PuLP turns ``-+[] ->/`` into ``_``, so ``A-B`` and ``A_B`` would collide; colliding labels
    get their position appended.
    """
    clean = [re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{label}") for label in labels]
    if len(set(clean)) == len(clean):
        return clean
    return [f"{name}_{i}" for i, name in enumerate(clean)]


def cover_sets_over_candidates(instance: SelectionInstance,
                               max_ratio: float = math.inf) -> tuple[np.ndarray, ...] | None:
    """For each demand group, the candidates with a member site that covers it.

    Parameters
    ----------
    instance : SelectionInstance
    max_ratio : float
        Return None instead when the sets would hold more than ``max_ratio`` times as many
        entries as the groups' site sets.
    """
    n_candidates = len(instance.candidates)
    lengths = np.array([len(sites) for sites in instance.group_sites], dtype=np.int64)
    if n_candidates == 0 or lengths.sum() == 0:
        return None if max_ratio < math.inf else tuple(np.empty(0, np.int64) for _ in lengths)
    member_of, site = instance.candidates.site_pairs()
    order = np.argsort(site, kind="stable")
    by_site = member_of[order]
    counts = np.bincount(site, minlength=len(instance.site_ids))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    flat = np.concatenate(instance.group_sites)
    expanded = counts[flat]
    if expanded.sum() > max_ratio * len(flat):
        return None
    group = np.repeat(np.repeat(np.arange(len(lengths)), lengths), expanded)
    keys = sorted_unique(group * n_candidates + by_site[concatenated_ranges(starts[flat],
                                                                            expanded)])
    bounds = np.searchsorted(keys // n_candidates, np.arange(len(lengths) + 1))
    return tuple(keys[bounds[d]:bounds[d + 1]] % n_candidates for d in range(len(lengths)))


def site_objective(instance: SelectionInstance, weights: Weights | None = None) -> np.ndarray:
    """Objective coefficient of each :math:`y_s`: grid, clean, green and (negative) site costs
    (under ``weights``, by default the instance's)."""
    w = weights or instance.weights
    scale_mw = instance.max_gigafactories * instance.power_cap_mw
    mw = instance.effective_mw
    return (w.grid * mw / scale_mw
            + w.clean * instance.clean_share * mw / scale_mw
            + w.green * instance.renewable_share * mw / scale_mw
            - w.cost * (instance.capex_eur + instance.energy_cost_eur)
            / instance.cost_reference_eur)


def compact_objective(instance: SelectionInstance,
                      weights: Weights | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Compact form: objective coefficients of :math:`y_s` and of the bids :math:`b_c`.

    The extra-site cost :math:`e (\\sum_s y_s - \\sum_c b_c)` moves onto both.
    """
    w = weights or instance.weights
    extra = w.cost * instance.extra_site_cost_eur / instance.cost_reference_eur
    per_site = site_objective(instance, w) - extra
    per_bid = np.full(len(instance.countries), w.spread / instance.max_gigafactories + extra)
    return per_site, per_bid


def gigafactory_objective(instance: SelectionInstance, weights: Weights | None = None) -> np.ndarray:
    """Objective coefficient of each :math:`x_g`: minus the weighted extra-site cost."""
    candidates = instance.candidates
    extra = instance.extra_site_cost_eur * (candidates.size - 1)
    return -(weights or instance.weights).cost * extra / instance.cost_reference_eur


def gigafactory_labels(instance: SelectionInstance) -> list[str]:
    """``A+B+C``: the member site IDs of every candidate."""
    candidates = instance.candidates
    return ["+".join(instance.site_ids[s] for s in candidates.member_list(g))
            for g in range(len(candidates))]
