"""Time `siteopt solve` on the shipped data: the whole command, and each stage.

Usage::

    .venv/bin/python benchmarks/bench_solve.py [--runs 7] [--solver highs|cbc] [--method pulp|direct|benders]

Prints the median of several runs for the whole command (a fresh process each time, so
imports count) and for load+validate, coverage, build and solve (in one process, measured by
siteopt itself), and the ratio of each median to its target. Targets (2-core machine):
build + solve < 0.5 s; the whole command < 3 s (issue #3) and < 1.5 s (issue #5).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"build+solve": 0.5, "command": 1.5}


def time_command(solver: str, method: str, runs: int) -> list[float]:
    """Wall-clock seconds of `python -m siteopt solve` in fresh processes."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "siteopt", "solve", "--solver", solver, "--set",
                        f"solver.method={method}", "--format", "json"], check=True,
                       capture_output=True, cwd=REPO)
        seconds.append(time.perf_counter() - start)
    return seconds


def time_stages(solver: str, method: str, runs: int) -> dict[str, list[float]]:
    """Seconds per stage, as recorded in Result.timings, over several solves."""
    import siteopt

    stages: dict[str, list[float]] = {}
    for _ in range(runs):
        result = siteopt.solve(solver=solver, **{"solver.method": method})
        for name, value in result.timings.items():
            stages.setdefault(name, []).append(value)
        stages.setdefault("build+solve", []).append(result.timings["build"]
                                                    + result.timings["solve"])
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--solver", choices=["highs", "cbc"], default="highs")
    parser.add_argument("--method", choices=["pulp", "direct", "benders"], default="pulp")
    args = parser.parse_args()
    rows = {name: statistics.median(v)
            for name, v in time_stages(args.solver, args.method, args.runs).items()}
    rows["command"] = statistics.median(time_command(args.solver, args.method, args.runs))
    print(f"siteopt solve on the shipped data, solver {args.solver}, method {args.method}, "
          f"median of {args.runs} runs")
    print(f"{'stage':<14}{'median s':>10}{'target s':>10}{'ratio':>8}")
    for name in ("load", "coverage", "build", "solve", "build+solve", "command"):
        target = TARGETS.get(name)
        ratio = f"{rows[name] / target:.2f}" if target else ""
        print(f"{name:<14}{rows[name]:>10.3f}{target or '':>10}{ratio:>8}")


if __name__ == "__main__":
    main()
