"""Load and validate a data directory into typed, immutable-by-convention frames."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from siteopt.data import cache, checks, schema
from siteopt.data.read import read_csv_table
from siteopt.errors import InputError, Problem
from siteopt.paths import default_data_dir, display_path

#: At most this many problems are listed in one error.
MAX_PROBLEMS = 50
WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Dataset:
    """Every input file, validated and typed.

    Attributes
    ----------
    directory : Path
        Where the files were read from.
    sites : GeoDataFrame
        Candidate sites (EPSG:4326 points), one row per ``site_id``, in file order.
    letters : DataFrame
        Letters of interest, each pointing at a ``site_id``.
    demand : GeoDataFrame
        Population points (EPSG:4326).
    countries : GeoDataFrame
        Country polygons (EPSG:4326) with per-country figures, indexed like the file.
    ai_factories : GeoDataFrame
        EuroHPC AI Factories (EPSG:4326 points).
    sha256 : dict
        File name -> SHA-256 of its bytes, for the result manifest.
    derived : dict
        Results computed from these files that several solves share (see :meth:`derive`).
    """

    directory: Path
    sites: gpd.GeoDataFrame
    letters: pd.DataFrame
    demand: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    ai_factories: gpd.GeoDataFrame
    sha256: dict[str, str]
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def without_geometry(self) -> Dataset:
        """The same data with plain DataFrames instead of GeoDataFrames: all a solve needs,
        and what a worker should get (the shapes make up nearly all of the cost of shipping:
        0.28 s against 0.02 s to two local workers for the shipped data)."""
        def plain(frame):
            return pd.DataFrame(frame.drop(columns=frame.geometry.name))

        return Dataset(self.directory, plain(self.sites), self.letters, plain(self.demand),
                       plain(self.countries), plain(self.ai_factories), self.sha256)

    def derive(self, name: str, key, compute):
        """``compute()``, reused while ``key`` stays the same: a sweep or a worker that solves
        many variants of one model computes, say, the coverage of an unchanged radius once.
        One result is kept per ``name`` (the latest key), so memory stays bounded."""
        kept = self.derived.get(name)
        if kept is None or kept[0] != key:
            kept = self.derived[name] = (key, compute())
        return kept[1]

    def summary(self) -> pd.DataFrame:
        """Sites, letters and population per country, with a total row.

        Returns
        -------
        DataFrame
            Columns ``country``, ``name``, ``sites``, ``letters``, ``population`` (people),
            ``renewable_share`` (0..1); one row per country that has a site or population, then
            ``Total``.
        """
        names = self.countries.set_index("iso_a2")["name"]
        letters = self.letters.merge(self.sites[["site_id", "country"]], on="site_id")
        table = pd.DataFrame({
            "sites": self.sites.groupby("country").size(),
            "letters": letters.groupby("country").size(),
            "population": self.demand.groupby("country")["population"].sum(),
        }).fillna(0).astype("int64")
        table = table[(table["sites"] > 0) | (table["population"] > 0)]
        table.insert(0, "name", names.reindex(table.index).fillna(""))
        table.index.name = "country"
        table = table.reset_index()
        total = {"country": "Total", "name": f"{len(table)} countries",
                 "sites": int(table["sites"].sum()), "letters": int(table["letters"].sum()),
                 "population": int(table["population"].sum())}
        return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                            crs=WGS84)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: ``crs`` names that mean WGS84 longitude/latitude (RFC 7946 allows nothing else).
WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
               "urn:ogc:def:crs:EPSG::4326")


def _load_countries(path: Path, display: str) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read ``countries.geojson`` as what its name says: JSON, parsed here, never through GDAL
    (which would follow a virtual format to a URL or another file). A ``crs`` member must name
    WGS84; a linked crs is refused, not fetched."""
    where = checks.Located(display, row_offset=1, row_kind="feature")
    if not path.is_file():
        return None, [Problem(display, "file not found; every data directory needs it "
                                       "(see data/README.md)")]
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
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
        geometries.append(_geometry(feature.get("geometry")))
    frame = pd.DataFrame(properties).astype(str)
    typed, found = checks.check_columns(frame, schema.COUNTRIES, where)
    countries = gpd.GeoDataFrame(typed, geometry=geometries, crs=WGS84)
    return countries, problems + found + checks.check_geometries(countries, where)


def _geometry(value):
    """A shapely geometry from a GeoJSON geometry object; None when it is not one."""
    from shapely.geometry import shape

    try:
        return shape(value) if isinstance(value, dict) else None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


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

    Notes
    -----
    Once these exact files (by SHA-256) have passed every check, the typed demand table is
    cached and the next load skips reading and checking it (:mod:`siteopt.data.cache`;
    ``SITEOPT_NO_CACHE=1`` bypasses the cache).
    """
    directory = Path(directory) if directory is not None else default_data_dir()
    if not directory.is_dir():
        raise InputError([Problem(display_path(directory), "data directory not found; pass an "
                                                       "existing directory to --data")])
    paths = {name: directory / name for name in schema.FILES}
    display = {name: display_path(path) for name, path in paths.items()}
    problems: list[Problem] = []
    hashes = {name: _sha256(path) for name, path in paths.items() if path.is_file()}
    key = cache.cache_key(hashes, repr(schema.DEMAND)) if len(hashes) == len(paths) else None
    cached = cache.read_demand(key) if key is not None else None

    countries, found = _load_countries(paths["countries.geojson"], display["countries.geojson"])
    problems += found
    known = frozenset(countries["iso_a2"]) if countries is not None and not found else None

    frames: dict[str, pd.DataFrame | None] = {}
    for name in ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv"):
        if name == "demand.csv" and cached is not None:   # these exact files passed before
            frames[name] = cached
            continue
        raw, found = read_csv_table(paths[name], display[name], schema.FILES[name])
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
            if name == "demand.csv" and cached is not None:
                continue
            if frame is not None and {id_column, "country", "lat", "lon"} <= set(frame):
                problems += checks.check_points_in_countries(
                    frame, id_column, kind, countries,
                    checks.Located(display[name], 2, "line"))
    if problems:
        raise InputError(sorted(problems, key=_file_order(display))[:MAX_PROBLEMS])
    if cached is None and key is not None:
        cache.write_demand(key, frames["demand.csv"])
    return Dataset(
        directory=directory,
        sites=_points(sites),
        letters=letters,
        demand=_points(frames["demand.csv"]),
        countries=countries,
        ai_factories=_points(frames["ai_factories.csv"]),
        sha256=hashes,
    )


def _file_order(display: dict[str, str]):
    order = {shown: index for index, shown in enumerate(display.values())}
    return lambda p: (order.get(p.file, len(order)), p.row or 0)
