"""`siteopt robust --choose`: the robust choice on the shipped data, its fresh-draw comparison
with today's optimum and the sampling gap, each value recomputed here from its definition."""

from __future__ import annotations

import dataclasses
import importlib
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from siteopt.analysis.choice import robust_choice
from siteopt.analysis.draws import Draws, Spread
from siteopt.analysis.robust import evaluate_on_draws, portfolio_label, solve_draw
from siteopt.api import prepare
from siteopt.cli import cli
from siteopt.config import Solver
from siteopt.errors import InfeasibleError, SolverError
from siteopt.solvers.outcome import Status
from tests.conftest import REPO

DRAWS, FRESH, SEED = 6, 8, 3


@pytest.fixture(scope="module")
def chosen(tmp_path_factory):
    """``robust --choose`` on 6 draws of seed 3, 8 fresh draws, 2 gap samples: its JSON and
    the files it wrote."""
    folder = tmp_path_factory.mktemp("choose")
    result = CliRunner().invoke(cli, [
        "robust", "--choose", "--draws", str(DRAWS), "--seed", str(SEED), "--test-draws",
        str(FRESH), "--gap-samples", "2", "--workers", "1", "--format", "json",
        "--draws-out", str(folder / "draws.json"), "--map", str(folder / "map.png")],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), folder


@pytest.fixture(scope="module")
def base():
    return prepare()[2].instance


def _names(base, portfolio):
    return [[base.site_ids[s] for s in g] for g in portfolio]


def test_the_choice_is_the_proven_optimum_of_its_draws(chosen, base):
    document, folder = chosen
    draws = Draws.read(folder / "draws.json", base.site_ids)
    assert len(draws) == DRAWS
    assert document["choice"]["status"] == "optimal" and document["choice"]["gap"] == 0
    assert document["choice"]["over_budget_share"] <= 0.05
    on = evaluate_on_draws(base, [document["choice"]["gigafactories"]], draws)
    assert on.objective.mean() == pytest.approx(document["choice"]["mean_objective"], abs=1e-12)


@pytest.mark.parametrize("risk", [0.0, 1.0])
def test_both_paths_choose_the_same_portfolio_on_the_shipped_data(base, risk):
    """Also with every draw allowed over the budget (robust.budget_risk = 1), where the
    relaxed budget row averaged no draws: NaN, so the search funded nothing and called it
    optimal, and HiGHS's model could not be built."""
    draws = Draws.sample(base.site_ids, 2, SEED, Spread())
    search = robust_choice(base, draws, risk, Solver(), "search")
    extensive = robust_choice(base, draws, risk, Solver(), "extensive")
    assert search.status == extensive.status == "optimal"
    assert search.gigafactories == extensive.gigafactories and len(search.gigafactories) == 5
    assert search.mean_objective == pytest.approx(extensive.mean_objective, abs=1e-9)
    if risk == 1.0:   # no budget at all: better than within it in every draw
        assert search.mean_objective > robust_choice(base, draws, 0.0, Solver(),
                                                     "search").mean_objective


def test_the_choice_names_its_gigafactories_as_solve_does(base):
    """Members in ID order, as every other output writes a gigafactory: the choice wrote
    them in the data's order ("NL-RTM+NL-EEM" where solve says "NL-EEM+NL-RTM")."""
    from siteopt.analysis import choose
    from siteopt.consolidation import gigafactory_id

    # no budget (alpha = 1): large gigafactories, one of them listed out of ID order in the data
    done = choose(draws=2, seed=SEED, test_draws=1, workers=1, **{"robust.budget_risk": 1.0})
    position = {site: i for i, site in enumerate(base.site_ids)}
    assert any(sorted(g, key=position.get) != sorted(g) for g in done.chosen)
    assert all(list(g) == sorted(g) for g in done.chosen)
    named = ", ".join(sorted(gigafactory_id(g) for g in done.chosen))
    assert done.summary_lines()[0].startswith(f"Fund {named}: ")


def test_the_comparison_is_on_fresh_draws(chosen, base):
    document, _ = chosen
    fresh = Draws.sample(base.site_ids, FRESH, SEED, Spread(), first=DRAWS)
    portfolios = [document["choice"]["gigafactories"], document["today"]]
    on = evaluate_on_draws(base, portfolios, fresh)
    own = np.array([solve_draw(base, Solver(), i, fresh.factors(i))["objective"]
                    for i in range(FRESH)])
    for k, row in enumerate(document["comparison"]):
        values = on.objective[:, k]
        half = 1.959963984540054 * values.std(ddof=1) / math.sqrt(FRESH)
        assert row["mean"] == pytest.approx(values.mean(), abs=1e-12)
        assert row["95 % CI low"] == pytest.approx(values.mean() - half, abs=1e-12)
        assert row["95 % CI high"] == pytest.approx(values.mean() + half, abs=1e-12)
        assert row["5 % quantile"] == pytest.approx(np.quantile(values, 0.05), abs=1e-12)
        assert row["over budget in"] == pytest.approx(on.over_budget[:, k].mean())
        assert row["people within reach"] == pytest.approx(on.people[:, k].mean(), rel=1e-12)
        assert row["power delivered"] == pytest.approx(on.power_mw[:, k].mean(), rel=1e-12)
        assert row["mean regret"] == pytest.approx((own - values).mean(), abs=1e-9)
        assert row["largest regret"] == pytest.approx((own - values).max(), abs=1e-9)
    assert [row["of"] for row in document["comparison"]] == ["robust choice",
                                                             "today's optimum"]


@pytest.mark.parametrize("method", ["search", "benders"])
def test_a_draws_optimal_value_alone_is_its_settled_optimum(base, method):
    """The comparison asks each fresh draw for its optimal value only (no tie solves): the
    same value as the settled optimum, on the search and on HiGHS."""
    fresh = Draws.sample(base.site_ids, 2, SEED, Spread(), first=DRAWS)
    for i in range(2):
        settled = solve_draw(base, Solver(method=method), i, fresh.factors(i))
        alone = solve_draw(base, Solver(method=method), i, fresh.factors(i), portfolio=False)
        assert settled["portfolio"] and "portfolio" not in alone
        assert alone["objective"] == pytest.approx(settled["objective"], abs=1e-9)


def test_a_fresh_draw_without_its_proven_optimum_is_named_as_fresh(monkeypatch):
    """The comparison's draws are fresh draws: one stopped before its proof is named so (not
    as "draw 1", which reads as one of the choice's draws), with the option that helps."""
    robust_module = importlib.import_module("siteopt.analysis.robust")
    real = robust_module.solve_draw

    def stopped(base, settings, draw, factors, start=None, portfolio=True, label="draw"):
        return real(base, dataclasses.replace(settings, time_limit_s=1e-6), draw, factors,
                    start, portfolio, label)

    monkeypatch.setattr(robust_module, "solve_draw", stopped)
    with pytest.raises(SolverError) as caught:
        importlib.import_module("siteopt.analysis.choose").choose(
            draws=2, test_draws=2, workers=1)
    assert str(caught.value) == ("fresh draw 0 stopped without a proven optimum (time_limit); "
                                 "raise solver.time_limit_s (--time-limit)")


def test_the_sampling_gap_solves_further_independent_samples(chosen, base):
    document, _ = chosen
    gap = document["sampling_gap"]
    assert len(gap["optima"]) == 2
    second = Draws.sample(base.site_ids, DRAWS, SEED, Spread(), first=DRAWS + FRESH + DRAWS)
    assert gap["optima"][1] == pytest.approx(
        robust_choice(base, second, 0.05, Solver()).mean_objective, abs=1e-12)
    fresh_mean = document["comparison"][0]["mean"]
    assert gap["gap"] == pytest.approx(np.mean(gap["optima"]) - fresh_mean, abs=1e-12)
    assert gap["gap_high"] > gap["gap"]


def test_the_headline_names_what_to_fund(chosen, base):
    document, folder = chosen
    funded = ", ".join(sorted("+".join(g) for g in document["choice"]["gigafactories"]))
    mine, today = document["comparison"]
    today_said = ", ".join(sorted("+".join(g) for g in document["today"]))
    assert document["summary"][0] == (
        f"Fund {funded}: within the budget of EUR 20.00 bn in "
        f"{1 - mine['over budget in']:.0%} of {FRESH} fresh futures, on average "
        f"{mine['people within reach'] / 1e6:.1f} m people within 500 km and "
        f"{mine['power delivered']:,.0f} MW delivered, mean score {mine['mean']:.3f}; today's "
        f"optimum ({today_said}): within the budget in {1 - today['over budget in']:.0%}, "
        f"{today['people within reach'] / 1e6:.1f} m people, {today['power delivered']:,.0f} "
        f"MW, mean score {today['mean']:.3f}.")
    assert (folder / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    members = sorted(site for g in document["choice"]["gigafactories"] for site in g)
    assert sorted(document["slip_frequency"]) == members
    sites = prepare()[1].sites.set_index("site_id")["provenance"]
    illustrative = [site for site in members if sites[site] == "illustrative"]
    caveat = [line for line in document["summary"] if "illustrative figures" in line]
    assert caveat == ([f"{len(illustrative)} of the {len(members)} member sites have "
                       f"illustrative figures ({', '.join(illustrative)}): each stands for a "
                       f"site of its kind in its region, not for a real bid (how the figures "
                       f"were made: siteopt/datasets/eu2026/README.md)."] if illustrative
                      else [])


def test_the_same_draws_file_gives_the_same_choice(chosen, tmp_path):
    document, folder = chosen
    assert document["fresh_draws"] == {"seed": SEED, "first_draw": DRAWS, "count": FRESH,
                                       "spread": dataclasses.asdict(Spread())}
    again = CliRunner().invoke(cli, ["robust", "--choose", "--draws-in",
                                     str(folder / "draws.json"), "--test-draws", "2",
                                     "--workers", "1", "--format", "json"],
                               catch_exceptions=False)
    assert again.exit_code == 0
    again = json.loads(again.stdout)
    assert again["choice"]["gigafactories"] == document["choice"]["gigafactories"]
    assert again["fresh_draws"]["seed"] == SEED   # the file's
    # a file without a seed or a spread: the fresh draws' are --seed's default and the
    # default spread, and the summary says so
    written = json.loads((folder / "draws.json").read_text(encoding="utf-8"))
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({**written, "seed": None, "spread": None}), encoding="utf-8")
    done = CliRunner().invoke(cli, ["robust", "--choose", "--draws-in", str(bare),
                                    "--test-draws", "2", "--workers", "1", "--format", "json"],
                              catch_exceptions=False)
    said = json.loads(done.stdout)
    assert said["seed"] is None and said["fresh_draws"] == {
        "seed": 1, "first_draw": DRAWS, "count": 2, "spread": dataclasses.asdict(Spread())}
    assert "On the fresh draws (seed 1, as the draws file names none): " in \
        " ".join(said["summary"])


@pytest.mark.parametrize("args, said", [
    (["--test-draws", "5"], "--test-draws: only with --choose"),
    (["--choose", "--plot", "x.png"], "with --choose, --map draws the robust choice"),
    (["--criterion", "regret"], "--criterion: only with --choose"),
    (["--choose", "--criterion", "regret", "--gap-samples", "2"],
     "leave it out with --criterion regret"),
])
def test_options_that_do_not_fit_are_refused(run_cli, args, said):
    done = run_cli("robust", "--draws", "2", *args)
    assert done.exit_code == 2 and said in done.output


def test_no_portfolio_within_the_budget_names_the_limits(run_cli):
    # RO-DOI (EUR 1.23 bn) is over EUR 1.3 bn whenever its capex factor exceeds 1.057
    done = run_cli("robust", "--choose", "--draws", "20", "--budget", "1.3e9", "--set",
                   'sites.required=["RO-DOI"]', "--workers", "1")
    assert done.exit_code == 1
    assert "stays within the budget of EUR 1.30 bn in at least 95% of the 20 draws" in \
        done.output


def test_no_portfolio_in_time_names_the_step_and_the_fix(run_cli, monkeypatch):
    """W weighted takes the extensive form, which finds nothing in 0.05 s without a start."""
    monkeypatch.setattr(importlib.import_module("siteopt.analysis.choice"), "_chance_start",
                        lambda *args: (None, args[-1]))
    done = run_cli("robust", "--choose", "--draws", "5", "--set", "weights.worst=0.1",
                   "--time-limit", "0.05", "--workers", "1")
    assert done.exit_code == 1
    assert ("no portfolio found on the 5 draws before the solver stopped (time limit); raise "
            "solver.time_limit_s or use fewer draws") in done.output
    assert "Traceback" not in done.output


def test_the_least_largest_regret_on_the_shipped_data(run_cli, base, tmp_path):
    out = tmp_path / "draws.json"
    done = run_cli("robust", "--choose", "--criterion", "regret", "--draws", "2", "--seed",
                   "4", "--test-draws", "2", "--workers", "1", "--format", "json",
                   "--draws-out", str(out))
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    draws = Draws.read(out, base.site_ids)
    own = np.array([solve_draw(base, Solver(), i, draws.factors(i))["objective"]
                    for i in range(2)])
    on = evaluate_on_draws(base, [document["choice"]["gigafactories"]], draws)
    assert document["choice"]["criterion"] == "regret"
    assert document["choice"]["status"] == "optimal"
    assert document["choice"]["largest_regret"] == pytest.approx(
        (own - on.objective[:, 0]).max(), abs=1e-12)
    assert "has the least largest regret over the draws" in document["summary"][-3]


def test_an_unproven_choice_says_so_first(run_cli):
    """The regret search proves 20 draws of the shipped data in about 8 s; 30 stop at 1 s."""
    done = run_cli("robust", "--choose", "--criterion", "regret", "--draws", "30",
                   "--test-draws", "2", "--workers", "1", "--time-limit", "1")
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("Not proven optimal (time limit, gap ")
    # with what may still prove it
    assert " ".join(done.stdout.split()).split("): Fund ")[0].endswith(
        "; a longer time limit (--time-limit, solver.time_limit_s) may prove it")
    # the status in words in the sentence on the choice too, not its JSON name
    assert "The robust choice (not proven: time limit, gap " in " ".join(done.stdout.split())


def test_a_choice_without_a_bound_says_the_gap_is_unknown(run_cli, monkeypatch):
    """HiGHS stopped with only its start (W weighted takes the extensive form) has no bound:
    the headline says so instead of "gap nan%", and the JSON's gap is null."""
    choice_module = importlib.import_module("siteopt.analysis.choice")
    real = choice_module._chance_start
    monkeypatch.setattr(choice_module, "_chance_start",
                        lambda *args: (real(*args)[0], Solver(time_limit_s=0.001)))
    done = run_cli("robust", "--choose", "--draws", "2", "--set", "weights.worst=0.1",
                   "--test-draws", "1", "--workers", "1", "--format", "json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["choice"]["status"] == "time_limit" and document["choice"]["gap"] is None
    assert document["summary"][0].startswith(
        "Not proven optimal (time limit, gap unknown: the solver had no bound yet; a longer "
        "time limit (--time-limit, solver.time_limit_s) may prove it): Fund ")
    # one fresh draw has no confidence interval: said so, not "95 % CI nan-nan"
    fresh = next(line for line in document["summary"] if line.startswith("On the fresh"))
    assert fresh.count("no 95 % CI from one fresh draw") == 2 and "nan" not in fresh
    assert "mean regret 0." in fresh
    assert " of 1 fresh future, on average " in document["summary"][0]   # not "futures"


def _further_samples_end_as(monkeypatch, change):
    """``choose`` with 3 draws, 2 fresh and 2 gap samples, each gap sample's choice passed
    through ``change`` (the first, on the 3 draws, kept)."""
    choose_module = importlib.import_module("siteopt.analysis.choose")
    calls = []

    def changed(*args, **kwargs):
        choice = robust_choice(*args, **kwargs)
        calls.append(choice)
        return choice if len(calls) == 1 else change(choice)

    monkeypatch.setattr(choose_module, "robust_choice", changed)
    return choose_module.choose(draws=3, seed=SEED, test_draws=2, gap_samples=2, workers=1)


def test_a_further_sample_without_a_portfolio_is_named(monkeypatch):
    with pytest.raises(SolverError, match=r"no portfolio found on further sample 1 of 2 "
                                          r"\(3 draws\) for the sampling gap"):
        _further_samples_end_as(monkeypatch, lambda c: dataclasses.replace(
            c, status=Status.TIME_LIMIT, gigafactories=(), mean_objective=math.nan,
            bound=math.nan))


def test_an_unproven_further_sample_counts_its_bound(monkeypatch):
    """The sampling gap over-estimates the optimum: a sample stopped before its proof counts
    with its bound (above its optimum), not the portfolio it found."""
    done = _further_samples_end_as(monkeypatch, lambda c: dataclasses.replace(
        c, status=Status.TIME_LIMIT, gap=0.01, bound=c.mean_objective + 0.01))
    first = Draws.sample(done.futures.site_ids, 3, SEED, Spread(), first=3 + 2)
    proven = robust_choice(prepare()[2].instance, first, 0.05, Solver()).mean_objective
    assert done.sampling_gap.optima[0] == pytest.approx(proven + 0.01, abs=1e-12)


def test_a_further_sample_without_a_bound_is_named(monkeypatch):
    with pytest.raises(SolverError, match=r"further sample 1 of 2 \(3 draws\) for the sampling "
                                          r"gap stopped before the solver had a bound"):
        _further_samples_end_as(monkeypatch, lambda c: dataclasses.replace(
            c, status=Status.TIME_LIMIT, gap=math.nan, bound=math.nan))


def test_a_further_sample_without_a_feasible_portfolio_is_named(monkeypatch):
    with pytest.raises(InfeasibleError, match=r"further sample 1 of 2 for the sampling gap has "
                                              r"no portfolio within the budget in at least "
                                              r"95% of its draws"):
        _further_samples_end_as(monkeypatch, lambda c: dataclasses.replace(
            c, status=Status.INFEASIBLE, gigafactories=(), mean_objective=math.nan,
            bound=math.nan))


def test_the_binomial_tail_is_the_sum_of_its_terms():
    from siteopt.analysis.choose import binomial_tail

    for n in (1, 2, 7, 40, 100):
        for p in (0.0, 0.05, 0.3, 1.0):
            for k in range(0, n + 2):
                exact = sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j)
                            for j in range(k, n + 1))
                assert binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("over, fresh, today_mean, today_over, same, said", [
    # 7 of 40 over budget where 5 % may be: P(X >= 7) = 0.003, and today's optimum scores more
    (7, 40, 0.470, 0.55, False, [
        "Caution: the choice is over the budget in 18% of the fresh futures, more than the 5% "
        "it may be on its 40 draws: too few draws to hold the budget risk; choose on more "
        "(--draws).",
        "Today's optimum scores more on the fresh futures (0.470 against 0.460), but is over "
        "the budget in more of them (55% against 18%)."]),
    # 8 of 100: P(X >= 8) = 0.13, chance; today's optimum scores less
    (8, 100, 0.450, 0.55, False, []),
    # 10 of 100: P(X >= 10) = 0.028; today's optimum scores more and is over no more often
    (10, 100, 0.470, 0.10, False, [
        "Caution: the choice is over the budget in 10% of the fresh futures, more than the 5% "
        "it may be on its 40 draws: too few draws to hold the budget risk; choose on more "
        "(--draws).",
        "Today's optimum scores more on the fresh futures (0.470 against 0.460) and is over the "
        "budget no more often: the choice does not hold out of sample; choose on more draws "
        "(--draws)."]),
    # the choice is today's optimum: nothing to compare
    (0, 100, 0.470, 0.0, True, []),
])
def test_the_fresh_draws_caveats(over, fresh, today_mean, today_over, same, said):
    from siteopt.analysis.choose import _fresh_caveats

    mine = {"mean": 0.460, "over budget in": over / fresh}
    today = {"mean": today_mean, "over budget in": today_over}
    assert _fresh_caveats(mine, today, 0.05, 40, fresh, same) == said


@pytest.mark.parametrize("today_regret, today_over, said", [
    (0.40, 0.70, ["Today's optimum has a smaller largest regret on the fresh futures (0.400 "
                  "against 0.530), but is over the budget in more of them (70% against 0%)."]),
    (0.40, 0.0, ["Today's optimum has a smaller largest regret on the fresh futures (0.400 "
                 "against 0.530) and is over the budget no more often: the choice does not "
                 "hold out of sample; choose on more draws (--draws)."]),
    (0.60, 0.70, []),   # a larger largest regret: today's higher mean score is not the criterion
])
def test_chosen_by_regret_the_fresh_draws_are_read_by_the_largest_regret(today_regret,
                                                                        today_over, said):
    from siteopt.analysis.choose import _fresh_caveats

    mine = {"mean": 0.40, "over budget in": 0.0, "largest regret": 0.53}
    today = {"mean": 0.45, "over budget in": today_over, "largest regret": today_regret}
    assert _fresh_caveats(mine, today, 0.05, 10, 10, False, criterion="regret") == said


def test_chosen_by_regret_the_headline_gives_both_largest_regrets(run_cli):
    done = run_cli("robust", "--choose", "--criterion", "regret", "--draws", "3",
                   "--test-draws", "3", "--workers", "1", "--format", "json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    mine, today = document["comparison"]
    headline = " ".join(document["summary"][0].split())
    assert f"mean score {mine['mean']:.3f}, largest regret {mine['largest regret']:.3f}; " \
        in headline
    assert headline.endswith(f"mean score {today['mean']:.3f}, largest regret "
                             f"{today['largest regret']:.3f}.")
    assert mine["largest regret"] >= mine["mean regret"] > 0


@pytest.mark.parametrize("model, national", [("cross-border", True), ("default", False)])
def test_across_borders_the_choice_gets_the_national_model(monkeypatch, model, national):
    """``choose`` hands ``robust_choice`` the same model with national gigafactories (its
    robust choice starts HiGHS; tests/test_choice.py), and only across borders."""
    choose_module = importlib.import_module("siteopt.analysis.choose")

    class Handed(Exception):
        pass

    def record(base, *args, **kwargs):
        raise Handed(base, kwargs.get("national"))

    monkeypatch.setattr(choose_module, "robust_choice", record)
    with pytest.raises(Handed) as handed:
        choose_module.choose(model, draws=2, test_draws=1)
    base, given = handed.value.args
    if not national:
        assert given is None
        return
    assert base.cross_border and not given.cross_border and given.compact
    assert given.site_ids == base.site_ids and given.budget_eur == base.budget_eur


def test_the_readme_names_the_choice_as_the_command_prints_it():
    """The README's ``robust --choose`` example (1,000 draws: a minute, so not run here)
    names the choice as the command does: members in ID order joined with ``+``, the
    gigafactories sorted (it showed PL-WRO+PL-POZ after the command had come to print
    PL-POZ+PL-WRO)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = next(line for line in readme.splitlines() if line.startswith("Fund "))
    named = first[len("Fund "):first.index(":")]
    gigafactories = [members.split("+") for members in named.split(", ")]
    assert len(gigafactories) == 5
    assert named == portfolio_label([sorted(members) for members in gigafactories])
