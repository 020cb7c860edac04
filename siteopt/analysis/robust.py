"""How sure is the optimum? Monte Carlo over what is uncertain, every draw solved exactly.

Each draw changes the data the way the future might (:mod:`siteopt.analysis.draws`):

- capex: each site's capex times a log-normal factor with median 1 and log standard deviation
  ``capex_sd``;
- grid connections that slip: with probability ``grid_delay_prob`` a site's grid connection is
  not there by 2028;
- electricity prices: each site's price (its own, else its country's) times a log-normal factor
  with median 1 and log standard deviation ``price_sd``.

Draw ``i`` uses the random generator seeded with ``(seed, i)``, so a draw is the same whatever
worker solves it and however many there are. Every draw is solved to proven optimality (its own
optimum: the portfolio one would choose knowing that future, slipped sites left out); then every
distinct optimum found, and today's, is valued on every draw (no solve needed) as a portfolio
decided now and kept in every future:

- every member's capex is its capex times the draw's factor (committed even if its grid slips),
  plus the extra-site cost as in the model; the budget is broken where that exceeds it;
- a member whose grid connection slips delivers nothing in that draw (no power, coverage, clean
  power, letters or spread from it, no energy cost); its gigafactory keeps its other members;
- every term is computed as ``siteopt solve`` computes it, with the draw's numbers.

So every portfolio has a value in every draw: the report gives its mean, spread and 5 %
quantile, how often it goes over the budget and how often a member slips, and today's
optimum's regret (the draw's own optimum minus today's value in that draw).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from siteopt.analysis.draws import MAX_DRAWS, Draws, Spread, check_seed
from siteopt.config import whole
from siteopt.errors import ConfigError, InfeasibleError
from siteopt.solvers.search_chance import BUDGET_TOLERANCE
from siteopt.terms import TERMS
from siteopt.units import changes, count, eur

def base_data(data_dir: str | None):
    """The data set of ``data_dir`` (None: the workspace's or the shipped one, as for
    ``solve``). Read again at every call (9 ms for the shipped data, whose checked tables are
    cached on disk by their SHA-256): a copy kept per process once answered for the data of
    the directory it was first asked in, after the working directory or the files changed."""
    from siteopt.data import load_data

    return load_data(data_dir)


def draw_instance(base, factors):
    """The instance of one draw (``factors``: :meth:`Draws.factors`): ``base`` with its capex
    and electricity costs scaled and the slipped sites made ineligible (coverage and groups
    unchanged: a group may list a site that cannot be chosen, which the model handles
    exactly)."""
    capex_factor, slipped, price_factor = factors
    return dataclasses.replace(base, capex_eur=base.capex_eur * capex_factor,
                               energy_cost_eur=base.energy_cost_eur * price_factor,
                               eligible=base.eligible & ~slipped)


def solve_draw(base, settings, draw: int, factors, start=None,
               portfolio: bool = True, label: str = "draw") -> dict[str, Any]:
    """Solve draw ``draw`` (its ``factors``: :meth:`Draws.factors`) to optimality (on a
    worker; ``base`` is shipped to it once), the search started from ``start``
    (:class:`~siteopt.solvers.search.Start`: today's optimum and multipliers; the same for
    every draw). Without ``portfolio`` only the optimal value is wanted, so ties are not
    settled (:func:`~siteopt.solvers.solve_instance`; at 500 sites a median of 10.5 s
    instead of 40.7 s). ``label`` names the draw in the error when it is not proven
    (``fresh draw`` for the choice's comparison).

    Returns
    -------
    dict
        ``draw``, ``objective`` and, with ``portfolio``, ``portfolio`` (member ID lists, the
        one ``solve`` gives among ties); both None when no portfolio meets the limits (a
        required site slipped, say).
    """
    from siteopt.errors import SolverError
    from siteopt.solvers import solve_instance
    from siteopt.solvers.outcome import Status

    instance = draw_instance(base, factors)
    none = {"draw": draw, "objective": None} | ({"portfolio": None} if portfolio else {})
    if (instance.required & ~instance.eligible).any():
        return none
    outcome, _ = solve_instance(instance, settings, {}, start, settle_ties=portfolio)
    if outcome.status == Status.INFEASIBLE:
        return none
    if outcome.status != Status.OPTIMAL:
        raise SolverError(f"{label} {draw} stopped without a proven optimum "
                          f"({outcome.status.value}); raise solver.time_limit_s (--time-limit)")
    names = instance.site_ids
    found = outcome.gigafactories
    value = {"draw": draw, "objective": instance.objective(instance.evaluate(found))}
    if portfolio:
        value["portfolio"] = [sorted(names[s] for s in members) for members in found]
    return value


@dataclass(frozen=True)
class OnDraws:
    """Portfolios valued on the draws (each array of shape (draws, portfolios)).

    Attributes
    ----------
    objective : ndarray
        The objective on the draw (see the module docstring: slipped members deliver
        nothing, capex is committed).
    over_budget : ndarray of bool
        Its capital cost with the draw's capex factors exceeds the budget.
    slipped : ndarray of bool
        A member's grid connection slips in the draw.
    capex_eur : ndarray
        Its capital cost on the draw, EUR.
    people : ndarray
        People within R of its members that deliver in the draw.
    power_mw : ndarray
        Effective power of its members that deliver in the draw, MW.
    """

    objective: np.ndarray
    over_budget: np.ndarray
    slipped: np.ndarray
    capex_eur: np.ndarray
    people: np.ndarray
    power_mw: np.ndarray


def evaluate_on_draws(base, portfolios, draws: Draws) -> OnDraws:
    """Each portfolio on each draw, valued as the module docstring says.

    The terms other than cost depend only on the members that deliver, so they are computed
    once per distinct set of delivering sites; capital and energy cost per draw are matrix
    products.

    Parameters
    ----------
    portfolios : list of list of list of str
        Member site IDs of each gigafactory of each portfolio.

    Returns
    -------
    OnDraws
    """
    index = {site: i for i, site in enumerate(base.site_ids)}
    members = [[[index[s] for s in g] for g in portfolio] for portfolio in portfolios]
    used = np.zeros((len(members), len(base.site_ids)), dtype=bool)
    for row, portfolio in enumerate(members):
        for g in portfolio:
            used[row, g] = True
    extra = base.extra_site_cost_eur * np.array([sum(len(g) - 1 for g in p) for p in members],
                                                dtype=float)
    capital = (base.capex_eur * draws.capex_factor) @ used.T + extra       # draws x portfolios
    delivering = used[None, :, :] & ~draws.slipped[:, None, :]            # draws x portfolios x sites
    sets, which = _delivering_sets(members, draws.slipped)
    terms = base.evaluate_many(sets, weighted_only=True)
    w = base.weights
    fixed = sum(getattr(w, term) * terms[term] for term in TERMS if term != "cost")
    energy = np.einsum("dps,ds->dp", delivering,
                       base.energy_cost_eur * draws.price_factor)        # draws x portfolios
    cost = (capital + energy) / base.cost_reference_eur
    return OnDraws(fixed[which] - w.cost * cost,
                   capital > base.budget_eur * (1 + BUDGET_TOLERANCE),
                   (used[None, :, :] & draws.slipped[:, None, :]).any(axis=2), capital,
                   terms["coverage"][which] * base.total_population,
                   delivering @ np.asarray(base.effective_mw, float))


def _delivering_sets(members, slipped: np.ndarray) -> tuple[list[tuple], np.ndarray]:
    """What each portfolio delivers in each draw: its gigafactories with the members whose
    grid slips left out (a gigafactory left with none dropped; backup counts gigafactories,
    not sites), each distinct one once.

    Parameters
    ----------
    members : list of list of list of int
        Member site indices of each gigafactory of each portfolio.
    slipped : ndarray of bool, shape (draws, sites)

    Returns
    -------
    sets : list of tuple of tuple of int
        The distinct portfolios that deliver, members sorted, gigafactories in their
        portfolio's order.
    which : ndarray of int, shape (draws, portfolios)
        Each draw's and portfolio's index into ``sets``.
    """
    index: dict[tuple, int] = {}
    which = np.empty((len(slipped), len(members)), dtype=np.int64)
    for column, portfolio in enumerate(members):
        sites = np.array(sorted(s for g in portfolio for s in g), dtype=np.int64)
        # the patterns of slips among its members (a few dozen), not among all sites
        patterns, pattern_of = np.unique(slipped[:, sites], axis=0, return_inverse=True)
        found = np.empty(len(patterns), dtype=np.int64)
        for row, pattern in enumerate(patterns):
            out = set(sites[pattern].tolist())
            kept = (tuple(sorted(s for s in g if s not in out)) for g in portfolio)
            found[row] = index.setdefault(tuple(g for g in kept if g), len(index))
        which[:, column] = found[pattern_of.reshape(-1)]
    return list(index), which


def portfolio_label(portfolio) -> str:
    """A portfolio in words: its gigafactories (members joined with ``+``), sorted, listed
    with ``, ``."""
    return ", ".join(sorted("+".join(g) for g in portfolio))


@dataclass(frozen=True)
class Robustness:
    """What the draws say.

    Attributes
    ----------
    draws : DataFrame
        Per draw: ``draw``, ``objective`` and ``portfolio`` (the draw's own optimum; NaN and
        "none" where no portfolio meets the draw's limits, "none" with its value where funding
        nothing scores best), ``today`` (today's optimum valued
        on the draw, see the module docstring), ``regret`` (``objective - today``),
        ``today_over_budget`` and ``today_slipped`` (its capex on the draw exceeds the
        budget; a member's grid slips), ``people`` (within R of the draw's optimum),
        ``today_people`` (within R of today's members that deliver), ``capex_eur`` and
        ``today_capex_eur`` (the capital cost on the draw of its optimum and of today's, EUR).
    site_frequency : Series
        Share of all draws whose optimum uses each site (a draw whose optimum is no
        gigafactory, or that no portfolio meets, uses none), every eligible site, most often
        chosen first (0 for the sites never chosen).
    gigafactory_frequency : Series
        The same per gigafactory (its members joined with ``+``), of those chosen.
    candidates : DataFrame
        Every distinct optimum found (and today's), valued on every draw: its mean objective,
        standard deviation and 5 % quantile, the share of draws in which it is over budget
        and in which a member's grid slips, the share of draws it is optimal in. Ranked by
        :attr:`ranking`.
    today : str
        Today's optimum.
    model : str
    seed : int or None
        None for draws read from a file that names no seed.
    spread : Spread or None
    data_dir : str or None
        The data directory of the draws (None: the shipped data).
    today_people : float
        People within R of today's optimum.
    budget_eur : float
        The budget, EUR.
    radius_km : float
        R, km.
    futures : Draws
        The draws themselves (``--draws-out`` writes them).
    budget_risk : float
        ``robust.budget_risk``: the share of draws a portfolio may be over budget in and still
        rank among the first.
    """

    #: How :attr:`candidates` columns are shown in tables.
    FORMATS = {"mean objective": ".4f", "sd": ".4f", "5 % quantile": ".4f",
               "over budget in": ".0%", "a member's grid slips in": ".0%", "optimal in": ".0%"}

    draws: pd.DataFrame
    site_frequency: pd.Series
    gigafactory_frequency: pd.Series
    candidates: pd.DataFrame
    today: str
    model: str
    seed: int | None
    spread: Spread | None
    data_dir: str | None = None
    today_people: float = float("nan")
    budget_eur: float = float("nan")
    radius_km: float = 500.0
    futures: Draws | None = None
    budget_risk: float = 0.05

    @property
    def ranking(self) -> str:
        """The rule :attr:`candidates` are ranked by, in words."""
        return (f"staying within the budget in at least {1 - self.budget_risk:.0%} of the draws "
                f"first, then the mean objective over all draws")

    @property
    def origin(self) -> str:
        """Where the draws came from: ``seed 1``, or a file without a seed."""
        return "draws read from a file" if self.seed is None else f"seed {self.seed}"

    def table(self) -> pd.DataFrame:
        """The distinct optima, ranked by :attr:`ranking`."""
        return self.candidates

    def named_sites(self) -> list[str]:
        """Every site chosen in some draw's optimum, and today's optimum's members."""
        today = {site for g in self.today.split(", ") for site in g.split("+")} \
            if self.today else set()
        return sorted(set(self.site_frequency[self.site_frequency > 0].index) | today)

    def summary_lines(self) -> list[str]:
        """The outcome in plain sentences: how often each site is chosen, how today's optimum
        fares (which limit breaks how often; its regret in things), the ranking and the
        objective."""
        frame = self.draws
        chosen = self.site_frequency[self.site_frequency > 0]
        never = self.site_frequency[self.site_frequency == 0]
        shown = ", ".join(f"{site} {share:.0%}" for site, share in chosen.head(10).items())
        unmet = frame["objective"].isna()
        nothing = float(((frame["portfolio"] == "none") & ~unmet).mean())
        lines = [f"{count(len(frame), 'draw')} ({self.origin}; model {self.model}). How often "
                 f"each site is chosen: {shown}"
                 + (f" and {len(chosen) - 10} more" if len(chosen) > 10 else "")
                 + (f"; never: {len(never)} of the {len(self.site_frequency)} sites" if len(never)
                    else "")
                 + (f"; no gigafactory at all in {nothing:.0%} of the draws (funding nothing "
                    f"scores best there)" if nothing else "")
                 + (f"; no portfolio meets the rules in {unmet.mean():.0%} of the draws (with "
                    f"their slipped sites and capex)" if unmet.any() else "") + "."]
        today, over, slipped = frame["today"], frame["today_over_budget"], \
            frame["today_slipped"]
        overrun = (frame["today_capex_eur"] - self.budget_eur)[over]
        lines.append(
            f"Today's optimum ({self.today}), decided now and kept in every draw (a member whose "
            f"grid slips delivers nothing, its capex is spent): mean objective "
            f"{today.mean():.4f} (sd {today.std(ddof=0):.4f}, 5 % quantile "
            f"{today.quantile(0.05):.4f}); over the budget of {eur(self.budget_eur)} in "
            f"{over.mean():.0%} of the draws"
            + (f" (capex overruns, by {eur(overrun.mean())} on average, at most "
               f"{eur(overrun.max())})" if len(overrun) else "")
            + f"; a member's grid slips in {slipped.mean():.0%}.")
        solved = frame["objective"].notna()
        regret = frame["regret"][solved]
        if len(regret):
            said = changes((frame["people"] - frame["today_people"])[solved].mean(),
                           (frame["capex_eur"] - frame["today_capex_eur"])[solved].mean(),
                           0.0, self.radius_km)
            lines.append(
                f"It is the draw's own optimum (the choice made knowing that future) in "
                f"{(regret.abs() <= 1e-9).mean():.0%} of the draws; that optimum scores on "
                f"average {regret.mean():.4f} points more "
                f"({regret.mean() / frame['objective'][solved].mean():.2%})"
                + (f": {', '.join(said)}" if said else "") + ".")
        top = self.candidates.iloc[0]
        within = top["over budget in"] <= self.budget_risk + 1e-12
        lines.append(
            f"Ranked by {self.ranking}: first {top['portfolio']} (mean "
            f"{top['mean objective']:.4f}, sd {top['sd']:.4f}; over budget in "
            f"{top['over budget in']:.0%} of the draws)"
            + ("." if within else f"; none of the {len(self.candidates)} portfolios found "
               f"stays within the budget in at least {1 - self.budget_risk:.0%} of the draws, so "
               f"the ranking is by the mean alone.")
            + " These are only the draws' own optima and today's: siteopt robust --choose "
              "finds the best portfolio of all across the draws within the budget risk, "
              "proven.")
        lines.append(f"The draws' own optima: objective mean {frame['objective'].mean():.4f}, 5-95 % "
                     f"{frame['objective'].quantile(0.05):.4f}-"
                     f"{frame['objective'].quantile(0.95):.4f}.")
        return lines

    def summary(self) -> str:
        """:meth:`summary_lines` as one paragraph."""
        return " ".join(self.summary_lines())

    def to_json(self) -> str:
        frame = self.draws
        return json.dumps({
            "model": self.model, "seed": self.seed,
            "spread": None if self.spread is None else dataclasses.asdict(self.spread),
            "today": self.today, "draws": len(frame), "ranking": self.ranking,
            "summary": self.summary_lines(),
            "objective": {"mean": float(frame["objective"].mean()),
                          "p5": float(frame["objective"].quantile(0.05)),
                          "p95": float(frame["objective"].quantile(0.95))},
            "today_on_draws": {"mean": float(frame["today"].mean()),
                               "sd": float(frame["today"].std(ddof=0)),
                               "p5": float(frame["today"].quantile(0.05)),
                               "over_budget_share": float(frame["today_over_budget"].mean()),
                               "slipped_share": float(frame["today_slipped"].mean())},
            "regret": {"mean": float(frame["regret"].mean()),
                       "today_optimal_share": float((frame["regret"].abs() <= 1e-9).mean())},
            "site_frequency": self.site_frequency.to_dict(),
            "gigafactory_frequency": self.gigafactory_frequency.to_dict(),
            "candidates": json.loads(self.candidates.to_json(orient="records"))}, indent=2)

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

        return plot_frequency(dataset if dataset is not None else base_data(self.data_dir),
                              self.site_frequency,
                              f"How often each site is chosen in "
                              f"{count(len(self.draws), 'draw')} ({self.origin})\n"
                              f"model: {self.model}", ax=ax)

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
        ax.set_xlabel("regret of today's optimum (objective points below the draw's own "
                      "optimum)")
        ax.set_ylabel("draws")
        ax.yaxis.get_major_locator().set_params(integer=True)
        unsolved = len(self.draws) - len(regret)
        ax.set_title(f"How much today's optimum loses in each of {len(self.draws)} futures\n"
                     f"It is the best choice for that future in {(regret.abs() <= 1e-9).sum()} "
                     f"of them; the mean loss is {regret.mean():.3f} points"
                     + (f" ({unsolved} futures without a portfolio not shown)" if unsolved
                        else ""), loc="left", fontsize=10)
        return ax


def sampled_draws(base, draws: int | Draws | str | Path, seed: int, spread: Spread) -> Draws:
    """The draws an analysis runs on: ``draws`` sampled with ``seed`` and ``spread``, or the
    draws given, or read from the file at ``draws`` (:meth:`Draws.read`), checked against the
    candidate sites of ``base``."""
    check_seed(seed)
    if not isinstance(draws, (Draws, str, Path)) \
            and not 1 <= whole(draws, "--draws") <= MAX_DRAWS:
        raise ConfigError(f"--draws {draws}: give 1 to {MAX_DRAWS:,} draws")
    if isinstance(draws, (str, Path)):
        draws = Draws.read(draws, base.site_ids)
    if not isinstance(draws, Draws):
        return Draws.sample(base.site_ids, draws, seed, spread)
    if draws.site_ids != list(base.site_ids):
        raise ConfigError("the draws are for other candidate sites than the data's; "
                          "read them with Draws.read(path, site_ids) of this data")
    return draws


def solve_each_draw(cfg, dataset, base, futures: Draws, scheduler: str | None,
                    workers: int | None, portfolios: bool = True, label: str = "draw"
                    ) -> tuple[list, list[dict[str, Any]]]:
    """Today's optimum (its gigafactories as member ID lists) and every draw's own optimum
    (:func:`solve_draw`; without ``portfolios`` its value only; ``label`` names a draw in
    messages), here or on Dask as :func:`~siteopt.analysis.engine.solve_pool` decides.

    Raises
    ------
    InfeasibleError
        When the model itself has no portfolio.
    """
    from siteopt.analysis.engine import gather, solve_pool, solve_summary, timed

    # today's optimum, where draws start; a draw takes about as long to solve
    (summary, start), seconds = timed(solve_summary, cfg, dataset, {})
    if summary["status"] == "infeasible":
        raise InfeasibleError(summary["error"])
    count = len(futures)
    with solve_pool(scheduler, workers, seconds * count, count) as client:
        shipped = client.scatter(base, broadcast=True)   # once, not per draw
        solved = gather(client, client.map(
            solve_draw, [shipped] * count, [cfg.solver] * count, range(count),
            [futures.factors(i) for i in range(count)], [start] * count,
            [portfolios] * count, [label] * count, pure=False),
            "draws solved")
    return summary["gigafactories"], solved


def robust(model=None, data=None, draws: int | Draws | str | Path = 1000, seed: int = 1,
           spread: Spread = Spread(), scheduler: str | None = None,
           workers: int | None = None, **overrides) -> Robustness:
    """Monte Carlo robustness of the optimum (see the module docstring).

    Parameters
    ----------
    model, **overrides
        As for :func:`siteopt.solve`.
    data : path, optional
        The data directory (each worker loads it once).
    draws : int, Draws or path
        How many draws to sample with ``seed`` and ``spread``; or the draws themselves, or
        the path of a file ``--draws-out`` wrote (:meth:`Draws.read`; then ``seed`` and
        ``spread`` are the file's): the same draws give the same answer.
    seed : int
    spread : Spread
    scheduler : str, optional
        A Dask scheduler address; by default the draws run here or on a local cluster of
        ``workers`` processes, as :func:`~siteopt.analysis.engine.solve_pool` decides.

    Returns
    -------
    Robustness
    """
    from siteopt.api import prepare

    data_dir = None if data is None else str(data)
    cfg, dataset, prepared = prepare(model, base_data(data_dir), overrides)
    base = prepared.instance
    futures = sampled_draws(base, draws, seed, spread)
    seed, spread, draws = futures.seed, futures.spread, len(futures)
    today, solved = solve_each_draw(cfg, dataset, base, futures, scheduler, workers)
    numbers = list(range(draws))
    found = {portfolio_label(s["portfolio"]): s["portfolio"] for s in solved if s["portfolio"]}
    found.setdefault(portfolio_label(today), today)
    labels = list(found)
    on = evaluate_on_draws(base, list(found.values()), futures)
    column = {label: i for i, label in enumerate(labels)}
    index = {site: i for i, site in enumerate(base.site_ids)}
    coverage = base.evaluate_many([[[index[s] for s in g] for g in found[label]]
                                   for label in labels], weighted_only=True)["coverage"]
    people = dict(zip(labels, coverage * base.total_population))
    frame = pd.DataFrame({"draw": numbers,
                          "objective": [s["objective"] for s in solved],
                          "portfolio": [portfolio_label(s["portfolio"]) if s["portfolio"]
                                        else "none"
                                        for s in solved]}).astype({"objective": float})
    mine = column[portfolio_label(today)]
    frame["today"] = on.objective[:, mine]
    frame["regret"] = frame["objective"] - frame["today"]
    frame["today_over_budget"] = on.over_budget[:, mine]
    frame["today_slipped"] = on.slipped[:, mine]
    frame["people"] = [people.get(label, np.nan) for label in frame["portfolio"]]
    frame["today_people"] = on.people[:, mine]
    frame["capex_eur"] = [on.capex_eur[d, column[label]] if label in column else np.nan
                          for d, label in zip(numbers, frame["portfolio"])]
    frame["today_capex_eur"] = on.capex_eur[:, mine]
    with_portfolio = [s for s in solved if s["portfolio"]]
    count = draws   # shares of every draw, as "optimal in" is
    sites = Counter(site for s in with_portfolio for g in s["portfolio"] for site in g)
    factories = Counter("+".join(g) for s in with_portfolio for g in s["portfolio"])
    optimal_in = Counter(frame["portfolio"])
    over = on.over_budget.mean(axis=0)
    candidates = pd.DataFrame({
        "portfolio": labels,
        "mean objective": on.objective.mean(axis=0),
        "sd": on.objective.std(axis=0),
        "5 % quantile": np.quantile(on.objective, 0.05, axis=0),
        "over budget in": over,
        "a member's grid slips in": on.slipped.mean(axis=0),
        "optimal in": [optimal_in.get(label, 0) / draws for label in labels],
    })
    order = np.lexsort((candidates["portfolio"].to_numpy(), -candidates["mean objective"],
                        over > cfg.robust.budget_risk + 1e-12))
    candidates = candidates.iloc[order].reset_index(drop=True)
    every_site = [site for site, ok in zip(base.site_ids, base.eligible) if ok]
    frequency = pd.Series({site: sites.get(site, 0) / count for site in every_site},
                          dtype=float)
    frequency = frequency.iloc[np.lexsort((frequency.index.to_numpy(), -frequency.to_numpy()))]
    return Robustness(
        frame, frequency,
        pd.Series({g: n / count for g, n in sorted(factories.items())}, dtype=float),
        candidates, portfolio_label(today), cfg.description, seed, spread, data_dir,
        people.get(portfolio_label(today), np.nan), base.budget_eur,
        cfg.coverage.radius_km, futures, cfg.robust.budget_risk)
