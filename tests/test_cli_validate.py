"""`siteopt validate`, `--help` and `--version` through the command line."""

from __future__ import annotations

import subprocess
import sys

import siteopt
from tests.conftest import edit_csv


def test_validate_prints_a_clean_summary(run_cli):
    result = run_cli("validate")
    assert result.exit_code == 0
    assert "clean" in result.stdout
    assert ("60 sites (25 reported, 35 illustrative) in 16 countries; 76 letters; 5,376 population "
            "points, 451,991,000 people; 19 AI Factories.") in " ".join(result.stdout.split())
    assert "Germany" in result.stdout and "451,991,000" in result.stdout


def test_bad_data_exits_2_with_one_line_per_problem(run_cli, data_dir):
    line = edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "capex_eur", "-3e9")
    edit_csv(data_dir / "sites.csv", "site_id", "DE-LUB", "renewable_share", "2")
    result = run_cli("validate", "--data", "data")
    assert result.exit_code == 2
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 2
    assert lines[1] == (f"error: data/sites.csv line {line}, column capex_eur: '-3e9' must be > 0 "
                        f"(total capital cost in EUR)")
    assert result.stdout == ""


def test_no_traceback_from_the_installed_command(data_dir):
    (data_dir / "sites.csv").write_text("", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "siteopt", "validate", "--data", str(data_dir)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("sites.csv: file is empty; it needs a header line and one "
                                        "row per record (siteopt init --empty DIR writes a template)")


def test_version_and_help(run_cli):
    from siteopt.data.manifest import shipped_manifest

    manifest = shipped_manifest()
    assert run_cli("--version").stdout.strip() == (
        f"siteopt {siteopt.__version__}, data set {manifest['name']} ({manifest['version']})")
    help_text = run_cli("--help").stdout
    assert "validate" in help_text and "AI Gigafactories" in help_text


def test_works_from_any_directory(tmp_path):
    done = subprocess.run([sys.executable, "-m", "siteopt", "validate"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "60 sites" in done.stdout
