r"""The site-selection model: a numbers-only integer linear program, built with PuLP.

Formulation
-----------
.. math::

    \max\quad & w_C\,C + w_G\,G + w_K\,K + w_E\,E - w_X\,X \\
    C &= \frac{\sum_{g} a_g z_g}{A}, \quad
    G = \frac{\sum_s m_s y_s}{pP}, \quad
    K = \frac{\sum_c u_c}{p}, \quad
    E = \frac{\sum_s r_s m_s y_s}{pP}, \quad
    X = \frac{\sum_s k_s y_s}{B} \\
    \text{s.t.}\quad
    & \textstyle\sum_s y_s \le p                       && \text{(max\_sites)} \\
    & \textstyle\sum_s k_s y_s \le B                   && \text{(budget)} \\
    & \textstyle\sum_s m_s y_s \le T                   && \text{(total\_power)} \\
    & \textstyle\sum_{s \in S_c} y_s \le q             && \forall c \quad \text{(country\_c)} \\
    & z_g \le \textstyle\sum_{s \in N_g} y_s           && \forall g \quad \text{(reach\_g)} \\
    & u_c \le \textstyle\sum_{s \in S_c} y_s           && \forall c \quad \text{(spread\_c)} \\
    & y_s = 0 \ \text{if } m_s < m_{\min} \text{ or } s \text{ excluded}; \quad
      y_s = 1 \ \text{if } s \text{ required} \\
    & y_s \in \{0, 1\}, \quad z_g \in [0, 1], \quad u_c \in [0, 1]

Symbols
-------
=============  =====================  ===========================================================
symbol         code name              meaning (unit)
=============  =====================  ===========================================================
:math:`y_s`    ``site_open[s]``       1 if site s is chosen (LP name ``open_<site_id>``)
:math:`z_g`    ``demand_covered[g]``  share of demand group g within R of a chosen site
                                      (``cover_<g>``)
:math:`u_c`    ``country_used[c]``    1 if country c has a chosen site (``represented_<c>``)
:math:`a_g`    ``group_population``   people in demand group g
:math:`A`      ``total_population``   people in all demand points, covered or not
:math:`N_g`    ``group_sites``        the sites within R of every point of group g
:math:`S_c`    ``site_country``       the sites in country c
:math:`m_s`    ``effective_mw``       min(power_mw, grid_mw, P) (MW)
:math:`r_s`    ``renewable_share``    renewable share of the site's electricity (0..1)
:math:`k_s`    ``capex_eur``          capital cost (EUR)
:math:`B`      ``budget_eur``         budget (EUR)
:math:`p`      ``max_sites``          most sites chosen
:math:`q`      ``max_sites_per_country``  most sites per country
:math:`P`      ``power_cap_mw``       power counted per site at most (MW)
:math:`T`      ``total_power_mw``     most total effective power (MW)
:math:`w_*`    ``weights``            objective weights (>= 0)
=============  =====================  ===========================================================

Demand points are grouped before the model is built: points covered by exactly the same set of
eligible sites share one variable :math:`z_g` (their populations summed), and points no
eligible site covers are dropped (they count in :math:`A` but can never be covered). This leaves
the optimum unchanged and makes the model much smaller.

The builder knows nothing about geography: it takes arrays, so a 3-site, 4-point instance can be
written by hand in a test (see :mod:`siteopt.examples`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pulp

from siteopt.config import Weights

TERMS = ("coverage", "grid", "spread", "green", "cost")


@dataclass(frozen=True, eq=False)
class SelectionInstance:
    """Everything the ILP needs, as numbers.

    Parameters
    ----------
    site_ids : tuple of str
        Site identifiers, in the order of every per-site array.
    site_country : tuple of str
        Country code of each site.
    effective_mw : ndarray
        :math:`m_s`, MW.
    renewable_share : ndarray
        :math:`r_s`, 0..1.
    capex_eur : ndarray
        :math:`k_s`, EUR.
    group_population : ndarray
        :math:`a_g`, people per demand group.
    group_sites : tuple of ndarray
        :math:`N_g`: indices of the sites covering each group (non-empty).
    total_population : float
        :math:`A`, people.
    budget_eur, max_sites, max_sites_per_country, power_cap_mw, total_power_mw
        :math:`B, p, q, P, T`.
    weights : Weights
        Objective weights.
    eligible : ndarray of bool
        False where :math:`y_s` is fixed to 0.
    required : ndarray of bool
        True where :math:`y_s` is fixed to 1.
    """

    site_ids: tuple[str, ...]
    site_country: tuple[str, ...]
    effective_mw: np.ndarray
    renewable_share: np.ndarray
    capex_eur: np.ndarray
    group_population: np.ndarray
    group_sites: tuple[np.ndarray, ...]
    total_population: float
    budget_eur: float
    max_sites: int
    max_sites_per_country: int
    power_cap_mw: float
    total_power_mw: float
    weights: Weights = field(default_factory=Weights)
    eligible: np.ndarray | None = None
    required: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.site_ids)
        if np.any(np.asarray(self.effective_mw) > self.power_cap_mw):
            raise ValueError("effective_mw must already be capped at power_cap_mw "
                             "(m_s = min(power_mw, grid_mw, P))")
        if self.eligible is None:
            object.__setattr__(self, "eligible", np.ones(n, dtype=bool))
        if self.required is None:
            object.__setattr__(self, "required", np.zeros(n, dtype=bool))

    @property
    def countries(self) -> tuple[str, ...]:
        """Distinct site countries, sorted."""
        return tuple(sorted(set(self.site_country)))

    def evaluate(self, selected: np.ndarray) -> dict[str, float]:
        """The five un-weighted terms for a selection (boolean mask over sites).

        Computed straight from the definition, independent of any solver.
        """
        selected = np.asarray(selected, dtype=bool)
        scale_mw = self.max_sites * self.power_cap_mw
        covered = sum(float(pop) for pop, sites in zip(self.group_population, self.group_sites)
                      if selected[sites].any())
        return {
            "coverage": covered / self.total_population if self.total_population > 0 else 0.0,
            "grid": float(self.effective_mw[selected].sum() / scale_mw),
            "spread": len({c for c, chosen in zip(self.site_country, selected) if chosen})
            / self.max_sites,
            "green": float((self.renewable_share * self.effective_mw)[selected].sum() / scale_mw),
            "cost": float(self.capex_eur[selected].sum() / self.budget_eur),
        }

    def violations(self, selected: np.ndarray) -> list[str]:
        """The limits a selection breaks (empty when it is feasible), in words."""
        selected = np.asarray(selected, dtype=bool)
        broken = []
        if selected.sum() > self.max_sites:
            broken.append(f"{selected.sum()} sites > max_sites {self.max_sites}")
        if self.capex_eur[selected].sum() > self.budget_eur * (1 + 1e-9):
            broken.append("budget")
        if self.effective_mw[selected].sum() > self.total_power_mw * (1 + 1e-9):
            broken.append("total_power")
        countries = [c for c, chosen in zip(self.site_country, selected) if chosen]
        if countries and max(countries.count(c) for c in countries) > self.max_sites_per_country:
            broken.append("max_sites_per_country")
        if (selected & ~self.eligible).any():
            broken.append("an ineligible site is chosen")
        if (self.required & ~selected).any():
            broken.append("a required site is missing")
        return broken

    def objective(self, terms: dict[str, float]) -> float:
        """The weighted objective of the given terms (cost subtracted)."""
        w = self.weights
        return (w.coverage * terms["coverage"] + w.grid * terms["grid"]
                + w.spread * terms["spread"] + w.green * terms["green"] - w.cost * terms["cost"])


def group_demand(point_population: np.ndarray, point_index: np.ndarray, site_index: np.ndarray,
                 eligible: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Merge demand points covered by the same set of eligible sites.

    Parameters
    ----------
    point_population : ndarray
        People per demand point.
    point_index, site_index : ndarray
        Coverage pairs sorted by point, then site (see :func:`siteopt.geometry.coverage_pairs`).
    eligible : ndarray of bool
        Sites that may be chosen; pairs with other sites are ignored.

    Returns
    -------
    group_population : ndarray
        People per group, groups in order of first appearance.
    group_sites : tuple of ndarray
        Covering site indices per group.
    """
    keep = eligible[site_index]
    point_index, site_index = point_index[keep], site_index[keep]
    if len(point_index) == 0:
        return np.empty(0), ()
    starts = np.flatnonzero(np.r_[True, point_index[1:] != point_index[:-1]])
    ends = np.r_[starts[1:], len(point_index)]
    groups: dict[bytes, int] = {}
    population: list[float] = []
    members: list[np.ndarray] = []
    for start, end in zip(starts, ends):
        sites = site_index[start:end]
        key = sites.tobytes()
        index = groups.get(key)
        if index is None:
            groups[key] = len(population)
            population.append(0.0)
            members.append(sites)
            index = len(population) - 1
        population[index] += float(point_population[point_index[start]])
    return np.asarray(population), tuple(members)


def lp_names(prefix: str, labels: list[str]) -> list[str]:
    """Readable LP names ``<prefix>_<label>``, unique even after PuLP's character rewriting.

    PuLP turns ``-+[] ->/`` into ``_``, so ``A-B`` and ``A_B`` would collide; colliding labels
    get their position appended.
    """
    clean = [re.sub(r"[^A-Za-z0-9_]", "_", f"{prefix}_{label}") for label in labels]
    if len(set(clean)) == len(clean):
        return clean
    return [f"{name}_{i}" for i, name in enumerate(clean)]


@dataclass(frozen=True)
class BuiltModel:
    """The PuLP problem and its variables, keyed by site index, group index and country."""

    problem: pulp.LpProblem
    site_open: dict[int, pulp.LpVariable]
    demand_covered: dict[int, pulp.LpVariable]
    country_used: dict[str, pulp.LpVariable]


def define_site_open(problem, instance):
    """Binary :math:`y_s`, fixed to 0 (ineligible) or 1 (required) through its bounds.

    Declared as an integer in [0, 1]: PuLP resets the bounds of an ``LpBinary`` to [0, 1],
    which would drop the fixings.
    """
    names = lp_names("open", list(instance.site_ids))
    variables = {}
    for s, name in enumerate(names):
        low = 1 if instance.required[s] else 0
        up = 0 if not instance.eligible[s] else 1
        variables[s] = problem.add_variable(name, lowBound=low, upBound=up, cat=pulp.LpInteger)
    return variables


def define_demand_covered(problem, instance):
    return {g: problem.add_variable(f"cover_{g}", lowBound=0, upBound=1)
            for g in range(len(instance.group_population))}


def define_country_used(problem, instance):
    names = lp_names("represented", list(instance.countries))
    return {c: problem.add_variable(name, lowBound=0, upBound=1)
            for c, name in zip(instance.countries, names)}


def _expression(pairs) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression([(var, float(coef)) for var, coef in pairs if coef != 0])


def site_objective(instance: SelectionInstance) -> np.ndarray:
    """Objective coefficient of each :math:`y_s`: its grid, green and (negative) cost terms."""
    w = instance.weights
    scale_mw = instance.max_sites * instance.power_cap_mw
    return (w.grid * instance.effective_mw / scale_mw
            + w.green * instance.renewable_share * instance.effective_mw / scale_mw
            - w.cost * instance.capex_eur / instance.budget_eur)


def define_objective(problem, instance, site_open, demand_covered, country_used):
    w = instance.weights
    per_site = site_objective(instance)
    terms = [(site_open[s], per_site[s]) for s in site_open]
    if instance.total_population > 0:
        terms += [(demand_covered[g], w.coverage * instance.group_population[g]
                   / instance.total_population) for g in demand_covered]
    terms += [(country_used[c], w.spread / instance.max_sites) for c in country_used]
    problem.setObjective(_expression(terms))


def define_portfolio_limits(problem, instance, site_open):
    """max_sites, budget and total_power rows."""
    rows = {
        "max_sites": (np.ones(len(site_open)), instance.max_sites),
        "budget": (instance.capex_eur, instance.budget_eur),
        "total_power": (instance.effective_mw, instance.total_power_mw),
    }
    for name, (coefficients, limit) in rows.items():
        problem.addConstraint(pulp.LpConstraint(
            _expression((site_open[s], coefficients[s]) for s in site_open),
            sense=pulp.LpConstraintLE, rhs=float(limit), name=name))


def define_country_limits(problem, instance, site_open, country_used):
    """At most q sites per country; a country counts as represented only with a chosen site."""
    members: dict[str, list[int]] = {}
    for s, country in enumerate(instance.site_country):
        members.setdefault(country, []).append(s)
    limit_names = lp_names("country", list(instance.countries))
    spread_names = lp_names("spread", list(instance.countries))
    for country, limit_name, spread_name in zip(instance.countries, limit_names, spread_names):
        sites = members[country]
        problem.addConstraint(pulp.LpConstraint(
            _expression((site_open[s], 1) for s in sites), sense=pulp.LpConstraintLE,
            rhs=instance.max_sites_per_country, name=limit_name))
        problem.addConstraint(pulp.LpConstraint(
            _expression([(country_used[country], 1)] + [(site_open[s], -1) for s in sites]),
            sense=pulp.LpConstraintLE, rhs=0, name=spread_name))


def define_reach(problem, instance, site_open, demand_covered):
    """A demand group counts as covered only if a chosen site is within R of it."""
    for g, sites in enumerate(instance.group_sites):
        problem.addConstraint(pulp.LpConstraint(
            _expression([(demand_covered[g], 1)] + [(site_open[s], -1) for s in sites]),
            sense=pulp.LpConstraintLE, rhs=0, name=f"reach_{g}"))


def build_model(instance: SelectionInstance, name: str = "siteopt") -> BuiltModel:
    """Build the ILP of the module docstring for ``instance``.

    Returns
    -------
    BuiltModel
    """
    problem = pulp.LpProblem(name, pulp.LpMaximize)
    site_open = define_site_open(problem, instance)
    demand_covered = define_demand_covered(problem, instance)
    country_used = define_country_used(problem, instance)
    define_objective(problem, instance, site_open, demand_covered, country_used)
    define_portfolio_limits(problem, instance, site_open)
    define_country_limits(problem, instance, site_open, country_used)
    define_reach(problem, instance, site_open, demand_covered)
    return BuiltModel(problem, site_open, demand_covered, country_used)
