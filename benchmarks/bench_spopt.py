"""Issue 10's target against spopt: siteopt with default settings at least 40x faster than
spopt 0.7.0's MCLP on (500 sites, 20,000 points, R 300 km, p 5), same optimum, three seeds.

    make bench          # or: .venv-bench/bin/python benchmarks/bench_spopt.py [--seeds 0 1 2]

Both tools solve the coverage-only form (``run.py``'s ``coverage`` case) of a generated
instance per seed, each in a fresh process (imports count); siteopt runs with its default
``solver.method = "auto"``, median of ``--runs`` runs (the first with a cold validation
cache); spopt once per seed (it takes a minute or more, so its run-to-run noise of a few
seconds moves the ratio by a few per cent). The covered population must be equal (the script
stops if not). Prints each seed's times and ratio and whether the target is met on every seed.
"""

from __future__ import annotations

import argparse
import statistics

from run import instance_dir, run_siteopt, run_spopt

SIZE = (500, 20_000)
RADIUS_KM = 300
TARGET_RATIO = 40.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=int, default=3, help="siteopt runs per seed")
    args = parser.parse_args()
    ratios = []
    for seed in args.seeds:
        directory = instance_dir(*SIZE, seed=seed)
        runs = [run_siteopt(directory, RADIUS_KM, "auto", coverage_only=True)
                for _ in range(args.runs)]
        if len({run["covered"] for run in runs}) != 1:
            raise SystemExit(f"seed {seed}: siteopt's runs disagree: {runs}")
        ours = dict(runs[0], total=statistics.median(run["total"] for run in runs))
        theirs = run_spopt(directory, RADIUS_KM)
        if abs(ours["covered"] - theirs["covered"]) > 1e-6 * ours["covered"]:
            raise SystemExit(f"seed {seed}: spopt covers {theirs['covered']:,.0f} people, "
                             f"siteopt {ours['covered']:,.0f}")
        ratio = theirs["total"] / ours["total"]
        ratios.append(ratio)
        print(f"seed {seed}: siteopt (auto) {ours['total']:.2f} s (median of {args.runs}), spopt {theirs['total']:.1f} s, "
              f"same optimum ({ours['covered']:,.0f} people): {ratio:.1f}x", flush=True)
    met = min(ratios) >= TARGET_RATIO
    print(f"default settings against spopt at (500, 20,000, R {RADIUS_KM}): "
          f"{', '.join(f'{r:.1f}x' for r in ratios)} (target >= {TARGET_RATIO:g}x on every "
          f"seed) {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
