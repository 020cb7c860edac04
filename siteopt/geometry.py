"""Great-circle geometry: distances, coverage incidence and geodesic circles.

Distances are great-circle (haversine) on a sphere of radius :data:`EARTH_RADIUS_KM`. Coverage
uses 3-D unit vectors: two points are within great-circle distance ``d`` exactly when their
chord is within ``2 sin(d / 2R)``, that is when their dot product is at least
``1 - 2 sin^2(d / 2R)``. The points are taken in small tiles; a tile is compared only with the
sites inside its bounding box (in 3-D, widened by the chord), by one matrix product that
decides every pair (three multiplications a pair; faster than a KD-tree at every size
measured, see benchmarks/README.md), except those in a band of a few millimetres around R,
which the exact haversine distance decides. Tiles are small when nearby points are next to
each other: :func:`spatial_order` puts them so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Mean Earth radius, km (IUGG).
EARTH_RADIUS_KM = 6371.0088
#: A point exactly R away counts as covered; this absorbs floating-point noise, km (1 mm).
DISTANCE_TOLERANCE_KM = 1e-6
#: Site-point dot products computed at once in coverage, at most (memory: 8 bytes each, 32 MB).
DOT_BLOCK_PAIRS = 4_000_000
#: Points per tile in coverage: each tile is compared with the sites near its bounding box.
TILE_POINTS = 1024
#: Margin of the dot-product tests in coverage: a thousand times the rounding of a dot
#: product of two unit vectors.
DOT_MARGIN = 1e-13
def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts like NumPy).

    >>> round(float(haversine_km(48.2085, 16.3721, 52.5244, 13.4105)), 1)  # Vienna-Berlin
    523.8
    """
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lat, lon) -> np.ndarray:
    """Points in degrees as an ``(n, 3)`` array of unit vectors."""
    lat, lon = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def chord_length(distance_km: float) -> float:
    """Straight-line distance on the unit sphere for a great-circle distance in km."""
    return 2.0 * np.sin(min(distance_km / (2.0 * EARTH_RADIUS_KM), np.pi / 2))


def grid_cells(lat, lon, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Each point's row and column in a ``side`` x ``side`` grid over the latitudes and
    longitudes the points span (degrees in, cell indices 0 .. side - 1 out); a grid of
    ``k * side`` nests in it (cell // k)."""
    cells = []
    for v in (np.asarray(lat, float), np.asarray(lon, float)):
        low, span = (v.min(), np.ptp(v)) if len(v) else (0.0, 0.0)
        cells.append(np.minimum(((v - low) / max(span, 1e-9) * side).astype(np.int64),
                                side - 1))
    return tuple(cells)


def coverage_pairs(site_lat, site_lon, point_lat, point_lon,
                   radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, site) pair whose great-circle distance is <= ``radius_km``.

    Parameters
    ----------
    site_lat, site_lon : array_like
        Site coordinates, degrees.
    point_lat, point_lon : array_like
        Demand point coordinates, degrees.
    radius_km : float
        Coverage radius R, km (inclusive, within :data:`DISTANCE_TOLERANCE_KM`).

    Returns
    -------
    point_index, site_index : ndarray of int64
        Pairs sorted by point, then site.
    """
    site_lat, site_lon = np.asarray(site_lat, float), np.asarray(site_lon, float)
    point_lat, point_lon = np.asarray(point_lat, float), np.asarray(point_lon, float)
    if len(site_lat) == 0 or len(point_lat) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    point_index, site_index, keep = _candidates(site_lat, site_lon, point_lat, point_lon,
                                                radius_km)
    band = np.flatnonzero(~keep)   # the exact check, only near R
    keep[band] = haversine_km(point_lat[point_index[band]], point_lon[point_index[band]],
                              site_lat[site_index[band]], site_lon[site_index[band]]) \
        <= radius_km + DISTANCE_TOLERANCE_KM
    return point_index[keep], site_index[keep]


@dataclass(frozen=True)
class DotTests:
    """The tests of coverage's tiles for a radius: a pair of unit vectors with a dot product
    below ``least_dot`` is beyond R, one at or above ``sure_dot`` is within R (plus the
    tolerance); only the pairs in between need the exact distance.

    Attributes
    ----------
    least_dot, sure_dot : float
    reach : float
        A pair that passes ``least_dot`` is at most this far apart in every coordinate (the
        widening of a tile's bounding box).
    step : int
        Points per tile (:data:`TILE_POINTS`, fewer when a tile would exceed
        :data:`DOT_BLOCK_PAIRS` products).
    """

    least_dot: float
    sure_dot: float
    reach: float
    step: int


def dot_tests(radius_km: float, n_sites: int) -> DotTests:
    """The :class:`DotTests` of ``radius_km`` against ``n_sites`` sites.

    Both tests leave a margin of :data:`DOT_MARGIN` (a thousand times the rounding of a dot
    product of unit vectors, a few millimetres at most): no pair within R is missed, and no
    pair beyond it is called certain.
    """
    outer = chord_length(radius_km + DISTANCE_TOLERANCE_KM)
    inner = max(0.0, outer * (1 - 1e-9) - 1e-12)
    widest = outer * (1 + 1e-9) + 1e-12
    return DotTests(least_dot=1.0 - widest ** 2 / 2 - DOT_MARGIN,   # |a-b|^2 = 2 - 2a.b
                    sure_dot=1.0 - inner ** 2 / 2 + DOT_MARGIN,
                    reach=float(np.sqrt(widest ** 2 + 2 * DOT_MARGIN) + 1e-12),
                    step=max(1, min(TILE_POINTS, DOT_BLOCK_PAIRS // max(n_sites, 1))))


def _candidates(site_lat, site_lon, point_lat, point_lon,
                radius_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs that may lie within ``radius_km``, sorted by point then site, and which of
    them certainly do (:func:`dot_tests`): one matrix product of unit vectors per tile of
    points with the sites in the tile's bounding box, widened by the chord of R.

    Returns
    -------
    point_index, site_index : ndarray of int64
    certain : ndarray of bool
        Per pair: certainly within ``radius_km`` (plus the tolerance).
    """
    sites = unit_vectors(site_lat, site_lon)
    points = unit_vectors(point_lat, point_lon)
    tests = dot_tests(radius_km, len(sites))
    point_parts, site_parts, certain_parts = [], [], []
    for start in range(0, len(points), tests.step):
        tile = points[start:start + tests.step]
        nearby = np.flatnonzero(((sites >= tile.min(axis=0) - tests.reach)
                                 & (sites <= tile.max(axis=0) + tests.reach)).all(axis=1))
        dots = tile @ sites[nearby].T
        near = dots >= tests.least_dot
        near_point, near_site = np.nonzero(near)
        point_parts.append(near_point + start)
        site_parts.append(nearby[near_site])
        certain_parts.append(dots[near] >= tests.sure_dot)
    return (np.concatenate(point_parts).astype(np.int64, copy=False),
            np.concatenate(site_parts).astype(np.int64, copy=False),
            np.concatenate(certain_parts))


def spatial_order(lat, lon, radius_km: float) -> np.ndarray:
    """An order of points (degrees) that keeps nearby points together: rows of latitude half
    of ``radius_km`` high, each from west to east.

    Coverage is exact in any order; in this one its tiles (see :func:`coverage_pairs`) are
    small and meet few sites.

    Returns
    -------
    ndarray of int64
        Point indices.
    """
    row_degrees = max(radius_km, 1e-3) / 2 / (EARTH_RADIUS_KM * np.pi / 180)
    rows = np.floor(np.asarray(lat, float) / row_degrees)
    return np.lexsort((np.asarray(lon, float), rows))


def destination(lat, lon, bearing_deg, distance_km) -> tuple[np.ndarray, np.ndarray]:
    """Points ``distance_km`` from (lat, lon) along initial bearings (degrees); broadcasts.

    Returns
    -------
    lat, lon : ndarray
        Degrees; longitudes in [-180, 180).
    """
    phi1, lambda1 = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    theta = np.radians(np.asarray(bearing_deg, dtype=float))
    delta = np.asarray(distance_km, dtype=float) / EARTH_RADIUS_KM
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(theta))
    lambda2 = lambda1 + np.arctan2(np.sin(theta) * np.sin(delta) * np.cos(phi1),
                                   np.cos(delta) - np.sin(phi1) * np.sin(phi2))
    return np.degrees(phi2), (np.degrees(lambda2) + 540.0) % 360.0 - 180.0


def geodesic_circle(lat: float, lon: float, radius_km: float, vertices: int = 180) -> np.ndarray:
    """A closed ring of points exactly ``radius_km`` from a centre: ``(vertices + 1, 2)`` lon/lat.

    Every vertex is a true great-circle distance from the centre, so the ring is the coverage
    area of a site, not a circle drawn in degrees.
    """
    bearings = np.linspace(0.0, 360.0, vertices, endpoint=False)
    lats, lons = destination(lat, lon, bearings, radius_km)
    ring = np.column_stack([lons, lats])
    return np.vstack([ring, ring[:1]])
