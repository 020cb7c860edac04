"""How sure is the optimum? Monte Carlo over what is uncertain, every draw solved exactly.

Each draw changes the data the way the future might:

- capex: each site's capex times a log-normal factor with median 1 and log standard deviation
  ``capex_sd``;
- grid connections that slip: with probability ``grid_delay_prob`` a site's grid connection is
  not there by 2028, so the site cannot be chosen in that draw;
- electricity prices: each site's price (its own, else its country's) times a log-normal factor
  with median 1 and log standard deviation ``price_sd``.

Draw ``i`` uses the random generator seeded with ``(seed, i)``, so a draw is the same whatever
worker solves it and however many there are. Every draw is solved to proven optimality on
Dask; then every distinct optimum found is evaluated on every draw (no solve needed), which
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

from siteopt.errors import ConfigError

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


def draw_data(dataset, seed: int, draw: int, spread: Spread):
    """The data of draw ``draw``, and the sites whose grid slipped (they cannot be chosen)."""
    from siteopt.instance import site_figure

    rng = np.random.default_rng([seed, draw])
    sites = dataset.sites.copy()
    n = len(sites)
    capex_factor = np.exp(rng.normal(0.0, spread.capex_sd, n)) if spread.capex_sd else np.ones(n)
    slipped = rng.random(n) < spread.grid_delay_prob
    price_factor = np.exp(rng.normal(0.0, spread.price_sd, n)) if spread.price_sd else np.ones(n)
    sites["capex_eur"] = sites["capex_eur"].to_numpy(float) * capex_factor
    sites["elec_price_eur_mwh"] = (site_figure(dataset.sites, dataset.countries,
                                               "elec_price_eur_mwh") * price_factor)
    return dataclasses.replace(dataset, sites=sites), list(sites.loc[slipped, "site_id"])


def _draw_instance(cfg, data_dir, seed, draw, spread):
    from siteopt.config import load_model_overrides
    from siteopt.instance import prepare_instance

    dataset, slipped = draw_data(_base_data(data_dir), seed, draw, spread)
    excluded = sorted(set(cfg.sites.excluded) | set(slipped))
    cfg = load_model_overrides(cfg, {"sites.excluded": excluded})
    return cfg, dataset, prepare_instance(dataset, cfg).instance


def solve_draw(cfg, data_dir, seed: int, draw: int, spread: Spread) -> dict[str, Any]:
    """Solve draw ``draw`` to optimality (on a worker)."""
    from siteopt.api import solve
    from siteopt.errors import InfeasibleError

    draw_cfg, dataset, _ = _draw_instance(cfg, data_dir, seed, draw, spread)
    try:
        result = solve(draw_cfg, dataset)
    except InfeasibleError:
        return {"draw": draw, "objective": None, "portfolio": None}
    return {"draw": draw, "objective": result.objective,
            "portfolio": [list(g.members) for g in result.gigafactories]}


def evaluate_draw(cfg, data_dir, seed: int, draw: int, spread: Spread,
                  portfolios: list[list[list[str]]]) -> list[float | None]:
    """Each portfolio's objective under draw ``draw`` (None where it breaks a limit)."""
    _, _, instance = _draw_instance(cfg, data_dir, seed, draw, spread)
    index = {site: i for i, site in enumerate(instance.site_ids)}
    values = []
    for portfolio in portfolios:
        members = tuple(tuple(index[s] for s in g) for g in portfolio)
        values.append(None if instance.violations(members)
                      else instance.objective(instance.evaluate(members)))
    return values


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
        objective over all draws (a draw where it breaks a limit counts 0) and the share of
        draws it is feasible in; best on average first.
    today : str
        Today's optimum.
    model : str
    seed : int
    spread : Spread
    data_dir : str or None
        The data directory of the draws (None: the shipped data).
    """

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
        ax.set_title(f"{len(self.draws)} draws; today's optimum is optimal in "
                     f"{(regret <= 1e-9).sum()} and breaks a limit in {missing}", loc="left",
                     fontsize=10)
        return ax


def robust(model=None, data=None, draws: int = 1000, seed: int = 1,
           spread: Spread = Spread(), scheduler: str | None = None, workers: int = 2,
           **overrides) -> Robustness:
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
        A Dask scheduler address; by default a local cluster of ``workers`` processes.

    Returns
    -------
    Robustness
    """
    from siteopt.analysis.engine import dask_client
    from siteopt.api import resolve_model, solve

    if not 1 <= draws <= MAX_DRAWS:
        raise ConfigError(f"--draws {draws}: give 1 to {MAX_DRAWS:,} draws")
    cfg = resolve_model(model, overrides)
    data_dir = None if data is None else str(data)
    today = [list(g.members) for g in solve(cfg, _base_data(data_dir)).gigafactories]
    numbers = list(range(draws))
    with dask_client(scheduler, workers) as client:
        solved = client.gather(client.map(
            solve_draw, [cfg] * draws, [data_dir] * draws, [seed] * draws, numbers,
            [spread] * draws, pure=False))
        found = {_label(s["portfolio"]): s["portfolio"] for s in solved if s["portfolio"]}
        found.setdefault(_label(today), today)
        portfolios = list(found.values())
        evaluated = client.gather(client.map(
            evaluate_draw, [cfg] * draws, [data_dir] * draws, [seed] * draws, numbers,
            [spread] * draws, [portfolios] * draws, pure=False))
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
    }).sort_values(["mean objective", "portfolio"], ascending=[False, True],
                   ignore_index=True)
    return Robustness(
        frame,
        pd.Series({s: n / count for s, n in sorted(sites.items())}, dtype=float),
        pd.Series({g: n / count for g, n in sorted(factories.items())}, dtype=float),
        candidates, _label(today), cfg.description, seed, spread, data_dir)
