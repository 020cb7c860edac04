"""The analyst's workflow: scenario names, changed models named everywhere, keys, compare, hints,
tables that fit the terminal."""

from __future__ import annotations

import json
import re

import pytest

from siteopt.config import settings
from siteopt.report.tables import render_table
from siteopt.report.text import format_result
from tests.conftest import REPO, solve_out, SCENARIOS


def test_model_by_scenario_name_and_from_any_directory(run_cli, tmp_path, monkeypatch):
    by_path = json.loads(run_cli("solve", "--model", str(SCENARIOS / "green-grid.toml"),
                                 "--format", "json").stdout)
    monkeypatch.chdir(tmp_path)  # outside the checkout
    by_name = json.loads(run_cli("solve", "--model", "green-grid", "--format", "json").stdout)
    relative = run_cli("solve", "--model", "models/green-grid.toml")
    assert by_name["selected"] == by_path["selected"]
    assert by_name["model"] == by_path["model"]
    assert "(model: green-grid; data: eu2026 (2026-12-02))" in relative.stdout.splitlines()[0]
    unknown = run_cli("solve", "--model", "greengrid")
    assert unknown.exit_code == 2
    assert "greengrid: model file not found; did you mean 'green-grid'? pass an existing " \
           "model file or the name of a shipped scenario (cover-all, coverage-first, " \
           "cross-border, default, fairness, green-grid," in unknown.stderr
    # compare takes models as arguments: the message names no option
    missing = run_cli("compare", "default", "nosuch")
    assert missing.exit_code == 2
    assert "error: nosuch: model file not found; pass an existing model file or the name of" \
           in missing.stderr


def test_changes_to_the_model_are_named_in_every_header(run_cli, tmp_path):
    import openpyxl

    args = ("--set", "weights.coverage=0.7", "--budget", "8e9")
    described = "default + budget.total_eur=8e9 + weights.coverage=0.7"
    first = run_cli("solve", *args).stdout.splitlines()[0]
    assert f"(model: {described}; data: eu2026 (2026-12-02))" in first
    assert run_cli("solve", *args, "--out", str(tmp_path / "run")).exit_code == 0
    report = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert f"<code>{described}</code>" in report
    assert f"model {described}" in (tmp_path / "run" / "map.html").read_text(encoding="utf-8")
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(
        tmp_path / "run" / "siteopt.xlsx")["summary"].iter_rows(values_only=True)}
    assert summary["model"] == described
    # the same value as the file's is no change
    same = run_cli("solve", "--budget", "20e9").stdout.splitlines()[0]
    assert same.startswith("siteopt (model: default; data: eu2026 (2026-12-02)): ")


def test_map_titles_name_the_changes():
    import siteopt

    result = siteopt.solve(weights__coverage=0.7)
    assert result.plot().get_title(loc="left").endswith(
        "model default + weights.coverage=0.7")


def test_keys_lists_every_key_with_default_and_unit(run_cli):
    printed = run_cli("keys").stdout
    for key, spec in settings():
        assert re.search(rf"^ {re.escape(key)}\s", printed, re.M), key
    assert re.search(r"^ budget\.total_eur\s+20e9\s+EUR\s+Total capital budget", printed, re.M)
    assert "`siteopt keys` lists every key" in " ".join(run_cli("solve", "--help").stdout.split())


def test_keys_lists_the_sections_and_keys_named(run_cli):
    printed = run_cli("keys", "weights", "access.max_km").stdout
    listed = re.findall(r"^ ([a-z_]+\.[a-z_]+)\s", printed, re.M)
    assert listed == [key for key, _ in settings()
                      if key.startswith("weights.") or key == "access.max_km"]



@pytest.mark.parametrize("name, hint", [
    ("weight", "did you mean 'weights'?"),
    ("Weights", "did you mean 'weights'?"),
    ("weights.covrage", "did you mean 'weights.coverage'?"),
    ("budget.nosuch", "the keys of budget are total_eur"),
    ("nosuch", "the sections are access, budget, consolidation, costs, coverage, limits, "
               "robust, sites, solver, weights")])
def test_keys_names_what_was_meant_when_a_name_is_unknown(run_cli, name, hint):
    unknown = run_cli("keys", name)
    assert unknown.exit_code == 2
    assert unknown.stderr == f"error: keys: no section or key '{name}'; {hint}\n"


@pytest.mark.parametrize("budget, hint", [("20", "did you mean 20e9 (EUR 20 bn)?"),
                                          ("4.5", "did you mean 4.5e9 (EUR 4.5 bn)?")])
def test_a_budget_in_billions_by_mistake_gets_a_hint(run_cli, budget, hint):
    result = run_cli("solve", "--budget", budget)
    assert result.exit_code == 2
    assert result.stderr == (f"error: command line: budget.total_eur = {budget} EUR is less "
                             f"than EUR 1 m, too little for any gigafactory; {hint}\n")


def test_a_result_in_a_notebook_says_what_it_gives_before_its_objective(default_result):
    import siteopt

    assert repr(default_result) == (
        f"<siteopt.Result optimal: 5 gigafactories "
        f"({', '.join(g.id for g in default_result.gigafactories)}): "
        f"EUR {default_result.total_capex_eur / 1e9:.2f} bn, "
        f"{default_result.total_power_mw:,.0f} MW, "
        f"{default_result.covered_population / 1e6:.1f} m people within 500 km; objective "
        f"{default_result.objective:.4f}, gap 0.00%, {default_result.solver['seconds']:.2f} s "
        f"with {default_result.solver['name']}>")
    assert repr(siteopt.solve(max_gigafactories=1)).startswith(
        "<siteopt.Result optimal: 1 gigafactory (")


def test_python_keyword_arguments_are_named_as_such_in_messages_and_titles():
    """siteopt.solve(budget=...) is no command line: its errors and titles say where the
    value came from."""
    import siteopt
    from siteopt.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        siteopt.solve(budget="20bn")
    assert str(raised.value).startswith("keyword argument: budget.total_eur = '20bn' must be a "
                                        "finite number")
    result = siteopt.solve(weights__coverage=0.7)
    assert result.model.origin("weights.coverage") == "keyword argument"
    assert result.model.description == "default + weights.coverage=0.7"


def test_compare_shows_scenarios_side_by_side_and_marks_other_weights(run_cli):
    import siteopt

    said = run_cli("compare", "default", "green-grid", "tight-budget").stdout
    # first which of the sites the scenarios choose are illustrative, as each solve says
    caution, printed = said.split("\nScenarios side by side\n")
    members = sorted({site for name in ("default", "green-grid", "tight-budget")
                      for site in siteopt.solve(SCENARIOS / f"{name}.toml").selected})
    sites = siteopt.load_data().sites.set_index("site_id")
    marked = [site for site in members if sites.at[site, "provenance"] == "illustrative"]
    assert " ".join(caution.split()).startswith(
        f"Caution: {len(marked)} of the {len(members)} sites named below have illustrative "
        f"figures ({', '.join(marked)})")
    printed = "Scenarios side by side\n" + printed
    header = printed.splitlines()[2].split()
    assert header == ["default", "green-grid", "tight-budget"]
    rows = {line.split()[0]: line for line in printed.splitlines() if line.strip()}
    for name, marked in (("default", ""), ("green-grid", " *"), ("tight-budget", " *")):
        result = siteopt.solve(SCENARIOS / f"{name}.toml")
        assert f"{result.objective:.4f}{marked}" in rows["objective"]
        # what each gives, in things: people, EUR, t CO2
        assert f"{result.covered_population / 1e6:,.1f} m within 500 km" in rows["people"]
        assert f"EUR {result.lifetime_cost_eur / 1e9:,.1f} bn" in rows["lifetime"]
        assert f"{result.annual_co2_t / 1e3:,.0f} kt" in rows["CO2"]
        # capex as the headline gives it: EUR 19.97 bn of EUR 20.00 bn, not "20.0 of 20.0"
        assert (f"EUR {result.total_capex_eur / 1e9:.2f} bn of "
                f"EUR {result.model.budget.total_eur / 1e9:.2f} bn") in rows["capex"]
    assert "its objective is not comparable with default's" in printed
    assert "green-grid, tight-budget" in printed
    # terms divided by each scenario's own p are flagged, with what to compare instead
    assert "G grid (per p)" in printed and "C coverage (weight)" in printed
    last = " ".join(printed.split("\n(per p): ")[-1].split())   # its own paragraph, last
    assert last == ("divided by each scenario's own p, so a scenario with fewer gigafactories "
                    "scores higher for less; compare the MW and member states above instead.")
    same = run_cli("compare", "default", str(SCENARIOS / "default.toml")).stdout
    assert "not comparable" not in same and " *" not in same
    # a model without a portfolio is named with its conflict (exit 1)
    conflict = run_cli("compare", "default", "tight-budget", "--set", "access.max_km=1500")
    assert conflict.exit_code == 1
    assert conflict.stderr == ("error: tight-budget: no portfolio meets every rule together; "
                               "only relaxing access.max_km would make one possible\n")


@pytest.mark.parametrize("model", ["default", "cross-border", "seven-gigafactories"])
def test_tables_fit_eighty_columns(model):
    import siteopt

    result = siteopt.solve(SCENARIOS / f"{model}.toml")
    text = format_result(result, width=80)
    assert max(len(line) for line in text.splitlines() if not line.startswith("siteopt:")) <= 80
    for g in result.gigafactories:  # IDs and amounts are never cut
        assert re.search(rf"^ {re.escape(g.id)}\s", text, re.M), g.id
    assert "…" not in text
    assert "effective MW" in text and "EUR " in text and "within 500 km" in text


def test_optional_columns_go_last_first_only_when_needed():
    import pandas as pd

    frame = pd.DataFrame({"id": ["A-1"], "must": ["x" * 10], "late": ["y" * 10],
                          "later": ["z" * 10]})
    wide = render_table(frame, width=100, optional=("late", "later"))
    assert all(name in wide for name in ("must", "late", "later"))
    narrow = render_table(frame, width=32, optional=("late", "later"))
    assert "must" in narrow and "late" in narrow and "later" not in narrow


def test_a_table_title_folds_at_the_page_width_not_the_table_width():
    """``validate``'s title names the data set's path: on a narrow table it stays one line."""
    title = "Data set eu2026 (2026-12-02), in ../some/longer/path/bids.xlsx: clean"
    text = render_table({"country": ["AT"], "sites": [2]}, title=title, width=100)
    assert text.splitlines()[0] == title
    assert text.splitlines()[2].split() == ["country", "sites"]


def test_a_long_model_key_heading_breaks_after_its_dot_not_inside_a_word():
    """A sweep's column named ``limits.max_gigafactories`` stays whole where the table fits,
    and reads on two whole lines where it does not."""
    frame = {"limits.max_gigafactories": [5], "status": ["optimal"]}

    def heading(width):
        text = render_table(frame, width=width)
        return [line.split() for line in text.splitlines() if line.strip()][:2]

    assert heading(100)[0] == ["limits.max_gigafactories", "status"]
    assert heading(30) == [["limits."], ["max_gigafactories", "status"]]


def test_an_amount_is_never_broken_over_two_lines_in_a_table_or_a_paragraph():
    """``compare``'s capex row read "EUR 19.87 bn of EUR 20.00" on one line and "bn" on the
    next; where a line must break, it breaks before the amount."""
    from siteopt.report.tables import HELD_SPACE, fill

    cell = "EUR 19.87 bn of EUR 20.00 bn"
    frame = {"row": ["capex"], "a": [cell], "b": [cell], "c": [cell]}
    for width in range(40, 110, 3):
        text = render_table(frame, width=width)
        lines = [line.split() for line in text.splitlines()[2:] if line.strip()]
        assert all(line[0] != "bn" for line in lines), (width, text)
        words = [word for line in lines for word in line]
        assert words.count("EUR") == 6 and HELD_SPACE not in text
        for line in lines:   # each EUR is followed by its number and unit on its line
            for at, word in enumerate(line):
                if word == "EUR":
                    assert line[at + 2] == "bn", (width, text)
    paragraph = "The answer spends " + ", ".join(["EUR 19.97 bn of EUR 20.00 bn"] * 4)
    for width in range(30, 90, 7):
        for line in fill(paragraph, width).splitlines():
            words = line.split()
            assert words[0] not in ("bn", "20.00", "19.97"), (width, line)
            assert words[-1] != "EUR" and HELD_SPACE not in line
    # a share with its space ("95 % CI" of robust --choose broke as "(95" / "% CI")
    spread = "On the fresh draws: the choice scores 0.4702 " + "(95 % CI 0.4494 to 0.4909), " * 3
    for width in range(30, 90):
        assert not any(line.startswith("% ") for line in fill(spread, width).splitlines())


def test_columns_too_many_for_the_line_are_shown_in_turns_never_cut_short():
    """``compare`` of four scenarios at 80 characters cut its last column short ("3,800 of
    7,", "AT-LNZ, DK-"): the columns that do not fit come in a second table beside the first
    column again, every value whole."""
    scenarios = ["default", "green-grid", "cross-border", "seven-gigafactories"]
    frame = {"": ["gigafactories", "effective MW", "capex"],
             **{name: ["AT-LNZ, DK-EBJ, ES-NAV, FR-MRS+FR-MTR, IT-GRO", "3,800 of 7,000",
                       f"EUR {n}9.42 bn of EUR {n}0.00 bn"] for n, name in
                enumerate(scenarios, 1)}}
    for width in (80, 100):
        text = render_table(frame, title="Scenarios side by side", width=width)
        lines = text.splitlines()
        assert lines[0] == "Scenarios side by side" and max(map(len, lines)) <= width
        words = text.split()
        for n, name in enumerate(scenarios, 1):
            assert words.count(name) == 1
            assert f"{n}9.42" in words and f"{n}0.00" in words
        assert words.count("7,000") == 4 and words.count("DK-EBJ,") == 4
        assert words.count("capex") == (2 if width == 80 else 1)   # the first column again
    # numbers under long headings (explain's table): rich laid it out 84 characters wide for
    # 80 and cut "extra MW to enter" and its values off
    explained = {"site": ["ES-NAV", "NL-SAG"], "chosen": ["no", "no"],
                 "regret": [0.0009, 0.0045], "people (m)": [1.6, 17.8],
                 "capex (EUR bn)": [-0.8, -1.05], "capex now (EUR bn)": [4.2, 2.2],
                 "enters/leaves at (EUR bn)": [3.68, 1.07], "extra MW to enter": [25, 167]}
    text = render_table(explained, width=80)
    assert max(map(len, text.splitlines())) <= 80
    assert {"25", "167", "enter", "3.68", "1.07"} <= set(text.split())
    # a sweep of two keys repeats both in each turn: a budget alone names no row
    text = render_table(explained, width=80, repeat=2)
    second = text.split("\n\n\n")[1]
    assert second.split()[:2] == ["site", "chosen"] and "enter" in second


def test_a_crowded_table_wraps_a_long_number_heading_before_the_text_beside_it():
    """The draws' table of ``robust``: where the portfolios will not fit on one line, the
    heading ``a member's grid slips in`` of a column of shares takes two lines, so each
    portfolio keeps one; where everything fits, nothing wraps."""
    portfolio = "ES-MLN+ES-SFH, FR-FSH, NL-EEM, PL-WRO, RO-CER"
    frame = {"portfolio": [portfolio], "a member's grid slips in": [0.72],
             "over budget in": [0.98]}
    formats = {"a member's grid slips in": ".0%", "over budget in": ".0%"}
    lines = [line for line in render_table(frame, formats=formats, width=80).splitlines()
             if line.strip()]
    assert lines[0].split() == ["a", "member's", "over"]
    assert lines[1].split() == ["portfolio", "grid", "slips", "in", "budget", "in"]
    assert lines[3].split() == portfolio.split() + ["72%", "98%"]
    wide = [line for line in render_table(frame, formats=formats, width=120).splitlines()
            if line.strip()]
    assert wide[0].split() == ["portfolio", "a", "member's", "grid", "slips", "in", "over",
                               "budget", "in"]


def test_report_highlights_changed_settings_and_has_a_footer(run_cli, tmp_path, monkeypatch):
    from siteopt import __version__

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")   # 2027-01-01
    out = tmp_path / "r.html"
    assert run_cli("report", "--budget", "8e9", "--set", "weights.coverage=0.6",
                   "--out", str(out)).exit_code == 0
    page = out.read_text(encoding="utf-8")
    changed = re.findall(r"<tr class=changed>(.*?)</tr>", page)
    assert len(changed) == 2
    assert "<td class=short>EUR 8 bn</td><td class=short>EUR 20 bn</td>" in changed[0]
    assert "<td class=short>0.6</td><td class=short>0.45</td>" in changed[1]
    assert "2 settings differ from the default model" in page
    footer = page[page.index("<footer"):]
    assert f"Run 2027-01-01 with siteopt {__version__}" in footer
    assert "default + budget.total_eur=8e9 + weights.coverage=0.6" in footer
    assert footer.count("<code>") == 1 + 6   # the model, then five files and the model hash


def test_a_report_is_dated_today_unless_a_build_date_is_given(monkeypatch):
    """The tests date every report 2026-12-01 (``SOURCE_DATE_EPOCH``, conftest); without it a
    report carries the day it is run, in UTC."""
    import datetime

    from siteopt.report.html import run_date

    assert run_date() == "2026-12-01"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    before = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    dated = run_date()
    after = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert dated in (before, after)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    assert run_date() in (before, after)


def test_report_pdf_needs_chromium_and_says_so(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    result = run_cli("report", "--out", str(tmp_path / "r.pdf"))
    assert result.exit_code == 2 and not (tmp_path / "r.pdf").exists()
    assert result.stderr == ("error: a PDF report is printed by Chromium, which is not "
                             "installed: install it (Debian: apt-get install chromium) or "
                             "write the report as .html\n")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A run saved with solve --out, with a non-default model."""
    return solve_out(tmp_path_factory, "saved", "--set", "weights.coverage=0.6")[0]


def test_map_and_report_render_a_saved_result_without_solving(saved, run_cli, tmp_path,
                                                               monkeypatch):
    import siteopt.solvers as solvers

    def no_solving(*args, **kwargs):
        raise AssertionError("--from must not solve")

    monkeypatch.setattr(solvers, "solve_instance", no_solving)
    monkeypatch.setattr("siteopt.api.solve_instance", no_solving)
    assert run_cli("map", "--from", str(saved / "result.json"), "--out",
                   str(tmp_path / "m.png")).exit_code == 0
    assert (tmp_path / "m.png").read_bytes() == (saved / "map.png").read_bytes()
    assert run_cli("report", "--from", str(saved / "result.json"), "--out",
                   str(tmp_path / "r.html")).exit_code == 0
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page == (saved / "report.html").read_text(encoding="utf-8")
    assert "default + weights.coverage=0.6" in page


def test_a_saved_result_must_match_its_data(saved, data_dir, run_cli, tmp_path):
    from tests.conftest import edit_csv

    edit_csv(data_dir / "sites.csv", "site_id", "AT-VIE", "capex_eur", "5100000000")
    result = run_cli("map", "--from", str(saved / "result.json"), "--data", str(data_dir),
                     "--out", str(tmp_path / "m.png"))
    assert result.exit_code == 2 and not (tmp_path / "m.png").exists()
    assert ("the data changed since this result was computed (sites.csv differ); pass the "
            "--data it was computed from, or solve again") in result.stderr


@pytest.mark.parametrize("content, message", [
    ("{", "is not JSON (JSONDecodeError)"),
    ("[1, 2]", "is not a result.json written by siteopt"),
    ('{"status": "infeasible"}', "holds no portfolio (status 'infeasible')"),
    ('{"status": "optimal"}', "is not a result.json written by siteopt (its field 'model' is "
                              "missing); pass the result.json of siteopt solve --out"),
    # edited by hand: the standard reader would keep the second status without a word
    ('{"status": "optimal", "status": "infeasible"}',
     "result.json: key 'status' is given twice in one object; keep one of them"),
])
def test_a_broken_result_file_is_refused_clearly(run_cli, tmp_path, content, message):
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    result = run_cli("report", "--from", str(path), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert message in result.stderr


def test_from_refuses_options_that_would_change_the_result(saved, run_cli, tmp_path):
    result = run_cli("map", "--from", str(saved / "result.json"), "--budget", "8e9",
                     "--set", "weights.grid=0.2", "--out", str(tmp_path / "m.png"))
    assert result.exit_code == 2
    assert "--budget, --set cannot change it (solve again instead)" in result.stderr


@pytest.mark.parametrize("change, message", [
    # each said as Python's KeyError or TypeError ("(KeyError('XX-NOPE') is missing or wrong)")
    (lambda d: d["gigafactories"][0].update(members=["XX-NOPE"]),
     "gigafactory 1 names 'XX-NOPE', not a site of these data; pass the --data it was "
     "computed from, or solve again"),
    (lambda d: d["gigafactories"][1].update(members="ES-ZAZ"),
     "gigafactory 2: \"members\" must be a list of site IDs"),
    (lambda d: d["gigafactories"][0].update(members=[]),
     "gigafactory 1: \"members\" must be a list of site IDs"),
    (lambda d: d.update(gigafactories=None), "\"gigafactories\" must be a list"),
    (lambda d: d.update(objective="x"), "is not a result.json written by siteopt (a field is "
                                        "not what siteopt writes: could not convert string to "
                                        "float: 'x')"),
])
def test_a_saved_result_edited_by_hand_is_refused_naming_what(saved, run_cli, tmp_path,
                                                               change, message):
    document = json.loads((saved / "result.json").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "result.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli("map", "--from", str(path), "--out", str(tmp_path / "m.png"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert message in result.stderr


@pytest.mark.parametrize("runner_up", ["nonsense", {"objective": "x"}, [1, 2]])
def test_a_saved_runner_up_of_the_wrong_form_is_refused(saved, run_cli, tmp_path, runner_up):
    document = json.loads((saved / "result.json").read_text(encoding="utf-8"))
    document["runner_up"] = runner_up
    path = tmp_path / "result.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli("map", "--from", str(path), "--out", str(tmp_path / "m.png"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "its runner_up is malformed" in result.stderr


def test_annual_co2_and_lifetime_cost_follow_their_definitions(default_result):
    """CO2 a year = sum of MW x PUE x utilisation x 8,760 h x g/kWh / 1,000 (t); lifetime cost
    = capex + electricity over costs.years."""
    chosen = default_result.chosen
    costs = default_result.model.costs
    pue = chosen["pue"].fillna(costs.default_pue)
    mwh = chosen["effective_mw"] * pue * costs.utilisation * 8760
    assert default_result.annual_co2_t == pytest.approx((mwh * chosen["co2_g_per_kwh"]).sum()
                                                        / 1000)
    assert default_result.lifetime_cost_eur == pytest.approx(
        default_result.total_capex_eur + chosen["energy_cost_eur"].sum())


@pytest.mark.parametrize("columns, width", [("100", 100), ("40", 80), ("wide", 120), ("", 120)])
def test_columns_sets_the_width_of_the_text_written_to_a_file(run_cli, monkeypatch, columns,
                                                               width):
    """``COLUMNS=100 siteopt solve > answer.txt``: tables and paragraphs as wide as asked, at
    least 80 characters; without a number, as wide as a pipe's (120)."""
    monkeypatch.setenv("COLUMNS", columns)
    printed = run_cli("solve").stdout.splitlines()
    assert max(len(line) for line in printed) == width


@pytest.mark.parametrize("args", [
    ("solve",), ("compare", "default", "green-grid", "tight-budget"),
    ("alternatives", "--k", "3"), ("explain", "NL-SAG"), ("keys",), ("validate",),
    ("sweep", "--vary", "budget.total_eur=15e9,20e9", "--workers", "1"),
    ("pareto", "--points", "3"), ("robust", "--draws", "3", "--workers", "1"),
    ("robust", "--choose", "--draws", "3", "--workers", "1")])
@pytest.mark.parametrize("columns", ["80", "120"])
def test_every_command_keeps_its_text_within_the_width(run_cli, monkeypatch, args, columns):
    """Tables, sentences and footnotes all wrap at the width (the terminal's, or COLUMNS):
    none runs past the edge of a terminal or a documentation box. (A line of dashes under a
    title or a long ID that cannot break would be the only excuse; there is none.)"""
    monkeypatch.setenv("COLUMNS", columns)
    done = run_cli(*args)
    assert done.exit_code == 0, done.stderr
    longest = max(done.stdout.splitlines(), key=len)
    assert len(longest) <= int(columns), longest
