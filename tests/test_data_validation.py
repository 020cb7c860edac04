"""The loader and every input check: one test per message, asserting its text."""

from __future__ import annotations

import csv
import io
import json
import shutil
import warnings

import numpy as np
import pytest
from shapely.geometry import Point

from siteopt.data import load_data
from siteopt.errors import InputError
from tests.conftest import REPO, edit_csv, rename_column, DATA


def problems_of(directory) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_data(directory)
    return [str(p) for p in caught.value.problems]


def only_problem(directory) -> str:
    problems = problems_of(directory)
    assert len(problems) == 1, problems
    return problems[0]


# --- the shipped data set ------------------------------------------------------------------

def test_shipped_data_has_the_documented_shape():
    data = load_data()
    assert len(data.sites) == 60
    assert data.sites["site_id"].is_unique
    assert len(data.letters) == 76
    assert data.sites["country"].nunique() == 16
    assert len(data.ai_factories) == 19
    assert len(data.countries) == 27
    assert data.sites.crs == "EPSG:4326" and data.demand.crs == "EPSG:4326"
    # some sites carry competing or joint letters
    letters_per_site = data.letters["site_id"].value_counts()
    assert letters_per_site.max() == 3 and (letters_per_site >= 2).sum() >= 8


def test_demand_sums_to_the_eurostat_eu27_total():
    with (REPO / "data/sources/country_figures.csv").open(encoding="utf-8") as handle:
        figures = {row["iso_a2"]: int(row["population_2026"]) for row in csv.DictReader(handle)}
    demand = load_data().demand
    eu_total = sum(figures.values())
    assert abs(demand["population"].sum() - eu_total) <= 0.001 * eu_total
    per_country = demand.groupby("country")["population"].sum()
    assert per_country.to_dict() == figures


def test_illustrative_capex_follows_the_documented_rule():
    sites = load_data().sites
    rule = sites[sites["capex_basis"] == "rule"]
    expected = rule["gpus"] * 30_000 + rule["power_mw"] * 2.0e6
    assert len(rule) >= 40
    assert (rule["capex_eur"] == expected).all()


def test_each_row_is_one_consistent_project():
    """The Black Sea project's two phases add up to its reported totals; no row carries a whole
    project's capex beside one of its parts."""
    sites = load_data().sites.set_index("site_id")
    black_sea = sites.loc[["RO-CER", "RO-DOI"]]
    assert black_sea["power_mw"].sum() == 1500
    assert black_sea["capex_eur"].sum() == 4e9 and black_sea["gpus"].sum() == 100_000
    assert (black_sea["capex_basis"] == "scaled").all()
    assert sites.at["DE-LUB", "capex_eur"] == 3.4e9  # the 200 MW first phase, by the rule


def test_renewable_share_follows_its_basis():
    data = load_data()
    sites = data.sites
    country = data.countries.set_index("iso_a2")
    by_country = sites[sites["renewable_basis"] == "country"]
    assert len(by_country) == 56
    assert np.allclose(by_country["renewable_share"],
                       country.loc[by_country["country"], "renewable_share"].round(3))
    own = sites[sites["co2_g_per_kwh"].notna()]
    assert sorted(own["site_id"]) == ["NL-RTM", "RO-CER", "RO-DOI"]
    assert (own["renewable_basis"] != "country").all()


def test_summary_counts_sites_letters_and_people_per_country():
    summary = load_data().summary().set_index("country")
    assert summary.loc["DE", "sites"] == 8
    assert summary.loc["DE", "letters"] == 11
    assert summary.loc["Total", "sites"] == 60
    assert summary.loc["Total", "letters"] == 76
    assert summary.loc["Total", "population"] == summary.drop("Total")["population"].sum()


# --- one test per message --------------------------------------------------------------------

def test_capex_must_be_positive(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "capex_eur", "-3e9")
    assert only_problem(data_dir) == (f"data/sites.csv line {line}, column capex_eur: '-3e9' "
                                      f"must be > 0 (total capital cost in EUR)")


@pytest.mark.parametrize("column", ["power_mw", "grid_mw"])
def test_power_and_grid_must_be_positive(data_dir, column):
    line = edit_csv(data_dir / "sites.csv", "site_id", "DE-LUB", column, "0")
    assert only_problem(data_dir).startswith(f"data/sites.csv line {line}, column {column}: "
                                             f"'0' must be > 0")


def test_wrong_type_is_named(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "PT-SIN", "power_mw", "lots")
    assert only_problem(data_dir) == (f"data/sites.csv line {line}, column power_mw: 'lots' is "
                                      f"not a finite number (IT power the proposal plans, in MW)")


@pytest.mark.parametrize("value, said", [("", "is empty"), ("NaN", "stands for no value"),
                                         ("N/A", "stands for no value")])
def test_empty_and_nan_values(data_dir, value, said):
    line = edit_csv(data_dir / "sites.csv", "site_id", "FI-KAJ", "lat", value)
    assert only_problem(data_dir) == (f"data/sites.csv line {line}, column lat: '{value}' "
                                      f"{said}; every row needs a value (latitude in WGS84 "
                                      f"degrees)")


@pytest.mark.parametrize("column, value, bounds", [("lat", "95", "-90 and 90"),
                                                    ("lon", "-200", "-180 and 180")])
def test_coordinates_out_of_range(data_dir, column, value, bounds):
    line = edit_csv(data_dir / "demand.csv", "point_id", "GN2761369", column, value)
    assert only_problem(data_dir) == (f"data/demand.csv line {line}, column {column}: '{value}' "
                                      f"must be between {bounds} "
                                      f"({'latitude' if column == 'lat' else 'longitude'} in "
                                      f"WGS84 degrees)")


def test_renewable_share_is_a_fraction(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "SE-BOR", "renewable_share", "89")
    assert only_problem(data_dir) == (f"data/sites.csv line {line}, column renewable_share: '89' "
                                      f"must be between 0 and 1 (share of the site's electricity "
                                      f"from renewables, 0..1)")


def test_whole_numbers(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "SE-BOR", "gpus", "1.5")
    assert only_problem(data_dir).startswith(f"data/sites.csv line {line}, column gpus: '1.5' "
                                             f"must be a whole number")


def test_negative_population(data_dir):
    line = edit_csv(data_dir / "demand.csv", "point_id", "GN2761369", "population", "-5")
    assert only_problem(data_dir) == (f"data/demand.csv line {line}, column population: '-5' "
                                      f"must be >= 0 (people represented by the point)")


def test_duplicate_ids(data_dir):
    first = edit_csv(data_dir / "sites.csv", "site_id", "DE-LUB", "site_id", "DE-LUB")
    line = edit_csv(data_dir / "sites.csv", "site_id", "DE-MUC", "site_id", "DE-LUB")
    problems = problems_of(data_dir)
    assert (f"data/sites.csv line {line}, column site_id: 'DE-LUB' is a duplicate of line "
            f"{first}; IDs must be unique") in problems


def _append_copies(path, key: str, copies: dict[str, str], **changed) -> list[int]:
    """Append to a CSV file a copy of each row ``copies`` names (its ID -> the copy's ID),
    after a blank line, with ``changed`` columns set; returns the copies' lines."""
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    lines = []
    for row in rows:
        if row[key] in copies:
            out = io.StringIO()
            csv.DictWriter(out, row.keys(), lineterminator="\n").writerow(
                {**row, key: copies[row[key]], **changed})
            lines.append(text.count("\n") + 1)
            text += out.getvalue()
    path.write_text(text, encoding="utf-8")
    return lines


def _repeat_warnings(directory) -> list[str]:
    from siteopt.errors import DataWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_data(directory)
    return [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_a_row_repeated_but_for_its_id_is_warned_of_with_both_lines(data_dir):
    """A letter pasted twice and given the next number would count twice: accepted (it may be
    meant), but said, naming the copy's line and the line it repeats."""
    line, = _append_copies(data_dir / "letters.csv", "letter_id", {"L003": "L999"})
    original = edit_csv(data_dir / "letters.csv", "letter_id", "L003", "letter_id", "L003")
    assert _repeat_warnings(data_dir) == [
        f"data/letters.csv line {line}: L999 repeats L003 (line {original}) in every column but "
        f"letter_id: a copy? delete it, or correct what differs"]


def test_several_repeats_are_one_warning(data_dir):
    """Rows with empty optional figures (NaN) repeat as well; five copies are one warning that
    lists three and counts the rest."""
    ids = ["DE-LUB", "DE-MUC", "ES-NAV", "IT-BLQ", "RO-CER"]
    lines = _append_copies(data_dir / "sites.csv", "site_id", {i: i + "-2" for i in ids})
    said, = _repeat_warnings(data_dir)
    assert said.startswith(f"data/sites.csv lines {', '.join(map(str, lines[:4]))} and "
                           f"{lines[4]}: ")
    assert said.count(" repeats ") == 3 and "and 2 more in every column but site_id: copies? " \
        "delete them, or correct what differs" in said


@pytest.mark.parametrize("file, key, row_id, changed", [
    ("letters.csv", "letter_id", "L003", {"requested_mw": "251"}),
    ("demand.csv", "point_id", "GN2761369", {"name": "Another place"}),   # the same numbers
    ("sites.csv", "site_id", "DE-LUB", {"notes": ""}),
])
def test_a_copy_that_differs_in_one_value_is_no_repeat(data_dir, file, key, row_id, changed):
    _append_copies(data_dir / file, key, {row_id: "X-1" if file == "sites.csv" else "X1"},
                   **changed)
    assert _repeat_warnings(data_dir) == []


def test_a_repeated_population_point_is_warned_of(data_dir):
    line, = _append_copies(data_dir / "demand.csv", "point_id", {"GN2761369": "GN9"})
    said, = _repeat_warnings(data_dir)
    assert said.startswith(f"data/demand.csv line {line}: GN9 repeats GN2761369 (line ")


def test_malformed_id(data_dir):
    line = edit_csv(data_dir / "letters.csv", "letter_id", "L001", "letter_id", "L 001")
    assert only_problem(data_dir) == (f"data/letters.csv line {line}, column letter_id: 'L 001' "
                                      f"may contain only letters, digits and '-' (unique letter "
                                      f"identifier, e.g. L001)")


def test_an_invisible_character_is_shown_by_its_code(data_dir):
    """A byte-order mark pasted before an ID, a zero-width space inside a number: the value
    looks right on screen, so the message writes the character out."""
    line = edit_csv(data_dir / "letters.csv", "letter_id", "L001", "letter_id", "\ufeffL001")
    power = edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "power_mw", "2\u200b00")
    assert problems_of(data_dir) == [
        f"data/sites.csv line {power}, column power_mw: '2\\u200b00' is not a finite number "
        f"(IT power the proposal plans, in MW)",
        f"data/letters.csv line {line}, column letter_id: '\\ufeffL001' may contain only "
        f"letters, digits and '-' (unique letter identifier, e.g. L001)"]


@pytest.mark.parametrize("value, hint", [
    ("XX", "use an ISO 3166-1 alpha-2 code that data/countries.geojson has"),
    ("EL", "use 'GR'"),
    ("de", "use upper case 'DE'"),
])
def test_unknown_country(data_dir, value, hint):
    line = edit_csv(data_dir / "ai_factories.csv", "factory_id", "AIF-DE-JAIF", "country", value)
    assert only_problem(data_dir) == (f"data/ai_factories.csv line {line}, column country: "
                                      f"'{value}' is not a country in data/countries.geojson; "
                                      f"{hint}")


def test_choice_column(data_dir):
    line = edit_csv(data_dir / "letters.csv", "letter_id", "L002", "provenance", "rumour")
    assert only_problem(data_dir) == (f"data/letters.csv line {line}, column provenance: 'rumour' "
                                      f"must be one of reported, illustrative (whether the figures "
                                      f"are reported by a source or illustrative)")


def test_letter_points_to_unknown_site(data_dir):
    line = edit_csv(data_dir / "letters.csv", "letter_id", "L002", "site_id", "AT-VIX")
    assert only_problem(data_dir) == (f"data/letters.csv line {line}, column site_id: 'AT-VIX' is "
                                      f"not a site_id in data/sites.csv; did you mean 'AT-VIE'?")


def test_an_id_that_differs_only_in_case_is_named_as_such(data_dir, run_cli):
    line = edit_csv(data_dir / "letters.csv", "letter_id", "L002", "site_id", "at-lnz")
    assert only_problem(data_dir) == (f"data/letters.csv line {line}, column site_id: 'at-lnz' "
                                      f"is not a site_id in data/sites.csv; did you mean "
                                      f"'AT-LNZ'? IDs are case-sensitive")
    edit_csv(data_dir / "letters.csv", "letter_id", "L002", "site_id", "AT-LNZ")
    for args in (("explain", "es-nav"), ("solve", "--set", "sites.required=es-nav")):
        done = run_cli(*args, "--data", str(data_dir))
        assert done.exit_code == 2
        assert "did you mean 'ES-NAV'? IDs are case-sensitive" in done.stderr


def test_messages_name_the_data_directory_used(data_dir, run_cli):
    """Under --data, messages and footnotes point at that directory, not the shipped data."""
    bids = data_dir.rename(data_dir.parent / "bids")
    done = run_cli("solve", "--data", str(bids), "--set", "sites.required=XX-NONE")
    assert done.exit_code == 2 and "the site IDs are in bids/sites.csv" in done.stderr
    text = " ".join(run_cli("solve", "--data", str(bids)).stdout.split())
    # the same content as the shipped data set: named as such, with its README for sources
    assert "data: eu2026 (2026-12-02), in bids)" in text
    assert "how the figures were made: siteopt/datasets/eu2026/README.md" in text
    edit_csv(bids / "sites.csv", "site_id", "ES-ZAZ", "source", "our own survey")
    text = " ".join(run_cli("solve", "--data", str(bids)).stdout.split())
    assert "data: eu2026 (2026-12-02) with sites.csv changed, in bids)" in text
    assert "how the figures were made: the source column of bids/sites.csv" in text


def test_site_inside_another_country(data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "AT-VIE", "country", "DE")
    problem = only_problem(data_dir)
    assert problem.startswith(f"data/sites.csv line {line}, column country: site AT-VIE at lat "
                              f"48.2085, lon 16.3721 lies in Austria (AT), ")
    distance_km = int(problem.split("(AT), ")[1].split(" km")[0])
    assert 180 <= distance_km <= 260  # Vienna to the nearest German border, about 210 km
    assert "fix 'country', or 'lat' and 'lon'" in problem


def test_site_far_from_its_country_at_sea(data_dir):
    sites = data_dir / "sites.csv"
    edit_csv(sites, "site_id", "PT-SIN", "lon", "-12.5")
    problem = only_problem(data_dir)
    assert "site PT-SIN at lat 37.9562, lon -12.5 lies " in problem
    assert " km from PT; " in problem and "lies in" not in problem


def test_swapped_latitude_and_longitude_are_named(data_dir):
    sites = data_dir / "sites.csv"
    line = edit_csv(sites, "site_id", "AT-VIE", "lat", "16.3721")
    edit_csv(sites, "site_id", "AT-VIE", "lon", "48.2085")
    problem = only_problem(data_dir)
    assert problem.startswith(f"data/sites.csv line {line}, column country: site AT-VIE at lat "
                              f"16.3721, lon 48.2085 lies ")
    assert problem.endswith(" km from AT; 'lat' and 'lon' look swapped: swap them (sites may "
                            "lie at most 5 km outside their country)")


def test_site_just_off_the_coast_is_accepted_further_out_refused(data_dir):
    # Sines (lon -8.87) lies on the coast: 3 km out to sea is accepted, 8 km is not
    edit_csv(data_dir / "sites.csv", "site_id", "PT-SIN", "lon", "-8.91")
    assert len(load_data(data_dir).sites) == 60
    edit_csv(data_dir / "sites.csv", "site_id", "PT-SIN", "lon", "-8.97")
    assert " km from PT; " in only_problem(data_dir)


def test_fessenheim_lies_in_france_on_the_1_to_10m_borders(data_dir):
    """On the old 1:110m outlines this Rhine-bank site fell inside Germany."""
    countries = load_data(data_dir).countries.set_index("iso_a2")
    fessenheim = Point(7.562, 47.903)
    assert countries.geometry["FR"].contains(fessenheim)
    assert not countries.geometry["DE"].contains(fessenheim)
    assert {"MT", "CY"} <= set(countries.index)


@pytest.mark.parametrize("file, id_column, key, kind", [
    ("demand.csv", "point_id", "GN2761369", "population point"),
    ("ai_factories.csv", "factory_id", "AIF-ES-BSC", "AI Factory")])
def test_points_far_outside_their_country_are_refused(data_dir, file, id_column, key, kind):
    line = edit_csv(data_dir / file, id_column, key, "country", "PT")
    problem = only_problem(data_dir)
    assert problem.startswith(f"data/{file} line {line}, column country: {kind} {key} at lat ")
    assert " lies in " in problem and " km from PT; fix 'country', or 'lat' and 'lon'" in problem


def test_missing_column_with_typo_suggests_the_name(data_dir):
    rename_column(data_dir / "sites.csv", "capex_eur", "capex_euro")
    assert only_problem(data_dir) == ("data/sites.csv, column capex_eur: required column is "
                                      "missing; found 'capex_euro': rename it to 'capex_eur'")


def test_missing_column_without_typo_says_what_to_add(data_dir):
    rename_column(data_dir / "letters.csv", "requested_mw", "zzz")
    assert only_problem(data_dir) == ("data/letters.csv, column requested_mw: required column is "
                                      "missing; add a 'requested_mw' column (IT power the letter "
                                      "asks for, in MW)")


def test_missing_file(data_dir):
    (data_dir / "letters.csv").unlink()
    assert only_problem(data_dir) == ("data/letters.csv: file not found; every data directory "
                                      "needs it (siteopt init --empty DIR writes a template)")


def test_empty_file(data_dir):
    (data_dir / "sites.csv").write_text("", encoding="utf-8")
    assert only_problem(data_dir) == ("data/sites.csv: file is empty; it needs a header line and "
                                      "one row per record (siteopt init --empty DIR writes a "
                                      "template)")


@pytest.mark.parametrize("name", ["sites.csv", "demand.csv"])
def test_header_without_rows(data_dir, name):
    """Sites and people are needed; letters and AI Factories may be none (a sites-only
    study, tests/test_minimal_data.py)."""
    text = (data_dir / name).read_text(encoding="utf-8").split("\n")[0] + "\n"
    (data_dir / name).write_text(text, encoding="utf-8")
    problems = problems_of(data_dir)
    assert (f"data/{name}: has a header but no rows; add its records below the header, one per "
            f"row (siteopt init DIR writes a filled-in copy to start from)") in problems


def test_unreadable_csv(data_dir):
    path = data_dir / "letters.csv"
    text = path.read_text(encoding="utf-8")
    line = text.count("\n") + 1
    path.write_text(text + 'L999,ES-MLN,"unclosed,1,reported\n'
                    'L998,ES-MLN,x,1,reported,extra,fields\n', encoding="utf-8")
    assert only_problem(data_dir) == (
        f"data/letters.csv line {line}: cannot be read as CSV (a quote opened on this line is "
        f"never closed); check the quoting and that every line has as many fields as the header")
    path.write_text(text + 'L998,ES-MLN,x,1,reported,extra,fields\n', encoding="utf-8")
    assert only_problem(data_dir) == (
        f"data/letters.csv line {line}: has a value past the header's 5 named columns ('extra' "
        f"in field 6); check the quoting, or name its column in the header")
    path.write_text(text + 'L997,ES-MLN,"x"y,1,reported\n', encoding="utf-8")
    assert only_problem(data_dir).startswith(
        f"data/letters.csv line {line}: cannot be read as CSV (',' expected after '\"')")


def test_unnamed_columns_a_spreadsheet_adds_at_the_end_are_no_columns(data_dir):
    """Excel writes ``,,`` after the last column where cells beyond it were once formatted."""
    path = data_dir / "letters.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    path.write_text("\n".join(line + ",," for line in lines) + "\n", encoding="utf-8")
    letters = load_data(data_dir).letters
    assert len(letters) == len(lines) - 1
    assert list(letters["letter_id"]) == [line.split(",")[0] for line in lines[1:]]
    header = lines[0].split(",")
    path.write_text("\n".join([",".join(header[:2] + [""] + header[2:])]
                              + [line.replace(",", ",,", 1) for line in lines[1:]]) + "\n",
                    encoding="utf-8")
    assert only_problem(data_dir) == ("data/letters.csv: the header's column 3 has no name; "
                                      "give every column a name or delete it")
    path.write_text("\n" + text, encoding="utf-8")
    assert only_problem(data_dir) == ("data/letters.csv: line 1 is blank; the first line must "
                                      "be the header with the column names")


def test_problems_name_the_line_a_record_begins_on(data_dir):
    """A blank line, a row of separators and a note over two lines (Alt+Enter in Excel) are
    counted as a text editor counts lines: the bad cell is named on its own line."""
    path = data_dir / "sites.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[1][rows[0].index("notes")] = "first line of a note\nits second line"
    country = rows[4][rows[0].index("country")]
    rows[4][rows[0].index("country")] = "XX"
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows[:3] + [[]] + [[""] * len(rows[0])]
                                                    + rows[3:])
    path.write_text(text.getvalue(), encoding="utf-8")
    # header 1, row 1 on lines 2-3, row 2 on 4, blank 5, separators 6, row 3 on 7, row 4 on 8
    assert "XX" in path.read_text(encoding="utf-8").split("\n")[7]
    problem = only_problem(data_dir)
    assert problem.startswith("data/sites.csv line 8, column country: 'XX' is not a country")
    path.write_text(path.read_text(encoding="utf-8").replace(",XX,", f",{country},"),
                    encoding="utf-8")
    sites = load_data(data_dir).site_table   # the blank records are no sites
    assert list(sites["site_id"]) == [row[0] for row in rows[1:]]
    assert sites["notes"][0] == "first line of a note\nits second line"


def test_not_utf8(data_dir):
    path = data_dir / "sites.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    problem = only_problem(data_dir)
    assert problem.startswith("data/sites.csv: is not UTF-8 text (byte ")
    assert "save it as 'CSV UTF-8'" in problem


def test_missing_data_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert only_problem(tmp_path / "nowhere") == ("nowhere: data directory not found; pass an "
                                                  "existing directory or .xlsx workbook to "
                                                  "--data")


def test_broken_geojson(data_dir):
    (data_dir / "countries.geojson").write_text('{"type": "FeatureCollection", "features": [',
                                                 encoding="utf-8")
    assert only_problem(data_dir).startswith("data/countries.geojson: cannot be read as GeoJSON (")


def test_a_geojson_key_given_twice_is_refused(data_dir):
    path = data_dir / "countries.geojson"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"type": "FeatureCollection"',
                                 '"type": "FeatureCollection", "type": "Feature"', 1),
                    encoding="utf-8")
    assert only_problem(data_dir) == ("data/countries.geojson: key 'type' is given twice in one "
                                      "object; keep one of them")


def test_country_property_checked_per_feature(data_dir):
    path = data_dir / "countries.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    collection["features"][2]["properties"]["renewable_share"] = 34.4
    path.write_text(json.dumps(collection), encoding="utf-8")
    assert only_problem(data_dir) == ("data/countries.geojson feature 3, column renewable_share: "
                                      "'34.4' must be between 0 and 1 (renewable share of "
                                      "electricity, 0..1)")


def test_all_problems_are_reported_at_once(data_dir):
    edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "capex_eur", "-1")
    edit_csv(data_dir / "letters.csv", "letter_id", "L002", "site_id", "NOPE")
    edit_csv(data_dir / "demand.csv", "point_id", "GN2761369", "population", "-1")
    problems = problems_of(data_dir)
    assert [p.split(" ")[0] for p in problems] == ["data/sites.csv", "data/letters.csv",
                                                   "data/demand.csv"]


def test_at_most_fifty_problems(data_dir):
    path = data_dir / "demand.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1:80] = [",".join(line.split(",")[:-1] + ["-1"]) for line in lines[1:80]]
    path.write_text("\n".join(lines), encoding="utf-8")
    assert len(problems_of(data_dir)) == 50


# --- spreadsheet exports are read correctly -----------------------------------------------

def test_byte_order_mark_and_crlf_are_read(data_dir):
    path = data_dir / "sites.csv"
    text = path.read_text(encoding="utf-8")
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    data = load_data(data_dir)
    assert list(data.sites.columns[:2]) == ["site_id", "name"]
    assert data.sites["capex_eur"].sum() == load_data().sites["capex_eur"].sum()


def test_semicolons_with_decimal_commas_are_read(data_dir):
    path = data_dir / "letters.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][3] = rows[1][3] + ",5"  # decimal comma
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(rows)
    letters = load_data(data_dir).letters
    assert len(letters) == 76
    assert letters["requested_mw"].iat[0] == float(rows[1][3].replace(",", "."))


# --- the data build script -----------------------------------------------------------------

def test_build_script_reproduces_the_shipped_files(tmp_path, monkeypatch):
    import importlib.util

    monkeypatch.syspath_prepend(str(REPO / "data"))   # build_data imports write_manifest
    spec = importlib.util.spec_from_file_location("build_data", REPO / "data/build_data.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for name in ("sites.csv", "letters.csv", "ai_factories.csv", "README.md", "manifest.json"):
        shutil.copy(DATA / name, tmp_path / name)   # what the build does not derive
    monkeypatch.setattr(build, "DATA_SET", tmp_path)
    monkeypatch.setattr(build, "NEIGHBOURS", tmp_path / "neighbours.geojson")
    build.main()
    for name in ("demand.csv", "countries.geojson", "manifest.json"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
    assert (tmp_path / "neighbours.geojson").read_bytes() == \
        (DATA.parents[1] / "report/assets/neighbours.geojson").read_bytes()


@pytest.mark.parametrize("value, message", [
    ("4.2", "'4.2' is not plausible: it must be between EUR 1 m (1e6) and EUR 1 tn (1e12); it "
            "looks like billions written as euros: write 4.2e9 for EUR 4.2 bn"),
    ("1e15", "'1e15' is not plausible: it must be between EUR 1 m (1e6) and EUR 1 tn (1e12) "
             "(total capital cost in EUR)"),
    ("1e300", "'1e300' is not plausible: it must be between EUR 1 m (1e6) and EUR 1 tn (1e12)"),
])
def test_capex_must_be_plausible(data_dir, value, message):
    line = edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "capex_eur", value)
    problem = only_problem(data_dir)
    assert problem.startswith(f"data/sites.csv line {line}, column capex_eur: ")
    assert message in problem


@pytest.mark.parametrize("file, key_column, key, column, value, said", [
    ("sites.csv", "site_id", "ES-MLN", "power_mw", "1e300",
     "at most 100,000 MW (100 GW) for one site (IT power the proposal plans, in MW)"),
    ("sites.csv", "site_id", "ES-MLN", "grid_mw", "200000", "at most 100,000 MW (100 GW)"),
    ("sites.csv", "site_id", "ES-MLN", "pue", "1e300",
     "at most 10 (data centres run at about 1.1 to 2) (power usage effectiveness)"),
    ("sites.csv", "site_id", "ES-MLN", "gpus", "1e300", "at most 100 million (1e8) for one site"),
    ("sites.csv", "site_id", "ES-MLN", "elec_price_eur_mwh", "1e300", "at most EUR 10,000/MWh"),
    ("sites.csv", "site_id", "ES-MLN", "co2_g_per_kwh", "5000", "at most 2,000 g/kWh"),
    ("letters.csv", "letter_id", "L001", "requested_mw", "1e300", "at most 100,000 MW"),
])
def test_figures_that_would_overflow_a_cost_are_not_plausible(data_dir, file, key_column, key,
                                                              column, value, said):
    """A PUE or power of 1e300 made a site's energy cost infinite and the objective NaN (the
    search then multiplied NaN into its bounds); each is one line naming cell and range."""
    line = edit_csv(data_dir / file, key_column, key, column, value)
    problem = only_problem(data_dir)
    assert problem.startswith(f"data/{file} line {line}, column {column}: '{value}' is not "
                              f"plausible: it must be ")
    assert said in problem


def test_population_per_point_must_be_plausible(data_dir):
    line = edit_csv(data_dir / "demand.csv", "point_id", "GN2950159", "population", "1e308")
    assert only_problem(data_dir) == (
        f"data/demand.csv line {line}, column population: '1e308' is not plausible: it must be "
        f"at most 1e9 people for one point (people represented by the point)")


def test_duplicate_column_headers_are_refused(data_dir):
    path = data_dir / "sites.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace(",grid_mw,", ",capex_eur,", 1)  # two capex_eur columns
    path.write_text("\n".join(lines), encoding="utf-8")
    assert only_problem(data_dir) == (
        "data/sites.csv: the header names a column twice: 'capex_eur' (columns 7 and 9); keep "
        "one column of each name")


@pytest.mark.parametrize("first, said", [("Candidate sites, December 2026",
                                           "'Candidate sites, December 2026' is"),
                                          (",,,,", "is empty,")])
def test_a_title_line_above_the_header_is_named_with_its_fix(data_dir, first, said):
    """Not 'a value past the header's 2 named columns' (the title's comma made two) nor 'the
    header's column 1 has no name'."""
    path = data_dir / "sites.csv"
    path.write_text(first + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert only_problem(data_dir) == (
        f"data/sites.csv line 1: {said} not the header: the header (site_id, name, country, "
        f"...) is in line 2; delete the lines above it")


def test_a_header_in_other_case_is_named_as_the_column_meant(data_dir):
    rename_column(data_dir / "letters.csv", "site_id", "Site_ID")
    assert only_problem(data_dir) == ("data/letters.csv, column site_id: required column is "
                                      "missing; found 'Site_ID': rename it to 'site_id'")


def test_one_pass_reports_range_and_geography_problems_together(data_dir):
    capex_line = edit_csv(data_dir / "sites.csv", "site_id", "RO-CER", "capex_eur", "1e15")
    country_line = edit_csv(data_dir / "sites.csv", "site_id", "AT-VIE", "country", "DE")
    point_line = edit_csv(data_dir / "demand.csv", "point_id", "GN2761369", "country", "PT")
    with pytest.raises(InputError) as raised:
        load_data(data_dir)
    problems = [str(p) for p in raised.value.problems]
    assert any(p.startswith(f"data/sites.csv line {capex_line}, column capex_eur: '1e15' is "
                            f"not plausible") for p in problems)
    assert any(p.startswith(f"data/sites.csv line {country_line}, column country: site AT-VIE")
               and "lies in Austria (AT)" in p for p in problems)
    assert any(p.startswith(f"data/demand.csv line {point_line}, column country: population "
                            f"point GN2761369") for p in problems)


def test_the_readme_lists_the_columns_the_schema_checks():
    """data/README.md's column section is what the schema generates: required and optional
    columns cannot drift from the checks."""
    from siteopt.data.schema import columns_markdown

    readme = (DATA / "README.md").read_text(encoding="utf-8")
    shown = readme.split("<!-- columns:start -->\n", 1)[1].split("<!-- columns:end -->", 1)[0]
    assert shown == columns_markdown()
    assert "### `sites.csv`: 11 required, 8 optional columns" in shown
