r"""The access terms and limits (issue 27) as numbers: each demand point's distance levels, the
rows of the terms A, W, B, F and of gradual coverage, and the limits ``access.max_km`` and
``access.min_country_share``.

With :math:`n_d` the great-circle distance from demand point d to the nearest member site,
:math:`a_d` its people, :math:`A = \sum_d a_d`, R the coverage radius and D
``access.reference_km``:

- A (latency) :math:`= 1 - \sum_d a_d \min(n_d, D) / (D A)`;
- W (worst) :math:`= 1 - \min(\max_{d: a_d > 0} n_d, D) / D`;
- B (backup): the share of people within R of member sites of two different gigafactories;
- F (fairness): the lowest share of people within R over the member states with people;
- C with ``coverage.decay``: :math:`\sum_d a_d f(n_d) / A` with :math:`f(n) = [n \le R]`,
  :math:`\max(0, 1 - n/R)` or :math:`e^{-n/R}`.

The radius ("sorted distance") formulation
------------------------------------------
Sort the eligible sites by their distance to point d; their distinct distances
:math:`L_1 < L_2 < \dots` are the point's *levels*, and :math:`N_{dk}` the sites within
:math:`L_k`. For any non-increasing f,

.. math::

    f(n_d) = \sum_k \big(f(L_k) - f(L_{k+1})\big)\,[n_d \le L_k]

(with :math:`f(L_{K+1}) = 0` past the last level), and :math:`[n_d \le L_k]` is
:math:`\min(1, \sum_{s \in N_{dk}} y_s)`: a coverage row. So A and gradual coverage are
coverage of *level rows* :math:`N_{dk}` with the weights :math:`a_d (L_{k+1} - L_k) / (D A)`
(levels below D, :math:`L_{K+1} = D`) and :math:`a_d (f(L_k) - f(L_{k+1})) / A`: every path
that solves coverage solves them (Elloumi 2010; García, Labbé and Marín 2011). Rows of
different points or levels with the same site set are one row, their weights summed, as
coverage groups are.

W uses the same rows: :math:`\omega \le \sum_k (\min(L_{k+1}, D) - L_k) z_{dk}` for every
populated point (levels below D), :math:`W = \omega / D`. Only the rows of some points are in
the model at first (:attr:`AccessData.first_worst_points`, the hardest to reach); a solve
whose answer is farther from another point adds that point's row and solves again
(:mod:`siteopt.solvers.worst`), the search over radii of Gaar and Sinnl (2022) written as rows.

B, per coverage group g: :math:`b_g \le \sum_{c \ni g} x_c - v_g` and
:math:`v_g \ge x_c` over the candidate gigafactories c with a member within R (in the
compact form, one gigafactory per state, over :math:`w_{gc} \le \sum_{s \in N_g \cap c}
y_s`, :math:`w_{gc} \le 1`): at integer x, b is at most the count less one, so all these
columns stay continuous. F: :math:`\varphi \le \sum_g a_{gc} z_g / A_c` for every state c,
with :math:`a_{gc}` the people of state c in group g. ``access.min_country_share`` = s:
:math:`\sum_g a_{gc} z_g / A_c \ge s`. ``access.max_km`` = X: :math:`\sum_{s \in N^X_d} y_s
\ge 1` for every populated point, one row per distinct set.

Beyond :data:`MAX_LEVEL_PAIRS` (place, site) pairs the level rows are not built
(``levels_as_cuts``): the Benders path cuts A and gradual coverage from the distances
(:mod:`siteopt.solvers.distance_cuts`), and the other paths refuse the instance.

:func:`access_block` writes these rows as triplets over the model's columns and its own
(:class:`AccessBlock`); the HiGHS paths and the PuLP path take the same block.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from siteopt.geometry import (DISTANCE_TOLERANCE_KM, DOT_MARGIN, chord_length, haversine_km,
                              unit_vectors)
from siteopt.incidence import unique_rows

#: Point-site distances computed at once (8 bytes each: 32 MB).
BLOCK_PAIRS = 4_000_000
#: The full point x site distance matrix is kept for evaluations up to this many entries.
CACHED_DISTANCES = 5_000_000
#: Beyond this many (populated point, eligible site) pairs the level rows are not built: the
#: Benders path cuts the latency term and gradual coverage from distances instead
#: (:mod:`siteopt.solvers.distance_cuts`; ``levels_as_cuts``). p-median (p = 5), build and
#: solve with ties, level rows against cuts: 50 x 1,000 0.85 against 0.53 s; 100 x 5,000
#: 3.6 against 1.6 s; 200 x 2,500 4.8 against 2.2 s; 200 x 5,000 9.1 against 8.4 s;
#: 500 x 4,000 62 against 5.0 s. Below it the level rows keep every path open.
MAX_LEVEL_PAIRS = 500_000
#: The worst-served term starts with the rows of this many points (those farthest from every
#: eligible site), then adds the points an answer leaves farthest.
FIRST_WORST_POINTS = 16
#: With the sites' member states known, W also starts with, in each member state, the point
#: farthest from the eligible sites of its nearest, second-nearest, ... member state, up to
#: this many ranks: a portfolio that funds none of those states leaves it at least that far.
#: On the shipped data (every access term weighted 0.1) the 16 points alone took two rounds,
#: 2,319 + 3,544 nodes, 5.4 s; with the ranks (55 points) one round of 3,718 nodes, 3.5 s.
#: Finding them costs a nearest-site pass per member state: 1,000 sites x 1,000,000 places
#: in 27 states 7.6 s, against 3.5 s for the 16 alone (a round there costs more).
FIRST_WORST_RANKS = 3
#: Seed of the random 64-bit site keys that name a site set (two per site: a 128-bit key).
SET_KEY_SEED = 20261203

#: Column families an :class:`AccessBlock` row refers to.
OWN, SITE, CANDIDATE, GROUP = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class LevelRows:
    """The distinct level rows of the populated points (see the module docstring).

    Attributes
    ----------
    sites : tuple of ndarray
        Each row's site set (sorted site indices).
    coverage, latency : ndarray
        Per row, its share of C (gradual coverage; zeros with ``step``) and of A when covered.
    parent : ndarray of int64
        Per row, a row whose set is this row's less ``added`` (-1: none), for the chained
        rows :math:`z_N \\le z_P + \\sum_{s \\in N \\setminus P} y_s` the direct and PuLP
        paths write.
    added : tuple of ndarray
        Per row, the sites it has beyond its parent's.
    point : ndarray of int64
        Per row, the populated point (index into :attr:`AccessData.populated`) that stands
        for it: the first of the points whose levels it merges.
    """

    sites: tuple
    coverage: np.ndarray
    latency: np.ndarray
    parent: np.ndarray
    added: tuple
    point: np.ndarray


@dataclass(frozen=True, eq=False)
class AccessData:
    """The demand points and the access settings of an instance.

    Parameters
    ----------
    point_lat, point_lon : ndarray
        Degrees.
    point_people : ndarray
        People per point.
    point_state : ndarray of int
        Index into ``states`` of each point's member state.
    states : tuple of str
        Member-state codes.
    point_group : ndarray of int
        Each point's coverage group (index into the instance's groups; -1: no eligible site
        within R).
    point_ids : tuple of str
        Names of the points for messages.
    site_lat, site_lon : ndarray
        Site positions, degrees.
    eligible : ndarray of bool
    radius_km, reference_km : float
        R and D, km.
    decay : str
        ``coverage.decay``.
    max_km : float
        ``access.max_km`` (0: off), km.
    min_country_share : float
        ``access.min_country_share`` (0: off).
    site_state : tuple of str
        Each site's member state (empty where not known: W's first points are then only
        those farthest from every eligible site).
    worst_points : ndarray of int or None
        The populated points (indices into ``populated``) W counts (None: all); the solvers
        add them a few at a time (:mod:`siteopt.solvers.worst`).
    level_offset : int
        Index of the first level row among the instance's groups (-1: the level rows are not
        in the model).
    level_cutoff_km : float
        The levels in the model are those below this distance, km.
    levels_as_cuts : bool
        The latency term and gradual coverage are not in the model as level rows (too many:
        :data:`MAX_LEVEL_PAIRS`); only the Benders path solves them, by cuts computed from
        distances (:mod:`siteopt.solvers.distance_cuts`).
    terms_in_model : tuple of str
        Access terms whose rows are in the model even at weight 0 (a Pareto front over
        them).
    derived : dict
        Where the distances and the level rows are kept once computed (the level rows by
        their cutoff, eligible sites, R, D and decay). Every :class:`AccessData` of the same
        points (places and people) and sites may share one, as
        :func:`siteopt.instance.access_data` shares the data set's: a sweep or a range of
        weights then computes them once instead of once per solve (the default model's
        ranges of weights computed the same level rows four times, 0.3-0.5 s each).
    """

    point_lat: np.ndarray
    point_lon: np.ndarray
    point_people: np.ndarray
    point_state: np.ndarray
    states: tuple
    point_group: np.ndarray
    point_ids: tuple
    site_lat: np.ndarray
    site_lon: np.ndarray
    eligible: np.ndarray
    radius_km: float
    reference_km: float = 2000.0
    decay: str = "step"
    max_km: float = 0.0
    min_country_share: float = 0.0
    site_state: tuple = ()
    worst_points: np.ndarray | None = None
    level_offset: int = -1
    level_cutoff_km: float = 0.0
    levels_as_cuts: bool = False
    terms_in_model: tuple = ()
    # what the solves learned about this data (W's points), shared by its copies; the
    # distances and level rows, computed from the data alone, are in ``derived``
    _learned: dict = field(default_factory=dict, repr=False, compare=False)
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @functools.cached_property
    def populated(self) -> np.ndarray:
        """Indices of the points with people."""
        return np.flatnonzero(np.asarray(self.point_people, float) > 0)

    @functools.cached_property
    def state_people(self) -> np.ndarray:
        """:math:`A_c`, people per member state."""
        return np.bincount(self.point_state, weights=self.point_people,
                           minlength=len(self.states))

    def distances(self, points: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """Great-circle distances, km, of the given points to the given sites."""
        if len(self.point_lat) * len(self.site_lat) <= CACHED_DISTANCES:
            if "all" not in self.derived:
                self.derived["all"] = haversine_km(
                    np.asarray(self.point_lat, float)[:, None],
                    np.asarray(self.point_lon, float)[:, None],
                    np.asarray(self.site_lat, float)[None, :],
                    np.asarray(self.site_lon, float)[None, :])
            return self.derived["all"][np.ix_(points, sites)]
        return haversine_km(np.asarray(self.point_lat, float)[points][:, None],
                            np.asarray(self.point_lon, float)[points][:, None],
                            np.asarray(self.site_lat, float)[sites][None, :],
                            np.asarray(self.site_lon, float)[sites][None, :])

    def nearest_km(self, sites, points: np.ndarray | None = None) -> np.ndarray:
        """Per point (all, or ``points``): the distance to the nearest of ``sites``, km
        (inf without sites).

        Beyond :data:`CACHED_DISTANCES` pairs the nearest site is found by the largest dot
        product of unit vectors (one matrix product), and the great-circle distance is
        computed only for the sites whose dot product is within
        :data:`~siteopt.geometry.DOT_MARGIN` of it: the least of those is the least of all
        (1,000,000 points x 1,000 sites: 31 s of distances -> about 3 s)."""
        points = np.arange(len(self.point_lat)) if points is None else points
        sites = np.asarray(sites, np.int64)
        if not len(sites):
            return np.full(len(points), np.inf)
        out = np.empty(len(points))
        step = max(1, BLOCK_PAIRS // len(sites))
        cached = len(self.point_lat) * len(self.site_lat) <= CACHED_DISTANCES
        for start in range(0, len(points), step):
            part = points[start:start + step]
            out[start:start + step] = (self.distances(part, sites).min(axis=1) if cached
                                       else self._nearest_by_dot(part, sites))
        return out

    def farther_than(self, sites, km: float, points: np.ndarray) -> tuple[np.ndarray,
                                                                        np.ndarray]:
        """The points of ``points`` farther than ``km`` (and
        :data:`~siteopt.geometry.DISTANCE_TOLERANCE_KM`) from every one of ``sites``: their
        positions in ``points`` and their distances to the nearest site, km. Beyond
        :data:`CACHED_DISTANCES` pairs, the points whose largest dot product of unit vectors
        shows them within ``km`` (by more than :data:`~siteopt.geometry.DOT_MARGIN`) are
        left out before any distance is computed."""
        sites = np.asarray(sites, np.int64)
        candidates = np.arange(len(points))
        if len(sites) and len(self.point_lat) * len(self.site_lat) > CACHED_DISTANCES:
            point_xyz, site_xyz = self._unit_vectors()
            within = 1.0 - chord_length(km) ** 2 / 2   # the dot product at km
            step = max(1, BLOCK_PAIRS // len(sites))
            largest = np.concatenate([
                (point_xyz[points[start:start + step]] @ site_xyz[sites].T).max(axis=1)
                for start in range(0, len(points), step)]) if len(points) else np.empty(0)
            candidates = np.flatnonzero(largest < within + DOT_MARGIN)
        nearest = self.nearest_km(sites, points[candidates])
        far = nearest > km + DISTANCE_TOLERANCE_KM
        return candidates[far], nearest[far]

    def _unit_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """The points' and the sites' unit vectors (cached)."""
        if "unit vectors" not in self.derived:
            self.derived["unit vectors"] = (unit_vectors(self.point_lat, self.point_lon),
                                            unit_vectors(self.site_lat, self.site_lon))
        return self.derived["unit vectors"]

    def _nearest_by_dot(self, points: np.ndarray, sites: np.ndarray) -> np.ndarray:
        """:meth:`nearest_km` for one block of points."""
        point_xyz, site_xyz = self._unit_vectors()
        dot = point_xyz[points] @ site_xyz[sites].T
        rows, columns = np.nonzero(dot >= dot.max(axis=1, keepdims=True) - DOT_MARGIN)
        km = haversine_km(np.asarray(self.point_lat, float)[points[rows]],
                          np.asarray(self.point_lon, float)[points[rows]],
                          np.asarray(self.site_lat, float)[sites[columns]],
                          np.asarray(self.site_lon, float)[sites[columns]])
        # rows ascend, each point at least once (its largest dot product)
        return np.minimum.reduceat(km, np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]))

    @property
    def model_levels(self) -> LevelRows | None:
        """The level rows among the instance's groups (None: none)."""
        return self.levels(self.level_cutoff_km) if self.level_offset >= 0 else None

    def level_cutoff(self, weights) -> float:
        """Levels at or beyond this distance (km) count for nothing under ``weights``."""
        cutoff = 0.0
        if self.counts("latency", weights):
            cutoff = self.reference_km
        if self.decay == "linear":
            cutoff = max(cutoff, self.radius_km)
        if self.decay == "exponential":
            cutoff = math.inf
        return cutoff

    def too_many_levels(self) -> bool:
        """Whether the level rows would hold more than :data:`MAX_LEVEL_PAIRS` pairs (and no
        Pareto front needs them as rows)."""
        return (not self.terms_in_model
                and len(self.populated) * int(np.count_nonzero(self.eligible))
                > MAX_LEVEL_PAIRS)

    def counts(self, term: str, weights) -> bool:
        """Whether the model needs the rows of ``term``: weighted, or asked for."""
        return getattr(weights, term) > 0 or term in self.terms_in_model

    def has_rows(self, weights) -> bool:
        """Whether W, B, F or an ``access`` limit is on (the model then has an
        :func:`access_block`, told without building it)."""
        return (any(self.counts(term, weights) for term in ("worst", "backup", "fairness"))
                or self.max_km > 0 or self.min_country_share > 0)

    def only_worst(self, weights) -> bool:
        """Whether W is the only term or limit with rows (no B, F, ``access.max_km`` or
        ``access.min_country_share``): its rows then need only the points W counts."""
        return (self.counts("worst", weights) and not self.counts("backup", weights)
                and not self.counts("fairness", weights) and self.max_km <= 0
                and self.min_country_share <= 0)

    def levels(self, cutoff_km: float) -> LevelRows:
        """The :class:`LevelRows` of the populated points below ``cutoff_km`` (cached)."""
        key = ("levels", cutoff_km, np.asarray(self.eligible, bool).tobytes(), self.radius_km,
               self.reference_km, self.decay)
        if key not in self.derived:
            self.derived[key] = _level_rows(self, cutoff_km)
        return self.derived[key]

    def learned_worst_points(self) -> np.ndarray:
        """The points W's rows were found to need so far (shared by every copy of this data:
        the solves that settle ties and the runner-up start from them)."""
        return self._learned.setdefault("worst points", self.first_worst_points)

    def learn_worst_points(self, points) -> None:
        """Remember that W's rows need ``points`` (indices into :attr:`populated`)."""
        self._learned["worst points"] = np.union1d(self.learned_worst_points(), points)

    def with_worst_points(self, points) -> AccessData:
        """A copy whose W rows are those of ``points`` (indices into :attr:`populated`)."""
        copied = copy.copy(self)
        object.__setattr__(copied, "worst_points", np.unique(np.asarray(points, np.int64)))
        return copied

    @functools.cached_property
    def first_worst_points(self) -> np.ndarray:
        """The points W's rows start with (indices into :attr:`populated`): the
        :data:`FIRST_WORST_POINTS` farthest from every eligible site and, with the sites'
        member states known, in each member state the point farthest from the eligible sites
        of its k-th nearest member state, k = 1 .. :data:`FIRST_WORST_RANKS` (any portfolio
        leaves it at least that far unless it funds one of its k nearest states; the first
        points alone are one cluster, such as the Azores, and the answer then leaves Lapland
        or Cyprus farther, a second round)."""
        eligible = np.flatnonzero(self.eligible)
        if not (self.site_state and FIRST_WORST_RANKS and len(eligible)
                and len(self.populated)):
            nearest = self.nearest_km(eligible, self.populated)
            return np.sort(np.argsort(-nearest, kind="stable")[:FIRST_WORST_POINTS])
        site_state = np.asarray(self.site_state, dtype=object)[eligible]
        states = sorted(set(site_state.tolist()))
        ranks = min(FIRST_WORST_RANKS, len(states))
        ranked = np.empty((len(self.populated), ranks))   # k-th nearest state's distance
        step = max(1, BLOCK_PAIRS // len(eligible))
        for start in range(0, len(self.populated), step):
            part = self.populated[start:start + step]
            by_state = np.stack([self.nearest_km(eligible[site_state == state], part)
                                 for state in states], axis=1)
            ranked[start:start + step] = np.partition(by_state, ranks - 1, axis=1)[:, :ranks]
        ranked.sort(axis=1)   # column 0: the nearest eligible site
        first = np.argsort(-ranked[:, 0], kind="stable")[:FIRST_WORST_POINTS]
        point_state = np.asarray(self.point_state)[self.populated]
        order = np.argsort(point_state, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(point_state[order]) != 0])
        farthest = [order[start + np.argmax(ranked[order[start:end], k])]
                    for start, end in zip(starts, np.r_[starts[1:], len(order)])
                    for k in range(ranks)]
        return np.union1d(first, np.asarray(farthest, np.int64))

    @property
    def worst_rows(self) -> np.ndarray:
        """The populated points (indices into :attr:`populated`) W counts: all, or those of a
        restricted instance (:mod:`siteopt.solvers.worst`), in the model and in
        :func:`access_terms` alike."""
        return np.arange(len(self.populated)) if self.worst_points is None else self.worst_points

    @functools.cached_property
    def state_groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(group, state, people)``: the people of each member state in each coverage group
        (populated points within R of an eligible site)."""
        people = np.asarray(self.point_people, float)
        within = (self.point_group >= 0) & (people > 0)
        key = self.point_group[within] * len(self.states) + self.point_state[within]
        keys, inverse = np.unique(key, return_inverse=True)
        return (keys // len(self.states), keys % len(self.states),
                np.bincount(inverse, weights=people[within], minlength=len(keys)))

    def reachable_share(self) -> np.ndarray:
        """Per member state, the share of its people within R of some eligible site (NaN
        without people)."""
        group, state, people = self.state_groups
        within = np.bincount(state, weights=people, minlength=len(self.states))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.state_people > 0, within / self.state_people, np.nan)

    @functools.cached_property
    def must_cover(self) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        """``access.max_km``: the distinct sets of eligible sites within it of a populated
        point, and the populated points (indices into :attr:`populated`) with none."""
        eligible = np.flatnonzero(self.eligible)
        sets: dict[bytes, np.ndarray] = {}
        none = []
        step = max(1, BLOCK_PAIRS // max(1, len(eligible)))
        points = self.populated
        for start in range(0, len(points), step):
            part = points[start:start + step]
            within = self.distances(part, eligible) <= self.max_km + DISTANCE_TOLERANCE_KM
            none += (start + np.flatnonzero(~within.any(axis=1))).tolist()
            packed = np.packbits(within, axis=1)
            first, _ = unique_rows(packed)
            for row in first:
                if within[row].any():
                    sets.setdefault(packed[row].tobytes(), eligible[within[row]])
        return tuple(sets[k] for k in sorted(sets)), np.asarray(none, np.int64)


def _level_rows(data: AccessData, cutoff_km: float) -> LevelRows:
    """Build the :class:`LevelRows` (see the module docstring), block by block of points."""
    eligible = np.flatnonzero(data.eligible)
    keys = np.random.default_rng(SET_KEY_SEED).integers(0, 2**63, size=(2, len(data.site_lat)),
                                                        dtype=np.int64).astype(np.uint64)
    people = np.asarray(data.point_people, float)
    total = people.sum()
    points = data.populated
    radius, reference = data.radius_km, data.reference_km
    parts = []
    step = max(1, BLOCK_PAIRS // max(1, len(eligible)))
    for start in range(0, len(points), step):
        part = points[start:start + step]
        distance = data.distances(part, eligible)
        order = np.argsort(distance, axis=1, kind="stable")
        level = np.take_along_axis(distance, order, axis=1)
        following = np.c_[level[:, 1:], np.full(len(part), np.inf)]
        last_of_ties = following > level
        valid = last_of_ties & (level < cutoff_km)
        first = np.cumsum(keys[0][eligible][order], axis=1)
        second = np.cumsum(keys[1][eligible][order], axis=1)
        row, rank = np.nonzero(valid)
        parts.append((start + row, rank, first[row, rank], second[row, rank], level[row, rank],
                      following[row, rank]))
    point, rank, first, second, level, following = (np.concatenate(p) for p in zip(*parts)) \
        if parts else (np.empty(0, np.int64),) * 2 + (np.empty(0, np.uint64),) * 2 + \
        (np.empty(0),) * 2
    unique, where, row_of = np.unique(np.column_stack([first, second]), axis=0,
                                      return_index=True, return_inverse=True)
    row_of = row_of.ravel()
    a = people[points][point] / total if total > 0 else np.zeros(len(point))
    latency_km = np.where(level < reference, np.minimum(following, reference) - level, 0.0)
    if data.decay == "linear":
        gain = np.where(level < radius, np.minimum(following, radius) - level, 0.0) / radius
    elif data.decay == "exponential":
        gain = np.exp(-level / radius) - np.exp(-following / radius)
    else:
        gain = np.zeros(len(level))
    n_rows = len(unique)
    # a row's parent: the level before it of the point that stands for it
    before = np.maximum(where - 1, 0)
    has_parent = (where > 0) & (point[before] == point[where])
    parent = np.where(has_parent, row_of[before], -1)
    parent_rank = np.where(has_parent, rank[before], -1)
    sites, added, nearest_first = [], [], {}
    for p, r, q in zip(point[where].tolist(), rank[where].tolist(), parent_rank.tolist()):
        if p not in nearest_first:   # a point stands for many rows: sort its sites once
            distance = data.distances(points[p:p + 1], eligible)[0]
            nearest_first[p] = eligible[np.argsort(distance, kind="stable")]
        sites.append(np.sort(nearest_first[p][:r + 1]))
        added.append(np.sort(nearest_first[p][q + 1:r + 1]))
    return LevelRows(
        sites=tuple(sites),
        coverage=np.bincount(row_of, weights=a * gain, minlength=n_rows),
        latency=np.bincount(row_of, weights=a * latency_km / reference, minlength=n_rows),
        parent=parent.astype(np.int64), added=tuple(added), point=point[where].astype(np.int64))


@dataclass(frozen=True, eq=False)
class AccessBlock:
    """Own columns and rows of the access terms and limits, over the model's columns.

    Attributes
    ----------
    terms : list of str
        The objective term of each own column ("" for none).
    unit, lower, upper : ndarray
        Objective coefficient of each own column at weight 1 of its term, and its bounds.
    names : list of str
        LP names of the own columns.
    row_of, family, index, value : ndarray
        One entry per coefficient: its row, the family of its column (:data:`OWN`,
        :data:`SITE`, :data:`CANDIDATE` or :data:`GROUP`), the column within its family and
        the coefficient.
    row_lower, row_upper : ndarray
        Bounds of each row.
    row_names : list of str
    """

    terms: list
    unit: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    names: list
    row_of: np.ndarray
    family: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_names: list

    @property
    def empty(self) -> bool:
        return not len(self.row_lower) and not len(self.unit)

    def cost(self, weights) -> np.ndarray:
        """Objective coefficient of each own column under ``weights``."""
        return np.array([getattr(weights, term) * unit if term else 0.0
                         for term, unit in zip(self.terms, self.unit)])

    def groups(self) -> np.ndarray:
        """The model groups its rows refer to (sorted)."""
        return np.unique(self.index[self.family == GROUP])


class _Builder:
    """Collects own columns and rows."""

    def __init__(self):
        self.columns: list[tuple[str, float, float, float, str]] = []
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows: list[tuple[float, float, str]] = []

    def column(self, term: str, unit: float, upper: float, name: str) -> int:
        self.columns.append((term, unit, 0.0, upper, name))
        return len(self.columns) - 1

    def row(self, families, indices, values, lower: float, upper: float, name: str) -> None:
        row = len(self.rows)
        self.rows.append((lower, upper, name))
        n = len(values)
        self.entries.append((np.full(n, row, np.int64), np.asarray(families, np.int64),
                             np.asarray(indices, np.int64), np.asarray(values, float)))

    def block(self) -> AccessBlock:
        terms, unit, lower, upper, names = (list(x) for x in zip(*self.columns)) \
            if self.columns else ([], [], [], [], [])
        parts = list(zip(*self.entries)) if self.entries else [[np.empty(0, np.int64)]] * 3 + [
            [np.empty(0)]]
        row_lower, row_upper, row_names = (list(x) for x in zip(*self.rows)) if self.rows \
            else ([], [], [])
        return AccessBlock(terms, np.asarray(unit, float), np.asarray(lower, float),
                           np.asarray(upper, float), names,
                           *(np.concatenate(p) for p in parts),
                           np.asarray(row_lower, float), np.asarray(row_upper, float), row_names)


def access_block(instance, weights=None) -> AccessBlock:
    """The rows of W, B, F, ``access.max_km`` and ``access.min_country_share`` for
    ``instance`` under ``weights`` (by default its own); empty when none is on.

    A and gradual coverage need no block: they are coverage of level rows (the instance's
    groups from ``access.level_offset``).
    """
    w = weights or instance.weights
    data = instance.access
    build = _Builder()
    if data is None:
        return build.block()
    if data.counts("worst", w):
        _worst_rows(build, instance)
    if data.counts("backup", w):
        _backup_rows(build, instance)
    if data.counts("fairness", w) or data.min_country_share > 0:
        _state_rows(build, instance, data.counts("fairness", w))
    if data.max_km > 0:
        for k, sites in enumerate(data.must_cover[0]):
            build.row(np.full(len(sites), SITE), sites, np.ones(len(sites)), 1.0, math.inf,
                      f"within_max_km_{k}")
    return build.block()


def _worst_rows(build: _Builder, instance) -> None:
    """omega <= sum_k (min(L_k+1, D) - L_k) c_dk for the points W counts, each point's levels
    chained (c_dk <= c_d,k-1 + the sites at level k) in own columns."""
    data = instance.access
    reference = data.reference_km
    if not len(data.worst_rows):   # nobody to serve: W is 0
        return
    omega = build.column("worst", 1.0 / reference, reference, "worst_km_saved")
    eligible = np.flatnonzero(data.eligible)
    points = data.populated[data.worst_rows]
    for p, distance in zip(data.worst_rows.tolist(), data.distances(points, eligible)):
        order = np.argsort(distance, kind="stable")
        level = distance[order]
        following = np.r_[level[1:], np.inf]
        ends = np.flatnonzero((following > level) & (level < reference))
        previous, columns, spans = -1, [], []
        for k, end in enumerate(ends.tolist()):
            column = build.column("", 0.0, 1.0, f"worst_{p}_{k}")
            added = eligible[order[(ends[k - 1] + 1 if k else 0):end + 1]]
            families = np.r_[OWN, np.full(len(added), SITE)]
            indices, values = np.r_[column, added], np.r_[1.0, -np.ones(len(added))]
            if previous >= 0:
                families, indices = np.r_[families, OWN], np.r_[indices, previous]
                values = np.r_[values, -1.0]
            build.row(families, indices, values, -math.inf, 0.0, f"worst_{p}_{k}")
            columns.append(column)
            spans.append(min(following[end], reference) - level[end])
            previous = column
        build.row(np.full(len(columns) + 1, OWN), np.r_[omega, columns], np.r_[1.0, -np.array(
            spans)], -math.inf, 0.0, f"worst_{p}")


def _backup_rows(build: _Builder, instance) -> None:
    """b_g <= (gigafactories with a member within R of group g) - v_g, v_g at least each of
    them: b_g is at most the count less one (0 without any), all columns continuous; and
    b_g <= half the count, which no integer point needs but which cuts the relaxation where
    several gigafactories reach g in part (backup alone on the shipped data: 27.9 -> 25.1 s)."""
    total = instance.total_population
    population = np.asarray(instance.group_population, float)
    country = np.asarray(instance.site_country)
    reach = None if instance.compact else instance.backup_reach
    for g in np.flatnonzero(population > 0).tolist():
        sites = instance.group_sites[g]
        if instance.compact:   # one gigafactory per state: count the states within R
            states = sorted(set(country[sites].tolist()))
            if len(states) < 2:
                continue
            parts = []
            for state in states:
                mine = sites[country[sites] == state]
                parts.append(build.column("", 0.0, 1.0, f"backup_{g}_{state}"))
                build.row(np.r_[OWN, np.full(len(mine), SITE)], np.r_[parts[-1], mine],
                          np.r_[1.0, -np.ones(len(mine))], -math.inf, 0.0,
                          f"backup_{g}_{state}")
            families, counted = np.full(len(parts), OWN), np.array(parts)
        elif len(reach[g]) >= 2:
            families, counted = np.full(len(reach[g]), CANDIDATE), reach[g]
        else:
            continue
        b = build.column("backup", population[g] / total, 1.0, f"backup_{g}")
        v = build.column("", 0.0, 1.0, f"backup_any_{g}")
        build.row(np.r_[OWN, OWN, families], np.r_[b, v, counted],
                  np.r_[1.0, 1.0, -np.ones(len(counted))], -math.inf, 0.0, f"backup_{g}")
        build.row(np.r_[OWN, families], np.r_[b, counted],
                  np.r_[1.0, -0.5 * np.ones(len(counted))], -math.inf, 0.0, f"backup_half_{g}")
        for k, (family, column) in enumerate(zip(families.tolist(), counted.tolist())):
            build.row(np.array([family, OWN]), np.array([column, v]), np.array([1.0, -1.0]),
                      -math.inf, 0.0, f"backup_any_{g}_{k}")


def _state_rows(build: _Builder, instance, fairness: bool) -> None:
    """F: phi <= each state's share within R; the least share access.min_country_share."""
    data = instance.access
    group, state, people = data.state_groups
    if not (data.state_people > 0).any():   # nobody anywhere: F is 0, no share to keep
        return
    fairness = build.column("fairness", 1.0, 1.0, "fairness") if fairness else None
    for c, code in enumerate(data.states):
        total = data.state_people[c]
        if total <= 0:
            continue
        mine = state == c
        groups, shares = group[mine], people[mine] / total
        if fairness is not None:
            build.row(np.r_[OWN, np.full(len(groups), GROUP)], np.r_[fairness, groups],
                      np.r_[1.0, -shares], -math.inf, 0.0, f"fairness_{code}")
        if data.min_country_share > 0:
            build.row(np.full(len(groups), GROUP), groups, shares, data.min_country_share,
                      math.inf, f"min_share_{code}")


def access_terms(instance, portfolios) -> dict[str, np.ndarray]:
    """A, W, B, F and (with gradual coverage) C of each portfolio, from the definitions: each
    point's distance to the nearest member site (no model rows involved).

    Parameters
    ----------
    instance : SelectionInstance
        With :attr:`~siteopt.model.SelectionInstance.access`.
    portfolios : list of iterable of iterable of int
    """
    data = instance.access
    people = np.asarray(data.point_people, float)
    total = people.sum()
    points = data.populated
    share = people[points] / total if total > 0 else np.zeros(len(points))
    within_km = data.radius_km + DISTANCE_TOLERANCE_KM
    reference, radius = data.reference_km, data.radius_km
    out = {term: np.zeros(len(portfolios)) for term in ("latency", "worst", "backup",
                                                         "fairness", "coverage")}
    state = data.point_state[points]
    state_total = data.state_people
    with_people = state_total > 0
    for row, portfolio in enumerate(portfolios):
        gigafactories = [np.asarray(list(g), np.int64) for g in portfolio if len(g)]
        members = np.concatenate(gigafactories) if gigafactories else np.empty(0, np.int64)
        if not len(members):
            continue
        distance = data.distances(points, members)
        nearest = distance.min(axis=1)
        capped = np.minimum(nearest, reference)
        out["latency"][row] = 1.0 - float(share @ capped) / reference if total > 0 else 0.0
        worst = capped[data.worst_rows]
        out["worst"][row] = 1.0 - worst.max() / reference if len(worst) else 0.0
        bounds = np.cumsum([len(g) for g in gigafactories])[:-1]
        reached = sum(part.any(axis=1).astype(np.int64)
                      for part in np.split(distance <= within_km, bounds, axis=1))
        out["backup"][row] = float(share @ (reached >= 2))
        within = np.bincount(state, weights=people[points] * (reached >= 1),
                             minlength=len(data.states))
        out["fairness"][row] = float(np.min(within[with_people] / state_total[with_people])) \
            if with_people.any() else 0.0
        if data.decay == "linear":
            out["coverage"][row] = float(share @ np.maximum(0.0, 1.0 - nearest / radius))
        elif data.decay == "exponential":
            out["coverage"][row] = float(share @ np.exp(-nearest / radius))
    return out
