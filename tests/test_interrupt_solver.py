"""Ctrl-C while the solver works: it stops at once and reports the best portfolio so far."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def slow_dir(tmp_path_factory):
    """A 500-site, 20,000-point instance on which HiGHS needs well over a minute (its
    validation cached, so the solve starts about a second after the command)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks/generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    directory = generate.generate(500, 20_000, seed=0, out=tmp_path_factory.mktemp("slow"))
    done = subprocess.run([sys.executable, "-m", "siteopt", "validate", "--data",
                           str(directory)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return directory


def test_ctrl_c_reports_the_best_portfolio_so_far_and_writes_nothing(slow_dir, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "siteopt", "solve", "--data", str(slow_dir), "--set",
               "solver.method=direct", "--time-limit", "600", "--format", "json",
               "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(10)   # the solve is under way (it runs for minutes), also on a loaded machine
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    # well before the 600 s time limit: the signal stopped the solver
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    document = json.loads(stdout)
    assert document["status"] == "interrupted"
    assert document["gigafactories"] and document["objective"] > 0
    assert stderr.splitlines()[-1] == (
        f"interrupted: the solver was stopped before proving the optimum; the best portfolio "
        f"found so far is shown, nothing was written to {out}")
    assert not out.exists()


@pytest.mark.parametrize("solve", ["direct", "benders", "search"])
def test_every_path_stops_at_a_stop_signal_with_its_best_portfolio(monkeypatch, solve):
    """With a stop signal recorded, each path returns at once: status interrupted, a portfolio
    that keeps every rule (the greedy start at least), and its gap."""
    from siteopt import interrupt
    from siteopt.config import Solver
    from siteopt.solvers.benders import solve_benders
    from siteopt.solvers.direct import solve_direct
    from siteopt.solvers.outcome import Status
    from siteopt.solvers.search import solve_search
    from tests.instances import hard_instance

    instance = hard_instance(200, 3000)
    monkeypatch.setattr(interrupt, "_received", [signal.SIGINT])
    path = {"direct": solve_direct, "benders": solve_benders, "search": solve_search}[solve]
    outcome = path(instance, Solver(method=solve, time_limit_s=600))
    assert outcome.status == Status.INTERRUPTED
    assert outcome.gigafactories and instance.violations(outcome.gigafactories) == []
    assert outcome.seconds < 600


def test_a_stop_signal_python_swallowed_still_ends_the_explorer(tmp_path):
    """A stop signal whose KeyboardInterrupt Python swallowed (raised inside a finalizer, as
    Bokeh drops a closed tab's session) is only recorded; the idle explorer raises it again
    from its loop and ends as on any stop signal (it once ran on: a teardown that waited 30 s
    for it failed the test run)."""
    script = tmp_path / "swallowed.py"
    script.write_text(
        "import signal, sys, threading, time\n"
        "from siteopt import interrupt, launch\n"
        "def swallowed():\n"
        "    sys.stdin.readline()   # the test saw the explorer start\n"
        "    interrupt._received.append(signal.SIGTERM)\n"
        "threading.Thread(target=swallowed, daemon=True).start()\n"
        "sys.argv = ['siteopt', 'explore', '--port', '0', '--no-browser']\n"
        "launch.main()\n")
    process = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("siteopt explorer at http://127.0.0.1:")
        # served once its warm-up (a solve, which looks for signals itself) is over: idle now
        with urllib.request.urlopen(first.split(" at ", 1)[1].strip(), timeout=120) as page:
            assert page.status == 200
        process.stdin.write("started\n")
        process.stdin.flush()
        assert process.wait(timeout=60) == 1
        assert process.stderr.read().splitlines()[-1] == "Aborted!"
    finally:
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()


@pytest.mark.parametrize("analysis", ["sweep", "alternatives", "explain", "robust"])
def test_a_stop_signal_ends_the_analysis_not_one_of_its_solves(monkeypatch, analysis):
    """A stop signal during an analysis's solve raises KeyboardInterrupt once that solve has
    stopped: it once went on to the next solve (a report's sweep of HiGHS solves in
    this process ran on after SIGTERM, each point stopped and the next begun). (The Pareto
    front's own solves refuse an unproven answer, which the command reports as the
    interruption.)"""
    from siteopt import interrupt, solvers
    from siteopt.analysis import alternatives, explain, robust, sweep

    solves = []

    def counted(*arguments, **keywords):
        solves.append(arguments[0])
        if len(solves) == 2:   # the analysis's first solve after the model's optimum
            interrupt._received.append(signal.SIGTERM)
        return solve_once(*arguments, **keywords)

    solve_once = solvers._solve_once
    monkeypatch.setattr(solvers, "_solve_once", counted)
    monkeypatch.setattr(interrupt, "_received", [])
    run = {"sweep": lambda: sweep(["budget.total_eur=10e9:20e9:1e9"], workers=1),
           "alternatives": lambda: alternatives(k=3),
           "explain": lambda: explain(["ES-NAV"], workers=1),
           "robust": lambda: robust(draws=4, workers=1)}[analysis]
    with pytest.raises(KeyboardInterrupt):
        run()
    assert len(solves) == 2   # the model's optimum, and the one the signal stopped
