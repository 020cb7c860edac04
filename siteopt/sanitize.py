"""Values from data files made harmless where they leave siteopt: spreadsheets, terminals and
figures.

Data files come from outside. A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is run as a formula by spreadsheet programs when a CSV file is opened; escape
sequences in a name would be obeyed by the terminal that prints it (and are missing glyphs in a
figure). Numbers stay numbers.

>>> spreadsheet_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> spreadsheet_cell(-3.5)
-3.5
>>> printable_text("Lyon\\x1b[2J\\x07 hub")
'Lyon[2J hub'
"""

from __future__ import annotations

import re

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Control characters a terminal may act on (C0 but newline, DEL, C1), tab included.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def spreadsheet_cell(value):
    """A cell value that a spreadsheet shows as text: a leading ``'`` before a formula start."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def printable_text(text: str) -> str:
    """``text`` without control characters (a terminal would obey them; fonts have no glyphs
    for them), newlines kept."""
    return CONTROL.sub("", text)


def quoted(value) -> str:
    r"""A value from a data file as a message shows it: quoted, with every character a reader
    cannot see written as its code (a byte-order mark, a no-break or zero-width space, a
    direction mark, a control character), so that an ID that looks right yet is refused says
    why.

    >>> quoted("\ufeffES-MLN"), quoted("200\xa0MW")
    ("'\\ufeffES-MLN'", "'200\\u00a0MW'")
    """
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in str(value))
    return f"'{shown}'"


def error_lines(error: Exception) -> list[str]:
    """The ``error: ...`` lines the command line prints for ``error`` (the explorer shows the
    same), each printable."""
    return [f"error: {printable_text(line)}" for line in str(error).splitlines()]
