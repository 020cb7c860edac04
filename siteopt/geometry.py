"""Great-circle geometry: distances, coverage incidence and geodesic circles.

Distances are great-circle (haversine) on a sphere of radius :data:`EARTH_RADIUS_KM`. Coverage
uses a KD-tree on 3-D unit vectors: two points are within great-circle distance ``d`` exactly
when their chord is within ``2 sin(d / 2R)``, so the tree finds candidates without a dense
distance matrix, and an exact haversine check decides each candidate pair.
"""

from __future__ import annotations

import numpy as np

#: Mean Earth radius, km (IUGG).
EARTH_RADIUS_KM = 6371.0088
#: A point exactly R away counts as covered; this absorbs floating-point noise, km (1 mm).
DISTANCE_TOLERANCE_KM = 1e-6
#: Up to this many site-point pairs, coverage uses one dense haversine matrix (no KD-tree and no
#: scipy import: the shipped EU case has 60 x 5,376); above it, a KD-tree finds candidates.
DENSE_PAIRS_LIMIT = 2_000_000


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
    if len(site_lat) * len(point_lat) <= DENSE_PAIRS_LIMIT:
        point_index, site_index = _dense_candidates(len(site_lat), len(point_lat))
    else:
        point_index, site_index = _kdtree_candidates(site_lat, site_lon, point_lat, point_lon,
                                                     radius_km)
    # the exact check, with each point's trigonometry computed once, not once per pair
    site_phi, point_phi = np.radians(site_lat), np.radians(point_lat)
    site_lambda, point_lambda = np.radians(site_lon), np.radians(point_lon)
    a = (np.sin((point_phi[point_index] - site_phi[site_index]) / 2) ** 2
         + np.cos(site_phi)[site_index] * np.cos(point_phi)[point_index]
         * np.sin((point_lambda[point_index] - site_lambda[site_index]) / 2) ** 2)
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    keep = distance <= radius_km + DISTANCE_TOLERANCE_KM
    return point_index[keep], site_index[keep]


def _dense_candidates(n_sites: int, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, site) pair, sorted by point then site: the exact check decides them all."""
    point_index = np.repeat(np.arange(n_points, dtype=np.int64), n_sites)
    site_index = np.tile(np.arange(n_sites, dtype=np.int64), n_points)
    return point_index, site_index


def _kdtree_candidates(site_lat, site_lon, point_lat, point_lon,
                       radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose chord is (a little generously) within the chord of ``radius_km``, sorted by
    point then site."""
    from scipy import sparse  # slow to import; only large instances need it
    from scipy.spatial import cKDTree

    sites = unit_vectors(site_lat, site_lon)
    search = chord_length(radius_km + DISTANCE_TOLERANCE_KM) * (1 + 1e-9) + 1e-12
    neighbours = cKDTree(unit_vectors(point_lat, point_lon)).query_ball_point(
        sites, search, workers=-1, return_sorted=False)
    counts = np.fromiter((len(n) for n in neighbours), dtype=np.int64, count=len(sites))
    columns = (np.concatenate([np.asarray(n, dtype=np.int32) for n in neighbours])
               if counts.sum() else np.empty(0, dtype=np.int32))
    # sites x points incidence, turned point-major: CSC keeps each point's sites sorted
    by_site = sparse.csr_matrix((np.ones(len(columns), dtype=np.int8), columns,
                                 np.r_[0, np.cumsum(counts)]), shape=(len(sites), len(point_lat)))
    by_point = by_site.tocsc()
    by_point.sort_indices()
    point_index = np.repeat(np.arange(len(point_lat), dtype=np.int64), np.diff(by_point.indptr))
    return point_index, by_point.indices.astype(np.int64)


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
