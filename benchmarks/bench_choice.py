"""Time the robust choice (``siteopt robust --choose``) on the shipped default model against
the targets of issue 28: proven optimal on 100 draws in under 5 s and on 1,000 draws in under
60 s (solver time: the choice itself, not the fresh-draw comparison).

Usage::

    .venv/bin/python benchmarks/bench_choice.py [--draws 100 1000] [--regret-draws 6 20]
        [--runs 3] [--limit 600]

Each size runs ``--runs`` times in this process (seed 1, the default spread, budget risk
0.05); the median is printed with the status and the mean objective found. A run that
reaches ``--limit`` seconds is reported as not proven. Every line with a target ends with
``met`` or ``MISSED``. ``--regret-draws`` times ``--criterion regret`` (the least largest
regret) the same way, after solving each draw to its own optimum (not counted; no target).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from siteopt.analysis.choice import robust_choice
from siteopt.analysis.draws import Draws, Spread
from siteopt.analysis.robust import solve_each_draw
from siteopt.api import prepare
from siteopt.config import Solver

TARGETS_S = {100: 5.0, 1000: 60.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--regret-draws", type=int, nargs="*", default=[])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=600.0,
                        help="time limit of one choice, seconds")
    args = parser.parse_args()
    cfg, dataset, prepared = prepare()
    base = prepared.instance
    sizes = [(count, "mean") for count in args.draws] + \
        [(count, "regret") for count in args.regret_draws]
    for count, criterion in sizes:
        draws = Draws.sample(base.site_ids, count, 1, Spread())
        own = None
        if criterion == "regret":
            own = np.array([s["objective"] for s in
                            solve_each_draw(cfg, dataset, base, draws, None, 1)[1]], float)
        seconds, statuses, values = [], set(), set()
        for _ in range(args.runs):
            began = time.perf_counter()
            choice = robust_choice(base, draws, 0.05, Solver(time_limit_s=args.limit),
                                   criterion=criterion, own=own)
            seconds.append(time.perf_counter() - began)
            statuses.add(choice.status.value)
            values.add(round(choice.mean_objective if criterion == "mean"
                             else choice.largest_regret, 12))
        median = statistics.median(seconds)
        target = TARGETS_S.get(count) if criterion == "mean" else None
        proven = statuses == {"optimal"}
        met = proven and target is not None and median < target
        said = "mean objective" if criterion == "mean" else "largest regret"
        print(f"robust choice ({criterion}), {count:,} draws: median {median:.1f} s of "
              f"{args.runs} ({', '.join(sorted(statuses))}; {said} "
              f"{', '.join(map(str, values))})"
              + (f"; target < {target:g} s {'met' if met else 'MISSED'}" if target else ""),
              flush=True)


if __name__ == "__main__":
    main()
