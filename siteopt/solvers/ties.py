"""One question, one answer: the optimum chosen among ties, and the runner-up.

Several portfolios may reach the same optimal objective. Most ties are *partitions*: the
objective depends on how a set of member sites is grouped into gigafactories only through the
number of gigafactories (the extra-site cost), so in the shipped cross-border scenario four
groupings of the same six sites score exactly the same. Others are *site sets* that happen to
score the same (two identical sites). Which one a solver returns depends on its path, so
siteopt settles it the same way on every path:

1. Among the groupings of the optimum's member sites into gigafactories that keep every rule
   (enumerated, no solver), the best: :func:`best_grouping`.
2. The same path solves the model again with every member-site set found so far excluded (a
   no-good row each, :func:`~siteopt.model.selection.exclusion_rows`): it proves the best
   portfolio on *other* sites. While its objective, recomputed from its sites, is within
   :data:`NEAR_OPTIMAL` of the best found (closer than a solver's tolerances tell apart), its
   best grouping is kept and this step repeats; the first one below is the runner-up.
3. The answer is the portfolio of highest recomputed objective; among those within
   :data:`TIE_TOLERANCE` of it (a tie up to floating-point rounding), the first in the order
   of :func:`order_key`: its gigafactories, each named by its member site IDs joined by ``+``
   in alphabetical order, compared as a sorted list of names (``DK-EBJ, ES-SFH, FR-MTR,
   IT-BLQ+PL-WRO, RO-CER`` comes before ``DK-EBJ+FR-MTR, ES-SFH, IT-BLQ, PL-WRO, RO-CER``).

The runner-up is the best portfolio on other member sites: the next answer a committee would
consider (a regrouping of the same sites is not another choice of sites). Each solve is exact
(gap 0) on its path; the first one already proves the optimal value.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from siteopt.interrupt import stop_requested
from siteopt.model import site_set
from siteopt.solvers.outcome import NEAR_OPTIMAL, RunnerUp, SolverOutcome, Status

#: Recomputed objectives within this many points of each other are a tie (floating-point
#: rounding of sums of thousands of terms stays far below it).
TIE_TOLERANCE = 1e-12
#: At most this many member-site sets are compared; beyond, the best of those found is
#: reported and the outcome says the ties were not all compared.
MAX_TIES = 25
#: At most this many groupings of one set of member sites are enumerated.
MAX_GROUPINGS = 100_000
#: :func:`neighbour_start` gives no start when judging its portfolios' access terms would take
#: more than this many (place, member site) distances: at 1,000 sites x 100,000 places the
#: 6,000 neighbours took 139 s, more than the solve they start.
NEIGHBOUR_PAIRS = 100_000_000


def order_key(instance, gigafactories) -> list[str]:
    """The documented order among tied portfolios: the sorted list of gigafactory names
    (member site IDs joined by ``+``, alphabetically)."""
    return sorted("+".join(sorted(instance.site_ids[s] for s in members))
                  for members in gigafactories)


def groupings(instance, sites) -> list[tuple[tuple[int, ...], ...]] | None:
    """Every way to group ``sites`` into candidate gigafactories that keeps every rule.

    Returns
    -------
    list of portfolios, or None
        Each portfolio as sorted member tuples; None beyond :data:`MAX_GROUPINGS`.
    """
    sites = tuple(sorted(int(s) for s in sites))
    if instance.compact:   # a member state's sites are its gigafactory: one grouping
        by_state: dict[str, list[int]] = {}
        for s in sites:
            by_state.setdefault(instance.site_country[s], []).append(s)
        portfolio = tuple(sorted(tuple(g) for g in by_state.values()))
        return [] if instance.violations(portfolio) else [portfolio]
    candidates = instance.candidates
    members = candidates.members
    inside = np.all(np.isin(members, sites) | (members < 0), axis=1)
    starting: dict[int, list[tuple[int, ...]]] = {}
    for g in np.flatnonzero(inside):
        group = candidates.member_list(int(g))
        starting.setdefault(min(group), []).append(group)
    found: list[tuple[tuple[int, ...], ...]] = []

    def extend(left: frozenset, chosen: tuple) -> bool:
        if not left:
            found.append(tuple(sorted(chosen)))
            return len(found) <= MAX_GROUPINGS
        if len(chosen) >= instance.max_gigafactories:
            return True
        for group in starting.get(min(left), []):
            if left.issuperset(group) and not extend(left.difference(group), chosen + (group,)):
                return False
        return True

    if not extend(frozenset(sites), ()):
        return None
    return [p for p in found if not instance.violations(p, budget=True)]


def best_grouping(instance, sites, given) -> tuple[float, tuple, int, bool]:
    """The best grouping of ``sites`` (``given``: the solver's) and how many tie with it.

    Returns
    -------
    objective : float
    gigafactories : tuple of tuple of int
    ties : int
        Groupings within :data:`TIE_TOLERANCE` of it, itself included.
    complete : bool
        False when there were too many groupings to compare (``given`` is kept).
    """
    options = groupings(instance, sites)
    if not options:
        given = tuple(sorted(tuple(sorted(g)) for g in given))
        return _objective(instance, given), given, 1, options is not None
    values = instance.objective(instance.evaluate_many(options, weighted_only=True))
    best = float(np.max(values))
    tied = [p for p, v in zip(options, values) if v >= best - TIE_TOLERANCE]
    return best, min(tied, key=lambda p: order_key(instance, p)), len(tied), True


def neighbour_start(instance, best) -> tuple | None:
    """A good feasible portfolio on other sites than every excluded set, to start an extra
    solve from: the best of the optimum's member sites with one site dropped, added or
    swapped, each in its best grouping (None when no such portfolio keeps the rules)."""
    used = set(site_set(best))
    eligible = np.flatnonzero(np.asarray(instance.eligible, bool)).tolist()
    sets = {tuple(sorted(used - {s})) for s in used}
    sets |= {tuple(sorted(used | {t})) for t in eligible if t not in used}
    sets |= {tuple(sorted(used - {s} | {t})) for s in used for t in eligible if t not in used}
    options = []
    for sites in sets:
        if sites and sites not in instance.excluded_site_sets:
            options += groupings(instance, sites) or []
    if not options or _access_pairs(instance, options) > NEIGHBOUR_PAIRS:
        return None
    values = instance.objective(instance.evaluate_many(options, weighted_only=True))
    return options[int(np.argmax(values))]


def _access_pairs(instance, options) -> int:
    """The (place, member site) distances that judging ``options`` needs (0 when no access
    term is weighted, as :meth:`~siteopt.model.SelectionInstance.evaluate_many` skips them)."""
    if not instance.access_in_objective:
        return 0
    return len(instance.access.populated) * sum(len(g) for option in options for g in option)


def settle(instance, first: SolverOutcome, solve, runner_up: bool = True,
           floor_helps: bool = False) -> SolverOutcome:
    """The answer among ties, with the runner-up (see the module docstring).

    Parameters
    ----------
    instance : SelectionInstance
    first : SolverOutcome
        The first proven optimum (any other status is returned as it is).
    solve : callable
        ``solve(instance) -> SolverOutcome``: the same path on an instance with exclusions.
    runner_up : bool
        Prove the best portfolio on other sites even when it is below the optimum.
    floor_helps : bool
        Whether the path prunes faster with an objective floor (the search does; HiGHS slows
        down with the extra row): without ``runner_up``, the extra solves then ask only for
        portfolios at the optimum.

    Returns
    -------
    SolverOutcome
        The answer, its objective recomputed, the seconds of every solve added up, and
        ``runner_up``, ``ties``, ``ties_settled`` and ``solves`` filled in.
    """
    if first.status != Status.OPTIMAL:
        return first
    found = {site_set(first.gigafactories): best_grouping(instance, site_set(first.gigafactories),
                                                          first.gigafactories)}
    outcomes = {site_set(first.gigafactories): first}
    seconds, solves, below = first.seconds, 1, None
    settled = found[site_set(first.gigafactories)][3]
    if first.near_optimal is not None:   # the search kept every portfolio near the optimum
        for _, portfolio in first.near_optimal:
            sites = site_set(portfolio)
            if sites not in found:
                found[sites] = best_grouping(instance, sites, portfolio)
                outcomes[sites] = first
                settled &= found[sites][3]
        if not runner_up:
            return _answer(instance, found, outcomes, None, seconds, solves, settled)
        if first.next_best is not None:   # and the best below them, in the same search
            _, portfolio = first.next_best
            if portfolio is not None:
                value, grouping, _, _ = best_grouping(instance, site_set(portfolio), portfolio)
                below = RunnerUp(grouping, value)
            return _answer(instance, found, outcomes, below, seconds, solves, settled)
    while not stop_requested():
        if len(found) >= MAX_TIES:
            settled = False
            break
        floor = max(v[0] for v in found.values()) - NEAR_OPTIMAL
        ask = floor if floor_helps and not runner_up else -math.inf
        other = solve(instance.excluding(list(found), floor=ask))
        seconds += other.seconds
        solves += 1
        if other.status == Status.INFEASIBLE:
            break
        if other.status != Status.OPTIMAL:
            settled = False
            break
        sites = site_set(other.gigafactories)
        objective = _objective(instance, other.gigafactories)
        if objective < floor:
            value, grouping, _, _ = best_grouping(instance, sites, other.gigafactories)
            below = RunnerUp(grouping, value)
            break
        found[sites], outcomes[sites] = best_grouping(instance, sites, other.gigafactories), other
        settled &= found[sites][3]
    return _answer(instance, found, outcomes, below, seconds, solves, settled)


def _answer(instance, found, outcomes, below, seconds, solves, settled) -> SolverOutcome:
    """The outcome of :func:`settle` from the site sets found near the optimum."""
    interrupted = stop_requested()   # the optimum stands; ties and runner-up not settled
    settled &= not interrupted
    best = max(v[0] for v in found.values())
    ranked = sorted(found, key=lambda u: (-min(found[u][0], best - TIE_TOLERANCE),
                                          order_key(instance, found[u][1])))
    answer = ranked[0]
    value, gigafactories, _, _ = found[answer]
    ties = sum(v[2] for v in found.values() if v[0] >= best - TIE_TOLERANCE)
    others = RunnerUp(found[ranked[1]][1], found[ranked[1]][0]) if len(ranked) > 1 else below
    return dataclasses.replace(outcomes[answer], gigafactories=gigafactories,
                               selected=instance.site_mask(gigafactories), objective=value,
                               bound=value, seconds=seconds, runner_up=others, ties=ties,
                               ties_settled=settled, solves=solves,
                               status=Status.INTERRUPTED if interrupted else Status.OPTIMAL)


def _objective(instance, gigafactories) -> float:
    return instance.objective(instance.evaluate(gigafactories))
