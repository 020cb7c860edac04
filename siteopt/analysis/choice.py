r"""The robust choice (issue 28): the portfolio with the best mean objective over sampled
futures, within the budget in all but a share alpha of them, proven optimal on those draws.

The question (:mod:`siteopt.analysis.robust` values any portfolio the same way): the
portfolio is decided now and kept in every draw i. Its capital cost in draw i is
:math:`K_i(y) = \sum_s f_{is} k_s y_s` plus the extra-site cost, committed even where a
member's grid slips; a slipped member delivers nothing (no power, coverage, clean power,
letters or member state, no electricity cost); every term is computed as ``solve`` does with
the draw's numbers. Maximise :math:`\frac1N \sum_i \mathrm{objective}_i` subject to every
rule of the model on the nominal data except the budget, and the chance constraint
:math:`K_i(y) \le B + M_i o_i`, :math:`\sum_i o_i \le \lfloor \alpha N \rfloor`, :math:`o_i`
binary (``robust.budget_risk`` = alpha; 0: every draw within the budget).

The mean is linear where the terms are: a site's power, clean and renewable power count in
the draws where it does not slip, its capital cost with the mean capex factor, its
electricity with the mean of price factor times delivery. Coverage-like terms (coverage,
latency, letters) are sums of :math:`w_T \min(1, \sum_{s \in T} y_s)` over sets T; in draw i
a set loses its slipped sites, and equal sets of every group and draw are one column with
their weights summed, so the mean needs few more columns than one solve. Member states are
counted per draw (at most p of them). F (``weights.fairness``) is one column per draw, at
most each member state's share of people within R of the sets of that draw
(:func:`_add_fairness`), so the extensive form values it exactly. The search values B and F
draw by draw too (:meth:`~siteopt.solvers.search_access.AccessOptions.over_draws`: one copy
of the places per draw, reached by the members that deliver in it), W only the extensive
form. The whole program, the *extensive form*, is solved by
HiGHS to a zero gap; its optimum is then valued again by
:func:`~siteopt.analysis.robust.evaluate_on_draws` and must agree. HiGHS starts from a
portfolio that keeps the chance constraint (:func:`_start`: today's optimum at a lowered
budget or, across borders, the robust choice among national gigafactories, which the search
proves quickly), so a run stopped before its proof still has one to report; it is given on
every column (:class:`_StartValues`), so HiGHS need not complete it with a presolve of its
own.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from siteopt.errors import ConfigError, SolverError, TimeLimitError
from siteopt.geometry import DISTANCE_TOLERANCE_KM
from siteopt.solvers.outcome import Status, relative_gap
from siteopt.solvers.search_chance import BUDGET_TOLERANCE, ChanceRule

#: Most solves of today's model :func:`_chance_start` makes.
START_ROUNDS = 6

#: Beyond this many non-zeros HiGHS's presolve leaves out probing on the extensive form
#: (measured between the sizes below, one run each, 2 cores). On 200 draws of the 500-site
#: instance (88 million) it probed 464 of 545,695 binaries in two minutes (foreseeing
#: 170,000 s), stopped only at the time limit, and the run ended 111 s past its 300 s limit
#: with no bound; without probing: 10 s past it, with a bound, 11.2 instead of 17.9 GB. 20
#: draws (8.8 million), 120 s: gap 78.6 against 81.3 %, 2.1 against 3.8 GB; 2 draws (0.9
#: million), 60 s: gap 4.9 against 14.3 %. On the shipped data probing pays: 100 draws
#: (250,000), 60 s: gap 11.7 against 13.6 % without; 20 draws, 120 s: 5.1 against 8.1 %.
PROBING_OFF_NONZEROS = 500_000

#: ``auto`` takes the search up to this many entries of its dense matrix of options by
#: elements (2.4 GB of float64; the process's peak is about 14 bytes an entry, 4.2 GB: the
#: matrix is put in search order where it is and no node copies it whole). A generated
#: instance of 200 sites and 8,000 points (2,518 options; 2 cores, one run each): 20 draws
#: proven in 60-75 s (1.1 GB), 50 draws (74,275 elements, 187 million entries) in 100 s
#: (2.6 GB); 200 draws (290,623 elements, 732 million) gap 7.2 % at 300 s and 17.9 GB
#: (before those two changes), where the extensive form ends at a gap of 69 % in 2.9 GB
#: (20 draws: 6.5 % at 300 s). The shipped data: 1,000 draws 108,473 elements, 17 million
#: entries; 5,000 draws 49 million.
AUTO_CHOICE_ENTRIES = 300_000_000

#: With B or F weighted, ``auto`` takes the search up to this many (option, populated place,
#: draw) entries (estimated before the places of a draw are merged): each draw holds its own
#: copy of the places. The shipped ``fairness`` model, 100 draws (161 x 5,376 x 100, 8.7e7):
#: proven in 85 s and 0.64 GB (the extensive form: gap 19.8 % at 60 s); 1,000 draws would
#: hold ten times as much.
AUTO_ACCESS_ENTRIES = 200_000_000

#: HiGHS's ``presolve_rule_off`` bit for probing.
_PROBING = 1 << 15


@dataclass(frozen=True)
class Choice:
    """The robust choice on a set of draws.

    Attributes
    ----------
    status : Status
    gigafactories : tuple of tuple of int
        Member site indices of each gigafactory (empty without a solution).
    mean_objective : float
        Its mean objective over the draws (valued again from the definitions).
    over_budget : float
        The share of draws in which its capital cost exceeds the budget.
    bound, gap : float
        The best bound (of the mean objective, or of minus the largest regret) and the
        relative gap (0 when proven optimal).
    seconds : float
    largest_regret : float
        With the regret criterion: its largest regret over the draws with an own optimum
        (valued again from the definitions); NaN otherwise.
    """

    status: Status
    gigafactories: tuple
    mean_objective: float
    over_budget: float
    bound: float
    gap: float
    seconds: float
    largest_regret: float = math.nan


def _sets(base, draws, states: bool = False, fairness: bool = False):
    """The coverage-like sets of the mean objective: (site sets, weights), equal sets merged.

    Every demand group (its objective points, :meth:`SelectionInstance.group_weights`) and
    every letter (``w_L / L``) in every draw, less the draw's slipped sites, weighs 1/N of
    itself; with ``states`` also every member state (``w_K / p``; one bid per state, so at
    most p of them count); with ``fairness`` every coverage group with people in each draw
    too (weight 0 unless it has some already: F's rows need their columns,
    :func:`_add_fairness`).
    """
    n = len(draws)
    weights = base.group_weights()
    letters = len(base.letter_site)
    sets = list(base.group_sites) + list(base.letter_homes)
    points = np.r_[weights, np.full(letters, base.weights.letters / letters if letters else 0.0)]
    if states:
        country = np.asarray(base.site_country)
        sets += [np.flatnonzero(country == c) for c in base.countries]
        points = np.r_[points, np.full(len(base.countries),
                                       base.weights.spread / base.max_gigafactories)]
    needed = points > 0
    if fairness:
        group = np.unique(base.access.state_groups[0])
        sets += [base.group_sites[g] for g in group]
        points = np.r_[points, np.zeros(len(group))]
        needed = np.r_[needed, np.ones(len(group), dtype=bool)]
    merged: dict[bytes, list] = {}
    for slipped in draws.slipped:
        for k in np.flatnonzero(needed):
            sites, value = sets[k], points[k]
            kept = sites[~slipped[sites]]
            if len(kept):
                key = kept.astype(np.int64).tobytes()
                entry = merged.setdefault(key, [kept, 0.0])
                entry[1] += value / n
    keys = sorted(merged)
    return [merged[k][0] for k in keys], np.array([merged[k][1] for k in keys])


def robust_choice(base, draws, budget_risk: float, settings, method: str = "auto",
                  criterion: str = "mean", own=None, national=None) -> Choice:
    """The portfolio of best mean objective over ``draws`` with the chance constraint (see
    the module docstring), proven on those draws.

    Parameters
    ----------
    base : SelectionInstance
        The model on the nominal data.
    draws : Draws
    budget_risk : float
        alpha: the share of draws that may be over budget.
    settings : Solver
        ``time_limit_s`` and ``mip_gap``.
    method : {"auto", "search", "extensive"}
        ``search``: branch and bound over whole gigafactories
        (:mod:`~siteopt.solvers.search` with a :class:`~siteopt.solvers.search_chance.ChanceRule`;
        every gigafactory in one member state; the regret's search one bid per member state
        too); ``extensive``: the extensive form, by HiGHS; ``auto``: the search where it
        applies, with not too many options and W not weighted, else the extensive form.
    criterion : {"mean", "regret"}
        ``regret``: minimise the largest regret over the draws instead (the draw's own
        optimum ``own[i]`` minus the portfolio's objective in it; draws whose ``own`` is NaN,
        without a portfolio of their own, do not count); by HiGHS on the extensive form
        with each draw's objective written out.
    own : array of float, optional
        Each draw's own optimum (:func:`~siteopt.analysis.robust.solve_draw`), for
        ``regret``.
    national : SelectionInstance, optional
        Across borders, the same model with every gigafactory in one member state
        (``consolidation.cross_border`` off): its robust choice, which the search proves
        among national portfolios in seconds, also starts HiGHS (:func:`_start`).

    Raises
    ------
    ConfigError
        For ``search`` across borders (and for the regret, with more than one bid per
        member state, required sites, excluded portfolios or access limits), or with W
        (valued per draw on the extensive form only). The ``access`` limits are rules like
        the others: kept on the nominal data.
    """
    from siteopt.analysis.robust import evaluate_on_draws

    if method == "search" and base.cross_border:
        raise ConfigError("the robust choice's search needs every gigafactory in one member "
                          "state; use method 'extensive'")
    if method == "search" and _worst_per_draw(base):
        raise ConfigError("the robust choice's search does not value weights.worst per draw; "
                          "use method 'extensive' (or 'auto')")
    began = time.perf_counter()
    # the nominal budget no longer binds (the chance constraint replaces it): above every
    # portfolio's nominal cost and its cost in every draw
    free = dataclasses.replace(base, budget_eur=float(
        np.asarray(base.capex_eur, float).sum() * max(1.0, draws.capex_factor.max())
        + base.extra_site_cost_eur * len(base.capex_eur) + 1.0))
    if criterion == "regret":
        own = np.asarray(own, dtype=float)
        if own.shape != (len(draws),):
            raise ConfigError("the regret criterion needs each draw's own optimum")
        if not np.isfinite(own).any():
            raise ConfigError("no draw has a portfolio of its own, so no regret can be "
                              "measured; use the mean criterion")
        if method == "search" and not _regret_search_applies(base):
            raise ConfigError("the regret search needs one bid per member state and does not "
                              "take required sites, excluded "
                              "portfolios or access limits; use method 'extensive'")
        if method == "search" or (method == "auto" and _search_applies(free, len(draws))
                                  and _regret_search_applies(base)
                                  and _entries(free) * len(draws) <= AUTO_CHOICE_ENTRIES):
            status, chosen, objective, bound = _by_regret_search(free, base, draws,
                                                                 budget_risk, settings, own)
        else:
            status, chosen, objective, bound = _by_regret(free, base, draws, budget_risk,
                                                          settings, own, national)
    else:
        # the search's elements, computed once: auto also weighs the search by their number
        sets = (_sets(base, draws, states=True) if method == "search" or (
            method == "auto" and _search_applies(free, len(draws))) else None)
        if sets is not None and (method == "search"
                                 or len(free.candidates) * len(sets[0]) <= AUTO_CHOICE_ENTRIES):
            status, chosen, objective, bound = _by_search(free, base, draws, budget_risk,
                                                          settings, sets)
        else:
            status, chosen, objective, bound = _by_extensive_form(free, base, draws,
                                                                  budget_risk, settings, national)
    seconds = time.perf_counter() - began
    if not chosen and not math.isfinite(objective):   # none found (infeasible, or not in time)
        return Choice(status, (), math.nan, math.nan, math.nan, math.nan, seconds)
    names = [[base.site_ids[s] for s in g] for g in chosen]
    on = evaluate_on_draws(base, [names], draws)
    mean = float(on.objective[:, 0].mean())
    regret = math.nan
    if criterion == "regret":
        regret = _largest_regret(own, on.objective[:, 0])
        # one row holds t: HiGHS may leave it short by its feasibility tolerance (1e-6)
        valued, said, tolerance = -regret, "largest regret", 1e-5
    else:
        valued, said, tolerance = mean, "mean objective", 1e-7
    # the solver's value of its portfolio must be the one valued here; proven, exactly; else
    # it may count less (HiGHS's incumbent may leave a set's z below min(1, sum of y): 500
    # sites, 200 draws, 0.4427 for 0.4622), never more; NaN: HiGHS stopped with only the
    # start, valued here alone
    proven = status == Status.OPTIMAL and settings.mip_gap == 0
    over = abs(objective - valued) if proven else objective - valued
    if math.isfinite(objective) and over > tolerance * max(1.0, abs(valued)):
        raise SolverError(f"the robust choice's {said} is {abs(valued):.9f} on the draws but "
                          f"the solver reports {abs(objective):.9f}; the answer cannot be "
                          f"trusted")
    gap = 0.0 if proven else relative_gap(valued, bound)
    return Choice(status, tuple(chosen), mean, float(on.over_budget[:, 0].mean()),
                  valued if gap == 0 else bound, gap, seconds, regret)


def _values_fairness(base) -> bool:
    """Whether F is weighted (valued per draw on the extensive form only)."""
    return base.access is not None and base.weights.fairness > 0


def _per_draw_access(base) -> bool:
    """Whether W, B or F is weighted: valued per draw."""
    w = base.weights
    return base.access is not None and (w.worst > 0 or w.backup > 0 or w.fairness > 0)


def _worst_per_draw(base) -> bool:
    """Whether W is weighted: valued per draw on the extensive form only (the search values
    B and F per draw, :meth:`~siteopt.solvers.search_access.AccessOptions.over_draws`)."""
    return base.access is not None and base.weights.worst > 0


def _entries(base) -> int:
    """Options (the gigafactories the rules allow, counted) times demand groups."""
    return len(base.candidates) * max(1, len(base.group_population))


def _search_applies(base, draws: int) -> bool:
    """Whether ``method = "auto"`` may take the search: every gigafactory in one member state
    (so at most p member states count in any draw, as the search counts them), at most
    :data:`~siteopt.solvers.search.AUTO_SEARCH_ENTRIES` (option, demand group) entries with
    the options counted (``solve`` only estimates them, from above: 21,088 for the 2,518 of
    a generated 200-site instance), W not weighted, and with B or F weighted at most
    :data:`AUTO_ACCESS_ENTRIES` (option, place, draw) entries. It then takes it if its matrix
    of options by elements (the shipped data: 161 options, 19,630 elements on 100 draws) has
    at most :data:`AUTO_CHOICE_ENTRIES` entries: the draws' sets merged for the mean, each
    draw's own for the regret.

    Unlike ``solve``, it takes the search with more than one bid per member state too:
    ``seven-gigafactories.toml`` (two bids), 60 s, one run each: 100 draws gap 4.6 % against
    46 % on the extensive form (4.4 % since a stopped search reports its open nodes' bound),
    1,000 draws 5.5 % against 47 %, with better portfolios (mean 0.4774 against 0.4569 on
    1,000 draws); neither proved it in 60 s. Since the search checks whole completions
    against the draws it proves 10 draws in about 10 s and 100 draws in about 160 s."""
    from siteopt.solvers.search import AUTO_SEARCH_ENTRIES

    if base.cross_border or _worst_per_draw(base):
        return False
    if _entries(base) > AUTO_SEARCH_ENTRIES:
        return False
    if not _per_draw_access(base):
        return True
    return len(base.candidates) * len(base.access.populated) * draws <= AUTO_ACCESS_ENTRIES


def _regret_search_applies(base) -> bool:
    """Whether the regret search keeps every rule of ``base`` by itself: one bid per member
    state (it takes one option per state and checks no sites or bids), no required site, no
    excluded portfolio and no ``access`` limit (those go to HiGHS)."""
    return (base.compact and not np.asarray(base.required, bool).any()
            and not base.excludes_any and not base.has_access_rows)


def _site_values(base, draws) -> np.ndarray:
    """Each site's linear objective points, averaged over the draws: power, clean and
    renewable power where it delivers, minus its capex (mean factor) and electricity (where
    it delivers)."""
    w = base.weights
    capex = np.asarray(base.capex_eur, float)
    delivers = (~draws.slipped).mean(axis=0)
    scale_mw = base.max_gigafactories * base.power_cap_mw
    power = w.grid + w.clean * base.clean_share + w.green * np.asarray(base.renewable_share)
    site_cost = (capex * draws.capex_factor.mean(axis=0)
                 + base.energy_cost_eur * (draws.price_factor * ~draws.slipped).mean(axis=0))
    return (delivers * power * base.effective_mw / scale_mw
            - w.cost * site_cost / base.cost_reference_eur)


def _options(free, base, draws, budget_risk):
    """The search's options (candidate gigafactories, in search order), the linear part of
    each option's mean value over ``draws`` (a function of the draws, for one draw or all),
    and the chance rule on their capital cost per draw."""
    from siteopt.solvers.search import build_search_model

    nominal = build_search_model(free)
    sites = nominal.sites.astype(float)
    size = nominal.sites.sum(axis=1)
    extra = base.extra_site_cost_eur
    extra_points = base.weights.cost * extra * (size - 1) / base.cost_reference_eur

    def value(some):
        return sites @ _site_values(base, some) - extra_points

    per_draw = (sites @ (np.asarray(base.capex_eur, float) * draws.capex_factor).T
                + (extra * (size - 1))[:, None])
    chance = ChanceRule(per_draw, base.budget_eur, _allowed_over(budget_risk, len(draws)))
    return nominal, value, chance


def _status(stopped: str, found: bool) -> Status:
    """The status of a search that stopped as ``stopped`` ("" when it finished)."""
    if not found:
        if stopped == "interrupted":
            raise KeyboardInterrupt   # nothing to report: stop as any interrupted command
        return Status.TIME_LIMIT if stopped else Status.INFEASIBLE
    return {"": Status.OPTIMAL, "interrupted": Status.INTERRUPTED}.get(stopped,
                                                                     Status.TIME_LIMIT)


def _by_search(free, base, draws, budget_risk, settings, sets):
    """The choice by the search: options are the candidates, elements ``sets`` (the merged
    sets of :func:`_sets` and each draw's member states: ``_sets(base, draws, states=True)``),
    the budget a :class:`ChanceRule`."""
    from siteopt.solvers.search import Start, covered_by_options, run_search
    from siteopt.solvers.search_access import AccessOptions
    from siteopt.solvers.search_lp import lp_multipliers

    deadline = time.perf_counter() + settings.time_limit_s   # the build counts too
    nominal, value, chance = _options(free, base, draws, budget_risk)
    sets, weight = sets
    access = nominal.access
    if _per_draw_access(base):
        members = [free.candidates.member_list(c) for c in nominal.candidate]
        access = AccessOptions.over_draws(free, members, draws.slipped)
    model = dataclasses.replace(
        nominal, value=value(draws), covers=covered_by_options(nominal.sites, sets).astype(float),
        weight=weight, states=slice(len(weight), len(weight)),
        capex_eur=chance.relaxed_capex(), chance=chance, access=access)
    pi, lam = lp_multipliers(model, base.max_gigafactories, base.budget_eur,
                             base.total_power_mw)
    # handed over: run_search puts the matrix in its order where it is, not in a second one
    # (a generated 200-site instance, 20 draws: peak 2.05 GB with both orders held)
    run = run_search(dataclasses.replace(free, objective_floor=-math.inf), model,
                     base.budget_eur, deadline, start=Start(None, pi, lam), handed_over=True)
    del model   # its rows are in the search's order now, its other fields are not
    status = _status(run.stopped, run.portfolio is not None)
    if run.portfolio is None:
        return status, (), math.nan, math.nan
    return status, run.portfolio, run.value, (run.value if status == Status.OPTIMAL
                                              else max(run.bound, run.value))


def _by_regret_search(free, base, draws, budget_risk, settings, own):
    """The least largest regret by the search (:mod:`~siteopt.solvers.search_regret`):
    options as for :func:`_by_search`, each draw's own elements and linear values."""
    from siteopt.solvers.search import covered_by_options
    from siteopt.solvers.search_regret import RegretSearch

    nominal, value, chance = _options(free, base, draws, budget_risk)
    each = [draws.subset([i]) for i in range(len(draws))]
    per_draw = [_sets(base, one, states=True) for one in each]
    covers = [covered_by_options(nominal.sites, sets) for sets, _ in per_draw]
    lengths = np.array([len(weight) for _, weight in per_draw])
    run = RegretSearch(
        nominal.group, np.stack([value(one) for one in each], axis=1),
        np.hstack(covers).astype(float) if covers else np.zeros((len(nominal.group), 0)),
        np.concatenate([weight for _, weight in per_draw]), np.cumsum(lengths) - lengths,
        np.asarray(own, float), np.asarray(nominal.mw, float), base.total_power_mw,
        base.max_gigafactories, chance, time.perf_counter() + settings.time_limit_s).run()
    status = _status(run.stopped, run.options is not None)
    if run.options is None:
        return status, (), math.nan, math.nan
    candidates = free.candidates
    chosen = tuple(sorted(candidates.member_list(nominal.candidate[o]) for o in run.options))
    return status, chosen, -run.regret, -run.bound


def _adding_worst_points(solve, free, base, draws, settings):
    """Run ``solve(points, settings)`` (one HiGHS path, W's rows in draw i over the places
    ``points[i]``) until the answer leaves no place of any draw farther from its delivering
    members than the places counted there: the search over radii of
    :mod:`siteopt.solvers.worst`, draw by draw. Each round's model relaxes the next, so the
    last one's optimum is the choice's (its W then the draw's own). Without W, one round.
    """
    if not (base.access is not None and base.weights.worst > 0):
        return solve(None, settings)
    data = free.access
    reference = data.reference_km
    points = [_draw_access(free, slipped).first_worst_points for slipped in draws.slipped]
    deadline = time.perf_counter() + settings.time_limit_s
    while True:
        left = dataclasses.replace(settings, time_limit_s=max(deadline - time.perf_counter(),
                                                               0.01))
        status, chosen, objective, bound = solve(points, left)
        if status != Status.OPTIMAL:
            return status, chosen, objective, bound
        used = free.site_mask(chosen)
        added = False
        for i, slipped in enumerate(draws.slipped):
            nearest = np.minimum(data.nearest_km(np.flatnonzero(used & ~slipped),
                                                 data.populated), reference)
            farthest = int(np.argmax(nearest)) if len(nearest) else 0
            if len(nearest) and nearest[farthest] > nearest[points[i]].max(initial=-np.inf) \
                    + DISTANCE_TOLERANCE_KM:
                points[i] = np.union1d(points[i], [farthest])
                added = True
        if not added:
            return status, chosen, objective, bound


def _same_candidates(free, **changes):
    """``free`` with ``changes`` that leave its rules alone (weights, groups, access data),
    sharing its enumerated candidates instead of enumerating them again."""
    changed = dataclasses.replace(free, **changes)
    changed.__dict__["candidates"] = free.candidates
    return changed


def _draw_access(free, slipped):
    """The access data of one draw for W's and B's rows: its slipped sites no longer
    eligible, no limits (they are kept on the nominal data)."""
    data = free.access
    return dataclasses.replace(data, eligible=data.eligible & ~slipped, max_km=0.0,
                               min_country_share=0.0, worst_points=None, _learned={})


def _add_draw_access(highs, cols, free, slipped, worst_points, scale: float):
    """W and B in one draw (``slipped``: its slipped sites): the rows of
    :func:`~siteopt.model.access_rows.access_block` for the instance whose groups and eligible
    sites lose the slipped ones, W over the places ``worst_points``; its own columns cost
    ``scale`` times their weighted objective points. Returns those columns and their points
    at weight (for a row of the draw's objective)."""
    from siteopt.model.access_rows import CANDIDATE, OWN, SITE, access_block

    w = free.weights
    weights = dataclasses.replace(w, latency=0.0, fairness=0.0)
    data = _draw_access(free, slipped)
    if worst_points is not None:
        data = data.with_worst_points(worst_points)
    instance = _same_candidates(free, access=data, group_sites=tuple(
        sites[~slipped[sites]] for sites in free.group_sites))
    block = access_block(instance, weights)
    points = block.cost(weights)
    start = highs.getNumCol()
    highs.addCols(len(points), points * scale, block.lower, block.upper, 0,
                  np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    if len(block.row_lower):
        offsets = {OWN: start + block.index, SITE: cols.y + block.index,
                   CANDIDATE: block.index}
        columns = np.select([block.family == f for f in offsets], list(offsets.values()))
        order = np.argsort(block.row_of, kind="stable")
        starts = np.searchsorted(block.row_of[order], np.arange(len(block.row_lower)))
        highs.addRows(len(block.row_lower), block.row_lower, block.row_upper, len(order),
                      starts.astype(np.int32), columns[order].astype(np.int32),
                      block.value[order])
    return start + np.arange(len(points)), points


def _chance_start(base, draws, budget_risk, settings):
    """A portfolio for HiGHS to start the extensive form from, within the budget in all but
    floor(alpha N) draws and obeying every other rule: today's optimum (``solve``'s, any
    path) at the budget, then at a budget below that portfolio's nominal cost by the share
    its cost exceeds the budget in the draw that decides (the floor(alpha N) + 1-th
    dearest), at most :data:`START_ROUNDS` times. Without it HiGHS may stop with no
    portfolio at all (500 sites, 200 draws: none in 300 s).

    Returns
    -------
    start : tuple of tuple of int or None
        Its gigafactories as member site indices; None when no round found one.
    settings : Solver
        ``settings`` with the time the rounds took taken off the limit.
    """
    from siteopt.analysis.robust import evaluate_on_draws
    from siteopt.solvers import solve_instance

    deadline = time.perf_counter() + settings.time_limit_s
    allowed = _allowed_over(budget_risk, len(draws))
    budget, start = base.budget_eur, None
    for _ in range(START_ROUNDS):
        left = dataclasses.replace(settings, time_limit_s=deadline - time.perf_counter())
        if left.time_limit_s <= 0:
            break
        try:
            outcome, _ = solve_instance(dataclasses.replace(base, budget_eur=budget), left, {})
        except TimeLimitError:
            break
        if outcome.status not in (Status.OPTIMAL, Status.TIME_LIMIT) or \
                not outcome.gigafactories:
            break
        names = [[base.site_ids[s] for s in g] for g in outcome.gigafactories]
        on = evaluate_on_draws(base, [names], draws)
        if on.over_budget[:, 0].sum() <= allowed:
            start = outcome.gigafactories
            break
        # lowered below this portfolio's own nominal cost, so no round returns it again
        # (lowering the budget alone crept by 0.03 % a round on the shipped cross-border
        # scenario: six rounds returned the same portfolio, over in 6 draws of 100, and
        # the extensive form was left no time)
        decider = np.sort(on.capex_eur[:, 0])[len(draws) - 1 - allowed]
        budget = min(budget, base.capital_cost_eur(outcome.gigafactories)) \
            * base.budget_eur / decider
    left = max(deadline - time.perf_counter(), 0.01)
    return start, dataclasses.replace(settings, time_limit_s=left)


def _start(base, draws, budget_risk, settings, national=None, criterion="mean", own=None):
    """The portfolio HiGHS starts from, and ``settings`` with the time it took taken off:
    :func:`_chance_start`'s or, given ``national`` (see :func:`robust_choice`), the robust
    choice among national gigafactories, whichever does better on ``draws`` (a higher mean,
    or a lower largest regret). Both keep every rule of ``base``: a national portfolio is
    one of its portfolios. Across borders HiGHS improves slowly on either (the shipped
    ``cross-border`` scenario, 100 draws, 60 s: mean 0.4430 found from the first, gap 14 %;
    the national choice, proven in 2.3 s, scores 0.4757)."""
    offered = ()
    if national is not None and _search_applies(national, len(draws)) and (
            criterion == "mean" or _regret_search_applies(national)):   # else HiGHS: slow
        began = time.perf_counter()
        choice = robust_choice(national, draws, budget_risk, settings, criterion=criterion,
                               own=own)
        settings = dataclasses.replace(settings, time_limit_s=max(
            settings.time_limit_s - (time.perf_counter() - began), 0.01))
        index = {site: i for i, site in enumerate(base.site_ids)}
        offered = tuple(tuple(sorted(index[national.site_ids[s]] for s in g))
                        for g in choice.gigafactories)
        if not (base.compact or all(g in base.candidates.index_of for g in offered)):
            offered = ()
    start, settings = _chance_start(base, draws, budget_risk, settings)
    found = [p for p in (start, offered or None) if p is not None]
    if len(found) < 2:
        return (found or [None])[0], settings
    scores = [_start_score(base, draws, budget_risk, p, criterion, own) for p in found]
    return found[int(np.argmax(scores))], settings


def _start_score(base, draws, budget_risk, portfolio, criterion, own) -> float:
    """How well ``portfolio`` does on ``draws``: its mean objective, or minus its largest
    regret; -inf where it breaks the chance constraint."""
    from siteopt.analysis.robust import evaluate_on_draws

    on = evaluate_on_draws(base, [[[base.site_ids[s] for s in g] for g in portfolio]], draws)
    if on.over_budget[:, 0].sum() > _allowed_over(budget_risk, len(draws)):
        return -math.inf
    values = on.objective[:, 0]
    return float(values.mean()) if criterion == "mean" else -_largest_regret(own, values)


def _allowed_over(budget_risk: float, draws: int) -> int:
    """floor(alpha N): how many of ``draws`` a portfolio may be over the budget in."""
    return math.floor(budget_risk * draws + 1e-9)


def _largest_regret(own: np.ndarray, values: np.ndarray) -> float:
    """The largest of ``own - values`` over the draws with an own optimum (0 without any)."""
    counted = np.isfinite(own)
    return float((own - values)[counted].max()) if counted.any() else 0.0


def _by_extensive_form(free, base, draws, budget_risk, settings, national=None):
    """The choice by HiGHS on the extensive form (see the module docstring), started from
    :func:`_start`."""
    start, settings = _start(base, draws, budget_risk, settings, national)
    return _adding_worst_points(lambda points, left: _extensive_mean(
        free, base, draws, budget_risk, left, points, start), free, base, draws, settings)


def _extensive_mean(free, base, draws, budget_risk, settings, worst_points, start):
    """One solve of the extensive form for the mean, W in draw i over ``worst_points[i]``,
    HiGHS started from ``start`` (a portfolio, or None)."""
    deadline = time.perf_counter() + settings.time_limit_s
    highs, cols, known = _extensive_model(free, base, draws, budget_risk, settings, start)
    width = highs.getNumCol()
    cost = np.zeros(width)
    cost[cols.y:cols.y + cols.n_sites] = _site_values(base, draws)
    index, value = _extra_site_terms(free, base, cols)
    cost[index] += value
    highs.changeColsCost(width, np.arange(width, dtype=np.int32), cost)
    fairness = _values_fairness(base)
    sets, weights = _sets(base, draws, fairness=fairness)
    first = _add_sets(highs, cols, sets, weights)
    known.add_sets(first + np.arange(len(sets)), sets)
    if fairness:
        _add_fairness(highs, base, draws, sets, first, base.weights.fairness / len(draws),
                      known)
    if base.weights.spread > 0:
        for slipped in draws.slipped:
            states = _add_spread(highs, cols, base, slipped, base.weights.spread
                                 / (base.max_gigafactories * len(draws)))
            known.add_states(states, base, slipped)
    if _per_draw_access(base):
        for i, slipped in enumerate(draws.slipped):
            _add_draw_access(highs, cols, free, slipped,
                             None if worst_points is None else worst_points[i], 1 / len(draws))
    return _run(highs, free, settings, start, deadline, known)


def _by_regret(free, base, draws, budget_risk, settings, own, national=None):
    r"""The least largest regret by HiGHS: maximise :math:`-t` subject to
    :math:`t \ge o_i - \mathrm{objective}_i(y)` for every draw i with an own optimum
    :math:`o_i` (``own``, NaN: none), each draw's objective written out with its own
    coverage-like sets and member states, and the chance constraint; started from
    :func:`_start`."""
    start, settings = _start(base, draws, budget_risk, settings, national, "regret", own)
    return _adding_worst_points(lambda points, left: _extensive_regret(
        free, base, draws, budget_risk, left, own, points, start), free, base, draws, settings)


def _extensive_regret(free, base, draws, budget_risk, settings, own, worst_points, start):
    """One solve of the extensive form for the regret, W in draw i over
    ``worst_points[i]``, HiGHS started from ``start`` (a portfolio, or None)."""
    import highspy

    deadline = time.perf_counter() + settings.time_limit_s
    highs, cols, known = _extensive_model(free, base, draws, budget_risk, settings, start)
    inf = highspy.kHighsInf
    largest = highs.getNumCol()
    highs.addCols(1, np.array([-1.0]), np.array([-inf]), np.array([inf]), 0,
                  np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    extra_index, extra_value = _extra_site_terms(free, base, cols)
    sites = cols.y + np.arange(cols.n_sites)
    regrets = []   # the start's regret in each draw, for t
    for i in np.flatnonzero(np.isfinite(own)):
        one = draws.subset([i])
        sets, weights = _sets(base, one, fairness=_values_fairness(base))
        first = _add_sets(highs, cols, sets, np.zeros(len(weights)))
        known.add_sets(first + np.arange(len(sets)), sets)
        index = [np.array([largest]), sites, extra_index, first + np.arange(len(sets))]
        value = [np.array([1.0]), _site_values(base, one), extra_value, weights]
        if _values_fairness(base):
            index.append(_add_fairness(highs, base, one, sets, first, 0.0, known))
            value.append(np.array([base.weights.fairness]))
        if base.weights.spread > 0:
            states = _add_spread(highs, cols, base, one.slipped[0], 0.0)
            known.add_states(states, base, one.slipped[0])
            index.append(states)
            value.append(np.full(len(states),
                                 base.weights.spread / base.max_gigafactories))
        if _per_draw_access(base):
            columns, points = _add_draw_access(highs, cols, free, one.slipped[0], None
                                               if worst_points is None else worst_points[i],
                                               0.0)
            index.append(columns)
            value.append(points)
        row = np.zeros(highs.getNumCol())   # a column may come twice (y: value and extra)
        np.add.at(row, np.concatenate(index), np.concatenate(value))
        used = np.flatnonzero(row)
        highs.addRow(float(own[i]), inf, len(used), used.astype(np.int32), row[used])
        others = used[used != largest]
        regrets.append(float(own[i]) - row[others] @ known.values_of(others))
    if regrets:   # t: the start's largest regret (NaN where a column is not known)
        known.add([largest], [np.max(regrets)])
    # objective and bound: minus the largest regret
    return _run(highs, free, settings, start, deadline, known)


def _rules_only(free):
    """``free`` with the rules and limits only: W, B and F come per draw in the extensive
    form (their nominal rows would be dead weight, W's for every place: 7.9 s of a 12 s
    robust choice on the shipped data with ``weights.worst``)."""
    return _same_candidates(free, weights=dataclasses.replace(
        free.weights, worst=0.0, backup=0.0, fairness=0.0))


def _extensive_model(free, base, draws, budget_risk, settings, start):
    """HiGHS with the model's rules (budget freed, maximising, every cost 0) and the chance
    constraint; also the column layout and the values of ``start`` (a portfolio, or None) on
    the columns so far (:class:`_StartValues`)."""
    from siteopt.solvers.direct import layout, load_highs
    from siteopt.solvers.highs import new_highs

    n = len(draws)
    capex = np.asarray(base.capex_eur, float)
    extra = base.extra_site_cost_eur
    rules = _rules_only(free)
    cols = layout(rules, reach=False)
    highs = new_highs(settings)
    load_highs(highs, rules, reach=False)
    width = highs.getNumCol()   # the nominal objective is not the question
    highs.changeColsCost(width, np.arange(width, dtype=np.int32), np.zeros(width))
    # capital cost of each integer column in each draw (the extra-site cost committed too)
    if base.compact:
        columns = np.r_[cols.y + np.arange(cols.n_sites), cols.u + np.arange(cols.n_countries)]
        per_draw = np.c_[capex * draws.capex_factor + extra, np.full((n, cols.n_countries),
                                                                     -extra)]
    else:
        candidates = free.candidates
        columns = np.arange(cols.n_candidates)
        member, site = candidates.site_pairs()
        per_draw = np.zeros((n, cols.n_candidates))
        np.add.at(per_draw.T, member, (capex * draws.capex_factor).T[site])
        per_draw += extra * (candidates.size - 1)
    over = _add_chance(highs, columns, per_draw, base.budget_eur, budget_risk,
                       base.max_gigafactories * (base.max_members if base.compact else 1))
    known = _StartValues(free, cols, start)
    if known.mask is not None:   # o_i: the draws its cost exceeds the budget in, by the rows
        cost = per_draw @ known.values_of(columns)
        known.add(over, (cost > base.budget_eur * (1 + BUDGET_TOLERANCE))[:len(over)])
    return highs, cols, known


class _StartValues:
    """A start portfolio's value on each column of the extensive form, added as the columns
    are, so that HiGHS gets a complete start: given only its integer columns, HiGHS completes
    them with a presolve of the whole model (7.6 s of a 28.9 s run on 50 draws of the
    500-site instance). Columns it cannot value here (the access block's, W's and B's in
    each draw) leave the start to HiGHS to complete.

    Parameters
    ----------
    free : SelectionInstance
        The model with the budget freed.
    cols : Layout
        Its columns in the extensive form (without reach).
    start : portfolio or None
        Gigafactories as member site indices; None: nothing to value.
    """

    def __init__(self, free, cols, start):
        from siteopt.solvers.benders import master_columns

        self.mask = None if start is None else free.site_mask(start)
        self._values = np.empty(0)
        if start is not None:   # x, y, u and h; the access block's a and c are left to HiGHS
            self.add(np.arange(cols.a), master_columns(free, cols, start, np.empty(0))[:cols.a])

    def add(self, columns, values) -> None:
        """Record the start's ``values`` on ``columns`` (nothing without a start)."""
        columns = np.asarray(columns, dtype=np.int64)
        if self.mask is None or not len(columns):
            return
        end = int(columns.max()) + 1
        if end > len(self._values):
            grown = np.full(max(end, 2 * len(self._values)), np.nan)
            grown[:len(self._values)] = self._values
            self._values = grown
        self._values[columns] = values

    def add_sets(self, columns, sets) -> None:
        """Each set's column (:func:`_add_sets`): 1 where a member of the start is in it."""
        if self.mask is None or not len(sets):
            return
        lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
        starts = np.cumsum(lengths) - lengths
        self.add(columns, np.logical_or.reduceat(self.mask[np.concatenate(sets)], starts))

    def add_states(self, columns, base, slipped: np.ndarray) -> None:
        """One draw's member states (:func:`_add_spread`; ``slipped``: its slipped sites):
        1 where a member of the start in the state delivers, for the first p such states
        (the rest count nothing)."""
        if self.mask is None:
            return
        delivering = self.mask & ~slipped
        country = np.asarray(base.site_country)
        counted = np.array([delivering[country == c].any() for c in base.countries])
        self.add(columns, counted & (np.cumsum(counted) <= base.max_gigafactories))

    def values_of(self, columns) -> np.ndarray:
        """The start's values on ``columns`` (NaN where not known)."""
        columns = np.asarray(columns, dtype=np.int64)
        values = np.full(len(columns), np.nan)
        known = columns < len(self._values)
        values[known] = self._values[columns[known]]
        return values

    def complete(self, width: int) -> np.ndarray | None:
        """The start on every one of the ``width`` columns, or None where one is not known."""
        if self.mask is None or len(self._values) < width:
            return None
        values = self._values[:width]
        return None if np.isnan(values).any() else values


def _extra_site_terms(free, base, cols) -> tuple[np.ndarray, np.ndarray]:
    """The weighted extra-site cost as objective points on the model's columns (the same in
    every draw): on y and the bids in the compact form, else on the candidates."""
    per_site = base.weights.cost * base.extra_site_cost_eur / base.cost_reference_eur
    if base.compact:
        return (np.r_[cols.y + np.arange(cols.n_sites), cols.u + np.arange(cols.n_countries)],
                np.r_[np.full(cols.n_sites, -per_site), np.full(cols.n_countries, per_site)])
    return np.arange(cols.n_candidates), -per_site * (free.candidates.size - 1)


def _run(highs, free, settings, start, deadline: float, known):
    """Solve from ``start`` (a portfolio, or None; ``known``: its values on the columns)
    until ``deadline`` (``time.perf_counter`` seconds: HiGHS's own clock leaves out the build,
    a minute at 500 sites and 200 draws), presolving without probing beyond
    :data:`PROBING_OFF_NONZEROS`; status, gigafactories, objective and bound (NaN without a
    solution, also when HiGHS stops at its time limit before finding one: the caller names
    the step)."""
    from siteopt.solvers.direct import start_columns
    from siteopt.solvers.highs import highs_status, objective_overstated, run_highs
    from siteopt.solvers.outcome import portfolio

    highs.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
    if highs.getNumNz() > PROBING_OFF_NONZEROS:
        highs.setOptionValue("presolve_rule_off", _PROBING)
    if start is not None:
        values = known.complete(highs.getNumCol())
        if values is not None:   # every column: HiGHS need not complete it
            columns = np.arange(len(values), dtype=np.int32)
        else:   # its integer columns; HiGHS completes the rest
            columns = start_columns(_rules_only(free), start, reach=False)
            values = np.ones(len(columns))
        highs.setSolution(len(columns), columns, values)
    run_highs(highs)
    if start is not None and objective_overstated(highs):   # HiGHS 1.16: without the start
        highs.clearSolver()
        highs.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
        run_highs(highs)
    try:
        status, bound = highs_status(highs, sense=1.0, time_limit_s=settings.time_limit_s)
    except TimeLimitError:   # none of its own in time: the start, else none (as the search)
        return Status.TIME_LIMIT, start or (), math.nan, math.nan
    if status in (Status.INFEASIBLE, Status.ERROR):
        return status, (), math.nan, math.nan
    if highs.getInfo().primal_solution_status != 2:   # stopped before taking the start
        return status, start or (), math.nan, bound
    values = np.asarray(highs.getSolution().col_value)
    return status, portfolio(free, values), float(highs.getInfo().objective_function_value), \
        bound


def _add_sets(highs, cols, sets, costs) -> int:
    """A column per set (``costs``: its objective points, at most 1) and the row
    ``z_T - sum of y over T <= 0``; the first new column."""
    import highspy

    from siteopt.solvers.direct import grouped_rows

    start = highs.getNumCol()
    highs.addCols(len(sets), costs, np.zeros(len(sets)), np.ones(len(sets)), 0,
                  np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    # the rows in one call (one call per row took 9.0 s of a 19.1 s build on 50 draws of the
    # 500-site instance; 3.3 s so)
    rows, columns, values = grouped_rows(sets, cols.y, start + np.arange(len(sets)))
    starts = np.searchsorted(rows, np.arange(len(sets)))   # (in row order)
    highs.addRows(len(sets), np.full(len(sets), -highspy.kHighsInf), np.zeros(len(sets)),
                  len(columns), starts.astype(np.int32), columns.astype(np.int32), values)
    return start


def _add_fairness(highs, base, draws, sets, first: int, cost: float,
                  known: _StartValues) -> np.ndarray:
    r"""F in each draw: a column :math:`\varphi_i` worth ``cost`` and, per member state c with
    people, :math:`\varphi_i \le \sum_g a_{gc} z_{T(g, i)} / A_c`, with :math:`T(g, i)`
    group g's sites less the draw's slipped ones (its column among ``sets``, the first at
    ``first``; a group left with no site counts nothing); the columns. The start's
    :math:`\varphi_i` (the least of its rows) goes to ``known``.

    Every :math:`z_T` is at most :math:`\min(1, \sum_{s \in T} y_s)` and nothing pushes it
    down, so at a portfolio :math:`\varphi_i` is the lowest state's share within R of the
    members that deliver in draw i: F as ``solve`` computes it with the draw's sites.
    """
    import highspy

    data = base.access
    group, state, people = data.state_groups
    column_of = {sites.astype(np.int64).tobytes(): first + k for k, sites in enumerate(sets)}
    start = highs.getNumCol()
    n = len(draws)
    anybody = float((data.state_people > 0).any())   # nobody anywhere: F is 0
    highs.addCols(n, np.full(n, cost), np.zeros(n), np.full(n, anybody), 0,
                  np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0))
    lowest = np.full(n, anybody)   # the start's phi_i
    for i, slipped in enumerate(draws.slipped):
        for c in np.flatnonzero(data.state_people > 0):
            mine = np.flatnonzero(state == c)
            index, value = [start + i], [1.0]
            for g, a in zip(group[mine], people[mine] / data.state_people[c]):
                sites = base.group_sites[g]
                kept = sites[~slipped[sites]]
                if len(kept):
                    index.append(column_of[kept.astype(np.int64).tobytes()])
                    value.append(-a)
            # groups with the same sites left share a column: one entry each (HiGHS refuses
            # a row that names a column twice)
            columns, where = np.unique(index, return_inverse=True)
            summed = np.bincount(where.ravel(), weights=value, minlength=len(columns))
            highs.addRow(-highspy.kHighsInf, 0.0, len(columns), columns.astype(np.int32),
                         summed)
            others = columns != start + i
            lowest[i] = np.minimum(lowest[i],
                                   -summed[others] @ known.values_of(columns[others]))
    known.add(start + np.arange(n), lowest)
    return start + np.arange(n)


def _add_spread(highs, cols, base, slipped, cost: float) -> np.ndarray:
    """For one draw (``slipped``: its slipped sites): per member state whether a member of
    the state delivers, at most p of them, each worth ``cost`` in the objective; their
    columns."""
    import highspy

    p = base.max_gigafactories
    country = np.asarray(base.site_country)
    states = [np.flatnonzero(country == c) for c in base.countries]
    start = highs.getNumCol()
    highs.addCols(len(states), np.full(len(states), cost), np.zeros(len(states)),
                  np.ones(len(states)), 0, np.empty(0, np.int32), np.empty(0, np.int32),
                  np.empty(0))
    for k, sites in enumerate(states):
        kept = sites[~slipped[sites]]
        highs.addRow(-highspy.kHighsInf, 0.0, len(kept) + 1,
                     np.r_[start + k, cols.y + kept].astype(np.int32),
                     np.r_[1.0, -np.ones(len(kept))])
    columns = start + np.arange(len(states))
    highs.addRow(-highspy.kHighsInf, float(p), len(states), columns.astype(np.int32),
                 np.ones(len(states)))
    return columns


def _add_chance(highs, columns, per_draw, budget: float, risk: float,
                most_columns: int) -> np.ndarray:
    """K_i <= B + M_i o_i for every draw i, at most floor(alpha N) of the o_i at 1, and the
    relaxed budget row the search uses (each column's cost averaged over its N - floor(alpha N)
    cheapest draws; see :mod:`~siteopt.solvers.search_chance`), which the big-M rows alone
    leave far weaker in the linear relaxation (500 sites, 20 draws: gap 82 % at 300 s).

    ``most_columns``: how many of ``columns`` a portfolio sets at most (its sites, or its
    gigafactories), so M_i, the largest cost over the budget, is the sum of that many largest
    costs of the draw less B.

    Returns
    -------
    ndarray
        The columns o_i (none when alpha N < 1: every row holds then).
    """
    import highspy

    n = len(per_draw)
    allowed = _allowed_over(risk, n)
    slack = budget * 1e-9   # the tolerance over_budget and violations() allow
    largest = -np.sort(-np.clip(per_draw, 0, None), axis=1)[:, :most_columns]
    big = np.maximum(largest.sum(axis=1) - budget, 0.0)
    start = highs.getNumCol()
    if allowed:
        highs.addCols(n, np.zeros(n), np.zeros(n), np.ones(n), 0, np.empty(0, np.int32),
                      np.empty(0, np.int32), np.empty(0))
        highs.changeColsIntegrality(n, np.arange(start, start + n, dtype=np.int32),
                                    np.full(n, highspy.HighsVarType.kInteger))
        highs.addRow(-highspy.kHighsInf, float(allowed), n,
                     np.arange(start, start + n, dtype=np.int32), np.ones(n))
    if 0 < allowed < n:   # (when every draw may be over, alpha = 1, no relaxed row either)
        relaxed = ChanceRule(per_draw.T, budget, allowed).relaxed_capex()
        used = np.flatnonzero(relaxed)
        highs.addRow(-highspy.kHighsInf, budget + slack, len(used),
                     columns[used].astype(np.int32), relaxed[used])
    for i in range(n):
        used = np.flatnonzero(per_draw[i])
        index, value = columns[used], per_draw[i][used]
        if allowed:
            index, value = np.r_[index, start + i], np.r_[value, -big[i]]
        highs.addRow(-highspy.kHighsInf, budget + slack, len(index), index.astype(np.int32), value)
    return start + np.arange(n if allowed else 0)
