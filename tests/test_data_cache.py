"""The checked tables are cached per input hash: unchanged files are not read or checked again,
changed ones always are, --no-cache reads everything again, and a warm `solve --format json`
imports nothing beyond NumPy, highspy, click and the standard library."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from siteopt.data import cache, checks, load_data
from siteopt.data.table import Table
from tests.conftest import edit_csv

KINDS = ("site", "population point", "AI Factory")


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """Which kinds of points are checked against their countries (one call per kind and
    load), with an empty cache of this test's own."""
    monkeypatch.delenv("SITEOPT_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    check = checks.check_points_in_countries

    def counting(frame, id_column, kind, countries, where):
        calls.append(kind)
        return check(frame, id_column, kind, countries, where)

    monkeypatch.setattr(checks, "check_points_in_countries", counting)
    return calls


def test_the_cache_lives_under_an_absolute_xdg_cache_home_only(monkeypatch, tmp_path):
    """A relative XDG_CACHE_HOME (which the XDG specification says to ignore) put the cache
    under whatever directory a command ran in."""
    from pathlib import Path

    from siteopt.data.cache import cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache" / "siteopt"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for relative in ("relative/path", ""):
        monkeypatch.setenv("XDG_CACHE_HOME", relative)
        assert cache_dir() == Path(tmp_path / "home" / ".cache" / "siteopt")


def _assert_same_data(first, second):
    for name in ("sites", "demand", "ai_factories", "countries"):
        assert_geodataframe_equal(getattr(first, name), getattr(second, name))
    pd.testing.assert_frame_equal(first.letters, second.letters)
    assert first.sha256 == second.sha256


def test_the_second_load_of_the_same_files_reads_the_cache(data_dir, counted):
    first = load_data(data_dir)
    assert sorted(counted) == sorted(KINDS)
    assert len(list(cache.cache_dir().glob("tables-*.npz"))) == 1
    second = load_data(data_dir)
    assert sorted(counted) == sorted(KINDS)          # nothing checked again
    _assert_same_data(first, second)                  # the country shapes included
    assert second.countries.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_an_empty_text_cell_comes_back_the_same(data_dir, counted):
    edit_csv(data_dir / "sites.csv", "site_id", "DE-LUB", "notes", "")
    first = load_data(data_dir)
    second = load_data(data_dir)
    assert second.site_table["notes"][0] == first.site_table["notes"][0] == ""
    _assert_same_data(first, second)


def test_missing_text_numbers_and_flags_round_trip(counted):
    """Missing text stays missing (not '' or 'None'), text 'None' stays text, NaN stays NaN."""
    table = Table({"name": np.array(["a", None, "None", ""], dtype=object),
                   "mw": np.array([1.5, np.nan, 3.0, 4.0]),
                   "flag": np.array([True, False, True, False])})
    cache.write_tables("k", {"sites.csv": table})
    back = cache.read_tables("k")["sites.csv"]
    assert back["name"].tolist() == ["a", None, "None", ""]
    assert np.array_equal(back["mw"], table["mw"], equal_nan=True)
    assert back["flag"].dtype == bool and back["flag"].tolist() == [True, False, True, False]
    pd.testing.assert_frame_equal(back.frame, table.frame)
    assert back.frame["name"].isna().tolist() == [False, True, False, False]


@pytest.mark.parametrize("name, key_column, key, column, value", [
    ("demand.csv", "point_id", "GN2600996", "lat", "35.0"),      # into the sea
    ("sites.csv", "site_id", "DE-LUB", "country", "FR"),          # in another country
    ("letters.csv", "letter_id", "L001", "site_id", "XX-NONE"),   # to an unknown site
])
def test_a_changed_file_is_checked_again(data_dir, counted, name, key_column, key, column,
                                         value):
    load_data(data_dir)
    edit_csv(data_dir / name, key_column, key, column, value)
    with pytest.raises(Exception, match=key if name != "letters.csv" else "XX-NONE"):
        load_data(data_dir)
    assert counted.count("site") == 2


def test_no_cache_checks_again(data_dir, counted, monkeypatch):
    load_data(data_dir)
    monkeypatch.setenv("SITEOPT_NO_CACHE", "1")
    load_data(data_dir)
    assert counted.count("population point") == 2


def test_a_damaged_cache_file_is_ignored(data_dir, counted):
    first = load_data(data_dir)
    for path in cache.cache_dir().glob("tables-*.npz"):
        path.write_bytes(b"not a numpy file")
    again = load_data(data_dir)
    assert counted.count("population point") == 2
    _assert_same_data(first, again)


def test_a_cache_file_without_a_table_or_a_column_is_ignored(data_dir, counted):
    """A readable cache file that lacks a file's table or a required column (edited, or
    written by something else) is not used: the files are read and checked again."""
    first = load_data(data_dir)
    key = next(cache.cache_dir().glob("tables-*.npz")).stem.removeprefix("tables-")
    tables = cache.read_tables(key)
    cache.write_tables(key, {name: table for name, table in tables.items()
                             if name != "letters.csv"})
    _assert_same_data(first, load_data(data_dir))
    sites = tables["sites.csv"]
    cache.write_tables(key, {**tables, "sites.csv": Table(
        {name: sites[name] for name in sites.names if name != "lat"})})
    _assert_same_data(first, load_data(data_dir))
    assert counted.count("population point") == 3
    assert set(cache.read_tables(key)) == set(tables)   # and the cache is mended


def test_the_cache_holds_no_pickled_objects(data_dir, counted):
    load_data(data_dir)
    for path in cache.cache_dir().glob("tables-*.npz"):
        with np.load(path, allow_pickle=False) as stored:   # would raise on any object array
            assert all(stored[name].dtype != object for name in stored.files)


def test_no_cache_on_the_command_line(data_dir, run_cli, counted, monkeypatch):
    assert run_cli("solve", "--data", str(data_dir), "--format", "json").exit_code == 0
    before = counted.count("population point")
    assert run_cli("solve", "--data", str(data_dir), "--format", "json",
                   "--no-cache").exit_code == 0
    assert counted.count("population point") == before + 1


#: Runs the command line in a fresh interpreter and writes the names of the modules it loaded.
LOADED = """
import json, runpy, sys
sys.argv = ["siteopt", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("siteopt", run_name="__main__")
except SystemExit as stop:
    code = stop.code
with open(OUT, "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def _loaded(tmp_path, *args: str) -> tuple[int, set[str]]:
    out = tmp_path / "modules.json"
    code = LOADED.replace("OUT", repr(str(out)))
    subprocess.run([sys.executable, "-c", code, json.dumps(list(args))], check=True,
                   capture_output=True, env=_env(tmp_path))
    found = json.loads(out.read_text())
    return found["code"], {name.split(".")[0] for name in found["modules"]}


def _env(tmp_path) -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if key != "SITEOPT_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


HEAVY = {"pandas", "geopandas", "shapely", "pyproj", "pulp", "scipy", "numba", "matplotlib",
         "folium", "dask", "distributed", "rich"}


def test_a_warm_json_solve_imports_no_heavy_library(data_dir, tmp_path):
    """The second `solve --format json` of the same data reads the validated tables from the
    cache and never imports pandas, geopandas, shapely, PuLP or the like."""
    args = ("solve", "--data", str(data_dir), "--format", "json")
    code, first = _loaded(tmp_path, *args)
    assert code == 0 and {"pandas", "geopandas", "shapely"} <= first   # validated
    code, second = _loaded(tmp_path, *args)
    assert code == 0
    assert {"numpy", "siteopt", "click"} <= second
    assert not second & HEAVY, sorted(second & HEAVY)
    code, table = _loaded(tmp_path, "solve", "--data", str(data_dir))   # the table needs pandas
    assert code == 0 and "pandas" in table
