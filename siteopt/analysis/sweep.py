"""Solve a model for every combination of values of some keys, and mark where the answer
changes (the breakpoints).

``--vary budget.total_eur=8e9:30e9:1e9`` means 8e9, 9e9, ..., 30e9; several ``--vary`` give
every combination. Each point is an exact solve; the solves run on Dask
(:mod:`siteopt.analysis.engine`).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from siteopt.config import settings
from siteopt.errors import ConfigError
from siteopt.model import TERMS

#: Most points one sweep may solve.
MAX_POINTS = 2_000


def parse_vary(text: str) -> tuple[str, list[float]]:
    """``key=start:stop:step`` (inclusive), or ``key=a,b,c``, as the key and its values.

    >>> parse_vary("budget.total_eur=8e9:10e9:1e9")
    ('budget.total_eur', [8000000000.0, 9000000000.0, 10000000000.0])
    >>> parse_vary("weights.coverage=0.2,0.45")
    ('weights.coverage', [0.2, 0.45])
    """
    key, sep, spec = text.partition("=")
    key = key.strip()
    keys = dict(settings())
    if not sep or key not in keys:
        raise ConfigError(f"--vary {text!r}: expected KEY=START:STOP:STEP or KEY=A,B,C with a "
                          f"numeric model key (see `siteopt keys`)")
    try:
        if ":" in spec:
            start, stop, step = (float(part) for part in spec.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            values = [start + i * step for i in range(count)]
        else:
            values = [float(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--vary {text!r}: give START:STOP:STEP with STEP > 0 and STOP >= "
                          f"START, or a comma-separated list of numbers") from None
    if not values:
        raise ConfigError(f"--vary {text!r}: no values")
    if isinstance(keys[key].default, int) and not isinstance(keys[key].default, bool):
        values = [int(round(v)) for v in values]
    return key, values


def shown_value(key: str, value) -> str:
    """A swept value as users read it: ``EUR 8 bn`` for money, else ``0.45``."""
    return f"EUR {value / 1e9:,.3g} bn" if key.endswith("_eur") else f"{value:g}"


@dataclass(frozen=True)
class Sweep:
    """Every point of a sweep, and the breakpoints along it.

    Attributes
    ----------
    keys : list of str
        The varied keys.
    points : list of dict
        Per point: the key values, ``status``, ``objective``, the terms, ``portfolio`` (its
        gigafactories) and ``changed`` (True where the portfolio differs from the previous
        point along the first key).
    model : str
    """

    keys: list[str]
    points: list[dict[str, Any]]
    model: str

    def table(self):
        """One row per point: the values, objective, terms and portfolio."""
        import pandas as pd

        return pd.DataFrame(self.points)

    def breakpoints(self) -> list[dict[str, Any]]:
        """The points where the portfolio changes, with what it was and what it becomes."""
        rows = []
        for before, after in zip(self.points, self.points[1:]):
            if after["changed"]:
                rows.append({**{k: after[k] for k in self.keys}, "from": before["portfolio"],
                             "to": after["portfolio"]})
        return rows

    def shown_table(self):
        """The points as people read them: values (EUR bn for money), status, objective and
        portfolio."""
        frame = self.table()[[*self.keys, "status", "objective", "portfolio"]]
        for key in self.keys:
            frame[key] = frame[key].map(lambda value, key=key: shown_value(key, value))
        return frame

    def breakpoint_lines(self) -> list[str]:
        """``budget.total_eur = EUR 12 bn: A, B -> A, C``: one line per breakpoint."""
        return [", ".join(f"{k} = {shown_value(k, row[k])}" for k in self.keys)
                + f": {row['from'] or 'none'} -> {row['to'] or 'none'}"
                for row in self.breakpoints()]

    def to_json(self) -> str:
        return json.dumps({"model": self.model, "keys": self.keys, "points": self.points,
                           "breakpoints": self.breakpoints()}, indent=2)

    def plot(self, ax=None):
        """Objective and weighted terms against the first key, the breakpoints marked and named.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 5), layout="constrained")
        key = self.keys[0]
        frame = self.table()
        if len(self.keys) > 1:  # one line per first-key run: show the first value of the others
            first = {k: frame[k].iloc[0] for k in self.keys[1:]}
            frame = frame[np.logical_and.reduce([frame[k] == v for k, v in first.items()])]
        x = frame[key] / (1e9 if key.endswith("_eur") else 1)
        ax.plot(x, frame["objective"], color="#000000", linewidth=2.2, marker="o",
                markersize=3, label="objective", gid="objective")
        colours = ["#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#F0E442", "#D55E00"]
        for term, colour in zip(TERMS, colours):
            if frame[term].abs().max() > 0:
                ax.plot(x, frame[term], color=colour, linewidth=1, label=term, gid=f"term:{term}")
        # the new portfolios in a band above the lines, so no line crosses a name
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + (high - low) * 0.45)
        for xb, (_, row) in zip(x[frame["changed"]], frame[frame["changed"]].iterrows()):
            ax.axvline(xb, color="#999999", linestyle=":", linewidth=1, gid="breakpoint")
            ax.text(xb, high + (high - low) * 0.42, " " + row["portfolio"].replace(", ", "\n "),
                    fontsize=6, va="top", ha="left", color="#555555", parse_math=False)
        ax.set_xlabel(f"{key} (EUR bn)" if key.endswith("_eur") else key)
        ax.set_ylabel("objective; each term un-weighted")
        ax.set_title(f"Sweep of {key}: the portfolio changes at each dotted line, to the one "
                     f"named at its top\n{self.model}", loc="left", fontsize=10, parse_math=False)
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
        return ax


def sweep(varies: list[str], model=None, data=None, scheduler: str | None = None,
          workers: int | None = None, **overrides) -> Sweep:
    """Solve every combination of the ``--vary`` values (see the module docstring).

    Parameters
    ----------
    varies : list of str
        ``KEY=START:STOP:STEP`` or ``KEY=A,B,C``.
    model, data, **overrides
        As for :func:`siteopt.solve`; ``data`` is a directory (each worker loads it).
    scheduler : str, optional
        A Dask scheduler address; by default the solves run here or on a local cluster of
        ``workers`` processes, as :func:`~siteopt.analysis.engine.solve_pool` decides.

    Returns
    -------
    Sweep
    """
    from siteopt.analysis.engine import CHAIN_LENGTH, run_solves
    from siteopt.api import resolve_model

    cfg = resolve_model(model, overrides)
    parsed = [parse_vary(text) for text in varies]
    keys = [key for key, _ in parsed]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--vary names a key twice: {', '.join(keys)}")
    # the first key varies fastest, so consecutive points differ along it
    grid = [tuple(reversed(values))
            for values in itertools.product(*[values for _, values in reversed(parsed)])]
    if len(grid) > MAX_POINTS:
        raise ConfigError(f"the sweep has {len(grid):,} points, more than {MAX_POINTS:,}; use "
                          f"larger steps")
    tasks = [dict(zip(keys, values)) for values in grid]
    summaries = run_solves(cfg, None if data is None else str(data), tasks, scheduler, workers,
                           CHAIN_LENGTH)
    points = []
    for task, summary in zip(tasks, summaries):
        portfolio = ", ".join("+".join(g) for g in sorted(summary["gigafactories"]))
        previous = points[-1] if points else None
        same_line = previous is not None and all(previous[k] == task[k] for k in keys[1:])
        points.append({**task, "status": summary["status"], "objective": summary["objective"],
                       **{t: summary["terms"].get(t) for t in TERMS}, "portfolio": portfolio,
                       "changed": bool(same_line and previous["portfolio"] != portfolio)})
    return Sweep(keys, points, cfg.description)
