"""The analyses a report asks for (``siteopt report --with ...``), run with one set of options."""

from __future__ import annotations

from dataclasses import dataclass

from siteopt.analysis.draws import Spread
from siteopt.errors import ConfigError

#: The analyses ``--with`` accepts, in the order the report shows them.
ANALYSES = ("alternatives", "explain", "sweep", "weights", "pareto", "robust")


@dataclass(frozen=True)
class ReportAnalyses:
    """Which analyses to run for a report, and how.

    Attributes
    ----------
    names : tuple of str
        Out of :data:`ANALYSES`.
    k : int
        Portfolios in the alternatives ranking.
    sites : tuple of str
        Sites to explain; by default those the second-best portfolio adds or drops.
    varies : tuple of str
        ``KEY=START:STOP:STEP`` of the sweep.
    x, y : str
        Terms of the Pareto front.
    points : int
        Most Pareto points.
    draws : int or str
        How many Monte Carlo draws to sample with ``seed`` and ``spread``, or the path of a
        file of draws (``robust --draws-out``; then the file's seed and spread hold).
    seed : int
    spread : Spread
    scheduler : str, optional
    workers : int
    """

    names: tuple[str, ...]
    k: int = 5
    sites: tuple[str, ...] = ()
    varies: tuple[str, ...] = ("budget.total_eur=10e9:30e9:2.5e9",)
    x: str = "cost"
    y: str = "coverage"
    points: int = 8
    draws: int | str = 100
    seed: int = 1
    spread: Spread = Spread()
    scheduler: str | None = None
    workers: int | None = None


def parse_names(text: str) -> tuple[str, ...]:
    """``alternatives,robust`` as a tuple in report order; an unknown name is refused."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in ANALYSES]
    if unknown:
        raise ConfigError(f"--with {text!r}: unknown analysis {', '.join(unknown)}; choose "
                          f"from {', '.join(ANALYSES)}")
    return tuple(name for name in ANALYSES if name in names)


def run_for_report(request: ReportAnalyses, model, data) -> list:
    """Run every analysis of ``request`` on ``model`` and ``data``, in report order.

    Returns
    -------
    list
        Their results (:class:`~siteopt.analysis.Alternatives`, ...); ``robust`` gives
        two: the :class:`~siteopt.analysis.Robustness` and the
        :class:`~siteopt.analysis.choose.RobustChoice` on the same draws.
    """
    from siteopt.analysis import alternatives, explain, pareto, robust, sweep, weight_ranges
    from siteopt.analysis.choose import choose

    results = []
    ranking = None
    for name in request.names:
        if name == "alternatives":
            ranking = alternatives(model, data, k=request.k)
            results.append(ranking)
        elif name == "explain":
            sites = list(request.sites)
            if not sites:
                ranking = ranking or alternatives(model, data, k=2)
                second = ranking.items[1] if len(ranking.items) > 1 else ranking.items[0]
                sites = (second.sites_in + second.sites_out) or [
                    member for g in ranking.items[0].gigafactories for member in g][:1]
            results.append(explain(sites, model, data, scheduler=request.scheduler,
                                   workers=request.workers))
        elif name == "sweep":
            results.append(sweep(list(request.varies), model, data,
                                 scheduler=request.scheduler, workers=request.workers))
        elif name == "weights":
            results.append(weight_ranges(model, data, scheduler=request.scheduler,
                                         workers=request.workers))
        elif name == "pareto":
            results.append(pareto(request.x, request.y, request.points, model, data))
        else:   # how sure the optimum is, then the portfolio that is best across the draws
            results.append(robust(model, data, draws=request.draws, seed=request.seed,
                                  spread=request.spread, scheduler=request.scheduler,
                                  workers=request.workers))
            results.append(choose(model, data, draws=request.draws, seed=request.seed,
                                  spread=request.spread, scheduler=request.scheduler,
                                  workers=request.workers))
    return results
