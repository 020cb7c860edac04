r"""The exact Pareto front of two objective terms, by the epsilon-constraint method.

For terms X (``--x``) and Y (``--y``) every rule and limit of the model holds and the other
terms play no part. Cost is better when lower, every other term when higher; below, "more" of
cost means less of it. Each front point is found by two exact solves (lexicographic, so no
point is dominated):

1. maximise Y subject to :math:`X \ge \varepsilon`, giving :math:`Y^*`;
2. maximise X subject to :math:`X \ge \varepsilon` and :math:`Y \ge Y^*`.

The two ends come first: the most Y (then the most X), and the most X (then the most Y).
Then, gap by gap, the widest first, for neighbours a and b: maximise Y subject to X at
least the middle of the gap. A new point splits the gap in two; the answer b proves that
nothing lies in the gap's right half, and the next probe of that gap asks for
:math:`X \ge X_a + \delta` (:data:`STEP`): its answer is a's neighbour on the front, or b
itself, which closes the gap. When every gap is closed the front is **complete**; when N
points (``--points``) are found first, the front is a sample spread along its whole length
(``complete`` is False; a larger N gives more). Points less than :math:`\delta` apart in X
count as one.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from dataclasses import dataclass

import pandas as pd

from siteopt.config import whole
from siteopt.errors import ConfigError, SolverError
from siteopt.model import TERMS
from siteopt.model.formulation import build_model, term_expression
from siteopt.solvers import solve_instance
from siteopt.solvers.outcome import Status
from siteopt.solvers.via_pulp import solve_model
from siteopt.solvers.worst import refuse_whole_model
from siteopt.units import count

#: Smallest gain in X between two front points: points closer than this in X are one point
#: (well above the solvers' feasibility tolerance, 1e-7, and far below any real difference).
STEP = 1e-5
#: Bound of a row that is not in use: no term comes near it.
LOOSE = 1e6
#: Slack on Y* when the second solve keeps Y (solver tolerances, well below any real change).
KEEP = 1e-9

AXIS_LABELS = {
    "coverage": "coverage C (share of EU-27 people within reach)",
    "grid": "grid G (effective MW / (p x P))",
    "spread": "spread K (member states taking part / p)",
    "clean": "clean E (CO2-weighted clean MW / (p x P))",
    "green": "green R (renewable-weighted MW / (p x P))",
    "letters": "letters L (share of letters with a home)",
    "latency": "latency A (1 - mean km to the nearest member / D)",
    "worst": "worst W (1 - km of the worst-served point / D)",
    "backup": "backup B (share of people within reach of two gigafactories)",
    "fairness": "fairness F (lowest share of a member state within reach)",
    "cost": "cost X (lifetime cost / reference; lower is better)",
}


def _score(term: str, value: float) -> float:
    """A term as "higher is better": cost negated."""
    return -value if term == "cost" else value


@dataclass(frozen=True)
class FrontPoint:
    """One non-dominated portfolio.

    Attributes
    ----------
    x, y : float
        Its values of the two terms (un-weighted, as in the result's terms).
    objective : float
        Its objective under the model's weights.
    gigafactories : tuple of tuple of str
        Member site IDs of each gigafactory.
    """

    x: float
    y: float
    objective: float
    gigafactories: tuple[tuple[str, ...], ...]

    @property
    def label(self) -> str:
        """``ES-SFH, IT-BLQ+IT-GRO``, or ``none`` for the empty portfolio."""
        return ", ".join("+".join(members) for members in self.gigafactories) or "none"


@dataclass(frozen=True)
class ParetoFront:
    """The front, from the most Y to the most X.

    Attributes
    ----------
    x, y : str
        The two terms.
    points : list of FrontPoint
    complete : bool
        True when no non-dominated point was skipped (see the module docstring).
    requested : int
        The N of ``--points``.
    model : str
    today : FrontPoint or None
        The model's own answer (``siteopt solve``), for comparison with the front.
    units : dict
        Term -> (factor, axis label, amount format, noun): the term times ``factor`` is the
        quantity it measures (cost: EUR bn of lifetime cost; coverage: m people within R;
        grid: MW; spread: member states; ...).
    """

    x: str
    y: str
    points: list[FrontPoint]
    complete: bool
    requested: int
    model: str
    today: FrontPoint | None = None
    units: dict = dataclasses.field(default_factory=dict)

    def named_sites(self) -> list[str]:
        """Every member site of a front point or of today's answer."""
        points = self.points + ([self.today] if self.today is not None else [])
        return sorted({site for point in points for g in point.gigafactories for site in g})

    def quantity(self, term: str, value: float) -> float:
        """A term's value as the quantity it measures (see :attr:`units`)."""
        return value * self.units[term][0] if term in self.units else value

    def unit(self, term: str) -> str:
        """The axis label of a term's quantity."""
        return self.units[term][1] if term in self.units else AXIS_LABELS[term]

    def formats(self) -> dict[str, str]:
        """How :meth:`table`'s numbers are shown (command line, report)."""
        return {self.unit(self.x): ",.1f", self.unit(self.y): ",.1f", self.x: ".4f",
                self.y: ".4f", "objective": ".4f"}

    def table(self) -> pd.DataFrame:
        """One row per front point: X and Y as quantities (and as terms), the objective under
        the model's weights, the portfolio."""
        return pd.DataFrame([{self.unit(self.x): self.quantity(self.x, p.x),
                              self.unit(self.y): self.quantity(self.y, p.y),
                              self.x: p.x, self.y: p.y, "objective": p.objective,
                              "gigafactories": p.label} for p in self.points],
                            columns=[self.unit(self.x), self.unit(self.y), self.x, self.y,
                                     "objective", "gigafactories"])

    def against_today(self) -> str:
        """What today's answer gives up against the front, in the quantities: the front point
        that beats it (as good on both terms, better on one) by the most, or that it is on the
        front."""
        if self.today is None:
            return ""
        better = [p for p in self.points
                  if _score(self.x, p.x) >= _score(self.x, self.today.x) - 1e-12
                  and _score(self.y, p.y) >= _score(self.y, self.today.y) - 1e-12
                  and (p.x, p.y) != (self.today.x, self.today.y)]
        if not better:
            return (f"Today's answer ({self.today.label}) is on the front: no portfolio beats "
                    f"it on both {self.x} and {self.y}.")

        def gain(point):
            return (_score(self.x, point.x) - _score(self.x, self.today.x)) / max(
                abs(self.today.x), 1e-12) + (_score(self.y, point.y)
                                             - _score(self.y, self.today.y)) / max(
                abs(self.today.y), 1e-12)

        best = max(better, key=gain)
        number = self.points.index(best) + 1
        parts = [self._change(term, getattr(best, axis) - getattr(self.today, axis))
                 or f"the same {term}" for term, axis in ((self.x, "x"), (self.y, "y"))]
        return (f"Today's answer ({self.today.label}; the other terms weigh in it too) is "
                f"beaten by front point {number} ({best.label}): {' and '.join(parts)}, yet it "
                f"scores {self.today.objective - best.objective:.4f} less in the objective, "
                f"through the other terms." if best.objective < self.today.objective else
                f"Today's answer ({self.today.label}) is beaten by front point "
                f"{number} ({best.label}): {' and '.join(parts)}.")

    def _change(self, term: str, delta: float) -> str:
        """``EUR 24.0 bn less lifetime cost`` / ``12.3 m more people within 500 km``."""
        if term not in self.units:
            return (f"{abs(delta):.3g} {'more' if delta > 0 else 'less'} {term}"
                    if abs(delta) >= 1e-9 else "")
        factor, _, amount, noun = self.units[term]
        value = factor * abs(delta)
        if value < 1e-9:
            return ""
        fewer = "fewer" if term in ("coverage", "spread", "letters") else "less"
        return f"{amount.format(value)} {'more' if delta > 0 else fewer} {noun}"

    def to_json(self) -> str:
        today = None if self.today is None else {
            "x": self.today.x, "y": self.today.y, "objective": self.today.objective,
            "gigafactories": [list(g) for g in self.today.gigafactories]}
        return json.dumps({"model": self.model, "x": self.x, "y": self.y,
                           "today": today, "against_today": self.against_today(),
                           "complete": self.complete, "points_requested": self.requested,
                           "front": [{"x": p.x, "y": p.y, "objective": p.objective,
                                      "gigafactories": [list(g) for g in p.gigafactories]}
                                     for p in self.points]}, indent=2)

    def plot(self, ax=None):
        """The front in the quantities the terms measure (EUR bn, people, MW), each point
        numbered beside it with a leader line (the numbers are the table's rows), and today's
        answer marked with what the front offers against it.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        from siteopt.report.maps import place_labels

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 6), layout="constrained")
        xs = [self.quantity(self.x, p.x) for p in self.points]
        ys = [self.quantity(self.y, p.y) for p in self.points]
        ax.plot(xs, ys, color="#9ecae1", linewidth=1, zorder=2, drawstyle="default")
        ax.scatter(xs, ys, s=30, color="#0072B2", zorder=3, gid="front",
                   label="front: no portfolio beats a point on both")
        today = None if self.today is None else (self.quantity(self.x, self.today.x),
                                                 self.quantity(self.y, self.today.y))
        if today is not None:
            ax.scatter([today[0]], [today[1]], s=160, marker="*",
                       color="#D55E00", edgecolor="black", linewidth=0.6, zorder=5,
                       gid="today", label=f"today's answer ({self.model})")
        place_labels(ax, list(zip(xs, ys)), [str(n) for n in range(1, len(xs) + 1)],
                     fontsize=8, sizes=[30] * len(xs))
        ax.set_xlabel(self.unit(self.x))
        ax.set_ylabel(self.unit(self.y))
        for values, axis, set_limits in ((xs, 0, ax.set_xlim), (ys, 1, ax.set_ylim)):
            shown = values + ([today[axis]] if today is not None else [])
            if max(shown) - min(shown) < 1e-9:   # one value: an axis around it, from 0 up
                middle, half = shown[0], max(abs(shown[0]) * 0.1, 1.0)
                low = max(middle - half, 0.0) if middle >= 0 else middle - half
                margin = 0.05 * (middle + half - low)   # off the frame, as matplotlib's own
                set_limits(low - margin, middle + half + margin)
        left = self.x == "cost"
        down = self.y == "cost"
        ax.annotate("better", xy=(0.05 if left else 0.95, 0.05 if down else 0.95),
                    xytext=(0.2 if left else 0.8, 0.2 if down else 0.8),
                    xycoords="axes fraction", textcoords="axes fraction", ha="center",
                    color="#555555", fontsize=9,
                    arrowprops={"arrowstyle": "->", "color": "#555555"})
        ax.legend(loc="best", fontsize=8)
        sample = "complete" if self.complete else "a sample spread along the front"
        note = self.against_today()
        ax.set_title(f"Pareto front of {self.x} and {self.y} ({self.model}): "
                     f"{count(len(self.points), 'point')} ({sample}; numbers as in the "
                     f"table)\n"
                     + textwrap.fill(note, 110), loc="left", fontsize=8.5, parse_math=False)
        return ax


def pareto_front(instance, settings, x: str, y: str, points: int = 20):
    """The non-dominated portfolios of ``instance`` for terms ``x`` and ``y``.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        Solver name and time limit; every solve must prove its optimum.
    x, y : str
        Two different terms of :data:`siteopt.model.TERMS`.
    points : int
        N: at most this many points, evenly spread where the front has more.

    Returns
    -------
    front : list of (x, y, gigafactories)
        From the most Y to the most X; term values recomputed from the portfolio, sites as
        indices.
    complete : bool

    Raises
    ------
    SolverError
        If a solve stops short of a proven optimum.
    """
    refuse_whole_model(instance, "siteopt pareto")
    built = build_model(instance)
    score = {term: term_expression(instance, built, term) * (-1 if term == "cost" else 1)
             for term in (x, y)}
    problem = built.problem
    # X >= epsilon and Y >= Y*, loose (never binding: every term lies within +-LOOSE) until set
    epsilon_row = score[x] >= -LOOSE
    keep_row = {term: score[term] >= -LOOSE for term in (x, y)}
    problem.addConstraint(epsilon_row, "epsilon")
    for term, row in keep_row.items():
        problem.addConstraint(row, f"keep_{term}")

    def best(first, second, at_least: float | None):
        """Lexicographic: the most ``first``, then the most ``second`` (X >= at_least)."""
        epsilon_row.changeRHS(-LOOSE if at_least is None else at_least)
        keep_row[first].changeRHS(-LOOSE)
        problem.setObjective(score[first])
        outcome = _solved(built, instance, settings)
        if outcome is None:
            return None
        kept = _score(first, instance.evaluate(outcome.gigafactories)[first])
        keep_row[first].changeRHS(kept - KEEP * max(1.0, abs(kept)))
        problem.setObjective(score[second])
        found = _solved(built, instance, settings).gigafactories
        keep_row[first].changeRHS(-LOOSE)
        return found

    def terms_of(gigafactories):
        values = instance.evaluate(gigafactories)
        return values[x], values[y]

    def beyond(epsilon: float):
        """The front point with X >= epsilon and the most Y, or None: also when the solver met
        epsilon only within its tolerance (then there is no such point)."""
        found = best(y, x, epsilon)
        if found is None or _score(x, terms_of(found)[0]) < epsilon - KEEP:
            return None
        return found

    most_y = best(y, x, None)
    if most_y is None:
        return [], True
    most_x = best(x, y, None)
    front = [most_y]
    score_x = [_score(x, terms_of(most_y)[0])]
    # an open gap: (left, right, upper, halved); no front point has X in [upper, X_right)
    gaps = []
    if _score(x, terms_of(most_x)[0]) > score_x[0] + STEP / 2:
        front.append(most_x)
        score_x.append(_score(x, terms_of(most_x)[0]))
        gaps.append((0, 1, score_x[1], False))
    span = [abs(a - b) or 1.0 for a, b in zip(terms_of(most_y), terms_of(most_x))]

    def width(gap) -> float:
        left, right, upper, _ = gap
        dy = terms_of(front[left])[1] - terms_of(front[right])[1]
        return ((upper - score_x[left]) / span[0]) ** 2 + (dy / span[1]) ** 2

    while gaps and len(front) < points:
        gaps.sort(key=width)   # the widest gap first, so a sample spreads along the front
        left, right, upper, halved = gaps.pop()
        middle = (score_x[left] + upper) / 2
        probe_middle = not halved and middle > score_x[left] + STEP
        epsilon = middle if probe_middle else score_x[left] + STEP
        found = beyond(epsilon)
        if found is None or _score(x, terms_of(found)[0]) >= upper - STEP / 2:
            if probe_middle:   # nothing in [middle, upper): look next to the left point
                gaps.append((left, right, middle, True))
            continue           # else nothing lies between left and right: closed
        front.append(found)
        score_x.append(_score(x, terms_of(found)[0]))
        new = len(front) - 1
        if probe_middle:
            gaps.append((left, new, score_x[new], False))
        # (probing next to the left point found its neighbour: nothing lies between them)
        gaps.append((new, right, upper, False))
    ordered = sorted(front, key=lambda g: -_score(y, terms_of(g)[1]))
    return [(*terms_of(g), g) for g in ordered], not gaps


def _solved(built, instance, settings):
    """The outcome of one exact solve, or None when the model is infeasible."""
    outcome = solve_model(built, instance, settings)
    if outcome.status == Status.INFEASIBLE:
        return None
    if outcome.status != Status.OPTIMAL:
        raise SolverError(f"a Pareto solve stopped without a proven optimum "
                          f"({outcome.status.value}); raise solver.time_limit_s")
    return outcome


def pareto(x: str = "cost", y: str = "coverage", points: int = 20, model=None, data=None,
           **overrides) -> ParetoFront:
    """The exact Pareto front of terms ``x`` and ``y`` of a model (see the module docstring).

    Parameters
    ----------
    x, y : str
        Terms of :data:`siteopt.model.TERMS` (coverage, grid, spread, clean, green, letters,
        latency, worst, backup, fairness, cost).
    points : int
        At most this many front points (2 exact solves each).
    model, data, **overrides
        As for :func:`siteopt.solve`.

    Returns
    -------
    ParetoFront
    """
    from siteopt.api import prepare
    from siteopt.errors import InfeasibleError
    from siteopt.solvers.infeasibility import conflict_message

    for name, term in (("--x", x), ("--y", y)):
        if term not in TERMS:
            raise ConfigError(f"{name} {term!r}: choose one of {', '.join(TERMS)}")
    if x == y:
        raise ConfigError(f"--x and --y are both {x!r}: choose two different terms")
    if "worst" in (x, y):
        raise ConfigError(f"{'--x' if x == 'worst' else '--y'} 'worst': siteopt pareto does not "
                          f"take W (the worst-served place) as an axis yet: its model would "
                          f"hold a row per populated place; choose another term (latency, the "
                          f"people-weighted mean distance, for one)")
    if whole(points, "--points") < 2:
        raise ConfigError(f"--points {points}: a front needs at least 2 points")
    cfg, _, prepared = prepare(model, data, overrides, terms=(x, y))
    instance = prepared.instance
    found, complete = pareto_front(instance, cfg.solver, x, y, points)
    if not found:
        raise InfeasibleError(conflict_message(instance, cfg.solver))
    names = instance.site_ids

    def point(vx, vy, g):
        return FrontPoint(vx, vy, instance.objective(instance.evaluate(g)),
                          tuple(sorted(tuple(sorted(names[s] for s in members))
                                       for members in g)))

    front = [point(vx, vy, g) for vx, vy, g in found]
    outcome, _ = solve_instance(instance, cfg.solver, {})
    terms = instance.evaluate(outcome.gigafactories)
    today = point(terms[x], terms[y], outcome.gigafactories)
    return ParetoFront(x, y, front, complete, points, cfg.description, today,
                       term_units(instance, cfg.coverage.radius_km))


def term_units(instance, radius_km: float) -> dict:
    """Each term as the quantity it measures (see :attr:`ParetoFront.units`)."""
    scale_mw = instance.max_gigafactories * instance.power_cap_mw
    return {
        "cost": (instance.cost_reference_eur / 1e9, "lifetime cost (EUR bn; lower is better)",
                 "EUR {:,.1f} bn", "lifetime cost"),
        "coverage": (instance.total_population / 1e6,
                     f"people within {radius_km:g} km (m)", "{:,.1f} m",
                     f"people within {radius_km:g} km"),
        "grid": (scale_mw, "effective power (MW)", "{:,.0f} MW", "power"),
        "spread": (instance.max_gigafactories, "member states taking part", "{:,.0f}",
                   "member states"),
        "clean": (scale_mw, "clean power (MW x clean share)", "{:,.0f} MW", "clean power"),
        "green": (scale_mw, "renewable power (MW x renewable share)", "{:,.0f} MW",
                  "renewable power"),
        "letters": (max(len(instance.letter_site), 1), "letters with a home", "{:,.0f}",
                    "letters with a home"),
        "backup": (instance.total_population / 1e6,
                   f"people within {radius_km:g} km of two gigafactories (m)", "{:,.1f} m",
                   "people with a second gigafactory in reach"),
        "fairness": (100.0, f"lowest share of a member state within {radius_km:g} km (%)",
                     "{:,.1f} %", "lowest state share"),
    }
