"""The validated demand table, cached per input hash, so unchanged data is not validated again.

Reading and checking ``demand.csv`` is most of the time of loading a large data directory (at
1,000,000 points about 5 of 6 seconds: parsing, identifier, range and in-country checks). Once
a data directory has passed every check, its typed demand table is stored under a key made of
the SHA-256 of every input file, siteopt's version and the data schema; the next load of the
same files reads it back instead. Any change to any file changes the key, so changed data is
always validated again.

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
import pandas as pd

#: Bump when the cached layout changes.
LAYOUT = 1


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/siteopt``, by default ``~/.cache/siteopt``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "siteopt"


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
    return cache_dir() / f"demand-{key}.npz"


def read_demand(key: str) -> pd.DataFrame | None:
    """The validated demand table stored under ``key``, or None (not there, or damaged)."""
    path = _path(key)
    if not enabled() or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            columns = json.loads(str(stored["columns"]))
            frame = pd.DataFrame({name: stored[f"column_{i}"]
                                  for i, (name, _) in enumerate(columns)})
            return frame.astype(dict(columns))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_demand(key: str, frame: pd.DataFrame) -> None:
    """Store a validated demand table under ``key`` (all-or-nothing; a failure to write, say
    a read-only home, only means no cache)."""
    from siteopt.atomic import write_file

    if frame.isna().any().any():   # missing values: not cached (a text column would not
        return                     # come back the same)
    columns = [(name, str(frame[name].dtype)) for name in frame.columns]
    arrays = {f"column_{i}": (frame[name].to_numpy(dtype=str) if dtype in ("str", "object")
                              else frame[name].to_numpy())
              for i, (name, dtype) in enumerate(columns)}
    buffer = io.BytesIO()
    np.savez(buffer, columns=np.array(json.dumps(columns)), **arrays)
    try:
        write_file(_path(key), buffer.getvalue())
    except OSError:
        pass
