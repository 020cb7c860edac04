"""Compiled loops over the pairs of a large :class:`~siteopt.incidence.Incidence` (Numba).

Each loop reads the pairs once, in the same order as the NumPy code it replaces (so the sums
come out bit for bit the same), with no temporary array per pair: at 5,000 sites x 500,000
points (249 million pairs) the sums a Benders cut needs take 0.1 s instead of 1.5 s, and the
by-column order of the pairs takes one pass instead of a sort.

Numba compiles each loop on its first call and keeps the machine code in ``__pycache__`` (or
``NUMBA_CACHE_DIR``), so later processes load it in a fraction of a second. Importing this
module imports Numba (0.4 s): :mod:`siteopt.incidence` does so only for large incidences.
"""

from __future__ import annotations

import numba
import numpy as np

_compiled = numba.njit(cache=True, nogil=True)


@_compiled
def sums_over_rows(row_starts, lengths, columns, rows, values, n_columns):
    """Per column, how many of ``rows`` hold it and the sum of their ``values``.

    Parameters
    ----------
    row_starts, lengths : int64 arrays
        First pair and number of pairs of each row.
    columns : int32 array
        The column of each pair, in row order.
    rows : int array
        The rows to read, in this order.
    values : float array
        One per entry of ``rows``.
    n_columns : int

    Returns
    -------
    count : int64 array
    total : float array
    """
    count = np.zeros(n_columns, np.int64)
    total = np.zeros(n_columns)
    for k in range(rows.shape[0]):
        row = rows[k]
        value = values[k]
        for pair in range(row_starts[row], row_starts[row] + lengths[row]):
            column = columns[pair]
            count[column] += 1
            total[column] += value
    return count, total


@_compiled
def sums_over_columns(column_starts, column_lengths, rows_by_column, columns, per_row):
    """Per column of ``columns``, the sum of ``per_row`` over its rows.

    Parameters
    ----------
    column_starts, column_lengths : int64 arrays
        First pair and number of pairs of each column in the by-column order.
    rows_by_column : int32 array
        The row of each pair, pairs ordered by column then row.
    columns : int array
    per_row : float array
    """
    total = np.zeros(columns.shape[0])
    for k in range(columns.shape[0]):
        column = columns[k]
        for pair in range(column_starts[column], column_starts[column] + column_lengths[column]):
            total[k] += per_row[rows_by_column[pair]]
    return total


@_compiled
def spread_over_rows(column_starts, column_lengths, rows_by_column, columns, weights, n_rows):
    """Per row, the sum of ``weights`` (one per entry of ``columns``) over its columns among
    ``columns``."""
    total = np.zeros(n_rows)
    for k in range(columns.shape[0]):
        column = columns[k]
        weight = weights[k]
        for pair in range(column_starts[column], column_starts[column] + column_lengths[column]):
            total[rows_by_column[pair]] += weight
    return total


@_compiled
def order_by_column(row_starts, lengths, columns, column_starts):
    """The row of each pair, pairs ordered by column then row (a counting sort)."""
    rows_by_column = np.empty(columns.shape[0], np.int32)
    next_slot = column_starts.copy()
    for row in range(lengths.shape[0]):
        for pair in range(row_starts[row], row_starts[row] + lengths[row]):
            column = columns[pair]
            rows_by_column[next_slot[column]] = row
            next_slot[column] += 1
    return rows_by_column
