"""Demand grouped by covering set, block by block: exact at every block size."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt import coverage, geometry
from siteopt.coverage import CoverSets, cover_demand
from siteopt.geometry import destination, haversine_km, spatial_order


@pytest.mark.parametrize("split", [None, 2])
def test_points_with_the_same_covering_sites_share_one_group(split):
    # points 0 and 2 are covered by {0, 1}; point 1 by {1}; point 3 by nothing; point 4 by {2}
    point_index = np.array([0, 0, 1, 2, 2, 4])
    site_index = np.array([0, 1, 1, 0, 1, 2])
    sets = CoverSets(n_sites=3, n_points=5)
    if split is None:
        sets.add(np.arange(5), point_index, site_index)
    else:   # the same pairs in two blocks: points 0-1, then 2-4 (numbered from the block)
        sets.add(np.arange(2), point_index[:3], site_index[:3])
        sets.add(np.arange(split, 5), point_index[3:] - split, site_index[3:])
    assert sets.group_of_point.tolist() == [0, 1, 0, -1, 2]
    assert [m.tolist() for m in sets.in_point_order()[0]] == [[0, 1], [1], [2]]


def test_sets_that_share_the_first_half_of_their_key_are_told_apart_by_the_second():
    sets = CoverSets(n_sites=3, n_points=3)
    sets.keys[0][:] = np.uint64(7)        # {0}, {1} and {2} share the first 64 bits
    sets.add(np.arange(3), np.array([0, 1, 2]), np.array([0, 1, 0]))
    assert sets.group_of_point.tolist() == [0, 1, 0]
    assert [m.tolist() for m in sets.in_point_order()[0]] == [[0], [1]]


@pytest.mark.parametrize("compiled_from", [0, 10**9])   # by the compiled loop, by NumPy
def test_a_key_collision_is_caught_not_merged(compiled_from, monkeypatch):
    from siteopt import coverage

    monkeypatch.setattr(coverage, "COMPILED_FROM_BLOCK_PAIRS", compiled_from)
    sets = CoverSets(n_sites=3, n_points=2)
    sets.keys[:] = np.uint64(7)           # every site the same key: {0} and {1} would merge
    with pytest.raises(RuntimeError, match="share a group key"):
        sets.add(np.arange(2), np.array([0, 1]), np.array([0, 1]))
    # {0, 2} and {1, 2}: the same size and last site, told apart by the first
    sets = CoverSets(n_sites=3, n_points=2)
    sets.keys[:] = np.uint64(7)
    with pytest.raises(RuntimeError, match="share a group key"):
        sets.add(np.arange(2), np.array([0, 0, 1, 1]), np.array([0, 2, 1, 2]))
    # the same sets are one group on either path
    sets = CoverSets(n_sites=3, n_points=2)
    sets.add(np.arange(2), np.array([0, 0, 1, 1]), np.array([0, 2, 0, 2]))
    assert sets.group_of_point.tolist() == [0, 0]


#: Coverage by NumPy and BLAS, or by the compiled loops of large instances.
PATHS = ("numpy", "compiled")
paths = pytest.mark.parametrize("path", PATHS)


def use_path(patch, path: str) -> None:
    """Every size threshold of coverage at 0 (the compiled loops) or out of reach (NumPy)."""
    for name in ("COMPILED_FROM_PRODUCTS", "COMPILED_FROM_PAIRS", "COMPILED_FROM_BLOCK_PAIRS"):
        patch.setattr(coverage, name, 0 if path == "compiled" else 10**18)


@paths
@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), n_sites=st.integers(1, 12), n_points=st.integers(0, 300),
       block=st.sampled_from([1, 7, 64, 100_000]))
def test_blocks_give_the_groups_of_the_dense_distances(path, seed, n_sites, n_points, block):
    rng = np.random.default_rng(seed)
    site_lat, site_lon = rng.uniform(40, 60, n_sites), rng.uniform(-5, 25, n_sites)
    point_lat, point_lon = rng.uniform(40, 60, n_points), rng.uniform(-5, 25, n_points)
    population = rng.integers(1, 1000, n_points).astype(float)
    eligible = rng.random(n_sites) > 0.3
    radius = float(rng.choice([150.0, 400.0]))
    with pytest.MonkeyPatch.context() as patch:
        use_path(patch, path)
        found = cover_demand(site_lat, site_lon, point_lat, point_lon, population, radius,
                             eligible, block=block)
    within = haversine_km(point_lat[:, None], point_lon[:, None], site_lat[None, :],
                          site_lon[None, :]) <= radius + 1e-6
    assert np.allclose(found.population_within, population @ within)
    expected: dict[tuple, float] = {}
    order = []
    for p in range(n_points):
        key = tuple(np.flatnonzero(within[p] & eligible))
        if key:
            if key not in expected:
                order.append(key)
            expected[key] = expected.get(key, 0.0) + population[p]
            assert tuple(found.group_sites[found.group_of_point[p]]) == key
        else:
            assert found.group_of_point[p] == -1
    assert [tuple(s) for s in found.group_sites] == order        # first appearance first
    assert found.group_population.tolist() == [expected[k] for k in order]


@paths
@pytest.mark.parametrize("cores", [1, 3])
def test_the_groups_do_not_depend_on_the_number_of_threads(path, cores, monkeypatch):
    use_path(monkeypatch, path)
    rng = np.random.default_rng(11)
    args = (rng.uniform(40, 60, 9), rng.uniform(-5, 25, 9), rng.uniform(40, 60, 500),
            rng.uniform(-5, 25, 500), rng.integers(1, 1000, 500).astype(float), 300.0,
            rng.random(9) > 0.2)
    alone = cover_demand(*args, block=1_000_000)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    blocks = cover_demand(*args, block=16)
    assert [s.tolist() for s in blocks.group_sites] == [s.tolist() for s in alone.group_sites]
    assert blocks.group_of_point.tolist() == alone.group_of_point.tolist()
    assert blocks.group_population.tolist() == alone.group_population.tolist()
    assert np.allclose(blocks.population_within, alone.population_within)
    assert len(alone.group_sites) > 10


@pytest.mark.parametrize("tile", [1, 1024])   # a bounding box per point, or one for all
@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), radius=st.floats(1, 3000))
def test_the_compiled_blocks_decide_points_near_the_circle_by_the_exact_distance(
        tile, seed, radius):
    """The compiled loop's dot-product tests, bounding boxes and band distances miss no pair
    at the boundary: every point a hair inside R (or within the 1 mm tolerance) is covered,
    every point beyond it is not, and every site's people within R are those of the dense
    distances."""
    rng = np.random.default_rng(seed)
    site_lat, site_lon = rng.uniform(35, 70, 3), rng.uniform(-10, 30, 3)
    offsets = rng.choice([-1e-7, 0.0, 5e-7, 9e-7, 2e-6, -2e-6], 120)
    lat, lon = destination(np.repeat(site_lat, 40), np.repeat(site_lon, 40),
                           rng.uniform(0, 360, 120), radius + offsets)
    population = rng.integers(1, 1000, 120).astype(float)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geometry, "TILE_POINTS", tile)
        use_path(patch, "compiled")
        found = cover_demand(site_lat, site_lon, lat, lon, population, radius,
                             np.ones(3, dtype=bool))
    exact = haversine_km(lat[:, None], lon[:, None], site_lat[None, :], site_lon[None, :]) \
        <= radius + geometry.DISTANCE_TOLERANCE_KM
    for point in range(120):
        covering = found.group_sites[found.group_of_point[point]].tolist() \
            if found.group_of_point[point] >= 0 else []
        assert covering == np.flatnonzero(exact[point]).tolist()
    assert exact[np.arange(120), np.repeat(np.arange(3), 40)][offsets <= 0].all()
    assert found.population_within.tolist() == (population @ exact).tolist()


@settings(max_examples=20, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), block=st.sampled_from([5, 64, 100_000]))
def test_the_compiled_and_numpy_blocks_give_the_same_bits(seed, block):
    """Groups, populations and each site's people within R agree bit for bit, with sites
    that are not eligible among them."""
    rng = np.random.default_rng(seed)
    args = (rng.uniform(40, 60, 20), rng.uniform(-5, 25, 20), rng.uniform(40, 60, 400),
            rng.uniform(-5, 25, 400), rng.random(400) * 1e5, float(rng.uniform(50, 600)),
            rng.random(20) > 0.3)
    found = {}
    for path in PATHS:
        with pytest.MonkeyPatch.context() as patch:
            use_path(patch, path)
            found[path] = cover_demand(*args, block=block)
    numpy_path, compiled_path = found["numpy"], found["compiled"]
    assert numpy_path.group_of_point.tolist() == compiled_path.group_of_point.tolist()
    assert [s.tolist() for s in numpy_path.group_sites] == \
        [s.tolist() for s in compiled_path.group_sites]
    assert numpy_path.group_population.tolist() == compiled_path.group_population.tolist()
    assert numpy_path.population_within.tolist() == compiled_path.population_within.tolist()
    assert len(numpy_path.group_sites) > 5


def test_spatial_order_puts_points_in_rows_from_west_to_east():
    lat = np.array([50.0, 10.0, 50.5, 10.2, 50.1])
    lon = np.array([20.0, 5.0, -3.0, -1.0, 1.0])
    # rows of half of 300 km (1.35 degrees): {10.0, 10.2} then {50.0, 50.1, 50.5}
    assert spatial_order(lat, lon, 300.0).tolist() == [3, 1, 2, 4, 0]
