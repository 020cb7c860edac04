"""Early incumbents for the search (:mod:`siteopt.solvers.search`) by swapping gigafactories.

With W, B or F weighted the search's bound is loose, and the order in which it meets
portfolios (most promising bound first) finds the optimum late: on the shipped data with
every access term weighted 0.1 at node 2,497 of 3,718, with ``weights.worst`` 0.2 at node
12,883 of 13,202, although each optimum is one gigafactory away from a portfolio the search
knew much earlier (or from the optimum without those terms). Before the search, and whenever
it finds a better portfolio, :func:`improve_by_swaps` tries every portfolio that replaces or
adds one gigafactory, takes the best if it is better, and repeats. Every portfolio
it values goes to the search's incumbent, near-optimal and runner-up bookkeeping, exactly as
a child's value does, so the proof is unchanged: only the pruning starts earlier.

Only for the compact form (one option per search group keeps every site and bid rule) without
sites that must be placed and without a chance constraint, where a portfolio that fits the
budget and the power keeps every rule.
"""

from __future__ import annotations

import numpy as np

#: Rounds of swaps from one start at most (each takes the best swap; on the shipped data the
#: swaps stop after two or three).
MAX_ROUNDS = 20


def applies(search) -> bool:
    """Whether :func:`improve_by_swaps` can run on this search (see the module docstring)."""
    model = search.model
    return (model.access is not None and model.exclusive_groups and model.chance is None
            and not search.required.any())


def improve_by_swaps(search, start: tuple[int, ...], budget_eur: float,
                     power_mw: float) -> None:
    """From the options ``start`` (a portfolio of the search's options, one per group, within
    ``budget_eur`` (EUR) and ``power_mw`` (MW)), take the best portfolio that replaces or
    adds one option while it is better than the last, offering every portfolio valued (the
    start too) to ``search`` (its ``_improve``)."""
    current = tuple(sorted(start))
    value = value_of(search, current)
    search._improve(np.array([value]), lambda k: current)
    for _ in range(MAX_ROUNDS):
        best, best_value = _best_neighbour(search, current, budget_eur, power_mw)
        if best is None or best_value <= value:
            return
        current, value = best, best_value


def _best_neighbour(search, current: tuple[int, ...], budget_eur: float,
                    power_mw: float) -> tuple[tuple[int, ...] | None, float]:
    """The best portfolio one swap or addition away from ``current`` (each offered to the
    search), and its value."""
    model = search.model
    keeps = [current[:k] + current[k + 1:] for k in range(len(current))]
    if len(current) < search.instance.max_gigafactories:
        keeps.append(current)
    best, best_value = None, -np.inf
    for kept in keeps:
        kept_list = list(kept)
        fits = ((model.capex_eur <= (budget_eur - model.capex_eur[kept_list].sum())
                 + 1e-12 * budget_eur)
                & (model.mw <= power_mw - model.mw[kept_list].sum() + 1e-9)
                & ~np.isin(model.group, model.group[kept_list]))
        added = np.flatnonzero(fits)
        portfolios = [tuple(sorted(kept + (int(o),))) for o in added]
        values = _values_with_one_more(search, kept, added)
        search._improve(values, lambda k: portfolios[k])
        if len(values) and values.max() > best_value:
            k = int(np.argmax(values))
            best, best_value = portfolios[k], float(values[k])
    return best, best_value


def _values_with_one_more(search, kept: tuple[int, ...], added) -> np.ndarray:
    """The search model's value of the options ``kept`` with each option of ``added`` (an
    empty ``added``: none), as the search values a child: the weight of the elements covered,
    the options' linear values, and W + B + F."""
    model, access = search.model, search.model.access
    added = np.asarray(added, dtype=np.int64)
    covered = model.covers[list(kept)].any(axis=0) if kept else np.zeros(len(model.weight),
                                                                           bool)
    base = float(model.weight @ covered + model.value[list(kept)].sum())
    left = np.where(covered, 0.0, model.weight)
    nearest, count = access.root()
    for option in kept:
        nearest, count = (a[0] for a in access.children(nearest, count, np.array([option])))
    kid_nearest, kid_count = access.children(nearest, count, added)
    return base + model.covers[added] @ left + model.value[added] \
        + access.scores(kid_nearest, kid_count)


def value_of(search, portfolio: tuple[int, ...]) -> float:
    """The search model's value of ``portfolio`` (a tuple of options)."""
    return float(_values_with_one_more(search, portfolio[:-1], portfolio[-1:])[0]) \
        if portfolio else float(search.model.access.scores(
            *(a[None, :] for a in search.model.access.root()))[0])
