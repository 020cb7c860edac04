"""How sure is the optimum? Monte Carlo over what is uncertain, every draw solved exactly.

Each draw changes the data the way the future might:

- capex: each site's capex times a log-normal factor with median 1 and log standard deviation
  ``capex_sd``;
- grid connections that slip: with probability ``grid_delay_prob`` a site's grid connection is
  not there by 2028, so the site cannot be chosen in that draw;
- electricity prices: each site's price (its own, else its country's) times a log-normal factor
  with median 1 and log standard deviation ``price_sd``.

Draw ``i`` uses the random generator seeded with ``(seed, i)``, so a draw is the same whatever
worker solves it and however many there are. Every draw is solved to proven optimality (here,
or on Dask when the work pays for it); then every distinct optimum found is evaluated on every draw (no solve needed), which
gives today's optimum's regret per draw and the portfolio that is best on average.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from siteopt.errors import ConfigError, InfeasibleError
from siteopt.terms import TERMS

#: Most draws one run may solve.
MAX_DRAWS = 100_000


@dataclass(frozen=True)
class Spread:
    """How uncertain the inputs are (see the module docstring)."""

    capex_sd: float = 0.2
    grid_delay_prob: float = 0.2
    price_sd: float = 0.15


@functools.cache
def _base_data(data_dir: str | None):
    from siteopt.data import load_data

    return load_data(data_dir)


def draw_factors(n_sites: int, seed: int, draw: int, spread: Spread):
    """Draw ``draw``'s changes: capex factors, sites whose grid slipped, price factors.

    Returns
    -------
    capex_factor : ndarray
        Per site, log-normal with median 1 (all 1 without spread).
    slipped : ndarray of bool
        Per site, True with probability ``grid_delay_prob``.
    price_factor : ndarray
        Per site, log-normal with median 1.
    """
    rng = np.random.default_rng([seed, draw])
    ones = np.ones(n_sites)
    capex_factor = np.exp(rng.normal(0.0, spread.capex_sd, n_sites)) if spread.capex_sd else ones
    slipped = rng.random(n_sites) < spread.grid_delay_prob
    price_factor = np.exp(rng.normal(0.0, spread.price_sd, n_sites)) if spread.price_sd else ones
    return capex_factor, slipped, price_factor


def draw_instance(base, seed: int, draw: int, spread: Spread):
    """The instance of draw ``draw``: ``base`` with its capex and electricity costs scaled and
    the slipped sites made ineligible (coverage and groups unchanged: a group may list a site
    that cannot be chosen, which the model handles exactly)."""
    capex_factor, slipped, price_factor = draw_factors(len(base.site_ids), seed, draw, spread)
    return dataclasses.replace(base, capex_eur=base.capex_eur * capex_factor,
                               energy_cost_eur=base.energy_cost_eur * price_factor,
                               eligible=base.eligible & ~slipped)


def solve_draw(base, settings, seed: int, draw: int, spread: Spread,
               start=None) -> dict[str, Any]:
    """Solve draw ``draw`` to optimality (on a worker; ``base`` is shipped to it once), the
    search started from ``start`` (:class:`~siteopt.solvers.search.Start`: today's optimum
    and multipliers; the same for every draw).

    Returns
    -------
    dict
        ``draw``, ``objective`` and ``portfolio`` (member ID lists), both None when no
        portfolio meets the limits (a required site slipped, say).
    """
    from siteopt.errors import SolverError
    from siteopt.solvers import solve_instance
    from siteopt.solvers.outcome import Status

    instance = draw_instance(base, seed, draw, spread)
    none = {"draw": draw, "objective": None, "portfolio": None}
    if (instance.required & ~instance.eligible).any():
        return none
    outcome, _ = solve_instance(instance, settings, {}, start)
    if outcome.status == Status.INFEASIBLE:
        return none
    if outcome.status != Status.OPTIMAL:
        raise SolverError(f"draw {draw} stopped without a proven optimum "
                          f"({outcome.status.value}); raise solver.time_limit_s")
    names = instance.site_ids
    return {"draw": draw, "objective": instance.objective(instance.evaluate(outcome.gigafactories)),
            "portfolio": [sorted(names[s] for s in members) for members in outcome.gigafactories]}


def evaluate_on_draws(base, portfolios, seed: int, draws: int, spread: Spread) -> np.ndarray:
    """Each portfolio's objective on each draw (NaN where it breaks a limit of that draw).

    Only capex, electricity cost and eligibility change between draws, so the other terms
    and rules are evaluated once and the costs per draw as one matrix product.

    Parameters
    ----------
    portfolios : list of list of list of str
        Member site IDs of each gigafactory of each portfolio.

    Returns
    -------
    ndarray
        Shape (draws, portfolios).
    """
    index = {site: i for i, site in enumerate(base.site_ids)}
    members = [[[index[s] for s in g] for g in portfolio] for portfolio in portfolios]
    terms = base.evaluate_many(members)
    w = base.weights
    fixed = sum(getattr(w, term) * terms[term] for term in TERMS if term != "cost")
    used = np.zeros((len(members), len(base.site_ids)))
    for row, portfolio in enumerate(members):
        for g in portfolio:
            used[row, g] = 1.0
    extra = base.extra_site_cost_eur * np.array([sum(len(g) - 1 for g in p) for p in members],
                                                dtype=float)
    allowed = np.array([not base.violations(p, budget=False) for p in members], dtype=bool)
    factors = [draw_factors(len(base.site_ids), seed, d, spread) for d in range(draws)]
    capex = np.array([base.capex_eur * c for c, _, _ in factors])            # draws x sites
    energy = np.array([base.energy_cost_eur * p for _, _, p in factors])
    slipped = np.array([s for _, s, _ in factors], dtype=float)
    capital = capex @ used.T + extra                                         # draws x portfolios
    cost = (capital + energy @ used.T) / base.cost_reference_eur
    feasible = (allowed & (capital <= base.budget_eur * (1 + 1e-9))
                & (slipped @ used.T == 0))
    return np.where(feasible, fixed - w.cost * cost, np.nan)


def _label(portfolio) -> str:
    return ", ".join(sorted("+".join(g) for g in portfolio))


@dataclass(frozen=True)
class Robustness:
    """What the draws say.

    Attributes
    ----------
    draws : DataFrame
        Per draw: ``draw``, ``objective`` (its optimum), ``portfolio``, ``today`` (today's
        optimum evaluated on the draw; NaN where it breaks a limit) and ``regret``
        (``objective - today``).
    site_frequency : Series
        Share of draws (with a portfolio) whose optimum uses each site, by site ID.
    gigafactory_frequency : Series
        The same per gigafactory (its members joined with ``+``).
    candidates : DataFrame
        Every distinct optimum found (and today's): how often it was optimal, its mean
        objective over all draws (a draw where it breaks a limit counts 0), the share of
        draws it is feasible in and its mean objective over those; best on average first.
    today : str
        Today's optimum.
    model : str
    seed : int
    spread : Spread
    data_dir : str or None
        The data directory of the draws (None: the shipped data).
    """

    #: How :attr:`candidates` columns are shown in tables.
    FORMATS = {"optimal in (share of draws)": ".0%", "mean objective": ".4f",
               "feasible in (share of draws)": ".0%", "mean where feasible": ".4f"}

    draws: pd.DataFrame
    site_frequency: pd.Series
    gigafactory_frequency: pd.Series
    candidates: pd.DataFrame
    today: str
    model: str
    seed: int
    spread: Spread
    data_dir: str | None = None

    def table(self) -> pd.DataFrame:
        """The distinct optima, best on average first."""
        return self.candidates

    def summary(self) -> str:
        """The outcome in two plain sentences: how today's optimum fares, and the objective."""
        frame = self.draws
        regret = frame["regret"].dropna()
        return (f"{len(frame)} draws (seed {self.seed}; model {self.model}). Today's optimum "
                f"({self.today}) is optimal in {(regret <= 1e-9).mean():.0%} of the draws where "
                f"it meets the limits, breaks a limit in {frame['today'].isna().mean():.0%}; "
                f"mean regret {regret.mean():.4f}. Objective: mean "
                f"{frame['objective'].mean():.4f}, 5-95 % {frame['objective'].quantile(0.05):.4f}"
                f"-{frame['objective'].quantile(0.95):.4f}.")

    def to_json(self) -> str:
        return json.dumps({
            "model": self.model, "seed": self.seed, "spread": dataclasses.asdict(self.spread),
            "today": self.today, "draws": len(self.draws),
            "objective": {"mean": float(self.draws["objective"].mean()),
                          "p5": float(self.draws["objective"].quantile(0.05)),
                          "p95": float(self.draws["objective"].quantile(0.95))},
            "regret": {"mean": float(self.draws["regret"].mean()),
                       "today_optimal_share": float((self.draws["regret"] <= 1e-9).mean()),
                       "today_infeasible_share": float(self.draws["today"].isna().mean())},
            "site_frequency": self.site_frequency.to_dict(),
            "gigafactory_frequency": self.gigafactory_frequency.to_dict(),
            "candidates": self.candidates.to_dict(orient="records")}, indent=2)

    def plot_map(self, dataset=None, ax=None):
        """Map of how often each site is chosen over the draws.

        Parameters
        ----------
        dataset : Dataset, optional
            The data the draws came from (by default loaded from :attr:`data_dir`).

        Returns
        -------
        matplotlib Axes
        """
        from siteopt.report.maps import plot_frequency

        return plot_frequency(dataset if dataset is not None else _base_data(self.data_dir),
                              self.site_frequency,
                              f"How often each site is chosen in {len(self.draws)} draws "
                              f"(seed {self.seed})\n{self.model}", ax=ax)

    def plot(self, ax=None):
        """Histogram of today's optimum's regret over the draws.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        regret = self.draws["regret"].dropna()
        ax.hist(regret, bins=30, color="#0072B2", gid="regret")
        ax.set_xlabel("regret of today's optimum (objective points below the draw's optimum)")
        ax.set_ylabel("draws")
        ax.yaxis.get_major_locator().set_params(integer=True)
        missing = int(self.draws["today"].isna().sum())
        ax.set_title(f"{len(self.draws)} draws: today's optimum breaks a limit in {missing} "
                     f"(not shown); in the other {len(regret)} it is the draw's optimum in "
                     f"{(regret <= 1e-9).sum()}", loc="left", fontsize=10)
        return ax


def robust(model=None, data=None, draws: int = 1000, seed: int = 1,
           spread: Spread = Spread(), scheduler: str | None = None,
           workers: int | None = None, **overrides) -> Robustness:
    """Monte Carlo robustness of the optimum (see the module docstring).

    Parameters
    ----------
    model, **overrides
        As for :func:`siteopt.solve`.
    data : path, optional
        The data directory (each worker loads it once).
    draws, seed : int
    spread : Spread
    scheduler : str, optional
        A Dask scheduler address; by default the draws run here or on a local cluster of
        ``workers`` processes, as :func:`~siteopt.analysis.engine.solve_pool` decides.

    Returns
    -------
    Robustness
    """
    from siteopt.analysis.engine import gather, solve_pool, solve_summary, timed
    from siteopt.api import prepare

    if not 1 <= draws <= MAX_DRAWS:
        raise ConfigError(f"--draws {draws}: give 1 to {MAX_DRAWS:,} draws")
    data_dir = None if data is None else str(data)
    cfg, dataset, prepared = prepare(model, _base_data(data_dir), overrides)
    base = prepared.instance
    # today's optimum, where draws start; a draw takes about as long to solve
    (summary, start), seconds = timed(solve_summary, cfg, dataset, {})
    if summary["status"] == "infeasible":
        raise InfeasibleError(summary["error"])
    today = summary["gigafactories"]
    numbers = list(range(draws))
    with solve_pool(scheduler, workers, seconds * draws) as client:
        shipped = client.scatter(base, broadcast=True)   # once, not per draw
        solved = gather(client, client.map(
            solve_draw, [shipped] * draws, [cfg.solver] * draws, [seed] * draws, numbers,
            [spread] * draws, [start] * draws, pure=False), "draws solved")
    found = {_label(s["portfolio"]): s["portfolio"] for s in solved if s["portfolio"]}
    found.setdefault(_label(today), today)
    portfolios = list(found.values())
    evaluated = evaluate_on_draws(base, portfolios, seed, draws, spread)
    labels = list(found)
    values = pd.DataFrame(evaluated, columns=labels, dtype=float)
    frame = pd.DataFrame({"draw": numbers,
                          "objective": [s["objective"] for s in solved],
                          "portfolio": [_label(s["portfolio"]) if s["portfolio"] else "none"
                                        for s in solved]}).astype({"objective": float})
    frame["today"] = values[_label(today)]
    frame["regret"] = frame["objective"] - frame["today"]
    with_portfolio = [s for s in solved if s["portfolio"]]
    count = max(len(with_portfolio), 1)
    sites = Counter(site for s in with_portfolio for g in s["portfolio"] for site in g)
    factories = Counter("+".join(g) for s in with_portfolio for g in s["portfolio"])
    optimal_in = Counter(frame["portfolio"])
    candidates = pd.DataFrame({
        "portfolio": labels,
        "optimal in (share of draws)": [optimal_in.get(label, 0) / draws for label in labels],
        "mean objective": [values[label].fillna(0.0).mean() for label in labels],
        "feasible in (share of draws)": [values[label].notna().mean() for label in labels],
        "mean where feasible": [values[label].mean() for label in labels],
    }).sort_values(["mean objective", "portfolio"], ascending=[False, True],
                   ignore_index=True)
    return Robustness(
        frame,
        pd.Series({s: n / count for s, n in sorted(sites.items())}, dtype=float),
        pd.Series({g: n / count for g, n in sorted(factories.items())}, dtype=float),
        candidates, _label(today), cfg.description, seed, spread, data_dir)
