"""The public entry point: :func:`solve` runs the whole pipeline.

load + validate -> coverage -> build -> solve -> result
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from siteopt import strict_json
from siteopt.config import (
    ModelConfig,
    apply_overrides,
    default_model,
    load_model,
    load_model_overrides,
)
from siteopt.consolidation import gigafactory_id, plan_consolidation
from siteopt.data import Dataset, load_data
from siteopt.errors import ConfigError
from siteopt.instance import prepare_instance
from siteopt.paths import default_model_path, display_path, model_path
from siteopt.result import Result
from siteopt.sanitize import printable_text
from siteopt.solvers import solve_fewest, solve_instance, trusted
from siteopt.solvers.outcome import SolverOutcome, Status

#: Short keyword names accepted by :func:`solve`, and the model keys they set.
ALIASES = {
    "budget": "budget.total_eur",
    "max_sites": "limits.max_gigafactories",
    "max_gigafactories": "limits.max_gigafactories",
    "radius_km": "coverage.radius_km",
    "solver": "solver.name",
    "time_limit": "solver.time_limit_s",
    "mip_gap": "solver.mip_gap",
}


def resolve_model(model: str | Path | ModelConfig | None = None,
                  overrides: dict[str, Any] | None = None,
                  set_items: tuple[str, ...] | list[str] = (),
                  origin: str = "keyword argument") -> ModelConfig:
    """The effective model: a file (default: the workspace's model, else the shipped
    ``default``) plus overrides.

    Overrides use dotted keys (``"weights.coverage"``), ``section__key`` names
    (``weights__coverage``) or the short names in :data:`ALIASES`; ``None`` values are ignored.
    ``set_items`` are ``KEY=VALUE`` strings as given to ``--set``, applied last. ``origin``
    names the overrides in messages (``command line`` for the CLI's options).
    """
    if not isinstance(model, (ModelConfig, str, Path, type(None))):
        raise ConfigError(f"model {model!r}: give the name of a shipped scenario, the path of a "
                          f"model file or a ModelConfig")
    if not isinstance(model, ModelConfig):
        model = load_model(model_path(model) if model is not None else default_model_path())
    keyed = {ALIASES.get(key, key.replace("__", ".")): value
             for key, value in (overrides or {}).items() if value is not None}
    return load_model_overrides(model, keyed, set_items, origin)


def prepare(model=None, data=None, overrides: dict[str, Any] | None = None,
            timings: dict[str, float] | None = None, terms: tuple[str, ...] = ()):
    """The effective model and its instance, ready to solve (``load`` and ``coverage``
    seconds go into ``timings``); the rows of the access ``terms`` are in the model even at
    weight 0 (for a Pareto front over them).

    Returns
    -------
    cfg : ModelConfig
    dataset : Dataset
    prepared : PreparedInstance
    """
    timings = timings if timings is not None else {}
    cfg = resolve_model(model, overrides)
    start = time.perf_counter()
    dataset = data if isinstance(data, Dataset) else load_data(data)
    timings["load"] = time.perf_counter() - start
    start = time.perf_counter()
    prepared = prepare_instance(dataset, cfg, terms)
    timings["coverage"] = time.perf_counter() - start
    return cfg, dataset, prepared


def solve(model: str | Path | ModelConfig | None = None,
          data: str | Path | Dataset | None = None, **overrides: Any) -> Result:
    """Choose the gigafactory sites: load, validate, build and solve the model.

    Parameters
    ----------
    model : path or ModelConfig, optional
        A TOML model file or scenario name (default: the workspace's model, else the shipped
        ``default``) or settings already loaded.
    data : path or Dataset, optional
        The data directory or Excel workbook (default: ``$SITEOPT_DATA``, else the
        workspace's, else the shipped EU data set) or a loaded :class:`Dataset`.
    **overrides
        Model keys to change: ``budget=8e9``, ``max_gigafactories=3``, ``solver="highs"``,
        ``time_limit=30``, ``weights__coverage=0.7`` or ``**{"weights.coverage": 0.7}``.

    Returns
    -------
    Result

    Raises
    ------
    InputError, ConfigError
        Bad data or settings (exit code 2 on the command line).
    InfeasibleError
        The limits conflict; the message names them (exit code 1).
    SolverError
        The solver failed or found no solution in time (exit code 1).

    Examples
    --------
    >>> import siteopt
    >>> result = siteopt.solve(budget=8e9, max_gigafactories=2)
    >>> result.status.value, len(result.gigafactories) <= 2, result.total_capex_eur <= 8e9
    ('optimal', True, True)
    """
    timings: dict[str, float] = {}
    cfg, dataset, prepared = prepare(model, data, overrides, timings)
    return solve_prepared(cfg, dataset, prepared, timings)


def solve_prepared(cfg: ModelConfig, dataset: Dataset, prepared, timings: dict[str, float],
                   runner_up: bool = True) -> Result:
    """:func:`solve` for a model already prepared (:func:`prepare`).

    Parameters
    ----------
    runner_up : bool
        Prove the runner-up too (as :func:`solve` does). Without, the portfolio is the same
        proven optimum, chosen among ties the same way, and ``runner_up`` may be None only
        because it was not asked for (the search path skips it; HiGHS finds it on the way):
        the explorer shows such an answer at once and proves the runner-up next.
    """
    fewest = None
    if cfg.access.fewest_gigafactories:
        outcome, method, fewest = solve_fewest(prepared.instance, cfg.solver, timings,
                                               runner_up=runner_up)
    else:
        outcome, method = solve_instance(prepared.instance, cfg.solver, timings,
                                         runner_up=runner_up)
    trusted(prepared.instance, cfg.solver, outcome)
    return _make_result(dataset, cfg, prepared, outcome, timings, method, fewest)


def _make_result(dataset, cfg, prepared, outcome, timings, method: str,
                 fewest: int | None = None) -> Result:
    instance = prepared.instance
    selected = outcome.selected
    terms = instance.evaluate(outcome.gigafactories)
    members = [[instance.site_ids[s] for s in g] for g in outcome.gigafactories]
    gigafactory = np.full(len(instance.site_ids), "", dtype=object)
    for group, ids in zip(outcome.gigafactories, members):
        gigafactory[list(group)] = gigafactory_id(ids)
    sites = dataset.site_table.with_columns({
        "effective_mw": instance.effective_mw, "co2_g_per_kwh": instance.co2_g_per_kwh,
        "energy_cost_eur": instance.energy_cost_eur, "eligible": instance.eligible,
        "required": instance.required, "selected": np.asarray(selected, dtype=bool),
        "population_within_r": prepared.coverage.population_within,
        "energy_mwh_per_year": prepared.annual_energy_mwh,
        "gigafactory": gigafactory})
    plan = plan_consolidation(sites, dataset.letter_table, members,
                              cfg.consolidation.cross_border, cfg.consolidation.radius_km)
    return Result(
        status=outcome.status,
        objective=instance.objective(terms),
        terms=terms,
        selected=sorted(sites["site_id"][sites["selected"]].tolist()),
        site_table=sites,
        demand_covered=prepared.covered_points(selected),
        consolidation=plan,
        model=cfg,
        solver={"name": outcome.solver, "method": method, "method_setting": cfg.solver.method,
                "seconds": outcome.seconds, "gap": outcome.gap,
                "bound": outcome.bound, "reported_objective": outcome.objective,
                "formulation": "compact" if instance.compact else "candidates",
                "candidates": None if instance.compact else len(instance.candidates),
                "ties": outcome.ties, "ties_settled": outcome.ties_settled,
                "solves": outcome.solves, "fewest_gigafactories": fewest},
        runner_up=_runner_up(instance, outcome, members),
        inputs={**dataset.sha256, "model": cfg.sha256()},
        timings=timings,
        dataset=dataset,
    )


def _runner_up(instance, outcome, members) -> dict | None:
    """The best portfolio on other member sites, in the quantities behind it (None when there
    is none or it was not proven)."""
    runner = outcome.runner_up
    if runner is None:
        return None
    ids = [[instance.site_ids[s] for s in g] for g in runner.gigafactories]
    mask = instance.site_mask(runner.gigafactories)
    terms = instance.evaluate(runner.gigafactories)
    chosen = {s for g in members for s in g}
    theirs = {s for g in ids for s in g}
    extra = instance.extra_site_cost_eur * (int(mask.sum()) - len(runner.gigafactories))
    return {"gigafactories": sorted(gigafactory_id(g) for g in ids),
            "objective": runner.objective,
            "below": outcome.objective - runner.objective,
            "below_share": (outcome.objective - runner.objective) / max(abs(outcome.objective),
                                                                        1e-12),
            "sites_in": sorted(theirs - chosen), "sites_out": sorted(chosen - theirs),
            "covered_population": terms["coverage"] * instance.total_population,
            "total_capex_eur": float(instance.capex_eur[mask].sum()) + extra,
            "total_power_mw": float(instance.effective_mw[mask].sum())}


#: Largest result.json read by :func:`load_result`, bytes.
MAX_RESULT_BYTES = 50_000_000


def load_result(path: str | Path, data: str | Path | Dataset | None = None) -> Result:
    """A result saved as ``result.json``, rebuilt on its data without solving again.

    The saved portfolio is evaluated on the data and the saved model; the data must be the
    ones it was computed from (their SHA-256 are in the file), and the objective must come out
    the same.

    Parameters
    ----------
    path : path
        A ``result.json`` written by ``siteopt solve --out`` or ``--format json``.
    data : path or Dataset, optional
        Its data directory (default: the shipped ``data/``).

    Raises
    ------
    ConfigError
        The file is not a saved result, holds no solution, or does not match the data.
    """
    shown = display_path(path)
    document = _read_result(Path(path), shown)
    if document.get("status") not in (Status.OPTIMAL.value, Status.TIME_LIMIT.value):
        raise ConfigError(f"{shown}: holds no portfolio (status {document.get('status')!r}); "
                          f"solve again instead of --from")
    try:
        flat = {f"{section}.{key}": value
                for section, table in document["model"].items() for key, value in table.items()}
        cfg = dataclasses.replace(apply_overrides(default_model(), flat, origin=shown),
                                  source=str(document["model_description"]), origins=())
        dataset = data if isinstance(data, Dataset) else load_data(data)
        changed = [name for name, digest in document["inputs"].items()
                   if name != "model" and dataset.sha256.get(name) != digest]
        if changed:
            raise ConfigError(f"{shown}: the data changed since this result was computed "
                              f"({', '.join(changed)} differ); pass the --data it was computed "
                              f"from, or solve again")
        prepared = prepare_instance(dataset, cfg)
        gigafactories = _saved_portfolio(document.get("gigafactories"),
                                         prepared.instance.site_ids, shown)
        solver = document["solver"]
        outcome = SolverOutcome(Status(document["status"]), gigafactories,
                                prepared.instance.site_mask(gigafactories),
                                float(document["objective"]), float(solver["bound"]),
                                float(solver["gap"]), float(solver["seconds"]),
                                str(solver["name"]))
        timings = {key: float(value) for key, value in document["timings"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        what = (f"its field {err.args[0]!r} is missing" if isinstance(err, KeyError)
                else f"a field is not what siteopt writes: {err}")
        raise ConfigError(f"{shown}: is not a result.json written by siteopt "
                          f"({printable_text(what)[:120]}); pass the result.json of siteopt "
                          f"solve --out") from None
    broken = prepared.instance.violations(gigafactories)
    made = _make_result(dataset, cfg, prepared, outcome, timings, str(solver["method"]))
    if not _is_runner_up(document.get("runner_up")):
        raise ConfigError(f"{shown}: is not a result.json written by siteopt (its runner_up is "
                          f"malformed); pass the result.json of siteopt solve --out")
    # what the saved solve settled: its runner-up and ties (caveats, titles)
    result = dataclasses.replace(made, runner_up=document.get("runner_up"),
                                 solver={**made.solver, "ties": int(solver.get("ties", 1)),
                                         "ties_settled": bool(solver.get("ties_settled"))})
    if broken or abs(result.objective - float(document["objective"])) > 1e-9:
        raise ConfigError(f"{shown}: its portfolio does not evaluate to its objective on these "
                          f"data and settings; solve again")
    return result


def _saved_portfolio(rows, site_ids, shown: str) -> tuple[tuple[int, ...], ...]:
    """The gigafactories of a saved result as sorted site indices; a gigafactory that is not
    a list of ``site_ids`` is :class:`~siteopt.errors.ConfigError`, naming it."""
    if not isinstance(rows, list):
        raise ConfigError(f"{shown}: \"gigafactories\" must be a list, each with its "
                          f"\"members\"; pass the result.json of siteopt solve --out")
    index = {site: i for i, site in enumerate(site_ids)}
    portfolio = []
    for number, row in enumerate(rows, 1):
        members = row.get("members") if isinstance(row, dict) else None
        if not isinstance(members, list) or not members \
                or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{shown}: gigafactory {number}: \"members\" must be a list of "
                              f"site IDs; pass the result.json of siteopt solve --out")
        unknown = [m for m in members if m not in index]
        if unknown:
            raise ConfigError(f"{shown}: gigafactory {number} names "
                              f"{printable_text(repr(unknown[0]))[:60]}, not a site of these "
                              f"data; pass the --data it was computed from, or solve again")
        portfolio.append(tuple(sorted(index[m] for m in members)))
    return tuple(sorted(portfolio))


def _is_runner_up(value) -> bool:
    """Whether a saved ``runner_up`` has the form :func:`_runner_up` writes (or is None)."""
    if value is None:
        return True
    numbers = ("objective", "below", "below_share", "covered_population", "total_capex_eur",
               "total_power_mw")
    lists = ("gigafactories", "sites_in", "sites_out")
    return (isinstance(value, dict) and set(value) == set(numbers) | set(lists)
            and all(isinstance(value[k], (int, float)) and not isinstance(value[k], bool)
                    and math.isfinite(value[k]) for k in numbers)
            and all(isinstance(value[k], list) and all(isinstance(v, str) for v in value[k])
                    for k in lists))


def _read_result(path: Path, shown: str) -> dict:
    if not path.is_file():
        raise ConfigError(f"{shown}: result file not found; pass the result.json that "
                          f"siteopt solve --out wrote")
    if path.stat().st_size > MAX_RESULT_BYTES:
        raise ConfigError(f"{shown}: too large for a result.json; pass the result.json that "
                          f"siteopt solve --out wrote")
    try:
        document = strict_json.loads(path.read_text(encoding="utf-8"))
    except strict_json.DuplicateKeyError as err:
        raise ConfigError(f"{shown}: {err}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ConfigError(f"{shown}: is not JSON ({err.__class__.__name__}); pass the "
                          f"result.json that siteopt solve --out wrote") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{shown}: is not a result.json written by siteopt")
    return document


def compare(results: dict[str, Result]):
    """Portfolios side by side, one row per named result (see
    :func:`siteopt.report.text.compare_results`)."""
    from siteopt.report.text import compare_results

    return compare_results(results)


def portfolio_result(cfg: ModelConfig, dataset: Dataset, gigafactories, optimum: float) -> Result:
    """A given portfolio (member site IDs per gigafactory) as a :class:`Result` of ``cfg``, to
    show an alternative to the optimum (``optimum``, the best objective) the way the optimum is
    shown. Its ``solver`` says ``method`` ``alternative`` and the gap to the optimum.

    Raises
    ------
    ConfigError
        If a site is unknown or the portfolio breaks a limit of ``cfg``.
    """
    prepared = prepare_instance(dataset, cfg)
    instance = prepared.instance
    index = {site: i for i, site in enumerate(instance.site_ids)}
    unknown = [s for members in gigafactories for s in members if s not in index]
    if unknown:
        raise ConfigError(f"unknown site {', '.join(unknown)} in the portfolio")
    groups = tuple(sorted(tuple(sorted(index[s] for s in members)) for members in gigafactories))
    broken = instance.violations(groups)
    if broken:
        raise ConfigError(f"the portfolio breaks {', '.join(broken)}")
    objective = instance.objective(instance.evaluate(groups))
    gap = max(0.0, (optimum - objective) / max(abs(optimum), 1e-12))
    outcome = SolverOutcome(Status.OPTIMAL, groups, instance.site_mask(groups), objective,
                            optimum, gap, 0.0, "siteopt")
    return _make_result(dataset, cfg, prepared, outcome, {}, "alternative")
