"""The floor of issue 10: the shipped model solved by a minimal script (csv, json, tomllib,
numpy and highspy only; no siteopt, no pandas, no validation, no outputs beyond one line).

    python benchmarks/floor.py [--data siteopt/datasets/eu2026] [--model siteopt/scenarios/default.toml]

It states the compact form of the consolidation model (one bid per member state, members in
one state; see siteopt/model.py) directly as a HiGHS MIP and prints the optimum as JSON:
objective and gigafactories. ``bench_solve.py`` times it against
``siteopt solve --format json`` on the same files and checks that the optima agree. Only what
the shipped scenarios with one bid per state use is supported (no cross-border candidates).
"""

from __future__ import annotations

import argparse
import csv
import json
import tomllib
from pathlib import Path

import highspy
import numpy as np

#: The siteopt source tree's package directory: the shipped data set and scenarios.
PACKAGE = Path(__file__).resolve().parents[1] / "siteopt"
EARTH_RADIUS_KM = 6371.0088
TOLERANCE_KM = 1e-6
HOURS_PER_YEAR = 8760.0


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def number(text: str, fallback: float) -> float:
    return float(text) if text.strip() else fallback


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def solve(data: Path, model_path: Path) -> dict:
    model = {}
    for path in (model_path.parent / "default.toml", model_path):   # the scenarios' defaults
        with open(path, "rb") as file:   # a scenario sets only what it changes
            for section, table in tomllib.load(file).items():
                model.setdefault(section, {}).update(table)
    limits, weights, costs = model["limits"], model["weights"], model["costs"]
    joint = model["consolidation"]
    assert limits["max_bids_per_country"] == 1 and not joint["cross_border"], \
        "the floor states only the one-bid-per-member-state form"
    p, cap = limits["max_gigafactories"], limits["gigafactory_power_cap_mw"]
    excluded, required = set(model["sites"]["excluded"]), set(model["sites"]["required"])

    countries = {f["properties"]["iso_a2"]: f["properties"]
                 for f in json.loads((data / "countries.geojson").read_text())["features"]}
    sites = read_csv(data / "sites.csv")
    ids = [s["site_id"] for s in sites]
    state = [s["country"] for s in sites]
    lat = np.array([float(s["lat"]) for s in sites])
    lon = np.array([float(s["lon"]) for s in sites])
    mw = np.minimum(np.minimum([float(s["power_mw"]) for s in sites],
                               [float(s["grid_mw"]) for s in sites]), cap)
    capex = np.array([float(s["capex_eur"]) for s in sites])
    renewable = np.array([float(s["renewable_share"]) for s in sites])
    co2 = np.array([number(s.get("co2_g_per_kwh", ""), countries[c]["co2_g_per_kwh"])
                    for s, c in zip(sites, state)])
    price = np.array([number(s.get("elec_price_eur_mwh", ""),
                             countries[c]["elec_price_eur_mwh"]) for s, c in zip(sites, state)])
    pue = np.array([number(s.get("pue", ""), costs["default_pue"]) for s in sites])
    eligible = np.array([i not in excluded for i in ids]) & (mw >= limits["min_site_mw"])
    energy = mw * pue * costs["utilisation"] * HOURS_PER_YEAR * price * costs["years"]

    demand = read_csv(data / "demand.csv")
    people = np.array([float(d["population"]) for d in demand])
    within = haversine_km(np.array([float(d["lat"]) for d in demand])[:, None],
                          np.array([float(d["lon"]) for d in demand])[:, None],
                          lat[None, :], lon[None, :]) <= model["coverage"]["radius_km"] + \
        TOLERANCE_KM
    within &= eligible[None, :]
    covered = within.any(axis=1)
    sets, group = np.unique(within[covered], axis=0, return_inverse=True)
    group_people = np.bincount(group.ravel(), weights=people[covered])

    states = sorted(set(state))
    of = np.array([states.index(c) for c in state])
    letters = [ids.index(row["site_id"]) for row in read_csv(data / "letters.csv")]
    n, k, g, n_letters = len(ids), len(states), len(sets), len(letters)
    y, b, z, h = 0, n, n + k, n + k + g        # column blocks: sites, bids, groups, letters

    scale = p * cap
    extra = weights["cost"] * joint["extra_site_cost_eur"] / costs["reference_eur"]
    clean = np.clip(1 - co2 / weights["clean_reference_g_per_kwh"], 0, 1)
    cost = np.r_[weights["grid"] * mw / scale + weights["clean"] * clean * mw / scale
                 + weights["green"] * renewable * mw / scale
                 - weights["cost"] * (capex + energy) / costs["reference_eur"] - extra,
                 np.full(k, weights["spread"] / p + extra),
                 weights["coverage"] * group_people / people.sum(),
                 np.full(n_letters, weights["letters"] / max(n_letters, 1))]
    lower = np.r_[np.array([i in required for i in ids], float), np.zeros(k + g + n_letters)]
    upper = np.r_[eligible.astype(float), np.ones(k + g + n_letters)]

    rows: list[tuple[dict[int, float], float]] = []      # (coefficients, upper bound), <= rows
    for s in range(n):
        rows.append(({y + s: 1.0, b + of[s]: -1.0}, 0.0))                    # member
    for c in range(k):
        members = np.flatnonzero(of == c)
        rows.append(({b + c: 1.0, **{y + s: -1.0 for s in members}}, 0.0))   # bid opens
        rows.append(({b + c: -float(joint["max_sites_per_gigafactory"]),
                      **{y + s: 1.0 for s in members}}, 0.0))                # at most M
        rows.append(({b + c: -cap, **{y + s: mw[s] for s in members}}, 0.0))  # power cap
        rows.append(({b + c: limits["min_gigafactory_mw"],
                      **{y + s: -mw[s] for s in members}}, 0.0))             # power floor
        far = haversine_km(lat[members][:, None], lon[members][:, None], lat[members][None, :],
                           lon[members][None, :]) > joint["link_km"] + TOLERANCE_KM
        for i, j in zip(*np.nonzero(np.triu(far, 1))):
            rows.append(({y + members[i]: 1.0, y + members[j]: 1.0, b + c: -1.0}, 0.0))
    rows.append(({b + c: 1.0 for c in range(k)}, float(p)))                  # gigafactories
    rows.append(({**{y + s: capex[s] + joint["extra_site_cost_eur"] for s in range(n)},
                  **{b + c: -joint["extra_site_cost_eur"] for c in range(k)}},
                 model["budget"]["total_eur"]))                               # budget
    rows.append(({y + s: mw[s] for s in range(n)}, limits["total_power_mw"]))  # total power
    for d in range(g):
        rows.append(({z + d: 1.0, **{y + s: -1.0 for s in np.flatnonzero(sets[d])}}, 0.0))
    for letter, site in enumerate(letters):
        rows.append(({h + letter: 1.0, b + of[site]: -1.0}, 0.0))           # letter's home

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 0.0)
    highs.addCols(len(cost), cost, lower, upper, 0, np.empty(0, np.int32),
                  np.empty(0, np.int32), np.empty(0))
    starts = np.cumsum([0] + [len(r) for r, _ in rows[:-1]]).astype(np.int32)
    index = np.array([c for r, _ in rows for c in r], dtype=np.int32)
    value = np.array([v for r, _ in rows for v in r.values()])
    highs.addRows(len(rows), np.full(len(rows), -highspy.kHighsInf),
                  np.array([u for _, u in rows]), len(index), starts, index, value)
    integer = np.arange(n + k, dtype=np.int32)
    highs.changeColsIntegrality(len(integer), integer,
                                np.full(len(integer), highspy.HighsVarType.kInteger))
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    chosen = np.asarray(highs.getSolution().col_value[:n]) > 0.5
    gigafactories = sorted("+".join(ids[s] for s in np.flatnonzero(chosen & (of == c)))
                           for c in range(k) if (chosen & (of == c)).any())
    return {"objective": highs.getInfo().objective_function_value,
            "gigafactories": gigafactories}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PACKAGE / "datasets" / "eu2026")
    parser.add_argument("--model", type=Path,
                        default=PACKAGE / "scenarios" / "default.toml")
    args = parser.parse_args()
    print(json.dumps(solve(args.data, args.model)))


if __name__ == "__main__":
    main()
