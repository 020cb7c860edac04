"""The answer in plain words and its caveats, up front in every output."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import siteopt
from siteopt.solvers.outcome import Status
from siteopt.summary import caveats, headline, illustrative_sentence, short_caveats


def test_the_headline_says_what_is_funded_in_euros_mw_and_people(default_result):
    r = default_result
    assert headline(r) == (
        f"5 gigafactories in 5 member states: EUR {r.total_capex_eur / 1e9:.2f} bn of EUR "
        f"20.00 bn, {r.total_power_mw:,.0f} MW, {r.covered_population / 1e6:.1f} m people "
        f"({r.terms['coverage']:.1%} of the EU-27) within 500 km")


def test_the_caveats_name_illustrative_sites_the_runner_up_and_full_limits(default_result):
    from siteopt.analysis import alternatives

    notes = caveats(default_result)
    chosen = default_result.chosen
    illustrative = sorted(chosen.loc[chosen["provenance"] == "illustrative", "site_id"])
    assert notes[0].startswith(f"{len(illustrative)} of the 5 member sites have illustrative "
                               f"figures ({', '.join(illustrative)})")
    one = illustrative_sentence(illustrative[:1], 5, default_result.dataset)
    assert one.startswith(f"1 of the 5 member sites has illustrative figures "
                          f"({illustrative[0]}): it stands for a site of its kind")
    # the runner-up is the second of the ranking, said in the objective and in things
    second = alternatives(k=2).items[1]
    assert notes[1].startswith(
        f"Close call: the best portfolio on other sites, {', '.join(second.sites_in)} instead "
        f"of {', '.join(second.sites_out)}, scores {second.gap:.2%} less")
    assert "more people within 500 km" in notes[1] or "fewer people within 500 km" in notes[1]
    assert notes[2].startswith("Limits in full use: gigafactories (5 of 5), budget (99.8% used")
    assert short_caveats(default_result) == (f"3 of 5 sites illustrative; next best "
                                             f"{second.gap:.2%} behind; budget 99.8% used")


def test_a_runner_up_of_no_gigafactory_says_so():
    """At EUR 2 bn one site fits the budget alone (every other costs more, with or without
    partners): the best portfolio on other sites is no gigafactory, said as such, not as
    "scores 100.00% less" (nor as "no other site fits": with a cost weight a portfolio that
    fits may score below nothing)."""
    result = siteopt.solve(**{"budget.total_eur": 2e9})
    sites = result.dataset.sites
    chosen = list(result.chosen["site_id"])
    others = sites.loc[~sites["site_id"].isin(chosen), "capex_eur"]
    assert len(chosen) == 1 and (others > 2e9).all()
    runner = result.runner_up
    assert runner["gigafactories"] == [] and runner["objective"] == 0.0
    assert [note for note in caveats(result) if "other" in note] == [(
        f"Without {chosen[0]} the best choice is no gigafactory at all "
        f"({result.objective:.4f} points less): no other portfolio that keeps the rules scores "
        f"more than funding nothing.")]
    assert "next best: no gigafactory" in short_caveats(result)
    # the alternatives list that portfolio as "none", not as an empty cell
    from siteopt.analysis import alternatives

    ranked = alternatives(k=3, **{"budget.total_eur": 2e9}).table()
    assert list(ranked["gigafactories"]) == [chosen[0], "none"]


def test_an_answer_not_proven_optimal_says_so_before_any_other_caveat():
    # the search stops after 0.5 s on seven gigafactories (it needs about 60 s to prove it,
    # HiGHS about 1 s)
    result = siteopt.solve(model="seven-gigafactories",
                           **{"solver.method": "search", "solver.time_limit_s": 0.5})
    assert result.status.value == "time_limit"
    gap = result.solver["gap"]
    assert caveats(result)[0] == (f"Not proven optimal (time limit): a better portfolio may "
                                  f"exist, up to {gap:.2%} better; a longer time limit "
                                  f"(--time-limit, solver.time_limit_s) may prove it.")
    assert short_caveats(result).startswith("time limit, not proven optimal; ")
    assert sum("Not proven" in note for note in caveats(result)) == 1
    # stopped by the user, the answer is not proven either, but no time limit is to blame
    stopped = dataclasses.replace(result, status=Status.INTERRUPTED)
    assert caveats(stopped)[0] == (f"Not proven optimal (interrupted): a better portfolio "
                                   f"may exist, up to {gap:.2%} better.")


def test_weights_that_do_not_add_up_to_one_are_noted_with_their_shares():
    result = siteopt.solve(**{"weights.coverage": 0.9})
    note = next(n for n in caveats(result) if n.startswith("The weights add up to"))
    assert note.startswith("The weights add up to 1.45, not 1: only their shares matter "
                           "(coverage 62%, grid 10%, spread 10%, clean 10%, cost 7%)")


def test_a_fairness_that_no_portfolio_can_lift_is_said_so():
    """Fairness weighted on the shipped data scores 0 for every portfolio: nobody in Cyprus or
    Ireland lives within 500 km of any eligible site (checked here by the nearest eligible
    site of every place); the caveat names them and says the weight changes no answer. The
    fairness scenario (a larger radius) lifts every state above 0: no such caveat."""
    from siteopt.api import prepare

    result = siteopt.solve(**{"weights.fairness": 0.1})
    assert result.terms["fairness"] == 0.0
    zero = sorted(str(c.country) for c in result.access.countries
                  if c.people > 0 and c.share_within_r == 0)
    _, _, prepared = prepare(None, None, {"weights.fairness": 0.1})
    data = prepared.instance.access
    nearest = data.nearest_km(np.flatnonzero(data.eligible), data.populated)
    state = np.asarray(data.states)[data.point_state[data.populated]]
    far = sorted(c for c in set(state.tolist()) if nearest[state == c].min() > 500.0)
    assert far == ["CY", "IE"]
    note = next(n for n in caveats(result) if n.startswith("Fairness scores 0"))
    assert note == (f"Fairness scores 0: nobody in {', '.join(zero)} lives within 500 km of a "
                    f"member site, and nobody in CY, IE within 500 km of any eligible site: no "
                    f"portfolio scores more on fairness, and weights.fairness changes no answer "
                    f"(a larger coverage.radius_km or a site nearer CY, IE would).")
    plain = siteopt.solve()
    assert plain.gigafactories == result.gigafactories
    fair = siteopt.solve("fairness")
    assert fair.terms["fairness"] > 0
    assert not any(n.startswith("Fairness") for n in caveats(fair))


def test_the_json_document_opens_with_headline_and_caveats(default_result):
    document = json.loads(default_result.to_json())
    assert list(document)[:3] == ["status", "headline", "caveats"]
    assert document["headline"] == headline(default_result)
    assert document["caveats"] == caveats(default_result)
    runner = document["runner_up"]
    assert runner["below"] == pytest.approx(default_result.objective - runner["objective"])


def test_one_site_per_gigafactory_is_said_so(run_cli):
    printed = run_cli("solve", "--model", "single-site").stdout
    assert "Gigafactories (one site each, members in one member state)" in printed
    assert "up to 1 sites" not in printed


def test_an_own_supply_pays_its_own_price(default_result):
    """RO-CER's energy bill: 1,000 MW x PUE 1.2 x 80 % x 8,760 h x EUR 123.2/MWh x 10 years."""
    sites = default_result.sites.set_index("site_id")
    assert sites.at["RO-CER", "energy_cost_eur"] == pytest.approx(
        1000 * 1.2 * 0.8 * 8760 * 123.2 * 10)
    assert sites.at["RO-DOI", "elec_price_eur_mwh"] == 171.5   # no own supply yet: Romania's


def test_the_alternatives_chart_starts_at_zero():
    from siteopt.analysis import alternatives

    ax = alternatives(k=3).plot()
    assert ax.get_xlim()[0] == 0
