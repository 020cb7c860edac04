"""Load and validate a data directory into a :class:`~siteopt.data.dataset.Dataset`.

Files that passed every check before (same SHA-256) come back from the validation cache
(:mod:`siteopt.data.cache`) with NumPy alone; anything else is read and checked with pandas,
geopandas and shapely, imported only then.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

from siteopt.data import cache, schema
from siteopt.data.dataset import WGS84, Dataset, shape_or_none
from siteopt.data.table import Table
from siteopt.data.plausible import site_warnings
from siteopt.errors import DataWarning, InputError, Problem
from siteopt.paths import default_data_dir, display_path

#: Files that may hold a header and no rows: a study of sites alone, with no letters of
#: interest or AI Factories.
MAY_BE_EMPTY = ("letters.csv", "ai_factories.csv")
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

    where = checks.Located(display, row_offset=1, row_kind="feature")
    if content is None:
        return None, [Problem(display, "file not found; every data directory needs it "
                                       "(see data/README.md)")]
    try:
        document = json.loads(content.decode("utf-8-sig"))
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
    typed, found = checks.check_columns(frame, schema.COUNTRIES, where)
    countries = gpd.GeoDataFrame(typed, geometry=geometries, crs=WGS84)
    return countries, problems + found + checks.check_geometries(countries, where)


def load_data(directory: str | Path | None = None) -> Dataset:
    """Read every data file in ``directory`` and validate it.

    Parameters
    ----------
    directory : path, optional
        A directory with ``sites.csv``, ``letters.csv``, ``demand.csv``, ``ai_factories.csv``
        and ``countries.geojson``; by default the shipped ``data/``.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        Listing every problem found (up to :data:`MAX_PROBLEMS`), each with file, row, column,
        value and fix.

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
    directory = Path(directory) if directory is not None else default_data_dir()
    if not directory.is_dir():
        raise InputError([Problem(display_path(directory), "data directory not found; pass an "
                                                       "existing directory to --data")])
    paths = {name: directory / name for name in schema.FILES}
    hashes, country_geojson = {}, None
    for name, path in paths.items():
        if path.is_file():
            content = path.read_bytes()
            hashes[name] = hashlib.sha256(content).hexdigest()
            if name == "countries.geojson":   # kept for the maps' shapes
                country_geojson = content
    key = cache.cache_key(hashes, repr(schema.FILES)) if len(hashes) == len(paths) else None
    tables = cache.read_tables(key) if key is not None else None
    if tables is None or not _complete(tables):   # read and check every file
        tables = _validated_tables(paths, country_geojson)
        if key is not None:
            cache.write_tables(key, tables)
    for warning in site_warnings(tables["sites.csv"], display_path(paths["sites.csv"])):
        warnings.warn(DataWarning(str(warning)), stacklevel=2)
    return Dataset(directory=directory, site_table=tables["sites.csv"],
                   letter_table=tables["letters.csv"], demand_table=tables["demand.csv"],
                   country_table=tables["countries.geojson"],
                   factory_table=tables["ai_factories.csv"], sha256=hashes,
                   country_geojson=country_geojson)


def _complete(tables: dict[str, Table]) -> bool:
    """Whether cached tables hold every file and every required column (a cache file that
    does not, damaged or edited, is read as no cache)."""
    return set(tables) == set(schema.FILES) and all(
        column.name in tables[name] for name, columns in schema.FILES.items()
        for column in columns if column.required)


def _validated_tables(paths: dict[str, Path], country_geojson: bytes | None) -> dict[str, Table]:
    """Every file read and checked: file name -> its typed table.

    Raises
    ------
    InputError
        Listing every problem found (up to :data:`MAX_PROBLEMS`).
    """
    from siteopt.data import checks
    from siteopt.data.read import read_csv_table

    display = {name: display_path(path) for name, path in paths.items()}
    problems: list[Problem] = []
    countries, found = _load_countries(country_geojson, display["countries.geojson"])
    problems += found
    known = frozenset(countries["iso_a2"]) if countries is not None and not found else None

    frames = {}
    for name in ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv"):
        raw, found = read_csv_table(paths[name], display[name],
                                    may_be_empty=name in MAY_BE_EMPTY)
        problems += found
        if raw is None:
            frames[name] = None
            continue
        where = checks.Located(display[name], row_offset=2, row_kind="line")
        typed, found = checks.check_columns(raw, schema.FILES[name], where, known,
                                            display["countries.geojson"])
        problems += found
        frames[name] = typed

    sites, letters = frames["sites.csv"], frames["letters.csv"]
    if sites is not None and letters is not None and "site_id" in letters and "site_id" in sites:
        problems += checks.check_references(letters["site_id"], schema.LETTERS[1],
                                            sites["site_id"], display["sites.csv"],
                                            checks.Located(display["letters.csv"], 2, "line"))
    # geography is checked on every row whose coordinates and country are valid, so range
    # errors elsewhere do not hide a site in the wrong country: one pass reports both
    if countries is not None and known is not None:
        for name, id_column, kind in (("sites.csv", "site_id", "site"),
                                      ("demand.csv", "point_id", "population point"),
                                      ("ai_factories.csv", "factory_id", "AI Factory")):
            frame = frames[name]
            if frame is not None and {id_column, "country", "lat", "lon"} <= set(frame):
                problems += checks.check_points_in_countries(
                    frame, id_column, kind, countries,
                    checks.Located(display[name], 2, "line"))
    if problems:
        raise InputError(sorted(problems, key=_file_order(display))[:MAX_PROBLEMS])
    frames["countries.geojson"] = countries
    return {name: Table.from_frame(frame) for name, frame in frames.items()}


def _file_order(display: dict[str, str]):
    order = {shown: index for index, shown in enumerate(display.values())}
    return lambda p: (order.get(p.file, len(order)), p.row or (p.rows[0] if p.rows else 0))
