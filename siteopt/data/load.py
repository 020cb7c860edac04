"""Load and validate a data directory into a :class:`~siteopt.data.dataset.Dataset`.

Files that passed every check before (same SHA-256) come back from the validation cache
(:mod:`siteopt.data.cache`) with NumPy alone; anything else is read and checked with pandas,
geopandas and shapely, imported only then.
"""

from __future__ import annotations

import functools
import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siteopt import strict_json
from siteopt.data import cache, schema
from siteopt.data.dataset import WGS84, Dataset, shape_or_none
from siteopt.data.table import Table
from siteopt.data.plausible import repeat_warnings, site_warnings
from siteopt.errors import DataWarning, InputError, Problem
from siteopt.paths import default_data, display_path, shipped_data_dir

#: Files that may hold a header and no rows: a study of sites alone, with no letters of
#: interest or AI Factories.
MAY_BE_EMPTY = ("letters.csv", "ai_factories.csv")
#: The tables of records, each keyed by its first column: a row repeating an earlier one in
#: every other column is warned of (countries are checked against their ISO codes instead).
RECORD_FILES = ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv")
#: At most this many problems are listed in one error.
MAX_PROBLEMS = 50


#: ``crs`` names that mean WGS84 longitude/latitude (RFC 7946 allows nothing else).
WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
               "urn:ogc:def:crs:EPSG::4326")


def _load_countries(content: bytes | None, display: str):
    """Read ``countries.geojson`` (its bytes, None when missing) as what its name says: JSON,
    parsed here, never through GDAL (which would follow a virtual format to a URL or another
    file). A ``crs`` member must name WGS84; a linked crs is refused, not fetched.

    Returns
    -------
    countries : GeoDataFrame or None
    problems : list of Problem
    """
    import geopandas as gpd
    import pandas as pd

    from siteopt.data import checks

    if content is None:
        return None, [Problem(display, "file not found; every data directory needs it "
                                       "(siteopt init --empty DIR writes a template)")]
    try:
        document = strict_json.loads(content.decode("utf-8-sig"))
    except strict_json.DuplicateKeyError as err:
        return None, [Problem(display, str(err))]
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        detail = " ".join(str(err).split())[:200]
        return None, [Problem(display, f"cannot be read as GeoJSON ({detail}); it must be a "
                                       f"GeoJSON FeatureCollection")]
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(features, list):
        return None, [Problem(display, "cannot be read as GeoJSON (not a FeatureCollection); it "
                                       "must be a GeoJSON FeatureCollection")]
    crs = document.get("crs")
    if crs is not None:
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if name not in WGS84_NAMES:
            return None, [Problem(display, f"its crs member {json.dumps(crs)[:120]} is not "
                                           f"WGS84; GeoJSON is longitude/latitude in WGS84: "
                                           f"drop the crs member")]
    if not features:
        return None, [Problem(display, "has no features; it needs one polygon per country")]
    properties, geometries, problems = [], [], []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            problems.append(Problem(display, "is not a GeoJSON feature with properties",
                                    row=number, row_kind="feature"))
            properties.append({})
            geometries.append(None)
            continue
        properties.append(feature["properties"])
        geometries.append(shape_or_none(feature.get("geometry")))
    frame = pd.DataFrame(properties).astype(str)
    where = checks.Located(display, range(1, len(features) + 1), "feature")
    typed, found = checks.check_columns(frame, schema.COUNTRIES, where)
    countries = gpd.GeoDataFrame(typed, geometry=geometries, crs=WGS84)
    return countries, problems + found + checks.check_geometries(countries, where)


@dataclass(frozen=True)
class Origin:
    """Where each table of a data set comes from.

    Attributes
    ----------
    source : Path
        The data directory or the workbook.
    displays : dict
        File name -> how messages name its table (``data/sites.csv``, ``bids.xlsx (sheet
        sites)``).
    contents : dict
        File name -> the bytes it is read from (hashed for the cache and the outputs), None
        when missing.
    row_kinds : dict
        File name -> what its rows are called in messages (``line``, ``row``, ``feature``).
    workbook_tables : tuple of str
        The files read from the workbook's sheets (the others are files: ``contents``).
    hidden_rows : dict
        Sheet -> its hidden Excel rows that hold values
        (:func:`~siteopt.data.workbook.hidden_rows`).
    """

    source: Path
    displays: dict[str, str]
    contents: dict[str, bytes | None]
    row_kinds: dict[str, str]
    workbook_tables: tuple[str, ...] = ()
    hidden_rows: dict[str, list[int]] = field(default_factory=dict)


def _read_bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def data_origin(source: Path, named_by: str = "--data") -> Origin:
    """The tables of ``source``: a directory of the five files, or an Excel workbook
    (:mod:`siteopt.data.workbook`) whose missing optional sheets and country shapes come from
    the shipped data set (the shapes from a ``countries.geojson`` beside the workbook if there
    is one).

    ``named_by`` is what named ``source`` (``--data``, ``SITEOPT_DATA``, the workspace
    file), for the fix of a message.

    Raises
    ------
    InputError
        When ``source`` is neither.
    """
    from siteopt.data.workbook import OPTIONAL_SHEETS, SHEETS, WORKBOOK_SUFFIXES, sheet_display

    def fix(what: str) -> str:
        return (f"pass {what} to --data" if named_by == "--data" else
                f"set {named_by} to {what}")

    if source.suffix.lower() in WORKBOOK_SUFFIXES:
        if not source.is_file():
            raise InputError([Problem(display_path(source), "workbook not found; "
                                                            + fix("an existing .xlsx file"))])
        sheets, hidden = _workbook_sheets(source)
        beside = source.parent / "countries.geojson"
        paths = {"countries.geojson": beside if beside.is_file()
                 else shipped_data_dir() / "countries.geojson"}
        workbook_bytes = source.read_bytes()
        displays, contents, kinds, tables = {}, {}, {}, []
        for sheet, name in SHEETS.items():
            if sheet in sheets or sheet not in OPTIONAL_SHEETS:
                displays[name] = sheet_display(display_path(source), sheet)
                contents[name], kinds[name] = workbook_bytes, "row"
                tables.append(name)
            else:
                paths[name] = shipped_data_dir() / name
        for name, path in paths.items():
            displays[name], contents[name] = display_path(path), _read_bytes(path)
            kinds[name] = "feature" if name.endswith(".geojson") else "line"
        order = list(schema.FILES)
        return Origin(source, dict(sorted(displays.items(), key=lambda i: order.index(i[0]))),
                      contents, kinds, tuple(tables), hidden)
    if not source.is_dir():
        hint = fix("a data directory or an Excel workbook (.xlsx)" if source.exists()
                   else "an existing directory or .xlsx workbook")
        raise InputError([Problem(display_path(source), f"data directory not found; {hint}")])
    paths = {name: source / name for name in schema.FILES}
    return Origin(source, {name: display_path(path) for name, path in paths.items()},
                  {name: _read_bytes(path) for name, path in paths.items()},
                  {name: "feature" if name.endswith(".geojson") else "line" for name in paths})


def _workbook_sheets(path: Path) -> tuple[list[str], dict[str, list[int]]]:
    """The sheet names of a workbook and its hidden rows that hold values
    (:func:`~siteopt.data.workbook.hidden_rows`), or none when it cannot be opened (the
    reader then reports why)."""
    import openpyxl

    from siteopt.data.workbook import hidden_rows

    try:
        workbook = openpyxl.load_workbook(path, read_only=True)
    except Exception:   # reported with its reason when the sheets are read
        return [], {}
    try:
        return list(workbook.sheetnames), hidden_rows(workbook)
    except Exception:   # damaged XML: the reader reports it
        return list(workbook.sheetnames), {}
    finally:
        workbook.close()


def load_data(source: str | Path | None = None) -> Dataset:
    """Read every data file of ``source`` and validate it.

    Parameters
    ----------
    source : path, optional
        A directory with ``sites.csv``, ``letters.csv``, ``demand.csv``, ``ai_factories.csv``
        and ``countries.geojson``, or an Excel workbook (``.xlsx``) with sheets ``sites``,
        ``letters`` and optionally ``demand`` and ``ai_factories``; by default
        ``SITEOPT_DATA``, the workspace's data or the shipped data set
        (:func:`siteopt.paths.default_data`).

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        Listing every problem found (up to :data:`MAX_PROBLEMS`), each with file (and sheet),
        row, column, value and fix.

    Warns
    -----
    DataWarning
        For each valid figure that looks like a slip of units (:mod:`siteopt.data.plausible`).

    Notes
    -----
    Once these exact files (by SHA-256) have passed every check, their typed tables are cached
    and the next load skips reading and checking them (:mod:`siteopt.data.cache`;
    ``SITEOPT_NO_CACHE=1`` bypasses the cache).
    """
    from siteopt.data.manifest import identify

    origin = data_origin(Path(source)) if source is not None else data_origin(*default_data())
    hashes = {name: hashlib.sha256(content).hexdigest()
              for name, content in origin.contents.items() if content is not None}
    key = (cache.cache_key({**hashes, "sheets": repr(origin.workbook_tables)},
                           repr(schema.FILES)) if len(hashes) == len(schema.FILES) else None)
    tables = cache.read_tables(key) if key is not None else None
    if tables is None or not _complete(tables):   # read and check every file
        tables = validated_tables(origin)
        if key is not None:
            cache.write_tables(key, tables)
    found = site_warnings(tables["sites.csv"], origin.displays["sites.csv"],
                          lambda: _record_lines(origin, "sites.csv"), origin.row_kinds["sites.csv"])
    for name in RECORD_FILES:
        found += repeat_warnings(tables[name], schema.FILES[name][0].name, origin.displays[name],
                                 functools.partial(_record_lines, origin, name),
                                 origin.row_kinds[name])
    found += _hidden_row_warnings(origin)
    for warning in found:
        warnings.warn(DataWarning(str(warning)), stacklevel=2)
    return Dataset(directory=origin.source, site_table=tables["sites.csv"],
                   letter_table=tables["letters.csv"], demand_table=tables["demand.csv"],
                   country_table=tables["countries.geojson"],
                   factory_table=tables["ai_factories.csv"], sha256=hashes,
                   displays=dict(origin.displays),
                   data_set=identify(tables),
                   country_geojson=origin.contents["countries.geojson"])


def _hidden_row_warnings(origin: Origin) -> list[Problem]:
    """A warning for each sheet read with hidden rows that hold values (a filter left on, or
    rows hidden by hand): they are data like every other row."""
    from siteopt.data.workbook import SHEETS, sheet_display

    return [Problem(sheet_display(display_path(origin.source), sheet),
                    "hidden in Excel (a filter, or rows hidden by hand), yet read like every "
                    f"other row; delete {'it' if len(rows) == 1 else 'them'} to leave "
                    f"{'it' if len(rows) == 1 else 'them'} out", rows=tuple(rows),
                    row_kind="row")
            for sheet, rows in origin.hidden_rows.items()
            if SHEETS[sheet] in origin.workbook_tables]


def _record_lines(origin: Origin, name: str) -> np.ndarray:
    """The line (or Excel row) each record of the checked table ``name`` begins on, read
    again from its bytes (the cached tables keep only the values; blank lines and rows, and
    values over several lines, make it differ from the record's place plus 2)."""
    from siteopt.data.read import read_csv_table
    from siteopt.data.workbook import SHEETS, sheet_rows

    if name in origin.workbook_tables:
        return sheet_rows(origin.source, next(s for s, f in SHEETS.items() if f == name))
    raw, _ = read_csv_table(origin.contents[name], origin.displays[name])
    return raw.index.to_numpy()


def _complete(tables: dict[str, Table]) -> bool:
    """Whether cached tables hold every file and every required column (a cache file that
    does not, damaged or edited, is read as no cache)."""
    return set(tables) == set(schema.FILES) and all(
        column.name in tables[name] for name, columns in schema.FILES.items()
        for column in columns if column.required)


def validated_tables(origin: Origin) -> dict[str, Table]:
    """Every table of ``origin`` read and checked: file name -> its typed table.

    Raises
    ------
    InputError
        Listing every problem found (up to :data:`MAX_PROBLEMS`).
    """
    from siteopt.data import checks
    from siteopt.data.read import NO_ROWS, read_csv_table
    from siteopt.data.workbook import read_workbook

    display, row_kind = origin.displays, origin.row_kinds
    problems: list[Problem] = []
    countries, found = _load_countries(origin.contents["countries.geojson"],
                                       display["countries.geojson"])
    problems += found
    known = frozenset(countries["iso_a2"]) if countries is not None and not found else None

    sheets = {}
    if origin.workbook_tables:
        sheets, found = read_workbook(origin.source, display_path(origin.source))
        problems += found
    frames, located, totals, totals_said = {}, {}, set(), []
    for name in ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv"):
        if name in origin.workbook_tables:
            raw = sheets.get(name)
            if raw is not None and raw.empty and name not in MAY_BE_EMPTY:
                problems.append(Problem(display[name], NO_ROWS))
                raw = None
        else:
            raw, found = read_csv_table(origin.contents[name], display[name],
                                        may_be_empty=name in MAY_BE_EMPTY, file_name=name)
            problems += found
        if raw is None:
            frames[name] = None
            continue
        # the readers index each record by its line (or row) in the file
        located[name] = checks.Located(display[name], raw.index.to_numpy(), row_kind[name])
        typed, found = checks.check_columns(raw.reset_index(drop=True), schema.FILES[name],
                                            located[name], known, display["countries.geojson"])
        problems += found
        frames[name] = typed
        rows, found = checks.totals_rows(typed, schema.FILES[name], located[name])
        totals_said += found
        totals.update((display[name], row) for row in rows)

    sites, letters = frames["sites.csv"], frames["letters.csv"]
    if sites is not None and letters is not None and "site_id" in letters and "site_id" in sites:
        problems += checks.check_references(letters["site_id"], schema.LETTERS[1],
                                            sites["site_id"], display["sites.csv"],
                                            located["letters.csv"])
    # geography is checked on every row whose coordinates and country are valid, so range
    # errors elsewhere do not hide a site in the wrong country: one pass reports both
    if countries is not None and known is not None:
        for name, id_column, kind in (("sites.csv", "site_id", "site"),
                                      ("demand.csv", "point_id", "population point"),
                                      ("ai_factories.csv", "factory_id", "AI Factory")):
            frame = frames[name]
            if frame is not None and {id_column, "country", "lat", "lon"} <= set(frame):
                problems += checks.check_points_in_countries(frame, id_column, kind, countries,
                                                             located[name])
    # a totals row is one line, not one for each of its cells
    problems = totals_said + [problem for problem in problems
                              if (problem.file, problem.row) not in totals]
    if problems:
        raise InputError(sorted(_one_per_cell(problems), key=_file_order(display))[:MAX_PROBLEMS])
    frames["countries.geojson"] = countries
    return {name: Table.from_frame(frame) for name, frame in frames.items()}


def _one_per_cell(problems: list[Problem]) -> list[Problem]:
    """The first problem found in each cell: a spreadsheet formula with no saved value is
    also an empty cell, and one line says what to do."""
    seen, kept = set(), []
    for problem in problems:
        cell = (problem.file, problem.row, problem.column)
        if problem.row is None or problem.column is None or cell not in seen:
            kept.append(problem)
            seen.add(cell)
    return kept


def _file_order(display: dict[str, str]):
    order = {shown: index for index, shown in enumerate(display.values())}
    return lambda p: (order.get(p.file, len(order)), p.row or (p.rows[0] if p.rows else 0))
