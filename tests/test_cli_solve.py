"""`siteopt solve`: output formats, files, exit codes and the answer on the shipped data."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from siteopt.geometry import haversine_km
from siteopt.model import TERMS
from tests.conftest import REPO, DATA, SCENARIOS


@pytest.fixture(scope="module")
def default_json():
    """The JSON document of the default model (solved once for the module)."""
    done = subprocess.run([sys.executable, "-m", "siteopt", "solve", "--budget", "20e9",
                           "--format", "json"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # exactly one JSON document: json.loads rejects trailing text


def test_json_document_keys_and_types(default_json):
    doc = default_json
    assert doc["status"] == "optimal"
    assert isinstance(doc["objective"], float)
    assert set(doc["terms"]) == set(TERMS) and all(0 <= doc["terms"][t] <= 1 for t in TERMS)
    assert doc["selected"] == sorted(doc["selected"]) and 1 <= len(doc["gigafactories"]) <= 5
    assert isinstance(doc["total_capex_eur"], float) and isinstance(doc["total_power_mw"], float)
    assert isinstance(doc["covered_population"], float)
    assert doc["countries"] == sorted(doc["countries"])
    members = [m for g in doc["gigafactories"] for m in g["members"]]
    assert sorted(members) == doc["selected"]
    for g in doc["gigafactories"]:
        assert set(g) == {"id", "name", "members", "countries", "effective_mw", "capex_eur",
                          "extra_site_cost_eur", "energy_cost_eur", "merged_letters",
                          "partner_letters", "merged_consortia", "partner_consortia",
                          "requested_mw"}
        assert g["id"] == "+".join(g["members"]) and g["energy_cost_eur"] > 0
        letters = pd.read_csv(DATA / "letters.csv").set_index("letter_id")
        for role in ("merged", "partner"):
            expected = list(dict.fromkeys(letters.loc[g[f"{role}_letters"], "consortium"]))
            assert g[f"{role}_consortia"] == expected
        assert set(letters.loc[g["merged_letters"], "site_id"]) <= set(g["members"])
    homed = [lid for g in doc["gigafactories"] for lid in g["merged_letters"] + g["partner_letters"]]
    assert sorted(homed + doc["unfunded_letters"]) == [f"L{i:03d}" for i in range(1, 77)]
    assert doc["terms"]["letters"] == pytest.approx(len(homed) / 76)
    assert set(doc["model"]) == {"budget", "limits", "coverage", "consolidation", "weights",
                                 "access", "costs", "sites", "solver", "robust"}
    assert doc["model"]["budget"]["total_eur"] == 20e9
    assert set(doc["solver"]) >= {"name", "seconds", "gap"} and doc["solver"]["gap"] == 0
    assert set(doc["inputs"]) == {"sites.csv", "letters.csv", "demand.csv", "ai_factories.csv",
                                  "countries.geojson", "model"}


def test_inputs_are_the_sha256_of_the_files(default_json):
    for name, digest in default_json["inputs"].items():
        if name != "model":
            assert digest == hashlib.sha256((DATA / name).read_bytes()).hexdigest()


def test_default_answer_respects_every_limit_and_adds_up(default_json):
    """Every figure of the default answer recomputed from the data files, without siteopt."""
    doc = default_json
    sites = pd.read_csv(DATA / "sites.csv").set_index("site_id")
    countries = pd.DataFrame([f["properties"] for f in json.loads(
        (DATA / "countries.geojson").read_text(encoding="utf-8"))["features"]]
                             ).set_index("iso_a2")
    chosen = sites.loc[doc["selected"]]
    mw = np.minimum(np.minimum(chosen["power_mw"], chosen["grid_mw"]), 1000)
    extra = 150e6 * sum(len(g["members"]) - 1 for g in doc["gigafactories"])
    assert chosen["capex_eur"].sum() + extra == pytest.approx(doc["total_capex_eur"])
    assert doc["total_capex_eur"] <= 20e9
    assert mw.sum() == doc["total_power_mw"] <= 5000
    for g in doc["gigafactories"]:  # one member state per gigafactory, one bid per state
        assert len(set(sites.loc[g["members"], "country"])) == 1
    assert len(doc["countries"]) == len(doc["gigafactories"])
    # coverage recomputed from scratch with a dense distance matrix
    demand = pd.read_csv(DATA / "demand.csv")
    near = haversine_km(demand["lat"].to_numpy()[:, None], demand["lon"].to_numpy()[:, None],
                        chosen["lat"].to_numpy()[None, :], chosen["lon"].to_numpy()[None, :])
    covered = demand["population"].to_numpy()[(near <= 500).any(axis=1)].sum()
    assert doc["covered_population"] == covered
    assert doc["terms"]["coverage"] == pytest.approx(covered / demand["population"].sum())
    assert doc["terms"]["grid"] == pytest.approx(mw.sum() / 5000)
    assert doc["terms"]["spread"] == pytest.approx(len(doc["countries"]) / 5)
    co2 = chosen["co2_g_per_kwh"].fillna(countries.loc[chosen["country"], "co2_g_per_kwh"]
                                         .set_axis(chosen.index))
    assert doc["terms"]["clean"] == pytest.approx((mw * (1 - co2 / 1000).clip(0)).sum() / 5000)
    price = chosen["elec_price_eur_mwh"]
    energy = (mw * chosen["pue"] * 0.8 * 8760 * price * 10).sum()
    assert doc["total_energy_cost_eur"] == pytest.approx(energy)
    assert doc["terms"]["cost"] == pytest.approx((doc["total_capex_eur"] + energy) / 60e9)
    weights = doc["model"]["weights"]
    assert doc["objective"] == pytest.approx(
        sum(weights[t] * doc["terms"][t] for t in TERMS if t != "cost")
        - weights["cost"] * doc["terms"]["cost"])


def test_no_single_change_improves_the_default_answer(default_json):
    """A local check of optimality that needs no solver: swapping one member for another site,
    adding a site to a gigafactory or dropping one never raises the objective."""
    from siteopt.api import resolve_model
    from siteopt.data import load_data
    from siteopt.instance import prepare_instance

    instance = prepare_instance(load_data(), resolve_model()).instance
    ids = list(instance.site_ids)
    portfolio = [tuple(ids.index(m) for m in g["members"]) for g in default_json["gigafactories"]]
    best = instance.objective(instance.evaluate(portfolio))
    assert best == pytest.approx(default_json["objective"])
    used = {s for g in portfolio for s in g}
    trials = 0
    for k, members in enumerate(portfolio):
        for other in range(len(ids)):
            if other in used:
                continue
            changes = [tuple(sorted(members + (other,)))]
            changes += [tuple(sorted(set(members) - {m} | {other})) for m in members]
            for changed in changes:
                trial = portfolio[:k] + [changed] + portfolio[k + 1:]
                if not instance.violations(trial):
                    trials += 1
                    assert instance.objective(instance.evaluate(trial)) <= best + 1e-12
    assert trials > 50


def test_single_site_scenario_equals_the_single_site_model(default_json):
    """M = 1 with the earlier weights gives exactly the optimum of the single-site model,
    built here independently as a plain PuLP program over y_s (no candidates, no x_g)."""
    import pulp

    from siteopt.api import resolve_model, solve
    from siteopt.data import load_data
    from siteopt.instance import prepare_instance

    cfg = resolve_model(SCENARIOS / "single-site.toml")
    result = solve(cfg)
    instance = prepare_instance(load_data(), cfg).instance
    w, n = instance.weights, len(instance.site_ids)
    problem = pulp.LpProblem("single_site", pulp.LpMaximize)
    y = [problem.add_variable(f"y{s}", 0, 1 if instance.eligible[s] else 0, cat=pulp.LpInteger)
         for s in range(n)]
    z = [problem.add_variable(f"z{d}", 0, 1) for d in range(len(instance.group_sites))]
    countries = sorted(set(instance.site_country))
    u = {c: problem.add_variable(f"u{c}", 0, 1) for c in countries}
    scale = instance.max_gigafactories * instance.power_cap_mw
    mw, share = instance.effective_mw, instance.renewable_share
    problem += (pulp.lpSum(w.coverage * a / instance.total_population * z[d]
                           for d, a in enumerate(instance.group_population))
                + pulp.lpSum((w.grid + w.green * share[s]) * mw[s] / scale * y[s] for s in range(n))
                + pulp.lpSum(w.spread / instance.max_gigafactories * u[c] for c in countries))
    problem += pulp.lpSum(y) <= instance.max_gigafactories
    problem += pulp.lpSum(instance.capex_eur[s] * y[s] for s in range(n)) <= instance.budget_eur
    problem += pulp.lpSum(mw[s] * y[s] for s in range(n)) <= instance.total_power_mw
    for c in countries:
        in_c = [y[s] for s in range(n) if instance.site_country[s] == c]
        problem += pulp.lpSum(in_c) <= 1
        problem += u[c] <= pulp.lpSum(in_c)
    for d, sites in enumerate(instance.group_sites):
        problem += z[d] <= pulp.lpSum(y[s] for s in sites)
    problem.solve(pulp.HiGHS(msg=False, gapRel=0, gapAbs=0))
    expected = sorted(instance.site_ids[s] for s in range(n) if y[s].varValue > 0.5)
    assert result.selected == expected
    assert [g.id for g in result.gigafactories] == expected
    assert result.objective == pytest.approx(pulp.value(problem.objective), abs=1e-9)


def test_cbc_and_highs_agree_on_the_shipped_data(run_cli, default_json):
    result = run_cli("solve", "--solver", "cbc", "--format", "json")
    assert result.exit_code == 0
    cbc = json.loads(result.stdout)
    assert cbc["objective"] == pytest.approx(default_json["objective"], abs=1e-9)
    assert cbc["selected"] == default_json["selected"]
    assert cbc["gigafactories"] == default_json["gigafactories"]
    assert (cbc["solver"]["name"], default_json["solver"]["name"]) == ("cbc", "siteopt")


def test_same_inputs_same_answer(run_cli, default_json):
    again = json.loads(run_cli("solve", "--format", "json").stdout)
    first = copy.deepcopy(default_json)
    for doc in (again, first):
        doc["solver"].pop("seconds")
        assert set(doc.pop("timings")) == {"load", "coverage", "build", "solve"}
    assert again == first


def test_table_output(run_cli):
    result = run_cli("solve", "--budget", "20e9")
    assert result.exit_code == 0
    text = result.stdout
    for heading in ("Gigafactories (up to 3 sites each, members in one member state)",
                    "Member sites", "Limits", "Objective", "Consolidation plan",
                    "Unfunded letters",
                    "Status: optimal (proven optimal); solver siteopt, method search (auto)"):
        assert heading in text
    assert "EUR 20.00 bn" in text


def test_overrides_reach_the_model(run_cli):
    result = run_cli("solve", "--budget", "8e9", "--max-gigafactories", "2", "--set",
                     "weights.cost=0.5", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["model"]["budget"]["total_eur"] == 8e9
    assert doc["model"]["limits"]["max_gigafactories"] == 2
    assert doc["model"]["weights"]["cost"] == 0.5
    assert len(doc["gigafactories"]) <= 2 and doc["total_capex_eur"] <= 8e9
    alias = json.loads(run_cli("solve", "--budget", "8e9", "--max-sites", "2", "--set",
                               "weights.cost=0.5", "--format", "json").stdout)
    assert alias["gigafactories"] == doc["gigafactories"]


def test_required_and_excluded_sites(run_cli):
    doc = json.loads(run_cli("solve", "--set", "sites.required=DE-LUB", "--set",
                             "sites.excluded=ES-SFH,NL-SAG", "--format", "json").stdout)
    assert "DE-LUB" in doc["selected"]
    assert not {"ES-SFH", "NL-SAG"} & set(doc["selected"])


def test_failed_write_leaves_no_file_behind(run_cli, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "result.json").write_text("old result", encoding="utf-8")
    (out / "sites.csv").mkdir()  # a directory where a file must go: its rename fails
    result = run_cli("solve", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --out {out}: cannot write ")
    assert "choose a writable directory" in result.stderr
    # the old result.json is back, nothing new or temporary is left
    assert sorted(p.name for p in out.iterdir()) == ["result.json", "sites.csv"]
    assert (out / "result.json").read_text(encoding="utf-8") == "old result"


def test_out_named_like_a_file_is_refused_before_the_solve(run_cli, tmp_path):
    """``--out portfolio.xlsx`` would become a directory no spreadsheet opens."""
    result = run_cli("solve", "--out", str(tmp_path / "portfolio.xlsx"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: --out {tmp_path / 'portfolio.xlsx'}: --out takes a "
                             f"directory and writes every output into it (result.json, "
                             f"siteopt.xlsx, siteopt.gpkg, map.png, report.html and more); give "
                             f"a directory, e.g. --out {tmp_path / 'portfolio'}\n")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "run.csv").mkdir()   # an existing directory of that name is the user's choice
    assert run_cli("solve", "--out", str(tmp_path / "run.csv")).exit_code == 0
    assert (tmp_path / "run.csv" / "siteopt.xlsx").is_file()


def test_out_naming_an_existing_file_is_refused_and_says_what_out_takes(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.write_text("mine", encoding="utf-8")
    result = run_cli("solve", "--out", str(notes))
    assert result.exit_code == 2
    assert result.stderr == (f"error: --out {notes}: is a file; --out takes a directory and "
                             f"writes every output into it (result.json, siteopt.xlsx, "
                             f"siteopt.gpkg, map.png, report.html and more); give a "
                             f"directory, e.g. --out {notes}-results\n")
    assert notes.read_text(encoding="utf-8") == "mine"
    # with --format json, scripts get the failure document for it too
    document = json.loads(run_cli("solve", "--out", str(notes), "--format", "json").stdout)
    assert document["exit_code"] == 2 and document["error"].startswith(f"--out {notes}: is a ")


# --- exit codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--budget", "1e9"], "budget EUR 1.00 bn is below the cheapest eligible site, RO-DOI "
                          "at EUR 1.23 bn: no gigafactory fits; raise budget.total_eur to at "
                          "least that"),
    (["--set", "limits.total_power_mw=50"], "limits.total_power_mw = 50 MW is below the "
                                            "smallest eligible site, DE-FRA with 120 MW: no "
                                            "gigafactory fits; raise limits.total_power_mw to at "
                                            "least that"),
    (["--budget", "8e9", "--set", "sites.required=SE-SKE"],
     "required site SE-SKE costs EUR 8.60 bn > budget EUR 8.00 bn"),
    (["--set", "sites.required=ES-MLN,ES-SFH", "--set", "consolidation.link_km=300"],
     "required sites ES-MLN and ES-SFH are 360 km apart but consolidation.link_km is 300; with "
     "limits.max_bids_per_country = 1 they must share one gigafactory"),
    (["--set", "sites.required=ES-MLN,ES-NAV,ES-ZAZ"],
     "required sites ES-MLN, ES-NAV, ES-ZAZ are all in ES and must share one gigafactory "
     "(limits.max_bids_per_country = 1), but together they have 1,800 MW > "
     "limits.gigafactory_power_cap_mw = 1,000 MW"),
    (["--set", "sites.required=ES-MLN,ES-SFH", "--set",
      "consolidation.max_sites_per_gigafactory=1"],
     "required sites ES-MLN, ES-SFH are all in ES: more than limits.max_bids_per_country = 1 "
     "gigafactories of at most consolidation.max_sites_per_gigafactory = 1 sites can hold"),
    (["--set", "sites.required=ES-MLN", "--set", "sites.excluded=ES-MLN"],
     "site ES-MLN is both required and excluded; remove it from sites.required or "
     "sites.excluded"),
    (["--set", "sites.required=PT-SIN", "--set", "limits.min_gigafactory_mw=700"],
     "no portfolio meets every rule together; relaxing any one of limits.min_gigafactory_mw, "
     "consolidation.cross_border, sites.required would make one possible"),
    (["--set", "sites.required=PT-SIN", "--set", "limits.min_gigafactory_mw=950", "--set",
      "consolidation.cross_border=true", "--set", "consolidation.link_km=100"],
     "required site PT-SIN is in no gigafactory the rules allow"),
    (["--set", "limits.min_site_mw=5000"], "no site is eligible"),
    # conflicts only the solver sees: the rule whose relaxation alone helps is named
    (["--max-gigafactories", "1", "--set", "sites.required=ES-MLN,IT-BLQ"],
     "no portfolio meets every rule together; relaxing any one of limits.max_gigafactories, "
     "consolidation.cross_border, sites.required would make one possible"),
    # two gigafactories within EUR 8.2 bn cannot bring everyone within 1,500 km (the access
    # limits were not among the rules tried: "relaxing any one of  would")
    (["--model", "tight-budget", "--set", "access.max_km=1500"],
     "no portfolio meets every rule together; only relaxing access.max_km would make one "
     "possible"),
    # ES-MLN + ES-SFH cost EUR 7.0 bn, but one bid means one gigafactory: + EUR 0.15 bn
    (["--set", "sites.required=ES-MLN,ES-SFH", "--budget", "7.1e9"],
     "no portfolio meets every rule together; relaxing any one of budget.total_eur, "
     "limits.max_bids_per_country, sites.required would make one possible"),
])
def test_infeasible_models_exit_1_naming_the_conflict(run_cli, args, message):
    result = run_cli("solve", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    doc = json.loads(run_cli("solve", *args, "--format", "json").stdout)
    assert doc["status"] == "infeasible" and message in doc["error"] and doc["exit_code"] == 1


@pytest.mark.parametrize("args, message", [
    (["--set", "weights.covrage=0.7"], "unknown key 'weights.covrage'; did you mean 'weights.coverage'?"),
    (["--set", "weights.grid=-1"], "weights.grid = -1 must be >= 0"),
    (["--max-gigafactories", "0"], "limits.max_gigafactories = 0 must be >= 1"),
    (["--set", "sites.required=ES-MLX"],
     "--set: sites.required names unknown site 'ES-MLX'; did you mean 'ES-MLN'?"),
    (["--model", "missing.toml"], "missing.toml: model file not found"),
    (["--data", "nowhere"], "nowhere: data directory not found"),
])
def test_bad_input_exits_2_with_one_line(run_cli, args, message):
    result = run_cli("solve", *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stdout == ""
    # with --format json, scripts get a document for this outcome too
    doc = json.loads(run_cli("solve", *args, "--format", "json").stdout)
    assert doc["status"] == "error" and doc["exit_code"] == 2 and message in doc["error"]


@pytest.mark.parametrize("args, line", [
    (("solve", "--budget", "lots"),
     "siteopt solve: invalid value for '--budget': 'lots' is not a number; write the number "
     "alone, without a unit or spaces (e.g. 20e9 for EUR 20 bn); siteopt solve --help says "
     "more"),
    (("solve", "--bugdet", "20e9"), "siteopt solve: no such option --bugdet; did you mean "
                                    "--budget?"),
    (("robust", "--chose"), "siteopt robust: no such option --chose; did you mean --choose?"),
    (("solve", "--zzzz"), "siteopt solve: no such option --zzzz; siteopt solve --help lists "
                          "them"),
    (("keys", "--hlep"), "siteopt keys: no such option --hlep; did you mean --help?"),
    (("solv",), "siteopt: no such command solv; did you mean solve?"),
    (("--bogus",), "siteopt: no such option --bogus; siteopt --help lists them"),
    (("report",), "siteopt report: missing option '--out'; siteopt report --help says more"),
    (("explain",), "siteopt explain: missing argument 'SITE...'; siteopt explain --help says "
                   "more"),
    (("sweep", "--vary"), "siteopt sweep: option '--vary' requires an argument; siteopt sweep "
                          "--help says more"),
])
def test_a_mistake_on_the_command_line_is_one_line_naming_the_command(run_cli, args, line):
    """Not click's four lines (usage, hint, blank, error): one, as for bad data, exit 2."""
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {line}\n" and result.stdout == ""


def test_siteopt_alone_prints_its_help_and_no_error(run_cli):
    """It said "error: siteopt: usage: ..." on stderr with exit code 2 (click 8.2 raises the
    help as a usage error)."""
    alone, helped = run_cli(), run_cli("--help")
    assert alone.exit_code == helped.exit_code == 0
    assert alone.stdout == helped.stdout and alone.stdout.startswith("Usage: siteopt ")
    assert alone.stderr == ""


@pytest.mark.parametrize("asked", [("--format", "json"), ("--format=json",)])
def test_solve_with_json_asked_prints_a_document_for_a_command_line_mistake_too(run_cli, asked):
    """``solve --format json`` gives scripts a document for every outcome: an option it
    cannot read as well."""
    result = run_cli("solve", *asked, "--budget", "lots")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["status"] == "error" and document["exit_code"] == 2
    assert document["error"] == result.stderr.removeprefix("error: ").rstrip("\n")
    assert document["error"].startswith("siteopt solve: invalid value for '--budget': 'lots'")
    assert run_cli("solve", "--budget", "lots", "--format", "table").stdout == ""


@pytest.mark.parametrize("args, hint", [
    (("solve", "--budget", "20 bn"),
     "'20 bn' is not a number; write the number alone, without a unit or spaces "
     "(e.g. 20e9 for EUR 20 bn)"),
    (("solve", "--time-limit", "5s"), "'5s' is not a number; write the number alone"),
    (("robust", "--grid-delay-prob", "20%"),
     "'20%' is not a number; write a share as a fraction (0.2 for 20 %)"),
    (("alternatives", "--within", "2.5 %"), "write a share as a fraction (0.025 for 2.5 %)"),
])
def test_a_number_written_with_its_unit_is_told_how_to_write_it(run_cli, args, hint):
    result = run_cli(*args)
    assert result.exit_code == 2 and hint in result.stderr.replace("\n", " ")


def test_a_number_option_keeps_its_range(run_cli):
    result = run_cli("robust", "--grid-delay-prob", "2")
    assert result.exit_code == 2 and "2.0 is not in the range 0<=x<=1" in result.stderr
    shown = " ".join(run_cli("robust", "--help").stdout.split())
    assert "[default: 0.2; 0<=x<=1]" in shown and "None" not in shown


@pytest.mark.parametrize("model", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_every_shipped_scenario_solves(run_cli, model):
    doc = json.loads(run_cli("solve", "--model", str(SCENARIOS / model),
                             "--format", "json").stdout)
    assert doc["status"] == "optimal"
    limits = doc["model"]["limits"]
    assert len(doc["gigafactories"]) <= limits["max_gigafactories"]
    assert doc["total_capex_eur"] <= doc["model"]["budget"]["total_eur"]
    most = doc["model"]["consolidation"]["max_sites_per_gigafactory"]
    assert all(len(g["members"]) <= most for g in doc["gigafactories"])


# --- siteopt map and siteopt report -------------------------------------------------------

@pytest.mark.parametrize("name, magic", [("m.png", b"\x89PNG"), ("m.svg", b"<?xml"),
                                         ("m.pdf", b"%PDF-"), ("m.html", b"<!DOCTYPE html>")])
def test_map_formats(run_cli, tmp_path, name, magic):
    result = run_cli("map", "--budget", "8e9", "--out", str(tmp_path / name))
    assert result.exit_code == 0
    assert (tmp_path / name).read_bytes().startswith(magic)
    assert "(optimal, " in result.stderr


def test_map_rejects_an_unknown_format(run_cli, tmp_path):
    result = run_cli("map", "--out", str(tmp_path / "m.jpg"))
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {tmp_path / 'm.jpg'}: the file name must end in .png, .svg, .pdf, .html\n"
    assert not (tmp_path / "m.jpg").exists()


@pytest.mark.parametrize("command, option, name", [
    (("robust", "--draws", "2"), "--draws-out", "draws.txt"),
    (("robust", "--draws", "2"), "--plot", "regret.jpg"),
    (("robust", "--draws", "2", "--choose"), "--map", "choice.jpg"),
    (("sweep", "--vary", "budget.total_eur=8e9,9e9"), "--plot", "sweep.jpg"),
    (("pareto",), "--plot", "front.jpg"),
])
def test_a_wrong_suffix_names_the_option_that_gave_it(run_cli, tmp_path, command, option, name):
    result = run_cli(*command, option, str(tmp_path / name))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(f"error: {option} {tmp_path / name}: the "
                                                     f"file name must end in ")
    assert not (tmp_path / name).exists()


def test_report_is_one_html_file(run_cli, tmp_path):
    result = run_cli("report", "--model", str(SCENARIOS / "tight-budget.toml"),
                     "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "<svg" in page   # map, access, coverage
    assert "EUR 8.2 bn" in page


def test_report_of_an_infeasible_model_exits_1_and_writes_nothing(run_cli, tmp_path):
    result = run_cli("report", "--budget", "1e9", "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 1
    assert "budget EUR 1.00 bn is below the cheapest eligible site" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("method", ["direct", "benders", "search", "pulp"])
def test_every_method_gives_the_default_answer(run_cli, default_json, method):
    doc = json.loads(run_cli("solve", "--solver", "highs", "--set", f"solver.method={method}",
                             "--format", "json").stdout)
    assert doc["status"] == "optimal" and doc["solver"]["method"] == method
    assert doc["gigafactories"] == default_json["gigafactories"]
    assert doc["objective"] == pytest.approx(default_json["objective"], abs=1e-12)


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory):
    """A seeded 500-site, 20,000-point instance from benchmarks/generate.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks/generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    return generate.generate(500, 20_000, seed=0, out=tmp_path_factory.mktemp("n500"))


def test_generated_instances_pass_validation(run_cli, synthetic_dir):
    result = run_cli("validate", "--data", str(synthetic_dir))
    assert result.exit_code == 0
    assert "500 sites (0 reported, 500 illustrative)" in result.stdout
    assert "20,000 population points" in result.stdout


def test_a_time_limited_run_says_so_with_its_gap(run_cli, synthetic_dir):
    args = ("solve", "--data", str(synthetic_dir), "--solver", "highs", "--set",
            "solver.method=benders", "--time-limit", "0.05")
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    assert doc["status"] == "time_limit"
    assert doc["solver"]["gap"] > 0 and doc["solver"]["bound"] > doc["objective"]
    table = run_cli(*args)
    assert table.exit_code == 0
    assert "Status: time_limit (STOPPED AT THE TIME LIMIT (0.05 s): best selection found, gap " \
        in table.stdout


def test_long_id_lists_are_cut_with_a_count():
    from siteopt.report.text import id_list

    assert id_list([]) == "none"
    assert id_list(["L1", "L2"]) == "L1, L2"
    assert id_list([f"L{i}" for i in range(65)]).endswith("L59 and 5 more (all in --format json)")


def test_readme_shows_the_real_default_output(run_cli):
    """The README's output block is what `siteopt solve --budget 20e9` prints (solve time aside)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    intro = "The default model on the shipped data (`siteopt solve --budget 20e9`):\n\n```\n"
    shown = readme[readme.index(intro) + len(intro):].split("\n```", 1)[0]
    printed = run_cli("solve", "--budget", "20e9").stdout.rstrip("\n")

    def without_time(text):
        return re.sub(r"\(auto\), [\d.]+ s\.", "(auto), <time> s.", text)

    assert without_time(shown) == without_time(printed)


def test_coverage_map_as_html_is_refused_not_ignored(run_cli, tmp_path):
    out = tmp_path / "m.html"
    result = run_cli("map", "--kind", "coverage", "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr == (f"error: --out {out}: --kind coverage is a static map; write it to "
                             f".png, .svg or .pdf (the interactive map shows the share covered "
                             f"per country in its Countries layer)\n")


def test_identical_runs_write_identical_files(run_cli, tmp_path):
    """Reports and maps are byte-identical across runs; only the documented solve time differs."""
    def report(name):
        assert run_cli("report", "--out", str(tmp_path / name)).exit_code == 0
        page = (tmp_path / name).read_text(encoding="utf-8")
        assert page.count("solver siteopt, ") == 1
        return re.sub(r"\(auto\), [\d.]+ s\.", "(auto), <time> s.", page)

    assert report("a.html") == report("b.html")
    for name in ("a.svg", "b.svg", "a.png", "b.png"):
        assert run_cli("map", "--out", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    for name in ("a.pdf", "b.pdf"):
        assert run_cli("map", "--kind", "coverage", "--out", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_png_resolution_follows_dpi(run_cli, tmp_path):
    from PIL import Image

    sizes = {}
    for dpi in (100, 300):
        out = tmp_path / f"m{dpi}.png"
        assert run_cli("map", "--dpi", str(dpi), "--out", str(out)).exit_code == 0
        with Image.open(out) as image:
            sizes[dpi] = image.size
            assert image.info["dpi"] == pytest.approx((dpi, dpi), abs=0.01)
    assert sizes[300][0] == pytest.approx(3 * sizes[100][0], rel=0.02)
    refused = run_cli("map", "--dpi", "5000", "--out", str(tmp_path / "x.png"))
    assert refused.exit_code == 2 and "5000 is not in the range 50<=x<=1200" in refused.stderr


def test_terminal_escapes_in_names_are_not_obeyed(data_dir, run_cli):
    """A name with escape sequences is printed as text, its control characters removed."""
    from tests.conftest import edit_csv

    edit_csv(data_dir / "sites.csv", "site_id", "FR-LMX", "name", "La Maxe\x1b[2J\x1b]0;pwned\x07")
    result = run_cli("solve", "--data", str(data_dir))
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "Maxe[2J]0;pwn" in result.stdout  # shown as text, its escapes removed
