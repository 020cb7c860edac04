"""The consolidation plan, against hand-worked assignments of letters to gigafactories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from siteopt.consolidation import gigafactory_id, plan_consolidation
from siteopt.geometry import destination

# member state X: A at the origin, B 100 km east of A, W 300 km west of A, M halfway between A
# and B; state Y: C 200 km north of A, E 600 km north of A; state Z: D 400 km south of A, F
# 50 km east of D
A = (50.0, 10.0)


def _at(bearing, km, origin=A):
    lat, lon = destination(*origin, bearing, km)
    return float(lat), float(lon)


D = _at(180.0, 400.0)
PLACES = {"A": ("X", A), "B": ("X", _at(90.0, 100.0)), "W": ("X", _at(270.0, 300.0)),
          "M": ("X", _at(90.0, 50.0)), "C": ("Y", _at(0.0, 200.0)), "E": ("Y", _at(0.0, 600.0)),
          "D": ("Z", D), "F": ("Z", _at(90.0, 50.0, D))}
SITES = pd.DataFrame({"site_id": list(PLACES), "country": [c for c, _ in PLACES.values()],
                      "lat": [p[0] for _, p in PLACES.values()],
                      "lon": [p[1] for _, p in PLACES.values()]})
LETTERS = pd.DataFrame({"letter_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7"],
                        "site_id": ["A", "B", "W", "C", "E", "D", "F"],
                        "consortium": [f"consortium {i}" for i in range(1, 8)],
                        "requested_mw": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0]})


def roles(plan):
    frame = plan.letters.set_index("letter_id")
    return {lid: (row.role, row.gigafactory) for lid, row in frame.iterrows()}


def test_merged_partner_and_unfunded_within_member_states():
    plan = plan_consolidation(SITES, LETTERS, [["B", "A"], ["D"]], cross_border=False,
                              radius_km=300.0)
    assert roles(plan) == {
        "L1": ("merged", "A+B"), "L2": ("merged", "A+B"),   # their sites are members
        "L3": ("partner", "A+B"),                           # W is in X, which takes part
        "L4": ("unfunded", ""), "L5": ("unfunded", ""),     # Y has no gigafactory
        "L6": ("merged", "D"), "L7": ("partner", "D")}
    frame = plan.letters.set_index("letter_id")
    assert frame.at["L1", "distance_km"] == 0
    assert frame.at["L3", "distance_km"] == pytest.approx(300.0)  # to A, the nearer member
    assert frame.at["L7", "distance_km"] == pytest.approx(50.0)
    assert np.isnan(frame.at["L4", "distance_km"])
    assert plan.merged("A+B") == ["L1", "L2"] and plan.partners("A+B") == ["L3"]
    assert plan.unfunded == ["L4", "L5"]
    assert plan.unfunded_by_country() == {"Y": ["L4", "L5"]}
    assert plan.homed_share == pytest.approx(5 / 7)


def test_cross_border_letters_join_the_nearest_gigafactory_within_the_radius():
    plan = plan_consolidation(SITES, LETTERS, [["A", "B"], ["D"]], cross_border=True,
                              radius_km=300.0)
    # C is 200 km from A: partner of A+B; E is 600 km from A: still unfunded
    assert roles(plan)["L4"] == ("partner", "A+B")
    assert roles(plan)["L5"] == ("unfunded", "")
    assert plan.letters.set_index("letter_id").at["L4", "distance_km"] == pytest.approx(200.0)
    # the radius is inclusive
    assert roles(plan_consolidation(SITES, LETTERS, [["A"]], True, 200.0 + 1e-9))["L4"] == (
        "partner", "A")
    assert roles(plan_consolidation(SITES, LETTERS, [["A"]], True, 199.0))["L4"] == (
        "unfunded", "")


def test_a_tie_between_two_national_gigafactories_goes_to_the_first_id():
    letters = pd.DataFrame({"letter_id": ["L9"], "site_id": ["M"]})  # 50 km from A and from B
    plan = plan_consolidation(SITES, letters, [["B"], ["A"]], cross_border=False, radius_km=0.0)
    assert roles(plan) == {"L9": ("partner", "A")}


def test_no_gigafactory_leaves_every_letter_unfunded():
    plan = plan_consolidation(SITES, LETTERS, [], cross_border=True, radius_km=300.0)
    assert plan.unfunded == LETTERS["letter_id"].tolist() and plan.homed_share == 0


def test_gigafactory_ids_sort_their_members():
    assert gigafactory_id(["ES-SFH", "ES-MLN"]) == "ES-MLN+ES-SFH"


def test_letters_term_of_the_model_equals_the_plans_share(default_result):
    """L, as the model counts it, equals the share of letters the plan gives a home."""
    assert default_result.terms["letters"] == pytest.approx(
        default_result.consolidation.homed_share)
