"""The terms W, B, F and the ``access`` limits in the search (:mod:`siteopt.solvers.search`):
exact at every child, bounded by every option still open.

The search adds one option (gigafactory) at a time. Along a branch it keeps, per populated
point, the distance to the nearest chosen member and how many chosen gigafactories have a
member within R; a child's W, B and F follow exactly (as
:func:`~siteopt.model.access_rows.access_terms` computes them). All three only grow when
gigafactories are added, so a child's completions score at most what it would score with
*every* option of every later group (at most one per group is chosen, so at most one more
gigafactory per such group within R): that is the bound on W and F added to the search's own.
W has a second, additive bound (:meth:`AccessOptions.worst_credits`): what the point kept
farthest allows, as credits to the options that bring it nearer; each child's bound takes
the lower of the two (shipped data, every access term weighted 0.1: the first search 7,954 ->
1,988 nodes).
B's bound is sharper and additive (:meth:`AccessOptions.backup_credits`): each option is
credited the share of the points it would give a second gigafactory within R, and half the
share of those with none yet that two later groups reach; the search adds those credits to its
options' gains, so its bound on a completion takes at most as many of them as gigafactories
are left. What every later group could add is computed once per search
(:meth:`AccessOptions.best_after`). The same
optimism prunes a branch that cannot meet ``access.max_km`` or ``access.min_country_share``
even so.

Over sampled draws (the robust choice, :meth:`AccessOptions.over_draws`) each draw has its own
copy of the points, reached by the members that deliver in it: B is additive over them (each
point's share times 1/N), F is the mean of each draw's least state share, and F is bounded a
second way, by one member state per draw (:meth:`AccessOptions.fairness_credits`).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from siteopt.geometry import DISTANCE_TOLERANCE_KM
from siteopt.incidence import unique_rows


def _fairness_weight(weight: float, within: np.ndarray, state_share: np.ndarray) -> float:
    """F's weight in the search: 0 where some member state with people has nobody within R
    of any option (F is then 0 for every portfolio: on the shipped data Cyprus and Ireland,
    whose people have no eligible site within 500 km), else ``weight``. Not scoring a term
    that is always 0 saves a fifth of each node with every access term weighted."""
    if weight <= 0 or not state_share.shape[1]:
        return weight
    most = within.any(axis=0) @ state_share   # every option at once, per state
    return weight if most.min() > 0 else 0.0


@dataclass(frozen=True, eq=False)
class AccessOptions:
    """The access data of the search's options (rows in search order).

    Attributes
    ----------
    distance : ndarray, shape (options, distance columns)
        Distance from populated points to the option's nearest member, km: W's points
        first, and then, with ``access.max_km``, every other point (only W and that limit
        read distances; B and F read ``within``).
    within : ndarray of bool, shape (options, points)
        Whether a member lies within R of the point.
    share : ndarray
        Each populated point's people over all people.
    state_share : ndarray, shape (points, states)
        Each point's people over its member state's (states with people).
    worst : ndarray of bool
        The points W counts, the first columns.
    weights : tuple of float
        The weights of W, B and F.
    reference_km, max_km, min_share : float
        D, ``access.max_km`` (0: off) and ``access.min_country_share`` (0: off).
    point_block : ndarray of int, optional
        Over sampled draws (:meth:`over_draws`): the block of each point, one per draw (and
        block 0 the nominal data where an ``access`` limit needs it); the points are one
        copy per block, each reached by the members that deliver in that draw. None: one
        block.
    block_weight : ndarray, optional
        F is the sum over blocks of this weight times the block's least state share
        (default: one block of weight 1); the ``access`` limits read block 0.
    """

    distance: np.ndarray
    within: np.ndarray
    share: np.ndarray
    state_share: np.ndarray
    worst: np.ndarray
    weights: tuple
    reference_km: float
    max_km: float
    min_share: float
    point_block: np.ndarray | None = None
    block_weight: np.ndarray = dataclasses.field(default_factory=lambda: np.ones(1))

    @classmethod
    def of(cls, instance, members) -> AccessOptions | None:
        """The access data of options with the given member sites (None when the instance
        has neither W, B, F nor an ``access`` limit). With W alone, only the points W counts
        (:attr:`~siteopt.model.access_rows.AccessData.worst_rows`) are kept: a search inside
        :func:`~siteopt.solvers.worst.solve_adding_points` then works on a few points."""
        if not instance.has_access_rows:
            return None
        data, w = instance.access, instance.weights
        rows = data.worst_rows if data.only_worst(w) else np.arange(len(data.populated))
        counted = np.isin(rows, data.worst_rows)
        rows = np.r_[rows[counted], rows[~counted]]   # W's points first
        points = data.populated[rows]
        site_distance = data.distances(points, np.arange(len(instance.site_ids)))
        distance = np.stack([site_distance[:, list(m)].min(axis=1) for m in members]) \
            if len(members) else np.empty((0, len(points)))
        people = np.asarray(data.point_people, float)[points]
        total = np.asarray(data.point_people, float).sum()
        state = data.point_state[points]
        with_people = np.flatnonzero(data.state_people > 0)
        state_share = np.zeros((len(points), len(with_people)))
        column = np.searchsorted(with_people, state)
        state_share[np.arange(len(points)), column] = people / data.state_people[state]
        worst = np.arange(len(points)) < np.count_nonzero(counted)
        within = distance <= data.radius_km + DISTANCE_TOLERANCE_KM
        options = cls(distance, within,
                      people / total if total > 0 else np.zeros(len(points)), state_share,
                      worst, (w.worst, w.backup, _fairness_weight(w.fairness, within,
                                                                  state_share)),
                      data.reference_km, data.max_km, data.min_country_share)
        return options.merged(state) if len(points) else options

    @classmethod
    def over_draws(cls, instance, members, slipped: np.ndarray) -> AccessOptions:
        """B and F of options with the given member sites, valued in each of the draws
        (``slipped``: per draw, whether each site's grid slips), as the robust choice values
        them (:mod:`~siteopt.analysis.choice`): one block of points per draw, reached by the
        members that deliver in it, each point's share of B and each block's weight in F
        1/N. Where an ``access`` limit is on, block 0 is the nominal data, weighted 0: the
        limits are rules on the nominal data. W is not valued here (it is not additive
        over the draws' points; the extensive form values it).
        """
        data, w = instance.access, instance.weights
        points = data.populated
        site_distance = data.distances(points, np.arange(len(instance.site_ids)))
        people = np.asarray(data.point_people, float)[points]
        total = np.asarray(data.point_people, float).sum()
        state = data.point_state[points]
        with_people = np.flatnonzero(data.state_people > 0)
        state_share = np.zeros((len(points), len(with_people)))
        state_share[np.arange(len(points)), np.searchsorted(with_people, state)] = (
            people / data.state_people[state])
        share = people / total if total > 0 else np.zeros(len(points))
        limits = data.max_km > 0 or data.min_country_share > 0
        nothing = np.zeros(len(instance.site_ids), dtype=bool)
        blocks = ([None] if limits else []) + list(slipped)
        weight = np.array([0.0 if lost is None else 1.0 / len(slipped) for lost in blocks])
        merged = []
        for lost, block_weight in zip(blocks, weight):
            nominal = lost is None
            lost = nothing if nominal else lost
            distance = np.full((len(members), len(points)), np.inf)
            for row, sites in enumerate(members):
                kept = [s for s in sites if not lost[s]]
                if kept:
                    distance[row] = site_distance[:, kept].min(axis=1)
            within = distance <= data.radius_km + DISTANCE_TOLERANCE_KM
            one = cls(distance, within, share * block_weight, state_share,
                      np.zeros(len(points), dtype=bool), (0.0, w.backup, w.fairness),
                      data.reference_km, data.max_km if nominal else 0.0,
                      data.min_country_share if nominal else 0.0)
            one = one.merged(state) if len(points) else one
            by_state = np.argsort(one.state_share.argmax(axis=1), kind="stable") \
                if one.state_share.shape[1] else np.arange(len(one.share))
            merged.append(dataclasses.replace(   # F sums the points of each state in a row
                one, distance=one.distance[:, by_state] if one.distance.shape[1]
                else one.distance, within=one.within[:, by_state], share=one.share[by_state],
                state_share=one.state_share[by_state], worst=one.worst[by_state]))
        block = np.concatenate([np.full(len(one.share), b) for b, one in enumerate(merged)])
        options = cls(merged[0].distance if limits else np.empty((len(members), 0)),
                      np.hstack([one.within for one in merged]),
                      np.concatenate([one.share for one in merged]),
                      np.vstack([one.state_share for one in merged]),
                      np.zeros(len(block), dtype=bool), (0.0, w.backup, w.fairness),
                      data.reference_km, data.max_km, data.min_country_share, block, weight)
        if w.fairness > 0 and len(with_people):   # F 0 in every draw, whatever is chosen?
            reach = options.within.any(axis=0)[None, :].astype(np.int16)
            most = options.least_shares(reach)[0]
            if not (most[weight > 0] > 0).any():
                options = dataclasses.replace(options, weights=(0.0, w.backup, 0.0))
        return options

    def merged(self, state: np.ndarray) -> AccessOptions:
        """The points W does not count that the same options reach within R and within
        ``access.max_km`` and that lie in the same member state (``state`` per point) as one
        point with their shares added: W, B, F and the limits are the same for every
        portfolio (the shipped data without W: 5,376 points -> 621). W's points come first
        and keep their distances; the others' become 0 within ``access.max_km`` and inf
        beyond, all the limit needs, and without the limit they have none (every access term
        weighted: a node's nearest distances over 55 points instead of 637, a tenth of the
        node less). One block of points: :meth:`over_draws` merges each draw's on its own."""
        limit = (self.distance <= self.max_km + DISTANCE_TOLERANCE_KM if self.max_km > 0
                 else np.zeros_like(self.within))
        counted = self.worst & (self.weights[0] > 0)   # W's points
        # each keeps a key of its own (-1 - its index)
        own = np.where(counted, -1 - np.arange(len(state)), np.asarray(state, np.int64))
        key = np.c_[np.packbits(np.r_[self.within, limit], axis=0).T,
                    own[:, None].view(np.uint8).reshape(len(state), -1)]
        first, inverse = unique_rows(key)
        order = np.argsort(~counted[first], kind="stable")   # W's points first
        first, inverse = first[order], np.argsort(order)[inverse]
        state_share = np.zeros((len(first), self.state_share.shape[1]))
        np.add.at(state_share, inverse, self.state_share)
        worst = counted[first]
        distance = np.where(worst[None, :], self.distance[:, first],
                            np.where(limit[:, first], 0.0, np.inf))
        if self.max_km <= 0:
            distance = distance[:, :int(worst.sum())]
        return AccessOptions(distance, self.within[:, first],
                             np.bincount(inverse, weights=self.share, minlength=len(first)),
                             state_share, worst, self.weights, self.reference_km, self.max_km,
                             self.min_share)

    def reordered(self, order: np.ndarray) -> AccessOptions:
        """The same options taken in ``order``."""
        return dataclasses.replace(self, distance=self.distance[order],
                                   within=self.within[order])

    def root(self) -> tuple[np.ndarray, np.ndarray]:
        """The branch state with no option chosen: nearest distances and counts."""
        return (np.full(self.distance.shape[1], np.inf),
                np.zeros(self.within.shape[1], dtype=self.count_type))

    @functools.cached_property
    def n_worst(self) -> int:
        """How many points W counts: the first columns (0 without W)."""
        return int(np.count_nonzero(self.worst)) if self.weights[0] > 0 else 0

    @property
    def count_type(self) -> type:
        """The integer type of a branch state's counts of gigafactories within R of each
        point (at most one per option): adding 16-bit rows is several times faster than
        64-bit ones."""
        return np.int16 if len(self.within) < np.iinfo(np.int16).max else np.int32

    @functools.cached_property
    def within_count(self) -> np.ndarray:
        """``within`` as counts (:attr:`count_type`), to add to a branch state's counts."""
        return self.within.astype(self.count_type)

    @functools.cached_property
    def within_weight(self) -> np.ndarray:
        """``within`` as 0.0 and 1.0, for matrix products."""
        return self.within.astype(np.float64)

    @property
    def bounded_by_later_groups(self) -> bool:
        """Whether W, F or an ``access`` limit is on: the terms and limits the search bounds by
        every later group's options at once (:meth:`best_after`; B has its credits)."""
        return (self.weights[0] > 0 or self.weights[2] > 0 or self.max_km > 0
                or self.min_share > 0)

    @functools.cached_property
    def _point_column(self) -> np.ndarray:
        """Each point's (block, member state) column of F: block times states plus state."""
        return self.point_block * self.state_share.shape[1] + self.state_share.argmax(axis=1)

    @functools.cached_property
    def _block_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For :func:`siteopt.compiled.least_block_shares`: each point's share of its member
        state's people, where each (block, state) column's points begin and end, the block of
        each column, and per block whether every state has points in it. The points must
        come in order of (block, state), as :meth:`over_draws` makes them."""
        states, column = self.state_share.shape[1], self._point_column
        if (np.diff(column) < 0).any():
            raise ValueError("the points are not in order of block and member state")
        starts = np.flatnonzero(np.r_[True, np.diff(column) != 0]) if len(column) \
            else np.zeros(0, np.int64)
        column_block = column[starts] // states
        complete = np.bincount(column_block, minlength=len(self.block_weight)) == states
        return (self.state_share.sum(axis=1), np.r_[starts, len(column)].astype(np.int64),
                column_block.astype(np.int64), complete)

    def least_shares(self, count: np.ndarray) -> np.ndarray:
        """Per row of ``count`` (rows by points: how many gigafactories have a member within R)
        and per block: the least share of a member state's people within R, the block's F
        (compiled over the blocks of :meth:`over_draws`)."""
        if self.point_block is None:
            return ((count >= 1) @ self.state_share).min(axis=1)[:, None]
        from siteopt import compiled

        return compiled.least_block_shares(np.ascontiguousarray(count), *self._block_columns)

    def backup_score(self, count: np.ndarray) -> np.ndarray:
        """The weighted B of branch states (rows of ``count``; 0 without B)."""
        w_backup = self.weights[1]
        if w_backup <= 0:
            return np.zeros(count.shape[:-1])
        return w_backup * ((count >= 2) @ self.share)

    def scores(self, nearest: np.ndarray, count: np.ndarray, backup: bool = True) -> np.ndarray:
        """The weighted W + B + F of branch states (rows), -inf where an ``access`` limit is
        broken (W + F only when not ``backup``); a term of weight 0 is not computed."""
        w_fairness = self.weights[2]
        score = self.worst_score(nearest)
        if backup:
            score += self.backup_score(count)
        broken = np.zeros(len(nearest), dtype=bool)
        if (w_fairness > 0 or self.min_share > 0) and self.state_share.shape[1]:
            lowest = self.least_shares(count)
            score += w_fairness * (lowest @ self.block_weight)
            if self.min_share > 0:
                broken |= lowest[:, 0] < self.min_share - 1e-12
        if self.max_km > 0:
            broken |= nearest.max(axis=1) > self.max_km + DISTANCE_TOLERANCE_KM
        return np.where(broken, -np.inf, score)

    @property
    def max_km_alone(self) -> bool:
        """Whether ``access.max_km`` is all there is (no W, B, F nor member-state share): a
        branch state then scores 0, or -inf where a point is left beyond the limit."""
        return self.max_km > 0 and self.min_share <= 0 and max(self.weights) <= 0

    def far_pairs(self, nearest: np.ndarray, rows: np.ndarray, options: np.ndarray
                  ) -> np.ndarray:
        """Whether branch state ``rows[k]`` of ``nearest`` completed by option ``options[k]``
        leaves a point beyond ``access.max_km``: the scores' test, as one product of the
        points each state and each option leaves far (counts exact in float32), instead of
        every pair's distances to every point (a three-gigafactory runner-up search spent
        3.0 s of 4.3 s there)."""
        limit = self.max_km + DISTANCE_TOLERANCE_KM
        states, state_at = np.unique(rows, return_inverse=True)
        lasts, last_at = np.unique(options, return_inverse=True)
        far_state = (nearest[states] > limit).astype(np.float32)
        far_last = (self.distance[lasts] > limit).astype(np.float32)
        return (far_state @ far_last.T)[state_at, last_at] > 0

    def worst_credits(self, nearest: np.ndarray, options: np.ndarray):
        """A bound on W after adding options to a branch state (``nearest`` per point), by
        one point: W of the state as that point alone has it, and per option of ``options``
        its credit; W after adding any set of them is at most the first plus the credits.

        W is at most what any single point d allows, :math:`w (1 - \\min(n_d, D) / D)`, and
        for one point that is the best of the options added, at most the sum of their gains.
        The point is the one the options keep farthest (on the shipped data the Azores,
        which only a site in Portugal or Spain brings nearer): the credits go to the options
        that bring it nearer, and the search's bound weighs them against the rest of the
        portfolio, where the bound by every later group at once gives W to every completion.

        Returns
        -------
        (float, ndarray) or None
            None when W is not weighted.
        """
        w_worst, counted = self.weights[0], self.n_worst
        if w_worst <= 0 or not counted or not len(options):
            return None
        reach = np.minimum(nearest[:counted], self.distance[options, :counted].min(axis=0))
        point = int(np.argmax(reach))
        now = w_worst * (1.0 - min(nearest[point], self.reference_km) / self.reference_km)
        after = np.minimum(np.minimum(self.distance[options, point], nearest[point]),
                           self.reference_km)
        return now, w_worst * (1.0 - after / self.reference_km) - now

    def point_credits(self, reach: tuple[np.ndarray, np.ndarray], options: np.ndarray,
                      groups_within: np.ndarray):
        """A second bound on W (:meth:`worst_credits`) or, over draws, on F
        (:meth:`fairness_credits`) after adding options to a branch state ``reach``: the
        term now and a credit per option of ``options`` (None where neither applies); the
        part of :meth:`scores` it bounds is left out by :meth:`uncredited`."""
        if self.point_block is None:
            return self.worst_credits(reach[0], options)
        return self.fairness_credits(reach[1], options, groups_within)

    def uncredited(self, ceiling: np.ndarray, nearest: np.ndarray) -> np.ndarray:
        """``ceiling`` (:meth:`scores` without B, of branch states with ``nearest``) less the
        term :meth:`point_credits` bounds: W, or over draws F (there, without W, all of it
        but an ``access`` limit's -inf)."""
        if self.point_block is None:
            return ceiling - self.worst_score(nearest)
        return np.where(np.isfinite(ceiling), 0.0, -np.inf)

    def fairness_credits(self, count: np.ndarray, options: np.ndarray,
                         groups_within: np.ndarray):
        """A bound on F over draws after adding options to a branch state (``count`` per
        point), by one member state per draw: F now as those states have it, and per option
        of ``options`` its credit; F after adding any set of them is at most the first plus
        their credits.

        In each draw F is the least state share, so at most the share of any one state: of
        the state with the least share now (of those, the one with the least share with every
        option of the later groups, ``groups_within``), which only the options reaching its
        people not yet within R raise, each by at most the share it reaches. The search
        weighs those credits against the rest of the portfolio, where the bound by every
        later group at once gives F to every completion.

        Returns
        -------
        (float, ndarray) or None
            None without F, or over a single block.
        """
        w_fairness = self.weights[2]
        if (self.point_block is None or w_fairness <= 0 or not self.state_share.shape[1]
                or not len(options)):
            return None
        part, bounds, column_block, complete = self._block_columns
        states = self.state_share.shape[1]
        starts = bounds[:-1]
        columns = self._point_column[starts]
        now = np.full(len(self.block_weight) * states, np.inf)
        later = np.full(len(now), np.inf)
        now[columns] = np.add.reduceat((count >= 1) * part, starts)
        later[columns] = np.add.reduceat((count + groups_within >= 1) * part, starts)
        now, later = now.reshape(-1, states), later.reshape(-1, states)
        least = now.min(axis=1)
        pick = np.argmin(np.where(now == least[:, None], later, np.inf), axis=1)
        weight = np.where(complete, self.block_weight, 0.0)   # an incomplete block's F is 0
        chosen = np.arange(len(pick)) * states + pick
        point_weight = np.where((self._point_column == chosen[self.point_block])
                                & (count == 0), w_fairness * weight[self.point_block] * part,
                                0.0)
        points = np.flatnonzero(point_weight)
        credit = self.within_weight[np.ix_(options, points)] @ point_weight[points]
        return w_fairness * float(weight @ np.where(complete, least, 0.0)), credit

    def worst_score(self, nearest: np.ndarray) -> np.ndarray:
        """The weighted W of branch states (rows)."""
        if self.weights[0] <= 0 or not self.n_worst:
            return np.zeros(len(nearest))
        farthest = np.minimum(nearest[:, :self.n_worst].max(axis=1), self.reference_km)
        return self.weights[0] * (1.0 - farthest / self.reference_km)

    def children(self, nearest: np.ndarray, count: np.ndarray, options: np.ndarray):
        """The branch states after adding each of ``options``."""
        return (np.minimum(nearest[None, :], self.distance[options]),
                count[None, :] + self.within_count[options])

    def with_every(self, nearest: np.ndarray, count: np.ndarray, options: np.ndarray,
                   groups_within: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The branch state (one row) after adding every option of ``options`` to a branch
        state (``nearest``, ``count``), one per group (``groups_within``: per point, how many
        of their groups have an option within R): W, B and F score no more after adding any
        of them."""
        if len(options):
            nearest = np.minimum(nearest, self.distance[options].min(axis=0))
        return nearest[None, :], (count + groups_within)[None, :]

    def ceiling(self, starts: np.ndarray) -> float:
        """The weighted W + B + F with every option of every group (``starts``: each group's
        first row) chosen at once: no portfolio scores more (-inf when even that breaks an
        ``access`` limit)."""
        if len(starts) == 0:
            return float(self.scores(*(a[None, :] for a in self.root()))[0])
        nearest = self.distance.min(axis=0)
        count = np.logical_or.reduceat(self.within, starts, axis=0).sum(axis=0)
        return float(self.scores(nearest[None, :], count[None, :])[0])

    def backup_credits(self, count: np.ndarray, options: np.ndarray | slice,
                       groups_within: np.ndarray) -> tuple[float, np.ndarray]:
        """A bound on B after adding options to a branch state (``count`` per point): B of
        the state, and per option of ``options`` (rows, or a slice of them) its credit; B
        after adding any set of them, one per group, is at most B of the state plus their
        credits (``groups_within``: per point, how many of the groups they come from have an
        option within R). With rows of states (``count`` and ``groups_within`` 2-D), one B
        and one row of credits per state.

        An option is credited the share (times B's weight) of the points it reaches that
        have one gigafactory within R, and half the share of those that have none but two
        groups that could bring two: such a point needs two new gigafactories within R, each
        credited half. This is the relaxation :math:`b_d \\le \\min(1, n_d / 2)` of the
        count :math:`n_d` of gigafactories within R of point d, the least concave bound on
        :math:`[n_d \\ge 2]`, with :math:`n_d \\le 1` where at most one group reaches d
        (shipped data, B 0.2 alone: 20,070 nodes without that, 7,322 with it).
        """
        w_backup = self.weights[1]
        now = self.backup_score(count)
        rows = self.within_weight[options]   # a view for a slice
        if w_backup == 0:
            return now, np.zeros(count.shape[:-1] + (len(rows),))
        credit = w_backup * self.share * np.where(
            count == 1, 1.0, np.where((count == 0) & (groups_within >= 2), 0.5, 0.0))
        return now, credit @ rows.T

    def best_after(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What the groups from each position on could add, over every option (computed once
        per search: restricting it to the options a node allows, those within its budget and
        power, left the shipped searches' node counts unchanged at 0.6 ms a node).

        Returns
        -------
        after_distance : ndarray, shape (groups, distance columns)
            Row k: the nearest distance over the options of the groups after position k, km.
        from_count : ndarray of int, shape (groups + 1, points)
            Row k: how many groups from position k on have an option within R of the point
            (row k + 1 counts the groups after k).
        """
        n_groups = len(starts)
        after_distance = np.full((n_groups, self.distance.shape[1]), np.inf)
        from_count = np.zeros((n_groups + 1, self.within.shape[1]), dtype=self.count_type)
        if n_groups:
            group_distance = np.minimum.reduceat(self.distance, starts, axis=0)
            group_within = np.logical_or.reduceat(self.within, starts, axis=0)
            after_distance[:-1] = np.minimum.accumulate(group_distance[:0:-1], axis=0)[::-1]
            from_count[:-1] = np.cumsum(group_within[::-1], axis=0)[::-1]
        return after_distance, from_count
