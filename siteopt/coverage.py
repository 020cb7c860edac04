"""Which eligible sites cover which demand points, grouped by covering set, block by block.

Demand points covered by exactly the same set of eligible sites share one variable of the
model (their populations summed). The points are put in :func:`siteopt.geometry.spatial_order`
(nearby points together) and taken in blocks of :data:`BLOCK_POINTS`: the (point, site) pairs
of one block are found (:func:`siteopt.geometry.coverage_pairs`: dot products of unit vectors
with the sites near each small tile of points, the exact haversine distance near R, R
inclusive to 1 mm), grouped, and dropped, so memory is bounded by the block, not by all pairs
(36.7 million at 1,000 sites x 1,000,000 points and R = 300 km). A large block (from
:data:`COMPILED_FROM_PRODUCTS` site-point products) is found, weighed and keyed in one compiled
pass instead (:func:`siteopt.compiled.cover_block`), with the same results. Groups are
numbered by their first point in the file's order, whatever the order of work.

Grouping is vectorised: each covering set gets a 128-bit key (the sums, modulo 2^64, of two
fixed random 64-bit numbers per site), points are grouped by key with NumPy, and every point's
set is then compared, site by site, with its group's set, so a key collision could never merge
two different sets unnoticed (it raises instead; its probability is about 2^-100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siteopt.geometry import (
    DISTANCE_TOLERANCE_KM,
    coverage_pairs,
    dot_tests,
    spatial_order,
    unit_vectors,
)
from siteopt.incidence import COMPILED_FROM_PAIRS, FlatSets, chunks, concatenated_ranges
from siteopt.parallel import in_threads

#: Demand points per block.
BLOCK_POINTS = 16_384
#: From this many site-point products per block, a block is covered by one compiled loop
#: (:func:`siteopt.compiled.cover_block`: tiles, band, people and set keys in one pass, no
#: array per pair but the covering sites); below, by NumPy and BLAS. At 1,000 sites x
#: 10,000 points Numba's import cost more than it saved (2.8-4.0 s against 2.2-2.7 s for the
#: command).
COMPILED_FROM_PRODUCTS = 50_000_000
#: From this many (point, site) pairs in a block, its sets are checked by a compiled loop
#: (:func:`siteopt.compiled.sets_match`; at 5,000 x 500,000 a block holds about 8 million).
COMPILED_FROM_BLOCK_PAIRS = 1_000_000


@dataclass(frozen=True)
class Coverage:
    """Demand grouped by covering set.

    Attributes
    ----------
    group_population : ndarray
        People per group, groups in order of first appearance among the points.
    group_sites : FlatSets
        Covering eligible site indices per group, sorted (a sequence of arrays).
    group_of_point : ndarray of int64
        Each point's group; -1 when no eligible site covers it.
    population_within : ndarray
        Per site (eligible or not): people within R, counted once per point.
    """

    group_population: np.ndarray
    group_sites: FlatSets
    group_of_point: np.ndarray
    population_within: np.ndarray


def distinct_sets(points, site_index, starts, lengths, first, second) -> KeyedBlock:
    """The :class:`KeyedBlock` of a block's covered points, their covering sets (runs of
    ``site_index``) and their keys: a point of each distinct key and each point's key."""
    _, where, inverse = np.unique(first, return_index=True, return_inverse=True)
    if not np.array_equal(second[where][inverse], second):   # both halves of the key
        _, where, inverse = np.unique(np.column_stack([first, second]), axis=0,
                                      return_index=True, return_inverse=True)
    return KeyedBlock(points, site_index, starts, lengths, first, second,
                      where.astype(np.int64), inverse.ravel().astype(np.int64))


@dataclass(frozen=True)
class KeyedBlock:
    """One block's covered points and their covering sets, keyed (see :meth:`CoverSets.key`).

    Attributes
    ----------
    points : ndarray of int64
        Index among all points of each covered point.
    site_index : ndarray of int64
        The covering sites, point after point.
    starts, lengths : ndarray of int64
        Each point's run in ``site_index``.
    first, second : ndarray of uint64
        The two halves of each point's 128-bit set key.
    where, inverse : ndarray of int64
        A point of each distinct key; each point's distinct key.
    """

    points: np.ndarray
    site_index: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    first: np.ndarray
    second: np.ndarray
    where: np.ndarray
    inverse: np.ndarray


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
        self.set_sizes = np.zeros(0, dtype=np.int64)
        self.set_offsets = np.zeros(0, dtype=np.int64)   # of each set in flat_sets
        # every set, one after the other, as 32-bit site numbers in a buffer that doubles:
        # the only copy of the sets (249 million site numbers at 5,000 x 500,000)
        self.flat_sets = np.zeros(1024, dtype=np.int32)
        self.flat_size = 0
        self.group_of_point = np.full(n_points, -1, dtype=np.int64)

    def add(self, points: np.ndarray, point_index: np.ndarray, site_index: np.ndarray) -> None:
        """Group the points of one block: :meth:`key` and :meth:`record` in one."""
        self.record(self.key(points, point_index, site_index))

    def key(self, points: np.ndarray, point_index: np.ndarray,
            site_index: np.ndarray) -> KeyedBlock:
        """The covering set of each point of one block and the distinct sets among them
        (reads only the site keys, so blocks can be keyed on several threads at once).

        Parameters
        ----------
        points : ndarray of int64
            Index among all points of each of the block's points.
        point_index, site_index : ndarray
            The block's pairs with eligible sites, sorted by point then site; points local to
            the block.
        """
        starts = np.flatnonzero(np.diff(point_index, prepend=-1))   # points are >= 0
        lengths = np.diff(np.r_[starts, len(point_index)])
        with np.errstate(over="ignore"):
            first = np.add.reduceat(self.keys[0][site_index], starts)
            second = np.add.reduceat(self.keys[1][site_index], starts)
        return distinct_sets(points[point_index[starts]], site_index, starts, lengths, first,
                             second)

    def record(self, block: KeyedBlock) -> None:
        """Give each point of a keyed block its group, numbering new sets in order."""
        first, second, where = block.first, block.second, block.where
        starts, lengths, site_index = block.starts, block.lengths, block.site_index
        group = np.empty(len(where), dtype=np.int64)
        new = []
        for unique in np.argsort(where, kind="stable"):   # first appearance first
            at = where[unique]
            key = (int(first[at]), int(second[at]))
            if key not in self.known:
                self.known[key] = len(self.set_sizes) + len(new)
                new.append(site_index[starts[at]:starts[at] + lengths[at]])
            group[unique] = self.known[key]
        if new:
            sizes = np.array([len(members) for members in new], dtype=np.int64)
            self.set_offsets = np.r_[self.set_offsets, self.flat_size + np.cumsum(sizes) - sizes]
            self.set_sizes = np.r_[self.set_sizes, sizes]
            end = self.flat_size + int(sizes.sum())
            if end > len(self.flat_sets):
                grown = np.empty(max(end, 2 * len(self.flat_sets)), dtype=np.int32)
                grown[:self.flat_size] = self.flat_sets[:self.flat_size]
                self.flat_sets = grown
            self.flat_sets[self.flat_size:end] = np.concatenate(new)
            self.flat_size = end
        point_group = group[block.inverse]
        self._check(point_group, starts, lengths, site_index)
        self.group_of_point[block.points] = point_group

    def in_point_order(self) -> tuple[FlatSets, np.ndarray]:
        """The covering sets and each point's group, groups numbered by their first point.

        Returns
        -------
        sets : FlatSets
            Covering site indices per group (32-bit, one array).
        group_of_point : ndarray of int64
            -1 where no eligible site covers the point.
        """
        grouped = np.flatnonzero(self.group_of_point >= 0)
        _, first = np.unique(self.group_of_point[grouped], return_index=True)
        order = np.argsort(grouped[first], kind="stable")   # old numbers, by first point
        number = np.empty(len(order), dtype=np.int64)
        number[order] = np.arange(len(order))
        group_of_point = self.group_of_point.copy()
        group_of_point[grouped] = number[self.group_of_point[grouped]]
        sizes, offsets = self.set_sizes[order], self.set_offsets[order]
        return FlatSets(self._gather(offsets, sizes), sizes), group_of_point

    def _gather(self, offsets: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """The sets at ``offsets`` of ``flat_sets``, in this order, in one array (a compiled
        copy from :data:`~siteopt.incidence.COMPILED_FROM_PAIRS` site numbers; below, index
        arrays of at most :data:`~siteopt.incidence.CHUNK_PAIRS` at a time)."""
        if self.flat_size > COMPILED_FROM_PAIRS:
            from siteopt import compiled

            return compiled.gather_runs(self.flat_sets, offsets, sizes)
        flat = np.empty(int(sizes.sum()), dtype=np.int32)
        position = 0
        for first, end in chunks(sizes):
            moved = self.flat_sets[concatenated_ranges(offsets[first:end], sizes[first:end])]
            flat[position:position + len(moved)] = moved
            position += len(moved)
        return flat

    def _check(self, point_group, starts, lengths, site_index) -> None:
        """Every point's covering set equals its group's set, site by site (a compiled loop
        from :data:`COMPILED_FROM_BLOCK_PAIRS` pairs: no copy of the block's sets)."""
        if not np.array_equal(self.set_sizes[point_group], lengths):
            raise RuntimeError("two different covering sets share a group key")
        if len(site_index) >= COMPILED_FROM_BLOCK_PAIRS:
            from siteopt import compiled

            same = compiled.sets_match(self.flat_sets, self.set_offsets, point_group, starts,
                                       lengths, site_index)
        else:
            same = np.array_equal(self.flat_sets[concatenated_ranges(
                self.set_offsets[point_group], lengths)], site_index)
        if not same:
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
    order = spatial_order(point_lat, point_lon, radius_km)
    blocks = [order[offset:offset + block] for offset in range(0, n_points, block)]

    all_eligible = bool(np.all(eligible))

    def keyed(points):   # on a thread: everything that does not number groups
        if n_sites * len(points) >= COMPILED_FROM_PRODUCTS:
            return _compiled_block(site_lat, site_lon, point_lat[points], point_lon[points],
                                   population[points], radius_km, eligible, sets.keys, points)
        point_index, site_index = coverage_pairs(site_lat, site_lon, point_lat[points],
                                                 point_lon[points], radius_km)
        people = np.bincount(site_index, weights=population[points][point_index],
                             minlength=n_sites)
        if not all_eligible:
            keep = eligible[site_index]
            point_index, site_index = point_index[keep], site_index[keep]
        return people, sets.key(points, point_index, site_index)

    for people, block_keys in in_threads(keyed, blocks):
        within += people
        sets.record(block_keys)
    group_sites, group_of_point = sets.in_point_order()
    grouped = group_of_point >= 0
    group_population = np.bincount(group_of_point[grouped], weights=population[grouped],
                                   minlength=len(group_sites))
    return Coverage(group_population, group_sites, group_of_point, within)


def _compiled_block(site_lat, site_lon, point_lat, point_lon, population, radius_km: float,
                    eligible, keys, points) -> tuple[np.ndarray, KeyedBlock]:
    """One block by :func:`siteopt.compiled.cover_block`: the people within R of each site
    and the block's keyed sets, as the NumPy path gives them."""
    from siteopt import compiled

    def located(lat, lon):   # latitude, longitude (radians), cos(latitude)
        lat, lon = np.radians(lat), np.radians(lon)
        return np.column_stack([lat, lon, np.cos(lat)])

    site_index, lengths, first, second, people = compiled.cover_block(
        unit_vectors(point_lat, point_lon), unit_vectors(site_lat, site_lon),
        dot_tests(radius_km, len(site_lat)), located(point_lat, point_lon),
        located(site_lat, site_lon), radius_km + DISTANCE_TOLERANCE_KM, population,
        np.asarray(eligible, dtype=bool), keys)
    covered = np.flatnonzero(lengths)
    lengths = lengths[covered]
    return people, distinct_sets(points[covered], site_index, np.cumsum(lengths) - lengths,
                                 lengths, first[covered], second[covered])

