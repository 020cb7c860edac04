"""The model file: schema, defaults, overrides and their error messages."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest

from siteopt.api import resolve_model
from siteopt.config import (
    SECTIONS,
    apply_overrides,
    default_model,
    load_model,
    load_model_overrides,
    parse_set_items,
    settings,
)
from siteopt.errors import ConfigError
from siteopt.paths import default_model_path, display_path
from tests.conftest import REPO, SCENARIOS


def test_shipped_default_file_sets_every_key_to_its_default():
    document = tomllib.loads(default_model_path().read_text(encoding="utf-8"))
    in_file = {f"{section}.{key}" for section, table in document.items() for key in table}
    assert in_file == {key for key, _ in settings()}
    assert dataclasses.replace(load_model(default_model_path()), source="<defaults>") == default_model()


def test_every_key_is_commented_in_the_default_file():
    lines = default_model_path().read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"no comment above {line!r}"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path):
    cfg = load_model(path)
    assert cfg.source == path.stem   # outputs name a shipped scenario as --model takes it


def test_partial_file_takes_defaults(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("[budget]\ntotal_eur = 8e9\n", encoding="utf-8")
    cfg = load_model(path)
    assert cfg.budget.total_eur == 8e9
    assert cfg.limits == default_model().limits and cfg.weights == default_model().weights


@pytest.mark.parametrize("text, message", [
    ("[weights]\ncovrage = 0.7\n", "unknown key 'weights.covrage'; did you mean 'weights.coverage'?"),
    ("[weight]\ncoverage = 0.7\n", "unknown section [weight]; did you mean 'weights'?"),
    ("[weights]\ncoverage = -0.1\n", "weights.coverage = -0.1 must be >= 0"),
    ("[weights]\ncoverage = 'high'\n", "weights.coverage = 'high' must be a finite number"),
    ("[weights]\ncoverage = '0.7'\n",
     "weights.coverage = '0.7' is text, not a number; give it without quotes (0.7)"),
    ("[limits]\nmax_gigafactories = \" 4\"\n",
     "limits.max_gigafactories = ' 4' is text, not a number; give it without quotes (4)"),
    ("[weights]\ncoverage = 'nan'\n", "weights.coverage = 'nan' must be a finite number"),
    ("[limits]\nmax_gigafactories = 0\n", "limits.max_gigafactories = 0 must be >= 1"),
    ("[limits]\nmax_gigafactories = 2.5\n", "limits.max_gigafactories = 2.5 must be a whole number"),
    # a count past a machine integer ended in NumPy's OverflowError; its 301 digits not shown
    ("[limits]\nmax_gigafactories = 1e300\n",
     "limits.max_gigafactories = 1e300 must be <= 1000000"),
    # (M of 1e9 hung counting the candidates; 1,000,000 sets no limit and solves)
    ("[consolidation]\nmax_sites_per_gigafactory = 1000001\n",
     "consolidation.max_sites_per_gigafactory = 1000001 must be <= 1000000"),
    ("[consolidation]\ncross_border = 1\n", "consolidation.cross_border = 1 must be true or false"),
    ("[budget]\ntotal_eur = 0\n", "budget.total_eur = 0 must be > 0 EUR"),
    ("[budget]\ntotal_eur = 1e300\n", "budget.total_eur = 1e300 must be <= 1e15 EUR"),
    ("[limits]\ntotal_power_mw = 2e9\n",
     "limits.total_power_mw = 2e9 must be <= 1e9 MW"),
    ("[solver]\nname = 'gurobi'\n", "solver.name = 'gurobi' is not supported; choose one of cbc, highs"),
    ("[solver]\nmip_gap = 2\n", "solver.mip_gap = 2 must be <= 1"),
    ("[sites]\nrequired = 'ES-MLN'\n", None),  # a bare string is read as a one-item list
    ("[sites]\nrequired = [1, 2]\n", "sites.required = [1, 2] must be a list of site_id strings"),
    ("budget = 5\n", "'budget' must be a table, e.g. [budget]"),
    ("[budget\n", "not valid TOML"),
    ("[weights]\ncoverage = 0,45  # as typed in Germany\n",
     "line 2 has a decimal comma: write 0,45 as 0.45"),
    ("[budget]\ntotal_eur = 20e9\n[budget]\ntotal_eur = 15e9\n",
     "(at line 3, column 8)); a section or key is given twice: keep one of them"),
    ("[budget]\ntotal_eur = 20e9\ntotal_eur = 15e9\n",
     "a section or key is given twice: keep one of them"),
    ("[weights]\ncoverage = 45 %\n",
     "line 2 gives a percentage: write 45% as 0.45 (a share as a fraction)"),
    ("[budget]\ntotal_eur = 20 bn\n", "line 2 gives a number with a unit or currency: write "
                                       "the number alone, in the key's unit (20e9 for EUR 20 bn"),
    ("[budget]\ntotal_eur = EUR 20e9\n", "line 2 gives a number with a unit or currency"),
    ("[coverage]\nradius_km = 500km\n", "line 2 gives a number with a unit or currency"),
    ("[budget]\ntotal_eur = '20 bn'\n", "budget.total_eur = '20 bn' must be a finite number; "
                                         "write the number alone, without quotes or a unit "
                                         "(e.g. 20e9)"),
])
def test_bad_model_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    if message is None:
        assert load_model(path).sites.required == ("ES-MLN",)
        return
    with pytest.raises(ConfigError) as caught:
        load_model(path)
    assert str(caught.value).startswith(f"{display_path(path)}: ")   # as the headline names it
    assert message in str(caught.value)


def test_numpy_numbers_are_numbers_and_huge_ones_are_refused_in_a_line():
    """A count taken from a table in a notebook is a NumPy integer: it was refused as "not a
    whole number"; 10**400 (TOML and Python allow it) raised OverflowError."""
    import numpy as np

    cfg = resolve_model(None, {"limits.max_gigafactories": np.int64(3),
                               "weights.coverage": np.float32(0.5)})
    assert cfg.limits.max_gigafactories == 3 and type(cfg.limits.max_gigafactories) is int
    assert cfg.weights.coverage == 0.5 and type(cfg.weights.coverage) is float
    for overrides, said in (
            ({"limits.max_gigafactories": 10 ** 400},
             "limits.max_gigafactories = 1e400 must be <= 1000000"),
            ({"budget.total_eur": 10 ** 400}, "budget.total_eur = 1e400 must be a finite number"),
            ({"weights.coverage": np.float64("nan")}, "weights.coverage = nan must be a finite "
                                                      "number"),
            ({"weights.coverage": [1]}, "weights.coverage = [1] must be a finite number"),
            ({"limits.max_gigafactories": 2.5}, "limits.max_gigafactories = 2.5 must be a whole "
                                                 "number")):
        with pytest.raises(ConfigError) as caught:
            resolve_model(None, overrides)
        assert str(caught.value) == f"keyword argument: {said}"
    with pytest.raises(ConfigError, match="model 123: give the name of a shipped scenario"):
        resolve_model(123)


def test_a_model_file_not_in_utf8_is_named_with_the_fix(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[weights]\ncoverage = 0.5\n", encoding="utf-16")
    with pytest.raises(ConfigError) as caught:
        load_model(path)
    assert str(caught.value) == (f"{display_path(path)}: is not UTF-8 text (byte 0); save it "
                                 f"as UTF-8 (in Notepad: Save as, Encoding UTF-8)")


def test_a_section_set_as_a_key_is_named_as_such():
    with pytest.raises(ConfigError) as caught:
        parse_set_items(["weights=0.5"])   # parsing alone is fine: the key is checked on use
        load_model_overrides(default_model(), set_items=["weights=0.5"])
    assert str(caught.value) == ("--set: 'weights' is a section, not a key; set one of its keys "
                                 "(e.g. weights.coverage; `siteopt keys` lists them)")


def test_missing_model_file(tmp_path):
    with pytest.raises(ConfigError, match="model file not found; pass an existing model file or the name of a shipped scenario"):
        load_model(tmp_path / "none.toml")


def test_set_items_are_toml_literals_or_bare_words():
    assert parse_set_items(["weights.coverage=0.7", "solver.name=highs",
                            'sites.required=["ES-MLN", "DE-LUB"]', "limits.max_sites=3"]) == {
        "weights.coverage": 0.7, "solver.name": "highs",
        "sites.required": ["ES-MLN", "DE-LUB"], "limits.max_sites": 3}
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        parse_set_items(["weights.coverage"])


def test_options_override_the_file_and_set_overrides_options():
    cfg = load_model_overrides(default_model(), {"budget.total_eur": 8e9},
                               ["budget.total_eur=9e9", "weights.cost=0.3"])
    assert cfg.budget.total_eur == 9e9 and cfg.weights.cost == 0.3


def test_api_aliases():
    cfg = resolve_model(None, {"budget": 8e9, "max_sites": 3, "solver": "highs", "time_limit": 5,
                               "weights__green": 0.4, "coverage.radius_km": 300, "mip_gap": None})
    assert (cfg.budget.total_eur, cfg.limits.max_gigafactories, cfg.solver.name, cfg.solver.time_limit_s,
            cfg.weights.green, cfg.coverage.radius_km) == (8e9, 3, "highs", 5.0, 0.4, 300.0)


def test_to_dict_has_the_toml_structure_and_hash_follows_values():
    cfg = default_model()
    assert set(cfg.to_dict()) == set(SECTIONS)
    assert cfg.to_dict()["sites"] == {"required": [], "excluded": []}
    changed = apply_overrides(cfg, {"weights.coverage": 0.6})
    assert changed.sha256() != cfg.sha256()
    assert apply_overrides(changed, {"weights.coverage": 0.45}).sha256() == cfg.sha256()


#: Keys of earlier model files and their new names (such files must still be read).
RENAMED_KEYS = [("limits.max_sites", "limits.max_gigafactories"),
                ("limits.max_sites_per_country", "limits.max_bids_per_country")]


@pytest.mark.parametrize("old, new", RENAMED_KEYS)
def test_old_key_names_are_read_with_a_note(tmp_path, old, new):
    section, key = old.split(".")
    path = tmp_path / "old.toml"
    path.write_text(f"[{section}]\n{key} = 2\n", encoding="utf-8")
    cfg = load_model(path)
    section, key = new.split(".")
    assert getattr(getattr(cfg, section), key) == 2
    assert cfg.notes == (f"note: {display_path(path)}: '{old}' is read as '{new}' (its new name)",)
    assert load_model_overrides(default_model(), None, [f"{old}=3"]).notes == (
        f"note: --set: '{old}' is read as '{new}' (its new name)",)


@pytest.mark.parametrize("old, new", RENAMED_KEYS)
def test_a_bad_value_of_an_old_key_names_the_key_as_written(tmp_path, old, new):
    section, key = old.split(".")
    path = tmp_path / "old.toml"
    path.write_text(f"[{section}]\n{key} = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_model(path)
    assert str(caught.value) == f"{display_path(path)}: {old} (now called {new}) = 0 must be >= 1"


def test_old_model_file_runs_with_a_note_on_stderr(tmp_path, monkeypatch):
    """An earlier model file (max_sites, max_sites_per_country) still solves, with notes."""
    import subprocess
    import sys

    path = tmp_path / "old.toml"
    path.write_text("[limits]\nmax_sites = 2\nmax_sites_per_country = 1\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "siteopt", "solve", "--model", str(path),
                           "--format", "json", "--max-sites", "2"], capture_output=True,
                          text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    monkeypatch.chdir(REPO)   # where the command ran
    shown = display_path(path)
    assert done.stderr.splitlines()[:2] == [
        f"note: {shown}: 'limits.max_sites' is read as 'limits.max_gigafactories' (its new name)",
        f"note: {shown}: 'limits.max_sites_per_country' is read as 'limits.max_bids_per_country' "
        f"(its new name)"]
    import json
    assert len(json.loads(done.stdout)["gigafactories"]) <= 2


def test_fast_methods_need_highs():
    with pytest.raises(ConfigError, match=r"solver.method = 'benders' needs solver.name = "
                                          r"'highs' \(it is 'cbc'\): add --solver highs"):
        load_model_overrides(default_model(), {"solver.method": "benders", "solver.name": "cbc"})
    cfg = load_model_overrides(default_model(), {"solver.method": "direct", "solver.name": "highs"})
    assert cfg.solver.method == "direct"


def test_messages_name_where_a_value_came_from(tmp_path):
    """A site list from a model file is blamed on the file; one from --set on --set."""
    from siteopt.api import solve
    from siteopt.errors import ConfigError

    path = tmp_path / "m.toml"
    path.write_text('[sites]\nexcluded = ["XX-NOPE"]\n', encoding="utf-8")
    cfg = load_model(path)
    shown = display_path(path)
    assert cfg.origin("sites.excluded") == shown and cfg.origin("budget.total_eur") == cfg.source
    with pytest.raises(ConfigError,
                       match=rf"^{shown}: sites.excluded names unknown site 'XX-NOPE'"):
        solve(cfg)
    cfg = load_model_overrides(cfg, {"budget.total_eur": 9e9}, ["sites.excluded=XX-NOT"],
                               "command line")
    assert cfg.origin("sites.excluded") == "--set" and cfg.origin("budget.total_eur") == "command line"
    with pytest.raises(ConfigError, match=r"^--set: sites.excluded names unknown site 'XX-NOT'"):
        solve(cfg)


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp, "is not a regular file; pass a TOML model file"),
    (lambda tmp: _write(tmp / "big.toml", "# " + "x" * 1_000_001 + "\n"),
     "1,000,004 bytes is more than a model file holds (at most 1,000,000)"),
    (lambda tmp: _write(tmp / "deep.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),
     "nested too deeply to be a model file"),
    (lambda tmp: _write(tmp / "zero.toml", "[weights]\ncoverage = 0\ngrid = 0\nspread = 0\n"
                                          "clean = 0\ncost = 0.5\n"),
     "every weight of weights.coverage, grid, spread, clean, green, letters, latency, worst, "
     "backup and fairness is 0"),
])
def test_model_files_that_are_not_model_files(tmp_path, make, message):
    with pytest.raises(ConfigError) as caught:
        load_model(make(tmp_path))
    assert message in str(caught.value)


def test_devices_are_not_read_as_model_files():
    with pytest.raises(ConfigError, match=r"/dev/zero: is not a regular file"):
        load_model("/dev/zero")


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_weights_beyond_a_million_are_refused():
    with pytest.raises(ConfigError, match=r"weights.coverage = 1e300 must be <= 1e6"):
        load_model_overrides(default_model(), None, ["weights.coverage=1e300"])
    assert load_model_overrides(default_model(), None, ["weights.coverage=1e6"]).weights.coverage == 1e6
