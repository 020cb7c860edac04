"""Time the robust choice (``siteopt robust --choose``) on the shipped default model against
the targets of issue 28: proven optimal on 100 draws in under 5 s and on 1,000 draws in under
60 s (solver time: the choice itself, not the fresh-draw comparison).

Usage::

    .venv/bin/python benchmarks/bench_choice.py [--draws 100 1000] [--regret-draws 6 20]
        [--runs 3] [--limit 600] [--model NAME] [--set KEY=VALUE ...] [--method auto]

Each size runs ``--runs`` times in this process (seed 1, the default spread, budget risk
0.05); the median is printed with the status and the mean objective found. A run that
reaches ``--limit`` seconds is reported as not proven. Every line with a target ends with
``met`` or ``MISSED``. ``--regret-draws`` times ``--criterion regret`` (the least largest
regret) the same way, after solving each draw to its own optimum (not counted; no target).

``--model`` and ``--set`` time another model (a scenario name or file, and overrides as for
``siteopt solve --set``; the targets apply to the default model only), ``--method`` one path
(``search`` or ``extensive``; ``auto`` picks as ``robust --choose`` does), e.g. ``--model
fairness --draws 100 --runs 1`` or ``--set weights.backup=0.1``.

``--data DIR`` times the choice on another data set, such as the issue's second target
(500 sites, 20,000 points, 200 draws: ``benchmarks/generate.py --sites 500 --points 20000
--seed 0 --out DIR``, then ``--data DIR --draws 200 --runs 1 --limit 300``); each line then
gives the gap at the limit and the peak resident memory of this process so far.

``--own DATA`` times instead what the comparison (and the regret) spends on each draw: the
draw's own optimum, its value alone (what ``--choose`` asks for) against the optimum with its
ties settled (what ``robust`` without ``--choose`` needs), draws ``--own-draws`` of seed 1 on
the data in DATA, e.g. ``benchmarks/generate.py --sites 500 --points 20000 --seed 0``. It
prints each draw's seconds and the medians and their ratio; the two values must agree.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

from siteopt.analysis.choice import robust_choice
from siteopt.analysis.draws import Draws, Spread
from siteopt.analysis.robust import base_data, draw_instance, solve_each_draw
from siteopt.api import prepare
from siteopt.config import Solver, parse_set_items
from siteopt.solvers import solve_instance

TARGETS_S = {100: 5.0, 1000: 60.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--regret-draws", type=int, nargs="*", default=[])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=600.0,
                        help="time limit of one choice, seconds")
    parser.add_argument("--model", help="a scenario name or model file (default: default)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="a model override, as for siteopt solve --set")
    parser.add_argument("--method", choices=["auto", "search", "extensive"], default="auto")
    parser.add_argument("--data", help="a data directory (default: the shipped data)")
    parser.add_argument("--own", metavar="DATA", help="time each draw's own optimum on DATA")
    parser.add_argument("--own-draws", type=int, nargs="+", default=list(range(1, 8)))
    args = parser.parse_args()
    if args.own:
        own_optima(args.own, args.own_draws, args.limit)
        return
    overrides = parse_set_items(args.sets)
    cfg, dataset, prepared = prepare(args.model, base_data(args.data), overrides=overrides)
    base = prepared.instance
    shipped_default = args.model in (None, "default") and not overrides and not args.data
    sizes = [(count, "mean") for count in args.draws] + \
        [(count, "regret") for count in args.regret_draws]
    for count, criterion in sizes:
        draws = Draws.sample(base.site_ids, count, 1, Spread())
        own = None
        if criterion == "regret":
            own = np.array([s["objective"] for s in
                            solve_each_draw(cfg, dataset, base, draws, None, 1,
                                            portfolios=False)[1]], float)
        seconds, statuses, values, gaps = [], set(), set(), []
        for _ in range(args.runs):
            began = time.perf_counter()
            choice = robust_choice(base, draws, 0.05, Solver(time_limit_s=args.limit),
                                   args.method, criterion=criterion, own=own)
            seconds.append(time.perf_counter() - began)
            statuses.add(choice.status.value)
            gaps.append(choice.gap)
            values.add(round(choice.mean_objective if criterion == "mean"
                             else choice.largest_regret, 12))
        median = statistics.median(seconds)
        target = TARGETS_S.get(count) if criterion == "mean" and shipped_default else None
        proven = statuses == {"optimal"}
        met = proven and target is not None and median < target
        said = "mean objective" if criterion == "mean" else "largest regret"
        print(f"{args.model or 'default'}{''.join(' --set ' + t for t in args.sets)}"
              f"{' on ' + args.data if args.data else ''}: "
              f"robust choice ({criterion}, {args.method}), {count:,} draws: median "
              f"{median:.1f} s of "
              f"{args.runs} ({', '.join(sorted(statuses))}; {said} "
              f"{', '.join(map(str, values))})"
              + (f"; target < {target:g} s {'met' if met else 'MISSED'}" if target else "")
              + (f"; largest gap {max(gaps):.2%}, peak memory {peak_gb():.2f} GB" if args.data
                 else ""),
              flush=True)


def peak_gb() -> float:
    """The peak resident memory of this process so far, GB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def own_optima(data: str, numbers: list[int], limit: float) -> None:
    """Each draw's own optimum on ``data``: value alone against ties settled (see the module
    docstring)."""
    _, _, prepared = prepare(None, base_data(data))
    base = prepared.instance
    draws = Draws.sample(base.site_ids, max(numbers) + 1, 1, Spread())
    settings = Solver(time_limit_s=limit)
    seconds = {False: [], True: []}
    for i in numbers:
        instance = draw_instance(base, draws.factors(i))
        values = []
        for settle in (False, True):
            began = time.perf_counter()
            outcome, method = solve_instance(instance, settings, {}, settle_ties=settle)
            seconds[settle].append(time.perf_counter() - began)
            values.append(instance.objective(instance.evaluate(outcome.gigafactories)))
            solves = f"{outcome.solves} solve{'s' * (outcome.solves != 1)}"
            print(f"draw {i}, {'ties settled' if settle else 'value alone'}: "
                  f"{seconds[settle][-1]:.1f} s ({method}, {outcome.status.value}, {solves}, "
                  f"objective {values[-1]:.6f})", flush=True)
        if abs(values[0] - values[1]) > 1e-9:
            raise SystemExit(f"draw {i}: the value alone {values[0]} is not the settled "
                             f"optimum's {values[1]}")
    alone, settled = (statistics.median(seconds[k]) for k in (False, True))
    print(f"own optima of {len(numbers)} draws: median {alone:.1f} s value alone, "
          f"{settled:.1f} s ties settled ({settled / alone:.1f}x); in all "
          f"{sum(seconds[False]):.0f} s against {sum(seconds[True]):.0f} s")


if __name__ == "__main__":
    main()
