"""Seeded synthetic instances over Europe, written in siteopt's data format.

    python benchmarks/generate.py --sites 500 --points 20000 --seed 0 --out benchmarks/instances/n500_m20000

Candidate sites are drawn (weighted by population) from the shipped demand points that lie inside
their country's outline, then moved by up to 5 km (a move that leaves the country is undone); their attributes are drawn from
ranges like the shipped ones (power 100-1,000 MW, grid 80-150 % of power, 60,000-150,000 GPUs,
capex by the shipped cost rule, renewable share near the country's). Demand points are the
shipped points, resampled with replacement and moved by up to 15 km (within their country), so
population stays where people live; their populations are rescaled so each country keeps its Eurostat total. The output
directory holds the five files ``siteopt validate`` expects, and ``siteopt solve --data DIR``
solves it as it is.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from siteopt.data import load_data
from siteopt.geometry import destination
from siteopt.paths import shipped_data_dir


def _move(rng, lat, lon, max_km):
    """Points moved by a random distance up to ``max_km`` in a random direction."""
    bearing = rng.uniform(0, 360, len(lat))
    distance = max_km * np.sqrt(rng.uniform(0, 1, len(lat)))
    return destination(lat, lon, bearing, distance)


def _in_country(countries, codes, lat, lon, base_lat, base_lon):
    """Moved points that left their country go back to where they started (inside it, or on
    the coast within siteopt's tolerance)."""
    inside = np.ones(len(lat), dtype=bool)
    for code in np.unique(codes):
        rows = codes == code
        inside[rows] = shapely.contains_xy(countries.geometry.loc[code], lon[rows], lat[rows])
    return np.where(inside, lat, base_lat), np.where(inside, lon, base_lon)


def generate(n_sites: int, n_points: int, seed: int, out: Path) -> Path:
    """Write an instance with ``n_sites`` candidates and ``n_points`` demand points to ``out``."""
    rng = np.random.default_rng(seed)
    data = load_data()
    demand = data.demand
    countries = data.countries.set_index("iso_a2")

    # demand: resample the shipped points, move them, keep each country's total
    pick = rng.choice(len(demand), n_points, replace=n_points > len(demand))
    base = demand.iloc[pick]
    lat, lon = _in_country(countries, base["country"].to_numpy(),
                           *_move(rng, base["lat"].to_numpy(), base["lon"].to_numpy(), 15.0),
                           base["lat"].to_numpy(), base["lon"].to_numpy())
    people = base["population"].to_numpy() * rng.uniform(0.5, 1.5, n_points)
    totals = demand.groupby("country")["population"].sum()
    share = pd.Series(people).groupby(base["country"].to_numpy()).transform("sum").to_numpy()
    population = np.round(people / share * totals.loc[base["country"]].to_numpy())
    demand_out = pd.DataFrame({"point_id": [f"P{i:06d}" for i in range(n_points)],
                               "name": base["name"].to_numpy(), "country": base["country"].to_numpy(),
                               "lat": lat.round(5), "lon": lon.round(5),
                               "population": population.astype(np.int64)})

    # sites: near populated places inside their country
    _, inland = _in_country(countries, demand["country"].to_numpy(), demand["lat"].to_numpy(),
                            demand["lon"].to_numpy(), np.full(len(demand), np.nan),
                            np.full(len(demand), np.nan))
    pool = np.flatnonzero(~np.isnan(inland))
    weights = demand["population"].to_numpy()[pool]
    chosen = rng.choice(pool, n_sites, replace=n_sites > len(pool), p=weights / weights.sum())
    base = demand.iloc[chosen]
    lat, lon = _in_country(countries, base["country"].to_numpy(),
                           *_move(rng, base["lat"].to_numpy(), base["lon"].to_numpy(), 5.0),
                           base["lat"].to_numpy(), base["lon"].to_numpy())
    power = rng.integers(10, 101, n_sites) * 10.0
    grid = np.round(power * rng.uniform(0.8, 1.5, n_sites), -1)
    gpus = rng.integers(60, 151, n_sites) * 1000
    country = base["country"].to_numpy()
    renewable = np.clip(countries.loc[country, "renewable_share"].to_numpy()
                        + rng.normal(0, 0.1, n_sites), 0, 1).round(3)
    sites = pd.DataFrame({
        "site_id": [f"{c}-S{i:05d}" for i, c in enumerate(country)],
        "name": [f"near {name}" for name in base["name"]],
        "country": country, "lat": lat.round(5), "lon": lon.round(5),
        "power_mw": power, "grid_mw": grid, "gpus": gpus,
        "capex_eur": gpus * 30_000 + power * 2.0e6, "capex_basis": "rule",
        "renewable_share": renewable, "provenance": "illustrative",
        "source": f"synthetic (benchmarks/generate.py, seed {seed})",
    })
    letters = pd.DataFrame({"letter_id": [f"L{i:05d}" for i in range(n_sites)],
                            "site_id": sites["site_id"], "consortium": "synthetic",
                            "requested_mw": power, "provenance": "illustrative"})
    out.mkdir(parents=True, exist_ok=True)
    sites.to_csv(out / "sites.csv", index=False, lineterminator="\n")
    letters.to_csv(out / "letters.csv", index=False, lineterminator="\n")
    demand_out.to_csv(out / "demand.csv", index=False, lineterminator="\n")
    for name in ("ai_factories.csv", "countries.geojson"):
        shutil.copy(shipped_data_dir() / name, out / name)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, required=True)
    parser.add_argument("--points", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(generate(args.sites, args.points, args.seed, args.out))


if __name__ == "__main__":
    main()
