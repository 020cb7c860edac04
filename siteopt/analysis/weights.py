"""How far each term's weight may move, the others held, before the optimum changes.

The weights say what matters to whom, and are what a committee argues about. Every other
number of the model held, a portfolio's objective is a straight line in one weight, and the
optimum, the highest of these lines, is convex in it; so the weights at which today's answer
stops being optimal are found exactly, each where two portfolios' lines cross, by the search
of :func:`~siteopt.analysis.sweep._weight_changes` from the weight's current value towards 0
and towards :data:`UPTO` (one solve at each end, one per change proven and per portfolio
found in between; for an access term first up to :data:`PROBE` of the way, and on to the end
only where no change lies within it). Each weight is one task
(:func:`~siteopt.analysis.engine.run_tasks`: here, or on Dask when the work pays for it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from siteopt.errors import InfeasibleError
from siteopt.terms import ACCESS_TERMS, TERMS

#: By default each weight is looked at up to this value (or its own, when higher).
UPTO = 1.0
#: Solves to expect for one weight (for where the tasks run).
SOLVES_PER_WEIGHT = 5
#: An access term's change is looked for first this fraction of the way from its weight to
#: the end of the range: most changes lie near the weight, and with the term weighted up to 1
#: the solve at the end is the longest (the shipped data's W and B changes, at 0.008 and
#: 0.083, are found without their solves at 1, 1.65 s and 1.96 s). The other terms' solves all
#: cost alike (about 0.03 s on the shipped data), so for them a probe would only add a solve.
PROBE = 1 / 8


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

    def nearest(self) -> tuple[float, dict, str] | None:
        """The smallest proven move of one weight that changes the answer: (its size, the
        weight's row, ``"low"`` or ``"high"``), or None when no end is a proven change."""
        moves = [(abs(row[side] - row["weight"]), row, side) for row in self.rows
                 for side in ("low", "high") if row[f"{side}_found"] == "exact"]
        return min(moves, key=lambda move: move[0]) if moves else None

    def plot(self, ax=None, answer: str = "today's answer"):
        """Each weight's range as a bar: today's answer (called ``answer``) stays optimal
        for every value the bar covers (the other weights held), the dot is the weight now,
        a dark end is a proven change (its value written beside it), an open end the end of
        the range looked at, a hatched stretch where a solve was not proven, and the nearest
        change in vermilion.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        rows = self.rows
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 0.42 * len(rows) + 1.9), layout="constrained")
        nearest = self.nearest()
        right = max([self.upto] + [row["high"] for row in self.rows])
        for y, row in zip(range(len(rows) - 1, -1, -1), rows):
            ax.barh(y, row["high"] - row["low"], left=row["low"], height=0.5,
                    color="#56B4E9", gid="weight-range")
            for side, align in (("low", "right"), ("high", "left")):
                found = row[f"{side}_found"]
                if found == "between":
                    start, stop = row[f"{side}_change"]
                    ax.barh(y, stop - start, left=start, height=0.5, color="none",
                            edgecolor="#999999", hatch="///", gid="not-proven")
                    continue
                if found != "exact":
                    continue
                first = nearest is not None and nearest[1] is row and nearest[2] == side
                colour = "#D55E00" if first else "#0B3C5D"
                ax.plot([row[side]] * 2, [y - 0.3, y + 0.3], color=colour, linewidth=2.5,
                        gid="nearest-change" if first else "change")
                gap = 0.008 * right * (-1 if side == "low" else 1)
                ax.text(row[side] + gap, y, f"{row[side]:.4f}" + (" nearest change"
                                                                   if first else ""),
                        ha=align, va="center", fontsize=8, color=colour, parse_math=False)
            ax.plot([row["weight"]], [y], "o", color="black", markersize=5, gid="weight-now")
        ax.set_yticks(range(len(rows) - 1, -1, -1),
                      [f"{row['key'].removeprefix('weights.')} (now {row['weight']:g})"
                       for row in rows])
        ax.set_xlim(-0.1 * right, right * 1.1)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(f"weight (the other weights held; each looked at from 0 to "
                      f"{self.upto:g}: a bar's end without a line is no change up to there)")
        found = {row[f"{side}_found"] for row in rows for side in ("low", "high")}
        handles = [Patch(color="#56B4E9", label=f"{answer} stays optimal"),
                   Line2D([], [], marker="o", color="black", linestyle="none",
                          label="the weight now")]
        for colour, label, shown in (("#0B3C5D", "the answer changes", "exact" in found),
                                     ("#D55E00", "the nearest change", nearest is not None)):
            if shown:
                handles.append(Line2D([], [], marker="|", color=colour, linestyle="none",
                                      markersize=12, markeredgewidth=2.5, label=label))
        if "between" in found:
            handles.append(Patch(facecolor="none", edgecolor="#999999", hatch="///",
                                 label="a change in here, not proven"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                  ncol=len(handles), frameon=False, fontsize=8)
        ax.set_title(f"Where {answer} stays optimal, one weight at a time\n"
                     f"{self.portfolio or 'no gigafactory'} (model {self.model})", loc="left",
                     fontsize=10, parse_math=False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return ax

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
        nearest = self.nearest()
        unproven = [f"{row['key']} {'down' if side == 'low' else 'up'} (somewhere between "
                    f"{row[f'{side}_change'][0]:.4f} and {row[f'{side}_change'][1]:.4f})"
                    for row in self.rows for side in ("low", "high")
                    if row[f"{side}_found"] == "between"]
        if nearest is not None:
            distance, row, side = nearest
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
    # the access terms' ranges first: each solves with its term weighted up to 1, the
    # longest solves, so the workers that take them do not leave the others waiting at the end
    terms = sorted(TERMS, key=lambda term: term not in ACCESS_TERMS)
    items = [(f"weights.{term}", getattr(cfg.weights, term), summary, upto) for term in terms]
    found = run_tasks(_range_of, cfg, dataset, items, scheduler, workers,
                      SOLVES_PER_WEIGHT * seconds, "weight ranges")
    rows = sorted(found, key=lambda row: TERMS.index(row["key"].removeprefix("weights.")))
    return WeightRanges(portfolio_label(summary), rows, cfg.description, upto)


def _range_of(model, data, item) -> dict[str, Any]:
    """The range of one weight: ``item`` is its key, its value in ``model``, today's
    optimum's solve summary and the largest weight to look at."""
    from siteopt.analysis.engine import solve_summary
    from siteopt.analysis.sweep import End, _change, _point, _weight_changes

    key, weight, summary, upto = item
    probed = key.removeprefix("weights.") in ACCESS_TERMS

    def solve_at(value, start=None):
        found, next_start = solve_summary(model, data, {key: value}, start)
        return End(next_start, None, _point({key: value}, found))

    def nearest_change(side: str, end_value: float) -> list:
        """The change nearest today's weight towards ``end_value`` (none, or one
        :class:`~siteopt.analysis.sweep.Change`); for an access term looked for first up to
        :data:`PROBE` of the way, then beyond."""
        near = End(None, None, _point({key: weight}, summary))
        probes = [weight + PROBE * (end_value - weight)] if probed else []
        for value in (*probes, end_value):
            far = solve_at(value)
            if far.point["status"] != "optimal":   # proves nothing: a change may lie anywhere
                # from the last weight proven to the end
                ends = (far, near) if side == "low" else (near, far)
                return [_change(*sorted((near.point[key], end_value)), *ends, "between")]
            changes = (_weight_changes(solve_at, key, far, near, only="last")
                       if side == "low" else
                       _weight_changes(solve_at, key, near, far, only="first"))
            # a tie scores the same all along: today's optimum holds to that end too
            changes = [change for change in changes if change.how != "tie"]
            if changes:
                return changes
            near = far   # optimal, or tied with today's optimum, up to here
        return []

    row = {"key": key, "weight": weight}
    for side, end_value in (("low", 0.0), ("high", max(upto, weight))):
        beyond = "below" if side == "low" else "above"
        changes = nearest_change(side, end_value) if end_value != weight else []
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
