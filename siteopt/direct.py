"""The same model built straight into HiGHS (highspy), without PuLP: the fast path.

PuLP builds one Python object per coefficient; at 2,000 sites and 100,000 demand points the
reach rows alone have millions of non-zeros, and building them costs more than solving small
instances. Here the rows are assembled as NumPy arrays and handed to HiGHS in one call. The
formulation is exactly the one in :mod:`siteopt.model` (same variables, rows and objective);
tests check that both paths reach the same optimum on random instances.
"""

from __future__ import annotations

import math
import time

import numpy as np

from siteopt.config import Solver
from siteopt.errors import SolverError
from siteopt.model import SelectionInstance, site_objective
from siteopt.solve import (INTEGRALITY_TOLERANCE, SolverOutcome, Status, highs_status,
                           new_highs, relative_gap)


def build_rows(instance: SelectionInstance, reach: bool = True):
    """Constraint rows as CSR arrays over the columns [y (sites), z (groups), u (countries)].

    Parameters
    ----------
    instance : SelectionInstance
    reach : bool
        Include the reach rows and the z columns; without them (for the Benders master) the
        columns are [y, u] and the rows are the portfolio and country rows only.

    Returns
    -------
    starts, indices, values, upper : ndarray
        Row starts, column indices, coefficients and right-hand sides (every row is ``<=``).
    """
    n_sites = len(instance.site_ids)
    n_groups = len(instance.group_population) if reach else 0
    countries = instance.countries
    country_of = np.array([countries.index(c) for c in instance.site_country], dtype=np.int64)
    sites = np.arange(n_sites, dtype=np.int64)
    rows_index: list[np.ndarray] = []
    rows_value: list[np.ndarray] = []
    upper: list[float] = []

    def add(index, value, rhs):
        rows_index.append(np.asarray(index, dtype=np.int64))
        rows_value.append(np.asarray(value, dtype=float))
        upper.append(float(rhs))

    add(sites, np.ones(n_sites), instance.max_sites)
    add(sites, instance.capex_eur, instance.budget_eur)
    add(sites, instance.effective_mw, instance.total_power_mw)
    for c in range(len(countries)):
        members = sites[country_of == c]
        add(members, np.ones(len(members)), instance.max_sites_per_country)
        add(np.r_[n_sites + n_groups + c, members], np.r_[1.0, -np.ones(len(members))], 0.0)
    # reach rows in bulk: z_g - sum of covering y <= 0
    lengths = np.array([len(g) for g in instance.group_sites[:n_groups]], dtype=np.int64)
    reach_index = np.empty(int(lengths.sum()) + n_groups, dtype=np.int64)
    reach_value = -np.ones_like(reach_index, dtype=float)
    reach_starts = np.r_[0, np.cumsum(lengths + 1)][:-1]
    reach_index[reach_starts] = n_sites + np.arange(n_groups)
    reach_value[reach_starts] = 1.0
    mask = np.ones(len(reach_index), dtype=bool)
    mask[reach_starts] = False
    if n_groups:
        reach_index[mask] = np.concatenate(instance.group_sites)
    head_lengths = np.array([len(r) for r in rows_index], dtype=np.int64)
    starts = np.r_[0, np.cumsum(head_lengths)[:-1], head_lengths.sum() + reach_starts]
    indices = np.concatenate(rows_index + [reach_index])
    values = np.concatenate(rows_value + [reach_value])
    upper_all = np.r_[np.asarray(upper), np.zeros(n_groups)]
    return starts[: len(upper_all)], indices, values, upper_all


def solve_direct(instance: SelectionInstance, settings: Solver) -> SolverOutcome:
    """Build the model in HiGHS from arrays and solve it.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        ``time_limit_s`` (s) and ``mip_gap``; the solver is always HiGHS.
    """
    import highspy

    began = time.perf_counter()
    n_sites, n_groups = len(instance.site_ids), len(instance.group_population)
    n_countries = len(instance.countries)
    per_group = (instance.weights.coverage * instance.group_population / instance.total_population
                 if instance.total_population > 0 else np.zeros(n_groups))
    costs = np.r_[site_objective(instance), per_group,
                  np.full(n_countries, instance.weights.spread / instance.max_sites)]
    lower = np.r_[instance.required.astype(float), np.zeros(n_groups + n_countries)]
    upper = np.r_[instance.eligible.astype(float), np.ones(n_groups + n_countries)]
    starts, indices, values, row_upper = build_rows(instance)

    highs = new_highs(settings)
    inf = highspy.kHighsInf
    highs.addCols(len(costs), costs, lower, upper, 0, np.empty(0, np.int32),
                  np.empty(0, np.int32), np.empty(0))
    highs.addRows(len(row_upper), np.full(len(row_upper), -inf), row_upper, len(indices),
                  starts.astype(np.int32), indices.astype(np.int32), values)
    integrality = np.full(len(costs), highspy.HighsVarType.kContinuous)
    integrality[:n_sites] = highspy.HighsVarType.kInteger
    highs.changeColsIntegrality(n_sites, np.arange(n_sites, dtype=np.int32),
                                integrality[:n_sites])
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.run()
    status, bound = highs_status(highs, sense=1.0, time_limit_s=settings.time_limit_s)
    seconds = time.perf_counter() - began
    if status in (Status.INFEASIBLE, Status.ERROR):
        return SolverOutcome(status, np.zeros(n_sites, dtype=bool), math.nan, math.nan,
                             math.nan, seconds, "highs")
    values_y = np.asarray(highs.getSolution().col_value[:n_sites])
    off = np.abs(values_y - np.round(values_y))
    if off.max(initial=0.0) > INTEGRALITY_TOLERANCE:
        raise SolverError("highs returned a fractional site decision; the solution cannot be "
                          "trusted")
    objective = float(highs.getInfo().objective_function_value)
    if status == Status.OPTIMAL and settings.mip_gap == 0:
        gap, bound = 0.0, objective
    else:
        gap = relative_gap(objective, bound)
    return SolverOutcome(status, values_y > 0.5, objective, bound, gap, seconds, "highs")
