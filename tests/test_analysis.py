"""Decision analysis: the k best portfolios against brute force, and on the shipped data."""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import logging
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteopt.analysis import alternatives
from siteopt.analysis.alternatives import rank_portfolios
from siteopt.analysis.pareto import pareto_front
from siteopt.config import Solver
from siteopt.data.table import Table
from siteopt.errors import listed
from siteopt.model import TERMS
from siteopt.terms import ACCESS_TERMS
from tests.instances import (every_portfolio, feasible_portfolios, member_sites,
                             portfolio_value, random_access_instance, random_instance)


def ranking_by_brute_force(instance) -> list[float]:
    """The best objective of every feasible set of member sites, best first."""
    best: dict[tuple, float] = {}
    for value, portfolio in feasible_portfolios(instance):
        used = member_sites(portfolio)
        best[used] = max(value, best.get(used, -float("inf")))
    return sorted(best.values(), reverse=True)


RANKING_CASES = {"seed": st.integers(0, 10**6), "n_sites": st.integers(2, 6),
                 "n_groups": st.integers(0, 8)}


@settings(max_examples=12, deadline=None, derandomize=True)
@given(**RANKING_CASES)
def test_the_ranking_is_the_brute_force_ranking_highs(seed, n_sites, n_groups):
    check_ranking_against_brute_force("highs", seed, n_sites, n_groups)


@settings(max_examples=5, deadline=None, derandomize=True)   # CBC runs a process per solve
@given(**RANKING_CASES)
def test_the_ranking_is_the_brute_force_ranking_cbc(seed, n_sites, n_groups):
    check_ranking_against_brute_force("cbc", seed, n_sites, n_groups)


def check_ranking_against_brute_force(name, seed, n_sites, n_groups):
    instance = random_instance(seed, n_sites, n_groups, 3)
    expected = ranking_by_brute_force(instance)
    ranked, complete = rank_portfolios(instance, Solver(name=name), k=len(expected) + 1)
    assert complete   # also when nothing is feasible: then the ranking is empty
    assert [value for value, _ in ranked] == pytest.approx(expected, abs=1e-9)
    used = [frozenset(s for g in portfolio for s in g) for _, portfolio in ranked]
    assert len(set(used)) == len(used)   # every entry a different set of sites


def test_k_and_within_stop_the_ranking():
    instance = random_instance(10, 6, 6, 3)
    expected = ranking_by_brute_force(instance)
    assert len(expected) == 36
    counted = []   # the progress bar's steps: one per portfolio proven
    ranked, complete = rank_portfolios(instance, Solver(), k=3, advance=lambda: counted.append(1))
    assert len(ranked) == 3 and not complete and len(counted) == 3
    within = (expected[0] - expected[2]) / abs(expected[0]) + 1e-12  # keeps the first three
    ranked, complete = rank_portfolios(instance, Solver(), k=100, within=within)
    assert [v for v, _ in ranked] == pytest.approx(expected[:3], abs=1e-9) and not complete


@pytest.fixture(scope="module")
def shipped():
    return alternatives(k=4)


def test_shipped_alternatives_start_at_the_optimum_and_say_what_changes(shipped):
    import siteopt

    best = siteopt.solve()
    first = shipped.items[0]
    assert first.rank == 1 and first.gap == 0 and first.objective == pytest.approx(
        best.objective, abs=1e-12)
    assert sorted(s for g in first.gigafactories for s in g) == best.selected
    objectives = [a.objective for a in shipped.items]
    assert objectives == sorted(objectives, reverse=True) and len(objectives) == 4
    for a in shipped.items[1:]:
        sites = {s for g in a.gigafactories for s in g}
        assert sorted(sites - set(best.selected)) == a.sites_in
        assert sorted(set(best.selected) - sites) == a.sites_out
        assert a.sites_in or a.sites_out
        assert a.gap == pytest.approx((best.objective - a.objective) / best.objective)
        # each alternative is what a solve with its sites required and the rest excluded gives
        others = [s for s in best.sites["site_id"] if s not in sites]
        forced = siteopt.solve(**{"sites.required": sorted(sites), "sites.excluded": others})
        assert forced.objective == pytest.approx(a.objective, abs=1e-9)


def test_alternatives_outputs(shipped, run_cli):
    table = shipped.table()
    assert list(table["rank"]) == [1, 2, 3, 4]
    document = json.loads(shipped.to_json())
    assert [a["objective"] for a in document["alternatives"]] == [
        a.objective for a in shipped.items]
    ax = shipped.plot()
    assert len(ax.patches) == 4
    printed = run_cli("alternatives", "--k", "3").stdout
    caution, title = printed.split("\n\n", 1)[0].rsplit("\n", 1)
    assert caution.startswith("Caution: ")
    assert title == "The 3 best portfolios (model: default; the 3 asked for; more with --k)"
    assert f"{shipped.items[1].objective:.4f}" in printed
    assert run_cli("alternatives", "--k", "0").exit_code == 2


@pytest.mark.parametrize("args", [["alternatives", "--k", "3"],
                                  ["sweep", "--vary", "budget.total_eur=15e9,20e9"],
                                  ["explain", "RO-CER"], ["pareto", "--points", "3"],
                                  ["robust", "--draws", "3"]])
def test_an_analysis_says_first_which_sites_it_names_are_illustrative(data_dir, run_cli,
                                                                       args, monkeypatch):
    """As `solve` says it of its member sites; the IDs are never split over two lines."""
    import pandas as pd

    import siteopt.analysis

    made = []   # the analysis the command computes (each is computed once)
    computed = getattr(siteopt.analysis, args[0])
    monkeypatch.setattr(siteopt.analysis, args[0],
                        lambda *given, **named: made.append(computed(*given, **named))
                        or made[-1])
    printed = run_cli(*args, "--data", str(data_dir)).stdout
    named = made[0].named_sites()
    sites = pd.read_csv(data_dir / "sites.csv")
    illustrative = sorted(set(named) & set(sites["site_id"][sites["provenance"]
                                                            == "illustrative"]))
    assert 0 < len(illustrative) < len(named)   # both kinds among them on the shipped data
    paragraph = printed.split("\n\n", 1)[0]
    assert " ".join(paragraph.split()).startswith(
        f"Caution: {len(illustrative)} of the {len(named)} sites named below have "
        f"illustrative figures ({', '.join(illustrative)}): each stands for a site of its "
        f"kind in its region, not for a real bid")
    assert not re.search(r"[A-Z]-\n", paragraph)
    # every site the analysis names is among those counted
    shown = set(re.findall(r"\b[A-Z]{2}-[A-Z]{3}\b", printed.split("\n\n", 1)[1]))
    assert shown <= set(named)
    # with every site reported, nothing to say
    sites["provenance"] = "reported"
    sites.to_csv(data_dir / "sites.csv", index=False)
    assert "Caution" not in run_cli(*args, "--data", str(data_dir)).stdout


@pytest.fixture(scope="module")
def explained():
    from siteopt.analysis import explain

    return explain(["ES-NAV", "RO-CER"])


def test_explain_matches_separate_solves_and_its_thresholds_hold(explained):

    import siteopt
    from siteopt.data import load_data

    out, chosen = explained.sites
    best = siteopt.solve()
    assert (out.chosen, chosen.chosen) == (False, True)
    forced_in = siteopt.solve(**{"sites.required": ["ES-NAV"]})
    forced_out = siteopt.solve(**{"sites.excluded": ["RO-CER"]})
    assert out.alternative_objective == pytest.approx(forced_in.objective, abs=1e-12)
    assert out.regret == pytest.approx(best.objective - forced_in.objective, abs=1e-12)
    assert out.displaced == sorted(set(best.selected) - set(forced_in.selected))
    assert chosen.alternative_objective == pytest.approx(forced_out.objective, abs=1e-12)
    assert chosen.brought_in == sorted(set(forced_out.selected) - set(best.selected))

    data = load_data()

    def selected_with(site, **values):
        sites = data.sites.copy()
        for column, value in values.items():
            sites.loc[sites["site_id"] == site, column] = value
        changed = data.with_sites(Table.from_frame(sites))
        return site in siteopt.solve(data=changed).selected

    # at the reported entry capex ES-NAV is chosen, EUR 10 m above it it is not
    assert selected_with("ES-NAV", capex_eur=out.threshold_capex_eur)
    assert not selected_with("ES-NAV", capex_eur=out.threshold_capex_eur + 10e6)
    assert out.threshold_capex_eur < out.capex_eur
    # with the reported extra MW it enters, with 1 MW less it does not
    site = data.sites.set_index("site_id").loc["ES-NAV"]
    assert selected_with("ES-NAV", power_mw=site.power_mw + out.extra_mw,
                         grid_mw=site.grid_mw + out.extra_mw)
    assert not selected_with("ES-NAV", power_mw=site.power_mw + out.extra_mw - 1,
                             grid_mw=site.grid_mw + out.extra_mw - 1)
    # RO-CER leaves at the reported capex and stays EUR 10 m below it
    assert not selected_with("RO-CER", capex_eur=chosen.threshold_capex_eur)
    assert selected_with("RO-CER", capex_eur=chosen.threshold_capex_eur - 10e6)
    # (the two sites were explained on Dask: these separate solves check its answers)


@pytest.mark.parametrize("guess, most_calls", [(None, 12), (36.2, 2), (50.0, 12), (10.0, 12),
                                                (36.9, 2)])
def test_a_boundary_is_exact_whatever_the_guess(guess, most_calls):
    """Entering below 36.5 (true) and not above: the bracket is one step wide around 36.5
    and holds it, the guess only saves solves (two when it is right)."""
    from siteopt.analysis.explain import _boundary

    calls = []

    def enters(value):
        calls.append(value)
        return value <= 36.5

    true_end, false_end = _boundary(0.0, 100.0, 1.0, enters, "false", guess)
    assert true_end <= 36.5 < false_end and false_end - true_end <= 1.0
    assert len(calls) <= most_calls
    assert _boundary(0.0, 100.0, 1.0, lambda value: False, "false", guess) is None  # no turn


@pytest.mark.parametrize("displaced, brought_in, said", [
    (["ES-ZAZ", "FR-LMX", "PL-POZ"], ["ES-ALV", "NL-SAG"],
     "Leaving it out replaces ES-ZAZ, FR-LMX and PL-POZ with ES-ALV and NL-SAG, and costs 10.00%"),
    (["FR-LMX"], [], "Leaving it out drops FR-LMX, and costs 10.00%"),
    ([], ["ES-NAV"], "Leaving it out adds ES-NAV, and costs 10.00%"),
])
def test_explain_names_what_leaves_and_what_enters(displaced, brought_in, said):
    from siteopt.analysis.explain import SiteExplanation

    explanation = SiteExplanation("FR-LMX", True, 0.5, 0.45, 0.05, displaced, brought_in, [],
                                  6.5e9, None, None)
    assert explanation.sentence() == (f"FR-LMX is chosen. {said} of the objective (0.0500 "
                                      f"points). It stays chosen at any capex the budget allows "
                                      f"(now EUR 6.50 bn).")


def test_a_site_the_model_requires_or_excludes_is_explained_by_that_rule():
    """No capex or power changes a rule: the answer is the rule, and what the optimum would
    be without it (every other rule kept)."""
    import siteopt
    from siteopt.analysis.explain import explain

    rules = {"sites.required": ["ES-NAV"]}
    explanation = explain(["ES-NAV"], None, None, **rules)
    required, = explanation.sites
    best, free = siteopt.solve(**rules), siteopt.solve()
    assert (required.imposed, required.chosen, required.threshold_capex_eur) == ("required",
                                                                                True, None)
    assert required.regret == pytest.approx(best.objective - free.objective, abs=1e-12)
    assert required.regret < 0
    assert required.sentence().startswith(
        f"ES-NAV is chosen because the model requires it (sites.required). Without that rule "
        f"the optimum replaces {listed(required.displaced)} with {listed(required.brought_in)}, "
        f"and scores {-required.regret / best.objective:.2%} more ({-required.regret:.4f} "
        f"points): ")
    assert required.brought_in == sorted(set(free.selected) - set(best.selected))
    assert list(explanation.table()["chosen"]) == ["yes (required)"]
    rules = {"sites.excluded": ["DE-LUB", "IT-BLQ"]}
    unused, excluded = explain(["DE-LUB", "IT-BLQ"], None, None, **rules).sites
    assert unused.sentence().startswith(
        "DE-LUB is not chosen because the model excludes it (sites.excluded). Without that "
        "rule the optimum leaves it out too.")
    without = siteopt.solve(**{"sites.excluded": ["DE-LUB"]})
    assert "IT-BLQ" in excluded.brought_in and excluded.alternative_objective == pytest.approx(
        without.objective, abs=1e-12)


def test_explain_in_words_and_on_the_command_line(explained, run_cli):
    out, chosen = explained.sites
    # what insisting costs, in the objective and in the quantities behind it
    import siteopt

    best, forced = siteopt.solve(), siteopt.solve(**{"sites.required": ["ES-NAV"]})
    people = (forced.covered_population - best.covered_population) / 1e6
    capex = (forced.total_capex_eur - best.total_capex_eur) / 1e9
    assert out.sentence().startswith(
        f"ES-NAV is not chosen. Forcing it in replaces {' and '.join(out.displaced)} with "
        f"{' and '.join(out.brought_in)}, and costs "
        f"{out.regret / out.objective:.2%} of the objective ({out.regret:.4f} points): "
        f"{abs(people):.1f} m {'more' if people > 0 else 'fewer'} people within 500 km, "
        f"EUR {abs(capex):.2f} bn {'more' if capex > 0 else 'less'} capex")
    assert f"It would enter at a capex of EUR {out.threshold_capex_eur / 1e9:,.2f} bn (now " \
        f"EUR 4.20 bn)" in out.sentence()
    assert chosen.sentence().startswith(
        f"RO-CER is chosen. Leaving it out replaces {listed(chosen.displaced)} with "
        f"{listed(chosen.brought_in)}, and costs ")
    assert "RO-CER" in chosen.displaced and "RO-CER" not in chosen.brought_in
    assert "gigafactories" in out.binding
    document = json.loads(explained.to_json())
    assert [s["site_id"] for s in document["sites"]] == ["ES-NAV", "RO-CER"]
    unknown = run_cli("explain", "XX-NOPE")
    assert unknown.exit_code == 2 and "unknown site XX-NOPE" in unknown.stderr


def test_explain_takes_one_site_by_its_id_and_each_site_once(monkeypatch):
    """A site named twice was solved and shown twice; a single ID was read letter by letter
    ("unknown site E, S, -, ..."); no site at all raised IndexError."""
    import importlib

    from siteopt.errors import ConfigError

    explaining = importlib.import_module("siteopt.analysis.explain")
    asked = []
    monkeypatch.setattr(explaining, "explain_site",
                        lambda cfg, dataset, site, best: asked.append(site) or site)
    assert explaining.explain("ES-NAV").sites == ["ES-NAV"]
    assert explaining.explain(["RO-CER", "RO-CER"], workers=1).sites == ["RO-CER"]
    assert asked == ["ES-NAV", "RO-CER"]
    with pytest.raises(ConfigError, match="name at least one site to explain"):
        explaining.explain([])


@pytest.mark.parametrize("call, said", [
    # counts given as fractions ran (alternatives(k=1.5) listed two) or raised TypeError
    (lambda a: a.alternatives(k=1.5), "--k 1.5: give a whole number"),
    (lambda a: a.alternatives(k=True), "--k True: give a whole number"),
    (lambda a: a.pareto("cost", "coverage", points=2.5), "--points 2.5: give a whole number"),
    (lambda a: a.robust(draws=2.5), "--draws 2.5: give a whole number"),
    (lambda a: a.choose(draws=2, test_draws=1.5), "--test-draws 1.5: give a whole number"),
    (lambda a: a.choose(draws=2, gap_samples=0.5), "--gap-samples 0.5: give a whole number"),
    # (raised IndexError)
    (lambda a: a.sweep([]), "give at least one --vary KEY=START:STOP:STEP (or KEY=A,B,C)"),
])
def test_the_analyses_refuse_counts_that_are_not_whole_numbers(call, said):
    import siteopt.analysis
    from siteopt.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        call(siteopt.analysis)
    assert str(raised.value) == said


def test_a_sweep_takes_one_vary_as_a_string():
    from siteopt.analysis import sweep

    done = sweep("budget.total_eur=8e9,9e9", workers=1, refine=False)
    assert [p["budget.total_eur"] for p in done.points] == [8e9, 9e9]


# --- sweeps on Dask ---------------------------------------------------------------------------

def test_a_sweep_whose_portfolio_never_changes_says_so_in_the_terminal_and_the_report(run_cli):
    from siteopt.analysis import sweep
    from siteopt.report.analyses import analysis_sections

    ran = run_cli("sweep", "--vary", "weights.coverage=0.4,0.5", "--workers", "1")
    assert ran.exit_code == 0, ran.stderr
    assert "The portfolio is the same at every point." in ran.stdout
    assert "changes at 0" not in ran.stdout
    swept = sweep(["weights.coverage=0.4,0.5"], workers=1)
    from siteopt.data import load_data

    (section,) = analysis_sections([swept], load_data())
    assert "Every point solved exactly. The portfolio is the same at every point.</p>" in section
    assert "<ul id='breakpoints'>" not in section
    titles = [a.get_title(loc="left") for a in swept.plot().figure.axes]
    assert any(t.endswith("): the portfolio is the same at every value\n(named above the first)")
               for t in titles) and not any("0 changes" in t for t in titles)
    one = sweep(["weights.coverage=0.4"], workers=1)   # a sweep of one value is one solve
    assert one.breakpoint_heading() == ("The sweep has one point: give more values to see "
                                        "where the portfolio changes.")
    assert any(a.get_title(loc="left").endswith("): one value\n(its portfolio named above it)")
               for a in one.plot().figure.axes)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_the_sweep_figure_draws_the_optimum_at_every_budget():
    """Along the budget each portfolio keeps its figures from one change to the next, and the
    changes are found exactly: the figure's lines are the optimum at every budget, flat while
    a portfolio stays optimal and a step at each change. They stopped short of the first
    change after each budget, leaving most of the range blank."""
    import siteopt
    from siteopt.analysis import sweep

    swept = sweep(["budget.total_eur=15e9,20e9"], workers=1)
    steps = {(row["low"] / 1e9, row["high"] / 1e9) for row in swept.breakpoints()}
    assert len(steps) >= 2
    axes = swept.plot().figure.axes
    (people,) = [line for line in axes[0].get_lines() if line.get_gid() == "people"]
    x, y = people.get_xdata(), people.get_ydata()
    assert not np.isnan(x).any() and x[0] == 15 and x[-1] == 20 and list(x) == sorted(x)
    segments = list(zip(x, x[1:], y, y[1:]))
    assert {(a, b) for a, b, *_ in segments} >= steps   # a step at every change
    flat = [(a, b, ya) for a, b, ya, yb in segments if (a, b) not in steps]
    assert all(ya == yb for a, b, ya, yb in segments if (a, b) not in steps)
    assert len([a for a, b, _ in flat if b > a]) >= len(steps)
    for a, b, people_m in flat:   # the optimum in the middle of each flat part, solved alone
        if b > a:
            alone = siteopt.solve(budget=(a + b) / 2 * 1e9)
            assert alone.covered_population / 1e6 == pytest.approx(people_m, rel=1e-9)
    assert [a for a in axes[1].get_children() if a.get_gid() == "breakpoint"] == []
    # along the radius a portfolio's figures move with it, and a change is only bisected:
    # no line crosses a change there
    swept = sweep(["coverage.radius_km=400,600"], workers=1)
    changes = [row["high"] for row in swept.breakpoints()]
    (objective,) = [line for line in swept.plot().get_lines() if line.get_gid() == "objective"]
    x = objective.get_xdata()
    assert changes and np.isnan(x).sum() == 1
    assert not any(a < change <= b for a, b in zip(x, x[1:]) for change in changes)


def test_a_sweep_figure_of_two_keys_says_which_run_it_draws():
    """With a second --vary the figure draws the run at the other key's first value: its
    title said the changes of every run (16) above the 8 it drew."""
    from siteopt.analysis import sweep

    swept = sweep(["budget.total_eur=10e9,15e9,20e9", "weights.coverage=0.45,0.6"],
                  workers=1, refine=False)
    drawn = [row for row in swept.breakpoints() if row["weights.coverage"] == 0.45]
    assert 0 < len(drawn) < len(swept.breakpoints())
    title = swept.plot().figure.axes[0].get_title(loc="left")
    assert title.startswith(f"Sweep of budget.total_eur (default; weights.coverage = 0.45): "
                            f"{len(drawn)} changes of portfolio (a step of the lines where "
                            f"found exactly, else a gap)")   # unrefined: each between values


def test_the_sweep_figures_terms_add_up_to_its_objective_also_when_a_weight_is_swept():
    """The legend says the objective is the sum of the lines below it: with the coverage
    weight swept, its line is weighted point by point (it was drawn at the model's 0.45)."""
    from siteopt.analysis import sweep

    for key in ("weights.coverage=0.2,0.7", "budget.total_eur=12e9,20e9"):
        swept = sweep([key], workers=1, refine=False)
        lines = {line.get_gid(): line.get_ydata() for line in swept.plot().get_lines()
                 if line.get_gid()}
        terms = sum(y for gid, y in lines.items() if gid.startswith("term:"))
        values = ~np.isnan(lines["objective"])
        assert values.sum() >= 2, key
        assert terms[values] == pytest.approx(lines["objective"][values], abs=1e-9), key


def test_every_sweep_point_equals_a_separate_solve_whatever_the_workers():
    import siteopt
    from siteopt.analysis import sweep
    from siteopt.analysis.engine import CHAIN_LENGTH

    one = sweep(["budget.total_eur=6e9:20e9:2e9"], workers=1)
    two = sweep(["budget.total_eur=6e9:20e9:2e9"], workers=2)
    assert len(one.points) == 8 > CHAIN_LENGTH   # two chains, each point after the first
    assert one.points == two.points               # started from the one before it
    assert one.breakpoints() == two.breakpoints()  # each interval refined on a worker
    for point in one.points:
        alone = siteopt.solve(budget=point["budget.total_eur"])
        assert point["objective"] == pytest.approx(alone.objective, abs=1e-12)
        assert point["portfolio"] == ", ".join(sorted("+".join(g.members)
                                                      for g in alone.gigafactories))
    changed = [p["budget.total_eur"] for p in one.points if p["changed"]]
    portfolios = [p["portfolio"] for p in one.points]
    assert changed == [b for b, before, after in zip([p["budget.total_eur"] for p in
                                                      one.points][1:], portfolios, portfolios[1:])
                       if before != after]
    # every change found exactly: the new portfolio at its capex, the old one just below
    breaks = one.breakpoints()
    assert len(breaks) >= len(changed)
    for row in breaks[:4]:
        assert row["high"] - row["low"] <= 1e-6 * row["high"]
        at = siteopt.solve(budget=row["high"])
        below = siteopt.solve(budget=row["low"])
        assert ", ".join(sorted(g.id for g in at.gigafactories)) == row["to"]
        assert ", ".join(sorted(g.id for g in below.gigafactories)) == row["from"]
        assert at.total_capex_eur == pytest.approx(row["high"])
    (drawn,) = [line for line in one.plot().get_lines() if line.get_gid() == "objective"]
    vertices = set(zip(drawn.get_xdata(), drawn.get_ydata()))
    assert all({(row["low"] / 1e9, row["from_objective"]),
                (row["high"] / 1e9, row["to_objective"])} <= vertices for row in breaks)
    # unrefined, a change is only placed between two grid values
    rough = sweep(["budget.total_eur=6e9:20e9:2e9"], refine=False)
    grid = [p["budget.total_eur"] for p in one.points]
    assert [(r["low"], r["high"]) for r in rough.breakpoints()] == [
        (low, high) for low, high, p, q in zip(grid, grid[1:], portfolios, portfolios[1:])
        if p != q]


def test_total_power_changes_are_found_exactly_at_the_new_portfolios_power():
    import siteopt
    from siteopt.analysis import sweep

    swept = sweep(["limits.total_power_mw=2000:3000:500"], workers=1)
    breaks = swept.breakpoints()
    assert len(breaks) >= 2
    for row in breaks:
        at = siteopt.solve(**{"limits.total_power_mw": row["high"]})
        below = siteopt.solve(**{"limits.total_power_mw": row["low"]})
        assert ", ".join(sorted(g.id for g in at.gigafactories)) == row["to"]
        assert ", ".join(sorted(g.id for g in below.gigafactories)) == row["from"]
        assert at.total_power_mw == row["high"]                 # the new one's power, exactly
        assert row["low"] == pytest.approx(row["high"] * (1 - 1e-7))
    first = swept.breakpoint_lines()[0]
    assert first.startswith(f"limits.total_power_mw from {breaks[0]['high']:,.6g} MW: ")


def test_max_km_changes_are_found_exactly_at_the_new_portfolios_farthest_place():
    """The first change is the least access.max_km any portfolio meets (the Azores' nearest
    eligible site, PT-LIS, at 1,446 km)."""
    from siteopt.analysis import sweep
    from siteopt.analysis.engine import solve_summary
    from siteopt.analysis.sweep import portfolio_label
    from siteopt.api import resolve_model
    from siteopt.data import load_data

    swept = sweep(["access.max_km=1440:1460:20"], workers=1)
    assert [p["status"] for p in swept.points] == ["infeasible", "optimal"]
    first, second = swept.breakpoints()
    assert first["from"] == "" and first["to"] == second["from"]
    assert second["to"] == swept.points[1]["portfolio"]
    model, dataset = resolve_model(None, {}), load_data(None).without_geometry()
    # three solves check both changes: second's low gives first's new portfolio
    none, _ = solve_summary(model, dataset, {"access.max_km": first["low"]})
    middle, _ = solve_summary(model, dataset, {"access.max_km": second["low"]})
    last, _ = solve_summary(model, dataset, {"access.max_km": second["high"]})
    assert none["status"] == "infeasible"
    assert portfolio_label(middle) == first["to"] and portfolio_label(last) == second["to"]
    # each change at the new one's farthest place, exactly, the old one just below it
    assert (middle["farthest_km"], last["farthest_km"]) == (first["high"], second["high"])
    for row in (first, second):
        assert row["high"] - row["low"] == pytest.approx(row["high"] * 1e-7)
    assert first["high"] == pytest.approx(1445.94, abs=0.01)
    assert swept.breakpoint_lines()[0].startswith("access.max_km from 1,445.94 km: none -> ")
    # the figure keeps the value without a portfolio in view, and says why it has none
    ax = swept.plot()
    assert ax.get_xlim()[0] < 1440 and ax.get_xlabel() == "access.max_km (km)"
    names = [t.get_text() for t in ax.figure.findobj(lambda a: a.get_gid() == "portfolio")]
    assert names[0] == "no portfolio\nkeeps the\nlimits"
    assert names[1] == second["to"].replace(", ", "\n")


def test_weight_changes_are_found_exactly_where_two_portfolios_score_the_same():
    """Along a term's weight each portfolio's objective is a straight line (the cost's slopes
    down): from two values the sweep finds every change between them, each where the lines
    of the portfolios on either side cross; it once bisected them to 1 % of the step."""
    import siteopt
    from siteopt.analysis import sweep

    def label(result):
        return ", ".join(sorted(g.id for g in result.gigafactories))

    swept = sweep(["weights.cost=0,0.6"], workers=1)
    breaks = swept.breakpoints()
    assert len(breaks) >= 5 and {row["found"] for row in breaks} == {"exact"}
    assert [row["to"] for row in breaks[:-1]] == [row["from"] for row in breaks[1:]]
    assert breaks[0]["from"] == swept.points[0]["portfolio"]
    assert breaks[-1]["to"] == swept.points[-1]["portfolio"]
    for row in breaks:
        at = row["low"]
        assert row["high"] == at and 0 < at < 0.6
        assert row["from_objective"] == pytest.approx(row["to_objective"], abs=1e-12)
        below = siteopt.solve(**{"weights.cost": at - 1e-6})
        above = siteopt.solve(**{"weights.cost": at + 1e-6})
        assert (label(below), label(above)) == (row["from"], row["to"])
        assert siteopt.solve(**{"weights.cost": at}).objective == pytest.approx(
            row["to_objective"], abs=1e-9)
    line = swept.breakpoint_lines()[0]
    assert line.startswith(f"weights.cost from {breaks[0]['high']:.6g} (both score the same "
                           f"there): {breaks[0]['from']} -> ")
    # the figure draws the optimum at every weight: each change a point of the objective line
    (drawn,) = [line for line in swept.plot().get_lines() if line.get_gid() == "objective"]
    vertices = set(zip(drawn.get_xdata(), drawn.get_ydata()))
    assert all((row["low"], row["from_objective"]) in vertices for row in breaks)


@pytest.mark.parametrize("seed", range(20))
def test_weight_changes_are_the_upper_envelope_of_every_portfolios_line(seed):
    """Against brute force: random portfolios, each a line in the weight (its objective at 0
    and its term); a solve is the best line at a weight (the first on a tie). The changes
    found from the two ends are the corners of the upper envelope, in order."""
    from siteopt.analysis.sweep import End, _weight_changes

    rng = np.random.default_rng(seed)
    key, term = ("weights.cost", "cost") if seed % 2 else ("weights.coverage", "coverage")
    sign = -1.0 if term == "cost" else 1.0
    at_zero, terms = rng.uniform(0, 1, 12), rng.uniform(0, 1, 12)

    def solve_at(weight, start=None, status="optimal"):
        values = at_zero + sign * terms * weight
        best = int(np.argmax(values))
        return End(None, None, {key: weight, term: terms[best], "objective": values[best],
                                "portfolio": f"P{best}", "status": status})

    low, high = 0.0, 3.0
    changes = _weight_changes(solve_at, key, solve_at(low), solve_at(high))
    # by brute force: the best line on a fine grid changes where the corners say
    grid = np.linspace(low, high, 30_001)
    best = np.argmax(at_zero[:, None] + sign * terms[:, None] * grid[None, :], axis=0)
    switches = np.flatnonzero(best[1:] != best[:-1])
    assert [(c.old_point["portfolio"], c.new_point["portfolio"]) for c in changes] == [
        (f"P{best[i]}", f"P{best[i + 1]}") for i in switches]
    for change, i in zip(changes, switches):
        assert change.how == "exact" and change.low == change.high
        assert grid[i] <= change.low <= grid[i + 1]
        old, new = int(change.old_point["portfolio"][1:]), int(change.new_point["portfolio"][1:])
        crossing = (at_zero[new] - at_zero[old]) / (sign * (terms[old] - terms[new]))
        assert change.low == pytest.approx(crossing, abs=1e-12)
        assert change.old_point["objective"] == pytest.approx(change.new_point["objective"])
    # a solve stopped by its time limit proves nothing: the change is only said to lie between
    if changes:
        stopped = _weight_changes(functools.partial(solve_at, status="time_limit"), key,
                                  solve_at(low), solve_at(high))
        assert [(c.low, c.high, c.how) for c in stopped] == [(low, high, "between")]
        # nor does an end solved so (siteopt weights solves its ends itself)
        unproven_end = solve_at(high, status="time_limit")
        assert [(c.low, c.high, c.how) for c in _weight_changes(
            solve_at, key, solve_at(low), unproven_end)] == [(low, high, "between")]


@pytest.mark.parametrize("method", ["direct", "benders"])
def test_a_state_share_floor_just_above_a_portfolios_share_is_kept(method):
    """HiGHS keeps the share rows to within its tolerance (about 1e-7): a floor 1e-7 above
    the optimum's least share once got the optimum back, which solve then refused."""
    import siteopt

    wide = {"coverage.radius_km": 1000.0, "solver.method": method}
    base = siteopt.solve(**wide)
    floor = base.terms["fairness"] * (1 + 1e-7)
    above = siteopt.solve(**wide, **{"access.min_country_share": floor})
    assert above.status.value == "optimal"
    assert above.terms["fairness"] >= floor - 1e-12
    assert above.objective < base.objective
    assert sorted(g.id for g in above.gigafactories) != sorted(g.id for g in base.gigafactories)


def test_state_share_changes_are_found_exactly_just_above_the_old_portfolios_share():
    import siteopt
    from siteopt.analysis import sweep

    wide = {"coverage.radius_km": 1000.0}
    swept = sweep(["access.min_country_share=0.6:0.7:0.1"], workers=1, **wide)
    (row,) = swept.breakpoints()
    below = siteopt.solve(**wide, **{"access.min_country_share": row["low"]})
    above = siteopt.solve(**wide, **{"access.min_country_share": row["high"]})
    assert ", ".join(sorted(g.id for g in below.gigafactories)) == row["from"]
    assert ", ".join(sorted(g.id for g in above.gigafactories)) == row["to"]
    assert below.terms["fairness"] == row["low"]          # what the old one keeps, exactly
    assert row["high"] == pytest.approx(row["low"] * (1 + 1e-7))
    assert swept.breakpoint_lines()[0].startswith(
        f"access.min_country_share above {row['low']:.6g}: ")


def test_budget_changes_sit_at_the_portfolio_costs_in_one_highs_solve_each():
    """HiGHS once let a portfolio through that was over the budget by its own tolerance
    (about 1e-7 of the row); each solve just below a cost then returned the same portfolio,
    and the sweep never ended."""
    from siteopt.analysis.sweep import End, _limit_changes
    from siteopt.examples import three_sites
    from siteopt.solvers import solve_instance

    solves = []

    def solve_at(budget, start=None):
        assert len(solves) < 10, "the budget search does not move on"
        instance = three_sites(capex_eur=np.array([3e9, 4e9, 5e9]), budget_eur=budget,
                               max_bids_per_country=2)
        outcome, _ = solve_instance(instance, Solver(method="direct"), {})
        solves.append(budget)
        names = "+".join(instance.site_ids[s] for g in outcome.gigafactories for s in g)
        return End(None, instance.capital_cost_eur(outcome.gigafactories),
                   {"portfolio": names, "objective": outcome.objective})

    low, high = 2e9, 12e9
    changes = _limit_changes(solve_at, low, solve_at(low), high, solve_at(high))
    # by hand (siteopt/examples.py): A + B (EUR 7 bn) from 7 up, A (3) below, then nothing
    assert [(round(c.low / 1e9, 5), c.high / 1e9, c.old_point["portfolio"],
             c.new_point["portfolio"], c.how) for c in changes] == [
        (3.0, 3.0, "", "A", "exact"), (7.0, 7.0, "A", "A+B", "exact")]
    assert [a < b for a, b, *_ in changes] == [True, True]
    assert len(solves) == 2 + 2
    # each change carries both portfolios' objectives, as solved on either side of it
    assert changes[1].old_point == changes[0].new_point == solve_at(5e9).point
    assert changes[1].new_point == solve_at(high).point
    assert changes[1].new_point["objective"] > changes[1].old_point["objective"]


def test_a_tie_along_a_limit_or_a_floor_is_said_as_one_and_placed_between_the_values():
    """The new portfolio within the limit at the lower value too (or the old one keeping the
    floor at the higher value) scores the same as the other all along: the solver settled a
    tie differently. The line once said 'from' the higher value, as if the change were there."""
    from siteopt.analysis.sweep import End, Sweep, _floor_changes, _limit_changes

    def never(value, start):
        raise AssertionError("a tie needs no further solve")

    # budget: B (EUR 8 bn) was within EUR 10 bn, where A was chosen
    a, b = {"portfolio": "A", "objective": 0.5}, {"portfolio": "B", "objective": 0.5}
    limit = _limit_changes(never, 10e9, End(None, 9e9, a), 20e9, End(None, 8e9, b))
    assert limit == [(10e9, 20e9, "tie", a, b)]
    # floor: A keeps 0.7 of every state's people, so it kept 0.6 too, where B was chosen
    floor = _floor_changes(never, 0.5, End(None, 0.7, a), 0.6, End(None, 0.65, b))
    assert floor == [(0.5, 0.6, "tie", a, b)]
    rows = [{"low": c.low, "high": c.high, "from": c.old_point["portfolio"],
             "to": c.new_point["portfolio"], "refined": True, "found": c.how} for c in limit]
    (line,) = Sweep(["budget.total_eur"], [], "default", rows).breakpoint_lines()
    assert line == ("budget.total_eur between EUR 10 bn and EUR 20 bn: A -> B (equal "
                    "objectives: a tie, settled differently)")


def _worker_log_level() -> int:
    return logging.getLogger("distributed.worker").getEffectiveLevel()


def test_local_workers_run_blas_on_one_thread_each_and_log_only_what_stops_them():
    """Workers forked with a BLAS pool of one thread per core: two such workers on two cores
    would halve each other's speed. Each logs only what stops it: a heartbeat it sent while
    its cluster closed printed an ERROR and a traceback in the explorer's terminal."""
    from threadpoolctl import threadpool_info

    from siteopt.analysis.engine import dask_client

    with dask_client(workers=2) as client:
        pools = client.run(threadpool_info)
        levels = client.run(_worker_log_level)
    assert list(levels.values()) == [logging.CRITICAL] * 2
    assert len(pools) == 2
    for pool in pools.values():
        blas = [p for p in pool if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)


def test_a_script_that_starts_workers_as_it_is_imported_is_told_to_guard_its_work(tmp_path):
    """Each worker runs the script again as it starts; unguarded, the script's sweep would
    ask for workers of its own in every worker."""
    import subprocess

    script = tmp_path / "sweep_budgets.py"
    script.write_text("from siteopt.analysis import sweep\n"
                      "sweep(['budget.total_eur=10e9:14e9:0.5e9'], workers=2)\n")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"siteopt.errors.ConfigError: {script}: the Dask workers did not "
                           f"start (")   # (Dask's reason)
    assert last.endswith("; each worker runs this script again as it starts, so the script's "
                         "work must be under `if __name__ == \"__main__\":`")
    assert "bootstrapping" not in run.stderr  # the workers left without a word

    script.write_text("from siteopt.analysis import sweep\n"
                      "if __name__ == '__main__':\n"
                      "    print(sweep(['budget.total_eur=10e9:14e9:0.5e9'], workers=2).points)\n")
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_derived_results_are_reused_while_their_key_stays_and_one_is_kept_per_name():
    from siteopt.data import load_data

    dataset = load_data()
    calls = []

    def compute(value):
        calls.append(value)
        return value * 10

    assert dataset.derive("coverage", 1, lambda: compute(1)) == 10
    assert dataset.derive("coverage", 1, lambda: compute(1)) == 10
    assert dataset.derive("coverage", 2, lambda: compute(2)) == 20
    assert dataset.derive("coverage", 1, lambda: compute(1)) == 10
    assert calls == [1, 2, 1] and len(dataset.derived) == 1
    # the coverage a solve computes travels with the data to the workers (pickled)
    import pickle

    from siteopt.api import prepare

    slim = dataset.without_geometry()
    _, _, prepared = prepare(None, slim)
    shipped = pickle.loads(pickle.dumps(slim))
    key, coverage = shipped.derived["coverage"]
    assert np.array_equal(coverage.group_population, prepared.coverage.group_population)
    # the shipped data are the columns only: no shapes, no frames (built where they are read)
    assert len(dataset.sites) == 60 and len(dataset.countries) == 27   # frames built here...
    pickled = pickle.dumps(dataset.without_geometry())
    assert b"shapely" not in pickled and b"pandas" not in pickled      # ...are not shipped
    assert shipped.country_geojson is None and "geometry" not in shipped.countries


def _assert_aborted_and_every_process_ended(process) -> None:
    """The stopped command said "Aborted!" (exit 1, nothing on stdout, no traceback), and
    every process of its group (workers, forked children) ends within 20 s."""
    import os
    import time

    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stdout) == (1, b"")
    assert stderr.decode().strip().endswith("Aborted!") and b"Traceback" not in stderr
    left = time.monotonic() + 20   # workers finish closing on their own
    while time.monotonic() < left:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)


def _wait_until_its_work_is_forked(process) -> None:
    """Wait until ``process`` runs one forked child per core (at most a minute), then half a
    second more: its solves are then on them."""
    import time

    import psutil

    from siteopt.parallel import cores

    parent, deadline = psutil.Process(process.pid), time.monotonic() + 60
    while len(parent.children()) < cores():
        assert process.poll() is None and time.monotonic() < deadline, "nothing was forked"
        time.sleep(0.1)
    time.sleep(0.5)
    assert process.poll() is None


def test_ctrl_c_stops_a_sweep_and_its_workers_and_writes_nothing(tmp_path):
    import signal
    import subprocess

    from tests.conftest import REPO

    plot = tmp_path / "sweep.png"
    process = subprocess.Popen(
        [sys.executable, "-m", "siteopt", "sweep", "--vary", "budget.total_eur=8e9:30e9:0.5e9",
         "--vary", "weights.coverage=0.05:1:0.05", "--plot", str(plot), "--format", "json"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    _wait_until_its_work_is_forked(process)   # 900 points: over half a minute of solves
    process.send_signal(signal.SIGINT)
    _assert_aborted_and_every_process_ended(process)
    assert not plot.exists()


def _square(value):
    return value * value


def _in_a_fresh_process(script: str, timeout_s: float = 300):
    """The JSON that ``script`` prints, run in a new Python process (ended after
    ``timeout_s`` seconds): one thread, as on the command line, where forking is safe (this
    test process runs pytest-xdist's thread, which a forked child could find holding a
    lock)."""
    import subprocess

    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=timeout_s)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_small_batch_runs_on_forked_processes_with_the_same_answers():
    """Below the cost of a Dask cluster, the solves left run on one forked process per core
    (at most one per task): the same points as one after the other here."""
    seen = _in_a_fresh_process(
        "import json\n"
        "from siteopt.analysis import engine, sweep\n"
        "from siteopt.parallel import cores\n"
        "used, real = [], engine.fork_pool\n"
        "def recording(processes):\n"
        "    used.append(processes)\n"
        "    return real(processes)\n"
        "engine.fork_pool, engine.FORK_POOL_SECONDS = recording, 0.0\n"
        "forked = sweep(['budget.total_eur=6e9:28e9:2e9'], refine=False)\n"
        "after_forked = list(used)\n"
        "here = sweep(['budget.total_eur=6e9:28e9:2e9'], refine=False, workers=1)\n"
        "print(json.dumps({'points': len(forked.points), 'chain': engine.CHAIN_LENGTH,\n"
        "                  'used': after_forked, 'used_after_here': used, 'cores': cores(),\n"
        "                  'same': forked.points == here.points}))\n")
    assert seen["points"] == 12 == 3 * seen["chain"]   # the first chain here, 2 left
    assert seen["used"] == ([2] if seen["cores"] >= 2 else [])
    assert seen["used_after_here"] == seen["used"]      # workers=1: nothing forked
    assert seen["same"]


def test_where_the_solves_left_run(monkeypatch):
    """Here for little work, one worker, one task or where forking is unsafe (HiGHS loaded);
    on forked processes for a few seconds of work."""

    from siteopt.analysis.engine import FORK_POOL_SECONDS, LOCAL_CLUSTER_SECONDS, InProcess, \
        solve_pool
    from siteopt.analysis.forked import ForkPool
    from siteopt.parallel import cores

    from siteopt.analysis import engine
    from siteopt.analysis.forked import can_fork

    some = (FORK_POOL_SECONDS + LOCAL_CLUSTER_SECONDS) / 2
    monkeypatch.setattr(engine, "can_fork", lambda: True)
    for seconds in (some, 100 * LOCAL_CLUSTER_SECONDS):   # forked, however long, where safe
        with solve_pool(None, None, seconds, 4) as pool:
            assert isinstance(pool, ForkPool if cores() >= 2 else InProcess)
    for workers, seconds, tasks in ((None, FORK_POOL_SECONDS / 2, 4), (1, some, 4),
                                    (None, some, 1)):
        with solve_pool(None, workers, seconds, tasks) as pool:
            assert isinstance(pool, InProcess)
    monkeypatch.setattr(engine, "can_fork", lambda: False)
    with solve_pool(None, None, some, 4) as pool:
        assert isinstance(pool, InProcess)
    # forking is safe on Linux, without HiGHS loaded, with no other thread running
    assert can_fork("linux", {}, 1)
    assert not can_fork("darwin", {}, 1)
    assert not can_fork("linux", {"highspy": sys}, 1)
    assert not can_fork("linux", {}, 2)


def test_a_fork_pool_shares_values_without_pickling_and_keeps_the_task_order():
    seen = _in_a_fresh_process(
        "import json\n"
        "from siteopt.analysis.engine import gather\n"
        "from siteopt.analysis.forked import _SHARED, fork_pool\n"
        "def apply(function, value):\n"
        "    return function(value)\n"
        "def square(value):\n"
        "    return value * value\n"
        "def fails(value):\n"
        "    raise ValueError(f'task {value} failed')\n"
        "seen = {}\n"
        "with fork_pool(2) as pool:\n"
        "    shared = pool.scatter(lambda value: value + 1)   # a lambda cannot be pickled\n"
        "    seen['shared'] = gather(pool, pool.map(apply, [shared] * 5, range(5)), 'tasks')\n"
        "    seen['squares'] = gather(pool, pool.map(square, range(6)), 'tasks')\n"
        "    try:\n"
        "        gather(pool, pool.map(fails, [3]), 'tasks')\n"
        "    except ValueError as error:\n"
        "        seen['error'] = str(error)\n"
        "seen['left'] = len(_SHARED)\n"
        "print(json.dumps(seen))\n")
    assert seen["shared"] == [1, 2, 3, 4, 5]
    assert seen["squares"] == [0, 1, 4, 9, 16, 25]
    assert seen["error"] == "task 3 failed"
    assert seen["left"] == 0   # nothing left behind


def test_a_fork_pool_stopped_while_its_children_send_results_closes():
    """Children ended while they write a large result to the pool leave the pool's reader a
    partial message: the pool still closes at once (it waited for the rest for ever)."""
    closed = _in_a_fresh_process(
        "import json, time\n"
        "import numpy as np\n"
        "from siteopt.analysis.forked import fork_pool\n"
        "def large(value):\n"
        "    return np.full(2_000_000, float(value))   # 16 MB: written in many parts\n"
        "closed = 0\n"
        "for delay in (0.05, 0.15, 0.3, 0.45, 0.6):\n"
        "    try:\n"
        "        with fork_pool(2) as pool:\n"
        "            futures = pool.map(large, range(100))\n"
        "            time.sleep(delay)\n"
        "            raise KeyboardInterrupt   # as Ctrl-C while the results come in\n"
        "    except KeyboardInterrupt:\n"
        "        closed += 1\n"
        "print(json.dumps(closed))\n", timeout_s=60)   # (it hung: the run times out)
    assert closed == 5


def test_a_fork_pool_stopped_under_siteopt_s_signal_handlers_ends_its_children_at_once():
    """The command line's stop handlers (SIGTERM raises ``KeyboardInterrupt``) are not the
    children's: a stopped pool ends them at once, their long tasks unfinished (the handler
    they inherited made each send the interruption back and take the next task)."""
    closed = _in_a_fresh_process(
        "import json, signal, time\n"
        "from siteopt import interrupt\n"
        "from siteopt.analysis.forked import fork_pool\n"
        "def slow(value):\n"
        "    time.sleep(300)\n"
        "    return value\n"
        "for name in interrupt.SIGNALS:   # as siteopt.launch installs them\n"
        "    signal.signal(getattr(signal, name), interrupt.on_signal)\n"
        "try:\n"
        "    with fork_pool(2) as pool:\n"
        "        futures = pool.map(slow, range(8))\n"
        "        time.sleep(0.5)\n"
        "        raise KeyboardInterrupt\n"
        "except KeyboardInterrupt:\n"
        "    print(json.dumps('closed'))\n", timeout_s=60)   # (it waited: the run times out)
    assert closed == "closed"


def test_ctrl_c_stops_a_sweep_on_forked_processes_without_a_traceback():
    """Ctrl-C in a terminal reaches the whole process group: the children ignore it, the
    command stops ("Aborted!", exit 1, nothing on stdout) and every child ends."""
    import os
    import signal
    import subprocess

    from tests.conftest import REPO

    script = ("import sys; import siteopt.analysis.engine as engine; "
              "engine.LOCAL_CLUSTER_SECONDS = float('inf'); "   # a long batch, still forked
              "sys.argv = ['siteopt', 'sweep', '--vary', 'weights.coverage=0.05:1:0.0025', "
              "'--vary', 'budget.total_eur=10e9:20e9:5e9', '--no-refine', '--format', 'json']; "
              "from siteopt.launch import main; main()")
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    _wait_until_its_work_is_forked(process)   # 1,143 points: about a minute of solves
    os.killpg(process.pid, signal.SIGINT)
    _assert_aborted_and_every_process_ended(process)


def test_long_runs_show_progress_on_a_terminal_and_nothing_otherwise(monkeypatch, capsys):

    from siteopt.analysis.engine import dask_client, gather

    with dask_client(workers=1) as client:
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
        assert gather(client, client.map(_square, [1, 2, 3]), "squares") == [1, 4, 9]
        shown = capsys.readouterr()
        assert "squares" in shown.err and "3/3" in shown.err and shown.out == ""
        monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
        assert gather(client, client.map(_square, [4, 5]), "squares") == [16, 25]
        assert capsys.readouterr().err == ""


@pytest.mark.parametrize("address", ["tcp://host:notaport", "tcp://:8786", "http://host:8786",
                                     "tcp://[::1", "tcp://127.0.0.1:99999", "ucx://host:8786"])
def test_a_scheduler_address_that_is_none_is_refused_in_one_line(address):
    """A port that is not a number, no host, another scheme or a protocol Dask lacks: one
    line saying what to give (Dask raised a ValueError or TypeError with a traceback)."""
    from siteopt.analysis import engine
    from siteopt.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        with engine.dask_client(address):
            pass
    assert str(raised.value) == (
        f"--scheduler {address}: not a scheduler address; give tcp://host:port (a Dask "
        f"scheduler's, e.g. tcp://127.0.0.1:8786)")


def test_a_scheduler_that_does_not_answer_is_given_up_after_one_wait(monkeypatch):
    """An address where the connection is neither refused nor answered (a firewall drops it)
    is given up after one wait of ``CONNECT_SECONDS``, not a second one in Dask's client."""
    import socket

    import distributed

    from siteopt.analysis import engine
    from siteopt.errors import ConfigError

    tried = []

    def unanswered(address, timeout):
        tried.append((address, timeout))
        raise TimeoutError("timed out")

    def client(*args, **kwargs):
        raise AssertionError("Dask's client was started")

    monkeypatch.setattr(socket, "create_connection", unanswered)
    monkeypatch.setattr(distributed, "Client", client)
    with pytest.raises(ConfigError) as raised:
        with engine.dask_client("tcp://192.0.2.1:8786"):
            pass
    assert str(raised.value) == (
        "--scheduler tcp://192.0.2.1:8786: cannot connect (no answer from 192.0.2.1:8786 "
        "within 10 s); start the scheduler first or leave --scheduler out")
    assert tried == [(("192.0.2.1", 8786), engine.CONNECT_SECONDS)]


def _until_asked_to_stop(folder: str) -> None:
    """A task that runs (at most a minute) until its process is asked to stop, as a solve
    does; it leaves ``started``, then ``stopped`` once asked, in ``folder``."""
    import time
    from pathlib import Path

    from siteopt.interrupt import stop_requested

    (Path(folder) / "started").touch()
    deadline = time.monotonic() + 60
    while not stop_requested():
        if time.monotonic() > deadline:
            return
        time.sleep(0.01)
    (Path(folder) / "stopped").touch()


def test_a_local_worker_closed_stops_its_running_solve_first(tmp_path):
    """Work stopped here closes the local cluster: each worker asks its running solve to stop
    as it closes (:mod:`siteopt.analysis.local_workers`), so the solve ends at once instead
    of being killed by Dask 4 s later, unfinished (the explorer's Stop waited for that)."""
    import time

    from siteopt.analysis.engine import dask_client

    with dask_client(workers=1) as client:
        future = client.submit(_until_asked_to_stop, str(tmp_path))
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline and not future.done()
            time.sleep(0.05)
    assert (tmp_path / "stopped").exists()


@pytest.mark.parametrize("text, message", [
    ("budget.total_eur=8e9", "give START:STOP:STEP"),   # a single value is a list of one
    ("budget.total_eur=9e9:8e9:1e9", "STOP >= START"),
    ("weights.covrage=0:1:0.1", "with a numeric model key; did you mean weights.coverage?"),
    ("budget=10e9:20e9:5e9", "with a numeric model key; did you mean budget.total_eur?"),
    ("budget.total_eur", "expected KEY=START:STOP:STEP"),
    ("coverage.decay=step,linear", "coverage.decay takes step, linear or exponential, not a "
                                   "number; a sweep varies a number key. Solve each value on its "
                                   "own instead (siteopt solve --set coverage.decay=...)"),
    ("consolidation.cross_border=false,true", "consolidation.cross_border takes true or false, "
                                              "not a number"),
    ("sites.required=ES-NAV", "sites.required takes a list of site IDs, not a number"),
    # a count between whole numbers was rounded without a word (1.5 and 2.5 solved as 2)
    ("limits.max_gigafactories=1:5:0.5", "--vary: limits.max_gigafactories = 1.5 must be a "
                                         "whole number"),
    ("limits.max_gigafactories=2,3.5", "--vary: limits.max_gigafactories = 3.5 must be a whole "
                                       "number"),
    ("limits.max_gigafactories=1e300,2", "--vary: limits.max_gigafactories = 1e300 must be <= "
                                         "1000000"),
    ("budget.total_eur=0,8e9", "--vary: budget.total_eur = 0 must be > 0 EUR"),
    # an endless range raised OverflowError; 10^12 values were being listed without end
    ("budget.total_eur=8e9:inf:1e9", "a comma-separated list of numbers, each finite"),
    ("weights.coverage=nan,0.5", "a comma-separated list of numbers, each finite"),
    ("budget.total_eur=1e9:1e12:1", "more than 2,000 values; use a larger STEP"),
    ("budget.total_eur=0:1e308:1e-300", "more than 2,000 values; use a larger STEP"),
])
def test_bad_vary_is_refused_with_the_fix(text, message, run_cli):
    from siteopt.analysis.sweep import parse_vary

    if text == "budget.total_eur=8e9":
        assert parse_vary(text) == ("budget.total_eur", [8e9])
        return
    result = run_cli("sweep", "--vary", text)
    assert result.exit_code == 2 and message in result.stderr


def test_a_sweep_too_large_is_refused_before_its_points_are_listed(run_cli):
    """Three keys of 1,001 values: a billion points, said at once (listing them first took
    minutes and gigabytes); whole ranges of a count are read as whole numbers."""
    from siteopt.analysis.sweep import parse_vary

    result = run_cli("sweep", *(f"--vary=weights.{term}=0:1:0.001"
                                for term in ("coverage", "grid", "spread")))
    assert result.exit_code == 2
    assert "the sweep has 1,003,003,001 points, more than 2,000; use larger steps" \
        in result.stderr
    assert parse_vary("limits.max_gigafactories=1:4:1") == ("limits.max_gigafactories",
                                                           [1, 2, 3, 4])
    assert parse_vary("limits.max_gigafactories=2,5.0")[1] == [2, 5]
    assert all(type(v) is int for v in parse_vary("limits.max_gigafactories=2,5.0")[1])


def test_a_sweep_runs_on_a_real_scheduler_with_two_workers(tmp_path):
    import socket
    import subprocess
    import time

    from tests.conftest import REPO

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                  "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], cwd=REPO, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                 "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        done = subprocess.run([sys.executable, "-m", "siteopt", "sweep", "--vary",
                               "budget.total_eur=6e9:8e9:2e9", "--scheduler", address,
                               "--format", "json"], cwd=REPO, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        assert [p["budget.total_eur"] for p in document["points"]] == [6e9, 8e9]
        assert all(p["status"] == "optimal" for p in document["points"])
        # the changes between the points are refined on the scheduler's workers too
        from siteopt.analysis import sweep

        here = sweep(["budget.total_eur=6e9:8e9:2e9"], workers=1).breakpoints()
        assert len(here) >= 1 and document["breakpoints"] == json.loads(json.dumps(here))
        refused = subprocess.run([sys.executable, "-m", "siteopt", "sweep", "--vary",
                                  "budget.total_eur=6e9:8e9:2e9", "--scheduler",
                                  "tcp://127.0.0.1:1"], cwd=REPO, capture_output=True,
                                 text=True, timeout=120)
        # nothing listens there: said at once, not after Dask's ten seconds of retries
        assert refused.returncode == 2 and refused.stderr.startswith(
            "error: --scheduler tcp://127.0.0.1:1: cannot connect (nothing listens at "
            "127.0.0.1:1: Connection refused)")
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
            process.wait(timeout=30)


# --- robustness ---------------------------------------------------------------------------

def test_robust_is_seeded_and_independent_of_the_workers():
    from siteopt.analysis import Spread, robust

    one = robust(draws=5, seed=3, spread=Spread(0.3, 0.2, 0.2), workers=1)
    two = robust(draws=5, seed=3, spread=Spread(0.3, 0.2, 0.2), workers=2)
    other = robust(draws=5, seed=4, spread=Spread(0.3, 0.2, 0.2), workers=2)
    assert one.draws.equals(two.draws) and one.candidates.equals(two.candidates)
    assert not one.draws["objective"].equals(other.draws["objective"])
    # frequencies are shares of every draw
    for site, share in one.site_frequency.items():
        count = sum(site in p.replace("+", ", ").split(", ") for p in one.draws["portfolio"])
        assert share == pytest.approx(count / len(one.draws))
    # every portfolio has a value in every draw; the regret is the draw's own optimum minus it
    assert one.draws["today"].notna().all()
    assert np.allclose(one.draws["regret"], one.draws["objective"] - one.draws["today"],
                       equal_nan=True)
    # ranked: within the budget in 95 % of the draws first, then by the mean objective
    ranked = one.candidates
    keys = list(zip(ranked["over budget in"] > 0.05, -ranked["mean objective"]))
    assert keys == sorted(keys)
    assert (ranked["sd"] >= 0).all() and (ranked["5 % quantile"] <= ranked["mean objective"]).all()
    # every eligible site is listed, the most often chosen first, never-chosen ones at 0
    assert list(one.site_frequency.index) == sorted(
        one.site_frequency.index, key=lambda site: (-one.site_frequency[site], site))
    assert len(one.site_frequency) == 60 and (one.site_frequency == 0).any()
    # why today's optimum breaks a limit, draw by draw, against a solve of the draw
    from siteopt.analysis.draws import sample_factors
    from siteopt.api import prepare

    _, _, prepared = prepare()
    base = prepared.instance
    today = [base.site_ids.index(s) for s in one.today.split(", ")]
    for draw in range(5):
        capex, slipped, _ = sample_factors(60, 3, draw, Spread(0.3, 0.2, 0.2))
        assert one.draws["today_slipped"][draw] == bool(slipped[today].any())
        assert one.draws["today_over_budget"][draw] == bool(
            (base.capex_eur[today] * capex[today]).sum() > base.budget_eur * (1 + 1e-9))
    assert one.summary_lines()[1].startswith(f"Today's optimum ({one.today}), decided now "
                                             f"and kept in every draw")
    ranking = next(line for line in one.summary_lines() if line.startswith("Ranked by"))
    assert ranking.endswith("These are only the draws' own optima and today's: siteopt robust "
                            "--choose finds the best portfolio of all across the draws within "
                            "the budget risk, proven.")
    today_row = ranked[ranked["portfolio"] == one.today].iloc[0]
    assert today_row["mean objective"] == pytest.approx(one.draws["today"].mean(), abs=1e-12)


@pytest.mark.parametrize("seed, access", [(12, False), (15, False), (18, False), (12, True)])
def test_evaluating_every_draw_at_once_equals_each_draw_on_its_own(seed, access):
    from siteopt.analysis.draws import Draws, Spread
    from siteopt.analysis.robust import draw_instance, evaluate_on_draws

    # with the access terms, backup counts gigafactories: a slipped member's gigafactory
    # still counts through its other members
    base = (random_access_instance(seed, 6, 30, ("backup", "latency", "worst")) if access
            else random_instance(seed, 6, 8, 3))
    feasible = [p for p in every_portfolio(base) if portfolio_value(base, p) is not None]
    chosen = feasible[:: max(1, len(feasible) // 8)][:8]
    assert len(chosen) >= 7
    names = [[[base.site_ids[s] for s in g] for g in p] for p in chosen]
    many = base.evaluate_many(chosen)   # against the tests' own definitions
    for row, portfolio in enumerate(chosen):
        terms = {term: values[row] for term, values in many.items()}
        assert base.objective(terms) == pytest.approx(portfolio_value(base, portfolio),
                                                      abs=1e-12)
    spread = Spread(0.4, 0.3, 0.3)
    futures = Draws.sample(base.site_ids, 25, seed, spread)
    on = evaluate_on_draws(base, names, futures)
    w = base.weights
    for draw in range(25):
        capex, slipped, price = futures.factors(draw)
        instance = draw_instance(base, futures.factors(draw))
        for column, portfolio in enumerate(chosen):
            # the semantics, written out: slipped members deliver nothing (their
            # capex is spent), every other term as solve computes it with the draw's numbers
            delivering = [tuple(s for s in g if not slipped[s]) for g in portfolio]
            delivering = [g for g in delivering if g]
            terms = base.evaluate(delivering)
            members = [s for g in portfolio for s in g]
            capital = sum(base.capex_eur[s] * capex[s] for s in members) + \
                base.extra_site_cost_eur * sum(len(g) - 1 for g in portfolio)
            energy = sum(base.energy_cost_eur[s] * price[s] for g in delivering for s in g)
            expected = sum(getattr(w, t) * terms[t] for t in terms if t != "cost") - \
                w.cost * (capital + energy) / base.cost_reference_eur
            assert on.objective[draw, column] == pytest.approx(expected, abs=1e-12)
            assert on.capex_eur[draw, column] == pytest.approx(capital, rel=1e-12)
            assert on.over_budget[draw, column] == (capital > base.budget_eur * (1 + 1e-9))
            assert on.slipped[draw, column] == any(slipped[s] for s in members)
            assert on.people[draw, column] == pytest.approx(
                terms["coverage"] * base.total_population, rel=1e-12)
            assert on.power_mw[draw, column] == pytest.approx(
                sum(base.effective_mw[s] for g in delivering for s in g), rel=1e-12)
            if not on.slipped[draw, column]:   # nothing slipped: the draw's instance's value
                assert on.objective[draw, column] == pytest.approx(
                    instance.objective(instance.evaluate(portfolio)), abs=1e-12)
    assert on.slipped.any() and not on.slipped.all()           # both cases were met
    assert on.over_budget.any() and not on.over_budget.all()


def test_each_delivering_set_is_valued_once_with_fully_slipped_gigafactories_dropped():
    from siteopt.analysis.robust import _delivering_sets

    # portfolios: {0+1, 2} and {0, 2} (members listed out of order); sites 0..3
    members = [[[1, 0], [2]], [[0], [2]]]
    slipped = np.array([[False, False, False, False],    # both deliver all
                        [False, True, False, True],      # 1 slips: the first = the second
                        [True, True, False, False],      # 0 and 1 slip: only {2} left
                        [True, False, True, False]])     # 0 and 2: {1}; the second: nothing
    sets, which = _delivering_sets(members, slipped)
    assert [[sets[i] for i in row] for row in which.tolist()] == [
        [((0, 1), (2,)), ((0,), (2,))],
        [((0,), (2,)), ((0,), (2,))],
        [((2,),), ((2,),)],
        [((1,),), ()]]
    assert len(sets) == len(set(sets)) == 5


def test_robust_without_spread_reproduces_the_optimum(run_cli, tmp_path):
    import siteopt
    from siteopt.analysis import Spread, robust

    best = siteopt.solve()
    calm = robust(draws=3, spread=Spread(0.0, 0.0, 0.0))
    assert calm.draws["objective"].tolist() == pytest.approx([best.objective] * 3, abs=1e-9)
    assert calm.draws["regret"].abs().max() < 1e-9
    assert set(calm.site_frequency[calm.site_frequency > 0].index) == set(best.selected)
    assert (calm.site_frequency[list(best.selected)] == 1.0).all()
    assert calm.candidates["portfolio"].tolist() == [calm.today]
    assert calm.summary_lines()[0].startswith("3 draws (seed 1; model default)")
    one = robust(draws=1, spread=Spread(0.0, 0.0, 0.0))
    assert one.summary_lines()[0].startswith("1 draw (seed 1; model default)")
    document = json.loads(calm.to_json())
    assert document["regret"]["today_optimal_share"] == 1.0
    ax = calm.plot_map()   # every chosen site drawn, each as chosen in every draw
    assert len(next(c for c in ax.collections if c.get_gid() == "frequency").get_offsets()) \
        == len(best.selected)
    labels = sorted(t.get_text() for t in ax.texts if t.get_gid() == "site_label")
    assert labels == sorted(f"{site} 100%" for site in best.selected)
    printed = run_cli("robust", "--draws", "2", "--capex-sd", "0", "--grid-delay-prob", "0",
                      "--price-sd", "0", "--workers", "1", "--map", str(tmp_path / "f.png"))
    said = " ".join(printed.stdout.split())   # wrapped to the terminal
    assert "over the budget of EUR 20.00 bn in 0% of the draws; a member's grid slips in 0%" \
        in said
    assert f"mean objective {best.objective:.4f} (sd 0.0000" in said
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), slack=st.sampled_from([0.02, 0.1, 0.3]))
def test_diverse_portfolios_add_the_most_new_sites_the_slack_allows(seed, slack):
    from siteopt.analysis.alternatives import diverse_portfolios

    instance = random_instance(seed, 6, 6, 3)
    found = diverse_portfolios(instance, Solver(), 2, slack)
    if not found:
        assert ranking_by_brute_force(instance) == []
        return
    best = found[0][0]
    assert best == pytest.approx(ranking_by_brute_force(instance)[0], abs=1e-9)
    used = {s for g in found[0][1] for s in g}
    for objective, portfolio, new in found[1:]:
        floor = best - slack * max(abs(best), 1e-12)
        assert objective >= floor - 1e-7
        # brute force: no portfolio within the slack adds more sites not used before
        most = max(len(set(member_sites(portfolio)) - used)
                   for value, portfolio in feasible_portfolios(instance)
                   if value >= floor - 1e-9)
        assert new == most
        used |= {s for g in portfolio for s in g}


def test_diverse_on_the_command_line(run_cli):
    printed = run_cli("alternatives", "--diverse", "2", "--slack", "0.05").stdout
    caution, title = printed.split("\nThe optimum and ", 1)
    assert caution.startswith("Caution: ") and "\n\n" not in caution
    assert title.startswith("2 diverse portfolios (model: default")
    header = next(line for line in printed.splitlines() if "gigafactories" in line)
    assert header.split()[0] == "#"   # the order found: diverse portfolios are not ranked
    gaps = [float(m) for m in __import__("re").findall(r"(\d+\.\d+)%", printed)]
    assert max(gaps) <= 5.0


# --- Pareto fronts ----------------------------------------------------------------------------

def front_by_brute_force(instance, x, y) -> list[tuple[float, float]]:
    """The non-dominated (X, Y) scores (cost negated: higher is better) of every feasible
    portfolio, from the most Y to the most X, each term computed by the test's own
    definitions (the objective with that term's weight 1 and the others 0)."""
    def alone(term):
        weights = dataclasses.replace(instance.weights, **{t: float(t == term) for t in TERMS})
        return dataclasses.replace(instance, weights=weights)

    only_x, only_y = alone(x), alone(y)
    scores = set()
    for portfolio in every_portfolio(instance):
        score_x = portfolio_value(only_x, portfolio)
        if score_x is not None:
            scores.add((round(score_x, 9), round(portfolio_value(only_y, portfolio), 9)))
    front = [(a, b) for a, b in scores
             if not any(c >= a and d >= b and (c, d) != (a, b) for c, d in scores)]
    return sorted(front, key=lambda point: -point[1])


def as_scores(front, x, y):
    return [(-vx if x == "cost" else vx, -vy if y == "cost" else vy) for vx, vy, _ in front]


FRONT_CASES = {"seed": st.integers(0, 10**6), "n_sites": st.integers(4, 7),
               "n_groups": st.integers(3, 10),
               "terms": st.permutations([t for t in TERMS if t not in ACCESS_TERMS]).map(
                   lambda order: tuple(order[:2]))}


@settings(max_examples=8, deadline=None, derandomize=True)
@given(**FRONT_CASES)
def test_the_front_is_the_brute_force_front_highs(seed, n_sites, n_groups, terms):
    check_front_against_brute_force("highs", seed, n_sites, n_groups, terms)


@settings(max_examples=3, deadline=None, derandomize=True)   # CBC runs a process per solve
@given(**FRONT_CASES)
def test_the_front_is_the_brute_force_front_cbc(seed, n_sites, n_groups, terms):
    check_front_against_brute_force("cbc", seed, n_sites, n_groups, terms)


def check_front_against_brute_force(name, seed, n_sites, n_groups, terms):
    x, y = terms
    instance = random_instance(seed, n_sites, n_groups, 3)
    expected = front_by_brute_force(instance, x, y)
    front, complete = pareto_front(instance, Solver(name=name), x, y, points=500)
    assert complete
    assert len(front) == len(expected)
    assert np.allclose(as_scores(front, x, y), expected, atol=1e-7, rtol=0)
    for vx, vy, portfolio in front:   # each point is the portfolio it names
        terms_of = instance.evaluate(portfolio)
        assert (terms_of[x], terms_of[y]) == (vx, vy) and not instance.violations(portfolio)


@pytest.mark.parametrize("name", ["highs", "cbc"])
def test_a_long_front_whole_and_as_a_sample(name):
    instance = random_instance(3, 7, 10, 3)
    expected = front_by_brute_force(instance, "cost", "coverage")
    assert len(expected) == 10
    if name == "highs":   # the whole front takes CBC (a process per solve) about 50 s
        front, complete = pareto_front(instance, Solver(name=name), "cost", "coverage",
                                       points=11)
        assert complete and np.allclose(as_scores(front, "cost", "coverage"), expected)
    front, complete = pareto_front(instance, Solver(name=name), "cost", "coverage", points=3)
    assert not complete and len(front) == 3
    scores = np.array(as_scores(front, "cost", "coverage"))
    assert np.allclose(scores[[0, -1]], np.array(expected)[[0, -1]])   # both ends
    assert all(np.isclose(np.array(expected), point).all(axis=1).any() for point in scores)


def test_today_beaten_on_one_term_and_tied_on_the_other_is_said_so():
    """Every portfolio leaves some member state uncovered (fairness 0 at R = 500 km): the
    front point beats today's answer on coverage and ties it on fairness, which the sentence
    must not call beaten on both."""
    from siteopt.analysis.pareto import FrontPoint, ParetoFront

    units = {"coverage": (451.991, "people within 500 km (m)", "{:.1f} m",
                          "people within 500 km")}
    front = ParetoFront("fairness", "coverage", [FrontPoint(0.0, 0.86, 0.57, (("A",),))],
                        True, 5, "default", FrontPoint(0.0, 0.79, 0.59, (("B",),)), units)
    assert front.against_today() == (
        f"Today's answer (B; the other terms weigh in it too) is beaten by front point 1 (A): "
        f"the same fairness and {0.07 * 451.991:.1f} m more people within 500 km, yet it "
        f"scores 0.0200 less in the objective, through the other terms.")
    # one value of fairness: an axis from 0 up around it (it was -0.04 to 0.04), in words
    ax = front.plot()
    low, high = ax.get_xlim()
    assert -0.1 < low < 0 < 1 <= high
    assert ax.get_title(loc="left").startswith("Pareto front of fairness and coverage (default): "
                                               "1 point (complete;")
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


def test_pareto_on_the_shipped_data(run_cli, tmp_path):
    import matplotlib.pyplot as plt

    import siteopt
    from siteopt.analysis import pareto

    two = {"limits.max_gigafactories": 2}
    front = pareto("cost", "coverage", points=4, **two)
    table = front.table()
    assert list(table.columns) == ["lifetime cost (EUR bn; lower is better)",
                                   "people within 500 km (m)", "cost", "coverage",
                                   "objective", "gigafactories"]
    # the quantities: the cost term times EUR 60 bn, coverage times the EU-27's people
    assert table["lifetime cost (EUR bn; lower is better)"].tolist() == pytest.approx(
        (table["cost"] * 60).tolist())
    assert table["people within 500 km (m)"].tolist() == pytest.approx(
        (table["coverage"] * 451.991).tolist())
    assert table["cost"].is_monotonic_decreasing and table["coverage"].is_monotonic_decreasing
    only_coverage = {f"weights.{t}": float(t == "coverage") for t in TERMS}
    assert table["coverage"].iloc[0] == pytest.approx(
        siteopt.solve(**two, **only_coverage).terms["coverage"], abs=1e-12)
    assert (front.points[-1].x, front.points[-1].label) == (0.0, "none")  # least cost: nothing
    assert not front.complete
    ax = front.plot()
    points = next(c for c in ax.collections if c.get_gid() == "front")
    assert len(points.get_offsets()) == len(front.points)
    # today's answer marked, at its own quantities; each number beside its point
    today = next(c for c in ax.collections if c.get_gid() == "today")
    best = siteopt.solve(**two)
    assert today.get_offsets()[0].tolist() == pytest.approx(
        [best.terms["cost"] * 60, best.covered_population / 1e6])
    numbers = sorted((t.get_text(), t.xy) for t in ax.texts if t.get_gid() == "site_label")
    assert [n for n, _ in numbers] == sorted(str(i) for i in range(1, len(front.points) + 1))
    for text, xy in numbers:
        assert tuple(points.get_offsets()[int(text) - 1]) == pytest.approx(xy)
    plt.close("all")
    out = run_cli("pareto", "--points", "3", "--x", "grid", "--y", "coverage",
                  "--set", "limits.max_gigafactories=2", "--format", "json",
                  "--plot", str(tmp_path / "front.png"))
    document = json.loads(out.stdout)
    assert out.exit_code == 0 and document["x"] == "grid" and len(document["front"]) == 3
    assert (tmp_path / "front.png").read_bytes()[:4] == b"\x89PNG"
    same = run_cli("pareto", "--x", "cost", "--y", "cost")
    assert same.exit_code == 2 and "two different terms" in same.stderr


# --- the report with the analyses -------------------------------------------------------------

def test_report_with_every_analysis(run_cli, tmp_path):
    import siteopt

    two = "limits.max_gigafactories=2"
    out = tmp_path / "report.html"
    ran = run_cli("report", "--set", two, "--out", str(out), "--with",
                  "robust, pareto,sweep", "--with", "explain,alternatives,weights", "--k", "3",
                  "--explain-site",
                  "ES-NAV", "--vary", "budget.total_eur=8e9,10e9", "--points", "3",
                  "--draws", "4", "--seed", "7", "--workers", "1")
    assert ran.exit_code == 0, ran.stderr
    page = out.read_text(encoding="utf-8")
    sections = re.findall(r"<h2 id='([a-z]+)-section'>", page)
    assert sections == ["alternatives", "explain", "sweep", "weights", "pareto", "robust",
                        "choice"]  # report order
    # each section naming illustrative sites says so under its heading (the robust choice
    # in its own summary, for its members)
    cautioned = re.findall(r"<h2 id='([a-z]+)-section'>[^\n]*\n<p class='caveats'>Caution: "
                           r"\d+ of the \d+ sites named below ha", page)
    assert cautioned == ["alternatives", "explain", "sweep", "weights", "pareto", "robust"]

    def rows(table_id):
        body = re.search(rf"<table id='{table_id}'>.*?<tbody>(.*?)</tbody>", page, re.S)
        return re.findall(r"<tr>(.*?)</tr>", body.group(1))

    best = siteopt.solve(**{"limits.max_gigafactories": 2})
    assert len(rows("alternatives")) == 3
    assert f"{best.objective:.4f}" in rows("alternatives")[0]
    prose = re.sub(r"<span class='id'>([^<]*)</span>", r"\1", page)   # IDs kept whole
    assert page.count("<span class='id'>ES-NAV</span>") >= 2
    assert re.search(r"ES-NAV is chosen\. Leaving it out replaces [A-Za-z, -]*ES-NAV"
                     r"[A-Za-z, -]* with ", prose)
    explained, = rows("explain-table")   # people and capex as changes, to 0.1 m and EUR 10 m
    forced = siteopt.solve(**{"limits.max_gigafactories": 2, "sites.excluded": ["ES-NAV"]})
    people = (forced.covered_population - best.covered_population) / 1e6
    capex = (forced.total_capex_eur - best.total_capex_eur) / 1e9
    assert re.findall(r"<td class='num[ a-z]*'>([^<]*)</td>", explained)[1:3] == [f"{people:+.1f}",
                                                                          f"{capex:+.2f}"]
    assert [re.search(r"EUR \d+ bn", r).group() for r in rows("sweep")] == ["EUR 8 bn",
                                                                            "EUR 10 bn"]
    assert len(rows("pareto")) == 3
    ranges = siteopt.analysis.weight_ranges(**{"limits.max_gigafactories": 2}, workers=1)
    assert len(rows("weights")) == len(ranges.rows)
    assert all(f"<p>{html.escape(line)}</p>" in prose for line in ranges.summary_lines())
    assert "4 draws (seed 7;" in page
    assert re.search(r"<p>Fund [A-Z]{2}-[A-Z]{3}.*: within the budget of EUR 20.00 bn in \d+% "
                     r"of 4 fresh futures", prose)
    # the report has no --gap-samples: its pointer names the command that has it
    assert "(siteopt robust --choose --gap-samples K solves K more samples)" in prose
    # portfolio, capex, the in-sample mean, 10 fresh-draw measures (people and MW first, the
    # largest regret last); the caption says they are on the fresh draws, the two rows that
    # are not say what they are on
    assert "<p>The robust choice and today's optimum on 4 fresh draws:</p>" in page
    labels = [re.match(r"<td[^>]*>(.*?)</td>", re.sub(r"</?span[^>]*>", "", row)).group(1)
              for row in rows("choice")]
    assert labels == ["portfolio", "capex (nominal)", "mean score on the choice&#x27;s 4 draws",
                      "people within 500 km (mean)", "power delivered (mean)", "mean score",
                      "95 % CI low", "95 % CI high", "5 % quantile", "over budget in",
                      "a member&#x27;s grid slips in", "mean regret", "largest regret"]
    for image in ("alternatives-chart", "sweep-chart", "weights-chart", "pareto-chart",
                  "robust-map", "robust-regret", "choice-map"):
        assert re.search(rf"<img class='map' id='{image}' alt='[^']+' src='data:image/png", page)
    wrong = run_cli("report", "--out", str(tmp_path / "x.html"), "--with", "alternativs")
    assert wrong.exit_code == 2 and "unknown analysis alternativs" in wrong.stderr
    assert not (tmp_path / "x.html").exists()


def test_a_missing_value_is_an_empty_cell_in_every_table():
    """An explained chosen site has no "extra MW to enter": its cell stays empty (this broke
    the terminal table of siteopt explain for chosen sites)."""
    import pandas as pd

    from siteopt.report.htmlparts import table_html
    from siteopt.report.tables import render_table

    frame = pd.DataFrame({"site": ["A", "B"], "extra MW": [None, 25.0]}, dtype=object)
    text = render_table(frame, formats={"extra MW": ",.0f"}, width=80)
    assert re.search(r"^ A *$", text, re.M) and re.search(r"^ B +25$", text, re.M)
    assert "<td class='short'></td>" in table_html(frame, {"extra MW": ",.0f"})


@pytest.mark.parametrize("model", ["models/$\\frac.toml", "a $5 and $6 plan"])
def test_a_model_name_with_dollar_signs_is_drawn_literally(model):
    """The model's name (a file path: anything) reaches every analysis figure's title as text,
    never as mathtext (which would garble it, or fail to draw)."""
    from siteopt.analysis.alternatives import Alternative, Alternatives
    from siteopt.analysis.pareto import FrontPoint, ParetoFront
    from siteopt.report.maps import figure_bytes

    ranking = Alternatives([Alternative(1, (("A",),), 0.5, 0.0, [], []),
                            Alternative(2, (("B",),), 0.4, 0.2, ["B"], ["A"])], 2, None, True,
                           model)
    front = ParetoFront("cost", "coverage", [FrontPoint(0.5, 0.9, 0.4, (("A",),)),
                                             FrontPoint(0.1, 0.3, 0.2, (("B",),))], True, 2,
                        model)
    for ax in (ranking.plot(), front.plot()):
        assert model in ax.get_title(loc="left")
        assert figure_bytes(ax)[:4] == b"\x89PNG"   # drawn, no mathtext error
