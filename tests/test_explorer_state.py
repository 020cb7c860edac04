"""The explorer's state without a browser: settings as model keys, the command and model file
that reproduce them, exact answers, messages, downloads and the server's request checks."""

from __future__ import annotations

import concurrent.futures
import html
import json
import os
import re
import shlex
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

import siteopt
from siteopt.api import resolve_model
from siteopt.config import load_model, parse_set_items
from siteopt.errors import ConfigError
from siteopt.explore.server import (allowed_hosts, closed_tab_writes_ignored, host_warning,
                                    request_allowed)
from siteopt.explore.session import DOWNLOADS, Explorer, difference
from siteopt.explore.settings import Settings, command_line, model_file, model_for, set_value
from siteopt.paths import model_path
from tests.conftest import solve_out


@pytest.fixture(scope="module")
def explorer():
    return Explorer()


def _command_model(line: str):
    """The model a ``siteopt solve`` line describes, read as the command line reads it."""
    words = shlex.split(line)
    model = words[words.index("--model") + 1] if "--model" in words else None
    items = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
    return resolve_model(model, None, items)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), st.integers(1, 9))
def test_a_value_written_for_set_reads_back_exactly(weight, count):
    assert parse_set_items([f"k={set_value(weight)}"])["k"] == weight
    assert parse_set_items([f"k={set_value(count)}"])["k"] == count


def test_the_command_and_model_file_give_the_explorers_model():
    base = load_model(model_path("default"))
    chosen = (Settings("default")
              .changed(base, "budget.total_eur", 12.5e9)
              .changed(base, "weights.coverage", 1 / 3)
              .changed(base, "sites.required", ["ES-NAV"])
              .changed(base, "consolidation.cross_border", True))
    cfg = model_for(base, chosen)
    line = command_line(chosen)
    assert line.startswith("siteopt solve --set budget.total_eur=12.5e9 ")
    from_command = _command_model(line)
    assert from_command.to_dict() == cfg.to_dict()
    assert from_command.description == cfg.description   # so result.json names it the same
    written = tomllib.loads(model_file(base, chosen))
    assert written == {"budget": {"total_eur": 12.5e9}, "weights": {"coverage": 1 / 3},
                       "consolidation": {"cross_border": True},
                       "sites": {"required": ["ES-NAV"]}}


def test_a_change_back_to_the_scenarios_value_is_no_change():
    base = load_model(model_path("green-grid"))
    changed = Settings("green-grid").changed(base, "budget.total_eur", 9e9)
    assert changed.changes == (("budget.total_eur", 9e9),)
    back = changed.changed(base, "budget.total_eur", base.budget.total_eur)
    assert back.changes == ()
    assert command_line(back) == "siteopt solve --model green-grid"
    assert "scenario as it is" in model_file(base, back)


def test_a_value_out_of_range_is_the_command_lines_message():
    base = load_model(model_path("default"))
    with pytest.raises(ConfigError) as raised:
        Settings("default").changed(base, "weights.grid", -1)
    with pytest.raises(ConfigError) as by_command:
        resolve_model(None, None, ["weights.grid=-1"])
    assert str(raised.value) == str(by_command.value)
    assert "weights.grid" in str(raised.value)


@pytest.mark.parametrize(("key", "typed", "said"), [
    ("budget.total_eur", "twelve", "Budget (EUR bn): 'twelve' is not a number; enter a number"),
    ("budget.total_eur", "nan", "--set: budget.total_eur = nan must be a finite number"),
    ("budget.total_eur", "-3", "--set: budget.total_eur = -3e9 must be > 0 EUR"),
    ("limits.max_gigafactories", "2.5", "--set: limits.max_gigafactories = 2.5 must be a whole "
                                        "number"),
    ("limits.max_gigafactories", "inf", "--set: limits.max_gigafactories = inf must be a whole "
                                        "number"),
    ("weights.grid", "1e400", "--set: weights.grid = inf must be a finite number"),
])
def test_what_is_typed_into_a_control_is_checked_by_the_schema(key, typed, said):
    from siteopt.explore.settings import control_value

    base = load_model(model_path("default"))
    with pytest.raises(ConfigError) as raised:
        Settings("default").changed(base, key, control_value(key, typed))
    assert str(raised.value) == said


def test_an_answer_is_the_command_lines_portfolio(explorer):
    base = explorer.base(Settings("default"))
    chosen = Settings("default").changed(base, "budget.total_eur", 12e9)
    answer = explorer.answer(chosen)
    direct = siteopt.solve(budget=12e9)
    assert answer.ok and answer.result.selected == direct.selected
    assert answer.result.objective == direct.objective
    again = explorer.answer(chosen)
    assert again.seconds == 0.0 and again.result.selected == direct.selected   # kept


def test_conflicting_limits_give_the_command_lines_message_and_code(explorer):
    base = explorer.base(Settings("default"))
    chosen = Settings("default").changed(base, "budget.total_eur", 1.5e9) \
        .changed(base, "sites.required", ["FR-LMX", "IT-BLQ"])
    answer = explorer.answer(chosen)
    assert not answer.ok and answer.exit_code == 1
    assert answer.message.startswith("error: ")
    from siteopt.errors import InfeasibleError

    with pytest.raises(InfeasibleError) as raised:
        siteopt.solve(model_for(base, chosen))
    assert answer.message == "\n".join(f"error: {line}" for line in str(raised.value).splitlines())


def test_the_difference_names_sites_and_amounts(explorer, default_result):
    cheaper = siteopt.solve(budget=12e9)
    said = difference(default_result, cheaper)
    assert said.sites_in == sorted(set(cheaper.selected) - set(default_result.selected))
    assert said.sites_out == sorted(set(default_result.selected) - set(cheaper.selected))
    assert said.objective == pytest.approx(cheaper.objective - default_result.objective)
    sentence = said.sentence("the previous answer")
    assert "less capex" in sentence and said.sites_in[0] in sentence
    farther = cheaper.access.mean_km - default_result.access.mean_km
    assert f"people {abs(farther):,.0f} km {'farther' if farther > 0 else 'closer'} on " \
        f"average" in sentence


def test_a_download_equals_solve_out(explorer, tmp_path_factory):
    base = explorer.base(Settings("default"))
    chosen = Settings("default").changed(base, "budget.total_eur", 12e9)
    result = explorer.answer(chosen).result
    files = {name: explorer.download(result, name) for name in DOWNLOADS}
    args = shlex.split(command_line(chosen))[2:]
    out, _ = solve_out(tmp_path_factory, "explorer-download", *args)
    mine, theirs = json.loads(files["result.json"]), json.loads((out / "result.json").read_text())
    for document in (mine, theirs):
        document.pop("timings")
        document["solver"].pop("seconds")
    assert mine == theirs
    assert files["siteopt.xlsx"][:2] == b"PK" and b"<html" in files["report.html"][:200]


@pytest.mark.parametrize(("headers", "allowed"), [
    ({"Host": "127.0.0.1:5006"}, True),
    ({"Host": "localhost:5006", "Origin": "http://localhost:5006"}, True),
    ({"Host": "127.0.0.1:5006", "Origin": "http://evil.example"}, False),
    ({"Host": "127.0.0.1:5006", "Origin": "https://127.0.0.1:5006"}, False),
    ({"Host": "evil.example:5006"}, False),   # DNS rebinding
    ({"Host": "127.0.0.1:5007"}, False),
    ({}, False),
])
def test_requests_reach_the_app_only_from_its_own_origin(headers, allowed):
    assert request_allowed(headers, allowed_hosts("127.0.0.1", 5006)) is allowed


def test_an_address_or_port_it_cannot_listen_on_is_one_line_naming_the_option(run_cli,
                                                                               monkeypatch):
    """A host that is no address of this machine was blamed on the port ("--port 0: cannot
    listen on 999.1.1.1:0"), after a warning that every machine could reach it."""
    import gc
    import socket
    import warnings

    def explore(*args):
        # Tornado leaves the socket it failed to bind to the garbage collector (the command
        # exits at once); collected here, without the ResourceWarning the tests make an error
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            done = run_cli("explore", "--no-browser", *args)
            said = done.exit_code, done.stderr
            del done   # (its exception's chain holds the socket)
            gc.collect()
        return said

    # an address of another machine (TEST-NET-1: nothing is sent, the bind fails here)
    assert explore("--host", "192.0.2.1", "--port", "0") == (2, (
        "error: --host 192.0.2.1: cannot listen on it (Cannot assign requested address); "
        "give an address of this machine (127.0.0.1, the default), or 0.0.0.0 for all of "
        "them\n"))
    # a name that does not resolve (resolved by a stand-in: the tests ask no name server)
    def unknown(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with monkeypatch.context() as patched:
        patched.setattr(socket, "getaddrinfo", unknown)
        code, stderr = explore("--host", "no-such-host.invalid", "--port", "0")
    assert code == 2 and stderr.startswith(
        "error: --host no-such-host.invalid: cannot listen on it (Name or service not known); "
        "give an address of this machine")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = explore("--port", str(port))
    assert code == 2
    assert stderr == (f"error: --port {port}: cannot listen on 127.0.0.1:{port} (Address "
                      f"already in use); choose another port, or --port 0 for any free one\n")


def test_listening_beyond_this_machine_warns():
    assert host_warning("127.0.0.1") == host_warning("localhost") == ""
    assert "no login" in host_warning("0.0.0.0") and "every machine" in host_warning("0.0.0.0")
    assert "10.1.2.3" in host_warning("10.1.2.3")
    assert request_allowed({"Host": "10.1.2.3:80", "Origin": "http://10.1.2.3:80"},
                           allowed_hosts("0.0.0.0", 80))


def test_the_explorer_offers_every_shipped_scenario_and_starts_from_default(explorer):
    assert explorer.initial == "default"
    shipped = sorted(p.stem for p in Path(siteopt.__file__).parent.joinpath(
        "scenarios").glob("*.toml"))
    assert sorted(explorer.scenarios) == shipped


def test_the_warm_up_keeps_the_first_answer_and_the_map_layers():
    from siteopt.explore.app import warm_up
    from siteopt.explore.views import map_layers

    fresh = Explorer()
    first = Settings(fresh.initial)
    assert fresh.kept_answer(first) is None
    warm_up(fresh)
    kept = fresh.kept_answer(first)
    assert kept is not None and kept.seconds == 0.0
    assert kept.result.selected == siteopt.solve().selected
    hits = map_layers.cache_info().hits
    assert map_layers(fresh.dataset).site_ids == fresh.dataset.sites["site_id"].tolist()
    assert map_layers.cache_info().hits == hits + 1   # made by the warm-up, not again
    bad = Settings(fresh.initial, (("limits.max_gigafactories", 0),))
    assert fresh.kept_answer(bad) is None   # bad settings: nothing kept, no exception


def test_the_maps_borders_stay_within_a_pixel_of_natural_earths(explorer):
    """The explorer sends simplified borders (fewer points); each member state's drawn area
    stays within 1 % of its true area in the map's projection."""
    import numpy as np

    from siteopt.explore.views import EUROPE_CRS, map_layers

    layers = map_layers(explorer.dataset)
    countries = explorer.dataset.countries
    truth = countries.to_crs(EUROPE_CRS).area.to_numpy()
    xs, ys = layers.countries
    drawn = np.zeros(len(countries))
    for x, y, owner in zip(xs, ys, layers.country_of_ring):
        x, y = np.asarray(x, float), np.asarray(y, float)
        drawn[owner] += 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    assert np.all(np.abs(drawn - truth) <= 0.01 * truth), countries["iso_a2"][
        np.abs(drawn - truth) > 0.01 * truth].tolist()
    points = sum(len(x) for x in xs)
    assert points < 0.9 * sum(len(np.asarray(p.exterior.coords))
                              for shape in countries.geometry
                              for p in getattr(shape, "geoms", [shape]))


def test_an_answer_without_its_runner_up_is_the_same_optimum_and_is_not_kept(explorer):
    base = explorer.base(Settings("default"))
    chosen = Settings("default").changed(base, "budget.total_eur", 13.5e9)
    quick = explorer.answer(chosen, runner_up=False)
    direct = siteopt.solve(budget=13.5e9)
    assert not quick.complete and quick.result.status.value == "optimal"
    assert quick.result.selected == direct.selected
    assert quick.result.objective == direct.objective
    assert explorer.kept_answer(chosen) is None   # only complete answers are kept
    full = explorer.answer(chosen)
    assert full.complete and full.result.runner_up == direct.runner_up is not None
    assert explorer.kept_answer(chosen).result.runner_up == direct.runner_up


def test_a_stop_signal_received_during_a_solve_ends_the_explorer(explorer, monkeypatch):
    # on the command line a signal during a solve is only recorded (the solver stops with its
    # best portfolio); the explorer must then stop, not show the answer and go on serving
    from siteopt import interrupt

    base = explorer.base(Settings("default"))
    chosen = Settings("default").changed(base, "budget.total_eur", 11.11e9)   # not kept
    assert explorer.kept_answer(chosen) is None
    monkeypatch.setattr(interrupt, "_received", [15])
    with pytest.raises(KeyboardInterrupt):
        explorer.answer(chosen)
    monkeypatch.setattr(interrupt, "_received", [])
    assert explorer.answer(chosen).ok   # without the signal the same settings are answered


def _touched(path: Path) -> None:
    """``path`` edited: a byte more, a later modification time."""
    stat = path.stat()
    with path.open("ab") as file:
        file.write(b"\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_page_says_when_a_data_file_changed_after_the_explorer_read_it(data_dir):
    """The answers stay those of the data as read; the page says which file changed and how
    to use the edits (in a notebook: run siteopt.explorer() again)."""
    from siteopt.explore.app import ExplorerPage

    explorer = Explorer(data=data_dir)
    page = ExplorerPage(explorer, served=False)
    assert page.notice.object == ""
    before = page.shown.result.selected
    _touched(data_dir / "sites.csv")
    (data_dir / "letters.csv").unlink()
    page.request(page.settings.changed(explorer.base(page.settings), "budget.total_eur", 15e9))
    shown = explorer.dataset.displays
    said = re.fullmatch(
        "<div role='alert' class='siteopt-notice'>(.*) changed after the explorer read them at "
        r"\d\d:\d\d: the answers here use the files as read then. To use the edits, run "
        r"siteopt.explorer\(\) again.</div>", page.notice.object)
    assert said and said.group(1) == f"{shown['letters.csv']}, {shown['sites.csv']}"
    assert page.shown.result.selected == siteopt.solve(budget=15e9).selected != before


def test_an_edited_workbook_or_model_file_is_named_and_an_untouched_one_is_not(
        tmp_path, run_cli, monkeypatch):
    assert run_cli("init", str(tmp_path / "ws"), "--excel").exit_code == 0
    monkeypatch.chdir(tmp_path / "ws")
    explorer = Explorer()   # the workspace's workbook and model
    fix = "stop siteopt explore (Ctrl-C) and start it again"
    assert explorer.files_edited(fix) is None
    _touched(Path("bids.xlsx"))
    said = explorer.files_edited(fix)
    assert said.startswith("bids.xlsx changed after the explorer read it at ")
    assert said.endswith(f"To use the edits, {fix}.")
    _touched(Path("models", "default.toml"))
    assert explorer.files_edited(fix).startswith(
        "bids.xlsx, models/default.toml changed after the explorer read them at ")


def test_the_budget_sweeps_chart_is_the_optimum_at_every_budget(explorer):
    """The explorer's sweep finds every change exactly, as siteopt sweep does, and draws the
    optimum as steps: flat while a portfolio stays optimal, a step at each change. It drew
    straight lines from budget to budget through portfolios no one had solved."""
    from siteopt.explore.views import sweep_data

    settings = Settings(explorer.initial)
    swept = explorer.budget_sweep(settings, [15e9, 17.5e9, 20e9])
    assert [row["found"] for row in swept.breaks] == ["exact"] * len(swept.breaks)
    assert len(swept.breaks) >= 2
    line, points = sweep_data(swept)
    assert points["budget"] == [15.0, 17.5, 20.0]
    budgets, objectives = line["budget"], line["objective"]
    assert not np.isnan(budgets).any() and budgets == sorted(budgets)
    assert objectives == sorted(objectives)   # more money never scores less
    vertices = set(zip(budgets, objectives))
    for row in swept.breaks:   # a step at each change, from the old portfolio to the new
        assert (row["low"] / 1e9, row["from_objective"]) in vertices
        assert (row["high"] / 1e9, row["to_objective"]) in vertices
    # between two changes the line is the optimum there: solve it afresh
    base = model_for(explorer.base(settings), settings)
    for left, right in zip(swept.breaks, swept.breaks[1:]):
        middle = (left["high"] + right["low"]) / 2
        solved = siteopt.solve(base, budget=middle)
        step = np.interp(middle / 1e9, budgets, objectives)
        assert solved.objective == pytest.approx(step, abs=1e-9)
        assert solved.objective == pytest.approx(left["to_objective"], abs=1e-9)


def test_decision_help_answers_in_a_notebook_too(explorer):
    """Inline in a notebook the explorer answers before the cell returns: its Alternatives,
    Explain and Budget sweep said "working…" for ever and showed nothing."""
    from siteopt.explore.app import ExplorerPage

    page = ExplorerPage(explorer, served=False)
    page._run(page._alternatives)
    ranked = siteopt.analysis.alternatives(k=5)
    assert list(page.alternative_choice.options.values()) == [1, 2, 3, 4, 5]
    assert list(page.alternative_choice.options)[1].startswith(f"2. {ranked.items[1].label} (")
    assert "The 5 best portfolios of these settings" in page.help_text.object
    page._run(lambda: page._explain("NL-SAG"))
    explained = siteopt.analysis.explain(["NL-SAG"]).sites[0].sentence()
    assert explained in html.unescape(re.sub(r"<[^>]+>", "", page.help_text.object))
    page._run(lambda: page._explain("XX-NOPE"))   # a task's error is said, not raised
    assert "XX-NOPE" in page.help_text.object and "working" not in page.help_text.object


def test_weight_ranges_are_those_of_the_settings_on_screen(explorer):
    """Decision help's Weight ranges answers for the settings shown (here at most two
    gigafactories), as ``siteopt weights --max-gigafactories 2`` does, and clears the budget
    sweep's chart."""
    from siteopt.analysis import weight_ranges
    from siteopt.explore.app import ExplorerPage

    page = ExplorerPage(explorer, served=False)
    page.request(page.settings.changed(explorer.base(page.settings),
                                       "limits.max_gigafactories", 2))
    page._run(page._sweep)
    assert page.sweep_area.objects   # the sweep's chart
    page._run(page._weights)
    assert page.sweep_area.objects == []   # not beside another analysis' text
    expected = weight_ranges(**{"limits.max_gigafactories": 2})
    text = html.unescape(re.sub(r"<[^>]+>", "", page.help_text.object))
    nearest = expected.summary_lines()[1]
    assert nearest.startswith("The nearest change: ") and nearest in text
    assert f"The answer on screen ({expected.portfolio}; model default + " \
           f"limits.max_gigafactories=2)" in text
    table = re.search(r"<table id='weights'>.*?<tbody>(.*?)</tbody>",
                      page.help_text.object).group(1)
    shown = [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(
        r"<td[^>]*>(.*?)</td>", row)] for row in re.findall(r"<tr>(.*?)</tr>", table)]
    assert shown == expected.shown().astype(str).values.tolist()


def test_the_server_draws_without_a_window_toolkit_and_drops_closed_tab_writes():
    """The server draws in worker threads: whatever backend the user's matplotlib has
    (MPLBACKEND here; TkAgg on a desktop needs the main thread), it switches to Agg. Its loop
    drops the errors of messages sent to closed tabs (:func:`closed_tab_writes_ignored`)."""
    import subprocess
    import sys

    code = ("import matplotlib; from siteopt.explore.server import make_server; "
            "from siteopt.explore.session import Explorer; "
            "before = matplotlib.get_backend(); server = make_server(Explorer()); "
            "print(before, matplotlib.get_backend(), "
            "server.io_loop.asyncio_loop.get_exception_handler().__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "template"}, timeout=120)
    assert done.stdout.lower().split() == ["template", "agg", "closed_tab_writes_ignored"], \
        done.stderr


def test_a_message_for_a_closed_tab_prints_no_traceback_but_other_errors_do(caplog):
    """A tab closed while the server wrote to it left "Task exception was never retrieved"
    and a traceback in the terminal (a fresh-clone test run, 2026-12-07); other errors that
    nobody awaited are still reported."""
    import asyncio

    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    loop = asyncio.new_event_loop()
    try:
        for error in (WebSocketClosedError(), StreamClosedError(), ValueError("a real one")):
            closed_tab_writes_ignored(loop, {"message": "Task exception was never retrieved",
                                             "exception": error})
    finally:
        loop.close()
    reported = [record for record in caplog.records if record.name == "asyncio"]
    assert [str(record.exc_info[1]) for record in reported] == ["a real one"]


def test_stop_ends_a_running_analysis_as_stopped_not_as_a_solver_failure(explorer):
    """Stop during Alternatives on cross-border (about a minute): the analysis raises
    ``KeyboardInterrupt`` (the page says it was stopped), not a ``SolverError`` telling the
    user to raise solver.time_limit_s; the explorer then answers the next question."""
    owner = object()
    settings = Settings("cross-border")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        running = pool.submit(explorer.alternatives, settings, 5, owner)
        while explorer._owner is not owner:   # until the analysis holds the solver
            assert not running.done(), running.exception()
            time.sleep(0.05)
        time.sleep(1.0)   # inside its solves
        explorer.stop(owner)
        with pytest.raises(KeyboardInterrupt):
            running.result(timeout=60)
    assert explorer.answer(Settings("default"), owner=owner).result.selected == \
        siteopt.solve().selected


def test_a_closed_tabs_work_stops_at_once_when_it_starts(explorer):
    """What a closed tab asked for, waiting behind another tab's solve, stops as soon as it
    starts (:meth:`Explorer.close`); other owners are not affected."""
    class Tab:   # an owner, as the explorer's pages are
        pass

    gone, other = Tab(), Tab()
    explorer.close(gone)
    with pytest.raises(KeyboardInterrupt):
        explorer.alternatives(Settings("default"), 3, gone)
    ranked = explorer.alternatives(Settings("default"), 2, other)
    best = sorted(site for g in ranked.items[0].gigafactories for site in g)
    assert (len(ranked.items), best) == (2, siteopt.solve().selected)


def test_an_answer_posted_just_before_its_tab_closed_starts_nothing(explorer):
    """A solve that finished just before its tab closed had its "finished" posted to the
    page's thread; it ran after the close and started the next solve on the pool already
    shut down (RuntimeError in the server's log). Posted callbacks check again when they run."""
    from siteopt.explore.app import ExplorerPage

    class Queue:   # the page's thread: the loop's callbacks, then the document's next ticks
        session_context = "connected"

        def __init__(self):
            self.waiting = []

        def add_callback(self, callback):
            self.waiting.append(callback)

        add_next_tick_callback = add_callback

        def run(self):
            while self.waiting:
                self.waiting.pop(0)()

    page = ExplorerPage(explorer, served=False)
    page.document = page.loop = queue = Queue()
    page.pool = concurrent.futures.ThreadPoolExecutor(1)
    ran = []
    page._from_worker(lambda: ran.append("before the close"))
    queue.run()
    page._from_worker(lambda: ran.append("posted, run after the close"))
    queue.waiting.pop(0)()   # posted: now a next tick of the document
    page._closed(None)
    queue.run()
    assert ran == ["before the close"]
    with pytest.raises(RuntimeError, match="after shutdown"):   # what the callback would hit
        page.pool.submit(print)
