"""Demand grouped by covering set, block by block: exact at every block size."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.coverage import CoverSets, cover_demand
from siteopt.geometry import haversine_km, spatial_order


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


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), n_sites=st.integers(1, 12), n_points=st.integers(0, 300),
       block=st.sampled_from([1, 7, 64, 100_000]))
def test_blocks_give_the_groups_of_the_dense_distances(seed, n_sites, n_points, block):
    rng = np.random.default_rng(seed)
    site_lat, site_lon = rng.uniform(40, 60, n_sites), rng.uniform(-5, 25, n_sites)
    point_lat, point_lon = rng.uniform(40, 60, n_points), rng.uniform(-5, 25, n_points)
    population = rng.integers(1, 1000, n_points).astype(float)
    eligible = rng.random(n_sites) > 0.3
    radius = float(rng.choice([150.0, 400.0]))
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


@pytest.mark.parametrize("cores", [1, 3])
def test_the_groups_do_not_depend_on_the_number_of_threads(cores, monkeypatch):
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


def test_spatial_order_puts_points_in_rows_from_west_to_east():
    lat = np.array([50.0, 10.0, 50.5, 10.2, 50.1])
    lon = np.array([20.0, 5.0, -3.0, -1.0, 1.0])
    # rows of half of 300 km (1.35 degrees): {10.0, 10.2} then {50.0, 50.1, 50.5}
    assert spatial_order(lat, lon, 300.0).tolist() == [3, 1, 2, 4, 0]
