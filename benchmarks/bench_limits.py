"""``auto`` on an ``access`` limit without W, B or F: the search first (within its own work
limit, ``AUTO_LIMITS_WORK``), HiGHS after it, against HiGHS alone.

    .venv/bin/python benchmarks/bench_limits.py [--runs 3]

For each model: the median seconds of ``siteopt.solve`` (in one process, after a first solve
that is not counted) with ``solver.method = "auto"`` and with ``"direct"``, the path ``auto``
ended on, and the ratio auto / direct (below 1: ``auto`` is faster). The two must give the
same portfolio and objective; the script stops if not. Cases: the shipped default model at
several ``access.max_km`` values, at EUR 29.5 bn, with three gigafactories, a member-state
share floor, the ``cover-all``, ``national-bids`` and ``coverage-first`` scenarios, and a
generated 100-site instance (2,000 points; generated on first use).
"""

from __future__ import annotations

import argparse
import statistics
import time

import siteopt
from run import instance_dir

#: (scenario, generated (sites, points) or None for the shipped data, model keys)
CASES = [
    ("default", None, {"access.max_km": 1450}),
    ("default", None, {"access.max_km": 1500}),
    ("default", None, {"access.max_km": 1600}),
    ("default", None, {"access.max_km": 1700}),
    ("default", None, {"access.max_km": 2000}),
    ("default", None, {"access.max_km": 1500, "budget.total_eur": 29.5e9}),
    ("default", None, {"access.max_km": 1500, "limits.max_gigafactories": 3}),
    ("default", None, {"access.max_km": 1700, "limits.max_gigafactories": 3}),
    ("default", None, {"access.min_country_share": 0.6, "coverage.radius_km": 1000.0}),
    ("cover-all", None, {}),
    ("national-bids", None, {"access.max_km": 1700}),
    ("coverage-first", None, {"access.max_km": 1700}),
    ("default", (100, 2_000), {"access.max_km": 1600}),
    ("default", (100, 2_000), {"access.max_km": 2000}),
]


def median_solve(model: str, data, keys: dict, method: str, runs: int):
    """The median seconds of ``runs`` solves and the last result."""
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        result = siteopt.solve(model, data, **keys, **{"solver.method": method})
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    siteopt.solve()   # imports and the data's validation: not counted
    print(f"{'model':<64} {'auto':>7} {'direct':>7} {'ratio':>6}  auto's path")
    for model, size, keys in CASES:
        data = None if size is None else instance_dir(*size)
        auto, chosen = median_solve(model, data, keys, "auto", args.runs)
        direct, alone = median_solve(model, data, keys, "direct", args.runs)
        if chosen.selected != alone.selected or abs(chosen.objective - alone.objective) > 1e-9:
            raise SystemExit(f"{model} {keys}: auto and direct differ: {chosen.selected} "
                             f"{chosen.objective} against {alone.selected} {alone.objective}")
        label = model + ("" if size is None else f" ({size[0]} sites)") + " " + ", ".join(
            f"{key}={value:g}" for key, value in keys.items())
        print(f"{label:<64} {auto:6.2f}s {direct:6.2f}s {auto / direct:6.2f}  "
              f"{chosen.solver['method']}", flush=True)


if __name__ == "__main__":
    main()
