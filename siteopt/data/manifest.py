"""Which data set a run used: the shipped data set's manifest (name, dated version, SHA-256 of
each file) and how a loaded data set compares with it.

``siteopt/datasets/eu2026/manifest.json`` is written by ``make data`` (``data/build_data.py``)
and checked by the tests. Besides the SHA-256 of each file it holds the fingerprint of each
validated table, so that the same data in another form (an Excel workbook, a CSV file saved
with decimal commas) is recognised; every output names the data set it was computed from
(:func:`identify`).
"""

from __future__ import annotations

import functools
import json

from siteopt.data.schema import FILES
from siteopt.data.workbook import SHEETS, WORKBOOK_SUFFIXES
from siteopt.errors import listed
from siteopt.paths import SHIPPED_DATA_SET, display_path, shipped_data_dir

#: The manifest's file name in a data set's directory.
MANIFEST = "manifest.json"


@functools.cache
def shipped_manifest() -> dict:
    """The shipped data set's manifest: ``name``, ``version`` (the date it was last changed,
    ``YYYY-MM-DD``), ``title``, ``files`` (file name -> SHA-256 of its bytes) and ``tables``
    (file name -> :meth:`~siteopt.data.table.Table.fingerprint` of its validated table)."""
    return json.loads((shipped_data_dir() / MANIFEST).read_text(encoding="utf-8"))


def shipped_label() -> str:
    """``eu2026 (2026-12-02)``: the shipped data set and its version, as outputs print it."""
    manifest = shipped_manifest()
    return f"{manifest['name']} ({manifest['version']})"


def identify(tables: dict) -> dict:
    """The data set a run read, for its outputs.

    Parameters
    ----------
    tables : dict
        File name -> its validated :class:`~siteopt.data.table.Table`.

    Returns
    -------
    dict
        ``name`` and ``version`` of the shipped data set when some tables hold its content
        (compared by :meth:`~siteopt.data.table.Table.fingerprint`, so the same data written
        as CSV or Excel is the same data set), with ``modified`` listing those that differ;
        ``name`` "own data", ``version`` None and ``modified`` empty when none does.
    """
    manifest = shipped_manifest()
    shipped = manifest["tables"]
    modified = [name for name in FILES if tables[name].fingerprint() != shipped.get(name)]
    if len(modified) == len(FILES):
        return {"name": "own data", "version": None, "modified": []}
    return {"name": manifest["name"], "version": manifest["version"], "modified": modified}


def label(data_set: dict, where: str) -> str:
    """One line naming a data set (:func:`identify`) read from ``where`` (as messages name
    it): ``eu2026 (2026-12-02)`` (the shipped files), ``eu2026 (2026-12-02) with sites.csv
    changed, in w/data`` (``with sheets sites and letters changed, in bids.xlsx`` for a
    workbook), ``own data in bids.xlsx``."""
    if data_set["version"] is None:
        return f"own data in {where}"
    text = f"{data_set['name']} ({data_set['version']})"
    if data_set["modified"]:
        sheets = ({file: sheet for sheet, file in SHEETS.items()}
                  if where.lower().endswith(WORKBOOK_SUFFIXES) else {})
        in_sheets = [sheets[name] for name in data_set["modified"] if name in sheets]
        named = ([f"sheet{'s' if len(in_sheets) > 1 else ''} {listed(in_sheets)}"]
                 if in_sheets else []) + [n for n in data_set["modified"] if n not in sheets]
        text += f" with {', '.join(named)} changed"
    if where != display_path(shipped_data_dir()):
        text += f", in {where}"
    return text


__all__ = ["MANIFEST", "SHIPPED_DATA_SET", "identify", "label", "shipped_label",
           "shipped_manifest"]

