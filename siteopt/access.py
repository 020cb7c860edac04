"""How far people are from a portfolio: mean and worst distance, backup coverage, per state.

The measures of issue 27, for a given portfolio (a result), exactly as defined there. With
``n_d`` the great-circle distance (km, as for coverage) from demand point ``d`` to the nearest
member site of the portfolio, ``a_d`` its people and ``R`` the coverage radius:

- mean distance: ``sum_d a_d n_d / sum_d a_d`` (km, and as round-trip milliseconds over fibre,
  :func:`siteopt.units.round_trip_ms`);
- worst distance: the largest ``n_d`` over the points with people;
- backup share: the share of people within ``R`` of member sites of at least two different
  gigafactories (who keep access if one gigafactory goes down);
- per member state: its people, the share within ``R`` and the mean distance.

"Within R" is decided as coverage decides it (``R`` inclusive, to
:data:`~siteopt.geometry.DISTANCE_TOLERANCE_KM`), so the share within ``R`` here equals the
coverage term. Distances are computed block by block (:data:`BLOCK_PAIRS` point-site pairs at
a time), so memory stays bounded at a million points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from siteopt.geometry import DISTANCE_TOLERANCE_KM, haversine_km
from siteopt.model.access_rows import BLOCK_PAIRS
from siteopt.units import round_trip_ms



@dataclass(frozen=True)
class CountryAccess:
    """One member state's access to the portfolio.

    Attributes
    ----------
    country : str
        ISO 3166-1 alpha-2 code.
    people : float
        Its people in the demand data.
    share_within_r : float
        Share of them within R of a member site (0..1; NaN without people).
    mean_km : float
        Their mean distance to the nearest member site, km (NaN without people).
    """

    country: str
    people: float
    share_within_r: float
    mean_km: float

    def to_dict(self) -> dict:
        return {"country": self.country, "people": self.people,
                "share_within_r": self.share_within_r, "mean_km": self.mean_km,
                "mean_ms": round_trip_ms(self.mean_km)}


@dataclass(frozen=True, eq=False)
class Access:
    """How far people are from a portfolio (see the module docstring).

    Attributes
    ----------
    mean_km, worst_km : float
        Mean (people-weighted) and largest distance from a populated point to the nearest
        member site, km.
    worst_point : str
        The ``point_id`` of the populated point farthest from the portfolio ("" without one).
    worst_row : int
        Its row in the demand points (-1 without one).
    backup_share : float
        Share of people within R of member sites of two or more gigafactories (0..1).
    countries : list of CountryAccess
        Per member state, sorted by code.
    nearest_km, people : ndarray
        Per demand point: the distance to the nearest member site (km) and its people.
    """

    mean_km: float
    worst_km: float
    worst_point: str
    worst_row: int
    backup_share: float
    countries: list[CountryAccess]
    nearest_km: np.ndarray = field(repr=False)
    people: np.ndarray = field(repr=False)

    def curve(self) -> tuple[np.ndarray, np.ndarray]:
        """The access curve: distances (km, from 0, ascending) and the share of people (0..1)
        within each of them of the nearest member site."""
        order = np.argsort(self.nearest_km, kind="stable")
        km, people = self.nearest_km[order], self.people[order]
        keep = (people > 0) & np.isfinite(km)
        total = self.people.sum()
        share = np.cumsum(people[keep]) / total if total else np.zeros(int(keep.sum()))
        return np.concatenate([[0.0], km[keep]]), np.concatenate([[0.0], share])

    @property
    def mean_ms(self) -> float:
        """:attr:`mean_km` as round-trip milliseconds over fibre."""
        return round_trip_ms(self.mean_km)

    @property
    def worst_ms(self) -> float:
        """:attr:`worst_km` as round-trip milliseconds over fibre."""
        return round_trip_ms(self.worst_km)

    def to_dict(self) -> dict:
        """The ``access`` block of ``result.json``."""
        return {"mean_km": self.mean_km, "mean_ms": self.mean_ms, "worst_km": self.worst_km,
                "worst_ms": self.worst_ms, "worst_point": self.worst_point,
                "backup_share": self.backup_share,
                "countries": [c.to_dict() for c in self.countries]}


def nearest_and_reach(point_lat, point_lon, site_lat, site_lon, site_group, radius_km: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per point: the distance to the nearest site (km; inf without sites) and how many
    different groups (gigafactories) have a site within ``radius_km``.

    Parameters
    ----------
    point_lat, point_lon, site_lat, site_lon : array_like
        Degrees.
    site_group : array_like of int
        Each site's gigafactory, numbered from 0.
    radius_km : float
    """
    point_lat, point_lon = np.asarray(point_lat, float), np.asarray(point_lon, float)
    site_lat, site_lon = np.asarray(site_lat, float), np.asarray(site_lon, float)
    site_group = np.asarray(site_group, np.int64)
    nearest = np.full(len(point_lat), np.inf)
    groups = np.zeros(len(point_lat), np.int64)
    if not len(site_lat):
        return nearest, groups
    step = max(1, BLOCK_PAIRS // len(site_lat))
    reach = radius_km + DISTANCE_TOLERANCE_KM
    for start in range(0, len(point_lat), step):
        part = slice(start, start + step)
        distance = haversine_km(point_lat[part, None], point_lon[part, None],
                                site_lat[None, :], site_lon[None, :])
        nearest[part] = distance.min(axis=1)
        within = distance <= reach
        groups[part] = sum(within[:, site_group == g].any(axis=1).astype(np.int64)
                           for g in np.unique(site_group))
    return nearest, groups


def measure(point_id, point_lat, point_lon, population, point_country, site_lat, site_lon,
            site_group, radius_km: float) -> Access:
    """The :class:`Access` of sites grouped into gigafactories for the demand points (the
    first of equally far points is the worst one)."""
    population = np.asarray(population, float)
    nearest, groups = nearest_and_reach(point_lat, point_lon, site_lat, site_lon, site_group,
                                        radius_km)
    total = population.sum()
    populated = population > 0
    countries = np.asarray(point_country, dtype=object).astype(str)
    rows = []
    for code in np.unique(countries):
        mine = countries == code
        people = float(population[mine].sum())
        rows.append(CountryAccess(
            code, people,
            float(population[mine & (groups > 0)].sum() / people) if people else float("nan"),
            float(np.dot(population[mine], nearest[mine]) / people) if people else float("nan")))
    far = np.where(populated, nearest, -np.inf)
    worst = int(np.argmax(far)) if populated.any() else -1
    return Access(
        mean_km=float(np.dot(population, nearest) / total) if total else float("nan"),
        worst_km=float(far[worst]) if worst >= 0 else float("nan"),
        worst_point=str(np.asarray(point_id, dtype=object)[worst]) if worst >= 0 else "",
        worst_row=worst,
        backup_share=float(population[groups >= 2].sum() / total) if total else float("nan"),
        countries=rows, nearest_km=nearest, people=population)


def result_access(result) -> Access:
    """The :class:`Access` of a result's portfolio on its demand data."""
    demand = result.dataset.demand_table
    sites = result.site_table
    rows = np.flatnonzero(np.asarray(sites["selected"], bool))
    names = np.asarray(sites["gigafactory"], dtype=object)[rows]
    number = {name: i for i, name in enumerate(sorted(set(names)))}
    return measure(demand["point_id"], demand["lat"], demand["lon"], demand["population"],
                   demand["country"],
                   np.asarray(sites["lat"], float)[rows], np.asarray(sites["lon"], float)[rows],
                   [number[name] for name in names], result.model.coverage.radius_km)

