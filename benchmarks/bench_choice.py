"""Time the robust choice (``siteopt robust --choose``) on the shipped default model against
the targets of issue 28: proven optimal on 100 draws in under 5 s and on 1,000 draws in under
60 s (solver time: the choice itself, not the fresh-draw comparison).

Usage::

    .venv/bin/python benchmarks/bench_choice.py [--draws 100 1000] [--runs 3] [--limit 600]

Each size runs ``--runs`` times in this process (seed 1, the default spread, budget risk
0.05); the median is printed with the status and the mean objective found. A run that
reaches ``--limit`` seconds is reported as not proven. Every line ends with ``met`` or
``MISSED``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from siteopt.analysis.choice import robust_choice
from siteopt.analysis.draws import Draws, Spread
from siteopt.api import prepare
from siteopt.config import Solver

TARGETS_S = {100: 5.0, 1000: 60.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=600.0,
                        help="time limit of one choice, seconds")
    args = parser.parse_args()
    base = prepare()[2].instance
    for count in args.draws:
        draws = Draws.sample(base.site_ids, count, 1, Spread())
        seconds, statuses, means = [], set(), set()
        for _ in range(args.runs):
            began = time.perf_counter()
            choice = robust_choice(base, draws, 0.05, Solver(time_limit_s=args.limit))
            seconds.append(time.perf_counter() - began)
            statuses.add(choice.status.value)
            means.add(round(choice.mean_objective, 12))
        median = statistics.median(seconds)
        target = TARGETS_S.get(count)
        proven = statuses == {"optimal"}
        met = proven and target is not None and median < target
        print(f"robust choice, {count:,} draws: median {median:.1f} s of {args.runs} "
              f"({', '.join(sorted(statuses))}; mean objective {', '.join(map(str, means))})"
              + (f"; target < {target:g} s {'met' if met else 'MISSED'}" if target else ""),
              flush=True)


if __name__ == "__main__":
    main()
