"""The validated tables, cached per input hash, so unchanged data is not read or checked again.

Reading and checking the files is most of the time of loading a data directory (at 1,000,000
points about 5 of 6 seconds: parsing, identifier, range and in-country checks), and the checks
need pandas, geopandas and shapely, which take longer to import than the shipped data take to
solve. Once a data directory has passed every check, its typed tables (every file's columns;
for ``countries.geojson`` its properties, the shapes are read from the file when a map needs
them) are stored under a key made of the SHA-256 of every input file, siteopt's version and the
data schema; the next load of the same files reads them back instead, with NumPy alone. Any
change to any file changes the key, so changed data is always validated again.

The cache lives in ``$XDG_CACHE_HOME/siteopt`` (default ``~/.cache/siteopt``) as NumPy ``.npz``
files read with ``allow_pickle=False``: a cache file holds numbers and text only and can never
run code; a damaged one is ignored (and rewritten). ``--no-cache`` (or the environment variable
``SITEOPT_NO_CACHE=1``) reads and checks every file again (and stores the fresh result);
``siteopt validate`` always does.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np

from siteopt.data.table import Table

#: Bump when the cached layout changes, or how a file is read (a cached table read by older
#: rules must not be reused: layout 3 reads numbers by each file's own decimal mark, layout 4
#: reads every number correctly rounded).
LAYOUT = 4


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/siteopt``, by default ``~/.cache/siteopt`` (also where
    ``XDG_CACHE_HOME`` is a relative path, which the XDG specification says to ignore: the
    cache would follow the working directory)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "siteopt"


def enabled() -> bool:
    """Whether a cached table may be read: not when ``SITEOPT_NO_CACHE`` is 1, true or yes
    (``--no-cache``)."""
    return os.environ.get("SITEOPT_NO_CACHE", "").strip().lower() not in ("1", "true", "yes")


def cache_key(hashes: dict[str, str], schema_text: str) -> str:
    """The key of a data directory: its files' SHA-256, siteopt's version and the schema."""
    from siteopt import __version__

    text = json.dumps({"layout": LAYOUT, "version": __version__, "schema": schema_text,
                       "files": dict(sorted(hashes.items()))}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / f"tables-{key}.npz"


def read_tables(key: str) -> dict[str, Table] | None:
    """The validated tables stored under ``key`` (file name -> table), or None (not there,
    damaged, or the cache is off)."""
    path = _path(key)
    if not enabled() or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            layout = json.loads(str(stored["layout"]))
            return {name: _read_table(stored, name, columns) for name, columns in layout.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _read_table(stored, name: str, columns: list) -> Table:
    values, dtypes = {}, {}
    for i, (column, dtype, text) in enumerate(columns):
        array = stored[f"{name}.{i}"]
        if text:
            array = array.astype(object)
            if f"{name}.{i}.missing" in stored:
                array[stored[f"{name}.{i}.missing"]] = None
        values[column], dtypes[column] = array, dtype
    return Table(values, dtypes)


def write_tables(key: str, tables: dict[str, Table]) -> None:
    """Store validated tables (file name -> table) under ``key`` (all-or-nothing; a failure
    to write, say a read-only home, only means no cache)."""
    from siteopt.atomic import write_file

    layout, arrays = {}, {}
    for name, table in tables.items():
        layout[name] = [(column, table.dtypes[column], table.is_text(column))
                        for column in table.names]
        for i, column in enumerate(table.names):
            values = table[column]
            if table.is_text(column):
                missing = np.equal(values, None)
                if missing.any():
                    arrays[f"{name}.{i}.missing"] = missing
                values = np.where(missing, "", values).astype(str)
            arrays[f"{name}.{i}"] = values
    buffer = io.BytesIO()
    np.savez(buffer, layout=np.array(json.dumps(layout)), **arrays)
    try:
        write_file(_path(key), buffer.getvalue())
    except OSError:
        pass
