"""The latency term and gradual coverage cut from distances (no level rows), for instances too
large for the level rows: the same cuts as the level rows, the same optimum as brute force."""

from __future__ import annotations

from unittest import mock

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.config import Solver
from siteopt.errors import ConfigError, SolverError
from siteopt.model import access_rows
from siteopt.solvers import solve_instance
from siteopt.solvers.benders import CoverageOracle, make_oracle
from siteopt.solvers.outcome import Status
from tests.instances import ACCESS_SWITCHES, brute_force, random_access_instance
from tests.test_access_model import _check

#: Switches that put level rows in the model.
LEVELS = ("latency", "decay")


def _cut_instance(seed, n_sites, n_points, switches, **kwargs):
    """:func:`random_access_instance` with its level rows cut from distances."""
    with mock.patch.object(access_rows, "MAX_LEVEL_PAIRS", -1):
        instance = random_access_instance.__wrapped__(seed, n_sites, n_points, switches,
                                                      **kwargs)
    assert instance.levels_as_cuts and instance.level_rows is None
    return instance


def _whole_cut(oracle, point):
    """A cut summed over every block: its constant and per-site coefficients."""
    constants, (_, column, value) = oracle.cuts(point, np.arange(oracle.n_blocks))
    coefficients = np.bincount(column, weights=value, minlength=len(point))
    return constants.sum(), coefficients


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(1, 7),
       n_points=st.integers(1, 40), level=st.sampled_from(LEVELS + ("both",)),
       kind=st.sampled_from(["fractional", "portfolio", "none"]))
def test_the_cut_from_distances_is_the_cut_of_the_level_rows(seed, n_sites, n_points, level,
                                                            kind):
    """Summed over the points, the cut from distances has the constant and the coefficients
    of the level rows' cut, and the same value, at fractional points and portfolios."""
    switches = LEVELS if level == "both" else (level,)
    rows = random_access_instance(seed, n_sites, n_points, switches)
    cuts = _cut_instance(seed, n_sites, n_points, switches)
    rng = np.random.default_rng(seed)
    point = {"fractional": rng.random(n_sites) * (rng.random(n_sites) < 0.7),
             "portfolio": (rng.random(n_sites) < 0.4).astype(float),
             "none": np.zeros(n_sites)}[kind] * rows.eligible
    by_rows, by_distance = CoverageOracle(rows), make_oracle(cuts)
    constant, coefficients = _whole_cut(by_rows, point)
    constant_d, coefficients_d = _whole_cut(by_distance, point)
    assert constant_d == pytest.approx(constant, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(coefficients_d, coefficients, rtol=1e-9, atol=1e-12)
    assert by_distance.values(point).sum() == pytest.approx(by_rows.values(point).sum(),
                                                            rel=1e-9, abs=1e-12)
    # the cut is tight at the point
    assert constant_d + coefficients_d @ point == pytest.approx(
        by_distance.values(point).sum(), rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(1, 6), n_points=st.integers(1, 14),
       level=st.sampled_from(LEVELS),
       others=st.sets(st.sampled_from([s for s in ACCESS_SWITCHES if s not in LEVELS]),
                      max_size=2))
def test_cuts_from_distances_give_the_brute_force_optimum(seed, n_sites, n_points, level,
                                                          others):
    """``auto`` takes Benders with cuts from distances, with every other access term and
    limit and the consolidation rules, and proves the brute-force optimum."""
    instance = _cut_instance(seed, n_sites, n_points, tuple(sorted({level} | others)))
    try:
        outcome, method = solve_instance(instance, Solver(name="highs"), {})
    except SolverError:   # Benders finds no portfolio only when there is none
        assert brute_force(instance) is None
        return
    assert method == "benders"
    _check(instance, outcome)


@pytest.mark.parametrize("method", ["direct", "search", "pulp"])
def test_the_paths_that_need_level_rows_refuse_them_in_one_line(method):
    instance = _cut_instance(3, 5, 20, ("latency",))
    with pytest.raises(ConfigError) as error:
        solve_instance(instance, Solver(name="highs", method=method), {})
    message = str(error.value)
    places, sites = len(instance.access.populated), int(instance.eligible.sum())
    assert message.startswith(f"solver.method '{method}' cannot solve the latency term")
    assert f"over {places} places and {sites} sites" in message
    assert '"benders"' in message and "\n" not in message


def test_the_cuts_do_not_depend_on_the_number_of_threads():
    instance = _cut_instance(11, 7, 40, LEVELS)
    point = np.random.default_rng(1).random(7) * instance.eligible
    oracle = make_oracle(instance)
    blocks = np.arange(oracle.n_blocks)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = oracle.cuts(point, blocks)
        numba.set_num_threads(before)
        many = oracle.cuts(point, blocks)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one[0], many[0])
    for a, b in zip(one[1], many[1]):
        np.testing.assert_array_equal(a, b)


def test_level_rows_are_cut_from_distances_beyond_max_level_pairs():
    rows = random_access_instance(3, 5, 20, ("latency",))
    pairs = len(rows.access.populated) * int(rows.eligible.sum())
    for limit, cut in ((pairs, False), (pairs - 1, True)):
        with mock.patch.object(access_rows, "MAX_LEVEL_PAIRS", limit):
            instance = random_access_instance.__wrapped__(3, 5, 20, ("latency",))
        assert instance.levels_as_cuts == cut
        assert (instance.level_rows is None) == cut
