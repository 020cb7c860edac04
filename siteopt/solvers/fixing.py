r"""Reduced-cost fixing: binary columns that no portfolio better than the best known can use.

For a maximisation :math:`\max c^\top x` over :math:`L \le Ax \le U`, :math:`l \le x \le u`,
any row multipliers :math:`\pi` give, for every feasible :math:`x`,

.. math::

    c^\top x = \pi^\top A x + d^\top x \le
    \underbrace{\sum_i \pi_i \,(U_i \text{ if } \pi_i > 0 \text{ else } L_i)}_{\text{rows}}
    + \sum_j d_j x_j, \qquad d = c - A^\top \pi .

With :math:`\pi` the duals of an LP relaxation (the Benders master with its cuts), the right
side at its largest over the column bounds is the LP bound, and forcing one binary column to
its other bound lowers it by :math:`|d_j|`. Where that leaves it below the best objective
known, no better portfolio sets that column there, and it can be fixed. The bound is computed
from :math:`\pi` and the model's own data, not from the LP solver's objective, so a dual that
is off by the solver's tolerance only makes the bound weaker, never wrong.
"""

from __future__ import annotations

import numpy as np


def lagrangian_bound(lp, row_dual: np.ndarray) -> tuple[float, np.ndarray]:
    """The upper bound of a maximisation at the row multipliers ``row_dual`` and the reduced
    costs :math:`d`.

    Parameters
    ----------
    lp : highspy.HighsLp
        The model (``highs.getLp()``), maximised.
    row_dual : ndarray
        One multiplier per row; rows added after it was computed count as 0.

    Returns
    -------
    bound : float
        :math:`\\max_x` of the right side over the column bounds (inf where a column with
        :math:`d_j \\ne 0` has an infinite bound).
    reduced : ndarray
        :math:`d`, one per column.
    """
    n_rows = len(lp.row_lower_)
    pi = np.zeros(n_rows)
    pi[:len(row_dual)] = row_dual[:n_rows]
    lower, upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    # a multiplier on a side without a bound gives no bound: drop it
    pi[(pi > 0) & ~np.isfinite(upper) | (pi < 0) & ~np.isfinite(lower)] = 0.0
    side = np.where(pi > 0, upper, np.where(pi < 0, lower, 0.0))   # the bound pi presses on
    reduced = np.asarray(lp.col_cost_, float) - _transposed_product(lp, pi)
    return float(pi @ side) + float(np.sum(_largest(reduced, lp))), reduced


def fixable(lp, row_dual: np.ndarray, columns: np.ndarray, best: float,
            tolerance: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Which of the binary ``columns`` can be fixed at their lower or at their upper bound.

    A column is fixed at a bound where setting it to the other bound leaves the Lagrangian
    bound below ``best`` by more than ``tolerance`` (absolute, in objective units).

    Returns
    -------
    at_lower, at_upper : ndarray of bool
        One per entry of ``columns``; both false for a column already fixed.
    """
    bound, reduced = lagrangian_bound(lp, row_dual)
    lower = np.asarray(lp.col_lower_)[columns]
    upper = np.asarray(lp.col_upper_)[columns]
    d = reduced[columns]
    largest = np.maximum(d * lower, d * upper)
    free = lower < upper
    at_lower = free & (bound - largest + d * upper < best - tolerance)
    at_upper = free & (bound - largest + d * lower < best - tolerance)
    return at_lower, at_upper


def _largest(reduced: np.ndarray, lp) -> np.ndarray:
    """Per column, the largest of :math:`d_j x_j` over its bounds (0 where :math:`d_j = 0`)."""
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    with np.errstate(invalid="ignore"):
        return np.where(reduced > 0, reduced * upper,
                        np.where(reduced < 0, reduced * lower, 0.0))


def _transposed_product(lp, pi: np.ndarray) -> np.ndarray:
    """:math:`A^\\top \\pi`, for a matrix stored by column or by row."""
    import highspy

    matrix = lp.a_matrix_
    starts = np.asarray(matrix.start_, dtype=np.int64)
    index = np.asarray(matrix.index_, dtype=np.int64)
    value = np.asarray(matrix.value_, float)
    n_columns = len(lp.col_cost_)
    owner = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    if matrix.format_ == highspy.MatrixFormat.kColwise:
        return np.bincount(owner, weights=value * pi[index], minlength=n_columns)
    return np.bincount(index, weights=value * pi[owner], minlength=n_columns)
