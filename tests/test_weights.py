"""How far each weight may move before the answer changes (``siteopt weights``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import siteopt
from siteopt.analysis import weight_ranges
from siteopt.analysis.sweep import End, _weight_changes
from siteopt.terms import TERMS

TWO = {"limits.max_gigafactories": 2}


@pytest.fixture(scope="module")
def ranges():
    return weight_ranges(workers=1, **TWO)


def _label(result) -> str:
    return ", ".join(sorted("+".join(g.members) for g in result.gigafactories))


def _solved(key: str, value: float) -> str:
    return _label(siteopt.solve(**TWO, **{key: value}))


def test_each_end_is_where_the_answer_changes(ranges):
    """Just inside each end the answer is today's, just beyond it the one named: checked by
    solves on either side of every end found exactly."""
    today = _label(siteopt.solve(**TWO))
    assert ranges.portfolio == today
    assert [row["key"] for row in ranges.rows] == [f"weights.{t}" for t in TERMS]
    exact = 0
    for row in ranges.rows:
        key = row["key"]
        assert row["low"] <= row["weight"] <= row["high"]
        for side, beyond, step in (("low", "below", -1e-6), ("high", "above", 1e-6)):
            if row[f"{side}_found"] == "end":
                assert row[side] == (0.0 if side == "low" else max(1.0, row["weight"]))
                assert row[beyond] is None
                assert _solved(key, row[side]) == today
                continue
            assert row[f"{side}_found"] == "exact", row
            assert row[f"{side}_change"] == [row[side], row[side]]
            assert _solved(key, row[side] - step) == today
            assert _solved(key, row[side] + step) == row[beyond] != today
            exact += 1
    assert exact >= 6


def test_the_nearest_change_is_said_first(ranges):
    moves = [(abs(row[side] - row["weight"]), row["key"], row[side]) for row in ranges.rows
             for side in ("low", "high") if row[f"{side}_found"] == "exact"]
    distance, key, at = min(moves)
    lines = ranges.summary_lines()
    assert lines[0].startswith(f"Today's answer ({ranges.portfolio}; model default + "
                               f"limits.max_gigafactories=2) stays optimal while one weight")
    assert lines[1].startswith(f"The nearest change: {key} ") and f"to {at:.4f}" in lines[1]
    assert f"by {distance:.4f}" in lines[1]


@pytest.mark.parametrize("seed", range(10))
def test_the_first_and_last_change_alone_are_those_of_the_whole_search(seed):
    """``only`` stops the search of every change at the first or the last, with the same
    answer as the whole search (random lines, as in the sweep's brute-force test)."""
    rng = np.random.default_rng(seed)
    at_zero, terms = rng.uniform(0, 1, 15), rng.uniform(0, 1, 15)
    solves = []

    def solve_at(weight, start=None):
        values = at_zero + terms * weight
        best = int(np.argmax(values))
        solves.append(weight)
        return End(None, None, {"weights.grid": weight, "grid": terms[best],
                                "objective": values[best], "portfolio": f"P{best}",
                                "status": "optimal"})

    ends = solve_at(0.0), solve_at(4.0)
    every = _weight_changes(solve_at, "weights.grid", *ends)
    whole = len(solves)
    for only, expected in (("first", every[:1]), ("last", every[-1:])):
        del solves[:]
        assert _weight_changes(solve_at, "weights.grid", *ends, only=only) == expected
        assert len(solves) <= whole


def _solves_along_lines(monkeypatch, key, at_zero, terms, unproven=()):
    """Solves of the weight ``key`` replaced by the highest of the lines ``at_zero + terms *
    weight`` (portfolio ``P<i>`` for line i), each weight solved recorded; at the weights in
    ``unproven`` the solve stops at its time limit. Returns the summary of a solve at a weight
    and the list of weights solved."""
    from siteopt.analysis import engine

    solved = []

    def summary_at(value):
        values = at_zero + terms * value
        best = int(np.argmax(values))
        return {"status": "time_limit" if value in unproven else "optimal",
                "objective": float(values[best]),
                "terms": {key.removeprefix("weights."): float(terms[best])},
                "gigafactories": [[f"P{best}"]], "capex_eur": 0.0, "power_mw": 0.0,
                "people": 0, "farthest_km": None, "least_share": None}

    def lines_solve(model, data, overrides, start=None):
        solved.append(overrides[key])
        return summary_at(overrides[key]), None

    monkeypatch.setattr(engine, "solve_summary", lines_solve)
    return summary_at, solved


@pytest.mark.parametrize("key", ["weights.latency", "weights.grid"])
@pytest.mark.parametrize("seed", range(8))
def test_each_range_is_that_of_the_upper_envelope_of_the_portfolios_lines(monkeypatch, seed,
                                                                          key):
    """One weight's range against brute force: random portfolios, each a line in the weight
    (objective at 0 plus its term times the weight), today's optimum the highest at the weight
    now; each end must be where another line first rises above today's, named with it, or
    the end of the range looked at. An access term's change is looked for first an eighth of
    the way to each end (``PROBE``): a change within it is found without a solve at the end;
    another term's is not (its solves cost alike)."""
    from siteopt.analysis import weights

    rng = np.random.default_rng(seed)
    at_zero, terms = rng.uniform(0, 1, 12), rng.uniform(0, 1, 12)
    upto = 1.0
    probed = key == "weights.latency"
    summary_at, solved = _solves_along_lines(monkeypatch, key, at_zero, terms)
    weight = float(rng.uniform(0.05, 0.95))
    row = weights._range_of(None, None, (key, weight, summary_at(weight), upto))
    today = int(np.argmax(at_zero + terms * weight))
    for side, end in (("low", 0.0), ("high", upto)):
        # where each other line crosses today's, on this side of the weight
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = (at_zero[today] - at_zero) / (terms - terms[today])
        on_side = (crossing < weight) & (crossing >= end) if side == "low" else (
            (crossing > weight) & (crossing <= end))
        on_side[today] = False
        beyond = "below" if side == "low" else "above"
        if not on_side.any():
            assert (row[side], row[beyond], row[f"{side}_found"]) == (end, None, "end")
            continue
        nearest = crossing[on_side].max() if side == "low" else crossing[on_side].min()
        assert row[f"{side}_found"] == "exact"
        assert row[side] == pytest.approx(nearest, abs=1e-12)
        just_beyond = nearest + (-1e-9 if side == "low" else 1e-9)
        assert row[beyond] == f"P{int(np.argmax(at_zero + terms * just_beyond))}"
        if probed and abs(nearest - weight) <= abs(end - weight) * weights.PROBE:
            assert end not in solved   # found within the first eighth of the way
    # the first solve: an eighth of the way down for an access term, else at 0
    assert solved[0] == pytest.approx(weight * (1 - weights.PROBE) if probed else 0.0)


def test_a_solve_not_proven_on_the_way_places_the_change_up_to_the_end(monkeypatch):
    """A solve stopped at its time limit proves nothing: not proven a fraction of the way to
    the end, the change may lie anywhere from the weight to the end (not only up to there);
    not proven at the end after a proven solve without a change, anywhere from there on."""
    from siteopt.analysis import weights

    key = "weights.backup"   # an access term: probed
    # today's line P0 stays highest up to 0.75, then P1's (above it from 0.75 on)
    at_zero, terms = np.array([0.5, 0.2]), np.array([0.1, 0.5])
    weight = 0.2
    probe = weight + weights.PROBE * (1.0 - weight)
    for unproven, between in (((probe,), [weight, 1.0]), ((1.0,), [probe, 1.0])):
        summary_at, _ = _solves_along_lines(monkeypatch, key, at_zero, terms, unproven)
        row = weights._range_of(None, None, (key, weight, summary_at(weight), 1.0))
        assert (row["high_found"], row["high_change"], row["above"]) == ("between", between,
                                                                         None)
        assert row["high"] == weight   # proven at the weight itself
        assert (row["low_found"], row["low"]) == ("end", 0.0)
    summary_at, _ = _solves_along_lines(monkeypatch, key, at_zero, terms)
    row = weights._range_of(None, None, (key, weight, summary_at(weight), 1.0))
    assert (row["high_found"], row["high"], row["above"]) == ("exact", pytest.approx(0.75), "P1")


def test_the_command_prints_the_ranges_and_their_json(run_cli, ranges, tmp_path):
    done = run_cli("weights", "--set", "limits.max_gigafactories=2", "--workers", "1",
                   "--plot", str(tmp_path / "weights.png"))
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "weights.png").read_bytes().startswith(b"\x89PNG")
    text = " ".join(done.stdout.split())
    assert " ".join(ranges.summary_lines()) in text
    coverage = ranges.rows[0]
    assert (f"coverage {coverage['weight']:g} {coverage['low']:.4f} {coverage['high']:.4f} "
            f"{coverage['below']}") in text
    document = json.loads(run_cli("weights", "--set", "limits.max_gigafactories=2",
                                  "--workers", "1", "--format", "json").stdout)
    assert document["weights"] == ranges.rows and document["portfolio"] == ranges.portfolio


def test_a_model_without_a_portfolio_is_the_solve_message(run_cli):
    done = run_cli("weights", "--budget", "1e9")
    assert done.exit_code == 1
    assert "budget EUR 1.00 bn is below the cheapest eligible site" in done.stderr


def test_an_end_without_a_proof_is_said_first_and_never_as_the_nearest_change():
    """A solve stopped at its time limit only places a change between two weights: the lines
    say so first, and the nearest change is one proven (it once read "up by 0.0000")."""
    from siteopt.analysis.weights import WeightRanges

    def row(key, weight, high, found):
        return {"key": key, "weight": weight, "low": 0.0, "below": None, "low_found": "end",
                "low_change": None, "high": high, "above": "B" if found == "exact" else None,
                "high_found": found,
                "high_change": [weight, 0.7] if found == "between" else [high, high]}

    ranges = WeightRanges("A", [row("weights.grid", 0.15, 0.15, "between"),
                                row("weights.cost", 0.1, 0.3, "exact")], "default", 1.0)
    lines = ranges.summary_lines()
    assert lines[0] == ("Not proven: a solve stopped at its time limit, so these changes are "
                        "only placed: weights.grid up (somewhere between 0.1500 and 0.7000); "
                        "raise solver.time_limit_s.")
    assert lines[2] == ("The nearest change: weights.cost up by 0.2000, from 0.1 to 0.3000, "
                        "makes B optimal.")
    assert ranges.shown()["to"].tolist() == ["between 0.1500 and 0.7000", "0.3000"]
    assert ranges.shown()["optimal above"].tolist() == ["not proven", "B"]
    assert ranges.named_sites() == ["A", "B"]


def test_the_chart_draws_each_range_its_ends_and_the_weight_now():
    """Hand-made ranges: a bar from low to high per weight (first weight on top), the dot at
    the weight, a line at each proven change (the nearest in vermilion), a hatched stretch
    where a change was not proven, and a legend naming only what is drawn."""
    import matplotlib

    from siteopt.analysis.weights import WeightRanges

    matplotlib.use("Agg")
    rows = [
        {"key": "weights.coverage", "weight": 0.45, "low": 0.2, "below": "C", "low_found":
         "exact", "low_change": [0.2, 0.2], "high": 0.6, "above": "B", "high_found": "exact",
         "high_change": [0.6, 0.6]},
        {"key": "weights.grid", "weight": 0.15, "low": 0.0, "below": None, "low_found": "end",
         "low_change": None, "high": 0.15, "above": None, "high_found": "between",
         "high_change": [0.15, 0.7]},
        {"key": "weights.cost", "weight": 0.1, "low": 0.0, "below": None, "low_found": "end",
         "low_change": None, "high": 0.13, "above": "D", "high_found": "exact",
         "high_change": [0.13, 0.13]}]
    ax = WeightRanges("A", rows, "default", 1.0).plot()

    def drawn(gid):
        return [artist for artist in ax.findobj(lambda a: a.get_gid() == gid)]

    bars = sorted(((b.get_y() + b.get_height() / 2, b.get_x(), b.get_x() + b.get_width())
                   for b in drawn("weight-range")), reverse=True)
    assert [(round(x0, 9), round(x1, 9)) for _, x0, x1 in bars] == [(0.2, 0.6), (0.0, 0.15),
                                                                    (0.0, 0.13)]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in drawn("weight-now")] == [
        (0.45, 2), (0.15, 1), (0.1, 0)]
    nearest, = drawn("nearest-change")   # cost up by 0.03, nearer than coverage's 0.15
    assert list(nearest.get_xdata()) == [0.13, 0.13] and nearest.get_color() == "#D55E00"
    assert sorted(line.get_xdata()[0] for line in drawn("change")) == [0.2, 0.6]
    hatched, = drawn("not-proven")
    assert (hatched.get_x(), hatched.get_x() + hatched.get_width()) == pytest.approx((0.15, 0.7))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["coverage (now 0.45)",
                                                            "grid (now 0.15)", "cost (now 0.1)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "today's answer stays optimal", "the weight now", "the answer changes",
        "the nearest change", "a change in here, not proven"]
    assert "0.1300 nearest change" in [t.get_text() for t in ax.texts]
    lone = WeightRanges("A", rows[1:2], "default", 1.0).plot()   # nothing proven to change
    assert [t.get_text() for t in lone.get_legend().get_texts()] == [
        "today's answer stays optimal", "the weight now", "a change in here, not proven"]


def test_the_access_terms_ranges_are_handed_out_first_and_shown_in_term_order(monkeypatch):
    """Each access term's range solves with that term weighted up to 1, the longest solves:
    they go to the workers first (the default model's ranges 5.8 -> 4.8 s on two cores), and
    the rows still come back in the order of the terms."""
    from siteopt.analysis import engine
    from siteopt.terms import ACCESS_TERMS

    handed_out = []

    def recorded(function, model, dataset, items, *rest):
        handed_out.extend(item[0] for item in items)
        return delegate(function, model, dataset, items, *rest)

    delegate = engine.run_tasks
    monkeypatch.setattr(engine, "run_tasks", recorded)
    found = weight_ranges(budget=8e9, max_gigafactories=2, workers=1)
    assert handed_out[:len(ACCESS_TERMS)] == [f"weights.{term}" for term in ACCESS_TERMS]
    assert sorted(handed_out) == sorted(f"weights.{term}" for term in TERMS)
    assert [row["key"] for row in found.rows] == [f"weights.{term}" for term in TERMS]
