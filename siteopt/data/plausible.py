"""Figures that are valid but look like a slip of units or a pasted copy: warnings that name
the row.

A gigafactory plans hundreds of MW and about 100,000 accelerators, and its capital cost is
near the cost rule (``gpus x EUR 30,000 + MW x EUR 2.0 m``, data/README.md). A site of 1.2 MW,
130 accelerators, or a capex a hundred times the rule's is accepted (it may be meant) but said
out loud, so that ``1.2`` typed for 1,200 MW does not pass unnoticed. Rows costed by the rule
(``capex_basis = rule``) must follow it. A row equal to an earlier one in every column but its
ID (a letter pasted twice and given the next number) is accepted and said too: it would count
the same letter, site or people twice.

NumPy only: the warnings are computed from the checked columns on every load, cached or not.
"""

from __future__ import annotations

import numpy as np

from siteopt.data.schema import CAPEX_RULE_EUR_PER_GPU, CAPEX_RULE_EUR_PER_MW
from siteopt.data.table import Table
from siteopt.errors import Problem, listed
from siteopt.units import eur

#: Below this IT power or grid connection (MW) a site is unlikely to be a gigafactory site.
MIN_PLAUSIBLE_MW = 10.0
#: Below this many accelerators a site is unlikely to be a gigafactory site.
MIN_PLAUSIBLE_GPUS = 1_000
#: A capex further than this factor from the cost rule's is likely in the wrong unit.
CAPEX_RULE_FACTOR = 5.0
#: A ``capex_basis = rule`` row may differ from the rule by this much (EUR; rounding).
RULE_TOLERANCE_EUR = 1e6


def _times(ratio: float) -> str:
    """``720 times less than`` / ``12 times``."""
    return f"{1 / ratio:,.0f} times less than" if ratio < 1 else f"{ratio:,.0f} times"


def site_warnings(sites: Table, display: str, lines, row_kind: str = "line") -> list[Problem]:
    """Implausible figures in ``sites.csv``, one warning per row and column.

    Parameters
    ----------
    sites : Table
        The checked site table.
    display : str
        The file, as messages name it.
    lines : callable
        Returns the line (or Excel row) each record begins on; called only when there is
        something to say (it reads the file again).
    row_kind : str
        What its rows are called (``line`` of a CSV file, ``row`` of a sheet).

    Returns
    -------
    list of Problem
    """
    found = []   # (record, column, message)
    ids = sites["site_id"]
    for column, what in (("power_mw", "IT power"), ("grid_mw", "grid connection")):
        values = np.asarray(sites[column], dtype=float)
        found += [(i, column, f"{ids[i]} plans {values[i]:g} MW of {what}, under "
                              f"{MIN_PLAUSIBLE_MW:g} MW: gigafactory sites plan hundreds of MW; "
                              f"check the unit (MW) and the thousands separator")
                  for i in np.flatnonzero(values < MIN_PLAUSIBLE_MW)]
    if "gpus" in sites:
        gpus = np.asarray(sites["gpus"], dtype=float)
        found += [(i, "gpus", f"{ids[i]} plans {gpus[i]:,.0f} accelerators, fewer than "
                              f"{MIN_PLAUSIBLE_GPUS:,}: a gigafactory plans about 100,000; check "
                              f"the thousands separator")
                  for i in np.flatnonzero(gpus < MIN_PLAUSIBLE_GPUS)]
        capex = np.asarray(sites["capex_eur"], dtype=float)
        rule = gpus * CAPEX_RULE_EUR_PER_GPU + np.asarray(sites["power_mw"], dtype=float) \
            * CAPEX_RULE_EUR_PER_MW
        known = np.isfinite(rule) & (rule > 0)
        ratio = np.divide(capex, rule, out=np.ones_like(capex), where=known)
        basis = sites["capex_basis"] if "capex_basis" in sites else np.full(len(ids), None)
        by_rule = known & (basis == "rule")
        off_rule = by_rule & (np.abs(capex - rule) > RULE_TOLERANCE_EUR)
        far = known & ~off_rule & ((ratio > CAPEX_RULE_FACTOR) | (ratio < 1 / CAPEX_RULE_FACTOR))
        rule_text = (f"gpus x EUR {CAPEX_RULE_EUR_PER_GPU:,} + power_mw x EUR "
                     f"{CAPEX_RULE_EUR_PER_MW / 1e6:g} m")
        found += [(i, "capex_eur", f"{ids[i]} says capex_basis = rule, but its capex "
                                   f"{eur(capex[i])} is not the rule's {eur(rule[i])} "
                                   f"({rule_text}); correct the capex or its basis")
                  for i in np.flatnonzero(off_rule)]
        found += [(i, "capex_eur", f"{ids[i]}'s capex {eur(capex[i])} is {_times(ratio[i])} "
                                   f"what the cost rule gives ({eur(rule[i])}, {rule_text}); "
                                   f"check that it is in EUR (4.2e9 for EUR 4.2 bn)")
                  for i in np.flatnonzero(far)]
    if not found:
        return []
    line = lines()
    return [Problem(display, message, row=int(line[i]), column=column, row_kind=row_kind)
            for i, column, message in sorted(found, key=lambda f: (f[0], f[1]))]


def repeat_warnings(table: Table, key: str, display: str, lines,
                    row_kind: str = "line") -> list[Problem]:
    """One warning for the rows of ``table`` equal to an earlier row in every column but
    ``key`` (its ID column), naming each with the row it repeats.

    Rows are first told apart by a hash of their numeric columns (so a million population
    points cost a sort of a million numbers); only rows whose hash repeats are compared in
    full.

    Parameters
    ----------
    table : Table
        A checked table.
    key : str
        Its ID column, the one column a copy is expected to change.
    display, lines, row_kind
        As for :func:`site_warnings`.

    Returns
    -------
    list of Problem
        None, or one warning listing every repeat.
    """
    others = [name for name in table.names if name != key]
    candidates = np.arange(len(table))
    numeric = [name for name in others if not table.is_text(name)]
    if numeric and len(table) > 1:
        mixed = np.zeros(len(table), dtype=np.uint64)
        for name in numeric:
            values = np.asarray(table[name], dtype=float) + 0.0   # -0.0 as 0.0
            bits = np.where(np.isnan(values), np.nan, values).view(np.uint64)
            mixed = (mixed ^ bits) * np.uint64(0x9E3779B97F4A7C15)
        ordered = np.sort(mixed)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        candidates = np.flatnonzero(np.isin(mixed, repeated)) if len(repeated) else []
    first_with = {}
    repeats = []   # (record, the earlier record it repeats)
    for i in candidates:
        row = tuple(None if isinstance(v, float) and v != v else v
                    for v in (table[name][i] for name in others))
        if row in first_with:
            repeats.append((i, first_with[row]))
        else:
            first_with[row] = i
    if not repeats:
        return []
    line, ids = lines(), table[key]
    pairs = [f"{ids[i]} repeats {ids[j]} ({row_kind} {line[j]})" for i, j in repeats]
    one = len(repeats) == 1
    return [Problem(display, f"{listed(pairs, most=3)} in every column but {key}: "
                             f"{'a copy' if one else 'copies'}? delete {'it' if one else 'them'}, "
                             f"or correct what differs",
                    rows=tuple(int(line[i]) for i, _ in repeats), row_kind=row_kind)]
