r"""Benders cuts of the latency term and gradual coverage computed from distances, for
instances too large for their level rows (``access.levels_as_cuts``,
:data:`~siteopt.model.access_rows.MAX_LEVEL_PAIRS`).

The level rows of :mod:`siteopt.model.access_rows` hold, for each populated point, every
eligible site nearer than the cutoff (D, or R for linear decay): at 1,000 sites x 1,000,000
points a billion entries. The cut they give at a point :math:`\hat y` of the Benders master
needs much less: for point d, with :math:`L^*_d` the distance at which its nearest sites first
hold :math:`\sum \hat y \ge 1`,

.. math::

    \theta_r \le \sum_{d \in r} a_d \Big(g(L^*_d) + \sum_{s:\, c_{ds} < L^*_d}
    \big(g(c_{ds}) - g(L^*_d)\big) y_s\Big)

for each region r of points (g the weighted gain of a point at a distance: the latency term's
:math:`(D - \min(n, D))/D` and the decay of gradual coverage). At a portfolio, :math:`L^*_d` is
the point's nearest member, so only the sites nearer than it have a coefficient (García, Labbé
and Marín 2011). :func:`siteopt.compiled.level_cuts` computes it in one pass over the points,
cell by cell of a fine grid: a cell reads only the sites within its widest :math:`L^*` of its
centre.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from siteopt.geometry import EARTH_RADIUS_KM, chord_length, grid_cells, unit_vectors

#: Points per cell of the fine grid, about (a cell reads the sites near it once).
POINTS_PER_CELL = 256
#: The greedy start's gains (:meth:`DistanceOracle.gains`, a heuristic) read every k-th point,
#: at most about this many (at 1,000 sites x 1,000,000 points the first gain, with every
#: site's coefficient on every point, took 12 s).
GAIN_POINTS = 100_000
#: The decay codes of :func:`siteopt.compiled.level_cuts`.
DECAY_CODE = {"step": 0, "linear": 1, "exponential": 2}


class DistanceOracle:
    """The cuts and values of the latency term and gradual coverage, one theta per region of a
    ``side`` x ``side`` grid over the populated points, from distances.

    Parameters
    ----------
    instance : SelectionInstance
        With ``access.levels_as_cuts``.
    side : int
        Regions per side of the grid (each region one theta).
    every : int
        Read every k-th populated point only (for :meth:`gains`, where a sample serves).
    """

    on_candidates = False

    def __init__(self, instance, side: int, every: int = 1):
        data = instance.access
        weights = instance.weights
        self.instance, self.side = instance, side
        points = data.populated[::every]
        people = np.asarray(data.point_people, float)[points]
        lat = np.asarray(data.point_lat, float)[points]
        lon = np.asarray(data.point_lon, float)[points]
        fine = side * max(1, round(math.sqrt(len(points) / POINTS_PER_CELL) / side))
        row, column = grid_cells(lat, lon, fine)
        block = (row // (fine // side)) * side + column // (fine // side)
        cell = block * fine * fine + row * fine + column   # cells nest in their block
        order = np.argsort(cell, kind="stable")   # by block, then cell
        cells, cell_of = np.unique(cell[order], return_inverse=True)
        self.blocks_present, block_of_cell = np.unique(cells // (fine * fine),
                                                       return_inverse=True)
        self.points = unit_vectors(lat[order], lon[order])
        self.share = people[order] / people.sum() if people.sum() > 0 else np.zeros(len(order))
        self.cell_start = np.r_[0, np.cumsum(np.bincount(cell_of.ravel(),
                                                         minlength=len(cells)))]
        self.block_cell_start = np.r_[0, np.cumsum(np.bincount(block_of_cell.ravel(),
                                                               minlength=len(
                                                                   self.blocks_present)))]
        centre = np.add.reduceat(self.points, self.cell_start[:-1], axis=0) if len(
            cells) else np.zeros((0, 3))
        self.cell_centre = centre / np.maximum(np.linalg.norm(centre, axis=1), 1e-300)[:, None]
        offset = self.points - np.repeat(self.cell_centre, np.diff(self.cell_start), axis=0)
        self.cell_radius = (np.maximum.reduceat(np.linalg.norm(offset, axis=1),
                                                self.cell_start[:-1]) if len(cells)
                            else np.zeros(0))
        self.sites = unit_vectors(data.site_lat, data.site_lon)
        self.eligible = np.flatnonzero(data.eligible)
        coverage_weight = weights.coverage if data.decay != "step" else 0.0
        latency_weight = weights.latency
        self.shape = np.array([latency_weight, data.reference_km, coverage_weight,
                               data.radius_km, DECAY_CODE[data.decay]], float)
        cutoff = max(data.reference_km if latency_weight > 0 else 0.0,
                     data.radius_km if data.decay == "linear" and coverage_weight > 0
                     else 0.0,
                     math.inf if data.decay == "exponential" and coverage_weight > 0 else 0.0)
        # beyond half the Earth's circumference every place counts (an antipode too)
        self.cutoff_squared = (math.inf if cutoff >= math.pi * EARTH_RADIUS_KM
                               else chord_length(cutoff) ** 2)
        self.n_blocks = len(self.blocks_present)
        # a point's value at distance 0 is its share times the two weights
        self.block_population = np.add.reduceat(self.share, self.cell_start[
            self.block_cell_start[:-1]]) * (latency_weight + coverage_weight) if len(
            cells) else np.zeros(0)

    def _run(self, point: np.ndarray, columns: np.ndarray, wanted=None):
        from siteopt.compiled import level_cuts

        support = np.flatnonzero(point > 1e-12)
        if wanted is None:
            wanted = np.ones(self.n_blocks, dtype=bool)
        return level_cuts(self.points, self.share, self.cell_start, self.block_cell_start,
                          self.cell_centre, self.cell_radius, wanted, self.sites,
                          support.astype(np.int64), point[support].astype(float),
                          np.asarray(columns, np.int64), self.shape, self.cutoff_squared)

    def values(self, point: np.ndarray) -> np.ndarray:
        """Per region, the objective points at ``point`` (over the sites, in [0, 1])."""
        return self._run(point, np.empty(0, np.int64))[1]

    def cuts(self, point: np.ndarray, blocks: np.ndarray, over: np.ndarray | None = None):
        """The cut of each of ``blocks`` at ``point``, as
        :meth:`siteopt.solvers.benders.CoverageOracle.cuts` (columns: sites; those outside
        ``over``, fixed at 0, get none)."""
        columns = self.eligible if over is None else np.intersect1d(self.eligible, over)
        wanted = np.zeros(self.n_blocks, dtype=bool)
        wanted[blocks] = True
        constants, _, coefficients = self._run(point, columns, wanted)
        wanted_coefficients = coefficients[blocks]
        at, k = np.nonzero(wanted_coefficients > 0)
        return constants[blocks], (at, columns[k], wanted_coefficients[at, k])

    def gains(self, point: np.ndarray) -> np.ndarray:
        """Per site, about the objective points it would add to the portfolio ``point`` on
        its own (the sum of its coefficients over every region, on a sample of at most
        about :data:`GAIN_POINTS` points)."""
        every = max(1, math.ceil(len(self.points) / GAIN_POINTS))
        sample = self if every == 1 else self._sample(every)
        gain = np.zeros(len(self.sites))   # (shares of the sample's people: the same scale)
        gain[self.eligible] = sample._run(point, self.eligible)[2].sum(axis=0)
        return gain

    @functools.lru_cache(maxsize=1)
    def _sample(self, every: int) -> DistanceOracle:
        return DistanceOracle(self.instance, self.side, every)
