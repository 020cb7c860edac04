"""A 0/1 incidence of rows (demand groups) and columns (sites or candidates), stored both ways.

Each row is a set of columns: a demand group and the sites (or candidate gigafactories) that
cover it. The products the solvers and the evaluation need are ``np.bincount`` calls over
the pairs, and beyond :data:`COMPILED_FROM_PAIRS` pairs compiled loops
(:mod:`siteopt.compiled`) that need no temporary array per pair. Those at a sparse point, such
as a portfolio of five gigafactories among 1,000 sites, only read the chosen columns' rows: at
1,000 sites x 1,000,000 points (6 million pairs) a Benders cut costs a few milliseconds
instead of 80.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from siteopt.parallel import cores, in_parts

#: Pairs handled at once where a pass over all of them would otherwise need a copy of them
#: all (16 million: about 200 MB of temporary arrays).
CHUNK_PAIRS = 16_000_000
#: Beyond this many pairs an incidence's products are compiled loops (:mod:`siteopt.compiled`:
#: 10-17x faster, no temporary arrays); up to it, NumPy (no Numba import, 0.4 s, on the path
#: of small instances such as the shipped data).
COMPILED_FROM_PAIRS = 16_000_000


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


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_index=True, return_inverse=True)[1:]`` for a 2-D
    ``uint8`` array, the same indices in the same order, by a stable sort over its bytes
    taken eight at a time as big-endian words (their order is the bytes' order). NumPy sorts
    the rows as records: 14 ms against 1 ms for 5,376 rows of 50 bytes.

    Returns
    -------
    first : ndarray of int
        The first row of each distinct row, distinct rows in ascending byte order.
    inverse : ndarray of int
        Per row, its distinct row.
    """
    n, width = rows.shape
    padded = np.zeros((n, -(-width // 8) * 8), np.uint8)
    padded[:, :width] = rows
    words = padded.view(">u8").astype(np.uint64)
    order = np.lexsort(words.T[::-1]) if n else np.zeros(0, np.int64)
    ordered = words[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)] if n else np.zeros(0, bool)
    inverse = np.empty(n, np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


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
        self.column_lengths = np.zeros(n_columns, dtype=np.int64)
        for first in range(0, len(self.columns), CHUNK_PAIRS):   # bincount copies to 64 bits
            self.column_lengths += np.bincount(self.columns[first:first + CHUNK_PAIRS],
                                               minlength=n_columns)
        self.column_starts = np.cumsum(self.column_lengths) - self.column_lengths
        self.shape = (len(self.lengths), n_columns)
        self.compiled = len(self.columns) > COMPILED_FROM_PAIRS
        self.rows_by_column = self._rows_by_column()
        self._parts = None   # see _row_parts

    def _rows_by_column(self) -> np.ndarray:
        """The row of each pair, pairs ordered by column then row: NumPy's stable sort (a
        radix sort on 16-bit column numbers), or for a large incidence one compiled pass
        (249 million pairs at 5,000 x 500,000: 1 s)."""
        if self.compiled:
            from siteopt import compiled

            return compiled.order_by_column(self.row_starts, self.lengths, self.columns,
                                            self.column_starts)
        rows = np.repeat(np.arange(self.shape[0], dtype=np.int32), self.lengths)
        keys = self.columns.astype(np.uint16) if self.shape[1] <= 2**16 else self.columns
        return rows[np.argsort(keys, kind="stable")]

    def rows_of(self, columns: np.ndarray) -> np.ndarray:
        """The rows of each of ``columns``, one after the other (with repeats)."""
        return self.rows_by_column[concatenated_ranges(self.column_starts[columns],
                                                       self.column_lengths[columns])]

    def reach(self, point: np.ndarray) -> np.ndarray:
        """Per row, the sum of ``point`` over its columns (reads only its non-zero columns)."""
        used = np.flatnonzero(point)
        weights = np.asarray(point, float)[used]
        if self.compiled:
            from siteopt import compiled

            return compiled.spread_over_rows(self.column_starts, self.column_lengths,
                                             self.rows_by_column, used, weights, self.shape[0])
        return np.bincount(self.rows_of(used), weights=np.repeat(weights,
                                                                 self.column_lengths[used]),
                           minlength=self.shape[0])

    def per_column(self, per_row: np.ndarray) -> np.ndarray:
        """Per column, the sum of ``per_row`` over its rows."""
        per_row = np.asarray(per_row, float)
        if self.compiled:
            return self.per_column_of_rows(np.arange(self.shape[0]), per_row)[1]
        return np.bincount(self.columns, weights=np.repeat(per_row, self.lengths),
                           minlength=self.shape[1])

    def per_given_column(self, columns: np.ndarray, per_row: np.ndarray) -> np.ndarray:
        """Per column of ``columns``, the sum of ``per_row`` over its rows; reads only those
        columns' pairs."""
        columns, per_row = np.asarray(columns, np.int64), np.asarray(per_row, float)
        if self.compiled:
            from siteopt import compiled

            return compiled.sums_over_columns(self.column_starts, self.column_lengths,
                                              self.rows_by_column, columns, per_row)
        owner = np.repeat(np.arange(len(columns)), self.column_lengths[columns])
        return np.bincount(owner, weights=per_row[self.rows_of(columns)],
                           minlength=len(columns))

    def per_column_of_rows(self, rows: np.ndarray,
                           values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per column, how many of ``rows`` it is in and the sum of their ``values`` (one per
        row of ``rows``); reads only those rows.

        Returns
        -------
        count : ndarray of int64
        total : ndarray of float
        """
        rows, values = np.asarray(rows, np.int64), np.asarray(values, float)
        if self.compiled:
            from siteopt import compiled

            parts = self._row_parts()
            sums = in_parts(lambda k: compiled.sums_over_rows(
                parts[k], parts[k + 1], self.columns, rows, values, self.shape[1]),
                list(range(len(parts) - 1)))
            # the parts hold disjoint columns: adding their zeros elsewhere changes no bit
            return sum(count for count, _ in sums), sum(total for _, total in sums)
        columns = self.columns[concatenated_ranges(self.row_starts[rows], self.lengths[rows])]
        return (np.bincount(columns, minlength=self.shape[1]),
                np.bincount(columns, weights=np.repeat(values, self.lengths[rows]),
                            minlength=self.shape[1]))

    def per_block_and_column(self, rows: np.ndarray, values: np.ndarray,
                             blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per (block, column) pair, the sum of ``values`` over those of ``rows`` in the block
        and the column (``values`` and ``blocks`` one per row of ``rows``); reads only those
        rows.

        Returns
        -------
        block, column, total : ndarray
            The pairs with at least one row, ordered by block then column.
        """
        rows = np.asarray(rows, np.int64)
        lengths = self.lengths[rows]
        columns = self.columns[concatenated_ranges(self.row_starts[rows], lengths)]
        key = np.repeat(np.asarray(blocks, np.int64) * self.shape[1], lengths) + columns
        keys, inverse = np.unique(key, return_inverse=True)
        total = np.bincount(inverse, weights=np.repeat(np.asarray(values, float), lengths),
                            minlength=len(keys))
        return keys // self.shape[1], keys % self.shape[1], total

    def _row_parts(self) -> np.ndarray:
        """Each row's pairs cut into one part per core by column, parts of about equal pairs
        (:func:`siteopt.compiled.row_parts`): a sum over rows runs on every core, each part
        adding its own columns in row order, so the bits do not depend on the cores."""
        if self._parts is None:
            from siteopt import compiled

            ends = np.cumsum(self.column_lengths)
            parts = cores()
            bounds = np.searchsorted(ends, ends[-1] * np.arange(1, parts) / parts, side="right")
            self._parts = compiled.row_parts(self.row_starts, self.lengths, self.columns,
                                             np.unique(bounds).astype(np.int64))
        return self._parts

    def touched(self, used: np.ndarray) -> np.ndarray:
        """Per row of ``used`` (a boolean mask over the columns, one per portfolio) and row of
        the incidence: whether one of its columns is used."""
        touched = np.zeros((len(used), self.shape[0]), dtype=bool)
        portfolio, column = np.nonzero(used)
        touched[np.repeat(portfolio, self.column_lengths[column]), self.rows_of(column)] = True
        return touched
