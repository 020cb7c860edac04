"""Every notebook runs top to bottom, offline, and shows what it promises."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


EXECUTE = """
import sys, tempfile
from pathlib import Path
import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

source, target = Path(sys.argv[1]), sys.argv[2]
notebook = nbformat.read(source, as_version=4)
with tempfile.TemporaryDirectory() as sockets:
    # the kernel talks over local socket files, not TCP
    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "k"))
    NotebookClient(notebook, km=kernel, timeout=600,
                   resources={"metadata": {"path": str(source.parent)}}).execute()
nbformat.write(notebook, target)
"""


def run(path):
    """Execute a notebook in a separate process (its kernel and sockets stay out of pytest)."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / path.name
        done = subprocess.run([sys.executable, "-c", EXECUTE, str(path), str(target)],
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return nbformat.read(target, as_version=4)


def outputs(notebook, kind):
    return [output for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if kind in output.get("data", {})]


def test_there_are_five_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_candidates.ipynb", "02_solve.ipynb",
                                           "03_scenarios.ipynb", "04_decision.ipynb",
                                           "05_explorer.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_draws(path):
    notebook = run(path)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    images = outputs(notebook, "image/png")
    expected_images = {"01_candidates": 4, "02_solve": 3, "03_scenarios": 1,
                       "04_decision": 5, "05_explorer": 0}[path.stem]
    assert len(images) == expected_images
    if path.stem == "02_solve":
        html = "".join(o["data"]["text/html"] for o in outputs(notebook, "text/html"))
        assert "leaflet" in html.lower()  # the interactive map is shown inline
        assert "ES-SFH" in html
        # print(result) reads as on a terminal: the headline, then each table whole, in
        # order (rich showed the tables apart, before the headline, cut at 115 characters)
        printed = "".join("".join(o.get("text", "")) for c in notebook.cells
                          for o in c.get("outputs", []) if o["output_type"] == "stream")
        assert (printed.index("5 gigafactories in 5 member states") < printed.index(
            "Member sites") < printed.index("Objective"))
        header = printed.split("Member sites")[1].split("━")[0]
        assert header.split() == ["site", "name", "state", "effective", "MW", "capex", "CO2",
                                  "g/kWh", "within", "500", "km"]
    if path.stem == "05_explorer":   # the app inline: its first answers, its scripts inline
        import siteopt

        shown = "".join(str(o["data"]) for o in outputs(notebook, "text/html"))
        assert "Gigafactories" in shown and "Budget (EUR bn)" in shown
        for result in (siteopt.solve(), siteopt.solve("green-grid")):
            assert all(g.id in shown for g in result.gigafactories)
        loads = outputs(notebook, "application/vnd.holoviews_load.v0+json")
        assert len(loads) == 2   # Bokeh's and Panel's scripts, once, however many apps
        assert "<script src=" not in shown
    if path.stem == "04_decision":   # each analysis printed its answer
        text = "".join("".join(o.get("text", "")) for c in notebook.cells
                       for o in c.get("outputs", []) if o["output_type"] == "stream")
        assert "Today's optimum: " in text and " is chosen. Leaving it out replaces " in text
        assert "8 draws (seed 1; model default)" in text
        assert "\nThe nearest change: weights." in text   # the weight ranges


def test_committed_notebooks_have_no_outputs():
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
