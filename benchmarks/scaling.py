"""Time and peak memory of ``siteopt solve`` against the number of points and of sites.

Usage::

    .venv/bin/python benchmarks/scaling.py [--quick]

Coverage-only model of ``run.py`` (p = 5, R = 300 km, the default ``auto`` path), seeded
instances from ``generate.py``: 1,000 sites with 10,000 to 1,000,000 points, and 100,000 points
with 100 to 3,000 sites (``--quick``: the smaller half). Each size runs once as its own process
(``measure.py``: wall seconds and peak resident memory). Writes
``benchmarks/results/scaling.json`` and the figure ``docs/img/scaling.png`` used by
``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from run import COVERAGE_ONLY, instance_dir, measured

HERE = Path(__file__).resolve().parent
POINTS = (10_000, 100_000, 300_000, 1_000_000)
SITES = (100, 300, 1_000, 3_000)


def solve(n_sites: int, n_points: int) -> dict:
    """One measured coverage-only solve."""
    import sys

    command = [sys.executable, "-m", "siteopt", "solve", "--data",
               str(instance_dir(n_sites, n_points)), "--format", "json"]
    for item in COVERAGE_ONLY + ["coverage.radius_km=300"]:
        command += ["--set", item]
    stdout, measure = measured(command)
    document = json.loads(stdout)
    row = {"sites": n_sites, "points": n_points, "seconds": measure["seconds"],
           "peak_mb": measure["peak_mb"], "method": document["solver"]["method"],
           "status": document["status"], **document["timings"]}
    print(f"{n_sites:>6,} sites {n_points:>10,} points: {row['seconds']:6.1f} s, "
          f"{row['peak_mb']:7,.0f} MB ({row['method']}, {row['status']})", flush=True)
    return row


def plot(rows: list[dict], out: Path) -> None:
    """Time and memory against points (1,000 sites) and against sites (100,000 points)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for ax, (key, fixed, label) in zip(axes, (("points", ("sites", 1_000), "demand points"),
                                               ("sites", ("points", 100_000), "candidate sites"))):
        series = sorted((r for r in rows if r[fixed[0]] == fixed[1]), key=lambda r: r[key])
        xs = [r[key] for r in series]
        ax.plot(xs, [r["seconds"] for r in series], marker="o", color="#0072B2",
                label="wall time (s)")
        ax.set_xscale("log")
        ax.set_xlabel(f"{label} (log scale; {fixed[1]:,} {fixed[0]})")
        ax.set_ylabel("wall time of siteopt solve (s)", color="#0072B2")
        twin = ax.twinx()
        twin.plot(xs, [r["peak_mb"] / 1024 for r in series], marker="s", color="#D55E00",
                  linestyle="--", label="peak memory (GB)")
        twin.set_ylabel("peak memory (GB)", color="#D55E00")
        ax.set_ylim(bottom=0)
        twin.set_ylim(bottom=0)
        ax.set_title(f"Time and memory against {label}", loc="left", fontsize=10)
    figure.suptitle("siteopt solve, coverage-only model, R = 300 km, p = 5 (2 cores)",
                    x=0.01, ha="left", fontsize=11)
    figure.savefig(out, dpi=130, metadata={"Software": None})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the smaller sizes")
    args = parser.parse_args()
    points = POINTS[:2] if args.quick else POINTS
    sites = SITES[:2] if args.quick else SITES
    sizes = sorted({(1_000, m) for m in points} | {(n, 100_000) for n in sites})
    rows = [solve(n, m) for n, m in sizes]
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "scaling.json").write_text(json.dumps(rows, indent=2) + "\n",
                                                   encoding="utf-8")
    plot(rows, HERE.parent / "docs" / "img" / "scaling.png")


if __name__ == "__main__":
    main()
