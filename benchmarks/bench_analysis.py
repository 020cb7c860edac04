"""Time the decision analyses on the shipped data against the targets of issue 11.

Usage::

    .venv/bin/python benchmarks/bench_analysis.py [--draws 1000] [--runs 1] [--model NAME]
        [--robust-only]

1. Sweep: ``siteopt sweep --vary budget.total_eur=8e9:30e9:1e9 --no-refine`` (23 budgets,
   where siteopt decides: in-process for a batch this small) against 23 separate
   ``siteopt solve --budget B --format json`` commands, run one
   after the other, then the sweep, in turns; target: the sweep at least 10x faster (the
   median ratio of the turns). The sweep's points must equal the separate solves (the script
   stops if not).
2. Robust: ``siteopt robust --draws N`` with 1 and with 2 local workers; targets: N = 1000
   under 60 s with 2 workers, and 2 workers at least 1.6x faster than 1 (the targets are the
   default model's; ``--model`` times another, such as ``seven-gigafactories``, whose draws
   HiGHS solves).

Each command runs as its own process (the wall time a user waits, start-up included); with
``--runs`` above 1 the median is shown. Every line ends with ``met`` or ``MISSED``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

BUDGETS = [8e9 + i * 1e9 for i in range(23)]
TARGET_SWEEP_RATIO = 10.0
TARGET_ROBUST_S = 60.0
TARGET_WORKER_RATIO = 1.6


def run(args: list[str]) -> tuple[float, str]:
    """Wall seconds and stdout of ``siteopt ARGS`` (which must succeed)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "siteopt", *args], capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"siteopt {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def sweep(runs: int) -> None:
    """The sweep against separate solves, measured in turns (23 solves, then the sweep) so
    that both see the same state of a shared machine; the ratio is the median of the turns'."""
    separate, swept, ratios = [], [], []
    for _ in range(runs):
        total, objectives = 0.0, []
        for budget in BUDGETS:
            seconds, out = run(["solve", "--budget", f"{budget:g}", "--format", "json"])
            total += seconds
            objectives.append(json.loads(out)["objective"])
        seconds, out = run(["sweep", "--vary", "budget.total_eur=8e9:30e9:1e9", "--no-refine",
                            "--format", "json"])
        points = json.loads(out)["points"]
        gaps = [abs(p["objective"] - o) for p, o in zip(points, objectives)]
        if len(points) != len(BUDGETS) or max(gaps) > 1e-9:
            raise SystemExit(f"the sweep disagrees with the separate solves by {max(gaps):g}")
        separate.append(total)
        swept.append(seconds)
        ratios.append(total / seconds)
    ratio = statistics.median(ratios)
    print(f"sweep, 23 budgets: 23 separate solves {statistics.median(separate):.1f} s, one "
          f"sweep {statistics.median(swept):.2f} s: {ratio:.1f}x (median of {runs} turns; "
          f"target >= {TARGET_SWEEP_RATIO:g}x) {verdict(ratio >= TARGET_SWEEP_RATIO)}",
          flush=True)


def robust(draws: int, runs: int, model: str) -> None:
    """robust of ``model`` with 1 and 2 local workers."""
    seconds = {}
    for workers in (1, 2):
        times = [run(["robust", "--model", model, "--draws", str(draws), "--workers",
                      str(workers), "--format", "json"])[0] for _ in range(runs)]
        seconds[workers] = statistics.median(times)
        print(f"robust ({model}), {draws} draws, {workers} worker{'s' if workers > 1 else ''}: "
              f"{seconds[workers]:.1f} s ({seconds[workers] / draws:.2f} s per draw)",
              flush=True)
    per_1000 = seconds[2] * 1000 / draws
    ratio = seconds[1] / seconds[2]
    print(f"robust, 1000 draws on 2 workers: {per_1000:.0f} s"
          f"{'' if draws == 1000 else f' (scaled from {draws})'} (target < "
          f"{TARGET_ROBUST_S:g} s) {verdict(per_1000 < TARGET_ROBUST_S)}")
    print(f"robust, 2 workers against 1: {ratio:.2f}x (target >= {TARGET_WORKER_RATIO:g}x) "
          f"{verdict(ratio >= TARGET_WORKER_RATIO)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="robust draws (default 1000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--model", default="default", help="the model of the robust runs")
    parser.add_argument("--robust-only", action="store_true", help="leave out the sweep")
    args = parser.parse_args()
    if not args.robust_only:
        sweep(args.runs)
    robust(args.draws, args.runs, args.model)


if __name__ == "__main__":
    main()
