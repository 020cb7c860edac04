"""The documentation site builds strict and offline, and its generated parts are the code's."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys

import pytest

from siteopt.config import settings
from siteopt.data.schema import FILES
from tests.conftest import REPO



@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site as `make docs` builds it (notebooks shown, not executed: the notebook tests
    run them)."""
    out = tmp_path_factory.mktemp("site")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITEOPT_DOCS_EXECUTE": "false"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(out)], cwd=REPO, capture_output=True, text=True, env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _text(page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_the_api_reference_comes_from_the_docstrings(site):
    page = _text(site / "api.html")
    for name in ("solve", "load_data", "init_workspace", "find_workspace", "Result", "sweep"):
        assert name in page, name
    assert "Choose the gigafactory sites: load, validate, build and solve the model." in page


def test_every_key_and_every_column_is_on_the_site(site):
    keys = _text(site / "scenarios.html")
    for key, spec in settings():
        assert key in keys, key
    columns = _text(site / "data.html")
    for name, fields in FILES.items():
        for column in fields:
            assert column.name in columns, (name, column.name)


def test_outputs_on_the_site_are_run_when_it_is_built(site, run_cli, monkeypatch):
    """At 80 characters, so that a code box shows them without scrolling sideways."""
    page = _text(site / "model.html")
    monkeypatch.setenv("COLUMNS", "80")
    headline = run_cli("solve", "--budget", "20e9").stdout.splitlines()[0]
    assert len(headline) > 70 and headline in page
    boxes = [html.unescape(re.sub(r"<[^>]+>", "", box)) for box in re.findall(
        r"<pre.*?</pre>", (site / "model.html").read_text(encoding="utf-8"), re.S)]
    runs = [box for box in boxes if box.startswith("$ siteopt ")]
    assert len(runs) == 2
    assert max(len(line) for box in runs for line in box.splitlines()) == 80
    cross_border = run_cli("solve", "--model", "cross-border").stdout
    assert "IT-BLQ+PL-WRO" in cross_border and "IT-BLQ+PL-WRO" in page
    assert "4 portfolios tie for the optimum" in " ".join(page.split())


def test_the_site_reads_offline(site):
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text, page.name
        sources = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"(https?:[^\"]+)\"", text)
        assert sources == [], (page.name, sources)
    for notebook in ("01_candidates", "04_decision"):
        assert (site / "notebooks" / f"{notebook}.html").is_file()
    assert list(site.rglob("*.py*")) == []   # nothing of hooks.py, nor its bytecode
    assert "## [0.3.0]" not in _text(site / "changelog.html")
    assert "0.3.0" in _text(site / "changelog.html")


def test_the_python_pages_shown_values_are_what_the_api_returns():
    """Each line of the Python page's first example whose comment is a Python literal (a
    tuple or list, as the reader would see it printed) returns that value today."""
    import ast

    import siteopt

    page = (REPO / "docs" / "python.md").read_text(encoding="utf-8")
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {"siteopt": siteopt, "result": siteopt.solve()}
    checked = 0
    for line in example.splitlines():
        code, _, comment = line.partition("  # ")
        literal = re.match(r"\s*([(\[].*?[)\]])(?:\s|$)", comment)
        if not literal or code.startswith(("result =", "from ", "print")):
            continue
        shown = ast.literal_eval(literal.group(1))
        value = eval(code.strip(), namespace)   # the page's own code, not a data file
        if isinstance(shown, tuple):
            value = tuple(round(v, 4) if isinstance(v, float) else v for v in value)
        assert value == shown, (code.strip(), value)
        checked += 1
    assert checked == 4
