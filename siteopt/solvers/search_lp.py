r"""The search's multipliers from its linear relaxation, by cutting planes over blocks of
elements: for search models with many elements (the robust choice's sampled futures), where
the subgradient steps of :func:`~siteopt.solvers.search.root_multipliers` stall.

The search's bound (module :mod:`~siteopt.solvers.search`) is the Lagrangian relaxation of
the reach rows and the budget, whose subproblem (at most r options, one per group) has
integral vertices: its best multipliers give the bound of the linear relaxation

.. math::

    \max_x \; v^\top x + \sum_e w_e \min(1, c_e^\top x) \quad \text{s.t.}\;
    \sum_{o \in g} x_o \le 1,\; \sum_o x_o \le r,\; k^\top x \le B,\; m^\top x \le P,\;
    0 \le x \le 1

(:math:`c_e` the options that cover element e). The elements are split into blocks b and
each block's concave part :math:`f_b(x) = \sum_{e \in b} w_e \min(1, c_e^\top x)` is
replaced by a variable :math:`\theta_b` bounded by cuts, one per block and iteration, tight at
the current point :math:`\hat x`: :math:`\theta_b \le \sum_{e \in b,\, c_e^\top\hat x \ge 1}
w_e + \sum_{e \in b,\, c_e^\top \hat x < 1} w_e\, c_e^\top x` (Kelley's method, multi-cut, as
the L-shaped method adds one cut family per scenario). When the master's value and the value
at its point agree within :data:`LP_TOLERANCE`, the cuts' duals :math:`\mu` give the element
multipliers :math:`\pi_e = w_e \sum_{\text{cuts } c \text{ of } e\text{'s block}} \mu_c
[c_e^\top \hat x_c < 1]` and the budget row's dual gives :math:`\lambda`. Any multipliers give
a valid bound, so these are only where the search starts; it keeps the best it finds.
"""

from __future__ import annotations

import numpy as np

#: The cutting planes stop when the master's value is within this many objective points of
#: the relaxation's value at the master's point.
LP_TOLERANCE = 1e-7
#: At most this many rounds of cuts.
MAX_ROUNDS = 200
#: Elements per block (contiguous runs of the model's elements).
BLOCK_ELEMENTS = 100
#: Options whose slopes are computed at once: the temporary is this many rows of the
#: coverage matrix, not the whole matrix again (each row's sums are the same bits).
SLOPE_ROWS = 64


def lp_multipliers(model, slots: int, budget_eur: float,
                   power_mw: float) -> tuple[np.ndarray, float]:
    """Element and budget multipliers of ``model`` (a
    :class:`~siteopt.solvers.search.SearchModel`) from its linear relaxation with at most
    ``slots`` options, the budget row ``model.capex_eur <= budget_eur`` (EUR) and power at
    most ``power_mw`` (MW); see the module docstring.

    Returns
    -------
    pi : ndarray
        Element multipliers, objective points, each within 0..its weight.
    lam : float
        Budget multiplier, objective points per EUR.
    """
    import highspy

    from siteopt.solvers.highs import silence_highs_banner

    n_options, n_elements = model.covers.shape
    weight = model.weight
    block = np.arange(n_elements) // BLOCK_ELEMENTS
    block_starts = np.arange(0, n_elements, BLOCK_ELEMENTS)
    n_blocks = len(block_starts)
    silence_highs_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 0)
    inf = highspy.kHighsInf
    # columns: x (options), then theta (blocks, at most each block's weight); maximise
    block_weight = np.bincount(block, weights=weight, minlength=n_blocks)
    highs.addCols(n_options + n_blocks, -np.r_[model.value, np.ones(n_blocks)],
                  np.zeros(n_options + n_blocks), np.r_[np.ones(n_options), block_weight], 0,
                  np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    options = np.arange(n_options, dtype=np.int32)
    for group in np.unique(model.group):
        members = np.flatnonzero(model.group == group).astype(np.int32)
        highs.addRow(-inf, 1.0, len(members), members, np.ones(len(members)))
    highs.addRow(-inf, float(slots), n_options, options, np.ones(n_options))
    budget_row = highs.getNumRow()
    highs.addRow(-inf, budget_eur, n_options, options, np.asarray(model.capex_eur, float))
    highs.addRow(-inf, power_mw, n_options, options, np.asarray(model.mw, float))
    first_cut = highs.getNumRow()
    open_masks = []   # per round: which elements each cut counts as not yet full
    x = np.zeros(n_options)
    for _ in range(MAX_ROUNDS):
        reach = x @ model.covers
        short = reach < 1.0 - 1e-12
        full = np.bincount(block, weights=np.where(short, 0.0, weight), minlength=n_blocks)
        # per option and block: the weight of the block's open elements the option covers
        open_weight = np.where(short, weight, 0.0)
        slope = np.vstack([np.add.reduceat(model.covers[rows:rows + SLOPE_ROWS] * open_weight,
                                           block_starts, axis=1)
                           for rows in range(0, max(n_options, 1), SLOPE_ROWS)])
        value_at_x = model.value @ x + full.sum() + float((slope.T @ x).sum())
        _add_cuts(highs, slope, full, n_options)
        open_masks.append(short)
        highs.run()
        solution = highs.getSolution()
        column = np.asarray(solution.col_value)
        master = -highs.getInfo().objective_function_value
        x = np.clip(column[:n_options], 0.0, 1.0)
        if master - value_at_x <= LP_TOLERANCE:
            break
    dual = -np.asarray(highs.getSolution().row_dual)
    cut_dual = np.clip(dual[first_cut:], 0.0, None).reshape(len(open_masks), n_blocks)
    pi = weight * sum(cut_dual[k][block] * open_masks[k] for k in range(len(open_masks)))
    return np.clip(pi, 0.0, weight), max(0.0, float(dual[budget_row]))


def _add_cuts(highs, slope: np.ndarray, full: np.ndarray, n_options: int) -> None:
    """One cut per block: ``theta_b - slope_b . x <= full_b``."""
    import highspy

    n_blocks = len(full)
    rows = []
    for b in range(n_blocks):
        used = np.flatnonzero(slope[:, b] > 0)
        rows.append((np.r_[used, n_options + b].astype(np.int32),
                     np.r_[-slope[used, b], 1.0]))
    starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
    highs.addRows(n_blocks, np.full(n_blocks, -highspy.kHighsInf), full, int(starts[-1]
                  + len(rows[-1][0])) if rows else 0, starts,
                  np.concatenate([r[0] for r in rows]) if rows else np.empty(0, np.int32),
                  np.concatenate([r[1] for r in rows]) if rows else np.empty(0))
