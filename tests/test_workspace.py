"""The product around the model: the shipped data set's manifest, workspaces (``siteopt init``)
and Excel workbooks as input."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import warnings
from pathlib import Path

import openpyxl
import pytest

import siteopt
from siteopt.config import default_model, load_model, model_template, settings
from siteopt.data import load_data
from siteopt.data.manifest import shipped_manifest
from siteopt.data.schema import FILES, columns_markdown
from siteopt.errors import DataWarning, InputError
from siteopt.paths import display_path
from tests.conftest import DATA, REPO, edit_csv



# --- the shipped data set -------------------------------------------------------------------

def test_the_manifest_names_every_shipped_file_with_its_sha256():
    manifest = shipped_manifest()
    assert manifest["name"] == DATA.name == "eu2026"
    datetime.date.fromisoformat(manifest["version"])   # a date
    assert set(manifest["files"]) == {*FILES, "README.md"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


def test_the_manifest_fingerprints_the_tables_as_loaded():
    dataset = load_data(DATA)
    tables = {"sites.csv": dataset.site_table, "letters.csv": dataset.letter_table,
              "demand.csv": dataset.demand_table, "ai_factories.csv": dataset.factory_table,
              "countries.geojson": dataset.country_table}
    assert shipped_manifest()["tables"] == {name: tables[name].fingerprint()
                                            for name in sorted(tables)}
    assert dataset.data_set == {"name": "eu2026", "version": shipped_manifest()["version"],
                                "modified": []}


def test_siteopt_under_test_is_the_one_make_test_installed():
    """make test runs this suite against the installed wheel (SITEOPT_WHEEL_TEST=1), with no
    source tree beside it; a developer's run imports the checkout."""
    location = Path(siteopt.__file__).resolve()
    if os.environ.get("SITEOPT_WHEEL_TEST") == "1":
        assert "site-packages" in location.parts
        assert not (REPO / "siteopt").exists()
    else:
        assert location.parent == REPO / "siteopt"


# --- workspaces -----------------------------------------------------------------------------

@pytest.fixture
def workspace(tmp_path, monkeypatch, run_cli):
    monkeypatch.delenv("SITEOPT_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    done = run_cli("init", "w")
    assert done.exit_code == 0, done.output
    return tmp_path / "w"


def test_init_writes_a_workspace_with_the_data_set_and_every_key(workspace):
    for name in FILES:
        assert (workspace / "data" / name).read_bytes() == (DATA / name).read_bytes(), name
    assert (workspace / "data" / "SOURCES.md").read_bytes() == (DATA / "README.md").read_bytes()
    assert columns_markdown() in (workspace / "data" / "README.md").read_text(encoding="utf-8")
    marker = (workspace / "siteopt.toml").read_text(encoding="utf-8")
    assert 'data = "data"' in marker and 'model = "models/default.toml"' in marker
    model_file = workspace / "models" / "default.toml"
    assert model_file.read_text(encoding="utf-8") == model_template()


def test_the_workspace_model_sets_every_key_with_its_meaning_and_unit(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(model_template(), encoding="utf-8")
    assert load_model(path).to_dict() == default_model().to_dict()
    text = " ".join(line.removeprefix("# ") for line in model_template().splitlines())
    for key, spec in settings():
        doc = " ".join(spec.metadata["doc"].split()).rstrip(".")
        unit = spec.metadata.get("unit", "")
        assert f"{doc}.{f' Unit: {unit}.' if unit else ''} {key.split('.')[1]} = " in text, key


@pytest.mark.filterwarnings("ignore::siteopt.errors.DataWarning")   # capex far off the rule
def test_commands_in_a_workspace_use_its_data_and_say_so(workspace, monkeypatch, run_cli):
    (workspace / "sub" / "dir").mkdir(parents=True)
    monkeypatch.chdir(workspace / "sub" / "dir")   # found from below, as git finds a repository
    before = json.loads(run_cli("solve", "--format", "json").stdout)
    done = run_cli("solve")
    assert done.stderr.startswith(f"workspace {display_path(workspace)}: using its data "
                                  f"({display_path(workspace / 'data')}) and model")
    assert f"(model: {display_path(workspace / 'models' / 'default.toml')}; data: eu2026 (" in \
        " ".join(done.stdout.split())
    chosen = before["gigafactories"][0]["members"][0]
    edit_csv(workspace / "data" / "sites.csv", "site_id", chosen, "capex_eur", "1.9e10")
    after = json.loads(run_cli("solve", "--format", "json").stdout)
    assert chosen in before["selected"] and chosen not in after["selected"]
    assert after["data_set"]["modified"] == ["sites.csv"]
    # --data and SITEOPT_DATA win over the workspace
    assert json.loads(run_cli("solve", "--format", "json", "--data", str(DATA)).stdout)[
        "selected"] == before["selected"]
    # the note names only what the workspace gives the command (it said "using its data"
    # with --data given, and "and model" to validate, which takes no model)
    root, model = display_path(workspace), display_path(workspace / "models" / "default.toml")
    assert run_cli("solve", "--data", str(DATA)).stderr.startswith(
        f"workspace {root}: using its model ({model}) unless --model says otherwise\n")
    assert run_cli("validate").stderr.startswith(
        f"workspace {root}: using its data ({display_path(workspace / 'data')}) unless --data "
        f"says otherwise\n")
    assert "workspace" not in run_cli("solve", "--model=default", "--data", str(DATA)).stderr
    for asks in (["solve", "--help"], ["weights", "-h"], ["validate", "--data", "x", "--help"]):
        helped = run_cli(*asks)   # help reads no data and no model
        assert (helped.exit_code, helped.stderr) == (0, "") and "Usage: siteopt" in helped.stdout
    monkeypatch.setenv("SITEOPT_DATA", str(DATA))
    assert json.loads(run_cli("solve", "--format", "json").stdout)["selected"] == \
        before["selected"]


@pytest.mark.parametrize("text, said", [
    ('data = "elsewhere"\n',   # the key outside its section was silently ignored
     "siteopt.toml: unknown key 'data'; put 'data' under [workspace]"),
    ('[workspace]\ndata = "data"\nmodle = "models/x.toml"\n',
     "siteopt.toml: unknown key workspace.modle; [workspace] holds data and model only"),
    ('[workspace]\ndata = "elsewhere"\n',   # the fix names the setting, not --data
     "elsewhere: data directory not found; set workspace.data in siteopt.toml to an existing "
     "directory or .xlsx workbook"),
    ('[workspace]\ndata = "bids.xlsx"\n',
     "bids.xlsx: workbook not found; set workspace.data in siteopt.toml to an existing .xlsx "
     "file"),
    ('[workspace]\nmodel = "models/x.toml"\n',
     "x.toml: model file not found; set workspace.model in siteopt.toml to an existing model "
     "file (siteopt init writes models/default.toml)"),
])
def test_a_workspace_file_is_read_exactly_or_refused(tmp_path, monkeypatch, run_cli, text,
                                                     said):
    (tmp_path / "siteopt.toml").write_text(text, encoding="utf-8")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "default.toml").write_text("", encoding="utf-8")   # every default
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SITEOPT_DATA", raising=False)
    done = run_cli("solve")
    assert done.exit_code == 2 and done.stderr.splitlines()[-1].endswith(said)
    monkeypatch.setenv("SITEOPT_DATA", str(tmp_path / "nowhere"))
    if "workspace.data" in said:
        assert run_cli("solve").stderr.splitlines()[-1] == (
            "error: nowhere: data directory not found; set SITEOPT_DATA to an existing "
            "directory or .xlsx workbook")


def test_model_names_find_the_workspace_models_first(workspace, monkeypatch, run_cli):
    monkeypatch.chdir(workspace)
    (workspace / "models" / "green-grid.toml").write_text("[budget]\ntotal_eur = 8e9\n",
                                                          encoding="utf-8")
    ours = json.loads(run_cli("solve", "--model", "green-grid", "--format", "json").stdout)
    assert ours["model"]["budget"]["total_eur"] == 8e9
    assert ours["model_description"] == os.path.join("models", "green-grid.toml")
    shipped = json.loads(run_cli("solve", "--model", "tight-budget", "--format",
                                 "json").stdout)
    assert shipped["model_description"] == "tight-budget"


def test_init_never_overwrites_without_force(workspace, run_cli):
    edit_csv(workspace / "data" / "sites.csv", "site_id", "DE-LUB", "name", "changed")
    edited = (workspace / "data" / "sites.csv").read_bytes()
    done = run_cli("init", "w")
    assert done.exit_code == 2
    assert "siteopt init never overwrites: choose another directory or add --force" in \
        done.stderr
    assert (workspace / "data" / "sites.csv").read_bytes() == edited
    assert run_cli("init", "w", "--force").exit_code == 0
    assert (workspace / "data" / "sites.csv").read_bytes() == (DATA / "sites.csv").read_bytes()


def test_init_onto_a_file_says_it_is_a_file(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    done = run_cli("init", "notes.txt", "--force")
    assert done.exit_code == 2
    assert done.stderr.strip() == ("error: notes.txt: is a file, not a directory; give a new or "
                                   "existing directory for the workspace")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_empty_workspace_has_valid_templates(tmp_path, monkeypatch, run_cli):
    monkeypatch.chdir(tmp_path)
    assert run_cli("init", "--empty", "e").exit_code == 0
    data = tmp_path / "e" / "data"
    for name in ("sites.csv", "letters.csv", "ai_factories.csv"):
        lines = (data / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) == 2 and lines[0] == (DATA / name).read_text().splitlines()[0], name
    assert (data / "demand.csv").read_bytes() == (DATA / "demand.csv").read_bytes()
    assert "replace the example" in (data / "README.md").read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path / "e")
    assert run_cli("validate").exit_code == 0
    result = json.loads(run_cli("solve", "--format", "json").stdout)
    site = (data / "sites.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    assert result["selected"] == [site]
    told = run_cli("solve").stdout   # one site and one letter, in words that fit one
    assert "The one letter finds a home." in told and "Every one of the 1" not in told
    assert "\nThe site reaches " in told and "Together the sites" not in told
    assert "* illustrative figures" not in told   # no starred name to explain
    assert "are within 500 km of two gigafactories or more" not in told   # there is one
    # the robustness study says in how many draws funding nothing scores best: here, where
    # the one site's grid slips (its capex is spent and it delivers nothing)
    from siteopt.analysis import robust

    study = robust(draws=20, seed=1, data=data)
    slipped = study.draws["today_slipped"].mean()
    assert 0 < slipped < 1
    said = " ".join(run_cli("robust", "--draws", "20", "--seed", "1").stdout.split())
    assert f"How often each site is chosen: {site} {1 - slipped:.0%}; no gigafactory at all " \
           f"in {slipped:.0%} of the draws (funding nothing scores best there)." in said
    # with the site required, those draws have no portfolio at all (not an empty one)
    said = " ".join(run_cli("robust", "--draws", "20", "--seed", "1", "--set",
                            f"sites.required={site}").stdout.split())
    assert f"How often each site is chosen: {site} {1 - slipped:.0%}; no portfolio meets the " \
           f"rules in {slipped:.0%} of the draws (with their slipped sites and capex)." in said
    drawn = run_cli("map", "--out", str(tmp_path / "one.png"))
    assert drawn.stderr.strip().endswith("one.png (optimal, 1 gigafactory)")
    assert run_cli("report", "--out", str(tmp_path / "one.html")).exit_code == 0
    assert "<p>The site reaches <b>" in (tmp_path / "one.html").read_text(encoding="utf-8")
    key = siteopt.solve(data=data).plot().get_legend()   # only the symbols the map shows
    assert [t.get_text() for t in key.get_texts()] == [
        "250 MW", "500 MW", "1,000 MW", "EuroHPC AI Factory", "within 500 km of a member site"]
    # outside the workspace, the same process's next study is on the shipped data again (a
    # per-process copy answered with the workspace's one site after it had been asked there)
    monkeypatch.chdir(tmp_path)
    assert len(robust(draws=2, seed=1).site_frequency) == 60


# --- Excel ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workbook_dir(tmp_path_factory):
    """A workspace written with --excel (its bids.xlsx holds the shipped tables)."""
    from click.testing import CliRunner

    from siteopt.cli import cli

    root = tmp_path_factory.mktemp("excel")
    assert CliRunner().invoke(cli, ["init", "--excel", str(root / "w")]).exit_code == 0
    return root / "w"


@pytest.fixture(scope="module")
def sites_workbook(workbook_dir, tmp_path_factory):
    """The workspace's workbook with its sites and letters sheets only (the shipped demand and
    AI Factories are used): quick to edit and read for the tests of messages."""
    workbook = openpyxl.load_workbook(workbook_dir / "bids.xlsx")
    workbook.remove(workbook["demand"])
    workbook.remove(workbook["ai_factories"])
    path = tmp_path_factory.mktemp("sites-only") / "bids.xlsx"
    workbook.save(path)
    return path


def _json_without_run_details(text: str) -> dict:
    document = json.loads(text)
    for key in ("timings", "inputs"):
        document.pop(key)
    document["solver"].pop("seconds")
    return document


def test_the_same_data_as_csv_or_excel_gives_the_same_result(workbook_dir, run_cli):
    workbook = openpyxl.load_workbook(workbook_dir / "bids.xlsx")
    assert workbook.sheetnames == ["sites", "letters", "demand", "ai_factories"]
    assert sorted(p.name for p in (workbook_dir / "data").iterdir()) == ["README.md", "SOURCES.md"]
    assert isinstance(workbook["sites"]["I2"].value, int)   # capex_eur: a number cell
    from_excel = run_cli("solve", "--data", str(workbook_dir / "bids.xlsx"), "--format", "json")
    from_csv = run_cli("solve", "--data", str(DATA), "--format", "json")
    assert from_excel.exit_code == 0, from_excel.output
    assert _json_without_run_details(from_excel.stdout) == \
        _json_without_run_details(from_csv.stdout)
    assert json.loads(from_excel.stdout)["data_set"]["name"] == "eu2026"


def _edited_workbook(source: Path, target: Path, edit) -> Path:
    workbook = openpyxl.load_workbook(source)
    edit(workbook)
    workbook.save(target)
    return target


def _sites_column(workbook, header: str) -> str:
    row = [cell.value for cell in workbook["sites"][1]]
    return openpyxl.utils.get_column_letter(row.index(header) + 1)


@pytest.mark.filterwarnings("ignore::siteopt.errors.DataWarning")   # capex far off the rule
def test_editing_the_workbook_changes_the_answer(sites_workbook, tmp_path, run_cli):
    before = json.loads(run_cli("solve", "--data", str(sites_workbook),
                                "--format", "json").stdout)
    chosen = before["selected"][0]

    def expensive(workbook):
        sheet = workbook["sites"]
        row = next(cell.row for cell in sheet["A"] if cell.value == chosen)
        sheet[f"{_sites_column(workbook, 'capex_eur')}{row}"] = 1.9e10

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", expensive)
    after = json.loads(run_cli("solve", "--data", str(edited), "--format", "json").stdout)
    assert chosen not in after["selected"]


def test_a_bad_cell_names_sheet_row_and_column(sites_workbook, tmp_path):
    def bad(workbook):
        workbook["sites"][f"{_sites_column(workbook, 'power_mw')}5"] = "lots"

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", bad)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    message = str(raised.value)
    assert re.search(r"bids\.xlsx \(sheet sites\) row 5, column power_mw: 'lots' is not a "
                     r"finite number \(IT power the proposal plans, in MW\)", message), message


def test_a_cell_excel_made_a_date_says_so_and_how_to_fix_it(sites_workbook, tmp_path):
    """A capex typed as 3.4.2026 that Excel stored as a date is named as a date."""
    def dated(workbook):
        workbook["sites"][f"{_sites_column(workbook, 'capex_eur')}3"] = \
            datetime.datetime(2026, 4, 3)

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", dated)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert str(raised.value.problems[0]).endswith(
        "bids.xlsx (sheet sites) row 3, column capex_eur: '2026-04-03' is not a finite number; "
        "a date in a number's place: the spreadsheet may have formatted the cells as dates; "
        "format them as numbers and type the values again (total capital cost in EUR)")


def test_empty_rows_are_no_records_and_rows_keep_their_numbers(sites_workbook, tmp_path):
    """An analyst's gap between blocks of bids is no site, and a bad cell below it is named
    by its row in Excel."""
    def gap(workbook):
        workbook["sites"].insert_rows(4, 2)
        workbook["sites"][f"{_sites_column(workbook, 'power_mw')}8"] = "lots"

    sites = load_data(sites_workbook).site_table
    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", gap)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    [problem] = raised.value.problems
    assert str(problem).endswith(
        "bids.xlsx (sheet sites) row 8, column power_mw: 'lots' is not a finite number (IT "
        "power the proposal plans, in MW)")
    edited = _edited_workbook(sites_workbook, tmp_path / "gap.xlsx",
                              lambda workbook: workbook["sites"].insert_rows(4, 2))
    assert list(load_data(edited).site_table["site_id"]) == list(sites["site_id"])


def test_formulas_are_read_by_their_saved_value_or_refused(sites_workbook, tmp_path):
    column = None

    def formula(workbook):
        nonlocal column
        column = _sites_column(workbook, "grid_mw")
        workbook["sites"][f"{column}3"] = "=100*3"   # openpyxl saves no value for it

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", formula)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert len(raised.value.problems) == 1   # not also "'' is empty": one line, one fix
    assert (f"bids.xlsx (sheet sites) row 3, column grid_mw: the formula '=100*3' in cell "
            f"{column}3 has no saved value; open the workbook in Excel or LibreOffice and save "
            f"it") in str(raised.value)
    # the same formula with the value Excel saves beside it is read by that value
    saved = tmp_path / "saved.xlsx"
    _with_saved_value(edited, saved, "sites", f"{column}3", 300)
    assert load_data(saved).site_table["grid_mw"][1] == 300


def test_a_totals_row_below_the_bids_is_one_line(sites_workbook, tmp_path, data_dir):
    """An analyst's "Total" row with sums under the sites gave ten lines (every empty cell,
    each formula); it is one line naming the row and the fix, in a workbook and in CSV."""
    sums = {}

    def totals(workbook):
        sheet = workbook["sites"]
        row = sheet.max_row + 2   # after a blank row, as people leave one
        sheet[f"A{row}"] = "Total:"
        for name in ("power_mw", "capex_eur"):
            column = _sites_column(workbook, name)
            sheet[f"{column}{row}"] = sums[name] = f"=SUM({column}2:{column}{row - 2})"
        sums["row"] = row

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", totals)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert [str(problem) for problem in raised.value.problems] == [
        f"bids.xlsx (sheet sites) row {sums['row']}, column site_id: 'Total:' starts a totals "
        f"row, not data: delete the row (siteopt adds up the rows itself), or keep the totals "
        f"on a sheet of their own"]
    # the same in a CSV file, with every other mistake of the data still said
    from tests.conftest import edit_csv

    header = (data_dir / "sites.csv").read_text(encoding="utf-8").splitlines()[0]
    with open(data_dir / "sites.csv", "a", encoding="utf-8") as sites:
        sites.write("TOTAL" + "," * header.count(",") + "\n")
    edit_csv(data_dir / "sites.csv", "site_id", "RO-CER", "power_mw", "lots")
    with pytest.raises(InputError) as raised:
        load_data(data_dir)
    said = [str(problem) for problem in raised.value.problems]
    assert len(said) == 2 and "column power_mw: 'lots' is not a finite number" in said[0]
    assert said[1].endswith("column site_id: 'TOTAL' starts a totals row, not data: delete "
                            "the row (siteopt adds up the rows itself), or keep the totals on "
                            "a sheet of their own")


def _with_sheet_xml(source: Path, target: Path, sheet: str, edit) -> None:
    """Copy a workbook with the XML of one sheet changed by ``edit`` (text -> text)."""
    import zipfile

    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    index = openpyxl.load_workbook(source, read_only=True).sheetnames.index(sheet) + 1
    name = f"xl/worksheets/sheet{index}.xml"
    parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(target, "w") as archive:
        for filename, content in parts.items():
            archive.writestr(filename, content)


def _with_saved_value(source: Path, target: Path, sheet: str, cell: str, value) -> None:
    """Add the cached value Excel writes beside a formula (``<f>..</f><v>..</v>``)."""
    def saved(xml: str) -> str:
        xml, count = re.subn(rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f>(<v\s*/>|<v></v>)?',
                             rf"\1<f>\2</f><v>{value}</v>", xml)
        assert count == 1
        return xml

    _with_sheet_xml(source, target, sheet, saved)


def test_text_that_looks_like_a_formula_stays_text(sites_workbook, tmp_path):
    def hostile(workbook):
        cell = workbook["sites"][f"{_sites_column(workbook, 'notes')}2"]
        cell.value = '=HYPERLINK("http://example.invalid","x")'
        cell.data_type = "s"

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", hostile)
    assert load_data(edited).site_table["notes"][0] == '=HYPERLINK("http://example.invalid","x")'


def test_a_workbook_without_the_sites_sheet_is_refused(sites_workbook, tmp_path):
    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx",
                              lambda workbook: workbook.remove(workbook["sites"]))
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert "bids.xlsx: has no sheet 'sites'; add one with the columns of sites.csv" in \
        str(raised.value)


@pytest.mark.parametrize("sheet, typed", [("sites", "Sites"), ("letters", "letters "),
                                           ("demand", "Demand"), ("ai_factories", "AI factories")])
def test_a_sheet_named_almost_right_is_named_with_its_fix(sites_workbook, tmp_path, sheet, typed):
    """Also an optional sheet: under another name its rows would go unused, the shipped data
    set's read in their place without a word."""
    def rename(workbook):   # (openpyxl's title setter would number a case-only change)
        if sheet in workbook.sheetnames:
            workbook.copy_worksheet(workbook[sheet]).title = "placeholder"
            workbook.remove(workbook[sheet])
            workbook["placeholder"].title = typed
        else:
            workbook.create_sheet(typed)

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", rename)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert str(raised.value).endswith(
        f"bids.xlsx: has no sheet '{sheet}' but one named '{typed}': rename it to '{sheet}'")


@pytest.mark.parametrize("title", ["Candidate letters, December 2026", None])
def test_a_title_above_the_header_is_named_with_its_fix(sites_workbook, tmp_path, title):
    """A title (or an empty row) above the table: the header's row is named, not a cell of it
    said to lack a header."""
    def titled(workbook):
        workbook["letters"].insert_rows(1, amount=2)
        workbook["letters"].cell(row=1, column=1, value=title)

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", titled)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    held = f"{title!r} is" if title else "is empty,"
    assert [str(p).split("bids.xlsx ")[1] for p in raised.value.problems] == [
        f"(sheet letters) row 1: {held} not the header: the header (letter_id, site_id, "
        f"consortium, ...) is in row 3; delete the rows above it"]


def test_a_header_in_other_case_is_named_not_a_neighbouring_column(sites_workbook, tmp_path):
    """'Capex_EUR' is the column meant, not 'capex_basis' (a column of its own, and closer
    by spelling to 'capex_eur' than the capitalised name is)."""
    def capitalised(workbook):
        workbook["sites"][f"{_sites_column(workbook, 'capex_eur')}1"].value = "Capex_EUR"

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", capitalised)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert str(raised.value).endswith("(sheet sites), column capex_eur: required column is "
                                      "missing; found 'Capex_EUR': rename it to 'capex_eur'")


def test_a_value_in_a_column_with_no_header_is_refused_not_dropped(sites_workbook, tmp_path):
    """As a CSV value past the header: a note typed to the right of the table was dropped
    without a word."""
    def note(workbook):
        sheet = workbook["letters"]
        sheet.cell(row=5, column=sheet.max_column + 2, value="call back Tuesday")

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", note)
    width = openpyxl.load_workbook(sites_workbook)["letters"].max_column
    letter = openpyxl.utils.get_column_letter(width + 2)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    assert [str(p).split("bids.xlsx ")[1] for p in raised.value.problems] == [
        f"(sheet letters) row 5: cell {letter}5 holds 'call back Tuesday' in a column with no "
        f"header; name the column in {letter}1, or delete the value"]

    def named(workbook):
        note(workbook)
        sheet = workbook["letters"]
        sheet.cell(row=1, column=width + 1, value="spare")
        sheet.cell(row=1, column=width + 2, value="comment")

    assert len(load_data(_edited_workbook(sites_workbook, tmp_path / "named.xlsx",
                                          named)).letters) == 76   # a named column is read


def test_merged_cells_in_the_table_are_refused_once_each(sites_workbook, tmp_path):
    """A country merged over its sites shows in every row, yet only its first cell holds it;
    merged cells beside the table are no part of it."""
    def merge(workbook):
        sheet = workbook["sites"]
        country = _sites_column(workbook, "country")
        sheet.merge_cells(f"{country}3:{country}5")
        beside = sheet.max_column + 2
        sheet.merge_cells(start_row=2, start_column=beside, end_row=4, end_column=beside)

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", merge)
    with pytest.raises(InputError) as raised:
        load_data(edited)
    country = _sites_column(openpyxl.load_workbook(edited), "country")
    assert str(raised.value).endswith(
        f"bids.xlsx (sheet sites) row 3, column country: cells {country}3:{country}5 are "
        f"merged: Excel stores their value in {country}3 only, and the other cells read as "
        f"empty; unmerge them and fill in every cell")
    assert "is empty" not in str(raised.value)


def test_a_merge_past_excels_last_column_is_one_line_not_a_traceback(sites_workbook, tmp_path):
    """A hand-written sheet may merge cells Excel has not (column ABCD): refused as a
    workbook Excel did not write, before the merged-cell check reads the range."""
    import zipfile

    target = tmp_path / "bids.xlsx"
    with zipfile.ZipFile(sites_workbook) as source, zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                    b'<mergeCell ref="ABCD1:ABCD2"/></mergeCells>')
            copy.writestr(item, data)
    with pytest.raises(InputError) as raised:
        load_data(target)
    assert str(raised.value).endswith(
        "bids.xlsx: cannot be read as an Excel workbook (ABCD1:ABCD2 is not a valid coordinate "
        "or range); save it from Excel as 'Excel Workbook (*.xlsx)'")


def test_a_warning_names_the_excel_row_after_an_empty_row(sites_workbook, tmp_path):
    def gap_then_small_capex(workbook):
        sheet = workbook["sites"]
        sheet.insert_rows(3)   # an empty row between blocks of bids
        sheet[f"{_sites_column(workbook, 'capex_eur')}5"] = 5_000_000

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", gap_then_small_capex)
    site = openpyxl.load_workbook(edited)["sites"]["A5"].value
    with pytest.warns(DataWarning) as caught:
        load_data(edited)
    (where,) = [str(w.message).split(": ")[0] for w in caught]
    assert where.endswith("bids.xlsx (sheet sites) row 5, column capex_eur")
    assert f"{site} says capex_basis = rule, but its capex EUR 5.0 m" in str(caught[0].message)


def test_hidden_rows_that_hold_data_are_said_to_be_read(sites_workbook, tmp_path, run_cli):
    """A filter left on hides rows that are still data; a hidden empty row is nothing."""
    def hide(workbook):
        for row in (4, 7, 70):   # 70: below the table, empty
            workbook["sites"].row_dimensions[row].hidden = True
        workbook["letters"].row_dimensions[3].hidden = True

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", hide)
    with pytest.warns(DataWarning) as caught:
        dataset = load_data(edited)
    said = [str(w.message).split("bids.xlsx ")[1] for w in caught]
    assert said == ["(sheet sites) rows 4 and 7: hidden in Excel (a filter, or rows hidden by "
                    "hand), yet read like every other row; delete them to leave them out",
                    "(sheet letters) row 3: hidden in Excel (a filter, or rows hidden by hand), "
                    "yet read like every other row; delete it to leave it out"]
    assert len(dataset.site_table["site_id"]) == len(load_data(sites_workbook).site_table[
        "site_id"])   # read, all the same
    # validate counts them in its title (it said "clean" below the warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("always", DataWarning)
        done = run_cli("validate", "--data", str(edited))
    assert done.exit_code == 0 and done.stderr.count("warning: ") == 2
    assert " ".join(done.stdout.split()).startswith(
        f"Data set {dataset.describe()}: no errors, 2 warnings (above) ")


def test_the_workbook_to_edit_shows_amounts_readably_and_keeps_them_exact(workbook_dir):
    """Excel shows a 10-digit number in a narrow General column as 3.4E+09: the init workbook
    groups thousands, shows shares as percentages and widens its columns; values are exact."""
    sheet = openpyxl.load_workbook(workbook_dir / "bids.xlsx")["sites"]
    header = [cell.value for cell in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2])}
    assert (row["capex_eur"].value, row["capex_eur"].number_format) == (3_400_000_000, "#,##0")
    assert (row["renewable_share"].number_format, row["power_mw"].number_format) == (
        "0.0%", "General")
    assert sheet.column_dimensions[row["capex_eur"].column_letter].width >= len("3,400,000,000")
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_a_workbook_names_the_sheets_that_differ_from_the_shipped_data(sites_workbook,
                                                                       tmp_path):
    assert load_data(sites_workbook).describe().startswith("eu2026 (2026-12-02), in ")

    def rename(workbook):
        workbook["sites"]["B2"] = "A new name"
        workbook["letters"]["C2"] = "A new consortium"

    dataset = load_data(_edited_workbook(sites_workbook, tmp_path / "bids.xlsx", rename))
    assert dataset.describe().startswith("eu2026 (2026-12-02) with sheets sites and letters "
                                         "changed, in ")
    assert dataset.data_set["modified"] == ["sites.csv", "letters.csv"]   # JSON: as before
    from siteopt.data.manifest import label

    for where in ("BIDS.XLSX", "w/bids.xlsm"):   # any workbook Excel saves
        assert label(dataset.data_set, where).endswith(
            f"with sheets sites and letters changed, in {where}")
    assert label(dataset.data_set, "w/data").endswith(
        "with sites.csv, letters.csv changed, in w/data")


def test_a_row_copied_in_excel_is_warned_of_by_its_sheet_rows(sites_workbook, tmp_path):
    def copy_letter(workbook):
        sheet = workbook["letters"]
        values = [cell.value for cell in sheet[3]]
        sheet.append([])   # an empty row between: the copy is on row max_row + 2
        sheet.append(["L999", *values[1:]])

    edited = _edited_workbook(sites_workbook, tmp_path / "bids.xlsx", copy_letter)
    letters = openpyxl.load_workbook(edited)["letters"]   # not read-only: no file left open
    copied = letters.max_row
    with pytest.warns(DataWarning) as caught:
        load_data(edited)
    original = letters["A3"].value
    assert [str(w.message).split("bids.xlsx ")[1] for w in caught] == [
        f"(sheet letters) row {copied}: L999 repeats {original} (row 3) in every column but "
        f"letter_id: a copy? delete it, or correct what differs"]


def test_optional_sheets_come_from_the_shipped_data_set(sites_workbook):
    assert openpyxl.load_workbook(sites_workbook, read_only=True).sheetnames == \
        ["sites", "letters"]
    dataset = load_data(sites_workbook)
    assert dataset.displays["demand.csv"] == "siteopt/datasets/eu2026/demand.csv"
    assert dataset.demand_table.fingerprint() == load_data(DATA).demand_table.fingerprint()


def test_a_damaged_workbook_is_one_clear_line(sites_workbook, tmp_path, run_cli):
    broken = tmp_path / "bids.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    done = run_cli("solve", "--data", str(broken))
    assert done.exit_code == 2
    assert done.stderr.count("\n") == 1 and "cannot be read as an Excel workbook" in done.stderr
    # XML that breaks in the middle of a sheet, after its dimensions, where it is read lazily
    _with_sheet_xml(sites_workbook, tmp_path / "cut.xlsx", "sites",
                    lambda xml: xml[:xml.index('<row r="30"')] + '<row r="30"><c r="A30"')
    done = run_cli("validate", "--data", str(tmp_path / "cut.xlsx"))
    assert done.exit_code == 2 and done.stderr.count("\n") == 1
    assert "cut.xlsx: cannot be read as an Excel workbook" in done.stderr
    shutil.copy(DATA / "sites.csv", tmp_path / "sites.xlsx")
    assert "cannot be read as an Excel workbook" in run_cli(
        "validate", "--data", str(tmp_path / "sites.xlsx")).stderr
