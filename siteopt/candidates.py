"""Every gigafactory the rules allow: sets of 1..M member sites, enumerated once per instance.

A gigafactory is a set of member sites that (i) are all eligible, (ii) number at most M,
(iii) lie pairwise within ``link_km`` of each other, (iv) lie in one member state (or, with
``cross_border``, in at most ``max_countries`` states), (v) have a summed effective power
within [``min_gigafactory_mw``, P] and (vi) cost (capex plus the extra-site cost) no more than
the budget on their own. The model then chooses a packing of these candidates; rules (i)-(vi)
never need to appear as rows, which keeps the linear relaxation tight.

Candidates grow level by level: a set of k members is extended only by a site with a larger
index that is linked to every member, so each set is produced exactly once. Power and cost only
grow with the members, so a set over P or over the budget is never extended.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from siteopt.errors import SolverError
from siteopt.geometry import DISTANCE_TOLERANCE_KM, haversine_km

#: Rows of candidate sets extended at once (bounds the memory of one step: rows x sites bytes).
EXTEND_BLOCK = 20_000
#: Most candidate gigafactories siteopt builds a model from. Beyond it HiGHS did not stop at its
#: time limit (406,675 candidates on a generated 500-site cross-border instance: still in one
#: master MIP after 5 minutes with a 2-minute limit), so siteopt refuses and names the fix.
MAX_CANDIDATES = 100_000


@dataclass(frozen=True, eq=False)
class Candidates:
    """The candidate gigafactories of an instance.

    Attributes
    ----------
    members : ndarray of int, shape (n, M)
        Member site indices of each candidate, ascending, padded with -1.
    size : ndarray of int
        Number of members.
    mw : ndarray
        Summed effective power of the members, MW.
    capex_eur : ndarray
        Summed capex of the members plus the extra-site cost for every member beyond the
        first, EUR.
    country_pairs : tuple of ndarray
        ``(candidate, country_index)`` for every country a candidate has a member in.
    """

    members: np.ndarray
    size: np.ndarray
    mw: np.ndarray
    capex_eur: np.ndarray
    country_pairs: tuple[np.ndarray, np.ndarray]

    def __len__(self) -> int:
        return len(self.size)

    def site_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(candidate, site)`` for every member of every candidate."""
        rows, cols = np.nonzero(self.members >= 0)
        return rows, self.members[rows, cols]

    def member_list(self, index: int) -> tuple[int, ...]:
        """The member site indices of one candidate."""
        return tuple(int(s) for s in self.members[index, : self.size[index]])

    @functools.cached_property
    def index_of(self) -> dict[tuple[int, ...], int]:
        """Candidate index by member tuple (built once, on first use)."""
        return {tuple(row[:size].tolist()): g
                for g, (row, size) in enumerate(zip(self.members, self.size))}


def link_matrix(lat: np.ndarray, lon: np.ndarray, link_km: float) -> np.ndarray:
    """Which pairs of sites lie within ``link_km`` of each other (great-circle, inclusive)."""
    distance = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return distance <= link_km + DISTANCE_TOLERANCE_KM


def enumerate_candidates(instance) -> Candidates:
    """Every gigafactory of ``instance`` that the rules of the module docstring allow.

    Parameters
    ----------
    instance : SelectionInstance

    Returns
    -------
    Candidates
        Ordered by size, then by member indices (deterministic).
    """
    eligible = np.flatnonzero(instance.eligible)
    mw = np.asarray(instance.effective_mw, dtype=float)
    capex = np.asarray(instance.capex_eur, dtype=float)
    countries = instance.countries
    country_of = np.array([countries.index(c) for c in instance.site_country], dtype=np.int64)
    extra = instance.extra_site_cost_eur
    cap = min(instance.power_cap_mw, instance.total_power_mw)
    limit_eur = instance.budget_eur

    fits = eligible[(mw[eligible] <= cap + 1e-9) & (capex[eligible] <= limit_eur * (1 + 1e-12))]
    levels = [fits[:, None]]
    if instance.max_members > 1 and len(fits) > 1:
        linked = np.zeros((len(mw), len(mw)), dtype=bool)
        sub = link_matrix(np.asarray(instance.site_lat, float)[fits],
                          np.asarray(instance.site_lon, float)[fits], instance.link_km)
        if not instance.cross_border:
            sub &= country_of[fits][:, None] == country_of[fits][None, :]
        linked[np.ix_(fits, fits)] = sub
        np.fill_diagonal(linked, False)
        for k in range(1, instance.max_members):
            grown = _extend(levels[-1], linked, mw, capex, country_of, extra, cap, limit_eur,
                            instance.max_countries if instance.cross_border else 1)
            if len(grown) == 0:
                break
            levels.append(grown)
            _check_count(instance, sum(len(level) for level in levels))

    width = instance.max_members
    members = np.vstack([np.pad(level, ((0, 0), (0, width - level.shape[1])),
                                constant_values=-1) for level in levels]) \
        if levels else np.empty((0, width), dtype=np.int64)
    size = (members >= 0).sum(axis=1)
    safe = np.where(members >= 0, members, 0)
    total_mw = np.where(members >= 0, mw[safe], 0.0).sum(axis=1)
    total_capex = np.where(members >= 0, capex[safe], 0.0).sum(axis=1) + extra * (size - 1)
    keep = total_mw >= instance.min_gigafactory_mw - 1e-9
    members, size = members[keep], size[keep]
    total_mw, total_capex = total_mw[keep], total_capex[keep]
    rows, cols = np.nonzero(members >= 0)
    pairs = np.unique(np.column_stack([rows, country_of[members[rows, cols]]]), axis=0) \
        if len(rows) else np.empty((0, 2), dtype=np.int64)
    return Candidates(members, size, total_mw, total_capex, (pairs[:, 0], pairs[:, 1]))


def _check_count(instance, count: int) -> None:
    """Refuse a model with more than :data:`MAX_CANDIDATES` candidates, naming what to change."""
    if count <= MAX_CANDIDATES:
        return
    across = (f", consolidation.max_countries_per_gigafactory ({instance.max_countries})"
              if instance.cross_border else "")
    raise SolverError(
        f"the rules allow at least {count:,} candidate gigafactories, more than siteopt can "
        f"prove optimal in reasonable time ({MAX_CANDIDATES:,}); lower consolidation.link_km "
        f"({instance.link_km:g} km), consolidation.max_sites_per_gigafactory "
        f"({instance.max_members}){across}, or allow one bid per member state without "
        f"cross_border (which needs no candidates)")


def _extend(groups: np.ndarray, linked: np.ndarray, mw: np.ndarray, capex: np.ndarray,
            country_of: np.ndarray, extra: float, cap: float, limit_eur: float,
            max_countries: int) -> np.ndarray:
    """Sets of k + 1 members from the sets of k: add a larger linked site, keep those in limits."""
    n_sites = linked.shape[0]
    out = []
    larger = np.arange(n_sites)
    for start in range(0, len(groups), EXTEND_BLOCK):
        block = groups[start:start + EXTEND_BLOCK]
        common = linked[block[:, 0]].copy()
        for column in range(1, block.shape[1]):
            common &= linked[block[:, column]]
        common &= larger[None, :] > block[:, -1:]
        rows, added = np.nonzero(common)
        if len(rows) == 0:
            continue
        grown = np.column_stack([block[rows], added])
        power = mw[grown].sum(axis=1)
        cost = capex[grown].sum(axis=1) + extra * (grown.shape[1] - 1)
        ok = (power <= cap + 1e-9) & (cost <= limit_eur * (1 + 1e-12))
        if max_countries < grown.shape[1]:
            ordered = np.sort(country_of[grown], axis=1)
            distinct = 1 + (ordered[:, 1:] != ordered[:, :-1]).sum(axis=1)
            ok &= distinct <= max_countries
        out.append(grown[ok])
    return np.vstack(out) if out else np.empty((0, groups.shape[1] + 1), dtype=np.int64)
