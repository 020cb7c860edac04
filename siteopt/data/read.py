"""Read one data file into a frame of strings, tolerating common spreadsheet exports.

A byte-order mark, CRLF line ends and ``;`` or tab separators are read correctly; anything
else that is not a CSV table becomes a :class:`~siteopt.errors.Problem`. Numbers are read
(decimal commas, thousands separators) by :mod:`siteopt.data.numbers`, and types and ranges
checked, in :mod:`siteopt.data.checks`.
"""

from __future__ import annotations

import csv
import io
import pandas as pd

from siteopt.errors import Problem

#: Separators recognised in a header line, most likely first.
SEPARATORS = (",", ";", "\t")


def _detect_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def read_text(raw: bytes | None, display: str) -> tuple[str | None, list[Problem]]:
    """A file's text from its bytes (None: the file is missing), or a problem saying why it
    cannot be read."""
    if raw is None:
        return None, [Problem(display, "file not found; every data directory needs it "
                                       "(siteopt init --empty DIR writes a template)")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        return None, [Problem(display, f"is not UTF-8 text (byte {err.start}); save it as "
                                       f"'CSV UTF-8' or convert it with iconv")]
    if not text.strip():
        return None, [Problem(display, "file is empty; it needs a header line and one row "
                                       "per record (siteopt init --empty DIR writes a template)")]
    return text, []


def read_csv_table(raw: bytes | None, display: str,
                   may_be_empty: bool = False) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV file into a frame of stripped strings.

    Parameters
    ----------
    raw : bytes or None
        The file's bytes (read once, also for its hash), None when it is missing.
    display : str
        How to name the file in messages.
    may_be_empty : bool
        Whether a header without rows is a valid table (letters, AI Factories).

    Returns
    -------
    frame : DataFrame or None
        All columns as ``str``; row ``i`` is line ``i + 2`` of the file.
    problems : list of Problem
    """
    text, problems = read_text(raw, display)
    if text is None:
        return None, problems
    header = text.splitlines()[0]
    separator = _detect_separator(header)
    names = [name.strip() for name in next(csv.reader([header], delimiter=separator))]
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        def columns(name):
            numbers = [str(i + 1) for i, n in enumerate(names) if n == name]
            return f"{', '.join(numbers[:-1])} and {numbers[-1]}"

        where = ", ".join(f"'{name}' (columns {columns(name)})" for name in repeated)
        return None, [Problem(display, f"the header names a column twice: {where}; keep one "
                                       f"column of each name")]
    if "\n" not in text:  # classic Mac line ends
        text = text.replace("\r", "\n")
    try:
        # lines end at LF only: a CR inside a quoted value stays in it, and the CR of a CRLF
        # line end is stripped with the other surrounding white space below
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                            na_filter=False, quoting=csv.QUOTE_MINIMAL, engine="c",
                            lineterminator="\n")
    except (pd.errors.ParserError, csv.Error) as err:
        detail = " ".join(str(err).split())
        return None, [Problem(display, f"cannot be read as CSV ({detail}); check the quoting "
                                       f"and that every line has as many fields as the header")]
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty and not may_be_empty:
        return None, [Problem(display, "has a header but no rows")]
    return frame.apply(lambda s: s.str.strip()), []
