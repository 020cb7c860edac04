"""Why a site is in or out: forced in and out, the limits that bind, and the capex or power at
which the answer would change, each found by exact re-solves.

For a site the optimum leaves out: the optimum with the site forced in (``sites.required``) and
the regret of forcing it, the capex at which it would enter (bisection to EUR 10 m) and the
extra MW of power and grid it would need at today's capex (bisection to 1 MW). For a chosen
site: the optimum with it forced out and what that costs, and the capex at which it would leave.
Every number comes from solves proven optimal, on a copy of the data with only that site's
figure changed.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass

import pandas as pd

from siteopt.data.schema import id_hint
from siteopt.errors import ConfigError, InfeasibleError, listed
from siteopt.paths import display_path
from siteopt.units import changes, eur

#: Precision of the capex at which a site enters or leaves, EUR.
CAPEX_STEP_EUR = 10e6
#: Precision of the extra power a site would need, MW.
POWER_STEP_MW = 1.0
#: Capex below this is not plausible data (see the sites schema), EUR.
LOWEST_CAPEX_EUR = 1e6


@dataclass(frozen=True)
class SiteExplanation:
    """Why one site is in or out of the optimum.

    Attributes
    ----------
    site_id : str
    chosen : bool
        Whether the optimum uses it.
    objective : float
        The optimum.
    alternative_objective : float or None
        The optimum with the site forced in (if out) or out (if in); None if impossible.
    regret : float or None
        ``objective - alternative_objective``: what insisting on the other answer costs.
    displaced, brought_in : list of str
        Sites of the optimum the alternative drops, and sites it adds.
    binding : list of str
        Limits the optimum uses in full.
    capex_eur : float
        The site's capex in the data, EUR.
    threshold_capex_eur : float or None
        Out: the highest capex at which it is chosen (None: not even at EUR 1 m). In: the
        lowest capex at which it is no longer chosen (None: chosen up to the whole budget).
    extra_mw : float or None
        Out: the extra MW of planned power and grid it would need to be chosen at today's
        capex (None: not even at the power cap).
    people_change, capex_change_eur, power_change_mw : float or None
        What the other answer gives against the optimum: people within R, capital cost (EUR)
        and power (MW), each the other answer's minus the optimum's (None if impossible).
    radius_km : float
        R, km.
    imposed : str
        ``"required"`` or ``"excluded"`` when the model's ``sites.required`` or
        ``sites.excluded`` names the site: the other answer is then the optimum without that
        rule (``regret`` is minus what the rule costs), and no capex or power would change it.
    """

    site_id: str
    chosen: bool
    objective: float
    alternative_objective: float | None
    regret: float | None
    displaced: list[str]
    brought_in: list[str]
    binding: list[str]
    capex_eur: float
    threshold_capex_eur: float | None
    extra_mw: float | None
    people_change: float | None = None
    capex_change_eur: float | None = None
    power_change_mw: float | None = None
    radius_km: float = 500.0
    imposed: str = ""

    def _quantities(self) -> str:
        """``: 1.6 m more people within 500 km, EUR 0.80 bn less capex, 100 MW less power``."""
        if self.people_change is None:
            return ""
        said = changes(self.people_change, self.capex_change_eur, self.power_change_mw,
                       self.radius_km)
        return f": {', '.join(said)}" if said else ""

    def _swap(self) -> str:
        """``replaces ES-ZAZ and PL-POZ with DE-LUB and NL-RTM`` (what leaves the optimum,
        then what enters it), ``drops ...``, ``adds ...`` or ``changes nothing``."""
        if self.displaced and self.brought_in:
            return f"replaces {listed(self.displaced)} with {listed(self.brought_in)}"
        if self.displaced:
            return f"drops {listed(self.displaced)}"
        if self.brought_in:
            return f"adds {listed(self.brought_in)}"
        return "changes nothing"

    def _imposed_sentence(self) -> str:
        """``ES-NAV is chosen because the model requires it (sites.required). Without that
        rule the optimum replaces ES-NAV with ES-ZAZ, and scores 0.16% more ...``."""
        verb = "requires" if self.imposed == "required" else "excludes"
        text = (f"{self.site_id} is {'' if self.chosen else 'not '}chosen because the model "
                f"{verb} it (sites.{self.imposed}). Without that rule the optimum ")
        if not (self.displaced or self.brought_in):
            return text + f"{'chooses it too' if self.chosen else 'leaves it out too'}."
        gain = -self.regret
        return (text + self._swap()
                + (f", and scores {gain / abs(self.objective):.2%} more ({gain:.4f} points)"
                   if gain > 0 else ", and scores the same")
                + self._quantities() + ".")

    def sentence(self) -> str:
        """The explanation in plain words."""
        if self.imposed:
            return self._imposed_sentence() + (f" Limits in full use: {', '.join(self.binding)}."
                                               if self.binding else "")
        bn = eur(self.capex_eur)
        if self.chosen:
            verb, impossible = "Leaving it out", "No portfolio without it meets the limits."
        else:
            verb = "Forcing it in"
            impossible = "It cannot be part of any portfolio that meets the limits."
        text = f"{self.site_id} is {'' if self.chosen else 'not '}chosen. "
        if self.regret is None:
            text += impossible
        else:
            text += (f"{verb} {self._swap()}"
                     + (f", and costs {self.regret / abs(self.objective):.2%} of the objective "
                        f"({self.regret:.4f} points)" if self.regret > 0 else "")
                     + self._quantities() + ".")
        threshold = (eur(self.threshold_capex_eur)
                     if self.threshold_capex_eur is not None else None)
        if self.chosen:
            text += (f" It would leave at a capex of {threshold} (now {bn})." if threshold else
                     f" It stays chosen at any capex the budget allows (now {bn}).")
        else:
            text += (f" It would enter at a capex of {threshold} (now {bn})" if threshold else
                     " It would not enter even at a capex of EUR 1 m")
            text += (f" or with {self.extra_mw:,.0f} MW more power and grid."
                     if self.extra_mw is not None else "; more power alone would not bring it in.")
        if self.binding:
            text += f" Limits in full use: {', '.join(self.binding)}."
        return text


@dataclass(frozen=True)
class Explanation:
    """Explanations of several sites under one model.

    Attributes
    ----------
    sites : list of SiteExplanation
    model : str
    """

    sites: list[SiteExplanation]
    model: str

    #: How :meth:`table`'s columns are shown (format specifications), in a terminal or a page.
    FORMATS = {"regret": ".4f", "people (m)": "+.1f", "capex (EUR bn)": "+.2f",
               "capex now (EUR bn)": ".2f", "enters/leaves at (EUR bn)": ".2f",
               "extra MW to enter": ",.0f"}

    def named_sites(self) -> list[str]:
        """Every site the sentences name: those explained, and those each swap brings in or
        leaves out."""
        return sorted({name for site in self.sites
                       for name in (site.site_id, *site.displaced, *site.brought_in)})

    def table(self) -> pd.DataFrame:
        """One row per site: chosen, what the other answer costs (objective points, people,
        EUR), threshold capex (EUR bn), extra MW."""
        return pd.DataFrame([{
            "site": e.site_id,
            "chosen": ("yes" if e.chosen else "no") + (f" ({e.imposed})" if e.imposed else ""),
            "regret": e.regret,
            "people (m)": None if e.people_change is None else e.people_change / 1e6,
            "capex (EUR bn)": (None if e.capex_change_eur is None
                               else e.capex_change_eur / 1e9),
            "capex now (EUR bn)": e.capex_eur / 1e9,
            "enters/leaves at (EUR bn)": (e.threshold_capex_eur / 1e9
                                          if e.threshold_capex_eur is not None else None),
            "extra MW to enter": e.extra_mw} for e in self.sites])

    def to_json(self) -> str:
        return json.dumps({"model": self.model,
                           "sites": [{**dataclasses.asdict(e), "sentence": e.sentence()}
                                     for e in self.sites]}, indent=2)

    def plot(self, ax=None):
        """Each site's regret as a bar (what forcing the other answer costs).

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.5 * len(self.sites) + 1.2), layout="constrained")
        known = [e for e in self.sites if e.regret is not None]
        ax.barh([f"{e.site_id} ({'in' if e.chosen else 'out'})" for e in known],
                [e.regret for e in known], color="#D55E00", gid="regret")
        ax.set_xlabel("regret: objective lost by forcing the other answer")
        ax.set_title(f"What insisting costs ({self.model})", loc="left", fontsize=10,
                     parse_math=False)
        return ax


def _chosen(model, dataset, site_id: str, **overrides) -> tuple[bool, object]:
    from siteopt.api import solve

    result = solve(model, dataset, **overrides)
    return site_id in result.selected, result


def _with_site(dataset, site_id: str, **values):
    """The dataset with one site's figures (columns of ``sites.csv``) set to ``values``."""
    sites = dataset.site_table
    row = sites["site_id"] == site_id
    changed = {}
    for column, value in values.items():
        changed[column] = sites[column].copy()
        changed[column][row] = value
    return dataset.with_sites(sites.with_columns(changed))


def _bisect(true_end: float, false_end: float, step: float, test) -> tuple[float, float]:
    """Narrow the boundary between a value where ``test`` holds and one where it does not to
    ``step``, by re-solving at the midpoint; returns the two ends (true, false)."""
    while abs(false_end - true_end) > step:
        middle = (true_end + false_end) / 2
        if test(middle):
            true_end = middle
        else:
            false_end = middle
    return true_end, false_end


def _boundary(true_end: float, false_end: float, step: float, test, known: str,
              guess: float | None = None) -> tuple[float, float] | None:
    """Where ``test`` turns from true to false between the two ends, to ``step``; None when
    the end not ``known`` ("true" or "false") shows there is no turn.

    A ``guess`` (a value where the turn is likely: the break-even of the forced portfolio)
    is tried first with its neighbour one step further; when right, two solves replace the
    bisection. Whatever the guess, the answer is exact: every end is a solve.
    """
    direction = 1.0 if false_end > true_end else -1.0
    known_true, known_false = known == "true", known == "false"
    if guess is not None and 0 < (guess - true_end) * direction < abs(false_end - true_end):
        if test(guess):
            true_end, known_true = guess, True
            beyond = guess + direction * step
            if (false_end - beyond) * direction > 0 and not test(beyond):
                false_end, known_false = beyond, True
        else:
            false_end, known_false = guess, True
            before = guess - direction * step
            if (before - true_end) * direction > 0 and test(before):
                true_end, known_true = before, True
    if not known_true and not test(true_end):
        return None
    if not known_false and test(false_end):
        return None
    return _bisect(true_end, false_end, step, test)


def _power_guess(cfg, dataset, site_id: str, best, other) -> float | None:
    """The extra MW at which the forced-in portfolio breaks even with the optimum, if its
    objective rises with the site's power (grid, clean and green terms against the
    electricity cost); None otherwise."""
    from siteopt.api import prepare
    from siteopt.model import site_objective

    if other is None:
        return None
    instance = prepare(cfg, dataset)[2].instance
    s = instance.site_ids.index(site_id)
    mw = float(instance.effective_mw[s])
    capex_part = cfg.weights.cost * float(instance.capex_eur[s]) / cfg.costs.reference_eur
    per_mw = (float(site_objective(instance)[s]) + capex_part) / mw if mw > 0 else 0.0
    if per_mw <= 0:
        return None
    return (best.objective - other.objective) / per_mw + POWER_STEP_MW / 2


def explain_site(cfg, dataset, site_id: str, best) -> SiteExplanation:
    """Explain one site under ``cfg`` given the optimum ``best`` (a Result)."""
    from siteopt.api import solve
    from siteopt.report.text import limits_table

    site = dataset.sites.set_index("site_id").loc[site_id]
    chosen = site_id in best.selected
    limits = limits_table(best)
    binding = list(limits.loc[limits["share used"] >= 1 - 1e-9, "limit"])
    capex = float(site["capex_eur"])
    imposed = next((rule for rule in ("required", "excluded")
                    if site_id in getattr(cfg.sites, rule)), "")
    if imposed:   # the answer is the rule's: what the optimum would be without it
        freed = [s for s in getattr(cfg.sites, imposed) if s != site_id]
        return _explanation(site_id, best, solve(cfg, dataset, **{f"sites.{imposed}": freed}),
                            binding, capex, None, None, imposed)
    key = "sites.excluded" if chosen else "sites.required"
    forced_list = sorted(set(getattr(cfg.sites, key.split(".")[1])) | {site_id})
    try:
        other = solve(cfg, dataset, **{key: forced_list})
    except InfeasibleError:
        other = None
    budget = cfg.budget.total_eur
    def chosen_at(**values) -> bool:
        return _chosen(cfg, _with_site(dataset, site_id, **values), site_id)[0]

    # the forced portfolio breaks even with the other answer where its capex has changed by
    # the objective gap over the weight of a euro (more capex than that and it certainly
    # loses; less and it certainly wins): the likely turn, tried first
    euro = cfg.weights.cost / cfg.costs.reference_eur
    guess = None
    if other is not None and euro > 0:
        guess = capex + (best.objective - other.objective) / euro * (1 if chosen else -1)
        guess += 1.0 if chosen else -1.0   # one euro past the tie
    extra = None
    if chosen:  # the lowest capex at which it leaves, if any within the budget
        found = _boundary(capex, budget, CAPEX_STEP_EUR, lambda c: chosen_at(capex_eur=c),
                          "true", guess)
        threshold = None if found is None else found[1]
    else:       # the highest capex at which it enters, and the extra MW it would need
        found = _boundary(LOWEST_CAPEX_EUR, capex, CAPEX_STEP_EUR,
                          lambda c: chosen_at(capex_eur=c), "false", guess)
        threshold = None if found is None else found[0]
        power, grid = float(site["power_mw"]), float(site["grid_mw"])
        room = cfg.limits.gigafactory_power_cap_mw - min(power, grid)

        def with_more(mw: float) -> bool:
            return chosen_at(power_mw=power + mw, grid_mw=grid + mw)

        if room > 0:
            found = _boundary(room, 0.0, POWER_STEP_MW, with_more, "false",
                              _power_guess(cfg, dataset, site_id, best, other))
            extra = None if found is None else found[0]
    return _explanation(site_id, best, other, binding, capex, threshold, extra)


def _explanation(site_id: str, best, other, binding: list[str], capex: float,
                 threshold: float | None, extra: float | None,
                 imposed: str = "") -> SiteExplanation:
    """The explanation of ``site_id`` from the optimum ``best`` and the ``other`` answer (a
    Result, or None when none meets the limits)."""
    selected, other_selected = set(best.selected), set(other.selected) if other else set()
    return SiteExplanation(
        site_id, site_id in best.selected, best.objective,
        other.objective if other else None,
        best.objective - other.objective if other else None,
        sorted(selected - other_selected) if other else [],
        sorted(other_selected - selected) if other else [],
        binding, capex, threshold, extra,
        other.covered_population - best.covered_population if other else None,
        other.total_capex_eur - best.total_capex_eur if other else None,
        other.total_power_mw - best.total_power_mw if other else None,
        best.model.coverage.radius_km, imposed)


def explain(site_ids, model=None, data=None, scheduler: str | None = None,
            workers: int | None = None,
            **overrides) -> Explanation:
    """Explain why each site is in or out of the optimum (see the module docstring).

    Parameters
    ----------
    site_ids : str or list of str
        The sites to explain, each once (a site named again is explained once).
    model, data, **overrides
        As for :func:`siteopt.solve`.
    scheduler : str, optional
        A Dask scheduler address. The first site is explained here and timed; the others run
        here or on Dask as :func:`~siteopt.analysis.engine.solve_pool` decides (``workers``
        processes of a local cluster).

    Returns
    -------
    Explanation
    """
    from siteopt.api import resolve_model, solve
    from siteopt.data import Dataset, load_data

    site_ids = list(dict.fromkeys([site_ids] if isinstance(site_ids, str) else site_ids))
    if not site_ids:
        raise ConfigError("name at least one site to explain, e.g. explain(['ES-NAV'])")
    cfg = resolve_model(model, overrides)
    dataset = data if isinstance(data, Dataset) else load_data(data)
    known = set(dataset.sites["site_id"])
    unknown = [s for s in site_ids if s not in known]
    if unknown:
        sites_file = dataset.displays["sites.csv"]
        hint = id_hint(unknown[0], known, f"; site IDs are in {sites_file} (e.g. "
                                          f"{', '.join(sorted(known)[:3])})")
        raise ConfigError(f"unknown site {', '.join(unknown)}{hint}")
    from siteopt.analysis.engine import gather, solve_pool, timed

    best = solve(cfg, dataset)
    first, seconds, rest = [], math.inf, list(site_ids)
    if scheduler is None:   # a scheduler the user names gets all the work
        explained, seconds = timed(explain_site, cfg, dataset, site_ids[0], best)
        first, rest = [explained], rest[1:]
    if not rest:
        return Explanation(first, cfg.description)
    with solve_pool(scheduler, workers, seconds * len(rest), len(rest)) as client:
        shipped = client.scatter(dataset, broadcast=True)   # once, not per site
        futures = client.map(_explain_on_worker, [cfg] * len(rest), [shipped] * len(rest),
                             rest, pure=False)
        return Explanation([*first, *gather(client, futures, "sites explained")],
                           cfg.description)


def _explain_on_worker(cfg, dataset, site_id: str) -> SiteExplanation:
    """One site's explanation on a Dask worker (the optimum solved there again)."""
    from siteopt.api import solve

    return explain_site(cfg, dataset, site_id, solve(cfg, dataset))
