"""A validated table as named NumPy columns; the pandas DataFrame only when someone asks.

The solve path (model, coverage, solvers, consolidation, the JSON result) reads columns as
arrays, so with a warm validation cache (:mod:`siteopt.data.cache`) ``siteopt solve --format
json`` never imports pandas. Reports, maps and the analyses read :attr:`Table.frame`, built once
from the same columns with the dtypes the checks gave them.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping

import numpy as np

#: pandas dtype names of text columns.
TEXT_DTYPES = ("str", "object", "string")


class Table:
    """Equal-length columns, each a NumPy array, in the order of the file.

    Parameters
    ----------
    columns : mapping of str to array
        Column name -> values. Text columns are object arrays of ``str`` with ``None`` where a
        value is missing; the others are numeric or boolean arrays (NaN where missing).
    dtypes : mapping of str to str, optional
        Column name -> the pandas dtype of :attr:`frame` (``"str"``, ``"float64"``, ...); by
        default an object array is ``"str"`` and any other array has its own dtype.
    """

    def __init__(self, columns: Mapping[str, np.ndarray],
                 dtypes: Mapping[str, str] | None = None):
        self._columns = dict(columns)
        dtypes = dtypes or {}
        self.dtypes = {name: str(dtypes[name]) if name in dtypes else _dtype(values)
                       for name, values in self._columns.items()}
        lengths = {len(values) for values in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self.rows = lengths.pop() if lengths else 0

    @classmethod
    def from_frame(cls, frame) -> Table:
        """The columns of a DataFrame (a geometry column is left out: it is rebuilt from
        ``lat`` and ``lon``)."""
        geometry = getattr(frame, "_geometry_column_name", None)
        names = [name for name in frame.columns if name != geometry]
        dtypes = {name: str(frame[name].dtype) for name in names}
        return cls({name: _array(frame[name], dtypes[name]) for name in names}, dtypes)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __len__(self) -> int:
        return self.rows

    @property
    def names(self) -> list[str]:
        """Column names, in order."""
        return list(self._columns)

    def is_text(self, name: str) -> bool:
        """Whether a column holds text."""
        return self.dtypes[name] in TEXT_DTYPES

    def with_columns(self, columns: Mapping[str, np.ndarray]) -> Table:
        """A new table with ``columns`` added (dtypes as in :class:`Table`) or replaced (their
        dtypes kept)."""
        kept = {name: dtype for name, dtype in self.dtypes.items() if name in self._columns}
        return Table({**self._columns, **columns}, kept)

    def fingerprint(self) -> str:
        """SHA-256 of the table's content (names, dtypes and values, in order): equal for the
        same data however it was written (CSV or Excel, decimal commas or points)."""
        digest = hashlib.sha256()
        for name, values in self._columns.items():
            digest.update(f"{name}\x1e{self.dtypes[name]}\x1e".encode())
            if values.dtype == object:
                digest.update("\x1f".join("\x00" if v is None else str(v)
                                          for v in values).encode())
            else:
                digest.update(np.ascontiguousarray(values).tobytes())
            digest.update(b"\x1d")
        return digest.hexdigest()

    def __getstate__(self):
        return {"_columns": self._columns, "dtypes": self.dtypes, "rows": self.rows}

    @functools.cached_property
    def frame(self):
        """The table as a pandas DataFrame with its dtypes (built once; do not modify it)."""
        import pandas as pd

        return pd.DataFrame({name: pd.Series(values, dtype=self.dtypes[name])
                             for name, values in self._columns.items()},
                            index=pd.RangeIndex(self.rows))


def _dtype(values: np.ndarray) -> str:
    return "str" if values.dtype == object else str(values.dtype)


def _array(series, dtype: str) -> np.ndarray:
    if dtype in TEXT_DTYPES:
        return series.to_numpy(dtype=object, na_value=None)
    return series.to_numpy()
