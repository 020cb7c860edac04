"""The benchmark suite: siteopt at growing sizes, and side by side with spopt's MCLP.

    make bench          # or: .venv-bench/bin/python benchmarks/run.py [--runs 3] [--quick]

For each size (sites N, demand points M) in SIZES and radius R in RADII it generates a seeded
instance (benchmarks/generate.py), then times, in fresh processes (imports count):

- ``full``: the whole default model (gigafactories of up to 3 sites, one bid per member state,
  budget and power limits, every default weight) with siteopt's
  ``pulp`` method (PuLP + HiGHS; only where it finishes within the time limit) and ``benders``;
- ``coverage``: the coverage-only form (weights coverage = 1, the rest 0; budget, power and
  country limits switched off; p = 5 sites) with siteopt ``benders`` and with spopt 0.7.0's
  ``MCLP.from_cost_matrix`` (CBC), whose optimum must be equal.

It prints medians of ``--runs`` runs (load+validate, coverage, build, solve, total seconds; peak
memory in MB; objective; status; gap) and the spopt/siteopt time ratio, and writes every run to
``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = [(60, 5_000), (500, 20_000), (2_000, 100_000)]
RADII = [300, 500]
P_SITES = 5
TIME_LIMIT_S = 120
#: spopt builds one lpSum per demand point over all sites; beyond this many pairs it would run
#: for most of an hour and hold a dense N x M matrix (1.6 GB at 2,000 x 100,000).
SPOPT_MAX_PAIRS = 20_000_000
#: PuLP builds one Python object per coefficient; beyond this many pairs the pulp method is
#: not timed (it does not finish within the time limit at 2,000 x 100,000).
PULP_MAX_PAIRS = 20_000_000
#: The maximal-covering problem spopt also states: p single-site gigafactories, coverage only.
COVERAGE_ONLY = ["weights.coverage=1", "weights.grid=0", "weights.spread=0", "weights.clean=0",
                 "weights.green=0", "weights.letters=0", "weights.cost=0",
                 "budget.total_eur=1e15", "limits.total_power_mw=1e9",
                 "limits.max_bids_per_country=1000000", f"limits.max_gigafactories={P_SITES}",
                 "consolidation.max_sites_per_gigafactory=1"]


def instance_dir(n_sites: int, n_points: int, seed: int = 0) -> Path:
    """The generated instance of this size and seed (generated on first use)."""
    directory = HERE / "instances" / f"n{n_sites}_m{n_points}_s{seed}"
    if not (directory / "sites.csv").exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--sites", str(n_sites),
                        "--points", str(n_points), "--seed", str(seed), "--out",
                        str(directory)], check=True, capture_output=True)
    return directory


def measured(command: list[str]) -> tuple[str, dict]:
    done = subprocess.run([sys.executable, str(HERE / "measure.py"), *command],
                          capture_output=True, text=True)
    measure = json.loads(done.stderr.strip().splitlines()[-1])
    if measure["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return done.stdout, measure


def run_siteopt(directory: Path, radius: int, method: str, coverage_only: bool) -> dict:
    settings = [f"coverage.radius_km={radius}", f"solver.method={method}",
                f"solver.time_limit_s={TIME_LIMIT_S}"] + (COVERAGE_ONLY if coverage_only else [])
    command = [sys.executable, "-m", "siteopt", "solve", "--data", str(directory),
               "--solver", "highs", "--format", "json"]
    for item in settings:
        command += ["--set", item]
    stdout, measure = measured(command)
    doc = json.loads(stdout)
    return {**doc["timings"], "total": measure["seconds"], "peak_mb": measure["peak_mb"],
            "objective": doc["objective"], "covered": doc["covered_population"],
            "status": doc["status"], "gap": doc["solver"]["gap"]}


def run_spopt(directory: Path, radius: int) -> dict:
    stdout, measure = measured([sys.executable, str(HERE / "spopt_mclp.py"), str(directory),
                                str(radius), str(P_SITES)])
    doc = json.loads(stdout.strip().splitlines()[-1])
    return {"load": doc["read"], "coverage": doc["matrix"], "build": doc["build"],
            "solve": doc["solve"], "total": measure["seconds"], "peak_mb": measure["peak_mb"],
            "objective": None, "covered": doc["covered"], "status": doc["status"].lower(),
            "gap": None}


def run_case(directory: Path, radius: int, model: str, tool: str) -> dict:
    """One timed run of a (model, tool) case."""
    if tool == "spopt MCLP":
        return run_spopt(directory, radius)
    return run_siteopt(directory, radius, tool.split()[1], coverage_only=model == "coverage")


def median_row(runs: list[dict]) -> dict:
    row = dict(runs[0])
    for key in ("load", "coverage", "build", "solve", "total", "peak_mb"):
        row[key] = statistics.median(r[key] for r in runs)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="only the smallest size")
    args = parser.parse_args()
    sizes = SIZES[:1] if args.quick else SIZES
    rows = []
    for n_sites, n_points in sizes:
        directory = instance_dir(n_sites, n_points)
        for radius in RADII:
            cases = [("full", "siteopt pulp"), ("full", "siteopt benders"),
                     ("coverage", "siteopt benders"), ("coverage", "spopt MCLP")]
            pairs = n_sites * n_points
            for model, tool in cases:
                if tool == "siteopt pulp" and pairs > PULP_MAX_PAIRS:
                    continue
                if tool == "spopt MCLP" and pairs > SPOPT_MAX_PAIRS:
                    rows.append({"N": n_sites, "M": n_points, "R": radius, "model": model,
                                 "tool": tool, "skipped": "dense matrix and per-point lpSum: "
                                 f"{pairs * 8 / 1e9:.1f} GB and too long to build"})
                    print(f"N={n_sites} M={n_points} R={radius} {model} {tool}: skipped", flush=True)
                    continue
                repeats = args.runs if tool != "spopt MCLP" else max(1, min(args.runs, 2))
                runs = [run_case(directory, radius, model, tool) for _ in range(repeats)]
                row = {"N": n_sites, "M": n_points, "R": radius, "model": model, "tool": tool,
                       "runs": len(runs), **median_row(runs)}
                rows.append(row)
                print(f"N={n_sites} M={n_points} R={radius} {model} {tool}: "
                      f"{row['total']:.2f} s, {row['status']}", flush=True)
    for row in rows:
        if row["tool"] == "spopt MCLP" and "skipped" not in row:
            ours = next(r for r in rows if (r["N"], r["M"], r["R"], r["model"]) ==
                        (row["N"], row["M"], row["R"], "coverage") and r["tool"] == "siteopt benders")
            row["ratio"] = row["total"] / ours["total"]
            row["same_optimum"] = abs(row["covered"] - ours["covered"]) <= 1e-6 * ours["covered"]
    print_table(rows)
    out = HERE / "results" / "latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "runs": args.runs, "rows": rows}, indent=2))
    print(f"\nwrote {out}")


def machine() -> dict:
    import os

    return {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cores": os.cpu_count()}


def print_table(rows: list[dict]) -> None:
    header = (f"{'N':>5} {'M':>7} {'R':>4} {'model':<9} {'tool':<16} {'load':>6} {'cover':>6} "
              f"{'build':>6} {'solve':>7} {'total':>7} {'peakMB':>7} {'status':<10} {'gap':>6} "
              f"{'covered people':>15} {'spopt/siteopt':>13}")
    print("\n" + header + "\n" + "-" * len(header))
    for r in rows:
        if "skipped" in r:
            print(f"{r['N']:>5} {r['M']:>7} {r['R']:>4} {r['model']:<9} {r['tool']:<16} "
                  f"skipped: {r['skipped']}")
            continue
        gap = "" if r["gap"] is None else f"{r['gap']:.2%}"
        ratio = f"{r['ratio']:.1f}x" + ("" if r.get("same_optimum") else " DIFFERENT OPTIMUM") \
            if "ratio" in r else ""
        print(f"{r['N']:>5} {r['M']:>7} {r['R']:>4} {r['model']:<9} {r['tool']:<16} "
              f"{r['load']:>6.2f} {r['coverage']:>6.2f} {r['build']:>6.2f} {r['solve']:>7.2f} "
              f"{r['total']:>7.2f} {r['peak_mb']:>7.0f} {r['status']:<10} {gap:>6} "
              f"{r['covered']:>15,.0f} {ratio:>13}")


if __name__ == "__main__":
    main()
