"""The same model built straight into HiGHS (highspy), without PuLP: the fast path.

PuLP builds one Python object per coefficient; with thousands of candidate gigafactories and
demand groups that costs more than solving. Here every row family of :mod:`siteopt.model` is
assembled as NumPy (row, column, value) triplets and handed to HiGHS in one call. The
formulation is exactly the one in :mod:`siteopt.model` (same variables, rows and objective);
tests check that both paths reach the same optimum as brute force.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from siteopt.config import Solver
from siteopt.model import (
    SelectionInstance,
    compact_objective,
    exclusion_rows,
    gigafactory_objective,
    site_objective,
)
from siteopt.model.access_rows import CANDIDATE, GROUP, OWN, SITE
from siteopt.solvers.highs import highs_status, new_highs, presolve_choice, run_highs
from siteopt.solvers.outcome import (
    SolverOutcome,
    Status,
    finish,
    no_solution,
    portfolio,
)


@dataclass(frozen=True)
class Layout:
    """Column offsets of each variable family in the HiGHS model.

    The columns are ``[x (candidates), y (sites), z (demand groups, if any), u (countries),
    h (letters), a (the access block's own columns), c (copies of the groups the access block
    refers to, without z)]`` followed by ``extra`` columns (Benders' theta).
    """

    n_candidates: int
    n_sites: int
    n_groups: int
    n_countries: int
    n_letters: int
    n_access: int = 0
    n_copies: int = 0

    @property
    def y(self) -> int:
        return self.n_candidates

    @property
    def z(self) -> int:
        return self.y + self.n_sites

    @property
    def u(self) -> int:
        return self.z + self.n_groups

    @property
    def h(self) -> int:
        return self.u + self.n_countries

    @property
    def a(self) -> int:
        return self.h + self.n_letters

    @property
    def c(self) -> int:
        return self.a + self.n_access

    @property
    def width(self) -> int:
        return self.c + self.n_copies


def layout(instance: SelectionInstance, reach: bool = True) -> Layout:
    """The column layout of ``instance``; without ``reach`` there are no z columns (the groups
    the access block needs get copies), and in the compact form no x columns (its u columns
    are the binary bids)."""
    block = instance.access_block
    return Layout(0 if instance.compact else len(instance.candidates), len(instance.site_ids),
                  len(instance.group_population) if reach else 0, len(instance.countries),
                  len(instance.letter_site), len(block.unit),
                  0 if reach else len(block.groups()))


def access_blocks(instance: SelectionInstance, cols: Layout) -> list:
    """The access block's rows (:func:`~siteopt.model.access_rows.access_block`) as row
    blocks over the columns of ``cols``; without z columns, also the rows of the group copies
    (``c_g - sum of y_s in N_g <= 0``)."""
    block = instance.access_block
    if block.empty:
        return []
    copied = block.groups()
    group_column = (cols.z + block.index if cols.n_groups
                    else cols.c + np.searchsorted(copied, block.index))
    offsets = {OWN: cols.a + block.index, SITE: cols.y + block.index,
               CANDIDATE: block.index, GROUP: group_column}
    columns = np.select([block.family == f for f in offsets], list(offsets.values()))
    blocks = [(block.row_of, columns, block.value, block.row_lower, block.row_upper)]
    if not cols.n_groups and len(copied):
        sites = [instance.group_sites[g] for g in copied.tolist()]
        rows, columns, values = grouped_rows(sites, cols.y, cols.c + np.arange(len(copied)))
        blocks.append((rows, columns, values, np.full(len(copied), -np.inf),
                       np.zeros(len(copied))))
    return blocks


def grouped_rows(keys_per_row, offset: int, head_column: np.ndarray | None = None):
    """Triplets ``(row, column, value)`` for rows ``head - sum(members) <= 0``, in row order
    (each row's head first, then its members): CSR as they are.

    ``keys_per_row`` holds the member columns of each row (site indices, offset added).
    """
    lengths = np.fromiter((len(k) for k in keys_per_row), dtype=np.int64,
                          count=len(keys_per_row))
    members = (np.concatenate(keys_per_row).astype(np.int64) + offset if lengths.sum()
               else np.empty(0, dtype=np.int64))
    if head_column is None:
        return np.repeat(np.arange(len(lengths)), lengths), members, -np.ones(len(members))
    sizes = lengths + 1
    heads = np.cumsum(sizes) - sizes
    columns = np.empty(int(sizes.sum()), dtype=np.int64)
    values = np.full(len(columns), -1.0)
    is_member = np.ones(len(columns), dtype=bool)
    is_member[heads] = False
    columns[heads], values[heads] = head_column, 1.0
    columns[is_member] = members
    return np.repeat(np.arange(len(lengths)), sizes), columns, values


def build_rows(instance: SelectionInstance, reach: bool = True):
    """Every row of the model as CSR arrays over the columns of :func:`layout`.

    Parameters
    ----------
    instance : SelectionInstance
    reach : bool
        Include the reach rows (and the z columns); the Benders master leaves them out.

    Returns
    -------
    starts, indices, values, lower, upper : ndarray
        Row starts, column indices, coefficients and row bounds.
    """
    cols = layout(instance, reach)
    countries = instance.countries
    country_of = np.array([countries.index(c) for c in instance.site_country], dtype=np.int64)
    if instance.compact:
        blocks = _national_bid_blocks(instance, cols, country_of)
    else:
        blocks = _candidate_blocks(instance, cols, country_of)
    # reach_d: z_d - sum of x_g with a member in N_d (or of y_s in N_d) <= 0
    if reach:
        levels = instance.level_rows
        n_plain = instance.access.level_offset if levels is not None else len(
            instance.group_sites)
        groups = instance.group_sites[:n_plain]
        over_candidates = instance.candidate_reach
        rows, columns, values = (
            grouped_rows(list(over_candidates), 0, cols.z + np.arange(len(groups)))
            if over_candidates is not None
            else grouped_rows(list(groups), cols.y, cols.z + np.arange(len(groups))))
        blocks.append((rows, columns, values, np.full(len(groups), -np.inf),
                       np.zeros(len(groups))))
        if levels is not None:
            blocks.append(_chained_level_rows(levels, cols, n_plain))
        if instance.compact:  # reach_states_d: z_d - sum of b_c over covering states <= 0
            states = instance.country_reach
            fewer = [d for d, (sites, c) in enumerate(zip(groups, states)) if len(c) < len(sites)]
            rows, columns, values = grouped_rows([states[d] for d in fewer], cols.u,
                                                 cols.z + np.asarray(fewer, dtype=np.int64))
            blocks.append((rows, columns, values, np.full(len(fewer), -np.inf),
                           np.zeros(len(fewer))))
    blocks += access_blocks(instance, cols)
    blocks += exclusion_blocks(instance, cols)
    return _stack(blocks)


def _chained_level_rows(levels, cols: Layout, offset: int):
    """Level rows chained: ``z_N - z_P - sum of y_s over N less P <= 0`` with P the row's
    parent (:class:`~siteopt.model.access_rows.LevelRows`): exact at integer y, with a few
    non-zeros per row instead of one per site of N."""
    n = len(levels.added)
    rows, columns, values = grouped_rows(list(levels.added), cols.y,
                                         cols.z + offset + np.arange(n))
    has_parent = np.flatnonzero(levels.parent >= 0)
    return (np.r_[rows, has_parent], np.r_[columns, cols.z + offset + levels.parent[has_parent]],
            np.r_[values, -np.ones(len(has_parent))], np.full(n, -np.inf), np.zeros(n))


def exclusion_blocks(instance: SelectionInstance, cols: Layout) -> list:
    """The no-good rows of :func:`~siteopt.model.exclusion_rows` as row blocks."""
    return [(np.zeros(len(plus) + len(minus), dtype=np.int64), cols.y + np.r_[plus, minus],
             np.r_[np.ones(len(plus)), -np.ones(len(minus))], np.array([-np.inf]),
             np.array([float(limit)])) for plus, minus, limit in exclusion_rows(instance)]


def _national_bid_blocks(instance: SelectionInstance, cols: Layout, country_of: np.ndarray):
    """Compact form: the rows of the national bids (see :mod:`siteopt.model`)."""
    n_sites, n_countries = cols.n_sites, cols.n_countries
    sites = np.arange(n_sites)
    y, u = cols.y + sites, cols.u + country_of
    bids = cols.u + np.arange(n_countries)
    mw, extra = instance.effective_mw, instance.extra_site_cost_eur
    ones, inf = np.ones(n_sites), np.full(n_countries, -np.inf)
    blocks = [
        # bid_open_c: b_c - sum y <= 0
        (np.r_[np.arange(n_countries), country_of], np.r_[bids, y],
         np.r_[np.ones(n_countries), -ones], inf, np.zeros(n_countries)),
        # bid_members_c: sum y - M b_c <= 0
        (np.r_[country_of, np.arange(n_countries)], np.r_[y, bids],
         np.r_[ones, np.full(n_countries, -float(instance.max_members))], inf,
         np.zeros(n_countries)),
        # bid_power_c: sum m y - P b_c <= 0 ; bid_min_power_c: m_min b_c - sum m y <= 0
        (np.r_[country_of, np.arange(n_countries)], np.r_[y, bids],
         np.r_[mw, np.full(n_countries, -instance.power_cap_mw)], inf, np.zeros(n_countries)),
        (np.r_[country_of, np.arange(n_countries)], np.r_[y, bids],
         np.r_[-mw, np.full(n_countries, instance.min_gigafactory_mw)], inf,
         np.zeros(n_countries)),
        # member_s: y_s - b_c(s) <= 0
        (np.r_[sites, sites], np.r_[y, u], np.r_[ones, -ones], np.full(n_sites, -np.inf),
         np.zeros(n_sites)),
    ]
    cliques = instance.conflict_cliques
    if cliques:  # link_k: sum of y over clique k - b_c <= 0
        sizes = np.array([len(clique) for clique in cliques])
        k = np.arange(len(cliques))
        members = np.concatenate(cliques)
        blocks.append((np.r_[np.repeat(k, sizes), k],
                       np.r_[cols.y + members, cols.u + country_of[members[np.cumsum(sizes) - 1]]],
                       np.r_[np.ones(len(members)), -np.ones(len(cliques))],
                       np.full(len(cliques), -np.inf), np.zeros(len(cliques))))
    # max_gigafactories, budget, total_power
    blocks.append((np.r_[np.zeros(n_countries, np.int64), np.ones(n_sites + n_countries, np.int64),
                         np.full(n_sites, 2)],
                   np.r_[bids, y, bids, y],
                   np.r_[np.ones(n_countries), instance.capex_eur + extra,
                         np.full(n_countries, -extra), mw],
                   np.full(3, -np.inf),
                   np.array([instance.max_gigafactories, instance.budget_row_eur,
                             instance.power_row_mw], dtype=float)))
    # home_l: h_l - b_c(l) <= 0
    n_letters = cols.n_letters
    letters = np.arange(n_letters)
    blocks.append((np.r_[letters, letters],
                   np.r_[cols.h + letters, cols.u + country_of[instance.letter_site]],
                   np.r_[np.ones(n_letters), -np.ones(n_letters)], np.full(n_letters, -np.inf),
                   np.zeros(n_letters)))
    return blocks


def _candidate_blocks(instance: SelectionInstance, cols: Layout, country_of: np.ndarray):
    """Candidate form: membership, portfolio, bids, spread and home rows."""
    candidates = instance.candidates
    n_sites = cols.n_sites
    blocks = []   # (rows, columns, values, lower, upper) with rows local to the block

    # site_s: y_s - sum of x_g containing s = 0
    member_g, member_s = candidates.site_pairs()
    blocks.append((np.r_[np.arange(n_sites), member_s],
                   np.r_[cols.y + np.arange(n_sites), member_g],
                   np.r_[np.ones(n_sites), -np.ones(len(member_g))], np.zeros(n_sites),
                   np.zeros(n_sites)))
    # max_gigafactories, budget (on x), total_power (on y)
    x = np.arange(cols.n_candidates)
    blocks.append((np.r_[np.zeros(len(x), np.int64), np.ones(len(x), np.int64),
                         np.full(n_sites, 2)],
                   np.r_[x, x, cols.y + np.arange(n_sites)],
                   np.r_[np.ones(len(x)), candidates.capex_eur, instance.effective_mw],
                   np.full(3, -np.inf),
                   np.array([instance.max_gigafactories, instance.budget_row_eur,
                             instance.power_row_mw], dtype=float)))
    # bids_c: sum of x_g with a member in c <= q
    g_of, c_of = candidates.country_pairs
    n_countries = cols.n_countries
    blocks.append((c_of, g_of, np.ones(len(g_of)), np.full(n_countries, -np.inf),
                   np.full(n_countries, float(instance.max_bids_per_country))))
    # spread_c: u_c - sum of y_s in c <= 0; spread_cap: sum u_c <= p
    site_rows = [np.flatnonzero(country_of == c) for c in range(n_countries)]
    rows, columns, values = grouped_rows(site_rows, cols.y, cols.u + np.arange(n_countries))
    rows = np.r_[rows, np.full(n_countries, n_countries)]
    columns = np.r_[columns, cols.u + np.arange(n_countries)]
    values = np.r_[values, np.ones(n_countries)]
    blocks.append((rows, columns, values, np.full(n_countries + 1, -np.inf),
                   np.r_[np.zeros(n_countries), float(instance.max_gigafactories)]))
    # home_l: h_l - sum of y_s in H_l <= 0
    homes = instance.letter_homes
    rows, columns, values = grouped_rows(list(homes), cols.y, cols.h + np.arange(len(homes)))
    blocks.append((rows, columns, values, np.full(len(homes), -np.inf), np.zeros(len(homes))))
    return blocks


def _stack(blocks):
    """Concatenate row blocks into CSR arrays (rows keep their order inside each block)."""
    offset = 0
    all_rows, all_columns, all_values, lower, upper = [], [], [], [], []
    for rows, columns, values, low, up in blocks:
        all_rows.append(np.asarray(rows, np.int64) + offset)
        all_columns.append(np.asarray(columns, np.int64))
        all_values.append(np.asarray(values, float))
        lower.append(np.asarray(low, float))
        upper.append(np.asarray(up, float))
        offset += len(low)
    rows = np.concatenate(all_rows)
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=offset)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    return (starts, np.concatenate(all_columns)[order], np.concatenate(all_values)[order],
            np.concatenate(lower), np.concatenate(upper))


def column_arrays(instance: SelectionInstance, reach: bool = True):
    """Objective costs and bounds of the columns of :func:`layout` (without extra columns)."""
    cols = layout(instance, reach)
    w = instance.weights
    per_group = instance.group_weights() if reach else np.zeros(0)
    per_letter = (np.full(cols.n_letters, w.letters / cols.n_letters) if cols.n_letters
                  else np.zeros(0))
    if instance.compact:
        per_site, per_bid = compact_objective(instance)
        costs = np.r_[per_site, per_group, per_bid, per_letter]
    else:
        costs = np.r_[gigafactory_objective(instance), site_objective(instance), per_group,
                      np.full(cols.n_countries, w.spread / instance.max_gigafactories),
                      per_letter]
    block = instance.access_block
    costs = np.r_[costs, block.cost(w), np.zeros(cols.n_copies)]
    lower = np.r_[np.zeros(cols.n_candidates), instance.required.astype(float),
                  np.zeros(cols.n_groups + cols.n_countries + cols.n_letters), block.lower,
                  np.zeros(cols.n_copies)]
    upper = np.r_[np.ones(cols.n_candidates), instance.eligible.astype(float),
                  np.ones(cols.n_groups + cols.n_countries + cols.n_letters), block.upper,
                  np.ones(cols.n_copies)]
    return costs, lower, upper


def load_highs(highs, instance: SelectionInstance, reach: bool = True, extra_columns=None):
    """Add the model's columns and rows to a ``highspy.Highs`` object and mark x integer.

    ``extra_columns`` is ``(costs, lower, upper)`` for columns after the model's own.
    """
    import highspy

    costs, lower, upper = column_arrays(instance, reach)
    if extra_columns is not None:
        costs, lower, upper = (np.r_[a, b] for a, b in zip((costs, lower, upper), extra_columns))
    highs.addCols(len(costs), costs, lower, upper, 0, np.empty(0, np.int32),
                  np.empty(0, np.int32), np.empty(0))
    starts, indices, values, row_lower, row_upper = build_rows(instance, reach)
    highs.addRows(len(row_upper), row_lower, row_upper, len(indices), starts.astype(np.int32),
                  indices.astype(np.int32), values)
    if math.isfinite(instance.objective_floor):   # floor: the objective (theta's too) >= it
        used = np.flatnonzero(costs)
        highs.addRow(instance.objective_floor, math.inf, len(used), used.astype(np.int32),
                     costs[used])
    integer = integer_columns(instance, reach)
    if len(integer):
        highs.changeColsIntegrality(len(integer), integer,
                                    np.full(len(integer), highspy.HighsVarType.kInteger))
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)


def integer_columns(instance: SelectionInstance, reach: bool = True) -> np.ndarray:
    """The integer columns: x, or y and the bids b in the compact form."""
    cols = layout(instance, reach)
    if instance.compact:
        return np.r_[cols.y + np.arange(cols.n_sites),
                     cols.u + np.arange(cols.n_countries)].astype(np.int32)
    return np.arange(cols.n_candidates, dtype=np.int32)


def start_columns(instance: SelectionInstance, gigafactories, reach: bool = True) -> np.ndarray:
    """The integer columns at 1 in a portfolio (HiGHS completes the rest): its candidates,
    or in the compact form its sites and member states (columns of ``layout(instance,
    reach)``)."""
    cols = layout(instance, reach)
    if instance.compact:
        sites = [s for g in gigafactories for s in g]
        states = sorted({instance.countries.index(instance.site_country[s]) for s in sites})
        return np.r_[cols.y + np.asarray(sites, dtype=np.int64),
                     cols.u + np.asarray(states, dtype=np.int64)].astype(np.int32)
    index_of = instance.candidates.index_of
    return np.array([index_of[tuple(sorted(g))] for g in gigafactories], dtype=np.int32)


def solve_direct(instance: SelectionInstance, settings: Solver,
                 incumbent=None) -> SolverOutcome:
    """Build the model in HiGHS from arrays and solve it.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        ``time_limit_s`` (s) and ``mip_gap``; the solver is always HiGHS.
    incumbent : portfolio, optional
        A feasible portfolio (gigafactories as site indices) HiGHS starts from; by default
        the greedy one (:func:`~siteopt.solvers.benders.greedy_portfolio`), so that a run
        stopped early (Ctrl-C) has a portfolio to report.
    """
    instance.require_level_rows("direct")
    from siteopt.solvers.benders import greedy_portfolio

    began = time.perf_counter()
    highs = new_highs(settings)
    highs.setOptionValue("presolve", presolve_choice(instance))
    load_highs(highs, instance)
    if incumbent is None:
        incumbent = greedy_portfolio(instance)
    if incumbent is not None:
        columns = start_columns(instance, incumbent)
        highs.setSolution(len(columns), columns, np.ones(len(columns)))
    run_highs(highs)
    status, bound = highs_status(highs, sense=1.0, time_limit_s=settings.time_limit_s)
    seconds = time.perf_counter() - began
    if status in (Status.INFEASIBLE, Status.ERROR):
        return no_solution(status, len(instance.site_ids), seconds, "highs")
    if highs.getInfo().primal_solution_status != 2:   # interrupted before HiGHS took a start
        if incumbent is None:
            raise KeyboardInterrupt   # nothing to report: stop as any interrupted command
        return finish(instance, status, incumbent,
                      instance.objective(instance.evaluate(incumbent)), bound, settings,
                      seconds, "highs")
    gigafactories = portfolio(instance, np.asarray(highs.getSolution().col_value))
    objective = float(highs.getInfo().objective_function_value)
    return finish(instance, status, gigafactories, objective, bound, settings, seconds, "highs")
