"""The files a planner takes further: tables as CSV and Excel, geography as GeoJSON and
GeoPackage, with the maps and the report beside them.

Every table is written the same way everywhere:

- text from the data can never act: in CSV a cell a spreadsheet would run as a formula gets a
  leading ``'`` (:func:`siteopt.sanitize.spreadsheet_cell`); in Excel every text cell is stored
  as a string, never as a formula, and control characters are removed;
- numbers stay numbers, and whole numbers stay whole (``3400000000``, not ``3.4e9`` or
  ``3400000000.0``);
- the same result gives the same bytes (the workbook's and the GeoPackage's internal dates are
  fixed).
"""

from __future__ import annotations

import datetime
import functools
import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from siteopt.sanitize import printable_text, spreadsheet_cell
from siteopt.units import eur, round_trip_ms

#: The date written into the workbook and the GeoPackage: outputs may not differ by run date.
FIXED_DATE = datetime.datetime(2000, 1, 1)


def _joined(values) -> str:
    return "; ".join(str(value) for value in values)


def gigafactories_table(result) -> pd.DataFrame:
    """One row per chosen gigafactory: members, power (MW), costs (EUR) and its letters."""
    return pd.DataFrame([{
        "gigafactory": g.id, "name": g.name, "members": " + ".join(g.members),
        "countries": " + ".join(g.countries), "effective_mw": g.effective_mw,
        "requested_mw": g.requested_mw, "capex_eur": g.capex_eur,
        "extra_site_cost_eur": g.extra_site_cost_eur, "energy_cost_eur": g.energy_cost_eur,
        "merged_letters": _joined(g.merged_letters), "partner_letters": _joined(g.partner_letters),
        "merged_consortia": _joined(g.merged_consortia),
        "partner_consortia": _joined(g.partner_consortia),
    } for g in result.gigafactories], columns=[
        "gigafactory", "name", "members", "countries", "effective_mw", "requested_mw",
        "capex_eur", "extra_site_cost_eur", "energy_cost_eur", "merged_letters",
        "partner_letters", "merged_consortia", "partner_consortia"])


def sites_table(result) -> pd.DataFrame:
    """Every candidate site with its data and the decision columns."""
    return pd.DataFrame(result.sites.drop(columns="geometry"))


def consolidation_table(result) -> pd.DataFrame:
    """One row per letter: who sent it, for which site, and its role in which gigafactory."""
    letters = result.consolidation.letters
    return letters[["letter_id", "consortium", "site_id", "country", "requested_mw",
                    "gigafactory", "role", "distance_km"]].reset_index(drop=True)


def coverage_table(result) -> pd.DataFrame:
    """Per member state: population, people within R of a member site, the share, sites, and
    the mean distance of its people to the nearest member site (km and round-trip ms)."""
    table = result.country_coverage()
    mean_km = {c.country: c.mean_km for c in result.access.countries}
    table["mean_km"] = [mean_km.get(code, float("nan")) for code in table["country"]]
    table["mean_ms"] = round_trip_ms(table["mean_km"])
    return table


#: How each table of a result is made, by the name its CSV file and Excel sheet get.
TABLES = {"gigafactories": gigafactories_table, "sites": sites_table,
          "consolidation": consolidation_table, "coverage_by_country": coverage_table}


def tables(result) -> dict[str, pd.DataFrame]:
    """Every table of a result, by the name its CSV file and Excel sheet get."""
    return {name: make(result) for name, make in TABLES.items()}


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns whose values are all whole numbers, as integers (missing values kept)."""
    frame = frame.copy()
    for column in frame.select_dtypes(include="float").columns:
        values = frame[column].to_numpy()
        known = values[~np.isnan(values)]
        if len(known) and np.all(known == np.round(known)) and np.all(np.abs(known) < 2**53):
            frame[column] = frame[column].astype("Int64")
    return frame


def _number_text(value: float) -> str:
    """A float as CSV text: empty when missing, whole without ``.0``, else its shortest exact
    form (``3232650240``, ``0.579``)."""
    if np.isnan(value):
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV: formula-like text neutralised, whole numbers without decimals (also in
    a column that has fractions too)."""
    frame = _whole_numbers(frame)
    for column in frame.select_dtypes(exclude=["number", "bool"]).columns:
        frame[column] = frame[column].map(spreadsheet_cell)
    for column in frame.select_dtypes(include="float").columns:
        frame[column] = frame[column].map(_number_text)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def _cell_value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, str):
        return printable_text(value)
    return value


def workbook_bytes(sheets: dict[str, pd.DataFrame], summary: list[tuple[str, str]]) -> bytes:
    """An Excel workbook: a ``summary`` sheet (label, value), then one sheet per table.

    Text cells are stored as strings (type ``s``), so a value such as ``=HYPERLINK(...)``
    shows as the text it is and never runs; numbers are numbers, exact, shown with thousands
    separators (EUR, MW, people) or as percentages (shares).
    """
    from openpyxl import Workbook

    from siteopt.sheets import dress

    book = Workbook()
    book.remove(book.active)
    pages = {"summary": pd.DataFrame(summary, columns=["item", "value"]), **sheets}
    for name, frame in pages.items():
        sheet = book.create_sheet(name)
        frame = _whole_numbers(frame)
        rows = [list(frame.columns)] + frame.astype(object).to_numpy().tolist()
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                value = _cell_value(value)
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"   # a string, even when it starts with "="
        dress(sheet)
    book.properties.creator = "siteopt"
    book.properties.created = book.properties.modified = FIXED_DATE
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip_dates(buffer.getvalue())


def _fixed_zip_dates(content: bytes) -> bytes:
    """The same zip archive with every entry dated :data:`FIXED_DATE` (Excel files are zips;
    their entries otherwise carry the time of writing)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":   # openpyxl stamps the save time here
                data = _fixed_core_dates(data)
            target.writestr(fixed, data)
    return buffer.getvalue()


def _fixed_core_dates(xml: bytes) -> bytes:
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2",
                  xml)


def sites_geojson(result) -> str:
    """Every candidate site with its data and the decisions, as GeoJSON points (WGS84)."""
    import json

    frame = result.sites.drop(columns=["geometry"])
    features = [{"type": "Feature", "properties": {k: _cell_value(v) for k, v in row.items()},
                 "geometry": {"type": "Point", "coordinates": [float(row["lon"]),
                                                               float(row["lat"])]}}
                for row in frame.to_dict(orient="records")]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def geopackage_bytes(result) -> bytes:
    """A GeoPackage with three layers, WGS84: ``gigafactories`` (one MultiPoint of its
    members each), ``sites`` (every candidate, its data and decisions) and
    ``coverage_by_country`` (each member state's outline with the columns of
    ``coverage_by_country.csv``: people within R, share, mean distance; ready for a
    choropleth)."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import MultiPoint

    located = result.sites.set_index("site_id")
    frame = gigafactories_table(result)
    shapes = [MultiPoint([(located.at[s, "lon"], located.at[s, "lat"]) for s in g.members])
              for g in result.gigafactories]
    layers = {
        "gigafactories": gpd.GeoDataFrame(_whole_numbers(frame), geometry=shapes,
                                          crs="EPSG:4326"),
        "sites": gpd.GeoDataFrame(_whole_numbers(sites_table(result)),
                                  geometry=result.sites.geometry.to_numpy(), crs="EPSG:4326"),
        "coverage_by_country": _country_layer(result)}
    for layer in layers.values():
        for column in layer.columns.drop("geometry"):
            layer[column] = layer[column].map(lambda v: printable_text(v)
                                              if isinstance(v, str) else v)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    with tempfile.TemporaryDirectory(prefix="siteopt-gpkg-") as folder:
        path = Path(folder) / "siteopt.gpkg"
        for number, (name, layer) in enumerate(layers.items()):
            pyogrio.write_dataframe(layer, path, layer=name, driver="GPKG",
                                    append=number > 0,   # outlines: Polygon and MultiPolygon
                                    promote_to_multi=name == "coverage_by_country")
        return path.read_bytes()


def _country_layer(result):
    """``coverage_by_country`` on the member states' outlines (those of the data set's
    ``countries.geojson``), one row per country of the table."""
    import geopandas as gpd

    table = _whole_numbers(coverage_table(result))
    outline = dict(zip(result.dataset.countries["iso_a2"],
                       result.dataset.countries.geometry.to_numpy()))
    return gpd.GeoDataFrame(table, geometry=[outline.get(code) for code in table["country"]],
                            crs="EPSG:4326")


def summary(result) -> list[tuple[str, str]]:
    """The run in plain words, for the first sheet of the workbook."""
    from siteopt import __version__

    model = result.model
    rows = [("question", "Which AI Gigafactories, formed from which sites, give Europe the most?"),
            ("model", model.description),
            ("data set", result.dataset.describe()),
            ("status", result.status.value),
            ("objective", f"{result.objective:.6f}"),
            ("gap", f"{result.solver['gap']:.4%}"),
            ("budget", eur(model.budget.total_eur, digits=1)),
            ("gigafactories", f"{len(result.gigafactories)} of at most "
                              f"{model.limits.max_gigafactories}"),
            ("capex", eur(result.total_capex_eur)),
            ("power", f"{result.total_power_mw:,.0f} MW"),
            ("population within reach", f"{result.terms['coverage']:.1%} of the EU-27 within "
                                        f"{model.coverage.radius_km:g} km"),
            ("solver", f"{result.solver['name']}, method {result.solver['method']}"
                       + (" (auto)" if model.solver.method == "auto" else "")),
            ("siteopt", __version__)]
    rows += [(f"input {name}", f"sha256 {digest}") for name, digest in result.inputs.items()]
    return rows


def output_makers(result) -> dict[str, Callable[[], str | bytes]]:
    """How to make each file ``siteopt solve --out DIR`` writes, by name, so that one file can
    be made alone (the explorer's downloads).

    ``result.json`` (the ``--format json`` document); ``gigafactories.geojson``,
    ``sites.geojson`` (every candidate) and ``siteopt.gpkg`` (layers ``gigafactories``,
    ``sites`` and ``coverage_by_country``); one CSV per table of
    :func:`tables`; ``siteopt.xlsx`` (a summary sheet and one sheet per table); ``map.png``;
    ``map.html`` (interactive); ``report.html``.
    """
    sheets = functools.cache(functools.partial(tables, result))   # the workbook's, made once
    makers: dict[str, Callable[[], str | bytes]] = {
        "result.json": lambda: result.to_json() + "\n",
        "gigafactories.geojson": result.gigafactories_geojson,
        "sites.geojson": lambda: sites_geojson(result),
        "siteopt.gpkg": lambda: geopackage_bytes(result)}
    makers.update({f"{name}.csv": functools.partial(lambda n: csv_text(sheets()[n]), name)
                   for name in TABLES})
    makers["siteopt.xlsx"] = lambda: workbook_bytes(sheets(), summary(result))
    makers["map.png"] = lambda: result.map_png
    makers["map.html"] = lambda: result.explore().html
    makers["report.html"] = result.report_html
    return makers


def output_files(result) -> dict[str, str | bytes]:
    """Every file ``siteopt solve --out DIR`` writes, by name (see :func:`output_makers`)."""
    return {name: make() for name, make in output_makers(result).items()}
