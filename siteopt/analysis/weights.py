"""How far each term's weight may move, the others held, before the optimum changes.

The weights say what matters to whom, and are what a committee argues about. Every other
number of the model held, a portfolio's objective is a straight line in one weight, and the
optimum, the highest of these lines, is convex in it; so the weights at which today's answer
stops being optimal are found exactly, each where two portfolios' lines cross, by the search
of :func:`~siteopt.analysis.sweep._weight_changes` from the weight's current value towards 0
and towards :data:`UPTO` (one solve at each end, one per change proven and per portfolio
found in between). Each weight is one task (:func:`~siteopt.analysis.engine.run_tasks`: here,
or on Dask when the work pays for it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from siteopt.errors import InfeasibleError
from siteopt.model import TERMS

#: By default each weight is looked at up to this value (or its own, when higher).
UPTO = 1.0
#: Solves to expect for one weight (for where the tasks run).
SOLVES_PER_WEIGHT = 5


@dataclass(frozen=True)
class WeightRanges:
    """For each term's weight, the values over which today's optimum stays optimal.

    Attributes
    ----------
    portfolio : str
        Today's optimum (``A, B+C``).
    rows : list of dict
        Per weight (``weights.coverage``...): ``weight`` (its value in the model), ``low``
        and ``high`` (today's optimum is optimal for every value from ``low`` to ``high``,
        the other weights held), ``below`` and ``above`` (the portfolio optimal just beyond
        each end; None where the end is the end of the range looked at, or not proven),
        ``low_found``
        and ``high_found``: ``"exact"`` (two portfolios score the same there), ``"end"``
        (the end of the range looked at, 0 or ``upto``) or ``"between"`` (a solve on the
        way was not proven optimal: the change lies somewhere in ``low_change`` or
        ``high_change``), and ``low_change`` and ``high_change``: where the change lies,
        ``[a, b]`` (a = b where exact; None at an end).
    model : str
    upto : float
        The largest weight looked at (below a weight's own value, that value).
    """

    portfolio: str
    rows: list[dict[str, Any]]
    model: str
    upto: float

    def table(self):
        """:attr:`rows` as a table."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def shown(self):
        """The ranges for reading: one row per weight, values to 4 decimals, the portfolios
        beyond each end (``-`` where none changes it within the range looked at, ``not
        proven`` where a solve stopped at its time limit)."""
        import pandas as pd

        def end(row, side):
            if row[f"{side}_found"] == "between":   # a solve in it was not proven optimal
                low, high = row[f"{side}_change"]
                return f"between {low:.4f} and {high:.4f}"
            if row[f"{side}_found"] == "end":
                return f"{row[side]:g} (end)"
            return f"{row[side]:.4f}"

        def beyond(row, side):
            if row[f"{side}_found"] == "between":
                return "not proven"
            return row["below" if side == "low" else "above"] or "-"

        return pd.DataFrame({
            "weight": [row["key"].removeprefix("weights.") for row in self.rows],
            "now": [f"{row['weight']:g}" for row in self.rows],
            "holds from": [end(row, "low") for row in self.rows],
            "to": [end(row, "high") for row in self.rows],
            "optimal below": [beyond(row, "low") for row in self.rows],
            "optimal above": [beyond(row, "high") for row in self.rows]})

    def named_sites(self) -> list[str]:
        """Every site of today's optimum and of the portfolios beyond the ranges."""
        from siteopt.analysis.sweep import labelled_sites

        return labelled_sites([self.portfolio] + [row[side] for row in self.rows
                                                  for side in ("below", "above")])

    def summary_lines(self, answer: str = "Today's answer") -> list[str]:
        """What the ranges say, in plain sentences: the answer (called ``answer``), how far
        each weight may move, and the nearest change."""
        lines = [f"{answer} ({self.portfolio or 'no gigafactory'}; model {self.model}) "
                 f"stays optimal while one weight moves within its range below, the others "
                 f"held (each weight looked at from 0 to {self.upto:g}; each end proven by "
                 f"exact solves where two portfolios score the same)."]
        moves = [(abs(row[side] - row["weight"]), row, side) for row in self.rows
                 for side in ("low", "high") if row[f"{side}_found"] == "exact"]
        unproven = [f"{row['key']} {'down' if side == 'low' else 'up'} (somewhere between "
                    f"{row[f'{side}_change'][0]:.4f} and {row[f'{side}_change'][1]:.4f})"
                    for row in self.rows for side in ("low", "high")
                    if row[f"{side}_found"] == "between"]
        if moves:
            distance, row, side = min(moves, key=lambda move: move[0])
            other = row["below" if side == "low" else "above"]
            lines.append(f"The nearest change: {row['key']} {'down' if side == 'low' else 'up'}"
                         f" by {distance:.4f}, from {row['weight']:g} to {row[side]:.4f}, "
                         f"makes {other} optimal.")
        elif not unproven:
            lines.append("No weight changes the answer within the range looked at.")
        if unproven:
            lines.insert(0, f"Not proven: a solve stopped at its time limit, so these changes "
                            f"are only placed: {', '.join(unproven)}; raise "
                            f"solver.time_limit_s.")
        return lines

    def to_json(self) -> str:
        return json.dumps({"model": self.model, "portfolio": self.portfolio,
                           "upto": self.upto, "weights": self.rows}, indent=2)


def weight_ranges(model=None, data=None, upto: float = UPTO, scheduler: str | None = None,
                  workers: int | None = None, **overrides) -> WeightRanges:
    """How far each term's weight may move, the others held, before today's optimum changes
    (see the module docstring).

    Parameters
    ----------
    model, data, **overrides
        As for :func:`siteopt.solve`.
    upto : float
        The largest weight looked at (a weight above it: its own value).
    scheduler, workers
        Where the weights' solves run (:func:`~siteopt.analysis.engine.solve_pool`).

    Returns
    -------
    WeightRanges

    Raises
    ------
    InfeasibleError
        When no portfolio keeps the model's rules (no weight changes that).
    """
    from siteopt.analysis.engine import run_tasks, solve_summary, timed
    from siteopt.analysis.sweep import portfolio_label
    from siteopt.api import resolve_model
    from siteopt.data import load_data

    cfg = resolve_model(model, overrides)
    dataset = load_data(data).without_geometry()
    now, seconds = timed(solve_summary, cfg, dataset, {})
    summary = now[0]
    if summary["status"] == "infeasible":
        raise InfeasibleError(summary["error"])
    items = [(f"weights.{term}", getattr(cfg.weights, term), summary, upto)
             for term in TERMS]
    rows = run_tasks(_range_of, cfg, dataset, items, scheduler, workers,
                     SOLVES_PER_WEIGHT * seconds, "weight ranges")
    return WeightRanges(portfolio_label(summary), rows, cfg.description, upto)


def _range_of(model, data, item) -> dict[str, Any]:
    """The range of one weight: ``item`` is its key, its value in ``model``, today's
    optimum's solve summary and the largest weight to look at."""
    from siteopt.analysis.engine import solve_summary
    from siteopt.analysis.sweep import End, _point, _weight_changes

    key, weight, summary, upto = item

    def solve_at(value, start=None):
        found, next_start = solve_summary(model, data, {key: value}, start)
        return End(next_start, None, _point({key: value}, found))

    today = End(None, None, _point({key: weight}, summary))
    row = {"key": key, "weight": weight}
    for side, end_value in (("low", 0.0), ("high", max(upto, weight))):
        beyond = "below" if side == "low" else "above"
        changes = []
        if end_value != weight:
            other = solve_at(end_value)
            changes = (_weight_changes(solve_at, key, other, today, only="last")
                       if side == "low" else
                       _weight_changes(solve_at, key, today, other, only="first"))
        # a tie scores the same all along: today's optimum holds to that end too
        changes = [change for change in changes if change.how != "tie"]
        if not changes:   # today's optimum all the way to the end looked at
            row.update({side: end_value, beyond: None, f"{side}_found": "end",
                        f"{side}_change": None})
            continue
        (change,) = changes
        exact = change.how == "exact"
        row.update({side: change.low if exact else weight,   # else proven at its own value
                    # past an end not proven, what is optimal is not known either
                    beyond: (change.old_point if side == "low" else change.new_point)[
                        "portfolio"] if exact else None,
                    f"{side}_found": "exact" if exact else "between",
                    f"{side}_change": [change.low, change.high]})
    return row
