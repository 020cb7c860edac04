"""Access measures of a portfolio (issue 27): mean and worst distance, backup coverage, per
member state; against hand-computed values, a plain loop, and the coverage term."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from siteopt import access
from siteopt.access import measure
from siteopt.geometry import EARTH_RADIUS_KM
from siteopt.units import round_trip_ms

DEGREE_KM = EARTH_RADIUS_KM * math.pi / 180


def test_hand_computed_distances_and_backup():
    # two sites on the equator, at 0 and 10 degrees east (gigafactories 0 and 1); points at
    # 1 and 9 degrees (1 and 3 people) and at 5 degrees with nobody
    ids, lat, lon = ["p1", "p9", "p5"], [0.0, 0.0, 0.0], [1.0, 9.0, 5.0]
    people, country = [1.0, 3.0, 0.0], ["AA", "BB", "BB"]
    found = measure(ids, lat, lon, people, country, [0.0, 0.0], [0.0, 10.0], [0, 1],
                    radius_km=200.0)
    assert found.mean_km == pytest.approx(DEGREE_KM, rel=1e-12)   # (1 x 1 + 3 x 1) / 4 degrees
    assert found.worst_km == pytest.approx(DEGREE_KM, rel=1e-12)  # the empty point not counted
    assert (found.worst_point, found.worst_row) == ("p1", 0)   # the first of equally far
    assert found.backup_share == 0.0
    assert found.mean_ms == pytest.approx(DEGREE_KM / 50)
    assert [(c.country, c.people, c.share_within_r) for c in found.countries] == \
        [("AA", 1.0, 1.0), ("BB", 3.0, 1.0)]
    # 9 degrees is 1,000.75 km: with R = 1,001 km both populated points reach both sites
    wide = measure(ids, lat, lon, people, country, [0.0, 0.0], [0.0, 10.0], [0, 1], 1001.0)
    assert wide.backup_share == 1.0
    narrow = measure(ids, lat, lon, people, country, [0.0, 0.0], [0.0, 10.0], [0, 1], 1000.0)
    assert narrow.backup_share == 0.0
    # two sites of one gigafactory are no backup
    same = measure(ids, lat, lon, people, country, [0.0, 0.0], [0.0, 10.0], [0, 0], 1001.0)
    assert same.backup_share == 0.0


def _loop(point_lat, point_lon, population, site_lat, site_lon, site_group, radius_km):
    """The measures by a plain loop over every pair (the definitions, written out)."""
    def distance(a_lat, a_lon, b_lat, b_lon):
        p1, p2 = math.radians(a_lat), math.radians(b_lat)
        h = (math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2)
             * math.sin(math.radians(b_lon - a_lon) / 2) ** 2)
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    nearest, backed = [], []
    for p_lat, p_lon in zip(point_lat, point_lon):
        d = [distance(p_lat, p_lon, s_lat, s_lon) for s_lat, s_lon in zip(site_lat, site_lon)]
        nearest.append(min(d))
        backed.append(len({g for g, km in zip(site_group, d) if km <= radius_km + 1e-6}) >= 2)
    total = sum(population)
    return (sum(a * n for a, n in zip(population, nearest)) / total,
            max(n for a, n in zip(population, nearest) if a > 0),
            sum(a for a, b in zip(population, backed) if b) / total)


coordinates = st.tuples(st.floats(34, 71), st.floats(-11, 35))


@settings(max_examples=60, deadline=None)
@given(points=st.lists(st.tuples(coordinates, st.integers(1, 10_000)), min_size=1, max_size=30),
       sites=st.lists(st.tuples(coordinates, st.integers(0, 2)), min_size=1, max_size=6),
       radius=st.floats(50, 1500), block=st.integers(1, 40))
def test_the_measures_equal_a_plain_loop(points, sites, radius, block):
    (lat, lon), people = zip(*[p[0] for p in points]), [float(p[1]) for p in points]
    (site_lat, site_lon), groups = zip(*[s[0] for s in sites]), [s[1] for s in sites]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(access, "BLOCK_PAIRS", block)   # blocks of a few points
        found = measure([f"p{i}" for i in range(len(points))], lat, lon, people,
                        ["AA"] * len(points), site_lat, site_lon, groups, radius)
    mean, worst, backup = _loop(lat, lon, people, site_lat, site_lon, groups, radius)
    assert found.mean_km == pytest.approx(mean, rel=1e-9)
    assert found.worst_km == pytest.approx(worst, rel=1e-9)
    assert found.backup_share == pytest.approx(backup, abs=1e-12)
    assert found.countries[0].mean_km == pytest.approx(mean, rel=1e-9)


def test_within_r_is_the_coverage_term_and_each_states_share(default_result):
    found = default_result.access
    coverage = default_result.country_coverage().set_index("country")
    for state in found.countries:
        assert state.share_within_r == pytest.approx(coverage.loc[state.country, "share"],
                                                     abs=1e-12)
        assert state.people == coverage.loc[state.country, "population"]
    people = sum(s.people for s in found.countries)
    within = sum(s.people * s.share_within_r for s in found.countries)
    assert within / people == pytest.approx(default_result.terms["coverage"], abs=1e-12)
    assert sum(s.people * s.mean_km for s in found.countries) / people == \
        pytest.approx(found.mean_km, rel=1e-12)
    assert 0 < found.backup_share < default_result.terms["coverage"]


def test_the_json_csv_and_text_report_the_measures(default_result, tmp_path):
    from siteopt.report.exports import coverage_table
    from siteopt.report.text import access_sentence

    doc = default_result.to_dict()["access"]
    found = default_result.access
    assert doc["mean_km"] == found.mean_km and doc["worst_point"] == found.worst_point
    assert doc["mean_ms"] == round_trip_ms(found.mean_km) == found.mean_km / 50
    table = coverage_table(default_result)
    by_code = {c.country: c.mean_km for c in found.countries}
    assert np.allclose(table["mean_km"], [by_code[c] for c in table["country"]])
    demand = pd.DataFrame({"id": default_result.dataset.demand_table["point_id"],
                           "name": default_result.dataset.demand_table["name"]})
    place = demand.set_index("id").loc[found.worst_point, "name"]
    sentence = access_sentence(default_result)
    assert f"the farthest place, {place}" in sentence
    assert f"lives {found.mean_km:,.0f} km" in sentence


def test_the_access_curve_reaches_the_coverage_share_at_r(default_result):
    km, share = default_result.access.curve()
    assert km[0] == 0.0 and share[0] == 0.0 and np.all(np.diff(km) >= 0)
    assert share[-1] == pytest.approx(1.0)
    radius = default_result.model.coverage.radius_km
    assert share[km <= radius][-1] == pytest.approx(default_result.terms["coverage"], abs=1e-12)


def test_the_access_figures_draw_each_result_and_each_state(default_result):
    import matplotlib.pyplot as plt

    import siteopt

    other = siteopt.solve(budget=10e9)
    ax = default_result.plot("access", others=[("EUR 10 bn", other)])
    curves = [line for line in ax.get_lines() if line.get_gid() == "access-curve"]
    assert [line.get_label() for line in curves] == ["this answer", "EUR 10 bn"]
    x, y = curves[1].get_data()
    km, share = other.access.curve()
    assert np.allclose(x[:-1], km) and np.allclose(y[:-1], share * 100)
    plt.close(ax.figure)
    ax = default_result.plot("distance")
    names = {t.get_text() for t in ax.texts}
    finland = next(c for c in default_result.access.countries if c.country == "FI")
    assert f"Finland\n{finland.mean_km:,.0f} km" in names
    plt.close(ax.figure)


def test_map_kind_access_writes_the_distance_map_and_refuses_html(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    siteopt_command = str(Path(sys.executable).with_name("siteopt"))
    png = tmp_path / "access.png"
    done = subprocess.run([siteopt_command, "map", "--kind", "access", "--out", str(png)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = subprocess.run([siteopt_command, "map", "--kind", "access", "--out",
                              str(tmp_path / "a.html")], capture_output=True, text=True)
    assert refused.returncode == 2 and "--kind access is a static map" in refused.stderr
    assert not (tmp_path / "a.html").exists()
