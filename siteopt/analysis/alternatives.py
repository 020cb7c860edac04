"""The k best portfolios, proven: the optimum, then the best portfolio that uses another set of
sites, and so on.

After each optimum the model gets a no-good cut on the set of sites it uses
(:func:`~siteopt.model.selection.exclusion_rows`, on the path ``solve`` takes),

.. math::

    \\sum_{s \\in U} (1 - y_s) + \\sum_{s \\notin U} y_s \\ge 1,

so the next solve proves the best portfolio whose set of member sites differs from every one
found before. Each solve is exact (gap 0), so the list is the true ranking of site sets: the
k-th entry is the k-th best, and nothing in between was skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pulp

from siteopt.analysis.engine import progress_bar
from siteopt.errors import SolverError
from siteopt.model import site_set
from siteopt.model.formulation import build_model
from siteopt.solvers import solve_instance
from siteopt.solvers.outcome import Status
from siteopt.solvers.via_pulp import solve_model
from siteopt.solvers.worst import refuse_whole_model
from siteopt.units import eur, mw, people


@dataclass(frozen=True)
class Alternative:
    """One portfolio of the ranking.

    Attributes
    ----------
    rank : int
        1 for the optimum.
    gigafactories : tuple of tuple of str
        Member site IDs of each gigafactory.
    objective : float
        Its objective, recomputed from its sites.
    gap : float
        How far below the optimum, relative: ``(best - objective) / |best|``.
    sites_in, sites_out : list of str
        Member sites it has that the optimum has not, and the optimum's it lacks.
    people : float
        People within R of its member sites.
    capex_eur : float
        Its capital cost, EUR (extra-site costs included).
    power_mw : float
        Its effective power, MW.
    """

    rank: int
    gigafactories: tuple[tuple[str, ...], ...]
    objective: float
    gap: float
    sites_in: list[str]
    sites_out: list[str]
    people: float = 0.0
    capex_eur: float = 0.0
    power_mw: float = 0.0

    @property
    def label(self) -> str:
        """``ES-ZAZ, FR-LMX, IT-BLQ+PL-WRO``; ``none`` for no gigafactory."""
        return ", ".join("+".join(members) for members in self.gigafactories) or "none"


@dataclass(frozen=True)
class Alternatives:
    """The ranking, best first, and how it was asked for.

    Attributes
    ----------
    items : list of Alternative
    k : int
        How many were asked for.
    within : float or None
        The relative gap beyond which portfolios were not kept.
    complete : bool
        True when no further portfolio exists (every site set was ranked).
    model : str
        The model and its changes.
    diverse : bool
        True for ``--diverse`` portfolios (modelling to generate alternatives), not a ranking.
    """

    items: list[Alternative]
    k: int
    within: float | None
    complete: bool
    model: str
    diverse: bool = False

    #: How :meth:`table`'s numbers are shown (command line, report).
    FORMATS = {"people (m)": ".1f", "capex (EUR bn)": ".2f", "MW": ",.0f", "objective": ".4f",
               "gap to best": ".2%"}

    def named_sites(self) -> list[str]:
        """Every member site of a portfolio listed."""
        return sorted({site for item in self.items for g in item.gigafactories for site in g})

    def table(self) -> pd.DataFrame:
        """One row per portfolio: its rank (``#``, the order found, for diverse portfolios,
        which are not ranked by objective), gigafactories, what it gives (people within R in
        m, capex in EUR bn, MW), objective, gap, sites in and out."""
        first = "#" if self.diverse else "rank"
        return pd.DataFrame([{
            first: a.rank, "gigafactories": a.label, "people (m)": a.people / 1e6,
            "capex (EUR bn)": a.capex_eur / 1e9, "MW": a.power_mw, "objective": a.objective,
            "gap to best": a.gap, "sites in": ", ".join(a.sites_in) or "-",
            "sites out": ", ".join(a.sites_out) or "-"} for a in self.items],
            columns=[first, "gigafactories", "people (m)", "capex (EUR bn)", "MW",
                     "objective", "gap to best", "sites in", "sites out"])

    def to_json(self) -> str:
        """The ranking as a JSON document."""
        return json.dumps({"model": self.model, "k": self.k, "within": self.within,
                           "complete": self.complete,
                           "alternatives": [{"rank": a.rank,
                                             "gigafactories": [list(g) for g in a.gigafactories],
                                             "objective": a.objective, "gap": a.gap,
                                             "sites_in": a.sites_in, "sites_out": a.sites_out,
                                             "people": a.people, "capex_eur": a.capex_eur,
                                             "power_mw": a.power_mw}
                                            for a in self.items]}, indent=2)

    def plot(self, ax=None):
        """Each portfolio's objective as a bar, the optimum first, labelled by its changes.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 0.45 * len(self.items) + 1.2), layout="constrained")
        labels = ["optimum" if a.rank == 1 else
                  f"#{a.rank}: +{','.join(a.sites_in) or '-'} / -{','.join(a.sites_out) or '-'}"
                  for a in self.items]
        values = [a.objective for a in self.items]
        ax.barh(labels[::-1], values[::-1], color="#0072B2", gid="alternatives")
        for y, a in enumerate(self.items[::-1]):   # what each gives, written on its bar
            gap = "" if a.rank == 1 else f" ({a.gap:.2%} below)"
            ax.text(max(values) * 0.02, y, f"{a.objective:.4f}{gap}: {people(a.people)}, "
                    f"{eur(a.capex_eur)}, {mw(a.power_mw)}",
                    va="center", ha="left", fontsize=8, color="white", parse_math=False)
        ax.set_xlim(0, max(values) * 1.02 + 1e-3)   # from 0: a bar's length is its value
        ax.set_xlabel("objective (higher is better; the gaps are small: see the labels)")
        ax.set_title(f"The {len(self.items)} best portfolios ({self.model})", loc="left",
                     fontsize=10, parse_math=False)
        for text in ax.get_yticklabels():
            text.set_fontsize(8)
        return ax


def rank_portfolios(instance, settings, k: int, within: float | None = None,
                    advance=lambda: None):
    """The k best site sets of ``instance`` by repeated exact solves with no-good cuts.

    Each solve takes the path ``solve`` would (:func:`~siteopt.solvers.solve_instance`), ties
    settled as there, so the first entry is ``solve``'s answer.

    Parameters
    ----------
    instance : SelectionInstance
    settings : Solver
        Solver name and time limit; each solve must prove its optimum.
    k : int
        How many portfolios, at most.
    within : float, optional
        Stop at the first portfolio more than this relative gap below the optimum.
    advance : callable
        Called after each portfolio found (a progress bar).

    Returns
    -------
    portfolios : list of (objective, gigafactories)
        Best first; gigafactories as tuples of site indices.
    complete : bool
        True when every feasible site set was ranked (the cuts made the model infeasible).

    Raises
    ------
    SolverError
        If a solve stops short of a proven optimum (the ranking would not be exact).
    """
    found: list[tuple[float, tuple[tuple[int, ...], ...]]] = []
    start = None
    while len(found) < k:
        excluded = instance.excluding([site_set(g) for _, g in found])
        outcome, _ = solve_instance(excluded, settings, {}, start)
        start = outcome.next_start
        if outcome.status == Status.INFEASIBLE:
            return found, True
        if outcome.status != Status.OPTIMAL:
            raise SolverError(f"the solve for portfolio {len(found) + 1} stopped without a "
                              f"proven optimum ({outcome.status.value}); raise "
                              f"solver.time_limit_s")
        objective = instance.objective(instance.evaluate(outcome.gigafactories))
        if within is not None and found and \
                found[0][0] - objective > within * max(abs(found[0][0]), 1e-12):
            return found, False
        found.append((objective, outcome.gigafactories))
        advance()
    return found, False


def diverse_portfolios(instance, settings, n: int, slack: float):
    """Up to ``n`` portfolios within ``slack`` of the optimum that differ from it and from each
    other as much as possible (modelling to generate alternatives).

    Each step keeps the objective at least ``(1 - slack)`` times the optimum and maximises the
    number of member sites not used by any portfolio found so far; each solve is exact.

    Returns
    -------
    list of (objective, gigafactories, new_sites)
        The optimum first (new_sites 0), then each diverse portfolio with how many sites it
        adds to those used before.
    """
    refuse_whole_model(instance, "siteopt alternatives --diverse")
    ranked, _ = rank_portfolios(instance, settings, 1)
    if not ranked:
        return []
    best, portfolio = ranked[0]
    built = build_model(instance)
    value = built.problem.objective
    optimum = solve_model(built, instance, settings).objective
    built.problem.addConstraint(pulp.LpConstraint(
        value, sense=pulp.LpConstraintGE,
        rhs=optimum - slack * max(abs(optimum), 1e-12), name="near_optimal"))
    used = {s for members in portfolio for s in members}
    found = [(best, portfolio, 0)]
    while len(found) < n + 1:
        built.problem.setObjective(pulp.LpAffineExpression(
            [(built.site_open[s], 1.0) for s in range(len(instance.site_ids)) if s not in used]))
        outcome = solve_model(built, instance, settings)
        if outcome.status != Status.OPTIMAL:
            raise SolverError(f"the diverse portfolio {len(found)} stopped without a proven "
                              f"optimum ({outcome.status.value}); raise solver.time_limit_s")
        sites = {s for members in outcome.gigafactories for s in members}
        new = len(sites - used)
        if new == 0:
            break
        found.append((instance.objective(instance.evaluate(outcome.gigafactories)),
                      outcome.gigafactories, new))
        used |= sites
    return found


def alternatives(model=None, data=None, k: int = 10, within: float | None = None,
                 diverse: int | None = None, slack: float = 0.05,
                 **overrides) -> Alternatives:
    """The k best portfolios of a model, each proven (see the module docstring).

    Parameters
    ----------
    model, data, **overrides
        As for :func:`siteopt.solve`.
    k : int
        How many portfolios (1 is just the optimum).
    within : float, optional
        Keep only portfolios within this relative gap of the optimum (0.02 = 2 %).
    diverse : int, optional
        Instead of the k best: this many portfolios within ``slack`` of the optimum that
        differ from it and from each other as much as possible (:func:`diverse_portfolios`).
    slack : float
        Relative loss allowed for ``diverse`` portfolios (0.05 = 5 %).

    Returns
    -------
    Alternatives
    """
    from siteopt.api import prepare
    from siteopt.config import whole

    if whole(k, "--k") < 1:
        from siteopt.errors import ConfigError

        raise ConfigError(f"--k {k}: ask for at least one portfolio")
    cfg, _, prepared = prepare(model, data, overrides)
    instance = prepared.instance
    if diverse is not None:
        found = diverse_portfolios(instance, cfg.solver, diverse, slack)
        ranked, complete = [(objective, g) for objective, g, _ in found], False
        within = slack
    else:
        with progress_bar("proving the best portfolios", k) as advance:
            ranked, complete = rank_portfolios(instance, cfg.solver, k, within, advance)
    if not ranked:
        from siteopt.errors import InfeasibleError
        from siteopt.solvers.infeasibility import conflict_message

        raise InfeasibleError(conflict_message(instance, cfg.solver))
    names = instance.site_ids
    best_sites = {names[s] for members in ranked[0][1] for s in members} if ranked else set()
    items = []
    for rank, (objective, gigafactories) in enumerate(ranked, start=1):
        sites = {names[s] for members in gigafactories for s in members}
        best = ranked[0][0]
        used = instance.site_mask(gigafactories)
        extra = instance.extra_site_cost_eur * (int(used.sum()) - len(gigafactories))
        items.append(Alternative(
            rank, tuple(sorted(tuple(sorted(names[s] for s in members))
                               for members in gigafactories)),
            objective, max(0.0, (best - objective) / max(abs(best), 1e-12)),
            sorted(sites - best_sites), sorted(best_sites - sites),
            instance.evaluate(gigafactories)["coverage"] * instance.total_population,
            float(instance.capex_eur[used].sum()) + extra,
            float(instance.effective_mw[used].sum())))
    return Alternatives(items, k if diverse is None else diverse, within, complete,
                        cfg.description, diverse is not None)
