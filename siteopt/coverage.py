"""Which eligible sites cover which demand points, grouped by covering set, block by block.

Demand points covered by exactly the same set of eligible sites share one variable of the
model (their populations summed). The points are taken in blocks of :data:`BLOCK_POINTS`: the
(point, site) pairs of one block are found (:func:`siteopt.geometry.coverage_pairs`: dot
products of unit vectors, the exact haversine distance near R, R inclusive to 1 mm), grouped,
and dropped, so
memory is bounded by the block, not by all pairs (36.7 million at 1,000 sites x 1,000,000
points and R = 300 km).

Grouping is vectorised: each covering set gets a 128-bit key (the sums, modulo 2^64, of two
fixed random 64-bit numbers per site), points are grouped by key with NumPy, and every point's
set is then compared, site by site, with its group's set, so a key collision could never merge
two different sets unnoticed (it raises instead; its probability is about 2^-100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siteopt.geometry import coverage_pairs

#: Demand points per block.
BLOCK_POINTS = 65_536


@dataclass(frozen=True)
class Coverage:
    """Demand grouped by covering set.

    Attributes
    ----------
    group_population : ndarray
        People per group, groups in order of first appearance among the points.
    group_sites : tuple of ndarray
        Covering eligible site indices per group, sorted.
    group_of_point : ndarray of int64
        Each point's group; -1 when no eligible site covers it.
    population_within : ndarray
        Per site (eligible or not): people within R, counted once per point.
    """

    group_population: np.ndarray
    group_sites: tuple[np.ndarray, ...]
    group_of_point: np.ndarray
    population_within: np.ndarray


class CoverSets:
    """Collects covering sets block by block and gives each distinct set one group.

    Parameters
    ----------
    n_sites, n_points : int
    """

    def __init__(self, n_sites: int, n_points: int):
        keys = np.random.default_rng(20261127).integers(0, 2**63, size=(2, n_sites),
                                                        dtype=np.int64)
        self.keys = keys.astype(np.uint64) * np.uint64(2) + np.uint64(1)
        self.known: dict[tuple[int, int], int] = {}
        self.sets: list[np.ndarray] = []
        self.group_of_point = np.full(n_points, -1, dtype=np.int64)

    def add(self, offset: int, point_index: np.ndarray, site_index: np.ndarray) -> None:
        """Group the points of one block.

        Parameters
        ----------
        offset : int
            Index of the block's first point among all points.
        point_index, site_index : ndarray
            The block's pairs with eligible sites, sorted by point then site; points local to
            the block.
        """
        if len(point_index) == 0:
            return
        starts = np.flatnonzero(np.r_[True, point_index[1:] != point_index[:-1]])
        lengths = np.diff(np.r_[starts, len(point_index)])
        with np.errstate(over="ignore"):
            first = np.add.reduceat(self.keys[0][site_index], starts)
            second = np.add.reduceat(self.keys[1][site_index], starts)
        _, where, inverse = np.unique(np.column_stack([first, second]), axis=0,
                                      return_index=True, return_inverse=True)
        group = np.empty(len(where), dtype=np.int64)
        for unique in np.argsort(where, kind="stable"):   # first appearance first
            at = where[unique]
            key = (int(first[at]), int(second[at]))
            if key not in self.known:
                self.known[key] = len(self.sets)
                self.sets.append(site_index[starts[at]:starts[at] + lengths[at]].copy())
            group[unique] = self.known[key]
        point_group = group[inverse.ravel()]
        self._check(point_group, starts, lengths, site_index)
        self.group_of_point[offset + point_index[starts]] = point_group

    def _check(self, point_group, starts, lengths, site_index) -> None:
        """Every point's covering set equals its group's set, site by site."""
        sizes = np.array([len(self.sets[g]) for g in range(len(self.sets))], dtype=np.int64)
        if not np.array_equal(sizes[point_group], lengths):
            raise RuntimeError("two different covering sets share a group key")
        flat = np.concatenate(self.sets)
        offsets = np.r_[0, np.cumsum(sizes)[:-1]]
        within = np.arange(len(site_index)) - np.repeat(starts, lengths)
        if not np.array_equal(flat[np.repeat(offsets[point_group], lengths) + within],
                              site_index):
            raise RuntimeError("two different covering sets share a group key")


def cover_demand(site_lat, site_lon, point_lat, point_lon, population: np.ndarray,
                 radius_km: float, eligible: np.ndarray,
                 block: int = BLOCK_POINTS) -> Coverage:
    """Group the demand points by the set of eligible sites within ``radius_km`` (km).

    Parameters
    ----------
    site_lat, site_lon, point_lat, point_lon : array_like
        Degrees.
    population : ndarray
        People per point.
    eligible : ndarray of bool
        Sites that may be chosen; the others count only in ``population_within``.
    block : int
        Points per block (memory is bounded by the pairs of one block).

    Returns
    -------
    Coverage
    """
    point_lat, point_lon = np.asarray(point_lat, float), np.asarray(point_lon, float)
    population = np.asarray(population, float)
    n_sites, n_points = len(site_lat), len(point_lat)
    sets = CoverSets(n_sites, n_points)
    within = np.zeros(n_sites)
    for offset in range(0, n_points, block):
        part = slice(offset, offset + block)
        point_index, site_index = coverage_pairs(site_lat, site_lon, point_lat[part],
                                                 point_lon[part], radius_km)
        within += np.bincount(site_index, weights=population[part][point_index],
                              minlength=n_sites)
        keep = eligible[site_index]
        sets.add(offset, point_index[keep], site_index[keep])
    grouped = sets.group_of_point >= 0
    group_population = np.bincount(sets.group_of_point[grouped], weights=population[grouped],
                                   minlength=len(sets.sets))
    return Coverage(group_population, tuple(sets.sets), sets.group_of_point, within)
