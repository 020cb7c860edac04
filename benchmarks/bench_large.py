"""Issue 10's large-instance targets: the whole ``siteopt solve`` command, default settings.

    .venv-bench/bin/python benchmarks/bench_large.py [--runs 3] [--quick | --skip-huge]

- (1,000 sites, 1,000,000 points, R 300 km), coverage-only (``run.py``'s ``COVERAGE_ONLY``):
  under 15 s and 1.5 GB peak; median of ``--runs`` runs after one that fills the validation
  cache (not counted: the first run of new data validates it, 8.5 s of about 20 s here).
- (5,000 sites, 500,000 points), the full default model: under 60 s and 4 GB; median of three
  runs (HiGHS's branch and bound varies by 10-20 % from run to run on this 2-core machine).
- (10,000 sites, 2,000,000 points), the full default model: proven optimal, whatever it takes,
  with time and memory reported; one run.

Every case is a fresh process (``measure.py``: wall seconds, peak resident memory) on a seeded
instance from ``generate.py`` (generated on first use), under a wall-clock limit
(``--limit-s``, also the solver's time limit, so an unproven answer comes back with its gap) and
a cap on its address space (``--max-gb``, so a case that needs more memory than the machine has
fails with an out-of-memory error instead of swapping). ``--quick`` runs the first case only,
``--skip-huge`` all but the last.
It prints each case with its target, met or missed, and writes
``benchmarks/results/large.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from run import COVERAGE_ONLY, instance_dir

HERE = Path(__file__).resolve().parent
#: (sites, points, settings, seconds target, MB target, runs): None targets report only.
CASES = [
    (1_000, 1_000_000, COVERAGE_ONLY + ["coverage.radius_km=300"], 15.0, 1_500.0, None),
    (5_000, 500_000, [], 60.0, 4_000.0, 3),
    (10_000, 2_000_000, [], None, None, 1),
]


def run_case(n_sites: int, n_points: int, settings: list[str], limit_s: float,
             max_gb: float) -> dict:
    """One measured run of the whole command; what it reported, or how it stopped."""
    command = [sys.executable, str(HERE / "measure.py"), "--timeout", str(limit_s + 120),
               "--max-gb", str(max_gb), sys.executable, "-m", "siteopt", "solve", "--data",
               str(instance_dir(n_sites, n_points)), "--format", "json", "--set",
               f"solver.time_limit_s={limit_s:g}"]
    for item in settings:
        command += ["--set", item]
    done = subprocess.run(command, capture_output=True, text=True)
    measure = json.loads(done.stderr.strip().splitlines()[-1])
    row = {"sites": n_sites, "points": n_points, "seconds": measure["seconds"],
           "peak_mb": measure["peak_mb"]}
    if measure["stopped"]:
        return {**row, "status": f"stopped after {limit_s + 120:g} s"}
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        memory = "MemoryError" in done.stderr or "std::bad_alloc" in done.stderr
        return {**row, "status": "out of memory" if memory else f"failed ({done.returncode})"}
    return {**row, "status": document["status"], "method": document["solver"]["method"],
            "gap": document["solver"]["gap"], "objective": document["objective"],
            "covered": document["covered_population"], **document["timings"]}


def verdict(row: dict, seconds: float | None, mb: float | None) -> str:
    """Met or missed, against the case's targets."""
    if seconds is None:
        return "met (proven optimal)" if row["status"] == "optimal" else "missed (not proven)"
    met = (row["status"] == "optimal" and row["seconds"] < seconds and row["peak_mb"] < mb)
    return f"{'met' if met else 'missed'} (target < {seconds:g} s and < {mb:,.0f} MB)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the 1,000,000-point case only")
    parser.add_argument("--skip-huge", action="store_true",
                        help="not the 10,000 x 2,000,000 case")
    parser.add_argument("--limit-s", type=float, default=1800.0,
                        help="wall-clock and solver time limit per run (s)")
    parser.add_argument("--max-gb", type=float, default=20.0, help="address-space cap (GB)")
    args = parser.parse_args()
    rows = []
    cases = CASES[:1] if args.quick else CASES[:-1] if args.skip_huge else CASES
    for n_sites, n_points, settings, seconds, mb, runs in cases:
        if runs is None:   # the repeated case: a first run fills the validation cache
            run_case(n_sites, n_points, settings, args.limit_s, args.max_gb)
        runs_done = [run_case(n_sites, n_points, settings, args.limit_s, args.max_gb)
                     for _ in range(runs or args.runs)]
        row = dict(runs_done[0])
        row["runs_seconds"] = [r["seconds"] for r in runs_done]
        row["seconds"] = statistics.median(row["runs_seconds"])
        row["peak_mb"] = statistics.median(r["peak_mb"] for r in runs_done)
        row["verdict"] = verdict(row, seconds, mb)
        rows.append(row)
        gap = f"gap {row['gap']:.2%}" if row.get("gap") is not None else ""
        print(f"{n_sites:>6,} sites {n_points:>10,} points "
              f"{'coverage-only' if settings else 'full model':<13} {row['seconds']:8.1f} s "
              f"{row['peak_mb']:8,.0f} MB  {row['status']:<22} {gap:<10} {row['verdict']}"
              + (f"  (runs {min(row['runs_seconds']):.1f}-{max(row['runs_seconds']):.1f} s)"
                 if len(runs_done) > 1 else ""),
              flush=True)
    out = HERE / "results" / "large.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
