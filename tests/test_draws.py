"""The draws of `siteopt robust`: written for audit, read back exactly, checked as untrusted
input (issue 28, trust and audit)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from siteopt.analysis.draws import Draws, Spread
from siteopt.errors import InputError
from siteopt.paths import display_path

SITES = ["AA-ONE", "AA-TWO", "BB-ONE"]


def test_draws_written_read_back_are_the_same_numbers(tmp_path):
    drawn = Draws.sample(SITES, 40, 7, Spread(0.3, 0.4, 0.2))
    path = tmp_path / "draws.json"
    path.write_text(drawn.to_json(), encoding="utf-8")
    read = Draws.read(path, SITES)
    assert np.array_equal(read.capex_factor, drawn.capex_factor)   # exactly, not nearly
    assert np.array_equal(read.price_factor, drawn.price_factor)
    assert np.array_equal(read.slipped, drawn.slipped) and drawn.slipped.any()
    assert (read.seed, read.spread) == (7, Spread(0.3, 0.4, 0.2))
    document = json.loads(path.read_text(encoding="utf-8"))
    first = document["draws"][0]
    assert first["slipped"] == [s for s, gone in zip(SITES, drawn.slipped[0]) if gone]
    assert first["capex_factor"] == dict(zip(SITES, drawn.capex_factor[0].tolist()))


def test_numpy_numbers_seed_and_spread_draws_that_are_written_as_json():
    """A seed or spread taken from a NumPy array in a notebook: written as plain numbers (a
    NumPy integer made the draws file fail to write)."""
    drawn = Draws.sample(SITES, 2, np.int64(4), Spread(np.float32(0.25), 0.2, 0.1))
    document = json.loads(drawn.to_json())
    assert document["seed"] == 4 and type(drawn.seed) is int
    assert document["spread"] == {"capex_sd": 0.25, "grid_delay_prob": 0.2, "price_sd": 0.1}
    assert np.array_equal(drawn.capex_factor, Draws.sample(SITES, 2, 4, Spread(0.25, 0.2,
                                                                             0.1)).capex_factor)


def test_draw_i_is_the_same_however_many_are_drawn():
    few, many = Draws.sample(SITES, 3, 5, Spread()), Draws.sample(SITES, 30, 5, Spread())
    assert np.array_equal(few.capex_factor, many.capex_factor[:3])
    assert np.array_equal(few.slipped, many.slipped[:3])


def _file(tmp_path, draws, **top):
    document = {"format": "siteopt-draws", "version": 1, "seed": 1, "spread": None,
                "draws": draws, **top}
    path = tmp_path / "draws.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _draw(**change):
    row = {"draw": 0, "capex_factor": {s: 1.0 for s in SITES}, "slipped": [],
           "price_factor": {s: 1.0 for s in SITES}}
    row.update(change)
    return row


@pytest.mark.parametrize("draws, said", [
    ([_draw(capex_factor={"AA-ONE": 1.0, "AA-TWO": 1.0})],
     "draw 0, column capex_factor: no factor for BB-ONE; give one for every candidate site"),
    ([_draw(), _draw(draw=1, price_factor={"AA-ONE": 1, "AA-TWO": -2, "BB-ONE": 1})],
     "draw 1, column price_factor: site AA-TWO: -2 is not a number above 0"),
    ([_draw(capex_factor={"AA-ONE": "1.1", "AA-TWO": 1, "BB-ONE": 1})],
     "draw 0, column capex_factor: site AA-ONE: '1.1' is not a number above 0"),
    ([_draw(capex_factor={"AA-ONE": True, "AA-TWO": 1, "BB-ONE": 1})],
     "site AA-ONE: True is not a number above 0"),
    # a factor that would overflow a cost (1e308 x EUR 3.6 bn is infinite)
    ([_draw(capex_factor={"AA-ONE": 1, "AA-TWO": 1e308, "BB-ONE": 1})],
     "draw 0, column capex_factor: site AA-TWO: 1e+308 is not a number above 0 and at most "
     "1,000,000; give each site's factor as such a number (1 keeps the data's value)"),
    ([_draw(capex_factor={"AA-ONE": 1, "AA-TWO": 1, "BB-ONE": 1, "=cmd|'/c calc'!A1": 1})],
     "\"=cmd|'/c calc'!A1\" is not a candidate site of the data"),
    ([_draw(slipped=["ZZ-NONE"])],
     "draw 0, column slipped: 'ZZ-NONE' is not a candidate site of the data"),
    ([_draw(slipped="AA-ONE")], "draw 0, column slipped: must be a list of site IDs"),
    # a site listed twice: a slip pasted twice, or another site meant
    ([_draw(slipped=["AA-TWO", "AA-TWO"])],
     "draw 0, column slipped: AA-TWO is listed twice; list each slipped site once"),
    ([], "column draws: \"draws\" must be a list of 1 to 100,000 draws"),
    (["not a draw"], "draw 0: each draw must be an object"),
    # draws merged or cut by hand: their numbers no longer say which draw a message means
    ([_draw(), _draw()], "draw 1, column draw: numbered 0, but it is draw 1 of the file (draws "
                         "count from 0, in order); number them 0, 1, 2, ... or leave \"draw\" out"),
    ([_draw(draw="0")], "draw 0, column draw: numbered '0', but it is draw 0 of the file"),
])
def test_a_bad_draws_file_is_one_line_naming_draw_field_site_and_value(tmp_path, draws, said):
    path = _file(tmp_path, draws)
    with pytest.raises(InputError) as raised:
        Draws.read(path, SITES)
    message = str(raised.value)
    assert "\n" not in message and said in message
    assert message.startswith(display_path(path) + (", column" if not draws else " draw"))


@pytest.mark.parametrize("top, said", [
    # robust --choose samples its fresh draws with the file's seed and spread: a negative
    # seed, a negative spread or a probability above 1 ended in NumPy's traceback, a seed
    # that is not a number was dropped without a word (the fresh draws then used --seed's)
    ({"seed": -3}, "column seed: -3 is not a whole number of 0 or more; give the seed the "
                   "draws were sampled with, or leave \"seed\" out"),
    ({"seed": "7"}, "column seed: '7' is not a whole number of 0 or more"),
    ({"seed": 1.5}, "column seed: 1.5 is not a whole number of 0 or more"),
    ({"seed": True}, "column seed: True is not a whole number of 0 or more"),
    ({"spread": {"capex_sd": -0.5, "grid_delay_prob": 0.2, "price_sd": 0.1}},
     "column spread: capex_sd: -0.5 is not a number from 0 to 2; give the spread the draws "
     "were sampled with, or leave \"spread\" out"),
    ({"spread": {"capex_sd": 0.2, "grid_delay_prob": 7, "price_sd": 0.1}},
     "column spread: grid_delay_prob: 7 is not a number from 0 to 1"),
    ({"spread": {"capex_sd": 0.2, "grid_delay_prob": 0.2, "price_sd": "0.1"}},
     "column spread: price_sd: '0.1' is not a number from 0 to 2"),
    ({"spread": {"capex_sd": 0.2, "grid_delay_prob": 0.2}},
     "column spread: must be an object of capex_sd, grid_delay_prob, price_sd, or null"),
    ({"spread": [0.2, 0.2, 0.15]}, "column spread: must be an object of capex_sd"),
])
def test_a_bad_seed_or_spread_in_a_draws_file_is_refused(tmp_path, top, said):
    path = _file(tmp_path, [_draw()], **top)
    with pytest.raises(InputError) as raised:
        Draws.read(path, SITES)
    assert str(raised.value).startswith(display_path(path) + ", column ")
    assert said in str(raised.value) and "\n" not in str(raised.value)


def test_a_draws_file_may_leave_out_its_seed_and_spread_or_give_zeros(tmp_path):
    read = Draws.read(_file(tmp_path, [_draw()], seed=None, spread=None), SITES)
    assert (read.seed, read.spread) == (None, None)
    path = _file(tmp_path, [_draw()])
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["seed"], document["spread"]
    path.write_text(json.dumps(document), encoding="utf-8")
    read = Draws.read(path, SITES)
    assert (read.seed, read.spread) == (None, None)
    zeros = {"capex_sd": 0, "grid_delay_prob": 0, "price_sd": 0}
    read = Draws.read(_file(tmp_path, [_draw()], seed=0, spread=zeros), SITES)
    assert (read.seed, read.spread) == (0, Spread(0.0, 0.0, 0.0))


@pytest.mark.parametrize("call, said", [
    (lambda: Spread(-0.1, 0.2, 0.15), "spread capex_sd: -0.1 is not a number from 0 to 2"),
    (lambda: Spread(0.2, 1.5, 0.15), "spread grid_delay_prob: 1.5 is not a number from 0 to 1"),
    (lambda: Spread(0.2, 0.2, float("nan")), "spread price_sd: nan is not a number from 0 to 2"),
    (lambda: Draws.sample(SITES, 2, -1, Spread()), "--seed -1: give a whole number of 0 or more"),
])
def test_a_spread_or_seed_that_cannot_sample_draws_is_refused(call, said):
    from siteopt.errors import ConfigError

    with pytest.raises(ConfigError) as raised:
        call()
    assert str(raised.value) == said


def test_a_site_given_twice_in_a_draw_is_refused(tmp_path):
    """The standard JSON reader would keep the second factor without a word."""
    path = _file(tmp_path, [_draw()])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"AA-ONE": 1.0', '"AA-ONE": 1.0, "AA-ONE": 3.0', 1),
                    encoding="utf-8")
    with pytest.raises(InputError) as raised:
        Draws.read(path, SITES)
    assert str(raised.value) == (f"{display_path(path)}: key 'AA-ONE' is given twice in one "
                                 f"object; keep one of them")


def test_draws_without_numbers_are_read_in_their_order(tmp_path):
    rows = [_draw(), _draw(slipped=["BB-ONE"])]
    for row in rows:
        del row["draw"]
    read = Draws.read(_file(tmp_path, rows), SITES)
    assert read.slipped.tolist() == [[False, False, False], [False, False, True]]


@pytest.mark.parametrize("text, said", [
    ("{not json", "not a JSON document"),
    ('{"format": "siteopt-draws", "version": 1, "draws": [{"capex_factor": {"AA-ONE": NaN}}]}',
     "NaN is not a number JSON allows"),
    ('{"format": "other"}', "not a draws file"),
    ('{"format": "siteopt-draws", "version": 9, "draws": []}', "version 9 is not one"),
])
def test_a_file_that_is_not_draws_is_refused(tmp_path, text, said):
    path = tmp_path / "draws.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=said):
        Draws.read(path, SITES)


def test_robust_on_given_draws_equals_robust_on_their_seed():
    from siteopt.analysis import robust
    from siteopt.api import prepare

    spread = Spread(0.3, 0.2, 0.2)
    sampled = robust(draws=6, seed=11, spread=spread, workers=1)
    _, _, prepared = prepare()
    given = robust(draws=Draws.sample(prepared.instance.site_ids, 6, 11, spread), workers=2)
    assert given.candidates.equals(sampled.candidates)
    assert given.draws.equals(sampled.draws)
    assert given.summary_lines() == sampled.summary_lines()


def test_the_command_writes_the_draws_and_reads_them_back(run_cli, tmp_path):
    out = tmp_path / "draws.json"
    first = run_cli("robust", "--draws", "4", "--seed", "2", "--workers", "1",
                    "--draws-out", str(out), "--format", "json")
    assert first.exit_code == 0
    again = run_cli("robust", "--draws-in", str(out), "--workers", "1", "--format", "json")
    assert again.exit_code == 0
    one, two = json.loads(first.output), json.loads(again.output)
    assert one["candidates"] == two["candidates"] and one["summary"] == two["summary"]
    assert len(json.loads(out.read_text(encoding="utf-8"))["draws"]) == 4
    both = run_cli("robust", "--draws-in", str(out), "--seed", "3")
    assert both.exit_code == 2
    assert "the file sets the draws; leave out --seed" in both.output


def test_a_draws_file_whose_seed_cannot_sample_the_fresh_draws_exits_2(run_cli, tmp_path):
    out = tmp_path / "draws.json"
    assert run_cli("robust", "--draws", "2", "--workers", "1", "--draws-out", str(out),
                   "--format", "json").exit_code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    out.write_text(json.dumps({**document, "seed": -3}), encoding="utf-8")
    done = run_cli("robust", "--choose", "--draws-in", str(out))
    assert done.exit_code == 2
    assert done.output.strip() == (
        f"error: {display_path(out)}, column seed: -3 is not a whole number of 0 or more; "
        f"give the seed the draws were sampled with, or leave \"seed\" out")
    negative = run_cli("robust", "--draws", "2", "--seed", "-1")
    assert negative.exit_code == 2 and "'--seed': -1 is not in the range x>=0" in negative.output


def test_an_output_it_cannot_write_is_named_by_its_option(run_cli, tmp_path):
    """Every unwritable output was said to be --out's, which robust does not have."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    for option, name in (("--draws-out", "d.json"), ("--map", "m.png")):
        target = tmp_path / "a-file" / name
        done = run_cli("robust", "--draws", "1", "--workers", "1", option, str(target))
        assert done.exit_code == 2
        assert done.stderr == (f"error: {option} {target}: cannot write it ({target.parent} is a "
                               f"file, not a folder); choose a writable place\n")


def test_a_bad_draws_file_exits_2_with_one_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = _file(tmp_path, [_draw()])   # factors for sites the shipped data does not have
    done = subprocess.run([str(Path(sys.executable).with_name("siteopt")), "robust",
                           "--draws-in", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "draw 0" in lines[0]


def test_the_budget_risk_sets_which_portfolios_rank_first():
    from siteopt.analysis import robust

    spread = Spread(0.3, 0.2, 0.2)
    any_risk = robust(draws=8, seed=5, spread=spread, workers=1,
                      **{"robust.budget_risk": 1.0})
    means = any_risk.candidates["mean objective"].tolist()
    assert means == sorted(means, reverse=True)   # every portfolio within: by the mean alone
    careful = robust(draws=8, seed=5, spread=spread, workers=1,
                     **{"robust.budget_risk": 0.7})
    over = careful.candidates["over budget in"] > 0.7
    assert over.tolist() == sorted(over.tolist())   # those over budget in at most 70 % first
    assert 0 < (~over).sum() < len(over)            # both kinds were found
    assert careful.candidates["portfolio"].iloc[0] != any_risk.candidates["portfolio"].iloc[0]
    assert "within the budget in at least 30% of the draws" in careful.ranking


def test_an_unreadable_draws_file_is_one_line(tmp_path):
    path = tmp_path / "draws.json"
    path.mkdir()   # a directory where the file should be
    with pytest.raises(InputError, match="draws file not found"):
        Draws.read(path, SITES)


def test_a_draws_file_that_cannot_be_read_is_one_line(tmp_path, monkeypatch):
    from pathlib import Path

    path = _file(tmp_path, [_draw()])

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", refuse)   # as root, chmod would not stop a read
    with pytest.raises(InputError) as raised:
        Draws.read(path, SITES)
    assert str(raised.value) == f"{display_path(path)}: cannot be read (Permission denied); " \
                                "check its permissions"


def test_a_report_on_a_draws_file_shows_the_same_futures_as_on_their_seed(run_cli, tmp_path):
    """``report --with robust --draws-in`` reads the draws ``robust --draws-out`` wrote (their
    spread too): its robust sections equal those of a report sampling the same draws."""
    draws = tmp_path / "draws.json"
    sampled = ("--draws", "4", "--seed", "2", "--capex-sd", "0.3", "--grid-delay-prob", "0.1")
    assert run_cli("robust", *sampled, "--workers", "1", "--draws-out", str(draws),
                   "--format", "json").exit_code == 0
    pages = []
    for options in (sampled, ("--draws-in", str(draws))):
        out = tmp_path / f"report{len(pages)}.html"
        ran = run_cli("report", "--with", "robust", "--workers", "1", *options, "--out",
                      str(out))
        assert ran.exit_code == 0, ran.stderr
        page = out.read_text(encoding="utf-8")
        pages.append(page[page.index("<h2 id='robust-section'>"):page.index("<h2>Model settings")])
    assert pages[0] == pages[1]
    assert "log standard deviation 0.3" in pages[1] and "probability 10%" in pages[1]
    both = run_cli("report", "--with", "robust", "--draws-in", str(draws), "--draws", "5",
                   "--out", str(tmp_path / "never.html"))
    assert both.exit_code == 2 and not (tmp_path / "never.html").exists()
    assert both.stderr == (f"error: --draws-in {draws}: the file sets the draws; leave out "
                           f"--draws\n")
