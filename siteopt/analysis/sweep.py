"""Solve a model for every combination of values of some keys, and find where the answer
changes (the breakpoints).

``--vary budget.total_eur=8e9:30e9:1e9`` means 8e9, 9e9, ..., 30e9; several ``--vary`` give
every combination. Each point is an exact solve (here or on Dask,
:mod:`siteopt.analysis.engine`).

A change of portfolio between two neighbouring values of the first key lies somewhere between
them. With ``refine`` (the default) the changes along the budget, the total power limit,
``access.max_km`` or ``access.min_country_share`` are found exactly, one solve each (a
portfolio stays optimal from what it uses of a limit up, or up to what it keeps of a floor:
:func:`_limit_changes`, :func:`_floor_changes`), and so are those along a term's weight
(``weights.coverage``...: each portfolio's objective is a straight line in it, and the
optimum changes where two lines cross: :func:`_weight_changes`); for other keys each such
interval is bisected
by further exact solves until it is at most :data:`REFINE_SHARE` of the step wide (for money
at least :data:`REFINE_EUR`, EUR 10 m; for whole numbers 1); an interval in which the
portfolio changes more than once is split until each change is found (a change that comes and
goes between two solved values is not seen). Without it, a breakpoint is reported as lying
*between* the two values.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from siteopt.config import apply_overrides, settings, suggested_key
from siteopt.errors import ConfigError, listed
from siteopt.geometry import DISTANCE_TOLERANCE_KM
from siteopt.model import TERMS
from siteopt.solvers.outcome import NEAR_OPTIMAL
from siteopt.terms import TERM_COLOURS

#: Most points one sweep may solve.
MAX_POINTS = 2_000
#: Breakpoints of a money key are found to within this many EUR.
REFINE_EUR = 1e7
#: Breakpoints of other keys are found to within this share of the step.
REFINE_SHARE = 0.01


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
        meant = suggested_key(key) if sep else None
        raise ConfigError(f"--vary {text!r}: expected KEY=START:STOP:STEP or KEY=A,B,C with a "
                          f"numeric model key"
                          + (f"; did you mean {meant}?" if meant else " (see `siteopt keys`)"))
    default = keys[key].default
    if isinstance(default, (bool, str, tuple)):
        takes = ("true or false" if isinstance(default, bool) else "a list of site IDs"
                 if isinstance(default, tuple) else
                 listed(list(keys[key].metadata.get("choices") or ["text"]), last="or"))
        raise ConfigError(f"--vary {text!r}: {key} takes {takes}, not a number; a sweep varies "
                          f"a number key. Solve each value on its own instead (siteopt solve "
                          f"--set {key}=...)")
    try:
        if ":" in spec:
            start, stop, step = (float(part) for part in spec.split(":"))
            if not all(map(math.isfinite, (start, stop, step))) or step <= 0 or stop < start:
                raise ValueError
            # how many values, before they are listed (inf for a step too small to count)
            count = (stop - start) / step + 1e-9 + 1
            values = [start + i * step for i in range(math.floor(count))] \
                if count <= MAX_POINTS + 1 else None
        else:
            values = [float(part) for part in spec.split(",") if part.strip()]
            if not all(map(math.isfinite, values)):
                raise ValueError
    except ValueError:
        raise ConfigError(f"--vary {text!r}: give START:STOP:STEP with STEP > 0 and STOP >= "
                          f"START, or a comma-separated list of numbers, each finite") from None
    if values is None or len(values) > MAX_POINTS:
        raise ConfigError(f"--vary {text!r}: more than {MAX_POINTS:,} values; use a larger "
                          f"STEP")
    if not values:
        raise ConfigError(f"--vary {text!r}: no values")
    if isinstance(default, int):   # (others are refused as --set's are: see sweep)
        values = [int(v) if v.is_integer() else v for v in values]
    return key, values


#: The units of keys other than money, by the end of their names.
UNITS = {"_mw": "MW", "_km": "km"}


def shown_value(key: str, value) -> str:
    """A swept value as users read it: ``EUR 8 bn`` (``EUR 12.34 bn`` between grid values) for
    money, ``2,262.5 MW`` for power, ``1,250 km`` for distance, else ``0.45``.

    >>> shown_value("budget.total_eur", 8e9), shown_value("consolidation.extra_site_cost_eur",
    ...                                                   50e6)
    ('EUR 8 bn', 'EUR 50 m')
    """
    if key.endswith("_eur"):
        return f"EUR {value / 1e9:,.4g} bn" if value >= 1e8 else f"EUR {value / 1e6:,.4g} m"
    unit = unit_of(key)
    return f"{value:,.6g} {unit}" if unit else f"{value:g}"


def unit_of(key: str) -> str | None:
    """``MW`` or ``km`` for a key of power or distance (:data:`UNITS`), else None."""
    return next((unit for suffix, unit in UNITS.items() if key.endswith(suffix)), None)


def exact_value(key: str, value) -> str:
    """Where a change along a limit of :data:`LIMIT_USE` lies, exactly as found:
    ``EUR 12.234 bn`` (to EUR 1 m), ``2,262.5 MW`` or ``1,234.56 km``."""
    return f"EUR {value / 1e9:,.3f} bn" if key.endswith("_eur") else shown_value(key, value)


def portfolio_label(summary) -> str:
    """``A, B+C``: the gigafactories of a solve summary (empty for none)."""
    return ", ".join("+".join(g) for g in sorted(summary["gigafactories"]))


def labelled_sites(labels) -> list[str]:
    """Every member site of the portfolios ``labels`` (:func:`portfolio_label`'s; empty ones
    skipped), sorted.

    >>> labelled_sites(["A, B+C", "", "C, D"])
    ['A', 'B', 'C', 'D']
    """
    return sorted({site for label in labels if label
                   for gigafactory in label.split(", ") for site in gigafactory.split("+")})


@dataclass(frozen=True)
class Sweep:
    """Every point of a sweep, and the breakpoints along its first key.

    Attributes
    ----------
    keys : list of str
        The varied keys.
    points : list of dict
        Per point: the key values, ``status``, ``objective``, the terms, ``portfolio`` (its
        gigafactories), ``capex_eur`` (EUR), ``power_mw`` (MW), ``people`` (within R) and
        ``changed`` (True where the portfolio differs from the previous point along the first
        key).
    breaks : list of dict
        Per change of portfolio along the first key: the other keys' values, ``low`` and
        ``high`` (the change lies in (low, high]), ``from`` and ``to`` (portfolios),
        ``from_objective`` and ``to_objective`` (theirs), ``refined`` (whether the change
        was looked for between the grid values) and
        ``found``: ``"exact"`` (at ``high``, what the new portfolio uses of a limit, just
        above ``low``, what the old one keeps of a floor, or along a term's weight at ``low``
        = ``high``, where both score the same), ``"tie"`` (both portfolios score
        the same from ``low`` to ``high``; the solver settled the tie differently along it)
        or ``"between"`` (bisected to :data:`REFINE_EUR` or :data:`REFINE_SHARE` of the
        step, or not refined).
    model : str
    weights : dict
        The weight of each term (for the plot of weighted contributions).
    ends : list of tuple of dict
        Per breakpoint, in the order of ``breaks``: the rows (as :attr:`points`' rows) of
        the portfolio before the change, at ``low``, and of the one after it, at ``high``,
        each as solved on the way (for the figures: along a limit or a floor every
        portfolio's figures hold from one change to the next; along a weight its objective
        is valued at the change).
    """

    keys: list[str]
    points: list[dict[str, Any]]
    model: str
    breaks: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    weights: dict[str, float] = dataclasses.field(default_factory=dict)
    ends: list[tuple[dict[str, Any], dict[str, Any]]] = dataclasses.field(default_factory=list)

    def table(self):
        """One row per point: the values, objective, terms, portfolio and quantities."""
        import pandas as pd

        return pd.DataFrame(self.points)

    def breakpoints(self) -> list[dict[str, Any]]:
        """The changes of portfolio, each with where it lies and what it changes from and to."""
        return list(self.breaks)

    def shown_columns(self) -> dict[str, list]:
        """The points as people read them, column by column: values (EUR bn for money),
        status, capex used (EUR bn), MW, people within reach (m), objective and portfolio."""
        def scaled(name, scale):
            return [None if point[name] is None else point[name] / scale
                    for point in self.points]

        shown = {key: [shown_value(key, point[key]) for point in self.points]
                 for key in self.keys}
        shown["status"] = [point["status"] for point in self.points]
        shown["capex (EUR bn)"] = scaled("capex_eur", 1e9)
        shown["MW"] = scaled("power_mw", 1)
        shown["people (m)"] = scaled("people", 1e6)
        shown["objective"] = [point["objective"] for point in self.points]
        shown["portfolio"] = [point["portfolio"] for point in self.points]
        return shown

    def shown_table(self):
        """:meth:`shown_columns` as a table."""
        import pandas as pd

        return pd.DataFrame(self.shown_columns())

    def named_sites(self) -> list[str]:
        """Every site in a portfolio of the sweep or of its breakpoints."""
        labels = [point["portfolio"] for point in self.points]
        return labelled_sites(labels + [row[end] for row in self.breaks for end in ("from", "to")])

    def breakpoint_lines(self) -> list[str]:
        """``budget.total_eur from EUR 12.234 bn: A, B -> A, C``: one line per breakpoint; a
        change found by bisection, or not refined, lies ``between`` two values, and a tie
        says so."""
        key = self.keys[0]
        lines = []
        for row in self.breaks:
            notes = [f"with {k} = {shown_value(k, row[k])}" for k in self.keys[1:]]
            if row["found"] == "exact" and key in LIMIT_USE:   # what the new one uses
                where = f"{key} from {exact_value(key, row['high'])}"
            elif row["found"] == "exact" and key in WEIGHT_TERM:   # where both score the same
                where = f"{key} from {row['high']:.6g}"
                notes.append("both score the same there")
            elif row["found"] == "exact":   # just above what the old one keeps of a floor
                where = f"{key} above {row['low']:.6g}"
            else:
                where = (f"{key} between {shown_value(key, row['low'])} and "
                         f"{shown_value(key, row['high'])}")
            tie = " (equal objectives: a tie, settled differently)" * (row["found"] == "tie")
            others = f" ({'; '.join(notes)})" if notes else ""
            lines.append(f"{where}{others}: {row['from'] or 'none'} -> {row['to'] or 'none'}"
                         f"{tie}")
        return lines

    def breakpoint_heading(self) -> str:
        """``The portfolio changes at 3 points:``, or ``The portfolio is the same at every
        point.`` when it never changes (or that the sweep has one point)."""
        count = len(self.breaks)
        if len(self.points) == 1:
            return "The sweep has one point: give more values to see where the portfolio changes."
        if not count:
            return "The portfolio is the same at every point."
        return f"The portfolio changes at {count} point{'s' if count != 1 else ''}:"

    def to_json(self) -> str:
        return json.dumps({"model": self.model, "keys": self.keys, "points": self.points,
                           "breakpoints": self.breaks}, indent=2)

    def drawn(self):
        """How a figure draws the points along the first key (for the first value of each
        other key; EUR in bn).

        Along a limit or a floor (the budget, the total power, ``access.max_km``,
        ``access.min_country_share``) a portfolio's figures do not depend on the key, so
        with the :attr:`ends` of each change each portfolio is drawn flat over the values it
        is optimal at and each change found exactly is a step: the lines give the optimum at
        every value. Along a term's weight a portfolio's objective is a straight line in
        it, so with the ends the lines are again the optimum at every value, a change a kink
        of the objective and a step of the other figures. A change placed only between two
        values (or a tie, settled either way along it) breaks them there. Along other keys,
        or without the ends, the lines are :func:`_drawn_between`'s: none crosses a change of
        portfolio.

        Returns
        -------
        frame : pandas.DataFrame
            The points drawn, in sweep order (:meth:`table`'s rows).
        x : pandas.Series
            Their values of the first key (EUR bn for money).
        changes : list of tuple
            ``(low, high)`` of each change of portfolio among them, in the same unit.
        line : callable
            From a function of a table of rows (``frame``'s columns) to its values, to the
            ``(x, y)`` a line is drawn through (NaN where it breaks).
        marks : list of int
            Where in those the points of ``frame`` are (for ``markevery``).
        found : list of str or None
            How each change among them was found (``"exact"``: a step of the lines, else a
            gap in them), or None where the lines stop short of each change instead.
        """
        import pandas as pd

        key = self.keys[0]
        frame = self.table()
        if len(self.keys) > 1:  # one line per first-key run: show the first value of the others
            first = {k: frame[k].iloc[0] for k in self.keys[1:]}
            frame = frame[np.logical_and.reduce([frame[k] == v for k, v in first.items()])]
        scale = 1e9 if key.endswith("_eur") else 1
        x = frame[key] / scale
        shown = [index for index, row in enumerate(self.breaks)
                 if all(row[k] == frame[k].iloc[0] for k in self.keys[1:])]
        changes = [(self.breaks[i]["low"] / scale, self.breaks[i]["high"] / scale)
                   for i in shown]
        held = key in LIMIT_USE or key in FLOOR_KEPT
        if not ((held or key in WEIGHT_TERM) and len(self.ends) == len(self.breaks)):
            between, marks = _drawn_between(x.to_numpy(dtype=float), changes, held)
            return (frame, x, changes, lambda of: between(of(frame)), marks, None)
        # the points and each change's two ends, in order along the key; a row of None
        # breaks the line
        drawn = [(at, 0, row) for at, (_, row) in zip(x, frame.iterrows())]
        for index, (low, high) in zip(shown, changes):
            old, new = self.ends[index]
            drawn.append((low, 1, old))
            if self.breaks[index]["found"] != "exact":
                drawn.append((low, 2, None))
            drawn.append((high, 3, new))
        drawn.sort(key=lambda item: item[:2])
        rows = pd.DataFrame([{} if row is None else dict(row) for _, _, row in drawn],
                            columns=frame.columns)
        xs = np.array([np.nan if row is None else at for at, _, row in drawn], dtype=float)
        marks = [position for position, (_, order, _) in enumerate(drawn) if order == 0]

        def line(of) -> tuple[np.ndarray, np.ndarray]:
            return xs, pd.to_numeric(of(rows), errors="coerce").to_numpy(dtype=float)

        return frame, x, changes, line, marks, [self.breaks[i]["found"] for i in shown]

    def plot(self, ax=None):
        """What the answer gives (people within reach, capex used) and its objective, term by
        term as weighted (cost subtracted), against the first key, drawn as :meth:`drawn`
        says (along a limit, a floor or a term's weight, the optimum at every value: a step
        at each change of portfolio; else a dotted line at each change, which no line
        crosses), with the portfolio named above each value where it differs from the one
        before.

        Returns
        -------
        matplotlib Axes
            The objective's axes (with ``ax`` given, only they are drawn).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            fig, (top, ax) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True,
                                          layout="constrained", height_ratios=(1, 1.4))
        else:
            top = None
        key = self.keys[0]
        money = key.endswith("_eur")
        frame, x, changes, line, marks, found = self.drawn()
        drawn_for = "; ".join([self.model] + [f"{k} = {shown_value(k, frame[k].iloc[0])}"
                                              for k in self.keys[1:]])
        ax.plot(*line(lambda rows: rows["objective"]), color="#000000", linewidth=2.2,
                marker="o", markersize=3, markevery=marks,
                label="objective (sum of the lines below)", gid="objective")
        for term in TERMS:
            swept = f"weights.{term}" in frame   # its weight, point by point
            weight = (frame[f"weights.{term}"].to_numpy(dtype=float) if swept
                      else self.weights.get(term, 0.0))
            if np.any(np.asarray(weight) > 0):
                sign = -1.0 if term == "cost" else 1.0
                times = "the swept weight" if swept else f"{weight:g}"
                label = (f"{term} x {times}" if term != "cost"
                         else f"cost x {times}, subtracted")
                if swept:
                    def weighted(rows, term=term, sign=sign):
                        return sign * rows[f"weights.{term}"].astype(float) * rows[term]
                else:
                    def weighted(rows, term=term, factor=sign * weight):
                        return factor * rows[term].astype(float)
                ax.plot(*line(weighted), color=TERM_COLOURS[term],
                        linewidth=1.2, marker="o", markersize=2, markevery=marks,
                        linestyle="--" if term == "cost" else "-", label=label,
                        gid=f"term:{term}")
        ax.axhline(0, color="#777777", linewidth=0.6)
        ax.set_ylabel("objective points (weight x term)")
        unit = unit_of(key)
        ax.set_xlabel(f"{key} (EUR bn)" if money else f"{key} ({unit})" if unit else key)
        # every swept value in view (one without a portfolio has no line to scale to), with
        # room for the names of the first and last portfolios
        pad = 0.08 * (x.max() - x.min()) or 0.5
        ax.set_xlim(x.min() - pad, x.max() + pad)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
        shown = [ax]
        if top is not None:
            top.plot(*line(lambda rows: rows["people"] / 1e6), color="#0072B2", linewidth=2,
                     marker="o", markersize=3, markevery=marks, gid="people")
            top.set_ylabel("people within reach (m)", color="#0072B2")
            right = top.twinx()
            right.plot(*line(lambda rows: rows["capex_eur"] / 1e9), color="#D55E00",
                       linewidth=1.5, marker="o", markersize=3, markevery=marks,
                       linestyle="--", gid="capex")
            right.set_ylabel("capex used (EUR bn)", color="#D55E00")
            count = len(changes)   # those drawn: along the first value of the other keys
            plural = "s" if count != 1 else ""
            how = (f"dotted line{plural}; no line crosses one" if found is None else
                   "each a step of the lines" if set(found) <= {"exact"} else
                   "a step of the lines where found exactly, else a gap")
            said = (f"{count} change{plural} of portfolio ({how})\nabove each value, its "
                    f"portfolio where it differs from the one before" if count else
                    "one value\n(its portfolio named above it)" if len(frame) == 1 else
                    "the portfolio is the same at every value\n(named above the first)")
            top.set_title(f"Sweep of {key} ({drawn_for}): {said}", loc="left", fontsize=10,
                          parse_math=False)
            shown.append(top)
        else:
            ax.set_title(f"Sweep of {key} ({drawn_for})", loc="left", fontsize=10,
                         parse_math=False)
        for _, change in changes if found is None else ():
            for axes in shown:
                axes.axvline(change, color="#aaaaaa", linestyle=":", linewidth=0.8,
                             gid="breakpoint")
        # the portfolio at each value where it changed, written upwards in a band on top
        label_axes = top if top is not None else ax
        low, high = label_axes.get_ylim()
        label_axes.set_ylim(low, high + (high - low) * 1.3)
        labelled = 0
        for value, (_, row) in zip(x, frame.iterrows()):
            if row["changed"] or row.name == frame.index[0]:
                # two rows of names, alternating, so that neighbours do not overlap
                label_axes.text(value, high + (high - low) * (0.05 if labelled % 2 else 0.68),
                                _portfolio_lines(row), fontsize=6.5,
                                va="bottom", ha="center", color="#333333", parse_math=False,
                                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85,
                                      "pad": 1}, gid="portfolio")
                labelled += 1
        return ax


def _drawn_between(x: np.ndarray, changes: list[tuple[float, float]], held: bool):
    """A function from a series over the swept values ``x`` (in sweep order) to the ``(x, y)``
    its line is drawn through, given the changes of portfolio ``(low, high)`` (the old
    portfolio proven at ``low``, the new at ``high``).

    Between two values with a change in between, the values belong to portfolios no grid
    value was solved at, so no line crosses the change. A constraint that values nothing
    (``held``: the budget, a power or distance limit, a floor) leaves every term of a
    portfolio as it is, so each value's line is drawn on, flat, to the last value its
    portfolio is proven at; for other keys (a weight, the radius) it stops at the value.

    Returns
    -------
    line : callable
        Series -> ``(x, y)``.
    marks : list of int
        Where in those the swept values are (for ``markevery``: a marker at each value, none
        where a line is drawn on).

    >>> line, marks = _drawn_between(np.array([1.0, 2.0, 3.0]), [(2.4, 2.5)], held=True)
    >>> [[float(v) for v in part] for part in line(np.array([10.0, 10.0, 20.0]))], marks
    ([[1.0, 2.0, 2.4, nan, 3.0], [10.0, 10.0, 10.0, nan, 20.0]], [0, 1, 4])
    >>> line, marks = _drawn_between(np.array([1.0, 2.0, 3.0]), [(2.4, 2.5)], held=False)
    >>> [[float(v) for v in part] for part in line(np.array([10.0, 10.0, 20.0]))], marks
    ([[1.0, 2.0, nan, 3.0], [10.0, 10.0, nan, 20.0]], [0, 1, 3])
    """
    layout: list[tuple[float, int | None]] = []   # (x, the value whose y it takes)
    for i, at in enumerate(x):
        layout.append((at, i))
        if i + 1 == len(x):
            break
        lo, hi = sorted((at, x[i + 1]))
        crossed = [low for low, high in changes if lo < high <= hi]
        if crossed:
            if held:   # on to where its portfolio is last proven, towards the next value
                layout.append((min(crossed) if x[i + 1] > at else max(crossed), i))
            layout.append((np.nan, None))
    xs = np.array([at for at, _ in layout])
    source = [i for _, i in layout]
    marks = [position for position, (at, i) in enumerate(layout)
             if i is not None and at == x[i]]

    def line(values) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(values, dtype=float)
        return xs, np.array([np.nan if i is None else values[i] for i in source])

    return line, marks


def _portfolio_lines(point) -> str:
    """A point's portfolio for the figure, a gigafactory a line (``none`` when nothing is
    funded; a value where no portfolio keeps the rules says so)."""
    if point["status"] == "infeasible":
        return "no portfolio\nkeeps the\nlimits"
    return (point["portfolio"] or "none").replace(", ", "\n")


def _tolerance(key: str, values: list[float]) -> float:
    """How narrow a breakpoint's interval is made: 1 for whole numbers, else 1 % of the
    smallest step, and for money at least EUR 10 m."""
    if isinstance(values[0], int):
        return 1
    steps = np.diff(sorted(set(values)))
    share = REFINE_SHARE * float(steps.min()) if len(steps) else 0.0
    return max(REFINE_EUR, share) if key.endswith("_eur") else share


class End(NamedTuple):
    """One solve at a value of the swept key: what a search of a neighbouring value may
    ``start`` from, what the portfolio ``uses`` of the key (its field of :data:`LIMIT_USE`
    or :data:`FLOOR_KEPT`; EUR, MW, km or a share) and its ``point`` (a row as
    :attr:`Sweep.points` has them, :func:`_point`)."""

    start: Any
    uses: float | None
    point: dict[str, Any]

    @property
    def label(self) -> str:
        """The portfolio (:func:`portfolio_label`)."""
        return self.point["portfolio"]


class Change(NamedTuple):
    """A change of portfolio in (``low``, ``high``], found ``how`` (``"exact"``, ``"tie"``
    or ``"between"``), from the portfolio of the row ``old_point`` to that of ``new_point``
    (rows of :func:`_point`)."""

    low: float
    high: float
    how: str
    old_point: dict[str, Any]
    new_point: dict[str, Any]


def _change(low, high, old: End, new: End, how: str) -> Change:
    return Change(low, high, how, old.point, new.point)


def _point(values: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """The row of one solve at the keys' ``values``: status, objective, terms, portfolio and
    what it gives and uses (:func:`~siteopt.analysis.engine.solve_summary`)."""
    return {**values, "status": summary["status"], "objective": summary["objective"],
            **{t: summary["terms"].get(t) for t in TERMS}, "portfolio": portfolio_label(summary),
            "capex_eur": summary["capex_eur"], "power_mw": summary["power_mw"],
            "people": summary["people"], "farthest_km": summary["farthest_km"],
            "least_share": summary["least_share"]}


def _refine(solve_at, low, low_end, high, high_end, tolerance, whole: bool):
    """The changes of portfolio in (low, high], each narrowed to ``tolerance`` by bisection.

    ``low_end`` and ``high_end`` are the :class:`End` of the solves at ``low`` and ``high``;
    ``solve_at(value, start)`` solves another value. Returns a list of :class:`Change`, each
    ``"between"``.
    """
    if high - low <= tolerance or (whole and high - low <= 1):
        return [_change(low, high, low_end, high_end, "between")]
    middle = (low + high) // 2 if whole else (low + high) / 2
    middle_end = solve_at(middle, low_end.start)
    found = []
    if middle_end.label != low_end.label:
        found += _refine(solve_at, low, low_end, middle, middle_end, tolerance, whole)
    if middle_end.label != high_end.label:
        found += _refine(solve_at, middle, middle_end, high, high_end, tolerance, whole)
    return found


#: Just below what a portfolio uses of a limit, as a share of it: beyond the rules'
#: tolerance (:data:`~siteopt.model.selection.LIMIT_TOLERANCE`, 1e-9) ...
BELOW_USE = 1e-7
#: ... and at least this far below it, beyond :data:`~siteopt.geometry.DISTANCE_TOLERANCE_KM`
#: for a distance (km; EUR and MW are whole, so 0.01 below them changes nothing).
BELOW_KM = 10 * DISTANCE_TOLERANCE_KM

#: The limits a portfolio uses a measured amount of, and the summary field that measures it
#: (EUR, MW, km): their changes of portfolio are found exactly (:func:`_limit_changes`).
#: ``access.max_km`` only from a value above 0 (0: no limit).
LIMIT_USE = {"budget.total_eur": "capex_eur", "limits.total_power_mw": "power_mw",
             "access.max_km": "farthest_km"}


def _limit_changes(solve_at, low, low_end, high, high_end):
    """The changes of portfolio in (low, high] of a limit of :data:`LIMIT_USE` (the budget,
    EUR, the total power, MW, or the farthest place from a member site, km), exactly, in one
    solve each.

    The portfolio optimal at limit b stays optimal for every limit from what it uses of it, c
    (its capital cost, its power, or its farthest place's distance), up to b (the feasible
    portfolios only shrink, and it is among them), and breaks it below c: so the last change
    in (low, high] is at c exactly, and the ones before it lie in (low, c).

    If the new portfolio uses no more than ``low``, it was within the limit at ``low`` too,
    where the old one was chosen: both score the same on all of (low, high], and the row says
    ``"tie"`` instead of ``"exact"``.

    ``low_end`` and ``high_end`` are the :class:`End` of the solves at ``low`` and ``high``;
    ``solve_at(value, start)`` solves at another value of the limit. Returns a list of
    :class:`Change`, each ``"exact"`` or ``"tie"``.
    """
    found = []
    while high_end.label != low_end.label:
        used = high_end.uses
        if used <= low:
            found.append(_change(low, high, low_end, high_end, "tie"))
            break
        below = min(used * (1 - BELOW_USE), used - BELOW_KM)
        new_end = high_end
        high, high_end = below, solve_at(below, new_end.start)
        found.append(_change(below, used, high_end, new_end, "exact"))
    return found[::-1]


#: The floors a portfolio keeps a measured amount above, and the summary field that measures
#: it (a share of people): their changes are found exactly too (:func:`_floor_changes`).
FLOOR_KEPT = {"access.min_country_share": "least_share"}
#: Just above what a portfolio keeps of a floor: beyond the rule's tolerance (1e-12).
ABOVE_SHARE = 1e-10


def _floor_changes(solve_at, low, low_end, high, high_end):
    """The changes of portfolio in (low, high] of a floor of :data:`FLOOR_KEPT` (the share of
    every member state's people within R), exactly, in one solve each.

    The portfolio optimal at floor a stays optimal for every floor from a up to what it
    keeps, k (the feasible portfolios only shrink, and it is among them), and breaks any
    floor above k: so the first change in (low, high] is just above k, and the ones after it
    lie beyond. The mirror of :func:`_limit_changes`; each :class:`Change` lies in (k, just
    above k], ``"exact"``, or in (low, high], ``"tie"``, where the old portfolio keeps the
    floor at ``high`` too, so both score the same on all of (low, high].
    """
    found = []
    while low_end.label != high_end.label:
        kept = low_end.uses
        if kept >= high:
            found.append(_change(low, high, low_end, high_end, "tie"))
            break
        above = max(kept * (1 + BELOW_USE), kept + ABOVE_SHARE)
        old_end = low_end
        low, low_end = above, solve_at(above, old_end.start)
        found.append(_change(kept, above, old_end, low_end, "exact"))
    return found


#: The term weights: a portfolio's objective is a straight line in each, its slope the term
#: (less the term for cost), so their changes are found exactly (:func:`_weight_changes`).
WEIGHT_TERM = {f"weights.{term}": term for term in TERMS}


def _weight_changes(solve_at, key, low_end, high_end, only: str | None = None):
    """The changes of portfolio between the :class:`End` ``low_end`` and ``high_end`` of
    two solves along the term weight ``key`` (of :data:`WEIGHT_TERM`), exactly; with
    ``only`` = ``"first"`` or ``"last"``, the first or the last of them alone (fewer solves).

    Every other number of the model held, a portfolio's objective at weight w is
    :math:`v + s t (w - w_0)` (t its term, s = -1 for cost, else 1; v its objective at
    :math:`w_0`), and the optimum, the largest of these lines over the portfolios, is convex
    in w (Eisner and Severance 1976). The lines of the two ends cross at one weight c. A solve
    at c scoring no more than their value there proves the change is at c (between two points
    of a convex function each line bounds it from above on its side, so the old portfolio is
    optimal up to c and the new one from c on, both at c); else the portfolio found at c is
    optimal between them, and both sides are looked at again. Parallel lines score the same
    all along: a tie.

    ``solve_at(value, start)`` solves at another weight. Returns a list of :class:`Change`,
    each ``"exact"`` (``low`` = ``high`` = c, each portfolio's row valued there), ``"tie"``,
    or ``"between"`` the two ends where an end or the solve at c was not proven optimal (a
    time limit).
    """
    sign = -1.0 if WEIGHT_TERM[key] == "cost" else 1.0

    def slope(end: End) -> float:
        return sign * end.point[WEIGHT_TERM[key]]

    def value(end: End, at: float) -> float:   # its objective at weight ``at``
        return end.point["objective"] + slope(end) * (at - end.point[key])

    low, high = low_end.point[key], high_end.point[key]
    if not low_end.point["status"] == high_end.point["status"] == "optimal":
        # an end not proven optimal proves nothing: say only where the change may lie
        return [_change(low, high, low_end, high_end, "between")]
    if low_end.label == high_end.label:
        return []
    if abs(slope(low_end) - slope(high_end)) <= NEAR_OPTIMAL:
        return [_change(low, high, low_end, high_end, "tie")]
    crossing = (value(high_end, 0.0) - value(low_end, 0.0)) / (slope(low_end) - slope(high_end))
    crossing = min(max(crossing, low), high)
    middle_end = solve_at(crossing, low_end.start)
    if middle_end.point["status"] != "optimal":   # no proof there: say only where it lies
        return [_change(low, high, low_end, high_end, "between")]
    level = max(value(low_end, crossing), value(high_end, crossing))
    if middle_end.point["objective"] <= level + NEAR_OPTIMAL * max(1.0, abs(level)):
        def at_crossing(end: End) -> dict[str, Any]:
            return {**end.point, key: crossing, "objective": value(end, crossing)}

        return [Change(crossing, crossing, "exact", at_crossing(low_end),
                       at_crossing(high_end))]
    return ((_weight_changes(solve_at, key, low_end, middle_end, only)
             if only != "last" else [])
            + (_weight_changes(solve_at, key, middle_end, high_end, only)
               if only != "first" else []))


#: Solves to expect in refining one interval in which the portfolio changes (to decide where
#: the intervals run: :func:`~siteopt.analysis.engine.run_tasks`).
REFINE_SOLVES = 2


@dataclass(frozen=True)
class Interval:
    """Two neighbouring points of a sweep along its first key, ``key``, between which the
    portfolio changes: ``before`` and ``after`` (their rows of :attr:`Sweep.points`), with
    the other keys at ``fixed``; ``tolerance`` and ``whole`` as for :func:`_refine`."""

    key: str
    fixed: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    tolerance: float
    whole: bool


def interval_changes(model, data, interval: Interval) -> list[Change]:
    """The changes of portfolio in an :class:`Interval`, each found by exact solves of
    ``model`` on ``data`` (the loaded data set): exactly along a limit or floor
    (:func:`_limit_changes`, :func:`_floor_changes`) or a term's weight
    (:func:`_weight_changes`), else by bisection (:func:`_refine`).

    Returns
    -------
    list of Change
        Each change, in order.
    """
    from siteopt.analysis.engine import solve_summary

    key, before, after = interval.key, interval.before, interval.after
    used = {**LIMIT_USE, **FLOOR_KEPT}.get(key, "capex_eur")   # what a portfolio uses of key

    def solve_at(value, start):
        values = {**interval.fixed, key: value}
        summary, next_start = solve_summary(model, data, values, start)
        return End(next_start, summary[used], _point(values, summary))

    low_end, high_end = End(None, before[used], before), End(None, after[used], after)
    if key in LIMIT_USE and after[used] is not None and before[key] > 0:
        return _limit_changes(solve_at, before[key], low_end, after[key], high_end)
    if key in FLOOR_KEPT and before[used] is not None:
        return _floor_changes(solve_at, before[key], low_end, after[key], high_end)
    if key in WEIGHT_TERM:
        return _weight_changes(solve_at, key, low_end, high_end)
    return _refine(solve_at, before[key], low_end, after[key], high_end, interval.tolerance,
                   interval.whole)


def sweep(varies: list[str], model=None, data=None, scheduler: str | None = None,
          workers: int | None = None, refine: bool = True, **overrides) -> Sweep:
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
    refine : bool
        Bisect each change of portfolio along the first key (see the module docstring).

    Returns
    -------
    Sweep
    """
    from siteopt.analysis.engine import CHAIN_LENGTH, run_solves, run_tasks, timed
    from siteopt.api import resolve_model
    from siteopt.data import load_data

    varies = [varies] if isinstance(varies, str) else list(varies)
    if not varies:
        raise ConfigError("give at least one --vary KEY=START:STOP:STEP (or KEY=A,B,C)")
    cfg = resolve_model(model, overrides)
    parsed = [parse_vary(text) for text in varies]
    keys = [key for key, _ in parsed]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--vary names a key twice: {', '.join(keys)}")
    for key, values in parsed:   # each value checked here, before any worker starts
        for value in values:
            apply_overrides(cfg, {key: value}, origin="--vary")
    size = math.prod(len(values) for _, values in parsed)
    if size > MAX_POINTS:   # (said before the grid is built: three keys of 2,000 are 8 billion)
        raise ConfigError(f"the sweep has {size:,} points, more than {MAX_POINTS:,}; use "
                          f"larger steps")
    # the first key varies fastest, so consecutive points differ along it
    grid = [tuple(reversed(values))
            for values in itertools.product(*[values for _, values in reversed(parsed)])]
    tasks = [dict(zip(keys, values)) for values in grid]
    dataset = load_data(data).without_geometry()   # for the points and the refinement
    summaries, seconds = timed(run_solves, cfg, dataset, tasks, scheduler, workers,
                               CHAIN_LENGTH)
    points = []
    for task, summary in zip(tasks, summaries):
        point = _point(task, summary)
        previous = points[-1] if points else None
        same_line = previous is not None and all(previous[k] == task[k] for k in keys[1:])
        points.append({**point, "changed": bool(same_line
                                                and previous["portfolio"] != point["portfolio"])})
    key, tolerance = keys[0], _tolerance(keys[0], parsed[0][1])
    whole = isinstance(parsed[0][1][0], int)
    intervals = [Interval(key, {k: after[k] for k in keys[1:]}, before, after, tolerance,
                          whole) for before, after in zip(points, points[1:]) if after["changed"]]
    if refine:   # each interval on its own (independent: the same changes wherever it runs)
        found = run_tasks(interval_changes, cfg, dataset, intervals, scheduler, workers,
                          REFINE_SOLVES * seconds / len(tasks), "changes of portfolio")
    else:
        found = [[Change(i.before[key], i.after[key], "between", i.before, i.after)]
                 for i in intervals]
    changes = [(interval, change) for interval, changes in zip(intervals, found)
               for change in changes]
    breaks = [{**interval.fixed, "low": change.low, "high": change.high,
               "from": change.old_point["portfolio"], "to": change.new_point["portfolio"],
               "from_objective": change.old_point["objective"],
               "to_objective": change.new_point["objective"], "refined": refine,
               "found": change.how} for interval, change in changes]
    ends = [({**change.old_point, key: change.low, "changed": False},
             {**change.new_point, key: change.high, "changed": True}) for _, change in changes]
    weights = {term: getattr(cfg.weights, term) for term in TERMS}
    return Sweep(keys, points, cfg.description, breaks, weights, ends)
