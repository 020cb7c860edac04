"""Time `siteopt solve` on the shipped data: the whole command, each stage, and the floor.

Usage::

    .venv/bin/python benchmarks/bench_solve.py [--runs 7] [--solver highs|cbc] [--method auto|search|pulp|direct|benders]

Prints the median of several runs for the whole command (a fresh process each time, so
imports count; after one run that is not counted, so the validation cache is warm, as on a
user's second run) and for load+validate, coverage, build and solve (in one process, measured
by siteopt itself), and the ratio of each median to its target. Targets (2-core machine):
build + solve < 0.5 s; the whole command < 3 s (issue #3) and < 1.5 s (issue #5); and
(issue #10) at most 1.3x the wall time of ``benchmarks/floor.py``, a minimal csv + numpy +
highspy script that solves the same model (its optimum must equal siteopt's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"build+solve": 0.5, "command": 1.5}
#: Issue 10: the command at most this many times the floor script's wall time.
FLOOR_RATIO = 1.3


def time_command(solver: str, method: str, runs: int) -> list[float]:
    """Wall-clock seconds of `python -m siteopt solve` in fresh processes."""
    command = [sys.executable, "-m", "siteopt", "solve", "--solver", solver, "--set",
               f"solver.method={method}", "--format", "json"]
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)   # warms the cache
    return [timed(command)[0] for _ in range(runs)]


def timed(command: list[str]) -> tuple[float, str]:
    """Wall-clock seconds and stdout of ``command`` (which must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO)
    return time.perf_counter() - start, done.stdout


def floor_ratio(solver: str, method: str, runs: int) -> None:
    """The command against ``floor.py`` in turns (a shared machine changes speed), same
    optimum; prints the medians and their ratio against :data:`FLOOR_RATIO`."""
    command = [sys.executable, "-m", "siteopt", "solve", "--solver", solver, "--set",
               f"solver.method={method}", "--format", "json"]
    floor = [sys.executable, str(REPO / "benchmarks" / "floor.py")]
    ours, theirs = [], []
    for _ in range(runs):
        seconds, out = timed(command)
        ours.append(seconds)
        seconds, floor_out = timed(floor)
        theirs.append(seconds)
    optimum = json.loads(out)["objective"]
    floor_optimum = json.loads(floor_out.strip().splitlines()[-1])["objective"]
    if abs(optimum - floor_optimum) > 1e-9:
        raise SystemExit(f"the floor's optimum {floor_optimum} differs from siteopt's {optimum}")
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"siteopt solve --format json {statistics.median(ours):.2f} s against the floor "
          f"(benchmarks/floor.py) {statistics.median(theirs):.2f} s, same optimum "
          f"{optimum:.9f}: {ratio:.2f}x (target <= {FLOOR_RATIO:g}x) "
          f"{'met' if ratio <= FLOOR_RATIO else 'MISSED'}")


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
    parser.add_argument("--method", choices=["auto", "search", "pulp", "direct", "benders"],
                        default="auto")
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
    floor_ratio(args.solver, args.method, args.runs)


if __name__ == "__main__":
    main()
