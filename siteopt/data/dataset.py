"""A loaded data directory: validated tables, with the (Geo)DataFrames built when first read."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from siteopt.data.table import Table

WGS84 = "EPSG:4326"


@dataclass(frozen=True, eq=False)
class Dataset:
    """Every input file, validated and typed.

    The solve path reads the ``*_table`` columns (NumPy arrays); reports, maps and analyses read
    the frames (``sites``, ``letters``, ``demand``, ``countries``, ``ai_factories``), which
    import pandas and geopandas and are built once, when first read.

    Attributes
    ----------
    directory : Path
        Where the files were read from: a directory of CSV files and ``countries.geojson``,
        or an Excel workbook.
    site_table, letter_table, demand_table, country_table, factory_table : Table
        The columns of ``sites.csv``, ``letters.csv``, ``demand.csv``, the properties of
        ``countries.geojson`` and ``ai_factories.csv``, rows in file order.
    sha256 : dict
        File name -> SHA-256 of its bytes, for the result manifest.
    displays : dict
        File name (``sites.csv``...) -> how messages name where its table came from
        (``data/sites.csv``, ``bids.xlsx, sheet sites``).
    data_set : dict
        Which data set this is (:func:`siteopt.data.manifest.identify`): ``name``,
        ``version`` (None for one's own data) and ``modified``.
    country_geojson : bytes or None
        The bytes of ``countries.geojson`` that were validated, for the country shapes of the
        maps (None: no shapes, see :meth:`without_geometry`).
    derived : dict
        Results computed from these files that several solves share (see :meth:`derive`).
    """

    directory: Path
    site_table: Table
    letter_table: Table
    demand_table: Table
    country_table: Table
    factory_table: Table
    sha256: dict[str, str]
    displays: dict[str, str]
    data_set: dict
    country_geojson: bytes | None = field(default=None, repr=False)
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @functools.cached_property
    def sites(self):
        """Candidate sites (GeoDataFrame of EPSG:4326 points), one row per ``site_id``."""
        return point_frame(self.site_table)

    @property
    def letters(self):
        """Letters of interest (DataFrame), each pointing at a ``site_id``."""
        return self.letter_table.frame

    @functools.cached_property
    def demand(self):
        """Population points (GeoDataFrame of EPSG:4326 points)."""
        return point_frame(self.demand_table)

    @functools.cached_property
    def countries(self):
        """Country polygons (GeoDataFrame, EPSG:4326) with per-country figures, indexed like the
        file; without shapes (:meth:`without_geometry`) a DataFrame of the figures."""
        if self.country_geojson is None:
            return self.country_table.frame
        import geopandas as gpd

        features = json.loads(self.country_geojson.decode("utf-8-sig"))["features"]
        shapes = [shape_or_none(feature.get("geometry")) for feature in features]
        return gpd.GeoDataFrame(self.country_table.frame, geometry=shapes, crs=WGS84)

    @functools.cached_property
    def ai_factories(self):
        """EuroHPC AI Factories (GeoDataFrame of EPSG:4326 points)."""
        return point_frame(self.factory_table)

    def describe(self) -> str:
        """The data set and where it was read, as outputs name it: ``eu2026 (2026-12-02)``,
        ``own data in bids.xlsx`` (:func:`siteopt.data.manifest.label`)."""
        from siteopt.data.manifest import label
        from siteopt.paths import display_path

        return label(self.data_set, display_path(self.directory))

    def without_geometry(self) -> Dataset:
        """The same data without the country shapes: all a solve needs, and what a worker
        should get (the shapes make up nearly all of the cost of shipping: 0.28 s against
        0.02 s to two local workers for the shipped data). Frames already built are not
        shipped either."""
        return dataclasses.replace(self, country_geojson=None)

    def __getstate__(self):
        """Pickle the fields only (shared results included: a worker reuses the coverage);
        frames built from them are rebuilt where they are read."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def with_sites(self, site_table: Table) -> Dataset:
        """The same data with other site figures (shared results are not carried over)."""
        return dataclasses.replace(self, site_table=site_table)

    def derive(self, name: str, key, compute):
        """``compute()``, reused while ``key`` stays the same: a sweep or a worker that solves
        many variants of one model computes, say, the coverage of an unchanged radius once.
        One result is kept per ``name`` (the latest key), so memory stays bounded."""
        kept = self.derived.get(name)
        if kept is None or kept[0] != key:
            kept = self.derived[name] = (key, compute())
        return kept[1]

    def summary(self):
        """Sites, letters and population per country, with a total row.

        Returns
        -------
        DataFrame
            Columns ``country``, ``name``, ``sites``, ``letters`` and ``population`` (people);
            one row per country that has a site or population, then ``Total``.
        """
        import pandas as pd

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


def shape_or_none(value):
    """A shapely geometry from a GeoJSON geometry object; None when it is not one."""
    from shapely.geometry import shape

    try:
        return shape(value) if isinstance(value, dict) else None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def point_frame(table: Table):
    """A table with ``lat`` and ``lon`` as a GeoDataFrame of EPSG:4326 points."""
    import geopandas as gpd

    return gpd.GeoDataFrame(table.frame, geometry=gpd.points_from_xy(table["lon"], table["lat"]),
                            crs=WGS84)
