r"""Exact branch and bound over whole gigafactories, in NumPy: the fast path for small models.

On the shipped data HiGHS proves the optimum only after cuts and a tree search (with its
default settings also strong branching and sub-MIP heuristics: 1-2 s for 60 sites; 0.5-0.8 s
with those off, as :func:`~siteopt.solvers.highs.new_highs` has them), although the portfolio
has only five gigafactories. This path searches the portfolios themselves, gigafactory by
gigafactory, and proves the optimum with a bound that is as tight as the linear relaxation.

Search
------
Every candidate gigafactory (:mod:`siteopt.candidates`) is an *option*. Options fall into
*search groups* of which a portfolio uses each at most once: the member states in the compact
form (one bid per state), otherwise the candidate's first member site (two gigafactories never
share a site). A node of the search holds the options chosen so far, from groups in search
order; its children add one option of a later group that still fits the budget, the power, the
sites and the bids left. The value of every child is computed exactly when the node is expanded,
so the best child updates the incumbent at once and the last level is never expanded. Children
are searched in the order of their bound, most promising first, so good portfolios come early
and prune the rest. A :class:`Start` from a similar instance (a sweep's previous point, the
unperturbed model of a Monte Carlo draw) gives the first incumbent and the first multipliers.
With W, B or F weighted, whose bounds are loose, the portfolios one swap away from the optimum
without them, and from each better portfolio found, are valued first
(:mod:`~siteopt.solvers.search_swaps`): the optimum is then found early and prunes the rest.

Bound
-----
Coverage, letters and member states are *elements* an option covers, each worth its objective
weight; the objective is the weight of the covered elements (member states capped at p) plus a
linear value per option. For multipliers :math:`0 \le \pi_e \le w_e` (w the weight not yet
covered) and :math:`\lambda \ge 0` on the budget left b, any set T of at most r further options,
one per later group, satisfies

.. math::

    \text{gain}(T) \le \sum_e (w_e - \pi_e) + \lambda b
        + \sum_{o \in T} \Big(\sum_e \pi_e a_{oe} + v_o - \lambda k_o\Big)

and the right-hand side is at most the sum of the r largest positive group maxima of the
bracket: the Lagrangian relaxation of the reach rows and the budget, solved exactly over the
groups. :math:`\pi, \lambda` are set at the root by subgradient steps
(:mod:`~siteopt.solvers.search_multipliers`) and carried down the tree (clipped to the weight
left); nodes with :data:`NODE_SLOTS` gigafactories or more still to choose
(:data:`CHANCE_NODE_SLOTS` under a chance constraint), once the search is past its first
:data:`NODE_WARMUP` nodes, set their own by the same steps from their parent's, over the
weight they leave and the options they allow, and are pruned at once when that bound is below
the floor. A few scalings of :math:`\lambda` are tried at every node. A search stopped at a
limit reports the largest bound of the nodes it left unsearched.
W, B and F add their own bounds (:mod:`~siteopt.solvers.search_access`); with B weighted, the
children this bound keeps are bounded again from their own state (their B exactly, and their
completions' B credits and, for children that are nodes of their own, multipliers from
there), the lower bound kept. A child is searched unless its bound is more than
:data:`~siteopt.solvers.outcome.NEAR_OPTIMAL` below the incumbent, and every portfolio that
close to the incumbent is kept: the answer is the proven optimum (gap 0), and the search also
returns every portfolio that ties with it, for :mod:`siteopt.solvers.ties`.

``solver.method = "auto"`` picks this path for the compact form (one bid per member state, members
in one state) with at most :data:`AUTO_SEARCH_ENTRIES` option-group entries, and hands the
instance to HiGHS if the search needs more work than :data:`AUTO_SEARCH_WORK` (with an
``access`` limit and none of W, B and F: :data:`AUTO_LIMITS_WORK`). Across borders
the groups are single sites and the bound is much weaker (the shipped cross-border scenario
takes HiGHS 1.8 s; this search had not proven its optimum after 231,754 nodes and 120 s, its
root bound 17 % above the optimum), so ``auto`` leaves those to HiGHS;
``solver.method = "search"`` runs it on any instance, to the end.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from siteopt.config import Solver
from siteopt.errors import TimeLimitError
from siteopt.interrupt import deferred, stop_requested
from siteopt.model import SelectionInstance, site_objective
from siteopt.solvers import search_swaps
from siteopt.solvers.outcome import NEAR_OPTIMAL, SolverOutcome, Status, finish, no_solution
from siteopt.solvers.search_access import AccessOptions
from siteopt.solvers.search_chance import ChanceRule
from siteopt.solvers.search_multipliers import Options, Steps, group_starts, subgradient

#: The last level's W, B and F are computed for at most this many (portfolio, place) entries
#: at a time (:meth:`_Search._pair_scores`): 8 MB per array.
PAIR_BLOCK_ENTRIES = 1_000_000
#: At most this many near-optimal portfolios are kept; beyond, the caller settles ties by
#: further solves.
MAX_NEAR = 1_000
#: With ``solver.method = "auto"``, the search gives up (returns None, and HiGHS solves the
#: instance) after this many nodes times options x elements (the search's coverage groups,
#: letters, member states and the latency term's levels), or, with W, B or F weighted, x
#: coverage groups only (HiGHS bounds those terms far worse: see :func:`search_optimum`):
#: 20,000 nodes on the shipped data (86,618 entries; its scenarios need 26 to 250), 1,500 on
#: a generated 100-site instance (1.15 million; it needs 274), a few seconds at most.
AUTO_SEARCH_WORK = 20_000 * 86_618
#: With W, B or F weighted, HiGHS's fallback is slower still, so the search may do this many
#: times more work first (shipped data at EUR 29.5 bn, weights.worst 0.3: the search proves
#: it in 24,511 nodes and 2.3 s; after 20,000 nodes ``auto`` handed it to HiGHS: 16 s;
#: weights.backup 1.0: 37,993 nodes).
ACCESS_WORK_FACTOR = 4
#: With an ``access`` limit and none of W, B and F weighted, ``auto`` gives the search this
#: much work only: 10,000 nodes on the shipped data (21,700 entries a node), 2,237 on a
#: generated 100-site instance. Most such models it proves far sooner than HiGHS (whole
#: solves, ``access.max_km`` 1,450-2,000 km: 0.2-0.7 s against 3.3-6.6 s); the rest cost about
#: a second more (1,700 km: the search alone needs 29,275 nodes; 6.4 s against 5.2 s):
#: ``benchmarks/README.md``.
AUTO_LIMITS_WORK = 10_000 * 21_700
#: ``auto`` uses this path for models of at most this many (option, demand group) entries as
#: :func:`search_entries` estimates them (an upper bound; the shipped data: 161,938).
#: Generated instances, search against HiGHS: 60 sites (estimate 505,215) 0.03 s against 1.0 s,
#: 100 sites (5.0 million) 0.34 s against 5.8 s, 200 sites (55.6 million) no proof in 120 s
#: against 20 s.
AUTO_SEARCH_ENTRIES = 10_000_000
#: A node values its options through copies of at most this many rows of the coverage matrix
#: at a time (:func:`_rows_times`): the shipped data's 161 options in one, the robust
#: choice's thousands without a second matrix (200 sites, 20 draws: peak 1.43 -> 1.04 GB).
PRODUCT_ROWS = 256
#: Most subgradient steps that set the multipliers at the root; they stop earlier once the
#: step length has been halved below :data:`MIN_STEP_LENGTH` (no progress in 10 steps halves
#: it).
ROOT_STEPS = 300
MIN_STEP_LENGTH = 1 / 256
#: First step length from the multipliers of a similar instance (:class:`Start`): a sweep of
#: 23 budgets in chains of 6 took 0.56 s from scratch and 0.45 s from each point's
#: predecessor.
WARM_STEP_LENGTH = 1 / 32
#: With W, B or F, the search first looks for the optimum without them, for at most this many
#: nodes (the shipped data needs 80), to start its swaps from (:mod:`search_swaps`): a start
#: that is hard to prove does not hold up the search.
START_NODES = 1_000
#: Nodes with at least this many gigafactories still to choose (the root aside) set their own
#: multipliers by :data:`NODE_STEPS` subgradient steps from their parent's, and are pruned
#: once that bound is below the floor (one run each, 2 cores): ``seven-gigafactories.toml``
#: (p = 7, groups by first site) 327,257 nodes and 49 s with the root's multipliers carried
#: down, 2,371 nodes and 1.4 s; a generated 100-site instance 25,525 nodes and 2.0 s, 9,068
#: and 1.0 s (with :data:`NODE_WARMUP`). Nodes with fewer left have small subtrees (every
#: node with 3 left too: the seven 9,414 nodes).
NODE_SLOTS = 4
#: The same under a chance constraint, where each step multiplies every draw's elements
#: (108,473 on 1,000 draws of the shipped data) and a node's own bound already checks its
#: options' pairs against every draw: there 1,000 draws of the default model (p = 5) took
#: 39.2 s instead of 28.3 s with the 123 nodes of 4 left setting their own (10.9 s of steps
#: for 1,300 nodes fewer); the robust choice of ``seven-gigafactories`` on 10 draws, not
#: proven in 120 s before, is proven in 110 s with 5 (41 s with 4).
CHANCE_NODE_SLOTS = 5
#: ... only once the search has expanded this many nodes: a search that ends within them
#: (the shipped default model: 64 nodes, 19 ms) would only pay for the steps (25 ms).
NODE_WARMUP = 200
NODE_STEPS = Steps(30, 0.25, patience=5, least_length=MIN_STEP_LENGTH)
#: Under a chance constraint, a child's completions are checked as whole sets against the
#: draws (:meth:`_Search._short_of_completions`) for at most this many sets per row of
#: multipliers; beyond, the child is kept. ``seven-gigafactories``, 10 draws, by this limit:
#: 50 sets 15.8 s, 200 17.8 s, 1,000 10.8 s, 5,000 10.2 s (13,641 nodes), 20,000 10.1 s,
#: 100,000 9.8 s; the default model's 1,000 draws 8.0-8.7 s from 1,000 to 20,000 sets.
COMPLETION_TRIES = 5000
#: ... with the budget (relative) and the floor (objective points) loosened by this much, so
#: that sums in another order never drop a child the search would keep.
COMPLETION_ROUNDING = 1e-12
#: Scalings of the root budget multiplier tried at every node (0 drops the budget).
LAMBDA_SCALES = np.array([0.0, 0.25, 0.5, 0.65, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0])


@dataclass(frozen=True, eq=False)
class SearchModel:
    """The options of an instance as arrays, in search order (ascending search group).

    Attributes
    ----------
    candidate : ndarray of int
        The candidate gigafactory (index into ``instance.candidates``) of each option.
    group : ndarray of int
        Search group of each option, numbered in search order.
    value : ndarray
        Linear objective points of each option: grid, clean, green, minus costs; in the
        compact form also its member state and the letters of that state (each counted once
        there, since a state has one option at most).
    covers : ndarray of float, shape (options, elements)
        1 where the option covers the element: demand groups; across borders then letters
        and member states too.
    weight : ndarray
        Objective points of each element.
    states : slice
        The member-state elements (their number counts at most p; empty in the compact form).
    state_weight : float
        Objective points of one member state, w_K / p.
    capex_eur, mw : ndarray
        Cost (EUR, with the extra-site cost) and effective power (MW) of each option.
    sites : ndarray of bool, shape (options, sites)
        Members of each option.
    country : ndarray of bool, shape (options, countries)
        Member states of each option.
    exclusive_groups : bool
        Whether a portfolio with one option per group already obeys the site and bid rules
        (the compact form), so they need no check at the nodes.
    access : AccessOptions or None
        The options' distances for W, B, F and the ``access`` limits
        (:mod:`~siteopt.solvers.search_access`); None without them.
    chance : ChanceRule or None
        The options' capital cost per sampled draw, when the budget is a chance constraint
        (:mod:`~siteopt.solvers.search_chance`; ``capex_eur`` is then its relaxation).
    """

    candidate: np.ndarray
    group: np.ndarray
    value: np.ndarray
    covers: np.ndarray
    weight: np.ndarray
    states: slice
    state_weight: float
    capex_eur: np.ndarray
    mw: np.ndarray
    sites: np.ndarray
    country: np.ndarray
    exclusive_groups: bool
    access: AccessOptions | None = None
    chance: ChanceRule | None = None

    def reordered(self, order: np.ndarray, group: np.ndarray,
                  in_place: bool = False) -> SearchModel:
        """The same options taken in ``order``, with new group numbers; ``in_place`` moves
        the rows of :attr:`covers` where they are (no second matrix; this model's other
        fields no longer match them, so it must not be used again)."""
        if in_place:
            _permute_rows(self.covers, order)
        covers = self.covers if in_place else self.covers[order]
        return SearchModel(self.candidate[order], group, self.value[order], covers,
                           self.weight, self.states, self.state_weight, self.capex_eur[order],
                           self.mw[order], self.sites[order], self.country[order],
                           self.exclusive_groups,
                           None if self.access is None else self.access.reordered(order),
                           None if self.chance is None else self.chance.reordered(order))


@dataclass(frozen=True, eq=False)
class Start:
    """What a search may start from, left by the search of a similar instance (the previous
    point of a sweep, the unperturbed model of a Monte Carlo draw).

    Neither changes which value is optimal, only how fast it is proven: the portfolio is the
    first incumbent if it obeys every rule here (else the empty portfolio is), and the
    multipliers (any values within the bounds give a valid bound) are where the
    subgradient steps at the root begin.

    Attributes
    ----------
    portfolio : tuple of tuple of int, optional
        Gigafactories as member site indices.
    pi : ndarray, optional
        Element multipliers of the search model, objective points; used when the model has
        as many elements.
    lam : float
        Budget multiplier, objective points per EUR.
    """

    portfolio: tuple[tuple[int, ...], ...] | None = None
    pi: np.ndarray | None = None
    lam: float = 0.0


def search_entries(instance: SelectionInstance) -> int:
    """An upper bound on the size of the search model, options times demand groups, without
    enumerating the options: at most sum over states of C(n, 1) + ... + C(n, M) options for
    n eligible sites in a state (``auto`` must not enumerate what it will not use)."""
    country = np.asarray(instance.site_country)[np.asarray(instance.eligible, bool)]
    _, per_state = np.unique(country, return_counts=True)
    options = sum(math.comb(int(n), k) for n in per_state
                  for k in range(1, min(instance.max_members, int(n)) + 1))
    return options * max(1, len(instance.group_population))


def build_search_model(instance: SelectionInstance) -> SearchModel:
    """The options of ``instance``: its candidates, with the elements each covers."""
    candidates = instance.candidates
    n_options, n_sites = len(candidates), len(instance.site_ids)
    rows, members = candidates.site_pairs()
    sites = np.zeros((n_options, n_sites), dtype=bool)
    sites[rows, members] = True
    country = np.zeros((n_options, len(instance.countries)), dtype=bool)
    country[candidates.country_pairs] = True

    w = instance.weights
    value = sites.astype(float) @ site_objective(instance)
    value -= w.cost * instance.extra_site_cost_eur * (candidates.size - 1) \
        / instance.cost_reference_eur
    weight = instance.group_weights()
    covers = covered_by_options(sites, instance.group_sites)
    n_letters = len(instance.letter_site)
    letter_weight = np.full(n_letters, w.letters / n_letters) if n_letters else np.zeros(0)
    state_weight = w.spread / instance.max_gigafactories
    if instance.compact:
        # one option per state: its state and the letters of its state count exactly once
        value += (covered_by_options(sites, instance.letter_homes).astype(float) @ letter_weight
                  + state_weight)
        states = slice(len(weight), len(weight))
    else:
        weight = np.r_[weight, letter_weight, np.full(len(instance.countries), state_weight)]
        covers = np.hstack([covers, covered_by_options(sites, instance.letter_homes), country])
        states = slice(len(weight) - len(instance.countries), len(weight))
    group = (np.array([instance.countries.index(instance.site_country[s]) for s in
                       candidates.members[:, 0]], dtype=np.int64) if instance.compact
             else candidates.members[:, 0].astype(np.int64))
    order = np.argsort(group, kind="stable")
    access = AccessOptions.of(instance, [candidates.member_list(g) for g in range(n_options)])
    return SearchModel(np.arange(n_options)[order], group[order], value[order],
                       covers[order].astype(float), weight, states, state_weight,
                       candidates.capex_eur[order], candidates.mw[order], sites[order],
                       country[order], instance.compact,
                       None if access is None else access.reordered(order))


def covered_by_options(sites: np.ndarray, site_sets) -> np.ndarray:
    """Per option (row of ``sites``, its members) and set of site indices: whether a member is
    in the set."""
    block = np.zeros((sites.shape[1], len(site_sets)), dtype=np.float32)
    lengths = np.fromiter((len(members) for members in site_sets), dtype=np.int64,
                          count=len(site_sets))
    if lengths.sum():
        block[np.concatenate(site_sets).astype(np.int64),
              np.repeat(np.arange(len(site_sets)), lengths)] = 1.0
    # both factors hold only 0 and 1, so no product is invalid; OpenBLAS (0.3.31 here) may
    # still raise the invalid flag from lanes it does not use (numpy#24067; once in a test
    # run on 5 x 5 by 5 x 1), which the tests turn into an error
    with np.errstate(invalid="ignore"):
        return sites.astype(np.float32) @ block > 0


def root_multipliers(model: SearchModel, slots: int, budget_eur: float, power_mw: float,
                     steps: int = ROOT_STEPS,
                     start: Start | None = None) -> tuple[float, np.ndarray, float]:
    """Multipliers :math:`\\pi, \\lambda` of the bound at the root, by projected subgradient
    steps (:func:`~siteopt.solvers.search_multipliers.subgradient`).

    The steps begin at :math:`\\pi = w, \\lambda = 0` with length 2, or at the multipliers of
    ``start`` (if it has as many elements) with length :data:`WARM_STEP_LENGTH`.

    Returns
    -------
    bound : float
        The best (least) root bound seen, objective points.
    pi : ndarray
        Element multipliers, objective points (each within 0..the element's weight).
    lam : float
        Budget multiplier, objective points per EUR.
    """
    weight = model.weight
    if len(model.group) == 0:
        return weight.sum(), weight.copy(), 0.0
    pi, lam, length = weight, 0.0, 2.0
    if start is not None and start.pi is not None and start.pi.shape == weight.shape:
        pi, lam, length = start.pi, max(0.0, start.lam), WARM_STEP_LENGTH
    return subgradient(_options_of(model), weight, slots, budget_eur, power_mw, pi, lam,
                       Steps(steps, length, patience=10, least_length=MIN_STEP_LENGTH))


def _options_of(model: SearchModel, first: int = 0, allowed: np.ndarray | None = None) -> Options:
    """The options of ``model`` from row ``first`` on (views, not copies), those not
    ``allowed`` (a mask over those rows) valued -inf."""
    value = model.value[first:]
    if allowed is not None:
        value = np.where(allowed, value, -np.inf)
    return Options(model.covers[first:], value, model.capex_eur[first:], model.mw[first:],
                   model.group[first:])


def _worst_and_fair(access, nearest: np.ndarray, count: np.ndarray, worst, credit,
                    gain, ceiling: np.ndarray | None = None
                    ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """W + F (and the ``access`` limits) that branch states (rows of ``nearest`` and
    ``count``, each with every later option it could still add) allow, bounded two ways
    (:meth:`_Search.expand`).

    Returns ``(ceiling, by_point), bound``: the ceiling, W + F of the states; the same with
    W by one point (or F over draws by one member state per draw) in place of its ceiling
    (``worst``: that term now and the options' credits, from
    :meth:`~siteopt.solvers.search_access.AccessOptions.point_credits`; ``credit``: each
    child's own; None without credits); and each child's bound, the lower of the ceiling and
    by_point plus ``gain`` (what the credits add to the Lagrangian bound of its
    completions). ``ceiling``: the states' W + F if known already.
    """
    if ceiling is None:
        ceiling = access.scores(nearest, count, backup=False)
    if worst is None:
        return (ceiling, ceiling), ceiling
    by_point = access.uncredited(ceiling, nearest) + worst[0] + credit
    return (ceiling, by_point), np.minimum(ceiling, by_point + gain)


@dataclass
class _Search:
    """The state of one branch and bound run (see the module docstring)."""

    model: SearchModel
    instance: SelectionInstance
    lambdas: np.ndarray
    required: np.ndarray
    deadline: float
    node_limit: float
    #: the root's budget multiplier, objective points per EUR: where a node's steps begin
    lam: float = 0.0
    best_value: float = -math.inf
    best: tuple[int, ...] | None = None
    near: dict = dataclasses.field(default_factory=dict)   # options -> value, near the best
    near_complete: bool = True
    nodes: int = 0
    stopped: str = ""
    #: whether the best portfolio below the near-optimal ones is wanted (compact form only:
    #: each portfolio there is a set of member sites of its own) and what it is so far
    runner_up: bool = False
    runner_value: float = -math.inf
    runner: tuple[int, ...] | None = None
    #: after a stop: the largest bound of the nodes left unsearched (objective points), and
    #: whether the node that stopped has yet to be counted in it (by its parent's bound)
    open_bound: float = -math.inf
    unbounded_stop: bool = False
    #: the budget (EUR) and power (MW) of the root when each better portfolio is to be
    #: improved by swaps (:mod:`~siteopt.solvers.search_swaps`); None: not
    swaps: tuple[float, float] | None = None

    def floor(self) -> float:
        """The value below which a portfolio, and a node bounded there, no longer counts: the
        best's less :data:`NEAR_OPTIMAL`, or the runner-up's when that is wanted (-inf
        until there is one)."""
        near = self.best_value - NEAR_OPTIMAL
        return min(near, self.runner_value) if self.runner_up else near

    def __post_init__(self):
        self.starts = group_starts(self.model.group)
        n_groups = len(self.starts)
        #: later[k, j]: group j comes after group k
        self.later = np.arange(n_groups)[None, :] > np.arange(n_groups)[:, None]
        self.position = np.searchsorted(self.model.group[self.starts], self.model.group)
        #: per option, the first row of a later group
        self.after_row = np.searchsorted(self.model.group, self.model.group, side="right")
        #: what the groups after / from each position could add (W, B, F)
        self.after_distance, self.from_count = (None, None) if self.model.access is None \
            else self.model.access.best_after(self.starts)

    def expand(self, chosen: tuple[int, ...], value: float, left: np.ndarray, pi: np.ndarray,
               last_group: int, budget_eur: float, power_mw: float, used_sites: np.ndarray,
               bids: np.ndarray, n_states: int, reach=None, spent_eur=None,
               covered_pi: np.ndarray | None = None) -> None:
        """Expand the node that has chosen the options ``chosen`` (exact value ``value`` of
        every term but W, B and F; ``reach``: the branch state of those,
        :class:`~siteopt.solvers.search_access.AccessOptions`; ``spent_eur``: the chosen
        options' capital cost per draw under a :class:`ChanceRule`)."""
        self.nodes += 1
        if self.stopped:
            return
        model, instance = self.model, self.instance
        allowed = ((model.group > last_group) & (model.capex_eur <= budget_eur * (1 + 1e-12))
                   & (model.mw <= power_mw + 1e-9))
        if model.chance is not None:
            allowed &= model.chance.fits(spent_eur)
            budget_eur = min(budget_eur, model.chance.relaxed_budget_left(spent_eur))
        if not model.exclusive_groups:
            allowed &= ~model.sites[:, used_sites].any(axis=1)
            allowed &= ~model.country[:, bids >= instance.max_bids_per_country].any(axis=1)
        missing = self.required & ~used_sites
        has_missing = bool(missing.any())
        if not allowed.any() or (
                has_missing and not model.sites[allowed][:, missing].any(axis=0).all()):
            return
        # options sort by group: those of later groups, the only ones allowed, are the rows
        # from ``first`` on (a view: deep nodes multiply a fraction of the coverage matrix)
        first = int(np.searchsorted(model.group, last_group, side="right"))
        if chosen and self.nodes > NODE_WARMUP and instance.max_gigafactories - len(chosen) >= (
                NODE_SLOTS if model.chance is None else CHANCE_NODE_SLOTS):
            gain_bound, pi = self._node_multipliers(first, allowed, left, pi, len(chosen),
                                                    budget_eur, power_mw, value)
            covered_pi = None
            # (with W, B or F the node's bound has their own bounds on top: see below)
            if model.access is None and value + gain_bound < self.floor():
                return
        # pi <= left at every node (clipped at the root and for each child), so what an
        # option covers of the weight left is what it covers of pi and of the excess beyond;
        # ``by_pi`` counts only the first: a child's value is by_pi plus what it covers of
        # the excess (at most all of it, ``beyond``), computed only for the few children that
        # are searched or may be good enough to keep (shipped data, every access term
        # weighted: 1.1 of 70 allowed a node; one of the node's two coverage products)
        excess = left - pi
        beyond = excess.sum()
        if covered_pi is None:
            covered_pi = self._covers_of_later(first, pi)
        by_pi = value + covered_pi + model.value
        if not model.exclusive_groups:
            new_states = model.covers[:, model.states] @ (left[model.states] > 0)
            over = max(0, n_states - instance.max_gigafactories)
            by_pi -= model.state_weight * (
                np.maximum(0, n_states + new_states - instance.max_gigafactories) - over)
        complete = allowed & (model.sites[:, missing].all(axis=1) if has_missing else True)
        access = model.access
        most = 0.0   # the most W + B + F a child, or any of its completions, scores
        backup_now, backup_credit = 0.0, np.zeros(len(by_pi))   # B's bound
        if access is not None:
            kids = np.flatnonzero(allowed)
            # (an option is allowed, so row ``first`` is one of a later group)
            groups_within = self.from_count[self.position[first]]
            # (for every later option: a view of the rows, not a copy of the allowed ones)
            backup_now, backup_credit[first:] = access.backup_credits(
                reach[1], slice(first, None), groups_within)
            every = access.with_every(*reach, kids, groups_within)
            every_ceiling = access.scores(*every, backup=False)   # W + F, once a node
            most = float(every_ceiling[0] + access.backup_score(every[1])[0])
        # W, B and F exactly only for the children that may be kept (shipped data, every
        # access term weighted: 0.02 of 70 allowed a node)
        options = np.flatnonzero(complete & (by_pi + beyond + most >= self.floor()))
        if len(options):
            score = 0.0 if access is None else access.scores(*access.children(*reach, options))
            self._improve(by_pi[options] + _rows_times(model.covers, options, excess) + score,
                          lambda k: chosen + (int(options[k]),))
        # limits are checked once this node's own portfolios are in: a stopped search keeps
        # the best of them
        if self.nodes > self.node_limit:
            self.stopped = "nodes"
        elif time.perf_counter() > self.deadline:
            self.stopped = "time"
        elif stop_requested():
            self.stopped = "interrupted"
        if self.stopped:
            self.unbounded_stop = True   # only this node's parent bounds its completions
            return
        slots = instance.max_gigafactories - len(chosen) - 1
        if slots <= 0:
            return
        bracket = np.where(allowed, covered_pi + model.value + backup_credit, -np.inf)[None, :] \
            - self.lambdas[:, None] * model.capex_eur[None, :]
        take = min(slots, len(self.starts))
        # W by one point, or F over draws by one member state per draw, as credits (the bound
        # takes the lower of the two)
        worst = worst_credit = None
        if access is not None:
            worst = access.point_credits(reach, kids, groups_within)
            if worst is not None:
                worst_credit = np.zeros(len(by_pi))
                worst_credit[kids] = worst[1]
        brackets = bracket if worst is None else np.vstack([bracket,
                                                            bracket + worst_credit[None, :]])
        pairs = None
        if model.chance is None:
            rest = self._rest(brackets, take)
        else:   # each child's completions hold only later options that fit with it (two
            # that fit alone may not fit together), so a tighter bound than ``_rest``'s (on
            # 100 draws of the shipped data 9,890 -> 3,079 nodes); the allowed options are
            # the only children (the others' bounds are never read)
            from siteopt import compiled

            pairs = model.chance.fitting_pairs(spent_eur, np.flatnonzero(allowed),
                                               model.group[allowed])
            rest = np.zeros(brackets.shape)
            rest[:, allowed] = compiled.fitting_rests(np.ascontiguousarray(brackets[:, allowed]),
                                                      pairs, self.position[allowed], take)
        if worst is not None:   # both brackets in one pass
            rest, rest_by_point = np.split(rest, 2)
        last = self.position[allowed].max()
        spare = self.lambdas[:, None] * (budget_eur - model.capex_eur)
        lagrangian = (spare + rest).min(axis=0)
        # (a child's value and the weight it leaves beyond pi add up to by_pi + beyond)
        bound = by_pi + beyond + lagrangian + backup_now + backup_credit
        # W and F (and the ``access`` limits) of the children and every later group: first
        # bounded for all children at once by this node's state with every option allowed
        # here, then by each child's own state for the children that bound keeps (shipped
        # data, every access term weighted: 1.6 of 70 allowed a node)
        bounded = access is not None and access.bounded_by_later_groups
        by_point_gain = None
        if worst is not None:   # the same with W's credits in place of W's ceiling
            by_point_gain = (spare + rest_by_point).min(axis=0) - lagrangian
        access_bound = np.zeros(len(by_pi))
        if bounded:
            access_bound[:] = _worst_and_fair(access, *every, worst, worst_credit,
                                             by_point_gain, every_ceiling)[1]
        order = np.flatnonzero(allowed & (self.position < last)
                               & (bound + access_bound >= self.floor()))
        if access is not None:
            kid_nearest, kid_count = access.children(*reach, order)
            ceiling = by_point = np.zeros(len(order))
        if bounded:
            at = self.position[order]
            (ceiling, by_point), access_bound[order] = _worst_and_fair(
                access, np.minimum(kid_nearest, self.after_distance[at]),
                kid_count + self.from_count[at + 1], worst,
                None if worst_credit is None else worst_credit[order],
                None if by_point_gain is None else by_point_gain[order])
        bound += access_bound
        if pairs is not None and worst is None and take >= 2:
            # the budget row's part of the bound again, on whole completions (W's credits
            # rows also enter ``access_bound``: not with them)
            bound[self._short_of_completions(allowed, last, bound, lagrangian, spare, brackets,
                                             pairs, spent_eur, take)] = -np.inf
        # with B, each child is bounded again from its own state, first with this node's
        # multipliers and then, for the children that bound keeps that are nodes of their
        # own (two gigafactories or more left), with the child's, which it needs anyway
        # (shipped data, every access term 0.1: 2,391 -> 1,047 -> 720 nodes; W or F without
        # B: more time than the nodes saved)
        own_state = (access is not None and access.weights[1] > 0 and model.chance is None
                     and len(order))
        own_cover = own_state and slots >= 2
        if own_state:
            own = functools.partial(
                self._own_state_bound, take=take, first=first,
                worst_credit=worst_credit, bounded=bounded)
            bound[order] = np.minimum(bound[order], own(
                order, by_pi[order] + beyond, kid_count,
                np.where(allowed, covered_pi + model.value, -np.inf)[None, :],
                spare[:, order], ceiling=ceiling, by_point=by_point))
            kept = np.flatnonzero(bound[order] >= self.floor())
            order, kid_nearest, kid_count = order[kept], kid_nearest[kept], kid_count[kept]
            ceiling, by_point = ceiling[kept], by_point[kept]
        if own_cover:
            kid_left = left[None, :] * (1.0 - model.covers[order])
            kid_pi = np.minimum(pi[None, :], kid_left)
            kid_covered = np.zeros((len(order), len(by_pi)))
            for kid, option in enumerate(order):
                kid_covered[kid] = self._covers_of_later(self.after_row[option], kid_pi[kid])
            bound[order] = np.minimum(bound[order], own(
                order, by_pi[order] + beyond, kid_count,
                np.where(allowed, kid_covered + model.value, -np.inf),
                spare[:, order], ceiling=ceiling, by_point=by_point))
        # most promising first: good portfolios early prune the most (a cold sweep of 23
        # budgets: 13,361 nodes in 1.66 s with the largest gain first, 2,306 in 0.67 s)
        kept = np.flatnonzero(bound[order] >= self.floor())
        kept = kept[np.argsort(-bound[order[kept]], kind="stable")]
        order = order[kept]
        if own_cover:
            kid_left, kid_pi, kid_covered = kid_left[kept], kid_pi[kept], kid_covered[kept]
        child_value = by_pi.copy()   # exact for the children searched
        child_value[order] += _rows_times(model.covers, order, excess)
        if access is not None:
            kid_nearest, kid_count = kid_nearest[kept], kid_count[kept]
            ceiling, by_point = ceiling[kept], by_point[kept]
        if slots == 1 and model.exclusive_groups and not has_missing:
            self._last_level(chosen, order, allowed, child_value, left, budget_eur, power_mw,
                             pairs, None if access is None else (
                                 kid_nearest, kid_count, backup_now + backup_credit[order],
                                 backup_credit, ceiling, by_point, worst_credit))
            return
        for kid, option in enumerate(order):
            if bound[option] < self.floor():
                break   # and so are all children after it
            if own_cover:
                option_left, option_pi, covered = kid_left[kid], kid_pi[kid], kid_covered[kid]
            else:
                option_left, covered = left * (1.0 - model.covers[option]), None
                option_pi = np.minimum(pi, option_left)
            self.expand(chosen + (int(option),), float(child_value[option]), option_left,
                        option_pi, int(model.group[option]),
                        budget_eur - model.capex_eur[option], power_mw - model.mw[option],
                        used_sites | model.sites[option], bids + model.country[option],
                        n_states + int(new_states[option]) if not model.exclusive_groups
                        else n_states + 1,
                        None if access is None else (kid_nearest[kid], kid_count[kid]),
                        None if model.chance is None
                        else spent_eur + model.chance.capex_eur[option], covered)
            if self.stopped:
                self._leave_open(bound[option], bound[order[kid + 1:]])
                return

    def _short_of_completions(self, allowed: np.ndarray, last: int, bound: np.ndarray,
                              lagrangian: np.ndarray, spare: np.ndarray, brackets: np.ndarray,
                              pairs: np.ndarray, spent_eur: np.ndarray,
                              take: int) -> np.ndarray:
        """The children (options) kept by ``bound`` that no completion can take to the floor
        once the chance constraint is checked on whole completions, not pair by pair
        (:func:`siteopt.compiled.completions_fall_short`): on some row of ``brackets``, the
        child's bound with its completions' part (``lagrangian``, the least over the rows of
        ``spare`` and the rest) taken from that row's fitting completions stays below the
        floor. Children of the ``last`` group (position) have no completions."""
        from siteopt import compiled

        chance, floor = self.model.chance, self.floor()
        columns = np.flatnonzero(allowed)
        kept = np.flatnonzero((bound[columns] >= floor)
                              & (self.position[columns] < last))
        if not len(kept) or floor == -math.inf:
            return columns[:0]
        children = columns[kept]
        # (conservative by a hair: sums in another order than the search's never drop a child)
        room = chance.limit_eur * (1 + COMPLETION_ROUNDING) - spent_eur
        target = (floor - COMPLETION_ROUNDING - bound[children] + lagrangian[children]
                  - spare[:, children])
        short = compiled.completions_fall_short(
            np.ascontiguousarray(brackets[:, columns]), pairs, self.position[columns],
            np.ascontiguousarray(chance.capex_eur[columns]), room, chance.allowed, kept, take,
            np.ascontiguousarray(target), COMPLETION_TRIES)
        return children[short]

    def _leave_open(self, child_bound: float, later: np.ndarray) -> None:
        """On the way out of a stopped search, raise :attr:`open_bound` to the bounds of the
        children a node leaves unsearched (``later``) and, if the child that stopped left its
        completions unbounded, to that child's bound (``child_bound``)."""
        if self.unbounded_stop:
            self.open_bound = max(self.open_bound, float(child_bound))
            self.unbounded_stop = False
        if len(later):
            self.open_bound = max(self.open_bound, float(later.max()))

    def _node_multipliers(self, first: int, allowed: np.ndarray, left: np.ndarray,
                          pi: np.ndarray, depth: int, budget_eur: float, power_mw: float,
                          value: float) -> tuple[float, np.ndarray]:
        """The multipliers of a node that has chosen ``depth`` options (``value``: their
        exact value but W, B and F), by :data:`NODE_STEPS` subgradient steps from ``pi`` and
        the root's budget multiplier over the weight ``left`` and the ``allowed`` options
        (rows ``first`` on), the budget (EUR) and power (MW) left; they stop once the node
        is bounded below the floor.

        Returns
        -------
        gain_bound : float
            What the node's completions add at most (but W, B and F), objective points.
        pi : ndarray
            The node's element multipliers (within 0..left).
        """
        gain_bound, pi, _ = subgradient(
            _options_of(self.model, first, allowed[first:]), left,
            self.instance.max_gigafactories - depth, budget_eur, power_mw, pi, self.lam,
            NODE_STEPS, enough=self.floor() - value)
        return gain_bound, pi

    def _own_state_bound(self, order: np.ndarray, start: np.ndarray, kid_count: np.ndarray,
                         base: np.ndarray, spare: np.ndarray, take: int, first: int,
                         worst_credit: np.ndarray | None, ceiling: np.ndarray,
                         by_point: np.ndarray, bounded: bool) -> np.ndarray:
        """The bound of the children ``order`` (``start``: their ``by_pi`` plus ``beyond``,
        :meth:`expand`) with B from each child's own state (``kid_count``) instead of its
        parent's: the child's B exactly, and its completions' credits
        (:meth:`~siteopt.solvers.search_access.AccessOptions.backup_credits`) where the child
        leaves one gigafactory within R, and only over the groups after the child's. A place
        with none that the child reaches is credited half to the child and half to a
        completion from the parent's state, though no completion may reach it; from the
        child's, a completion is credited all of it where it does (every access term
        weighted 0.1 on the shipped data: 2,391 -> 1,047 nodes, 1.4 -> 1.0 s).

        ``base``: per option (columns; one row for all children, or a row per child), what
        it covers of the multipliers and its value (-inf where not allowed);
        ``spare``: per multiplier and child, the multiplier times the budget the child leaves;
        ``worst_credit``: W's credits by one point per option (None without W); ``ceiling``,
        ``by_point``: per child, W + F and the same with W by one point
        (:func:`_worst_and_fair`; used when ``bounded``)."""
        access, n_lambdas, n = self.model.access, len(self.lambdas), base.shape[1]
        if not len(order):
            return start
        now, credit = access.backup_credits(kid_count, slice(first, None),
                                            self.from_count[self.position[order] + 1])
        bracket = np.full((len(order), n), -np.inf)
        bracket[:, first:] = base[:, first:] + credit
        brackets = bracket[None] - self.lambdas[:, None, None] * self.model.capex_eur
        if worst_credit is not None:
            brackets = np.concatenate([brackets, brackets + worst_credit])
        # per bracket row (multiplier, child): the take largest positive group maxima over
        # the groups after the child's
        group_max = np.maximum(np.maximum.reduceat(brackets, self.starts, axis=2), 0.0)
        group_max[:, ~self.later[self.position[order]]] = 0.0
        top = min(take, group_max.shape[2])
        rest = -np.partition(-group_max, top - 1, axis=2)[:, :, :top].sum(axis=2)
        lagrangian = (spare + rest[:n_lambdas]).min(axis=0)
        bound = start + now + lagrangian
        if bounded and worst_credit is None:
            bound += ceiling
        elif bounded:
            gain = (spare + rest[n_lambdas:]).min(axis=0) - lagrangian
            bound += np.minimum(ceiling, by_point + gain)
        return bound

    def _rest(self, bracket: np.ndarray, take: int) -> np.ndarray:
        """Per multiplier (row of ``bracket``, one column per option) and option as a child:
        the sum of the ``take`` largest positive group maxima of ``bracket`` over the groups
        after the child's."""
        group_max = np.maximum(np.maximum.reduceat(bracket, self.starts, axis=1), 0.0)
        if take == 1:   # the largest after each group: a running maximum from the last
            after = np.zeros_like(group_max)
            after[:, :-1] = np.maximum.accumulate(group_max[:, :0:-1], axis=1)[:, ::-1]
            return after[:, self.position]
        after = group_max[:, None, :] * self.later[None, :, :]
        return -np.partition(-after, take - 1, axis=2)[:, :, :take].sum(axis=2)[:, self.position]

    def _covers_of_later(self, first: int, weights: np.ndarray) -> np.ndarray:
        """Per option: the ``weights`` of the elements it covers, for the options from row
        ``first`` on (0 before it)."""
        covered = np.zeros(len(self.model.group))
        covered[first:] = self.model.covers[first:] @ weights
        return covered

    def _last_level(self, chosen: tuple[int, ...], children: np.ndarray, allowed: np.ndarray,
                    child_value: np.ndarray, left: np.ndarray, budget_eur: float,
                    power_mw: float, pairs: np.ndarray | None = None,
                    reach: tuple | None = None) -> None:
        """The ``children`` (``left``: the weight their parent leaves) of a node with two
        gigafactories left to choose, each completed by its best last gigafactory at once:
        one matrix product instead of a node per child (compact form, nothing required left
        to place; ``pairs``: which allowed options fit together under a chance constraint, as
        :meth:`~siteopt.solvers.search_chance.ChanceRule.fitting_pairs` gives them).

        ``reach`` holds, with W, B, F or an ``access`` limit, the children's branch states
        (nearest distances and counts, one row per child); the most B can add to each
        child's completions but the last option's credit, and that credit per option
        (:meth:`~siteopt.solvers.search_access.AccessOptions.backup_credits` at the parent's
        state); the most W and F can add (every later group at once), the same with W by one
        point but the last option's credit, and that credit per option (None without W;
        :meth:`~siteopt.solvers.search_access.AccessOptions.worst_credits`): only the
        (child, last option) pairs that the lower of the two bounds lets reach the best have
        their W + B + F computed, exactly, a block at a time."""
        if len(children) == 0:
            return
        self.nodes += len(children)
        model = self.model
        options = np.flatnonzero(allowed)
        alive = np.flatnonzero(left)   # only the weight left can still be covered
        child_left = left[alive][None, :] * (1.0 - model.covers[np.ix_(children, alive)])
        completion = model.covers[np.ix_(options, alive)] @ child_left.T \
            + model.value[options][:, None]
        fits = ((model.group[options][:, None] > model.group[children][None, :])
                & (model.capex_eur[options][:, None]
                   <= (budget_eur - model.capex_eur[children])[None, :] * (1 + 1e-12))
                & (model.mw[options][:, None]
                   <= (power_mw - model.mw[children])[None, :] + 1e-9))
        if pairs is not None:
            fits &= pairs[:, np.searchsorted(options, children)]
        total = np.where(fits, child_value[children][None, :] + completion, -np.inf)
        if reach is None:
            lasts, kids = np.nonzero(total >= self.floor())
            values = total[lasts, kids]
        else:
            nearest, count, backup, backup_credit, ceiling, by_point, worst_credit = reach
            most = ceiling[None, :] if worst_credit is None else np.minimum(
                ceiling[None, :], by_point[None, :] + worst_credit[options][:, None])
            lasts, kids = np.nonzero(total + most + backup[None, :]
                                     + backup_credit[options][:, None] >= self.floor())
            values = total[lasts, kids] + self._pair_scores(nearest, count, options, lasts, kids)
        self._improve(values,
                      lambda k: chosen + (int(children[kids[k]]), int(options[lasts[k]])))

    def _pair_scores(self, nearest: np.ndarray, count: np.ndarray, options: np.ndarray,
                     lasts: np.ndarray, kids: np.ndarray) -> np.ndarray:
        """W + B + F of each child ``kids[k]`` (its branch state a row of ``nearest`` and
        ``count``) completed by option ``options[lasts[k]]``, in blocks of at most
        :data:`PAIR_BLOCK_ENTRIES` (pair, point) entries (-inf where an ``access`` limit is
        broken)."""
        access = self.model.access
        step = max(1, PAIR_BLOCK_ENTRIES // max(1, nearest.shape[1]))
        scores = np.empty(len(kids))
        for start in range(0, len(kids), step):
            kid, last = kids[start:start + step], options[lasts[start:start + step]]
            if access.max_km_alone:
                scores[start:start + step] = np.where(access.far_pairs(nearest, kid, last),
                                                      -np.inf, 0.0)
            else:
                scores[start:start + step] = access.scores(
                    np.minimum(nearest[kid], access.distance[last]),
                    count[kid] + access.within_count[last])
        return scores

    def _improve(self, values: np.ndarray, portfolio_of) -> None:
        """Keep every portfolio within :data:`NEAR_OPTIMAL` of the best (the instance's
        exclusions and floor aside) and make the best the incumbent if it beats it (the
        first of equal values wins); with ``runner_up``, keep the best portfolio below them
        too. ``values[k]`` is the value of portfolio ``portfolio_of(k)`` (a tuple of
        options)."""
        values = np.asarray(values)
        # (-inf: a portfolio that breaks an access limit, never the best nor the runner-up;
        # while no runner-up is known the floor is -inf too, and they were all looked at)
        candidates = np.flatnonzero((values >= self.floor()) & (values > -np.inf)
                                    & (values >= self.instance.objective_floor))
        improved = False
        for k in candidates[np.argsort(-values[candidates], kind="stable")]:
            if values[k] < self.floor():
                break   # and so are the rest (the best may have risen)
            portfolio = portfolio_of(k)
            if self.excluded(portfolio):
                continue
            if values[k] < self.best_value - NEAR_OPTIMAL:   # the best below the near ones
                if values[k] > self.runner_value:
                    self.runner_value, self.runner = float(values[k]), portfolio
                continue
            if len(self.near) < MAX_NEAR:
                self.near[portfolio] = float(values[k])
            else:
                self.near_complete = False
            if values[k] > self.best_value:
                self.best_value, self.best, improved = float(values[k]), portfolio, True
        if improved:
            dropped = {p: v for p, v in self.near.items()
                       if v < self.best_value - NEAR_OPTIMAL}
            for portfolio, value in dropped.items():
                del self.near[portfolio]
                if value > self.runner_value:
                    self.runner_value, self.runner = value, portfolio
            if self.swaps is not None:
                swaps, self.swaps = self.swaps, None   # (not from within the swaps)
                search_swaps.improve_by_swaps(self, self.best, *swaps)
                self.swaps = swaps

    def excluded(self, options: tuple[int, ...]) -> bool:
        """Whether the instance excludes the portfolio of these options (first whether each
        option lies within an excluded member-site set, which rules out nearly all at once:
        a runner-up search once spent 2.2 s of 4.8 s listing members)."""
        within = self._within_excluded
        if within is None or not all(within[o] for o in options):
            return False
        candidates = self.instance.candidates
        return self.instance.excludes(
            [candidates.member_list(self.model.candidate[o]) for o in options])

    @functools.cached_property
    def _within_excluded(self) -> np.ndarray | None:
        """Per option, whether all its members lie within one of the instance's excluded
        member-site sets; None when none is excluded."""
        if not self.instance.excludes_any:
            return None
        members = self.instance.candidates.members[self.model.candidate]   # -1: no member
        within = np.zeros(len(members), dtype=bool)
        for sites in self.instance.excluded_site_sets:
            inside = np.zeros(len(self.instance.site_ids) + 1, dtype=bool)
            inside[list(sites)] = inside[-1] = True
            within |= inside[members].all(axis=1)
        return within


@dataclass(frozen=True)
class SearchRun:
    """What one branch and bound run found.

    Attributes
    ----------
    portfolio : tuple of tuple of int or None
        The best portfolio found (optimal unless ``stopped``); None if no portfolio obeys the
        rules.
    bound : float
        An upper bound on every portfolio, objective points: the root's, or after a stop the
        largest of the best portfolio's value and the bounds of the nodes left unsearched,
        if lower.
    stopped : str
        ``""`` when the search finished (the portfolio is optimal), ``"nodes"`` after the
        node limit, ``"time"`` at the time limit, ``"interrupted"`` after a stop signal.
    nodes : int
        Nodes expanded.
    next_start : Start
        The portfolio and the root multipliers, for the search of a similar instance.
    near : tuple of (float, portfolio) or None
        Every portfolio within :data:`NEAR_OPTIMAL` of the optimum, with its value (None when
        the search stopped early or kept more than :data:`MAX_NEAR`).
    value : float
        The search model's value of ``portfolio``, objective points.
    next_best : tuple or None
        With ``runner_up`` and ``near``: ``(value, portfolio)`` of the best portfolio below
        the near-optimal ones, proven (``(-inf, None)`` when there is none); else None.
    """

    portfolio: tuple[tuple[int, ...], ...] | None
    bound: float
    stopped: str
    nodes: int
    next_start: Start
    near: tuple | None = None
    value: float = math.nan
    next_best: tuple | None = None


def search_optimum(instance: SelectionInstance, time_limit_s: float,
                   node_limit: float = math.inf, start: Start | None = None,
                   work_limit: float = math.inf, runner_up: bool = False) -> SearchRun:
    """Branch and bound on ``instance`` (see the module docstring), for at most
    ``time_limit_s`` seconds, ``node_limit`` nodes and ``work_limit`` nodes times options times
    elements, or coverage groups with W, B or F (:data:`AUTO_SEARCH_WORK`, with W, B or F
    times :data:`ACCESS_WORK_FACTOR`), from ``start`` if
    given (see
    :class:`Start`); with ``runner_up`` (compact form) it proves the best portfolio below the
    near-optimal ones in the same run (:attr:`SearchRun.next_best`)."""
    deadline = time.perf_counter() + time_limit_s
    model = build_search_model(instance)
    # a node's products read every element, the latency term's levels too; with W, B or F,
    # which HiGHS bounds far worse than the search, only the coverage groups count (the
    # shipped data, latency and backup weighted: HiGHS not proven in 60 s after the search's
    # first 807 nodes, the search 3.5 s; p-median at 50 sites x 1,000 towns, latency alone:
    # the search 18,947 nodes and 8-27 s, Benders after its first 1,021 nodes 0.9 s)
    width = (instance.coverage_incidence.shape[0] / ACCESS_WORK_FACTOR
             if model.access is not None else model.covers.shape[1])
    node_limit = min(node_limit, work_limit / max(1, len(model.group) * width))
    return run_search(instance, model, instance.budget_row_eur, deadline, node_limit, start,
                      runner_up)


def run_search(instance: SelectionInstance, model: SearchModel, budget_eur: float,
               deadline: float, node_limit: float = math.inf,
               start: Start | None = None, runner_up: bool = False,
               handed_over: bool = False) -> SearchRun:
    """Branch and bound over the options of ``model`` under the rules of ``instance`` and the
    budget row ``model.capex_eur <= budget_eur`` (EUR), until ``deadline``
    (:func:`time.perf_counter` seconds) or ``node_limit`` nodes; with ``runner_up`` (in the
    compact form) the best portfolio below the near-optimal ones too, pruning at its value
    (one search instead of a second one that excludes the first's answers: on the shipped
    data, B 0.2 alone, 7,987 nodes against 7,322 + 7,519, 2.9 s against 4.4 s). With
    ``handed_over`` the caller makes no further use of ``model``: its coverage matrix is put in
    search order where it is instead of copied (the robust choice's matrix has up to 300
    million entries)."""
    p = instance.max_gigafactories
    power = instance.power_row_mw
    required = np.asarray(instance.required, bool)
    given = _candidates_of(instance, None if start is None else start.portfolio)
    root_bound, pi, lam = root_multipliers(model, p, budget_eur, power, start=start)
    model = _in_search_order(model, pi, lam, in_place=handed_over)
    if model.access is not None:   # W, B and F are outside the multipliers' bound
        root_bound += model.access.ceiling(group_starts(model.group))
    search = _Search(model, instance, LAMBDA_SCALES * lam, required, deadline, node_limit, lam,
                     runner_up=runner_up and model.exclusive_groups)
    search.best_value = instance.objective_floor   # only portfolios above it count
    reach = None if model.access is None else model.access.root()
    empty = 0.0 if reach is None else float(model.access.scores(reach[0][None, :],
                                                                  reach[1][None, :])[0])
    if not required.any() and np.isfinite(empty):
        search._improve(np.array([empty]), lambda k: ())
    if given is not None:
        options = tuple(int(o) for o in np.flatnonzero(np.isin(model.candidate, given)))
        search._improve(np.array([instance.objective(instance.evaluate(start.portfolio))]),
                        lambda k: options)
    n_sites, n_countries = model.sites.shape[1], model.country.shape[1]
    root = (model.weight.copy(), np.minimum(pi, model.weight), -1, budget_eur, power,
            np.zeros(n_sites, bool), np.zeros(n_countries, np.int64), 0)
    with deferred():
        if search_swaps.applies(search):   # swaps from the optimum without W, B and F
            plain = _Search(dataclasses.replace(model, access=None), instance, search.lambdas,
                            required, deadline, min(node_limit, START_NODES), lam)
            plain.expand((), 0.0, *root)
            search.nodes += plain.nodes
            if plain.best:
                search_swaps.improve_by_swaps(search, plain.best, budget_eur, power)
            search.swaps = (budget_eur, power)
        search.expand((), 0.0, *root, reach,
                      None if model.chance is None else model.chance.root())
    candidates = instance.candidates

    def members(options):
        return tuple(sorted(candidates.member_list(model.candidate[o]) for o in options))

    portfolio = None if search.best is None else members(search.best)
    near = (tuple((value, members(options)) for options, value in search.near.items())
            if search.near_complete and not search.stopped else None)
    next_best = None
    if search.runner_up and near is not None:
        next_best = (search.runner_value,
                     None if search.runner is None else members(search.runner))
    bound = root_bound
    if search.stopped and not search.unbounded_stop:   # (else the root itself stopped)
        bound = min(root_bound, max(search.open_bound, search.best_value))
    return SearchRun(portfolio, bound, search.stopped, search.nodes,
                     Start(portfolio, pi, lam), near, search.best_value, next_best)


def _candidates_of(instance: SelectionInstance, portfolio) -> list[int] | None:
    """The candidates (each an option of the search) that make up ``portfolio``
    (gigafactories as site indices), or None if it is missing, breaks a rule or a limit, or
    has a gigafactory that is no candidate."""
    if portfolio is None or instance.violations(portfolio):
        return None
    index_of = instance.candidates.index_of
    chosen = [index_of.get(tuple(sorted(g))) for g in portfolio]
    return None if None in chosen else chosen


def _rows_times(matrix: np.ndarray, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix[rows] @ vector`` through copies of at most :data:`PRODUCT_ROWS` rows at a time
    (at the root the rows are nearly all of the robust choice's matrix)."""
    if len(rows) <= PRODUCT_ROWS:
        return matrix[rows] @ vector
    return np.concatenate([matrix[rows[start:start + PRODUCT_ROWS]] @ vector
                           for start in range(0, len(rows), PRODUCT_ROWS)])


def _permute_rows(matrix: np.ndarray, order: np.ndarray) -> None:
    """``matrix[:] = matrix[order]`` without a second matrix: each cycle of the permutation
    ``order`` moved round through one row's copy."""
    placed = np.zeros(len(order), dtype=bool)
    for start in range(len(order)):
        if placed[start] or order[start] == start:
            continue
        first, row = matrix[start].copy(), start
        while True:
            placed[row] = True
            source = int(order[row])
            if source == start:
                matrix[row] = first
                break
            matrix[row] = matrix[source]
            row = source


def _in_search_order(model: SearchModel, pi: np.ndarray, lam: float,
                     in_place: bool = False) -> SearchModel:
    """Groups renumbered by ascending best root bracket: the strongest groups come last, so the
    bound of a node, which only counts later groups, is tight where the tree is wide
    (``in_place``: see :meth:`SearchModel.reordered`)."""
    starts = group_starts(model.group)
    if len(starts) == 0:
        return model
    bracket = model.covers @ pi + model.value - lam * model.capex_eur
    strength = np.maximum.reduceat(bracket, starts)
    rank = np.empty(len(starts), dtype=np.int64)
    rank[np.argsort(strength, kind="stable")] = np.arange(len(starts))
    new_group = rank[np.searchsorted(model.group[starts], model.group)]
    order = np.argsort(new_group, kind="stable")
    return model.reordered(order, new_group[order], in_place)


def solve_search(instance: SelectionInstance, settings: Solver, node_limit: float = math.inf,
                 start: Start | None = None, work_limit: float = math.inf,
                 runner_up: bool = False) -> SolverOutcome | None:
    """Solve ``instance`` by branch and bound, from ``start`` if given (see :class:`Start`;
    the outcome's ``next_start`` is this search's; with ``runner_up`` its ``next_best`` is
    :attr:`SearchRun.next_best`); None when the search exceeds ``node_limit`` nodes or
    ``work_limit`` (see :func:`search_optimum`; the caller then solves it with HiGHS)."""
    instance.require_level_rows("search")
    began = time.perf_counter()
    run = search_optimum(instance, settings.time_limit_s, node_limit, start, work_limit,
                         runner_up)
    portfolio, bound, stopped = run.portfolio, run.bound, run.stopped
    seconds = time.perf_counter() - began
    if stopped == "nodes":
        return None
    if portfolio is None:
        if stopped == "interrupted":
            raise KeyboardInterrupt   # nothing to report: stop as any interrupted command
        if stopped:
            raise TimeLimitError(f"the search stopped at the time limit of "
                                 f"{settings.time_limit_s:g} s without finding a portfolio; raise "
                                 f"solver.time_limit_s")
        return no_solution(Status.INFEASIBLE, len(instance.site_ids), seconds, "siteopt")
    objective = instance.objective(instance.evaluate(portfolio))
    status, bound = (((Status.INTERRUPTED if stopped == "interrupted" else Status.TIME_LIMIT),
                      max(bound, objective)) if stopped else (Status.OPTIMAL, objective))
    outcome = finish(instance, status, portfolio, objective, bound, settings, seconds, "siteopt")
    return dataclasses.replace(outcome, next_start=run.next_start, near_optimal=run.near,
                               next_best=run.next_best)
