"""Data with only the required columns: every command and output works, missing shown as missing."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from siteopt.cli import cli
from siteopt.data.schema import FILES
from tests.conftest import OUT_FILES, DATA

CSV_FILES = [name for name in FILES if name.endswith(".csv")]


def _required_only(source, target) -> list[str]:
    """Copy a CSV file keeping only its required columns; the columns dropped."""
    columns = FILES[source.name]
    keep = [c.name for c in columns if c.required]
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, keep, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return [c.name for c in columns if not c.required]


@pytest.fixture(scope="module")
def minimal_dir(tmp_path_factory):
    """The shipped data with every optional column of every file left out."""
    target = tmp_path_factory.mktemp("minimal") / "data"
    target.mkdir()
    dropped = {}
    for name in CSV_FILES:
        dropped[name] = _required_only(DATA / name, target / name)
    (target / "countries.geojson").write_bytes(
        (DATA / "countries.geojson").read_bytes())
    assert dropped["sites.csv"] and dropped["ai_factories.csv"]   # something is left out
    return target


def run(*args):
    done = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done


@pytest.fixture(scope="module")
def minimal_out(minimal_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("minimal-out") / "run"
    run("solve", "--data", str(minimal_dir), "--out", str(out))
    return out


def test_solve_out_writes_every_file(minimal_out):
    assert sorted(p.name for p in minimal_out.iterdir()) == OUT_FILES


def test_missing_values_are_written_as_missing(minimal_out):
    sites = pd.read_csv(minimal_out / "sites.csv", keep_default_na=False, dtype=str)
    for column in ("consortium", "gpus", "pue", "notes", "capex_basis"):
        assert (sites[column] == "").all(), column
    document = json.loads((minimal_out / "result.json").read_text(encoding="utf-8"))
    assert document["gigafactories"] and all(g["merged_consortia"] is not None
                                             for g in document["gigafactories"])


@pytest.mark.parametrize("suffix", ["png", "html"])
def test_map(minimal_dir, tmp_path, suffix):
    out = tmp_path / f"map.{suffix}"
    run("map", "--data", str(minimal_dir), "--out", str(out))
    assert out.stat().st_size > 1000


def test_report(minimal_dir, tmp_path):
    out = tmp_path / "report.html"
    run("report", "--data", str(minimal_dir), "--out", str(out))
    assert "<html" in out.read_text(encoding="utf-8")[:200].lower()


def test_explain_and_alternatives(minimal_dir):
    assert "is chosen" in run("explain", "RO-CER", "--data", str(minimal_dir)).stdout or \
        "is not chosen" in run("explain", "RO-CER", "--data", str(minimal_dir)).stdout
    assert "rank" in run("alternatives", "--k", "2", "--data", str(minimal_dir)).stdout


def test_interactive_popups_show_a_missing_consortium_as_missing(minimal_out):
    page = (minimal_out / "map.html").read_text(encoding="utf-8")
    assert '["Backers","not given"]' in page


def test_a_study_of_sites_alone_runs_without_letters_or_ai_factories(tmp_path):
    """letters.csv and ai_factories.csv with a header and no rows: every output works, and
    the plan says there are no letters."""
    data = tmp_path / "sites-only"
    data.mkdir()
    for name in FILES:
        source = (DATA / name).read_bytes()
        if name in ("letters.csv", "ai_factories.csv"):
            source = source.split(b"\n", 1)[0] + b"\n"
        (data / name).write_bytes(source)
    printed = run("solve", "--data", str(data), "--out", str(tmp_path / "out")).stdout
    assert "the data hold no letters of interest" in " ".join(printed.split())
    document = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    assert document["terms"]["letters"] == 0 and document["unfunded_letters"] == []
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "no letters of interest" in report
