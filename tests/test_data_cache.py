"""The checked demand table is cached per input hash: unchanged files are not checked again,
changed ones always are, and --no-cache reads everything again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siteopt.data import cache, checks, load_data
from tests.conftest import edit_csv


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """How often demand points are checked against their countries (one call per load), with
    an empty cache of this test's own."""
    monkeypatch.delenv("SITEOPT_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    check = checks.check_points_in_countries

    def counting(frame, id_column, kind, countries, where):
        calls.append(kind)
        return check(frame, id_column, kind, countries, where)

    monkeypatch.setattr(checks, "check_points_in_countries", counting)
    return calls


def test_the_second_load_of_the_same_files_reads_the_cache(data_dir, counted):
    first = load_data(data_dir)
    assert counted.count("population point") == 1
    assert len(list(cache.cache_dir().glob("demand-*.npz"))) >= 1
    second = load_data(data_dir)
    assert counted.count("population point") == 1          # not checked again
    pd.testing.assert_frame_equal(first.demand, second.demand)
    assert first.sha256 == second.sha256


def test_a_changed_file_is_checked_again(data_dir, counted):
    load_data(data_dir)
    edit_csv(data_dir / "demand.csv", "point_id", "GN2600996", "lat", "35.0")  # into the sea
    with pytest.raises(Exception, match="GN2600996"):
        load_data(data_dir)
    assert counted.count("population point") == 2


def test_no_cache_checks_again(data_dir, counted, monkeypatch):
    load_data(data_dir)
    monkeypatch.setenv("SITEOPT_NO_CACHE", "1")
    load_data(data_dir)
    assert counted.count("population point") == 2


def test_a_damaged_cache_file_is_ignored(data_dir, counted):
    first = load_data(data_dir)
    for path in cache.cache_dir().glob("demand-*.npz"):
        path.write_bytes(b"not a numpy file")
    again = load_data(data_dir)
    assert counted.count("population point") == 2
    pd.testing.assert_frame_equal(first.demand, again.demand)


def test_the_cache_holds_no_pickled_objects(data_dir, counted):
    load_data(data_dir)
    for path in cache.cache_dir().glob("demand-*.npz"):
        with np.load(path, allow_pickle=False) as stored:   # would raise on any object array
            assert all(stored[name].dtype != object for name in stored.files)


def test_no_cache_on_the_command_line(data_dir, run_cli, counted, monkeypatch):
    assert run_cli("solve", "--data", str(data_dir), "--format", "json").exit_code == 0
    before = counted.count("population point")
    assert run_cli("solve", "--data", str(data_dir), "--format", "json",
                   "--no-cache").exit_code == 0
    assert counted.count("population point") == before + 1
