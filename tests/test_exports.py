"""`siteopt solve --out DIR`: every file a planner takes further, written and read back."""

from __future__ import annotations

import json

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from tests.conftest import OUT_FILES as FILES, DATA
from tests.conftest import REPO, edit_csv, solve_out



@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One default run's --out directory and its JSON document."""
    out, stdout = solve_out(tmp_path_factory, "out", "--format", "json")
    return out, json.loads(stdout)


def test_out_writes_every_file(written):
    out, doc = written
    assert sorted(p.name for p in out.iterdir()) == FILES
    assert json.loads((out / "result.json").read_text(encoding="utf-8")) == doc
    assert (out / "map.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "map.html").read_text(encoding="utf-8").count('id="siteopt-data"') == 1
    assert "Where should Europe build" in (out / "report.html").read_text(encoding="utf-8")


def test_geojson_holds_gigafactories_and_their_members(written):
    out, doc = written
    geojson = json.loads((out / "gigafactories.geojson").read_text(encoding="utf-8"))
    factories = [f for f in geojson["features"] if f["properties"]["kind"] == "gigafactory"]
    members = [f for f in geojson["features"] if f["properties"]["kind"] == "site"]
    assert [f["properties"]["id"] for f in factories] == [g["id"] for g in doc["gigafactories"]]
    assert all(f["geometry"]["type"] == "MultiPoint" for f in factories)
    assert sum(len(f["geometry"]["coordinates"]) for f in factories) == len(doc["selected"])
    assert sorted(f["properties"]["site_id"] for f in members) == doc["selected"]


def test_sites_geojson_holds_every_candidate(written):
    out, doc = written
    sites = gpd.read_file(out / "sites.geojson")
    assert len(sites) == 60 and sorted(sites.loc[sites["selected"], "site_id"]) == doc["selected"]
    assert sites.set_index("site_id").at["RO-CER", "capex_eur"] == 2_768_000_000


def test_geopackage_reads_back_with_geopandas(written):
    out, doc = written
    gigafactories = gpd.read_file(out / "siteopt.gpkg", layer="gigafactories")
    sites = gpd.read_file(out / "siteopt.gpkg", layer="sites")
    assert gigafactories.crs.to_epsg() == 4326 and sites.crs.to_epsg() == 4326
    assert list(gigafactories["gigafactory"]) == [g["id"] for g in doc["gigafactories"]]
    assert list(gigafactories["effective_mw"]) == [g["effective_mw"] for g in doc["gigafactories"]]
    assert (gigafactories.geometry.geom_type == "MultiPoint").all()
    assert len(sites) == 60 and sorted(sites.loc[sites["selected"], "site_id"]) == doc["selected"]
    data = pd.read_csv(DATA / "sites.csv").set_index("site_id")
    located = sites.set_index("site_id")
    assert list(located.geometry.x) == list(data.loc[located.index, "lon"])
    assert list(located.geometry.y) == list(data.loc[located.index, "lat"])
    # the member states' outlines with coverage_by_country.csv's columns, for a choropleth
    countries = gpd.read_file(out / "siteopt.gpkg", layer="coverage_by_country")
    table = pd.read_csv(out / "coverage_by_country.csv")
    assert list(countries.columns.drop("geometry")) == list(table.columns)
    assert list(countries["country"]) == list(table["country"]) and len(countries) == 27
    assert countries["covered"].sum() == doc["covered_population"]
    assert (countries.geometry.geom_type == "MultiPolygon").all()
    outlines = gpd.read_file(DATA / "countries.geojson").set_index("iso_a2")
    france = countries.set_index("country").geometry["FR"]
    assert france.area == pytest.approx(outlines.geometry["FR"].area)
    assert france.contains(sites.set_index("site_id").geometry["FR-LMX"])


def test_csv_tables_agree_with_the_result_and_keep_integers(written):
    out, doc = written
    sites = pd.read_csv(out / "sites.csv").set_index("site_id")
    assert len(sites) == 60 and sorted(sites.index[sites["selected"]]) == doc["selected"]
    for column in ("power_mw", "grid_mw", "capex_eur", "gpus", "population_within_r"):
        assert pd.api.types.is_integer_dtype(sites[column]), column
    assert sites.at["RO-CER", "capex_eur"] == 2_768_000_000
    assert "3400000000," in (out / "sites.csv").read_text(encoding="utf-8")  # not 3.4e9
    gigafactories = pd.read_csv(out / "gigafactories.csv")
    assert list(gigafactories["gigafactory"]) == [g["id"] for g in doc["gigafactories"]]
    assert list(gigafactories["capex_eur"]) == [g["capex_eur"] for g in doc["gigafactories"]]
    letters = pd.read_csv(out / "consolidation.csv", keep_default_na=False)
    assert list(letters.columns) == ["letter_id", "consortium", "site_id", "country",
                                     "requested_mw", "gigafactory", "role", "distance_km"]
    assert len(letters) == 76 and set(letters["role"]) == {"merged", "partner", "unfunded"}
    merged = letters[letters["role"] == "merged"]
    assert sorted(merged["letter_id"]) == sorted(
        letter for g in doc["gigafactories"] for letter in g["merged_letters"])
    coverage = pd.read_csv(out / "coverage_by_country.csv")
    assert len(coverage) == 27
    assert coverage["covered"].sum() == doc["covered_population"]
    assert pd.api.types.is_integer_dtype(coverage["population"])


def test_workbook_has_a_sheet_per_table_with_numbers_as_numbers(written):
    out, doc = written
    book = openpyxl.load_workbook(out / "siteopt.xlsx")
    assert book.sheetnames == ["summary", "gigafactories", "sites", "consolidation",
                               "coverage_by_country"]
    summary = {row[0]: row[1] for row in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["status"] == "optimal" and summary["budget"] == "EUR 20.0 bn"
    sheet = book["sites"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 60
    assert rows["RO-CER"]["capex_eur"] == 2_768_000_000
    assert isinstance(rows["RO-CER"]["capex_eur"], int)
    assert rows["RO-CER"]["selected"] is True
    assert book["gigafactories"].max_row == len(doc["gigafactories"]) + 1
    # shown with separators and as percentages, their values exact; the columns wide enough
    ro_cer = {name: cell for name, cell in zip(header, next(
        row for row in sheet.iter_rows(min_row=2) if row[0].value == "RO-CER"))}
    assert ro_cer["capex_eur"].number_format == "#,##0"
    assert ro_cer["renewable_share"].number_format == "0.0%"
    assert ro_cer["power_mw"].number_format == "General"   # small numbers as they are
    assert ro_cer["lat"].number_format == "General"
    capex_column = ro_cer["capex_eur"].column_letter
    assert sheet.column_dimensions[capex_column].width >= len("2,768,000,000")
    # every table can be sorted and filtered from its header; distances shown to 0.1 km
    assert {book[name].auto_filter.ref for name in book.sheetnames} == {
        book[name].dimensions for name in book.sheetnames}
    countries = book["coverage_by_country"]
    column = {cell.value: cell.column_letter for cell in countries[1]}
    assert countries[f"{column['mean_km']}2"].number_format == "#,##0.0"
    assert countries.column_dimensions[column["mean_km"]].width < 12   # not 17 digits wide


FORMULAS = ['=HYPERLINK("http://127.0.0.1/x","click")', "+cmd|' /C calc'!A0", "-2+3+cmd",
            "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def test_formulas_in_the_data_never_reach_a_spreadsheet_as_formulas(data_dir, run_cli,
                                                                     tmp_path):
    sites = ["RO-CER", "FR-LMX", "ES-ZAZ", "DE-LUB", "IT-BLQ", "PL-POZ"]
    for site, formula in zip(sites, FORMULAS):
        edit_csv(data_dir / "sites.csv", "site_id", site, "name", formula)
        edit_csv(data_dir / "sites.csv", "site_id", site, "consortium", formula)
    edit_csv(data_dir / "letters.csv", "letter_id", "L001", "consortium", FORMULAS[0])
    result = run_cli("solve", "--data", str(data_dir), "--out", str(tmp_path / "run"))
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "run"
    table = pd.read_csv(out / "sites.csv", dtype=str, keep_default_na=False).set_index("site_id")
    for site, formula in zip(sites, FORMULAS):  # the reader strips surrounding white space
        assert table.at[site, "name"] == "'" + formula.strip()
        assert table.at[site, "consortium"] == "'" + formula.strip()
    letters = pd.read_csv(out / "consolidation.csv", dtype=str, keep_default_na=False)
    assert letters.set_index("letter_id").at["L001", "consortium"] == "'" + FORMULAS[0]
    # numbers that start with "-" are numbers, not text to neutralise
    assert pd.read_csv(out / "sites.csv").set_index("site_id").at["PT-SIN", "lon"] < 0

    book = openpyxl.load_workbook(out / "siteopt.xlsx")
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    names = {row[0].value: row[1] for row in book["sites"].iter_rows(min_row=2)}
    assert names["RO-CER"].value == FORMULAS[0] and names["RO-CER"].data_type == "s"
    assert names["PL-POZ"].value == "=1+1" and names["PL-POZ"].data_type == "s"


def test_identical_runs_write_identical_exports(written, run_cli, tmp_path):
    out, _ = written
    assert run_cli("solve", "--out", str(tmp_path / "again")).exit_code == 0
    for name in FILES:
        if name not in ("result.json", "report.html"):  # these hold the solve time
            assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


def test_whole_numbers_are_whole_in_every_csv(tmp_path, run_cli):
    """Whole numbers are written without '.0', also in a column that has fractions too (the
    energy cost of sites.csv)."""
    import csv as csv_module
    import re

    out = tmp_path / "run"
    assert run_cli("solve", "--out", str(out)).exit_code == 0
    for path in sorted(out.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            cells = [cell for row in csv_module.reader(handle) for cell in row]
        assert not [c for c in cells if re.fullmatch(r"-?\d+\.0", c)], path.name
    with (out / "sites.csv").open(encoding="utf-8", newline="") as handle:
        energy = [row["energy_cost_eur"] for row in csv_module.DictReader(handle)]
    assert "3232650240" in energy
