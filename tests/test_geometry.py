"""Great-circle distances, coverage incidence and geodesic circles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt import geometry
from siteopt.geometry import (
    EARTH_RADIUS_KM,
    coverage_pairs,
    destination,
    geodesic_circle,
    grid_cells,
    haversine_km,
)


def test_haversine_known_distances():
    # a quarter meridian is pi/2 * R
    assert haversine_km(0, 0, 90, 0) == pytest.approx(np.pi / 2 * EARTH_RADIUS_KM)
    # one degree of longitude on the equator
    assert haversine_km(0, 0, 0, 1) == pytest.approx(2 * np.pi * EARTH_RADIUS_KM / 360)
    assert haversine_km(48.2085, 16.3721, 48.2085, 16.3721) == 0


@pytest.mark.parametrize("block", [1, 10**9])
def test_point_exactly_r_away_is_covered_and_just_beyond_is_not(block, monkeypatch):
    monkeypatch.setattr(geometry, "DOT_BLOCK_PAIRS", block)
    lat, lon = destination(50.0, 10.0, 77.0, 500.0)
    beyond_lat, beyond_lon = destination(50.0, 10.0, 77.0, 500.01)
    points, sites = coverage_pairs([50.0], [10.0], [lat, beyond_lat], [lon, beyond_lon], 500.0)
    assert points.tolist() == [0] and sites.tolist() == [0]


@pytest.mark.parametrize("block", [1, 37, 10**9])   # one pair, a few points, all at once
@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), radius=st.floats(10, 2000))
def test_coverage_equals_the_dense_distance_matrix(block, seed, radius):
    rng = np.random.default_rng(seed)
    site_lat, site_lon = rng.uniform(35, 70, 15), rng.uniform(-10, 30, 15)
    point_lat, point_lon = rng.uniform(35, 70, 300), rng.uniform(-10, 30, 300)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geometry, "DOT_BLOCK_PAIRS", block)
        points, sites = coverage_pairs(site_lat, site_lon, point_lat, point_lon, radius)
    dense = haversine_km(point_lat[:, None], point_lon[:, None], site_lat[None, :],
                         site_lon[None, :]) <= radius
    expected_points, expected_sites = np.nonzero(dense)
    assert points.tolist() == expected_points.tolist()
    assert sites.tolist() == expected_sites.tolist()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(radius_small=st.floats(50, 500), extra=st.floats(0, 500))
def test_coverage_never_shrinks_when_the_radius_grows(radius_small, extra):
    rng = np.random.default_rng(7)
    args = (rng.uniform(35, 70, 10), rng.uniform(-10, 30, 10), rng.uniform(35, 70, 200),
            rng.uniform(-10, 30, 200))
    small = set(zip(*coverage_pairs(*args, radius_small)))
    large = set(zip(*coverage_pairs(*args, radius_small + extra)))
    assert small <= large


def test_geodesic_circle_vertices_lie_r_from_the_centre():
    ring = geodesic_circle(64.2, 27.7, 500.0, vertices=90)
    assert ring.shape == (91, 2) and (ring[0] == ring[-1]).all()
    distance = haversine_km(64.2, 27.7, ring[:, 1], ring[:, 0])
    assert np.abs(distance - 500.0).max() < 1e-6
    # far north the ring spans more degrees of longitude than of latitude
    assert np.ptp(ring[:, 0]) > np.ptp(ring[:, 1])


def test_no_sites_or_no_points():
    points, sites = coverage_pairs([], [], [50.0], [10.0], 100.0)
    assert len(points) == 0 and len(sites) == 0


@pytest.mark.parametrize("tile", [1, 1024])   # a bounding box per point, or one for all
@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), radius=st.floats(1, 3000))
def test_points_within_a_millimetre_of_the_circle_are_decided_by_the_exact_distance(
        tile, seed, radius):
    """The dot-product filter and the tiles' bounding boxes miss no pair at the boundary:
    every point a hair inside R (or within the 1 mm tolerance) is found, every point beyond
    it is not."""
    rng = np.random.default_rng(seed)
    site_lat, site_lon = rng.uniform(35, 70, 3), rng.uniform(-10, 30, 3)
    offsets = rng.choice([-1e-7, 0.0, 5e-7, 9e-7, 2e-6, -2e-6], 120)
    lat, lon = destination(np.repeat(site_lat, 40), np.repeat(site_lon, 40),
                           rng.uniform(0, 360, 120), radius + offsets)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geometry, "TILE_POINTS", tile)
        points, sites = coverage_pairs(site_lat, site_lon, lat, lon, radius)
    exact = haversine_km(lat[:, None], lon[:, None], site_lat[None, :], site_lon[None, :]) \
        <= radius + geometry.DISTANCE_TOLERANCE_KM
    assert set(zip(points.tolist(), sites.tolist())) == set(zip(*np.nonzero(exact)))
    assert exact[np.arange(120), np.repeat(np.arange(3), 40)][offsets <= 0].all()


def test_grid_cells_span_the_points_and_nest():
    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(40.0, 50.0, 500), rng.uniform(-5.0, 20.0, 500)
    row4, column4 = grid_cells(lat, lon, 4)
    row8, column8 = grid_cells(lat, lon, 8)
    assert row8[np.argmin(lat)] == 0 and row8[np.argmax(lat)] == 7
    assert column8[np.argmin(lon)] == 0 and column8[np.argmax(lon)] == 7
    np.testing.assert_array_equal(row8 // 2, row4)
    np.testing.assert_array_equal(column8 // 2, column4)
    # a point a quarter of the way up the latitudes is in the second of four rows
    assert grid_cells(np.array([0.0, 2.6, 10.0]), np.zeros(3), 4)[0].tolist() == [0, 1, 3]
    assert [len(a) for a in grid_cells(np.empty(0), np.empty(0), 8)] == [0, 0]
