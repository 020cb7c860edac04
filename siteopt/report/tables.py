"""Plain-text tables for the terminal, rendered with rich."""

from __future__ import annotations

import io
import math
import re
import textwrap
from numbers import Number

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from siteopt.sanitize import printable_text

#: Width used when the output is not a terminal (files, pipes, tests).
DEFAULT_WIDTH = 120
#: Cells up to this many characters (IDs, numbers, "EUR 2.77 bn") are kept on one line.
SHORT_CELL = 14
#: An amount with its unit ("EUR 20.00 bn", "3,150 MW", "357.4 m", "95 %"): text and table
#: cells are never broken inside one ("EUR 20.00" at the end of a line, "bn" on the next).
AMOUNT = re.compile(r"\bEUR [\d.,]+(?: (?:bn|m))?|\b\d[\d.,]* (?:bn|m|MW|GW|km|kt|ms|y)\b"
                    r"|\b\d[\d.,]* %")
#: Holds an amount's spaces while a paragraph or table is laid out: a blank that neither
#: textwrap nor rich breaks at (U+2800), a space again in the text they return.
HELD_SPACE = "\u2800"


def _held(text: str) -> str:
    """``text`` with the spaces inside each :data:`AMOUNT` held (:data:`HELD_SPACE`)."""
    return AMOUNT.sub(lambda amount: amount.group(0).replace(" ", HELD_SPACE), text)


def terminal_width() -> int:
    """The width to render for, at least 80 characters: ``COLUMNS`` when it is set to a
    number (``COLUMNS=100 siteopt solve > answer.txt``), else the terminal's when stdout is
    one, else :data:`DEFAULT_WIDTH`."""
    import os
    import shutil
    import sys

    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit():
        return max(80, int(columns))
    if not sys.stdout.isatty():
        return DEFAULT_WIDTH
    return max(80, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def fill(text: str, width: int | None = None, **options) -> str:
    """A paragraph wrapped at ``width`` characters (default :data:`DEFAULT_WIDTH`), never
    inside a hyphenated ID (``PL-POZ``, not ``PL-`` / ``POZ``) or an amount (``EUR 20.00
    bn``); ``options`` as for :func:`textwrap.fill` (indents)."""
    return "\n".join(wrap(text, width, **options))


def wrap(text: str, width: int | None = None, **options) -> list[str]:
    """:func:`fill`'s lines."""
    return [line.replace(HELD_SPACE, " ") for line in
            textwrap.wrap(_held(text), width or DEFAULT_WIDTH, break_on_hyphens=False,
                          **options)]


def cell_text(value, fmt: str | None = None) -> str:
    """A table cell as text: empty for a missing value (None, NaN), else formatted with
    ``fmt`` if given."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format(value, fmt) if fmt else str(value)


def render_table(frame, title: str | None = None,
                 formats: dict[str, str] | None = None, width: int | None = None,
                 optional: tuple[str, ...] = (), repeat: int = 1) -> str:
    """Render a table as boxed text.

    Parameters
    ----------
    frame : DataFrame or dict
        Rows to show: a pandas DataFrame (the index is not shown), or a dict of column name
        -> list of values (for commands that need no pandas).
    title : str, optional
        Line above the table.
    formats : dict, optional
        Column -> format spec, e.g. ``{"capex_eur": ",.0f"}``; numeric columns (every value a
        number or missing) are right-aligned.
    width : int, optional
        Characters per line; default :data:`DEFAULT_WIDTH`.
    optional : tuple of str
        Columns left out, last first, while the table would not fit ``width`` with every short
        value on one line (the JSON and CSV outputs keep them all).
    repeat : int
        How many leading columns say what a row is (a sweep's keys): where the columns do
        not fit the line, the rest come in turns, each beside these.

    Returns
    -------
    str
    """
    formats = formats or {}
    width = width or DEFAULT_WIDTH
    names = list(frame.keys()) if isinstance(frame, dict) else list(frame.columns)
    columns = [list(frame[name]) for name in names]
    numeric = [_numeric(values) for values in columns]
    rows = [[_held(cell_text(value, formats.get(name))) for name, value in zip(names, row)]
            for row in zip(*columns)]
    cells_needed = [min(SHORT_CELL, max([len(cells[index]) for cells in rows], default=0))
                    for index in range(len(names))]
    headers = [str(name) for name in names]
    if sum(max(needed, len(header)) + 3
           for needed, header in zip(cells_needed, headers)) > width:
        headers = [_header(header) for header in headers]   # long dotted keys over two lines
    needed = [max([cells] + [len(word) for word in header.split()])
              for cells, header in zip(cells_needed, headers)]
    # where the text will not fit on one line, a column of numbers under a long name gives
    # way first: its name over two lines rather than the other columns' text over several
    crowded = sum(max([len(header)] + [len(cells[index]) for cells in rows]) + 3
                  for index, header in enumerate(headers)) > width
    widest = [max(needed[i], _two_lines(headers[i])) if crowded and numeric[i] else None
              for i in range(len(names))]

    def table(shown: list[int], lines=rows) -> Table:
        laid = Table(box=box.SIMPLE_HEAVY, pad_edge=False)
        for index in shown:
            # short values (IDs, numbers, amounts) and header words are never cut; long
            # text folds
            laid.add_column(headers[index], justify="right" if numeric[index] else "left",
                            overflow="fold", min_width=needed[index], max_width=widest[index])
        for cells in lines:
            laid.add_row(*[cells[index] for index in shown])
        return laid

    # the rows that set the columns' widths: each column's longest cell and longest word
    widths_set_by = [rows[r] for r in sorted(
        {max(range(len(rows)), key=lambda r, i=i: max(map(len, rows[r][i].split("\n"))))
         for i in range(len(names))}
        | {max(range(len(rows)), key=lambda r, i=i: max(map(len, rows[r][i].split()),
                                                        default=0))
           for i in range(len(names))})] if rows else []

    def fits(shown: list[int]) -> bool:
        return _laid_width(table(shown, widths_set_by), width) <= width

    keep = list(range(len(names)))
    for name in reversed(optional):
        if fits(keep):
            break
        keep.remove(names.index(name))
    lead = keep[:repeat]
    if not fits(keep) and len(keep) > len(lead) + 1:
        # too many columns for the line even at their narrowest (rich would cut the last
        # ones short: "3,800 of 7,"): the columns in turns, each beside the leading ones
        turns: list[list[int]] = [[]]
        for index in keep[len(lead):]:
            if turns[-1] and not fits([*lead, *turns[-1], index]):
                turns.append([])
            turns[-1].append(index)
        parts = [render_table({names[i]: columns[i] for i in (*lead, *turn)},
                              formats=formats, width=width, repeat=repeat) for turn in turns]
        return (render(Text(title), width) if title is not None else "") + "".join(parts)
    # the title above, folded at the page's width (a table's own title folds at the table's)
    laid = table(keep)
    return render(laid if title is None else Group(Text(title), laid), width)


def _laid_width(table: Table, width: int) -> int:
    """How many characters the widest line of ``table`` takes when rich lays it out for
    ``width``: more where its columns cannot shrink enough, and rich would then cut the
    last ones short."""
    buffer = io.StringIO()
    _console(buffer, width).print(table, crop=False)
    return max((len(line.rstrip()) for line in buffer.getvalue().splitlines()), default=0)


def _console(buffer: io.StringIO, width: int) -> Console:
    """A console that writes plain text of ``width`` characters into ``buffer`` (also in
    Jupyter, where rich would otherwise show it apart)."""
    return Console(file=buffer, width=width, color_system=None, highlight=False,
                   soft_wrap=False, force_jupyter=False)


def _header(name: str) -> str:
    """A column's name with each long dotted model key broken after its dots
    (``limits.max_gigafactories`` over two lines, where one would be cut inside a word)."""
    return " ".join(word.replace(".", ".\n") if len(word) > SHORT_CELL else word
                    for word in name.split(" "))


def _two_lines(header: str) -> int:
    """The least width at which ``header`` takes two lines at most, broken between words."""
    words = header.split()
    return min((max(len(" ".join(words[:cut])), len(" ".join(words[cut:])))
                for cut in range(1, len(words))), default=len(header))


def _numeric(values) -> bool:
    """Whether a column holds numbers only (missing values aside; not True/False)."""
    present = [value for value in values if cell_text(value) != ""]
    return bool(present) and all(isinstance(value, Number) and not isinstance(value, bool)
                                 for value in present)


def render(renderable, width: int | None = None) -> str:
    """Any rich renderable as plain text (no colour codes)."""
    buffer = io.StringIO()
    _console(buffer, width or DEFAULT_WIDTH).print(renderable)
    text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
    return printable_text(text.replace(HELD_SPACE, " "))
