"""Reduced-cost fixing (siteopt.solvers.fixing): the Lagrangian bound by hand and against
enumeration, and no better solution ever lost to a fixing."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import highspy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.solvers.fixing import fixable, lagrangian_bound

INF = highspy.kHighsInf


def _highs(cost, rows, row_lower, row_upper, integer=False):
    """``max cost @ x`` over ``row_lower <= rows @ x <= row_upper``, ``0 <= x <= 1``."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    n = len(cost)
    highs.addVars(n, np.zeros(n), np.ones(n))
    highs.changeColsCost(n, np.arange(n, dtype=np.int32), np.asarray(cost, float))
    for row, lower, upper in zip(rows, row_lower, row_upper):
        columns = np.flatnonzero(row).astype(np.int32)
        highs.addRow(lower, upper, len(columns), columns, np.asarray(row, float)[columns])
    if integer:
        highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                    np.full(n, highspy.HighsVarType.kInteger))
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return highs


def _by_hand():
    """max 3a + 2b, a + b <= 1.5, a - b >= -0.5: optimum 4 at a = 1, b = 0.5."""
    return _highs([3.0, 2.0], [[1, 1], [1, -1]], [-INF, -0.5], [1.5, INF])


def test_the_lagrangian_bound_by_hand():
    lp = _by_hand().getLp()
    # the LP duals: 2 on the first row; d = c - A'pi = (1, 0); rows 2 x 1.5, columns 1 x 1
    bound, reduced = lagrangian_bound(lp, np.array([2.0, 0.0]))
    assert bound == pytest.approx(4.0) and reduced.tolist() == pytest.approx([1.0, 0.0])
    # no multipliers: the columns at their best bounds, 3 + 2
    assert lagrangian_bound(lp, np.zeros(2))[0] == pytest.approx(5.0)
    # a multiplier pressing on a side without a bound is dropped, not used
    assert lagrangian_bound(lp, np.array([0.0, 3.0]))[0] == pytest.approx(5.0)
    # a row added after the duals counts with multiplier 0
    assert lagrangian_bound(lp, np.array([2.0]))[0] == pytest.approx(4.0)


def test_the_lagrangian_bound_reads_a_matrix_stored_by_row():
    lp = _by_hand().getLp()
    by_row = SimpleNamespace(start_=[0, 2, 4], index_=[0, 1, 0, 1], value_=[1.0, 1.0, 1.0, -1.0],
                             format_=highspy.MatrixFormat.kRowwise)
    stored = SimpleNamespace(row_lower_=lp.row_lower_, row_upper_=lp.row_upper_,
                             col_cost_=lp.col_cost_, col_lower_=lp.col_lower_,
                             col_upper_=lp.col_upper_, a_matrix_=by_row)
    for pi in (np.array([2.0, 0.0]), np.array([0.5, -1.0])):
        assert lagrangian_bound(stored, pi)[0] == pytest.approx(lagrangian_bound(lp, pi)[0])
        assert lagrangian_bound(stored, pi)[1] == pytest.approx(lagrangian_bound(lp, pi)[1])


def test_fixing_by_hand():
    """max 5a + 4b + c, a + b + c <= 1 (one of three): LP optimum 5 at a = 1; every row
    multiplier from 4 to 5 is optimal. Only a alone is worth more than 4.5."""
    highs = _highs([5.0, 4.0, 1.0], [[1, 1, 1]], [-INF], [1.0])
    lp = highs.getLp()
    # pi = 5: d = (0, -1, -4), bound 5; b = 1 leaves at most 4, c = 1 at most 1: both fixed
    # at 0; a = 0 leaves 5 (d = 0): not fixed
    at_lower, at_upper = fixable(lp, np.array([5.0]), np.arange(3), best=4.5)
    assert at_lower.tolist() == [False, True, True] and at_upper.tolist() == [False] * 3
    # pi = 4: d = (1, 0, -3), bound 5; a = 0 leaves 4: a is fixed at 1; b = 1 leaves 5
    at_lower, at_upper = fixable(lp, np.array([4.0]), np.arange(3), best=4.5)
    assert at_lower.tolist() == [False, False, True] and at_upper.tolist() == [True, False, False]
    # nothing is fixed against a best below every column's bound
    assert not np.any(fixable(lp, np.array([5.0]), np.arange(3), best=0.5))
    # a column already fixed is left alone; only the given columns are judged
    highs.changeColsBounds(1, np.array([2], np.int32), np.zeros(1), np.zeros(1))
    at_lower, _ = fixable(highs.getLp(), np.array([5.0]), np.array([1, 2]), best=4.5)
    assert at_lower.tolist() == [True, False]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 7), n_rows=st.integers(1, 4))
def test_no_solution_better_than_the_best_known_is_lost(seed, n, n_rows):
    """Random 0/1 programs: every solution above ``best`` keeps every fixing, and the bound
    holds at the LP duals and at random multipliers."""
    rng = np.random.default_rng(seed)
    cost = rng.normal(size=n).round(2)
    rows = rng.integers(-2, 4, (n_rows, n))
    upper = rng.integers(0, 6, n_rows).astype(float)
    lower = np.where(rng.random(n_rows) < 0.3, upper - rng.integers(0, 4, n_rows), -INF)
    feasible = [np.array(x, float) for x in itertools.product((0, 1), repeat=n)
                if np.all(rows @ x <= upper + 1e-9) and np.all(rows @ x >= lower - 1e-9)]
    highs = _highs(cost, rows, lower, upper)
    highs.run()
    if not feasible or highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return
    lp = highs.getLp()
    values = sorted(float(cost @ x) for x in feasible)
    duals = np.asarray(highs.getSolution().row_dual)
    for pi in (duals, rng.normal(size=n_rows)):
        assert lagrangian_bound(lp, pi)[0] >= values[-1] - 1e-9
    best = values[len(values) // 2]   # a portfolio of middling value is the best known
    at_lower, at_upper = fixable(lp, duals, np.arange(n), best)
    for x in feasible:
        if cost @ x > best + 1e-9:
            assert not (x[at_lower] > 0).any() and not (x[at_upper] < 1).any()


def test_fixing_finds_something_to_fix_on_most_random_programs():
    """The test above is not empty: with the optimum as the best known, most random programs
    fix at least one column."""
    fixed = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        cost = rng.normal(size=6).round(2)
        highs = _highs(cost, [np.ones(6)], [-INF], [2.0])
        highs.run()
        best = max(float(cost @ np.array(x)) for x in itertools.product((0, 1), repeat=6)
                   if sum(x) <= 2)
        at_lower, at_upper = fixable(highs.getLp(), np.asarray(highs.getSolution().row_dual),
                                     np.arange(6), best)
        fixed += bool(at_lower.any() or at_upper.any())
    assert fixed >= 30
