"""The consolidation plan, against hand-computed assignments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from siteopt.consolidation import plan_consolidation
from siteopt.geometry import destination

# site X at the origin; A 100 km east of it; B 100 km west of it (a tie for a letter at X);
# C 250 km north of A; D 400 km south of A
A = (50.0, 10.0)
B_LAT, B_LON = destination(*A, 270.0, 200.0)
X_LAT, X_LON = destination(*A, 270.0, 100.0)
C_LAT, C_LON = destination(*A, 0.0, 250.0)
D_LAT, D_LON = destination(*A, 180.0, 400.0)
SITES = pd.DataFrame({"site_id": ["A", "B", "C", "D", "X"],
                      "lat": [A[0], B_LAT, C_LAT, D_LAT, X_LAT],
                      "lon": [A[1], B_LON, C_LON, D_LON, X_LON]})
LETTERS = pd.DataFrame({"letter_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
                        "site_id": ["A", "A", "X", "C", "D", "B"]})


def test_letters_join_their_site_or_the_nearest_chosen_site_within_the_radius():
    plan = plan_consolidation(SITES, LETTERS, ["B", "A"], radius_km=300.0)
    # L3 at X is 100 km from both A and B: the tie goes to the smaller site_id, A
    assert plan.members == {"A": ["L1", "L2", "L3", "L4"], "B": ["L6"]}
    assert plan.unabsorbed == ["L5"]  # D is 400 km from A
    links = plan.links.set_index("letter_id")
    assert links.loc["L1", "distance_km"] == 0
    assert abs(links.loc["L3", "distance_km"] - 100.0) < 1e-6
    assert abs(links.loc["L4", "distance_km"] - 250.0) < 1e-6
    assert np.isnan(links.loc["L5", "distance_km"]) and links.loc["L5", "joins"] == ""


def test_radius_is_inclusive_and_zero_keeps_only_own_letters():
    plan = plan_consolidation(SITES, LETTERS, ["A"], radius_km=250.0 + 1e-9)
    assert plan.members["A"] == ["L1", "L2", "L3", "L4", "L6"]  # C at 250 km, B at 200 km
    plan = plan_consolidation(SITES, LETTERS, ["A"], radius_km=199.0)
    assert plan.members["A"] == ["L1", "L2", "L3"]
    plan = plan_consolidation(SITES, LETTERS, ["A"], radius_km=0.0)
    assert plan.members == {"A": ["L1", "L2"]}
    assert plan.unabsorbed == ["L3", "L4", "L5", "L6"]


def test_no_chosen_site_leaves_every_letter_unabsorbed():
    plan = plan_consolidation(SITES, LETTERS, [], radius_km=300.0)
    assert plan.members == {} and plan.unabsorbed == LETTERS["letter_id"].tolist()
