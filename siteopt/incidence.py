"""A 0/1 incidence of rows (demand groups) and columns (sites or candidates), stored both ways.

Each row is a set of columns: a demand group and the sites (or candidate gigafactories) that
cover it. The products the solvers and the evaluation need are single ``np.bincount`` calls
(no SciPy import on the solve path: 0.18 s of a 2 s command at 500 sites), and those at a
sparse point, such as a portfolio of five gigafactories among 1,000 sites, only read the
chosen columns' rows: at 1,000 sites x 1,000,000 points (6 million pairs) a Benders cut costs
a few milliseconds instead of 80.
"""

from __future__ import annotations

import numpy as np


def concatenated_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``np.r_[starts[0]:starts[0] + lengths[0], starts[1]:...]`` without a Python loop."""
    starts, lengths = np.asarray(starts, np.int64), np.asarray(lengths, np.int64)
    first_of_range = np.cumsum(lengths) - lengths
    return np.repeat(starts - first_of_range, lengths) + np.arange(lengths.sum())


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting: NumPy 2.3+ hashes there, 60x slower on millions of
    distinct integers (64 s against 1 s for 37 million)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


class Incidence:
    """The rows x columns 0/1 matrix of the given sets, as (row, column) pairs in both orders.

    Parameters
    ----------
    sets : sequence of int arrays
        The columns of each row.
    n_columns : int
    """

    def __init__(self, sets, n_columns: int):
        # row and column numbers as 32-bit integers: half the memory of the pairs (249 million
        # of them at 5,000 sites x 500,000 points); positions among the pairs stay 64-bit
        self.lengths = np.array([len(members) for members in sets], dtype=np.int64)
        self.columns = (np.concatenate(sets).astype(np.int32) if len(sets)
                        else np.empty(0, dtype=np.int32))
        self.rows = np.repeat(np.arange(len(self.lengths), dtype=np.int32), self.lengths)
        self.row_starts = np.cumsum(self.lengths) - self.lengths
        # a stable sort by column; as 16-bit keys NumPy sorts by radix (ten times faster)
        keys = self.columns.astype(np.uint16) if n_columns <= 2**16 else self.columns
        self.rows_by_column = self.rows[np.argsort(keys, kind="stable")]
        self.column_lengths = np.bincount(self.columns, minlength=n_columns)
        self.column_starts = np.cumsum(self.column_lengths) - self.column_lengths
        self.shape = (len(self.lengths), n_columns)

    def rows_of(self, columns: np.ndarray) -> np.ndarray:
        """The rows of each of ``columns``, one after the other (with repeats)."""
        return self.rows_by_column[concatenated_ranges(self.column_starts[columns],
                                                       self.column_lengths[columns])]

    def reach(self, point: np.ndarray) -> np.ndarray:
        """Per row, the sum of ``point`` over its columns (reads only its non-zero columns)."""
        used = np.flatnonzero(point)
        return np.bincount(self.rows_of(used),
                           weights=np.repeat(point[used], self.column_lengths[used]),
                           minlength=self.shape[0])

    def per_column(self, per_row: np.ndarray) -> np.ndarray:
        """Per column, the sum of ``per_row`` over its rows."""
        return np.bincount(self.columns, weights=per_row[self.rows], minlength=self.shape[1])

    def per_column_of_rows(self, rows: np.ndarray,
                           values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per column, how many of ``rows`` it is in and the sum of their ``values`` (one per
        row of ``rows``); reads only those rows.

        Returns
        -------
        count : ndarray of int64
        total : ndarray of float
        """
        pairs = concatenated_ranges(self.row_starts[rows], self.lengths[rows])
        columns = self.columns[pairs]
        return (np.bincount(columns, minlength=self.shape[1]),
                np.bincount(columns, weights=np.repeat(values, self.lengths[rows]),
                            minlength=self.shape[1]))

    def touched(self, used: np.ndarray) -> np.ndarray:
        """Per row of ``used`` (a boolean mask over the columns, one per portfolio) and row of
        the incidence: whether one of its columns is used."""
        touched = np.zeros((len(used), self.shape[0]), dtype=bool)
        portfolio, column = np.nonzero(used)
        touched[np.repeat(portfolio, self.column_lengths[column]), self.rows_of(column)] = True
        return touched
