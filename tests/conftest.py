"""Shared fixtures: a private copy of the shipped data, and CSV editing helpers."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from siteopt.cli import cli
from siteopt.paths import scenarios_dir, shipped_data_dir

REPO = Path(__file__).resolve().parents[1]
#: The shipped data set and scenarios, where the installed siteopt has them.
DATA = shipped_data_dir()
SCENARIOS = scenarios_dir()
#: What ``siteopt solve --out DIR`` writes, sorted.
OUT_FILES = ["consolidation.csv", "coverage_by_country.csv", "gigafactories.csv",
             "gigafactories.geojson", "map.html", "map.png", "report.html", "result.json",
             "siteopt.gpkg", "siteopt.xlsx", "sites.csv", "sites.geojson"]
matplotlib.use("Agg")  # no display in tests
# the data cache of this test session (inherited by every command the tests start), never the
# user's own ~/.cache
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="siteopt-test-cache-")
# text at the width of a pipe (report.tables.DEFAULT_WIDTH), whatever the shell exported
os.environ.pop("COLUMNS", None)
# reports dated one fixed day (report.html.run_date), so that two runs either side of midnight
# write the same files (a kill test once took a run that ended after 00:00 UTC for a mix of
# old and new files)
os.environ["SOURCE_DATE_EPOCH"] = "1796083200"   # 2026-12-01


#: Test modules whose module-scoped fixtures are expensive (full runs with --out, the docs
#: site, workbooks): pytest-xdist runs each on one worker, so each fixture is built once.
WHOLE_MODULES = ("test_docs.py", "test_explorer_browser.py", "test_exports.py", "test_interrupted_writes.py",
                 "test_ties_cross_border.py", "test_workspace.py")


def pytest_collection_modifyitems(config, items):
    """The modules of :data:`WHOLE_MODULES` first (each is one long unit of work for one
    worker): handed out early, while the other worker takes the short tests, neither waits
    for the other at the end."""
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
               not in WHOLE_MODULES)


def pytest_xdist_make_scheduler(config, log):
    """Tests go to whichever worker is free, but those of :data:`WHOLE_MODULES` go together
    (``--dist loadgroup`` with module-level marks did not group them under pytest 9)."""
    from xdist.scheduler import LoadScopeScheduling

    class WholeModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.rsplit("/", 1)[-1] in WHOLE_MODULES else nodeid

    return WholeModules(config, log)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped data set, in ``<tmp>/data``; the working directory is ``<tmp>``."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv",
                 "countries.geojson"):
        shutil.copy(DATA / name, target / name)
    monkeypatch.chdir(tmp_path)
    return target


def edit_csv(path: Path, key_column: str, key: str, column: str, value: str) -> int:
    """Set one cell of a CSV file; return the 1-based line number of the edited row."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for number, row in enumerate(rows[1:], start=2):
        if row[header.index(key_column)] == key:
            row.extend([""] * (len(header) - len(row)))
            row[header.index(column)] = value
            break
    else:
        raise KeyError(key)
    # Python's writer leaves a carriage return unquoted, which no reader takes as data
    quoting = csv.QUOTE_ALL if any("\r" in cell for row in rows for cell in row) else \
        csv.QUOTE_MINIMAL
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n", quoting=quoting).writerows(rows)
    return number


def rename_column(path: Path, old: str, new: str) -> None:
    """Rename a column in a CSV header."""
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = ",".join(new if name == old else name for name in lines[0].split(","))
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def run_cli():
    """Invoke the CLI in-process; returns click's Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def run(*args: str):
        saved = dict(os.environ)   # --no-cache and validate set SITEOPT_NO_CACHE: not for later
        try:
            return runner.invoke(cli, list(args), catch_exceptions=False)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    return run


def solve_out(tmp_path_factory, name: str, *args: str):
    """Run ``siteopt solve ARGS --out DIR`` once for a module; DIR and the printed stdout."""
    out = tmp_path_factory.mktemp(name) / "run"
    result = CliRunner().invoke(cli, ["solve", *args, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0
    return out, result.stdout


@pytest.fixture(scope="session")
def default_result():
    """The default model solved once on the shipped data."""
    import siteopt

    return siteopt.solve()


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def open_offline(browser, path):
    """Open a local file; return the page, the URLs it requested and its console errors."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    return page, requested, errors
