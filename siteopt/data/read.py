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

from siteopt.data.schema import header_below
from siteopt.errors import Problem
from siteopt.sanitize import quoted

#: Separators recognised in a header line, most likely first.
SEPARATORS = (",", ";", "\t")
#: What a table with a header and nothing below it is told (a file or a sheet).
NO_ROWS = ("has a header but no rows; add its records below the header, one per row (siteopt "
           "init DIR writes a filled-in copy to start from)")


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


def read_csv_table(raw: bytes | None, display: str, may_be_empty: bool = False,
                   file_name: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV file into a frame of stripped strings.

    Parameters
    ----------
    raw : bytes or None
        The file's bytes (read once, also for its hash), None when it is missing.
    display : str
        How to name the file in messages.
    may_be_empty : bool
        Whether a header without rows is a valid table (letters, AI Factories).
    file_name : str, optional
        Which data file it is (``sites.csv``): a title line above its header is then named.

    Returns
    -------
    frame : DataFrame or None
        All columns as ``str``, stripped; its index is the line each record begins on (the
        header is line 1; a quoted value may span lines, and blank records are left out).
    problems : list of Problem
    """
    text, problems = read_text(raw, display)
    if text is None:
        return None, problems
    header = text.splitlines()[0]
    if not header.strip():
        return None, [Problem(display, "line 1 is blank; the first line must be the header "
                                       "with the column names")]
    separator = _detect_separator(header)
    names = [name.strip() for name in next(csv.reader([header], delimiter=separator))]
    while len(names) > 1 and not names[-1]:   # a spreadsheet's unnamed columns at the end
        names.pop()
    records, lines, problems = _records(text, separator, display)
    if problems:
        return None, problems
    below = header_below(names, zip(lines, records), file_name, "line") if file_name else None
    if below is not None:   # a title above the table
        return None, [Problem(display, below, row=1)]
    if "" in names:
        return None, [Problem(display, f"the header's column {names.index('') + 1} has no "
                                       f"name; give every column a name or delete it")]
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        def columns(name):
            numbers = [str(i + 1) for i, n in enumerate(names) if n == name]
            return f"{', '.join(numbers[:-1])} and {numbers[-1]}"

        where = ", ".join(f"{quoted(name)} (columns {columns(name)})" for name in repeated)
        return None, [Problem(display, f"the header names a column twice: {where}; keep one "
                                       f"column of each name")]
    width = len(names)
    for i, record in enumerate(records):   # fields past the header's must be empty
        extra = [k for k in range(width, len(record)) if record[k].strip()]
        if extra:
            value = " ".join(record[extra[0]].split())[:60]
            return None, [Problem(display, f"has a value past the header's {width} named "
                                           f"columns ({quoted(value)} in field {extra[0] + 1}); "
                                           f"check the quoting, or name its column in the header",
                                  row=lines[i])]
        del record[width:]
    if not records and not may_be_empty:
        return None, [Problem(display, NO_ROWS)]
    for record in records:   # a short record ends with empty fields
        record += [""] * (width - len(record))
    columns = zip(*records) if records else [()] * width
    frame = pd.DataFrame({name: pd.Series([cell.strip() for cell in cells], dtype=object)
                          for name, cells in zip(names, columns)})
    frame.index = pd.Index(lines, dtype="int64")
    return frame, []


def _records(text: str, separator: str,
             display: str) -> tuple[list[list[str]], list[int], list[Problem]]:
    """The records after the header, the line each begins on, and a problem if the text is
    not CSV from some line on.

    Lines end at LF, CRLF or CR (classic Mac); a line break inside a quoted value stays in it,
    so a record may span several lines. Records with no text (a blank line, or only
    separators, as spreadsheets write rows they once formatted) hold no data and are dropped.
    Quoting is read strictly: a quote left open, or text after a closing quote, is refused.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records, lines, ended = [], [], 0
    try:
        for cells in reader:
            if ended and "".join(cells).strip():
                records.append(cells)
                lines.append(ended + 1)
            ended = reader.line_num
    except csv.Error as err:
        detail = " ".join(str(err).split())
        if detail == "unexpected end of data":   # the csv module's words for it
            detail = "a quote opened on this line is never closed"
        return [], [], [Problem(display, f"cannot be read as CSV ({detail}); check the quoting "
                                         f"and that every line has as many fields as the "
                                         f"header", row=ended + 1)]
    return records, lines, []
