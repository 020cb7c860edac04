r"""Multipliers of the search's bound by projected subgradient steps, at the root and at nodes.

The search (:mod:`~siteopt.solvers.search`) bounds what at most r further options, one per
later group, can add by the Lagrangian relaxation of the reach rows and the budget: for
multipliers :math:`0 \le \pi_e \le w_e` and :math:`\lambda \ge 0`,

.. math::

    L(\pi, \lambda) = \sum_e (w_e - \pi_e) + \lambda b
        + \max_{T} \sum_{o \in T} \Big(\sum_e \pi_e a_{oe} + v_o - \lambda k_o\Big),

the inner maximum over sets T of at most r options with a positive bracket, one per group.
Any multipliers give a valid bound; the steps here look for small ones, with Polyak's step
length towards the value of a greedy completion: :math:`t = \ell (L - \text{target}) /
\lVert g \rVert^2` along the subgradient g, the length :math:`\ell` halved after a number of
steps without a better bound. The same steps run at the root (from :math:`\pi = w`) and at the
nodes with many gigafactories still to choose (from the parent's multipliers, over the weight
the node leaves and the options it allows): carried down from the root alone, the multipliers
leave the bound of a deep subtree loose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from siteopt.interrupt import stop_requested


@dataclass(frozen=True)
class Steps:
    """How the subgradient steps run.

    Attributes
    ----------
    most : int
        Most steps.
    length : float
        First step length :math:`\\ell` (a share of Polyak's step).
    patience : int
        Steps without a better bound before the length is halved.
    least_length : float
        The steps stop once the length is below it.
    """

    most: int
    length: float
    patience: int
    least_length: float


@dataclass(frozen=True)
class Options:
    """The options a bound chooses from, in search order (ascending group); those it may not
    choose have a value of -inf.

    Attributes
    ----------
    covers : ndarray, shape (options, elements)
        1 where the option covers the element.
    value : ndarray
        Linear objective points of each option (-inf: not allowed).
    capex_eur, mw : ndarray
        Cost (EUR) and effective power (MW) of each option.
    group : ndarray of int
        Search group of each option, ascending.
    """

    covers: np.ndarray
    value: np.ndarray
    capex_eur: np.ndarray
    mw: np.ndarray
    group: np.ndarray


def group_starts(group: np.ndarray) -> np.ndarray:
    """Index of the first option of each run of equal (sorted) groups."""
    return np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group


def subgradient(options: Options, weight: np.ndarray, slots: int, budget_eur: float,
                power_mw: float, pi: np.ndarray, lam: float, steps: Steps,
                enough: float = -math.inf) -> tuple[float, np.ndarray, float]:
    """The least bound :math:`L(\\pi, \\lambda)` found by ``steps`` from ``pi`` and ``lam``.

    Parameters
    ----------
    options : Options
        At least one.
    weight : ndarray
        Objective points of each element still to win (:math:`w`).
    slots : int
        Most options to add (r).
    budget_eur, power_mw : float
        Budget (EUR) and power (MW) left.
    pi : ndarray
        First element multipliers, objective points (clipped to 0..weight).
    lam : float
        First budget multiplier, objective points per EUR.
    steps : Steps
    enough : float
        The steps stop once the bound is below it (a node bounded there is pruned anyway).

    Returns
    -------
    bound : float
        The least bound seen, objective points.
    pi : ndarray
        Its element multipliers (each within 0..its weight).
    lam : float
        Its budget multiplier, objective points per EUR.
    """
    covers, value, capex = options.covers, options.value, options.capex_eur
    starts = group_starts(options.group)
    pi = np.clip(pi, 0.0, weight)
    position = np.searchsorted(options.group[starts], options.group)
    budget = max(budget_eur, 1.0)
    target = greedy_value(options, weight, slots, budget_eur, power_mw)
    price, length = max(0.0, lam * budget), steps.length   # price = lambda x budget, points
    best = (math.inf, pi, 0.0)
    since_best = 0
    for _ in range(steps.most):
        bracket = covers @ pi + value - price * capex / budget
        group_max = np.maximum.reduceat(bracket, starts)
        positive = np.flatnonzero(group_max > 0)
        top = positive[np.argsort(-group_max[positive], kind="stable")[:slots]]
        bound = (weight - pi).sum() + price + group_max[top].sum()
        if bound < best[0] - 1e-12:
            best, since_best = (bound, pi, price / budget), 0
        else:
            since_best += 1
            if since_best >= steps.patience:
                length, since_best = length / 2, 0
                if length < steps.least_length:
                    break
        hits = np.flatnonzero(bracket == group_max[position])  # each group's best options
        chosen = hits[np.searchsorted(position[hits], top)]
        step_pi = covers[chosen].sum(axis=0) - 1.0
        step_pi[((pi <= 0) & (step_pi > 0)) | ((pi >= weight) & (step_pi < 0))] = 0.0
        step_price = 1.0 - capex[chosen].sum() / budget
        if price <= 0 and step_price > 0:
            step_price = 0.0
        norm = float(step_pi @ step_pi) + step_price ** 2
        if (norm <= 0 or bound - target <= 1e-12 or best[0] < enough
                or stop_requested()):
            break   # (any multipliers give a valid bound)
        t = length * (bound - target) / norm
        pi = np.clip(pi - t * step_pi, 0.0, weight)
        price = max(0.0, price - t * step_price)
    return best


def greedy_value(options: Options, weight: np.ndarray, slots: int, budget_eur: float,
                 power_mw: float) -> float:
    """The value of a greedy completion (best gain first, one option per group, within budget
    and power; sites and bids unchecked): only the target of the step length."""
    left, total = weight.copy(), 0.0
    used = np.zeros(len(options.group), dtype=bool)
    for _ in range(slots):
        gain = options.covers @ left + options.value
        fits = (~used & (options.capex_eur <= budget_eur) & (options.mw <= power_mw)
                & (gain > 0))
        if not fits.any():
            break
        pick = np.flatnonzero(fits)[np.argmax(gain[fits])]
        total += gain[pick]
        left = left * (1.0 - options.covers[pick])
        used |= options.group == options.group[pick]
        budget_eur -= options.capex_eur[pick]
        power_mw -= options.mw[pick]
    return total
