"""Numbers as spreadsheets write them: read exactly, or refused with the fix.

Excel writes a CSV file in the language of the machine it runs on. German and French Excel put
``;`` between fields and a decimal comma in numbers; with a number format that groups digits,
German Excel writes ``1.200`` for one thousand two hundred, French Excel ``1 200``; English
Excel writes ``1,200.5``. The same text can therefore mean two numbers: ``1.200`` is 1.2 where
``.`` is the decimal mark and 1,200 where it groups thousands.

Each file's decimal mark is decided from the cells that can mean one thing only, in every
numeric column of the file:

- ``46,6229``, ``0,5``, ``1.200,5`` and ``2.400.000.000`` have a decimal comma (the last two
  group thousands with ``.``, which is then not the decimal mark);
- ``46.6229``, ``0.5``, ``1,200.5`` and ``2,400,000,000`` have a decimal point;
- ``1200``, ``5e9`` and ``1 200`` (spaces or apostrophes between thousands) have no mark to
  decide.

A file with both decimal marks is refused. Then every cell is read exactly, or refused:

- a cell whose meaning does not depend on the mark is read as written (``2.400.000.000`` is
  2.4e9, ``1 200`` is 1200);
- a cell with one mark and exactly three digits after it (``1.200``, ``12,500``) reads two
  ways. It is read as a decimal number when its mark is the file's decimal mark (``1.200`` in
  a file of decimal points is 1.2), as thousands when other cells of the file group thousands
  with that mark (``1.200`` beside ``5.700.000.000`` and decimal commas is 1200), and refused
  otherwise (``1.200`` in a file of decimal commas and no grouped number: 1200 or 1.2?), also
  when the file has no decimal mark to go by;
- anything else (``45 %``, ``EUR 4.2 bn``, ``lots``) is refused.

Refusals are reported once per column, with the rows listed.

Reading is vectorised for the cells spreadsheets write most (digits with at most one mark);
the rest goes through :func:`classify`, which decides every form on its own, and a test checks
that both give the same reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siteopt.errors import Problem, listed
from siteopt.sanitize import quoted

#: Strings read as a missing value.
MISSING = frozenset({"", "nan", "NaN", "NA", "N/A", "null", "NULL", "None"})

#: Characters that group thousands besides ``.`` and ``,``: space, no-break space, narrow
#: no-break space, thin space, apostrophe and right single quotation mark (Swiss).
SPACE_GROUPS = " \u00a0\u202f\u2009'\u2019"
_GROUPED = re.compile(
    r"(?P<sign>[+-]?)(?P<lead>[1-9]\d{0,2})(?P<groups>(?P<group>[.,"
    + SPACE_GROUPS + r"])\d{3}(?:(?P=group)\d{3})*)(?:(?P<mark>[.,])(?P<fraction>\d+))?")
_SINGLE_MARK = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d*)(?P<mark>[.,])(?P<fraction>\d*)"
                          r"(?P<exponent>[eE][+-]?\d+)?")
_PLAIN = re.compile(r"[+-]?\d+(?:[eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity)", re.IGNORECASE)
#: A currency or unit written with a number, in the languages bids come in: "bn", "Mrd"
#: (German), "mld" (Italian, Polish), "Mio", "million", "MW", "GW".
_CURRENCY = re.compile(r"(?:€|\$|£|(?<![a-z])(?:EUR|bn|bln|billions?|mn|mln|millions?|Mrd|Mio|"
                       r"mld|md|M|MW|GW|kW)(?![a-z]))", re.IGNORECASE)
#: A date as a spreadsheet writes one in a number's place: 2026-01-05 (Excel's cells, read as
#: ISO dates), 05/01/2026, 05.01.2026, 1/5/26; with a time of day or not.
_DATE = re.compile(r"(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2}(\d{2})?)"
                   r"([ T]\d{1,2}:\d{2}(:\d{2})?)?")


@dataclass(frozen=True)
class Reading:
    """What one cell says.

    Attributes
    ----------
    kind : str
        ``neutral`` (the same whatever the decimal mark), ``point`` or ``comma`` (only with
        that decimal mark; the value as read with it), ``ambiguous`` (one mark, ``mark``,
        followed by exactly three digits) or ``invalid`` (not a number; ``reason`` says why).
    value : float
        The number (``neutral``, ``point``, ``comma``), or its reading with ``mark`` as the
        decimal mark (``ambiguous``); NaN for ``invalid``.
    grouped : float
        For ``ambiguous``: the reading with ``mark`` as a thousands separator.
    mark : str
        For ``ambiguous``: ``.`` or ``,``.
    separator : str
        ``.`` or ``,`` where the cell groups thousands with it (``2.400.000.000``), else empty.
    reason : str
        For ``invalid``: the fix to offer, or empty.
    """

    kind: str
    value: float = float("nan")
    grouped: float = float("nan")
    mark: str = ""
    separator: str = ""
    reason: str = ""


def _number(sign: str, whole: str, fraction: str = "", exponent: str = "") -> float:
    return float(f"{sign}{whole or '0'}.{fraction or '0'}{exponent}")


def classify(text: str) -> Reading:
    """Read one stripped, non-empty cell on its own (the decimal mark of its file unknown).

    Examples
    --------
    >>> classify("46,6229")
    Reading(kind='comma', value=46.6229, grouped=nan, mark='', separator='', reason='')
    >>> classify("2,400,000,000").kind, classify("2,400,000,000").value
    ('point', 2400000000.0)
    >>> r = classify("1.200"); r.kind, r.value, r.grouped
    ('ambiguous', 1.2, 1200.0)
    >>> classify("1 200").value
    1200.0
    """
    text = text.replace("\u2212", "-")   # the minus sign Excel may write
    if _PLAIN.fullmatch(text) or _NON_FINITE.fullmatch(text):
        return Reading("neutral", float(text))
    single = _SINGLE_MARK.fullmatch(text)
    if single and (single["whole"] or single["fraction"]):
        sign, whole, mark, fraction = single["sign"], single["whole"], single["mark"], \
            single["fraction"]
        value = _number(sign, whole, fraction, single["exponent"] or "")
        kind = "point" if mark == "." else "comma"
        if single["exponent"] or not (1 <= len(whole) <= 3 and whole[0] != "0"
                                      and len(fraction) == 3):
            return Reading(kind, value)
        return Reading("ambiguous", value, float(f"{sign}{whole}{fraction}"), mark)
    grouped = _GROUPED.fullmatch(text)
    if grouped and grouped["group"] != grouped["mark"]:
        digits = grouped["lead"] + grouped["groups"].replace(grouped["group"], "")
        value = _number(grouped["sign"], digits, grouped["fraction"] or "")
        mark = grouped["mark"] or ("," if grouped["group"] == "." else
                                   "." if grouped["group"] == "," else "")
        if not mark:
            return Reading("neutral", value)
        separator = grouped["group"] if grouped["group"] in ".," else ""
        return Reading("point" if mark == "." else "comma", value, separator=separator)
    return Reading("invalid", reason=_invalid_reason(text))


def _invalid_reason(text: str) -> str:
    if text.endswith("%"):
        return "write a share as a fraction (0.45 for 45 %)"
    if _DATE.fullmatch(text):
        return ("a date in a number's place: the spreadsheet may have formatted the cells as "
                "dates; format them as numbers and type the values again")
    if _CURRENCY.search(text):
        return "write the number alone, without a currency or unit (4.2e9 for EUR 4.2 bn)"
    return ""


@dataclass(frozen=True)
class ColumnReading:
    """Every cell of one column, read on its own.

    Attributes
    ----------
    kind : ndarray of str
        :attr:`Reading.kind` per cell (``missing`` where the cell is empty).
    value, grouped : ndarray of float
        :attr:`Reading.value` and :attr:`Reading.grouped` per cell.
    mark, separator : ndarray of str
        :attr:`Reading.mark` and :attr:`Reading.separator` per cell.
    reason : dict
        Position -> :attr:`Reading.reason` of the invalid cells that have one.
    """

    kind: np.ndarray
    value: np.ndarray
    grouped: np.ndarray
    mark: np.ndarray
    separator: np.ndarray
    reason: dict


_DOT, _COMMA, _ZERO = ord("."), ord(","), ord("0")
#: The characters of a cell the vectorised reading takes (after ',' became '.').
_FAST_CODES = np.array([ord(c) for c in "0123456789+-.eE"], dtype=np.uint32)


def read_column(values: np.ndarray, missing: np.ndarray) -> ColumnReading:
    """:func:`classify` every cell of a column; the cells that are digits with at most one
    ``.`` or ``,`` (nearly all in practice) without a Python call per cell.

    Parameters
    ----------
    values : ndarray of str
        The stripped cells.
    missing : ndarray of bool
        Empty cells (not read).
    """
    size = len(values)
    kind = np.full(size, "missing", dtype="U9")
    value = np.full(size, np.nan)
    grouped = np.full(size, np.nan)
    mark = np.full(size, "", dtype="U1")
    separator = np.full(size, "", dtype="U1")
    text = np.asarray(values, dtype=str)
    todo = ~missing
    width = text.dtype.itemsize // 4
    if size and width:
        # one row of code points per cell (0 after its end): every test below is a comparison
        codes = text.view(np.uint32).reshape(size, width)
        dots, commas = (codes == _DOT).sum(axis=1), (codes == _COMMA).sum(axis=1)
        candidates = todo & (dots + commas <= 1) & (codes[:, 0] != 0)
        at = np.flatnonzero(candidates)
        cells = codes[at]
        has_mark = (dots[at] + commas[at]) == 1
        symbol = np.where(commas[at] == 1, ",", ".")
        cells[cells == _COMMA] = _DOT
        numbers = pd.to_numeric(pd.Series(cells.view(text.dtype).ravel(), dtype=object),
                                errors="coerce").to_numpy(dtype=float)
        # pandas reads ASCII digits, signs, one '.' and an exponent (and 'inf'), but also lets
        # some spaces through ('+0E 0'); cells with any other character, the malformed ('1e',
        # '--1', '1 200'), other digits and 'inf' go to classify
        plain = np.all(np.isin(cells, _FAST_CODES) | (cells == 0), axis=1)
        read = np.isfinite(numbers) & plain
        at, cells, has_mark, symbol = at[read], cells[read], has_mark[read], symbol[read]
        # pandas' fast parser may miss the nearest double ('+3E81' -> 2.9999999999999996e+81);
        # NumPy's conversion of the same text is correctly rounded, as Python's float() is
        value[at] = cells.view(text.dtype).ravel().astype(float)
        length = (cells != 0).sum(axis=1)
        signed = ((cells[:, 0] == ord("+")) | (cells[:, 0] == ord("-"))).astype(int)
        exponent = np.any((cells == ord("e")) | (cells == ord("E")), axis=1)
        position = np.argmax(cells == _DOT, axis=1)
        whole = position - signed
        three = (has_mark & ~exponent & (length - position - 1 == 3) & (whole >= 1)
                 & (whole <= 3) & (cells[np.arange(len(at)), signed] != _ZERO))
        kind[at[~has_mark]] = "neutral"
        kind[at[has_mark & ~three]] = np.where(symbol[has_mark & ~three] == ",", "comma",
                                                "point")
        ambiguous = at[three]
        kind[ambiguous] = "ambiguous"
        mark[ambiguous] = symbol[three]
        # the digits without the mark: the thousands reading
        if len(ambiguous):
            digits = cells[three]
            digits = np.where(np.arange(width) >= position[three][:, None],
                              np.roll(digits, -1, axis=1), digits)
            digits[:, -1] = 0
            grouped[ambiguous] = digits.view(text.dtype).ravel().astype(float)
        todo[at] = False
    reason = {}
    for position in np.flatnonzero(todo):
        reading = classify(str(text[position]))
        kind[position], value[position], grouped[position], mark[position], \
            separator[position] = (reading.kind, reading.value, reading.grouped, reading.mark,
                                   reading.separator)
        if reading.reason:
            reason[int(position)] = reading.reason
    return ColumnReading(kind, value, grouped, mark, separator, reason)


def decimal_mark(readings: dict[str, ColumnReading]) -> tuple[str | None, dict[str, tuple],
                                                               bool]:
    """The decimal mark the file's unambiguous cells use.

    Returns
    -------
    mark : str or None
        ``.``, ``,`` or None (no cell decides, or cells decide both ways).
    evidence : dict
        ``.`` and ``,`` -> (column, position) of the first cell that uses that mark.
    grouping : bool
        Whether a cell groups thousands with the other mark (``2.400.000.000`` beside decimal
        commas), which then means thousands in every cell of the file.
    """
    evidence, grouping = {}, False
    for name, reading in readings.items():
        for symbol, kind in ((".", "point"), (",", "comma")):
            found = np.flatnonzero(reading.kind == kind)
            if len(found) and symbol not in evidence:
                evidence[symbol] = (name, int(found[0]))
        grouping |= bool(np.any(reading.separator != ""))
    mark = next(iter(evidence)) if len(evidence) == 1 else None
    return mark, evidence, grouping and mark is not None


def _rows(positions: np.ndarray, lines) -> tuple[int, ...]:
    return tuple(int(lines[p]) for p in positions)


def _listed(values: list[str]) -> str:
    return listed([quoted(value) for value in dict.fromkeys(values)])


def read_numbers(frame: pd.DataFrame, columns, display: str, lines,
                 row_kind: str) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]],
                                          list[Problem]]:
    """Read every numeric column of one file exactly, or refuse what cannot be.

    Parameters
    ----------
    frame : DataFrame
        The file's cells as stripped strings.
    columns : tuple of Column
        Its schema; the numeric columns present are read.
    display : str
        The file, as messages name it.
    lines : sequence of int
        The row number of each of the frame's rows (the line a CSV record begins on).
    row_kind : str
        ``line`` (CSV), ``feature`` (GeoJSON) or ``row`` (a spreadsheet).

    Returns
    -------
    numbers : dict
        Column name -> (values as float64 with NaN where missing or refused, mask of the
        refused cells, which have been reported).
    problems : list of Problem
        At most one per column and reason, listing its rows; one for a file that mixes both
        decimal marks.
    """
    readings, raw = {}, {}
    for column in columns:
        if column.numeric and column.name in frame:
            cells = frame[column.name].astype(str).to_numpy(dtype=object)
            missing = np.isin(cells, list(MISSING))
            readings[column.name] = read_column(cells, missing)
            raw[column.name] = cells
    mark, evidence, grouping = decimal_mark(readings)
    problems = []
    if len(evidence) == 2:
        (point_column, point_at), (comma_column, comma_at) = evidence["."], evidence[","]
        problems.append(Problem(
            display, f"mixes decimal points (column {point_column}, {row_kind} "
                     f"{lines[point_at]}: {quoted(raw[point_column][point_at])}) and decimal "
                     f"commas (column {comma_column}, {row_kind} {lines[comma_at]}: "
                     f"{quoted(raw[comma_column][comma_at])}), so its numbers cannot be read "
                     f"exactly; save it with one decimal mark throughout"))
    described = {column.name: column.description for column in columns}
    numbers = {}
    for name, reading in readings.items():
        values = reading.value.copy()
        refused = reading.kind == "invalid"
        ambiguous = reading.kind == "ambiguous"
        if len(evidence) == 2:
            refused |= np.isin(reading.kind, ["point", "comma", "ambiguous"])
        else:
            read_as_decimal = ambiguous & (reading.mark == mark)
            if grouping:   # the other mark groups thousands in this file
                read_as_thousands = ambiguous & ~read_as_decimal
                values[read_as_thousands] = reading.grouped[read_as_thousands]
            unsure = ambiguous & ~read_as_decimal & (not grouping)
            refused |= unsure
            found = np.flatnonzero(unsure)
            if len(found):
                example = raw[name][found[0]]
                grouped, decimal = reading.grouped[found[0]], reading.value[found[0]]
                context = ("decimal commas" if mark == "," else "decimal points" if mark == "."
                           else "no other decimal mark to go by")
                problems.append(Problem(
                    display, f"{_listed(list(raw[name][found]))} in a file with {context}: is "
                             f"{quoted(example)} {grouped:.0f} or {decimal:g}? Remove the "
                             f"thousands separators (format the cells as numbers without a 1000 "
                             f"separator) and save again ({described[name]})",
                    column=name, rows=_rows(found, lines), row_kind=row_kind))
        found = np.flatnonzero(reading.kind == "invalid")
        if len(found):
            shown = list(raw[name][found])
            verb = "is not a finite number" if len(found) == 1 else "are not finite numbers"
            fixes = sorted({reading.reason[p] for p in found if p in reading.reason})
            fix = f"; {'; '.join(fixes)}" if fixes else ""
            problems.append(Problem(display, f"{_listed(shown)} {verb}{fix} "
                                             f"({described[name]})", column=name,
                                    rows=_rows(found, lines), row_kind=row_kind))
        values[refused] = np.nan
        numbers[name] = (values, refused)
    return numbers, problems
