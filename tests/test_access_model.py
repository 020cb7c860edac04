"""The access terms and limits in the model (issue 27) against brute force, on every path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteopt.config import Solver
from siteopt.errors import ConfigError, SolverError
from siteopt.solvers import solve_instance
from siteopt.solvers.outcome import Status
from tests.instances import ACCESS_SWITCHES, brute_force, portfolio_value, random_access_instance
from tests.test_model import solve

#: Every path; the search solves A and gradual coverage only.
PATHS = ("cbc", "highs", "direct", "benders", "search")
SEARCH_TERMS = {"latency", "decay"}


def _check(instance, outcome):
    best = brute_force(instance)
    if best is None:
        assert outcome.status == Status.INFEASIBLE
        return
    assert outcome.status == Status.OPTIMAL
    assert outcome.objective == pytest.approx(best[0], abs=1e-6)
    assert portfolio_value(instance, outcome.gigafactories) == pytest.approx(best[0], abs=1e-6)
    assert instance.violations(outcome.gigafactories) == []
    assert instance.objective(instance.evaluate(outcome.gigafactories)) == pytest.approx(
        best[0], abs=1e-6)


@pytest.mark.parametrize("solver", PATHS)
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(1, 6), n_points=st.integers(1, 14),
       switches=st.sets(st.sampled_from(ACCESS_SWITCHES), min_size=1, max_size=3))
def test_access_terms_and_limits_equal_brute_force(solver, seed, n_sites, n_points, switches):
    instance = random_access_instance(seed, n_sites, n_points, tuple(sorted(switches)))
    if solver == "search" and not switches <= SEARCH_TERMS:
        with pytest.raises(ConfigError, match="solver.method = 'search' does not solve"):
            solve(instance, solver)
        return
    try:
        outcome = solve(instance, solver)
    except SolverError:   # Benders finds no portfolio only when there is none
        assert brute_force(instance) is None and solver == "benders"
        return
    _check(instance, outcome)


@pytest.mark.parametrize("method", ["direct", "benders", "pulp"])
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(2, 6),
       n_points=st.integers(20, 40))
def test_the_worst_served_point_is_found_by_adding_points(method, seed, n_sites, n_points):
    # more points than the first rows: the answer must be proven over every point
    instance = random_access_instance(seed, n_sites, n_points, ("worst",))
    outcome, _ = solve_instance(instance, Solver(name="highs", method=method), {})
    _check(instance, outcome)
    assert outcome.runner_up is None or outcome.runner_up.objective <= outcome.objective


def test_each_access_term_moves_the_objective_as_defined():
    instance = random_access_instance(3, 5, 30, ("backup", "fairness", "latency", "worst"))
    portfolios = [((0,),), ((1,), (2,)), ((0,), (3,), (4,))]
    terms = instance.evaluate_many(portfolios)
    for row, portfolio in enumerate(portfolios):
        used = sorted(s for g in portfolio for s in g)
        expected = portfolio_value(instance, portfolio)
        if expected is None:
            continue
        assert instance.objective({t: v[row] for t, v in terms.items()}) == pytest.approx(
            expected, abs=1e-9)
    # more sites never leave people farther away
    assert np.all(np.diff(terms["latency"][[0, 2]]) >= -1e-12)
