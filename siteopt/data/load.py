"""Load and validate a data directory into typed, immutable-by-convention frames."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from siteopt.data import checks, schema
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
    """

    directory: Path
    sites: gpd.GeoDataFrame
    letters: pd.DataFrame
    demand: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    ai_factories: gpd.GeoDataFrame
    sha256: dict[str, str]

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


def _load_countries(path: Path, display: str) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    where = checks.Located(display, row_offset=1, row_kind="feature")
    if not path.is_file():
        return None, [Problem(display, "file not found; every data directory needs it "
                                       "(see data/README.md)")]
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as err:  # pyogrio raises several GDAL error types
        detail = " ".join(str(err).split())
        return None, [Problem(display, f"cannot be read as GeoJSON ({detail})")]
    if frame.empty:
        return None, [Problem(display, "has no features; it needs one polygon per country")]
    properties = pd.DataFrame(frame.drop(columns="geometry")).astype(str)
    typed, problems = checks.check_columns(properties, schema.COUNTRIES, where)
    problems += checks.check_geometries(frame, where)
    countries = gpd.GeoDataFrame(typed, geometry=frame.geometry.to_numpy(), crs=frame.crs or WGS84)
    if countries.crs != WGS84:
        countries = countries.to_crs(WGS84)
    return countries, problems


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
    """
    directory = Path(directory) if directory is not None else default_data_dir()
    if not directory.is_dir():
        raise InputError([Problem(display_path(directory), "data directory not found; pass an "
                                                       "existing directory to --data")])
    paths = {name: directory / name for name in schema.FILES}
    display = {name: display_path(path) for name, path in paths.items()}
    problems: list[Problem] = []

    countries, found = _load_countries(paths["countries.geojson"], display["countries.geojson"])
    problems += found
    known = frozenset(countries["iso_a2"]) if countries is not None and not found else None

    frames: dict[str, pd.DataFrame | None] = {}
    for name in ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv"):
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
    if problems:
        raise InputError(sorted(problems, key=_file_order(display))[:MAX_PROBLEMS])

    sites_gdf = _points(sites)
    problems += checks.check_sites_in_countries(sites_gdf, countries,
                                                checks.Located(display["sites.csv"], 2, "line"))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return Dataset(
        directory=directory,
        sites=sites_gdf,
        letters=letters,
        demand=_points(frames["demand.csv"]),
        countries=countries,
        ai_factories=_points(frames["ai_factories.csv"]),
        sha256={name: _sha256(path) for name, path in paths.items()},
    )


def _file_order(display: dict[str, str]):
    order = {shown: index for index, shown in enumerate(display.values())}
    return lambda p: (order.get(p.file, len(order)), p.row or 0)
