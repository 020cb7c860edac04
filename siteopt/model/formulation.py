"""The consolidation model of :mod:`siteopt.model` written as a PuLP problem: one
``define_*`` per family of variables or rows, called from :func:`build_model` (the PuLP path,
:mod:`siteopt.solvers.via_pulp`, and the analyses that add rows to it). Only this module
imports PuLP.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pulp

from siteopt.config import Weights
from siteopt.model.access_rows import CANDIDATE, GROUP, OWN, SITE
from siteopt.model.selection import (
    SelectionInstance,
    compact_objective,
    exclusion_rows,
    gigafactory_labels,
    gigafactory_objective,
    lp_names,
    site_objective,
)
from siteopt.terms import TERMS


@dataclass(frozen=True)
class BuiltModel:
    """The PuLP problem and its variables, keyed by candidate, site, group, country, letter.

    In the compact form ``gigafactory_open`` is empty and ``country_used`` holds the binary
    bids :math:`b_c`.
    """

    problem: pulp.LpProblem
    gigafactory_open: dict[int, pulp.LpVariable]
    site_open: dict[int, pulp.LpVariable]
    demand_covered: dict[int, pulp.LpVariable]
    country_used: dict[str, pulp.LpVariable]
    letter_homed: dict[int, pulp.LpVariable]
    access_columns: dict[int, pulp.LpVariable] = dataclasses.field(default_factory=dict)


def _expression(pairs) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression([(var, float(coef)) for var, coef in pairs if coef != 0])


def _add_row(problem, pairs, sense, rhs: float, name: str) -> None:
    problem.addConstraint(pulp.LpConstraint(_expression(pairs), sense=sense, rhs=float(rhs),
                                            name=name))


def define_gigafactory_open(problem, instance):
    """Binary :math:`x_g`, one per candidate gigafactory."""
    names = lp_names("gf", gigafactory_labels(instance))
    return {g: problem.add_variable(name, lowBound=0, upBound=1, cat=pulp.LpInteger)
            for g, name in enumerate(names)}


def define_site_open(problem, instance):
    """:math:`y_s` in [0, 1] (binary in the compact form), fixed to 1 for required sites and
    to 0 for ineligible ones."""
    names = lp_names("open", list(instance.site_ids))
    kind = pulp.LpInteger if instance.compact else pulp.LpContinuous
    return {s: problem.add_variable(name, lowBound=1 if instance.required[s] else 0,
                                    upBound=1 if instance.eligible[s] else 0, cat=kind)
            for s, name in enumerate(names)}


def define_demand_covered(problem, instance):
    return {d: problem.add_variable(f"cover_{d}", lowBound=0, upBound=1)
            for d in range(len(instance.group_population))}


def define_country_used(problem, instance):
    """:math:`u_c` in [0, 1]; in the compact form the binary bid :math:`b_c`."""
    if instance.compact:
        names = lp_names("bid", list(instance.countries))
        return {c: problem.add_variable(name, lowBound=0, upBound=1, cat=pulp.LpInteger)
                for c, name in zip(instance.countries, names)}
    names = lp_names("represented", list(instance.countries))
    return {c: problem.add_variable(name, lowBound=0, upBound=1)
            for c, name in zip(instance.countries, names)}


def define_letter_homed(problem, instance):
    return {l: problem.add_variable(f"home_{l}", lowBound=0, upBound=1)
            for l in range(len(instance.letter_site))}


def objective_expression(instance: SelectionInstance, built: BuiltModel,
                         weights: Weights | None = None) -> pulp.LpAffineExpression:
    """The objective over ``built``'s variables under ``weights`` (by default the instance's).

    With one weight 1 and the others 0 it is that term alone (minus X for cost): see
    :func:`term_expression`.
    """
    w = weights or instance.weights
    if instance.compact:
        per_site, per_bid = compact_objective(instance, w)
        pairs = list(zip(built.site_open.values(), per_site))
        pairs += list(zip(built.country_used.values(), per_bid))
    else:
        pairs = list(zip(built.gigafactory_open.values(), gigafactory_objective(instance, w)))
        pairs += list(zip(built.site_open.values(), site_objective(instance, w)))
        pairs += [(u, w.spread / instance.max_gigafactories) for u in built.country_used.values()]
    per_group = instance.group_weights(w)
    pairs += [(z, per_group[d]) for d, z in built.demand_covered.items()]
    pairs += list(zip(built.access_columns.values(), instance.access_block.cost(w)))
    if built.letter_homed:
        pairs += [(h, w.letters / len(built.letter_homed)) for h in built.letter_homed.values()]
    return _expression(pairs)


def term_expression(instance: SelectionInstance, built: BuiltModel,
                    term: str) -> pulp.LpAffineExpression:
    """One objective term, un-weighted, over ``built``'s variables (X itself for ``cost``).

    At an integer solution it equals :meth:`SelectionInstance.evaluate`'s value of the term
    (for spread, once the model has pushed :math:`u_c` to its bound).
    """
    unit = dataclasses.replace(instance.weights, **{t: float(t == term) for t in TERMS})
    expression = objective_expression(instance, built, unit)
    return -expression if term == "cost" else expression


def define_membership(problem, instance, gigafactory_open, site_open):
    """site_s: a site is used exactly when one chosen gigafactory has it as a member."""
    rows, sites = instance.candidates.site_pairs()
    by_site: dict[int, list[int]] = {}
    for g, s in zip(rows.tolist(), sites.tolist()):
        by_site.setdefault(s, []).append(g)
    for s, name in zip(range(len(instance.site_ids)), lp_names("site", list(instance.site_ids))):
        pairs = [(site_open[s], 1)] + [(gigafactory_open[g], -1) for g in by_site.get(s, [])]
        _add_row(problem, pairs, pulp.LpConstraintEQ, 0, name)


def define_portfolio_limits(problem, instance, gigafactory_open, site_open):
    """max_gigafactories, budget and total_power rows."""
    candidates = instance.candidates
    _add_row(problem, ((x, 1) for x in gigafactory_open.values()), pulp.LpConstraintLE,
             instance.max_gigafactories, "max_gigafactories")
    _add_row(problem, zip(gigafactory_open.values(), candidates.capex_eur), pulp.LpConstraintLE,
             instance.budget_row_eur, "budget")
    _add_row(problem, zip(site_open.values(), instance.effective_mw), pulp.LpConstraintLE,
             instance.power_row_mw, "total_power")


def define_country_limits(problem, instance, gigafactory_open, site_open, country_used):
    """At most q gigafactories per member state; a state counts only with a member site."""
    rows, columns = instance.candidates.country_pairs
    countries = instance.countries
    bids_names = lp_names("bids", list(countries))
    spread_names = lp_names("spread", list(countries))
    for c, country in enumerate(countries):
        _add_row(problem, ((gigafactory_open[g], 1) for g in rows[columns == c].tolist()),
                 pulp.LpConstraintLE, instance.max_bids_per_country, bids_names[c])
        sites = [s for s, code in enumerate(instance.site_country) if code == country]
        _add_row(problem, [(country_used[country], 1)] + [(site_open[s], -1) for s in sites],
                 pulp.LpConstraintLE, 0, spread_names[c])
    _add_row(problem, ((u, 1) for u in country_used.values()), pulp.LpConstraintLE,
             instance.max_gigafactories, "spread_cap")


def define_reach(problem, instance, gigafactory_open, site_open, demand_covered):
    """A demand group counts as covered only if a member site is within R of it: over the
    candidates where :attr:`SelectionInstance.candidate_reach` allows, else over the sites."""
    reach = instance.candidate_reach
    levels = instance.level_rows
    n_plain = instance.access.level_offset if levels is not None else len(instance.group_sites)
    columns, sets = ((gigafactory_open, reach) if reach is not None
                     else (site_open, instance.group_sites[:n_plain]))
    for d, members in enumerate(sets):
        _add_row(problem, [(demand_covered[d], 1)] + [(columns[k], -1) for k in members.tolist()],
                 pulp.LpConstraintLE, 0, f"reach_{d}")
    if levels is None:
        return
    for j, (parent, added) in enumerate(zip(levels.parent.tolist(), levels.added)):
        pairs = [(demand_covered[n_plain + j], 1)] + [(site_open[s], -1) for s in added.tolist()]
        if parent >= 0:
            pairs.append((demand_covered[n_plain + parent], -1))
        _add_row(problem, pairs, pulp.LpConstraintLE, 0, f"level_{j}")


def define_letter_homes(problem, instance, site_open, letter_homed):
    """A letter finds a home only if a site of :math:`H_l` is a member."""
    for l, sites in enumerate(instance.letter_homes):
        _add_row(problem, [(letter_homed[l], 1)] + [(site_open[s], -1) for s in sites],
                 pulp.LpConstraintLE, 0, f"home_{l}")


def define_national_bids(problem, instance, site_open, bid):
    """Compact form: each state's used sites form its one gigafactory, within the rules."""
    le = pulp.LpConstraintLE
    mw = instance.effective_mw
    names = lp_names("", list(instance.countries))
    for country, label in zip(instance.countries, names):
        sites = [s for s, code in enumerate(instance.site_country) if code == country]
        b = bid[country]
        _add_row(problem, [(b, 1)] + [(site_open[s], -1) for s in sites], le, 0,
                 f"bid_open{label}")
        _add_row(problem, [(b, -instance.max_members)] + [(site_open[s], 1) for s in sites], le,
                 0, f"bid_members{label}")
        _add_row(problem, [(b, -instance.power_cap_mw)] + [(site_open[s], mw[s]) for s in sites],
                 le, 0, f"bid_power{label}")
        if instance.min_gigafactory_mw > 0:
            _add_row(problem, [(b, instance.min_gigafactory_mw)]
                     + [(site_open[s], -mw[s]) for s in sites], le, 0, f"bid_min_power{label}")
    site_names = lp_names("member", list(instance.site_ids))
    for s, name in enumerate(site_names):
        _add_row(problem, [(site_open[s], 1), (bid[instance.site_country[s]], -1)], le, 0, name)
    cliques = instance.conflict_cliques
    labels = ["_".join(instance.site_ids[s] for s in clique) if len(clique) == 2 else str(k)
              for k, clique in enumerate(cliques)]
    for clique, label in zip(cliques, labels):
        prefix = "link" if len(clique) == 2 else "clique"
        _add_row(problem, [(site_open[s], 1) for s in clique.tolist()]
                 + [(bid[instance.site_country[clique[0]]], -1)], le, 0,
                 lp_names(prefix, [label])[0])
    extra = instance.extra_site_cost_eur
    _add_row(problem, ((u, 1) for u in bid.values()), le, instance.max_gigafactories,
             "max_gigafactories")
    _add_row(problem, list(zip(site_open.values(), instance.capex_eur + extra))
             + [(u, -extra) for u in bid.values()], le, instance.budget_row_eur, "budget")
    _add_row(problem, zip(site_open.values(), mw), le, instance.power_row_mw, "total_power")


def define_compact_reach(problem, instance, site_open, demand_covered, bid, letter_homed):
    """Reach rows over the sites, and over the states where a state has two covering sites;
    a letter's home is its state's bid."""
    le = pulp.LpConstraintLE
    define_reach(problem, instance, {}, site_open, demand_covered)
    countries = instance.countries
    n_plain = (instance.access.level_offset if instance.level_rows is not None
               else len(instance.group_sites))
    for d, (sites, states) in enumerate(zip(instance.group_sites[:n_plain],
                                            instance.country_reach)):
        if len(states) < len(sites):
            _add_row(problem, [(demand_covered[d], 1)] + [(bid[countries[c]], -1) for c in states],
                     le, 0, f"reach_states_{d}")
    for l, site in enumerate(instance.letter_site.tolist()):
        _add_row(problem, [(letter_homed[l], 1), (bid[instance.site_country[site]], -1)], le, 0,
                 f"home_{l}")


def define_access(problem, instance, gigafactory_open, site_open, demand_covered):
    """The own columns and rows of :func:`~siteopt.model.access_rows.access_block` (W, B, F
    and the ``access`` limits); a row with no upper bound is a ``>=`` row."""
    block = instance.access_block
    own = {k: problem.add_variable(name, lowBound=low, upBound=up)
           for k, (name, low, up) in enumerate(zip(lp_names("access", block.names),
                                                     block.lower, block.upper))}
    families = {OWN: own, SITE: site_open, CANDIDATE: gigafactory_open, GROUP: demand_covered}
    order = np.argsort(block.row_of, kind="stable")
    starts = np.searchsorted(block.row_of[order], np.arange(len(block.row_names) + 1))
    for row, (lower, upper, name) in enumerate(zip(block.row_lower, block.row_upper,
                                                   lp_names("access", block.row_names))):
        entries = order[starts[row]:starts[row + 1]]
        pairs = [(families[int(block.family[e])][int(block.index[e])], block.value[e])
                 for e in entries]
        if math.isinf(upper):
            _add_row(problem, pairs, pulp.LpConstraintGE, lower, name)
        else:
            _add_row(problem, pairs, pulp.LpConstraintLE, upper, name)
    return own


def define_exclusions(problem, instance, site_open):
    """The no-good rows of :func:`~siteopt.model.selection.exclusion_rows`
    (``exclude_<k>``)."""
    for k, (plus, minus, limit) in enumerate(exclusion_rows(instance)):
        _add_row(problem, [(site_open[int(i)], 1) for i in plus]
                 + [(site_open[int(i)], -1) for i in minus], pulp.LpConstraintLE, limit,
                 f"exclude_{k}")


def define_floor(problem, instance):
    """``floor``: the objective at least :attr:`~siteopt.model.SelectionInstance.objective_floor`
    (only when it is finite)."""
    if math.isfinite(instance.objective_floor):
        problem.addConstraint(pulp.LpConstraint(problem.objective, sense=pulp.LpConstraintGE,
                                                rhs=instance.objective_floor, name="floor"))


def build_model(instance: SelectionInstance, name: str = "siteopt") -> BuiltModel:
    """Build the integer program of the module docstring for ``instance``.

    Returns
    -------
    BuiltModel
    """
    instance.require_level_rows("pulp")
    problem = pulp.LpProblem(name, pulp.LpMaximize)
    if instance.compact:
        site_open = define_site_open(problem, instance)
        demand_covered = define_demand_covered(problem, instance)
        bid = define_country_used(problem, instance)
        letter_homed = define_letter_homed(problem, instance)
        define_national_bids(problem, instance, site_open, bid)
        define_compact_reach(problem, instance, site_open, demand_covered, bid, letter_homed)
        define_exclusions(problem, instance, site_open)
        own = define_access(problem, instance, {}, site_open, demand_covered)
        built = BuiltModel(problem, {}, site_open, demand_covered, bid, letter_homed, own)
        problem.setObjective(objective_expression(instance, built))
        define_floor(problem, instance)
        return built
    gigafactory_open = define_gigafactory_open(problem, instance)
    site_open = define_site_open(problem, instance)
    demand_covered = define_demand_covered(problem, instance)
    country_used = define_country_used(problem, instance)
    letter_homed = define_letter_homed(problem, instance)
    define_membership(problem, instance, gigafactory_open, site_open)
    define_portfolio_limits(problem, instance, gigafactory_open, site_open)
    define_country_limits(problem, instance, gigafactory_open, site_open, country_used)
    define_reach(problem, instance, gigafactory_open, site_open, demand_covered)
    define_letter_homes(problem, instance, site_open, letter_homed)
    define_exclusions(problem, instance, site_open)
    own = define_access(problem, instance, gigafactory_open, site_open, demand_covered)
    built = BuiltModel(problem, gigafactory_open, site_open, demand_covered, country_used,
                       letter_homed, own)
    problem.setObjective(objective_expression(instance, built))
    define_floor(problem, instance)
    return built
