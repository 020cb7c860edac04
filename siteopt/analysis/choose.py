r"""``siteopt robust --choose``: the robust choice on sampled draws
(:mod:`siteopt.analysis.choice`), checked on fresh draws against today's optimum.

1. The choice: the portfolio of best mean objective over N draws, over the budget in at most
   a share alpha of them (``robust.budget_risk``), proven optimal on those draws.
2. Out of sample: the choice and today's deterministic optimum are valued on M fresh draws
   (draws N, ..., N + M - 1 of the same seed: independent of the first N), each of which is
   also solved to its own optimum. For both: the mean objective with its 95 % confidence
   interval (mean +- 1.96 standard errors), the 5 % quantile, the share of draws over the
   budget and the mean regret (the draw's own optimum minus the portfolio's value in it).
3. The sampling gap (Mak, Morton and Wood 1999), with ``gap_samples`` = K > 0: K further
   independent samples of N draws are each solved to their robust optimum :math:`v_k` (where
   one stops at the time limit unproven, its bound, above its optimum). Their
   mean over-estimates the true optimum in expectation (an optimum over a sample is
   optimistic), the choice's out-of-sample mean under-estimates it (it is one feasible
   portfolio), so the difference bounds how much better a portfolio chosen on infinitely
   many draws could do; its 95 % upper limit uses both standard errors (normal quantile:
   with few samples a rough guide, which the text says).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from siteopt.analysis.choice import Choice, robust_choice
from siteopt.analysis.draws import Draws, Spread, check_seed
from siteopt.config import whole
from siteopt.errors import ConfigError, InfeasibleError, SolverError
from siteopt.solvers.outcome import Status
from siteopt.units import count, eur, mw, people

#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054
#: What ``--criterion`` accepts.
CRITERIA = ("mean", "regret")
#: Most fresh draws and gap samples.
MAX_TEST_DRAWS = 100_000
MAX_GAP_SAMPLES = 50


@dataclass(frozen=True)
class SamplingGap:
    """The Mak-Morton-Wood estimate (see the module docstring).

    Attributes
    ----------
    optima : tuple of float
        The robust optimum of each further sample of N draws (its bound where the solver
        stopped before proving it), objective points.
    gap : float
        Mean of ``optima`` minus the choice's out-of-sample mean, objective points.
    gap_high : float
        Its 95 % upper limit, objective points.
    """

    optima: tuple
    gap: float
    gap_high: float


@dataclass(frozen=True)
class RobustChoice:
    """What ``siteopt robust --choose`` reports.

    Attributes
    ----------
    choice : Choice
        The robust choice on the N draws (status, gap, its in-sample mean and share over
        budget).
    chosen, today : tuple of tuple of str
        The robust choice and today's optimum: the member site IDs of each gigafactory.
    comparison : DataFrame
        One row each for the robust choice and today's optimum: ``portfolio``, ``capex``
        (nominal, EUR), ``in-sample mean``, and on the fresh draws ``people within reach``
        (mean people within R of a member that delivers), ``power delivered`` (mean effective
        power of the members that deliver, MW), ``mean`` (objective), ``95 % CI low``,
        ``95 % CI high``, ``5 % quantile``, ``over budget in``, ``a member's grid slips in``,
        ``mean regret`` and ``largest regret`` (each fresh draw's own optimum less the
        portfolio's score in it, over the draws that have one).
    slip_frequency : Series
        Per member site of the choice: the share of the N draws in which its grid slips.
    futures : Draws
        The N draws of the choice (``--draws-out`` writes them).
    test_draws : int
        M, the fresh draws.
    sampling_gap : SamplingGap or None
        None unless asked for.
    model : str
    budget_eur, budget_risk : float
    seed : int or None
    data_dir : str or None
    illustrative : str
        The caveat for the choice's members with illustrative figures (empty without any).
    criterion : str
        ``mean`` (the best mean objective) or ``regret`` (the least largest regret).
    radius_km : float
        R, km (the reach of ``people within reach``).
    fresh_seed : int
        The seed of the fresh draws (draws N to N + M - 1 of it): the draws' own seed, or
        ``seed`` of :func:`choose` where they have none (a draws file may leave it out).
    fresh_spread : Spread
        The spread of the fresh draws: the draws' own, or ``spread`` of :func:`choose`.
    """

    #: How :attr:`comparison` columns are shown in tables (``eur``, ``people``, ``mw``: the
    #: functions of :mod:`siteopt.units`).
    FORMATS = {"capex": "eur", "in-sample mean": ".4f", "people within reach": "people",
               "power delivered": "mw", "mean": ".4f", "95 % CI low": ".4f",
               "95 % CI high": ".4f", "5 % quantile": ".4f", "over budget in": ".1%",
               "a member's grid slips in": ".0%", "mean regret": ".4f",
               "largest regret": ".4f"}

    choice: Choice
    chosen: tuple
    today: tuple
    comparison: pd.DataFrame
    slip_frequency: pd.Series
    futures: Draws
    test_draws: int
    sampling_gap: SamplingGap | None
    model: str
    budget_eur: float
    budget_risk: float
    seed: int | None
    data_dir: str | None = None
    illustrative: str = ""
    criterion: str = "mean"
    radius_km: float = 500.0
    fresh_seed: int = 1
    fresh_spread: Spread = Spread()

    def table(self) -> pd.DataFrame:
        """:attr:`comparison`."""
        return self.comparison

    def shown(self) -> pd.DataFrame:
        """:attr:`comparison` for reading: one row per measure, one column each for the
        choice and today's optimum, values formatted. The measures are on the fresh draws (as
        the table's title says) except the two named otherwise: the nominal capex and the
        mean score on the draws the choice was made on."""
        rows = {"portfolio": list(self.comparison["portfolio"])}
        shown_as = {"eur": eur, "people": people, "mw": mw}
        labels = {"capex": "capex (nominal)",
                  "in-sample mean": f"mean score on the choice's {len(self.futures):,} draws",
                  "people within reach": f"people within {self.radius_km:g} km (mean)",
                  "power delivered": "power delivered (mean)", "mean": "mean score"}
        for column, form in self.FORMATS.items():
            values = self.comparison[column]
            rows[labels.get(column, column)] = [
                "n/a" if not np.isfinite(v) else shown_as[form](v) if form in shown_as
                else format(v, form) for v in values]
        return pd.DataFrame(rows, index=self.comparison.index).T.reset_index(names="")

    def summary_lines(self) -> list[str]:
        """The outcome in plain sentences: what to fund and how it fares on fresh draws
        against today's optimum, how sure the choice is, and the sampling gap."""
        mine, today = self.comparison.iloc[0], self.comparison.iloc[1]
        choice = self.choice
        gap_said = (f"gap {choice.gap:.2%}" if math.isfinite(choice.gap)
                    else "gap unknown: the solver had no bound yet")
        stopped = choice.status.words
        proven = (f"proven optimal on its {count(len(self.futures), 'draw')}" if choice.gap == 0
                  else f"not proven: {stopped}, {gap_said}")
        from siteopt.analysis.robust import portfolio_label

        chosen, today_label = portfolio_label(self.chosen), portfolio_label(self.today)
        against = (" (today's optimum too)" if chosen == today_label else
                   f"; today's optimum ({today_label or 'none'}): within the budget in "
                   f"{1 - today['over budget in']:.0%}, {people(today['people within reach'])}, "
                   f"{mw(today['power delivered'])}, {self._scores(today)}")
        unproven = ("" if choice.gap == 0
                    else f"Not proven optimal ({stopped}, {gap_said}{choice.status.remedy}): ")
        lines = [
            f"{unproven}Fund {chosen or 'no gigafactory'}: within the budget of "
            f"{eur(self.budget_eur)} in {1 - mine['over budget in']:.0%} of "
            f"{count(self.test_draws, 'fresh future')}, on average "
            f"{people(mine['people within reach'])} within {self.radius_km:g} km and "
            f"{mw(mine['power delivered'])} delivered, {self._scores(mine)}{against}.",
            *_fresh_caveats(mine, today, self.budget_risk, len(self.futures), self.test_draws,
                            same=chosen == today_label, criterion=self.criterion),
            *([self.illustrative] if self.illustrative else []),
            f"The robust choice ({proven}; model {self.model}, {self._origin()}) "
            + ("maximises the mean objective over the draws" if self.criterion == "mean" else
               f"has the least largest regret over the draws ({choice.largest_regret:.4f} "
               f"points below a draw's own optimum at worst)")
            + f" and may be over the budget in at most "
            f"{self.budget_risk:.0%} of them (it is in {choice.over_budget:.0%}); a member "
            f"whose grid slips delivers nothing while its capex is spent.",
            f"On the fresh draws{self._fresh_origin()}: the choice scores {mine['mean']:.4f} "
            f"({_spread(mine)}); "
            f"today's optimum {today['mean']:.4f} ({_spread(today)})."]
        gap = self.sampling_gap
        if gap is None:
            lines.append("Sampling gap not estimated (siteopt robust --choose --gap-samples K "
                         "solves K more samples).")
        else:
            more = ("more draws would change the score by little" if gap.gap_high
                    <= 0.01 * abs(mine["mean"]) else "more draws could still change the choice")
            lines.append(
                f"Sampling gap (Mak, Morton and Wood; {len(gap.optima)} more samples of "
                f"{count(len(self.futures), 'draw')}): {gap.gap:.4f} points, at most "
                f"{gap.gap_high:.4f} with 95 % confidence"
                + (" (few samples: a rough guide)" if len(gap.optima) < 10 else "")
                + f": {more}.")
        return lines

    def _scores(self, row) -> str:
        """``mean score 0.472`` of a comparison row; chosen by the least largest regret, that
        regret on the fresh draws too (where a fresh draw has an optimum of its own)."""
        said = f"mean score {row['mean']:.3f}"
        if self.criterion == "regret" and np.isfinite(row["largest regret"]):
            said += f", largest regret {row['largest regret']:.3f}"
        return said

    def _origin(self) -> str:
        return "draws read from a file" if self.seed is None else f"seed {self.seed}"

    def _fresh_origin(self) -> str:
        """How the fresh draws were made, where the draws do not say it themselves."""
        return "" if self.seed is not None else (
            f" (seed {self.fresh_seed}, as the draws file names none)")

    def summary(self) -> str:
        """:meth:`summary_lines` as one paragraph."""
        return " ".join(self.summary_lines())

    def plot_map(self, dataset=None, ax=None):
        """Map of the robust choice's members, each marked by how often its grid slips in
        the draws.

        Parameters
        ----------
        dataset : Dataset, optional
            The data the draws came from (by default loaded from :attr:`data_dir`).

        Returns
        -------
        matplotlib Axes
        """
        from siteopt.analysis.robust import base_data
        from siteopt.report.maps import plot_frequency

        return plot_frequency(dataset if dataset is not None else base_data(self.data_dir),
                              self.slip_frequency,
                              f"The robust choice ({count(len(self.futures), 'draw')}, "
                              f"{self._origin()}): how often each member's grid slips\n"
                              f"model: {self.model}", ax=ax, label_at=0.0, event="slips",
                              others="not in the robust choice", zero_shown=True)

    def to_json(self) -> str:
        choice = self.choice
        gap = self.sampling_gap
        return json.dumps({
            "model": self.model, "seed": self.seed, "draws": len(self.futures),
            "test_draws": self.test_draws, "budget_eur": self.budget_eur,
            "budget_risk": self.budget_risk, "summary": self.summary_lines(),
            "choice": {"status": choice.status.value,
                       "gap": choice.gap if math.isfinite(choice.gap) else None,
                       "gigafactories": _listed(self.chosen),
                       "criterion": self.criterion,
                       "mean_objective": choice.mean_objective,
                       "largest_regret": None if math.isnan(choice.largest_regret)
                       else choice.largest_regret,
                       "over_budget_share": choice.over_budget, "seconds": choice.seconds},
            "today": _listed(self.today),
            "comparison": json.loads(self.comparison.reset_index(names="of").to_json(
                orient="records", double_precision=15)),
            "slip_frequency": self.slip_frequency.to_dict(),
            "fresh_draws": {"seed": self.fresh_seed, "first_draw": len(self.futures),
                            "count": self.test_draws,
                            "spread": dataclasses.asdict(self.fresh_spread)},
            "sampling_gap": None if gap is None else dataclasses.asdict(gap)}, indent=2)


def _listed(portfolio) -> list[list[str]]:
    """The gigafactories' member ID lists in the order of
    :func:`~siteopt.analysis.robust.portfolio_label`."""
    return [list(g) for g in sorted(portfolio, key="+".join)]


def choose(model=None, data=None, draws: int | Draws | str | Path = 1000, seed: int = 1,
           spread: Spread = Spread(), test_draws: int | None = None, gap_samples: int = 0,
           scheduler: str | None = None, workers: int | None = None, criterion: str = "mean",
           **overrides) -> RobustChoice:
    """The robust choice on ``draws`` and its out-of-sample comparison with today's optimum
    (see the module docstring).

    Parameters
    ----------
    model, data, draws, seed, spread, scheduler, workers, **overrides
        As for :func:`~siteopt.analysis.robust.robust`.
    test_draws : int, optional
        M, the fresh draws (default: as many as ``draws``).
    gap_samples : int
        K, the further samples of the sampling gap (0: not estimated).
    criterion : {"mean", "regret"}
        ``regret``: the portfolio of least largest regret over the draws instead (every draw
        is then solved to its own optimum first; see
        :func:`~siteopt.analysis.choice.robust_choice`).

    Raises
    ------
    InfeasibleError
        When no portfolio stays within the budget in enough draws.
    """
    from siteopt.analysis.robust import (
        base_data,
        evaluate_on_draws,
        sampled_draws,
        solve_each_draw,
    )
    from siteopt.api import prepare

    data_dir = None if data is None else str(data)
    cfg, dataset, prepared = prepare(model, base_data(data_dir), overrides)
    base = prepared.instance
    futures = sampled_draws(base, draws, seed, spread)
    n_draws = len(futures)
    test_draws = n_draws if test_draws is None else test_draws
    if not 1 <= whole(test_draws, "--test-draws") <= MAX_TEST_DRAWS:
        raise ConfigError(f"--test-draws {test_draws}: give 1 to {MAX_TEST_DRAWS:,}")
    if not 0 <= whole(gap_samples, "--gap-samples") <= MAX_GAP_SAMPLES:
        raise ConfigError(f"--gap-samples {gap_samples}: give 0 to {MAX_GAP_SAMPLES}")
    if criterion not in CRITERIA:
        raise ConfigError(f"--criterion {criterion}: choose {' or '.join(CRITERIA)}")
    if criterion == "regret" and gap_samples:
        raise ConfigError("--gap-samples estimates the sampling gap of the mean objective; "
                          "leave it out with --criterion regret")
    risk = cfg.robust.budget_risk
    # across borders, the same model with national gigafactories: its robust choice, found
    # by the search, starts HiGHS (robust_choice)
    national = prepare(model, dataset, {**overrides, "consolidation.cross_border": False}
                       )[2].instance if base.cross_border else None

    def chosen_on(sample: Draws) -> Choice:
        if criterion == "mean":
            return robust_choice(base, sample, risk, cfg.solver, national=national)
        _, solved = solve_each_draw(cfg, dataset, base, sample, scheduler, workers,
                                    portfolios=False)
        own = np.array([s["objective"] for s in solved], dtype=float)
        return robust_choice(base, sample, risk, cfg.solver, criterion="regret", own=own,
                             national=national)

    def found(choice: Choice, which: str) -> Choice:
        if math.isnan(choice.mean_objective) and choice.status != Status.INFEASIBLE:
            raise SolverError(f"no portfolio found on {which} before the solver stopped "
                              f"({choice.status.words}); raise "
                              f"solver.time_limit_s or use fewer draws")
        return choice

    choice = found(chosen_on(futures), f"the {count(n_draws, 'draw')}")
    if choice.status == Status.INFEASIBLE:
        raise InfeasibleError(
            f"no portfolio keeps the model's rules and stays within the budget of "
            f"{eur(base.budget_eur)} in at least {1 - risk:.0%} of the "
            f"{count(n_draws, 'draw')}; raise --budget or robust.budget_risk")
    # fresh draws: numbered after the choice's (and after any gap samples'), same seed
    fresh_seed = futures.seed if futures.seed is not None else check_seed(seed)
    fresh_spread = futures.spread if futures.spread is not None else spread
    fresh = Draws.sample(base.site_ids, test_draws, fresh_seed, fresh_spread, first=n_draws)
    today, solved = solve_each_draw(cfg, dataset, base, fresh, scheduler, workers,
                                    portfolios=False, label="fresh draw")
    chosen = [sorted(base.site_ids[s] for s in g) for g in choice.gigafactories]   # IDs' order
    on = evaluate_on_draws(base, [chosen, today], fresh)
    own = np.array([s["objective"] for s in solved], dtype=float)
    comparison = _comparison(base, [chosen, today], futures, on, own)
    members = [site for g in chosen for site in g]
    index = {site: i for i, site in enumerate(base.site_ids)}
    slips = pd.Series({site: float(futures.slipped[:, index[site]].mean())
                       for site in sorted(members)}, dtype=float)
    gap = None
    if gap_samples:
        optima = []
        for k in range(gap_samples):
            sample = Draws.sample(base.site_ids, n_draws, fresh_seed, fresh_spread,
                                  first=n_draws + test_draws + k * n_draws)
            further = found(chosen_on(sample), f"further sample {k + 1} of {gap_samples} "
                                               f"({count(n_draws, 'draw')}) for the sampling gap")
            if further.status == Status.INFEASIBLE:
                raise InfeasibleError(
                    f"further sample {k + 1} of {gap_samples} for the sampling gap has no "
                    f"portfolio within the budget in at least {1 - risk:.0%} of its draws; "
                    f"leave out --gap-samples or raise robust.budget_risk")
            if not math.isfinite(further.bound):
                raise SolverError(f"further sample {k + 1} of {gap_samples} "
                                  f"({count(n_draws, 'draw')}) for the sampling gap stopped "
                                  f"before the solver had a bound; raise solver.time_limit_s "
                                  f"or leave out --gap-samples")
            # its bound: the sample's optimum when proven, else above it (the gap stays an
            # upper estimate)
            optima.append(further.bound)
        gap = _sampling_gap(np.array(optima), on.objective[:, 0])
    return RobustChoice(choice, tuple(map(tuple, chosen)), tuple(map(tuple, today)), comparison,
                        slips, futures, test_draws, gap, cfg.description, base.budget_eur, risk,
                        futures.seed, data_dir, _illustrative(dataset, members), criterion,
                        cfg.coverage.radius_km, fresh_seed, fresh_spread)


def _illustrative(dataset, members: list[str]) -> str:
    """The caveat for the ``members`` with illustrative figures in ``dataset``."""
    from siteopt.summary import illustrative_among, illustrative_sentence

    return illustrative_sentence(illustrative_among(members, dataset), len(members), dataset)


def _comparison(base, portfolios, futures: Draws, on, own: np.ndarray) -> pd.DataFrame:
    """The table of :attr:`RobustChoice.comparison` (``on``: the two portfolios valued on
    the fresh draws; ``own``: each fresh draw's own optimum, NaN where it has none)."""
    from siteopt.analysis.robust import evaluate_on_draws, portfolio_label

    index = {site: i for i, site in enumerate(base.site_ids)}
    in_sample = evaluate_on_draws(base, portfolios, futures).objective.mean(axis=0)
    value = on.objective
    mean = value.mean(axis=0)
    error = value.std(axis=0, ddof=1) / math.sqrt(len(value)) if len(value) > 1 \
        else np.full(2, np.nan)
    regrets = own[:, None] - value
    has_own = np.isfinite(own).any()
    regret = np.nanmean(regrets, axis=0) if has_own else np.full(2, np.nan)
    largest = np.nanmax(regrets, axis=0) if has_own else np.full(2, np.nan)
    capex = [base.capital_cost_eur([[index[s] for s in g] for g in p]) for p in portfolios]
    frame = pd.DataFrame({
        "portfolio": [portfolio_label(p) for p in portfolios], "capex": capex,
        "in-sample mean": in_sample, "people within reach": on.people.mean(axis=0),
        "power delivered": on.power_mw.mean(axis=0), "mean": mean,
        "95 % CI low": mean - Z95 * error,
        "95 % CI high": mean + Z95 * error, "5 % quantile": np.quantile(value, 0.05, axis=0),
        "over budget in": on.over_budget.mean(axis=0),
        "a member's grid slips in": on.slipped.mean(axis=0), "mean regret": regret,
        "largest regret": largest},
        index=["robust choice", "today's optimum"])
    return frame


def _fresh_caveats(mine, today, budget_risk: float, draws: int, test_draws: int,
                   same: bool, criterion: str = "mean") -> list[str]:
    """What the fresh draws say against the choice, in plain words: over the budget more
    often than its risk allows, beyond chance (too few draws to hold the risk), and today's
    optimum doing better there by the criterion of the choice (a higher mean score, or a
    smaller largest regret).

    The first is said when, were the choice over the budget with probability ``budget_risk``
    (alpha), as many fresh draws over it or more would have a chance below 5 % (one-sided
    binomial test: :func:`binomial_tail`).
    """
    lines = []
    over = int(round(mine["over budget in"] * test_draws))
    if over and binomial_tail(over, test_draws, budget_risk) < 0.05:
        lines.append(f"Caution: the choice is over the budget in {over / test_draws:.0%} of the "
                     f"fresh futures, more than the {budget_risk:.0%} it may be on its "
                     f"{count(draws, 'draw')}: too few draws to hold the budget risk; choose "
                     f"on more (--draws).")
    if criterion == "regret":
        better = today["largest regret"] < mine["largest regret"]
        does = (f"has a smaller largest regret on the fresh futures "
                f"({today['largest regret']:.3f} against {mine['largest regret']:.3f})")
    else:
        better = today["mean"] > mine["mean"]
        does = f"scores more on the fresh futures ({today['mean']:.3f} against {mine['mean']:.3f})"
    if not same and better:
        lines.append(
            f"Today's optimum {does}, but is over the budget in more of them "
            f"({today['over budget in']:.0%} against {mine['over budget in']:.0%})."
            if today["over budget in"] > mine["over budget in"]
            else f"Today's optimum {does} and is over the budget no more often: the choice "
                 f"does not hold out of sample; choose on more draws (--draws).")
    return lines


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X binomial with ``n`` trials of chance ``p`` (summed from k up, each
    term from the last; exact to rounding)."""
    if k <= 0:
        return 1.0
    if p <= 0.0 or k > n:
        return 0.0
    if p >= 1.0:
        return 1.0
    term = math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                    + k * math.log(p) + (n - k) * math.log1p(-p))
    total, ratio = 0.0, p / (1.0 - p)
    for j in range(k, n + 1):
        total += term
        if term < 1e-17 * total:
            break
        term *= (n - j) / (j + 1) * ratio
    return min(1.0, total)


def _spread(row) -> str:
    """``95 % CI 0.4273 to 0.4662, 5 % quantile 0.2695, mean regret 0.1483, largest 0.3120``
    for one row of the comparison; a confidence interval needs two fresh draws, a regret a
    draw with its own optimum, and each says so where it has none."""
    interval = (f"95 % CI {row['95 % CI low']:.4f} to {row['95 % CI high']:.4f}"
                if np.isfinite(row["95 % CI low"]) else "no 95 % CI from one fresh draw")
    regret = (f"mean regret {row['mean regret']:.4f}, largest {row['largest regret']:.4f}"
              if np.isfinite(row["mean regret"])
              else "no regret: no fresh draw has a portfolio of its own")
    return f"{interval}, 5 % quantile {row['5 % quantile']:.4f}, {regret}"


def _sampling_gap(optima: np.ndarray, fresh: np.ndarray) -> SamplingGap:
    """The Mak-Morton-Wood gap from the further samples' optima and the choice's values on
    the fresh draws (see the module docstring)."""
    gap = float(optima.mean() - fresh.mean())
    spread = (optima.var(ddof=1) / len(optima) if len(optima) > 1 else 0.0) \
        + (fresh.var(ddof=1) / len(fresh) if len(fresh) > 1 else 0.0)
    return SamplingGap(tuple(float(v) for v in optima), gap,
                       float(gap + Z95 * math.sqrt(spread)))
