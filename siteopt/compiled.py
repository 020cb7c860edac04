"""Compiled loops (Numba) over the (point, site) and (group, site) pairs of large instances:
the products of a large :class:`~siteopt.incidence.Incidence`, and coverage's blocks and set
checks; and the robust choice search's checks and bounds over pairs and sets of options.

Each loop reads the pairs once, in the same order as the NumPy code it replaces (so the sums
come out bit for bit the same; the haversine distances of the band around R follow NumPy's
formula, though libm may round a last bit differently from NumPy, far inside the 1 mm
tolerance), with no temporary array per pair: at 5,000 sites x 500,000
points (249 million pairs) the sums a Benders cut needs take 0.1-0.2 s instead of 1.5 s, and
the by-column order of the pairs takes one pass instead of a sort.

Numba compiles each loop on its first call and keeps the machine code in ``__pycache__`` (or
``NUMBA_CACHE_DIR``), so later processes load it in a fraction of a second. Importing this
module imports Numba (0.4 s, about 130 MB): :mod:`siteopt.incidence` and
:mod:`siteopt.coverage` do so only beyond their size thresholds.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from siteopt.geometry import EARTH_RADIUS_KM

_compiled = numba.njit(cache=True, nogil=True)


@_compiled
def sums_over_rows(pair_from, pair_to, columns, rows, values, n_columns):
    """Per column, how many of ``rows`` hold it and the sum of their ``values``, reading the
    pairs ``pair_from[row]`` to ``pair_to[row] - 1`` of each row (all of them, or one part
    of the columns: see :func:`row_parts`).

    Parameters
    ----------
    pair_from, pair_to : int64 arrays
        Per row, the first pair read and the one after the last.
    columns : int32 array
        The column of each pair, in row order.
    rows : int array
        The rows to read, in this order.
    values : float array
        One per entry of ``rows``.
    n_columns : int

    Returns
    -------
    count : int64 array
    total : float array
    """
    count = np.zeros(n_columns, np.int64)
    total = np.zeros(n_columns)
    for k in range(rows.shape[0]):
        row = rows[k]
        value = values[k]
        for pair in range(pair_from[row], pair_to[row]):
            column = columns[pair]
            count[column] += 1
            total[column] += value
    return count, total


@_compiled
def row_parts(row_starts, lengths, columns, bounds):
    """Per row, where its pairs cross each of ``bounds`` (increasing column numbers; each
    row's columns are sorted): ``parts[k, row]`` is its first pair with a column of at least
    ``bounds[k]``, so part ``k`` of the row is ``parts[k, row]`` to ``parts[k + 1, row]``
    (``parts[0]`` the row starts, the last the row ends)."""
    parts = np.empty((bounds.shape[0] + 2, row_starts.shape[0]), np.int64)
    for row in range(row_starts.shape[0]):
        start = row_starts[row]
        end = start + lengths[row]
        parts[0, row] = start
        parts[bounds.shape[0] + 1, row] = end
        for k in range(bounds.shape[0]):
            low = parts[k, row]
            high = end
            while low < high:   # the first pair at or beyond bounds[k]
                middle = (low + high) // 2
                if columns[middle] < bounds[k]:
                    low = middle + 1
                else:
                    high = middle
            parts[k + 1, row] = low
    return parts


@_compiled
def sums_over_columns(column_starts, column_lengths, rows_by_column, columns, per_row):
    """Per column of ``columns``, the sum of ``per_row`` over its rows.

    Parameters
    ----------
    column_starts, column_lengths : int64 arrays
        First pair and number of pairs of each column in the by-column order.
    rows_by_column : int32 array
        The row of each pair, pairs ordered by column then row.
    columns : int array
    per_row : float array
    """
    total = np.zeros(columns.shape[0])
    for k in range(columns.shape[0]):
        column = columns[k]
        for pair in range(column_starts[column], column_starts[column] + column_lengths[column]):
            total[k] += per_row[rows_by_column[pair]]
    return total


@_compiled
def spread_over_rows(column_starts, column_lengths, rows_by_column, columns, weights, n_rows):
    """Per row, the sum of ``weights`` (one per entry of ``columns``) over its columns among
    ``columns``."""
    total = np.zeros(n_rows)
    for k in range(columns.shape[0]):
        column = columns[k]
        weight = weights[k]
        for pair in range(column_starts[column], column_starts[column] + column_lengths[column]):
            total[rows_by_column[pair]] += weight
    return total


@_compiled
def order_by_column(row_starts, lengths, columns, column_starts):
    """The row of each pair, pairs ordered by column then row (a counting sort)."""
    rows_by_column = np.empty(columns.shape[0], np.int32)
    next_slot = column_starts.copy()
    for row in range(lengths.shape[0]):
        for pair in range(row_starts[row], row_starts[row] + lengths[row]):
            column = columns[pair]
            rows_by_column[next_slot[column]] = row
            next_slot[column] += 1
    return rows_by_column


@_compiled
def _nearby_sites(points, start, end, sites, reach, nearby):
    """Fill ``nearby`` with the sites inside the bounding box of points ``start`` to
    ``end - 1`` widened by ``reach`` in every coordinate; return how many."""
    low = np.empty(3)
    high = np.empty(3)
    for axis in range(3):
        low[axis] = points[start, axis]
        high[axis] = points[start, axis]
    for point in range(start + 1, end):
        for axis in range(3):
            low[axis] = min(low[axis], points[point, axis])
            high[axis] = max(high[axis], points[point, axis])
    count = 0
    for site in range(sites.shape[0]):
        inside = True
        for axis in range(3):
            if sites[site, axis] < low[axis] - reach or sites[site, axis] > high[axis] + reach:
                inside = False
        if inside:
            nearby[count] = site
            count += 1
    return count


def cover_block(points, sites, tests, point_rad, site_rad, limit_km, population, eligible,
                keys):
    """A block of coverage in one compiled pass (two: count, then fill; faster than arrays
    that grow, measured): the tiles of :func:`siteopt.geometry.coverage_pairs` (tests of
    :func:`siteopt.geometry.dot_tests`, the haversine distance in the band around R), each
    point's people added to every site within R, and each point's covering set among the
    eligible sites, keyed as :meth:`siteopt.coverage.CoverSets.key` keys it.

    Parameters
    ----------
    points, sites : ndarray, shape (n, 3)
        Unit vectors.
    tests : DotTests
    point_rad, site_rad : ndarray, shape (n, 3)
        Latitude, longitude (radians) and the cosine of the latitude.
    limit_km : float
        R plus the tolerance, km.
    population : ndarray
        People per point.
    eligible : ndarray of bool
        Per site.
    keys : ndarray of uint64, shape (2, n_sites)

    Returns
    -------
    site_index : int32 array
        The eligible covering sites, point after point, each point's sorted.
    lengths : int64 array
        Per point: how many.
    first, second : uint64 arrays
        Per point: the two halves of its set's key (sums modulo 2^64).
    people : float array
        Per site: the people within R (eligible or not).
    """
    args = (points, sites, tests.step, tests.least_dot, tests.sure_dot, tests.reach, point_rad,
            site_rad, limit_km, population, eligible, keys)
    lengths = np.zeros(len(points), np.int64)
    first = np.zeros(len(points), np.uint64)
    second = np.zeros(len(points), np.uint64)
    people = np.zeros(len(sites))
    total = _scan_block(*args, np.empty(0, np.int32), lengths, first, second, people, False)
    site_index = np.empty(total, np.int32)
    _scan_block(*args, site_index, lengths, first, second, people, True)
    return site_index, lengths, first, second, people


@_compiled
def _scan_block(points, sites, step, least_dot, sure_dot, reach, point_rad, site_rad,
                limit_km, population, eligible, keys, site_index, lengths, first, second,
                people, fill):
    """Count the eligible pairs of :func:`cover_block`; with ``fill``, also write them and
    the per-point and per-site results."""
    nearby = np.empty(sites.shape[0], np.int64)
    pair = 0
    for start in range(0, points.shape[0], step):
        end = min(start + step, points.shape[0])
        n_near = _nearby_sites(points, start, end, sites, reach, nearby)
        for point in range(start, end):
            for k in range(n_near):
                site = nearby[k]
                dot = (points[point, 0] * sites[site, 0] + points[point, 1] * sites[site, 1]
                       + points[point, 2] * sites[site, 2])
                if dot < least_dot:
                    continue
                if dot < sure_dot and _haversine(point_rad, point, site_rad, site) > limit_km:
                    continue
                if fill:
                    people[site] += population[point]
                if not eligible[site]:
                    continue
                if fill:
                    site_index[pair] = site
                    lengths[point] += 1
                    first[point] += keys[0, site]
                    second[point] += keys[1, site]
                pair += 1
    return pair


@_compiled
def _haversine(point_rad, point, site_rad, site):
    """Great-circle distance (km) from a point to a site, by the formula of
    :func:`siteopt.geometry.haversine_km` (latitude, longitude and cos(latitude) given)."""
    half_lat = math.sin((site_rad[site, 0] - point_rad[point, 0]) / 2)
    half_lon = math.sin((site_rad[site, 1] - point_rad[point, 1]) / 2)
    a = half_lat * half_lat + point_rad[point, 2] * site_rad[site, 2] * (half_lon * half_lon)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


@_compiled
def gather_runs(values, starts, lengths):
    """``values[starts[0]:starts[0] + lengths[0]]``, then the next run, ..., in one array."""
    out = np.empty(lengths.sum(), values.dtype)
    position = 0
    for run in range(starts.shape[0]):
        for k in range(lengths[run]):
            out[position + k] = values[starts[run] + k]
        position += lengths[run]
    return out


@_compiled
def sets_match(flat_sets, set_offsets, point_group, starts, lengths, site_index):
    """Whether every point's sites (``site_index[starts[p]:starts[p] + lengths[p]]``) are its
    group's set, site by site (the sizes already known to be equal)."""
    for point in range(point_group.shape[0]):
        offset = set_offsets[point_group[point]]
        start = starts[point]
        for k in range(lengths[point]):
            if flat_sets[offset + k] != site_index[start + k]:
                return False
    return True


@_compiled
def pairs_within(cost, group, room, allowed):
    """Per pair of options of different groups: whether the two together cost more than
    ``room`` in at most ``allowed`` draws (a chance constraint's pair check; False within a
    group). Each pair once (the result is symmetric), each stopping at the first draw too
    many; the sum of two costs is NumPy's, bit for bit.

    Parameters
    ----------
    cost : float array, shape (options, draws)
        Each option's cost in each draw, EUR.
    group : int array
        Each option's search group.
    room : float array
        Per draw, what the pair may cost, EUR.
    allowed : int

    Returns
    -------
    bool array, shape (options, options)
    """
    n, draws = cost.shape
    fits = np.zeros((n, n), np.bool_)
    for a in range(n):
        for b in range(a + 1, n):
            if group[a] == group[b]:
                continue
            over = 0
            for i in range(draws):
                if cost[a, i] + cost[b, i] > room[i]:
                    over += 1
                    if over > allowed:
                        break
            if over <= allowed:
                fits[a, b] = True
                fits[b, a] = True
    return fits


@_compiled
def fitting_rests(bracket, fits, position, take):
    """Per row of ``bracket`` and option as a child: the sum of the ``take`` largest positive
    group maxima of ``bracket`` over the options of later groups that fit with the child: a
    bound on the child's completions under a chance constraint (see
    :meth:`siteopt.solvers.search._Search.expand`), read without a (row, child, option)
    array. The largest are added largest first.

    Parameters
    ----------
    bracket : float array, shape (rows, options)
    fits : bool array, shape (options, options)
        ``fits[c, o]``: option o fits with child c.
    position : int array
        Each option's group, ascending.
    take : int

    Returns
    -------
    float array, shape (rows, options)
    """
    rows, n = bracket.shape
    rest = np.zeros((rows, n))
    top = np.zeros(max(take, 1))
    for child in range(n):
        first = child
        while first < n and position[first] <= position[child]:
            first += 1
        for row in range(rows):
            kept = 0   # the largest group maxima so far, in top[:kept], largest first
            option = first
            while option < n:
                group = position[option]
                largest = 0.0
                while option < n and position[option] == group:
                    if fits[child, option] and bracket[row, option] > largest:
                        largest = bracket[row, option]
                    option += 1
                if largest <= 0.0 or (kept == take and largest <= top[kept - 1]):
                    continue
                at = kept if kept < take else take - 1
                while at > 0 and top[at - 1] < largest:
                    top[at] = top[at - 1]
                    at -= 1
                top[at] = largest
                if kept < take:
                    kept += 1
            total = 0.0
            for k in range(kept):
                total += top[k]
            rest[row, child] = total
    return rest


@_compiled
def completions_fall_short(bracket, fits, position, cost, room, allowed, children, take,
                           target, tries):
    """Per child: whether on some row of ``bracket`` no completion reaches its ``target``,
    the chance constraint checked draw by draw on whole sets (a tighter bound than
    :func:`fitting_rests`, which checks the child with one option at a time).

    A completion of child c is a set of at most ``take`` options of later groups than c's, one
    per group, that together with c cost more than ``room`` in at most ``allowed`` draws; its
    value on row r is the sum of its ``bracket[r]``. The sets are searched depth first, each
    row's options largest bracket first, a branch dropped as soon as its best possible sum
    (its next largest brackets) falls short or it is over in too many draws (adding options
    only adds cost). After ``tries`` sets checked against the draws, a row counts as reached.

    Parameters
    ----------
    bracket : float array, shape (rows, options)
    fits : bool array, shape (options, options)
        ``fits[a, b]``: a and b fit together (:func:`pairs_within`).
    position : int array
        Each option's group, ascending.
    cost : float array, shape (options, draws)
        Each option's cost in each draw, EUR.
    room : float array
        Per draw, what the child and its completion may cost, EUR.
    allowed : int
        How many draws may be over ``room``.
    children : int array
        The options to check as children.
    take : int
    target : float array, shape (rows, children)
        The sum a completion must reach on each row for the child to be kept.
    tries : int

    Returns
    -------
    bool array, one per child: True where some row's target is out of reach.
    """
    rows, n = bracket.shape
    draws = cost.shape[1]
    short = np.zeros(children.shape[0], np.bool_)
    candidates = np.empty(n, np.int64)
    best_from = np.zeros(n + 1)
    path = np.empty(take, np.int64)
    next_index = np.empty(take + 1, np.int64)
    path_sum = np.zeros(take + 1)
    row_order = np.empty((rows, n), np.int64)
    for row in range(rows):
        row_order[row] = np.argsort(-bracket[row])
    for k in range(children.shape[0]):
        child = children[k]
        for row in range(rows):
            goal = target[row, k]
            if goal <= 0.0:   # the empty completion reaches it
                continue
            m = 0
            for at in range(n):
                option = row_order[row, at]
                if bracket[row, option] <= 0.0:
                    break
                if position[option] > position[child] and fits[child, option]:
                    candidates[m] = option
                    m += 1
            for at in range(m - 1, -1, -1):   # best_from[j]: sum of candidates j, j+1, ...
                best_from[at] = best_from[at + 1] + bracket[row, candidates[at]]
            best_from[m] = 0.0
            reached = False
            checked = 0
            depth = 0
            next_index[0] = 0
            while depth >= 0 and not reached:
                at = next_index[depth]
                places = take - depth
                if at >= m or path_sum[depth] + best_from[at] - best_from[
                        min(m, at + places)] < goal:
                    depth -= 1   # and every later candidate, smaller, falls short too
                    continue
                next_index[depth] = at + 1
                option = candidates[at]
                fitting = True
                for d in range(depth):
                    if position[path[d]] == position[option] or not fits[path[d], option]:
                        fitting = False
                        break
                if not fitting:
                    continue
                checked += 1
                if checked > tries:
                    reached = True   # gives up: the row may be reached
                    break
                over = 0
                for i in range(draws):
                    total = cost[child, i] + cost[option, i]
                    for d in range(depth):
                        total += cost[path[d], i]
                    if total > room[i]:
                        over += 1
                        if over > allowed:
                            break
                if over > allowed:
                    continue
                value = path_sum[depth] + bracket[row, option]
                if value >= goal:
                    reached = True
                elif depth + 1 < take:
                    path[depth] = option
                    path_sum[depth + 1] = value
                    next_index[depth + 1] = at + 1
                    depth += 1
            if not reached:
                short[k] = True
                break
    return short


@_compiled
def _level_gain(km, latency_weight, reference_km, coverage_weight, radius_km, decay):
    """What a point at ``km`` from its nearest member adds per unit of people share: the
    latency term's :math:`(D - \\min(n, D)) / D` and gradual coverage's :math:`f(n)`
    (``decay`` 1 linear, 2 exponential, 0 none), weighted; 0 at an infinite distance."""
    gain = 0.0
    if km < reference_km:
        gain += latency_weight * (reference_km - km) / reference_km
    if decay == 1 and km < radius_km:
        gain += coverage_weight * (1.0 - km / radius_km)
    elif decay == 2:
        gain += coverage_weight * math.exp(-km / radius_km)
    return gain


@_compiled
def _chord_squared(a, i, b, j):
    """Squared straight-line distance between unit vectors ``a[i]`` and ``b[j]``."""
    x = a[i, 0] - b[j, 0]
    y = a[i, 1] - b[j, 1]
    z = a[i, 2] - b[j, 2]
    return x * x + y * y + z * z


@_compiled
def _chord_km(squared):
    """Great-circle km of a squared chord on the unit sphere (inf stays inf)."""
    if squared == np.inf:
        return np.inf
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(squared) / 2.0))


@numba.njit(cache=True, nogil=True, parallel=True)
def level_cuts(points, share, cell_start, block_cell_start, cell_centre, cell_radius, wanted,
               sites, support, support_y, columns, shape, cutoff_squared):
    """The Benders cut of the latency term and gradual coverage over every block of points
    at a (possibly fractional) point ``y`` of the sites, from distances (no level rows).

    For point d let :math:`L^*` be the distance at which the sites nearest d first hold
    :math:`\\sum y \\ge 1` (infinite if they never do) and g the weighted gain
    (:func:`_level_gain`): the point's value is :math:`a_d g(L^*) + \\sum_{s: c_{ds} < L^*}
    a_d (g(c_{ds}) - g(L^*)) y_s`, a cut valid for every y in [0, 1] and tight at this one
    (García, Labbé and Marín 2011; the level rows of :mod:`siteopt.model.access_rows` give
    the same numbers). Blocks run in parallel; within one the points are read in order, so
    the sums do not depend on the number of threads.

    Parameters
    ----------
    points : float array (n, 3)
        Unit vectors of the points, ordered by cell, cells by block.
    share : float array (n,)
        Each point's share of all people.
    cell_start, block_cell_start : int64 arrays
        Offsets: the points of each cell, the cells of each block.
    cell_centre : float array (cells, 3)
    cell_radius : float array (cells,)
        The largest chord from the centre to a point of the cell.
    wanted : bool array (blocks,)
        The blocks to compute (the others come back 0).
    sites : float array (sites, 3)
        Unit vectors of every site.
    support, support_y : arrays
        The sites with y > 0 and their y.
    columns : int64 array
        The sites whose coefficients are wanted (none: values only).
    shape : float array
        latency weight, D km, coverage weight, R km, decay code (see :func:`_level_gain`).
    cutoff_squared : float
        Squared chord of the distance beyond which g is 0 (inf: never).

    Returns
    -------
    constants, values : float arrays (blocks,)
        Per block, :math:`\\sum_d a_d g(L^*)` and the value at ``y``.
    coefficients : float array (blocks, columns)
    """
    n_blocks = block_cell_start.shape[0] - 1
    constants = np.zeros(n_blocks)
    values = np.zeros(n_blocks)
    coefficients = np.zeros((n_blocks, columns.shape[0]))
    latency_weight, reference_km, coverage_weight, radius_km = shape[0], shape[1], shape[2], \
        shape[3]
    decay = int(shape[4])
    integral = True
    for j in range(support.shape[0]):
        if support_y[j] < 1.0 - 1e-9:
            integral = False
    for block in numba.prange(n_blocks):
        if not wanted[block]:
            continue
        from_centre = np.empty(support.shape[0])
        nearby = np.empty(support.shape[0], np.int64)
        squared = np.empty(support.shape[0])
        near = np.empty(columns.shape[0], np.int64)
        for cell in range(block_cell_start[block], block_cell_start[block + 1]):
            start, end = cell_start[cell], cell_start[cell + 1]
            # the support sites that can be nearer to a point of the cell than its L*: L* is
            # at most the centre's plus the cell radius (chords obey the triangle inequality)
            for j in range(support.shape[0]):
                from_centre[j] = math.sqrt(_chord_squared(cell_centre, cell, sites, support[j]))
            held, centre_full = 0.0, np.inf
            for j in np.argsort(from_centre):
                held += support_y[j]
                if held >= 1.0 - 1e-9:
                    centre_full = from_centre[j]
                    break
            n_nearby = 0
            for j in range(support.shape[0]):
                if from_centre[j] < centre_full + 2.0 * cell_radius[cell] + 1e-9:
                    nearby[n_nearby] = j
                    n_nearby += 1
            limit = np.empty(end - start)
            floor = np.empty(end - start)
            widest = 0.0
            for d in range(start, end):
                for t in range(n_nearby):
                    squared[t] = _chord_squared(points, d, sites, support[nearby[t]])
                full = np.inf   # squared chord at which the nearest sites first hold y >= 1
                if integral:
                    for t in range(n_nearby):
                        full = min(full, squared[t])
                else:
                    held = 0.0
                    for t in np.argsort(squared[:n_nearby]):
                        held += support_y[nearby[t]]
                        if held >= 1.0 - 1e-9:
                            full = squared[t]
                            break
                gain = _level_gain(_chord_km(full), latency_weight, reference_km,
                                   coverage_weight, radius_km, decay)
                value = share[d] * gain
                constants[block] += value
                for t in range(n_nearby):
                    if squared[t] < full:
                        value += support_y[nearby[t]] * share[d] * (_level_gain(
                            _chord_km(squared[t]), latency_weight, reference_km,
                            coverage_weight, radius_km, decay) - gain)
                values[block] += value
                limit[d - start] = min(full, cutoff_squared)
                floor[d - start] = gain
                widest = max(widest, limit[d - start])
            if columns.shape[0] == 0:
                continue
            # the sites that can be nearer than some point's L*: within reach of the centre
            reach = math.sqrt(widest) + cell_radius[cell] + 1e-9
            n_near = 0
            for k in range(columns.shape[0]):
                if _chord_squared(cell_centre, cell, sites, columns[k]) < reach * reach:
                    near[n_near] = k
                    n_near += 1
            for d in range(start, end):
                bound = limit[d - start]
                for t in range(n_near):
                    k = near[t]
                    q = _chord_squared(points, d, sites, columns[k])
                    if q < bound:
                        coefficients[block, k] += share[d] * (_level_gain(
                            _chord_km(q), latency_weight, reference_km, coverage_weight,
                            radius_km, decay) - floor[d - start])
    return constants, values, coefficients


@_compiled
def least_block_shares(count, part, bounds, column_block, complete):
    """Per row of ``count`` and per block of points: the least share of a member state's
    people within R of a gigafactory, over the block's member states (F of one draw in the
    robust choice's search, :meth:`~siteopt.solvers.search_access.AccessOptions.least_shares`).
    Each state's share is summed in point order.

    Parameters
    ----------
    count : int array, shape (rows, points)
        Per row (a branch state) and point: how many gigafactories have a member within R.
        The points come in order of (block, member state).
    part : float array
        Each point's share of its member state's people.
    bounds : int64 array
        The points of (block, state) column c are ``bounds[c]`` to ``bounds[c + 1] - 1``.
    column_block : int64 array
        The block of each column.
    complete : bool array
        Per block: whether every member state has points in it (else its least share is 0).

    Returns
    -------
    float array, shape (rows, blocks)
    """
    rows, n_blocks = count.shape[0], complete.shape[0]
    least = np.empty((rows, n_blocks))
    for row in range(rows):
        for block in range(n_blocks):
            least[row, block] = np.inf if complete[block] else 0.0
    # the rows side by side: each row's sum is its own chain of additions, in point order,
    # so the rows' additions overlap (a branch-free add of 0.0 keeps each sum's bits; 60 rows
    # of 70,000 points: 2.7 ms against 19.5 ms a row at a time)
    total = np.zeros(rows)
    for column in range(column_block.shape[0]):
        total[:] = 0.0
        for point in range(bounds[column], bounds[column + 1]):
            share = part[point]
            for row in range(rows):
                total[row] += share * (count[row, point] >= 1)
        block = column_block[column]
        for row in range(rows):
            if total[row] < least[row, block]:
                least[row, block] = total[row]
    return least
