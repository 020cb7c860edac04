"""A 0/1 incidence of rows (demand groups) and columns (sites or candidates), stored both ways.

Each row is a set of columns: a demand group and the sites (or candidate gigafactories) that
cover it. The products the solvers and the evaluation need are ``np.bincount`` calls over
chunks of pairs (SciPy, 0.18 s to import, is used only to order more than
:data:`CHUNK_PAIRS` pairs by column), and those at a
sparse point, such as a portfolio of five gigafactories among 1,000 sites, only read the
chosen columns' rows: at 1,000 sites x 1,000,000 points (6 million pairs) a Benders cut costs
a few milliseconds instead of 80.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Pairs handled at once where a pass over all of them would otherwise need a copy of them
#: all (16 million: about 200 MB of temporary arrays).
CHUNK_PAIRS = 16_000_000


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


def chunks(lengths: np.ndarray):
    """``(first, end)`` ranges of consecutive items whose ``lengths`` add up to at most
    :data:`CHUNK_PAIRS` (or one item, if longer), covering all items in order."""
    ends = np.cumsum(lengths)
    first = 0
    while first < len(ends):
        before = int(ends[first] - lengths[first])
        end = max(int(np.searchsorted(ends, before + CHUNK_PAIRS, side="right")), first + 1)
        yield first, end
        first = end


class FlatSets(Sequence):
    """Sets of integers stored one after the other in one read-only array: a sequence of its
    views, so a sequence of sets that an :class:`Incidence` takes over without a copy (the
    covering sets of 5,000 sites x 500,000 points: 249 million site numbers, 1 GB).

    Parameters
    ----------
    flat : ndarray
        Every set's members, set after set.
    lengths : ndarray of int
        Members per set.
    """

    def __init__(self, flat: np.ndarray, lengths: np.ndarray):
        self.flat = flat
        self.flat.flags.writeable = False
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        start = int(self.starts[index])
        return self.flat[start:start + int(self.lengths[index])]

    def __iter__(self):
        for start, length in zip(self.starts.tolist(), self.lengths.tolist()):
            yield self.flat[start:start + length]


class Incidence:
    """The rows x columns 0/1 matrix of the given sets, as (row, column) pairs in both orders.

    Parameters
    ----------
    sets : sequence of int arrays
        The columns of each row.
    n_columns : int
    """

    def __init__(self, sets, n_columns: int):
        # column and row numbers as 32-bit integers, and no row number per pair in row order
        # (its start per row is enough): 249 million pairs at 5,000 sites x 500,000 points
        # take 2 GB; positions among the pairs stay 64-bit
        if isinstance(sets, FlatSets) and sets.flat.dtype == np.int32:   # no copy
            self.lengths, self.columns = sets.lengths, sets.flat
        else:
            self.lengths = np.array([len(members) for members in sets], dtype=np.int64)
            self.columns = (np.concatenate(sets).astype(np.int32, copy=False) if len(sets)
                            else np.empty(0, dtype=np.int32))
        self.row_starts = np.cumsum(self.lengths) - self.lengths
        self.column_lengths = np.bincount(self.columns, minlength=n_columns)
        self.column_starts = np.cumsum(self.column_lengths) - self.column_lengths
        self.shape = (len(self.lengths), n_columns)
        self.rows_by_column = self._rows_by_column()

    def _rows_by_column(self) -> np.ndarray:
        """The row of each pair, pairs ordered by column then row.

        Up to :data:`CHUNK_PAIRS` pairs by NumPy's stable sort (a radix sort on 16-bit
        column numbers, no SciPy import on the path of small instances); beyond, by SciPy's
        sparse transposition, one pass without a sort and without a 64-bit copy of the pairs
        (20 million pairs: 0.29 s against 2 s for the sort; 249 million at 5,000 x 500,000).
        """
        n_rows, n_columns = self.shape
        if len(self.columns) <= CHUNK_PAIRS:
            rows = np.repeat(np.arange(n_rows, dtype=np.int32), self.lengths)
            keys = self.columns.astype(np.uint16) if n_columns <= 2**16 else self.columns
            return rows[np.argsort(keys, kind="stable")]
        from scipy.sparse import csr_matrix

        by_row = csr_matrix((np.ones(len(self.columns), dtype=bool), self.columns,
                             np.r_[0, np.cumsum(self.lengths)]), shape=self.shape)
        return by_row.tocsc().indices.astype(np.int32, copy=False)

    def _pairs_of_rows(self, first_row: int, end_row: int) -> slice:
        """The pairs of rows ``first_row`` to ``end_row - 1``, in row order."""
        return slice(int(self.row_starts[first_row]),
                     int(self.row_starts[end_row - 1] + self.lengths[end_row - 1]))

    def rows_of(self, columns: np.ndarray) -> np.ndarray:
        """The rows of each of ``columns``, one after the other (with repeats)."""
        return self.rows_by_column[concatenated_ranges(self.column_starts[columns],
                                                       self.column_lengths[columns])]

    def reach(self, point: np.ndarray) -> np.ndarray:
        """Per row, the sum of ``point`` over its columns (reads only its non-zero columns, a
        chunk of them at a time)."""
        used = np.flatnonzero(point)
        total = np.zeros(self.shape[0])
        for first, end in chunks(self.column_lengths[used]):
            columns = used[first:end]
            total += np.bincount(self.rows_of(columns),
                                 weights=np.repeat(point[columns], self.column_lengths[columns]),
                                 minlength=self.shape[0])
        return total

    def per_column(self, per_row: np.ndarray) -> np.ndarray:
        """Per column, the sum of ``per_row`` over its rows (a chunk of rows at a time)."""
        total = np.zeros(self.shape[1])
        for first_row, end_row in chunks(self.lengths):
            total += np.bincount(self.columns[self._pairs_of_rows(first_row, end_row)],
                                 weights=np.repeat(per_row[first_row:end_row],
                                                   self.lengths[first_row:end_row]),
                                 minlength=self.shape[1])
        return total

    def per_given_column(self, columns: np.ndarray, per_row: np.ndarray) -> np.ndarray:
        """Per column of ``columns``, the sum of ``per_row`` over its rows; reads only those
        columns' pairs, a chunk of them at a time."""
        total = np.zeros(len(columns))
        for first, end in chunks(self.column_lengths[columns]):
            some = columns[first:end]
            owner = np.repeat(np.arange(end - first), self.column_lengths[some])
            total[first:end] = np.bincount(owner, weights=per_row[self.rows_of(some)],
                                           minlength=end - first)
        return total

    def per_column_of_rows(self, rows: np.ndarray,
                           values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per column, how many of ``rows`` it is in and the sum of their ``values`` (one per
        row of ``rows``); reads only those rows, a chunk of them at a time.

        Returns
        -------
        count : ndarray of int64
        total : ndarray of float
        """
        count = np.zeros(self.shape[1], dtype=np.int64)
        total = np.zeros(self.shape[1])
        for first, end in chunks(self.lengths[rows]):
            some = rows[first:end]
            columns = self.columns[concatenated_ranges(self.row_starts[some], self.lengths[some])]
            count += np.bincount(columns, minlength=self.shape[1])
            total += np.bincount(columns, weights=np.repeat(values[first:end], self.lengths[some]),
                                 minlength=self.shape[1])
        return count, total

    def touched(self, used: np.ndarray) -> np.ndarray:
        """Per row of ``used`` (a boolean mask over the columns, one per portfolio) and row of
        the incidence: whether one of its columns is used."""
        touched = np.zeros((len(used), self.shape[0]), dtype=bool)
        portfolio, column = np.nonzero(used)
        touched[np.repeat(portfolio, self.column_lengths[column]), self.rows_of(column)] = True
        return touched
