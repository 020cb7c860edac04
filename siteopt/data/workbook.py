"""Read the tables of an Excel workbook (``--data bids.xlsx``) as the CSV reader reads files:
one frame of stripped strings per sheet, checked afterwards by the same rules.

Sheets ``sites`` and ``letters`` are required, ``demand`` and ``ai_factories`` optional (the
shipped data set's are used when missing); row 1 is the header. A number cell is written out
exactly (shortest round-trip decimal, never in a form :mod:`siteopt.data.numbers` could read
two ways), a text cell is read as written, a date as ``YYYY-MM-DD``. A formula cell is read by
the value Excel saved with it; a formula with no saved value (a workbook written by a program
that does not compute formulas) is refused, and so are merged cells in the table (Excel keeps
their value in the top-left cell only). The workbook is parsed with ``defusedxml``
guarding the XML, and one whose parts would unpack to more than :data:`MAX_UNPACKED_BYTES` is
refused before it is read.
"""

from __future__ import annotations

import datetime
import difflib
import re
import zipfile
from pathlib import Path

import numpy as np

from siteopt.data.schema import header_below
from siteopt.errors import Problem
from siteopt.sanitize import quoted

#: Sheet name -> the data file whose columns it holds.
SHEETS = {"sites": "sites.csv", "letters": "letters.csv", "demand": "demand.csv",
          "ai_factories": "ai_factories.csv"}
#: Sheets a workbook may leave out: the shipped data set's table is used instead.
OPTIONAL_SHEETS = ("demand", "ai_factories")
#: Suffixes read as a workbook by ``--data``.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: A workbook whose parts unpack to more than this is refused (a zip bomb, or not a bid list).
MAX_UNPACKED_BYTES = 500_000_000


def sheet_display(workbook: str, sheet: str) -> str:
    """How messages name a sheet: ``bids.xlsx (sheet sites)``."""
    return f"{workbook} (sheet {sheet})"


def cell_text(value) -> str:
    """A cell's value as the CSV reader would see it written out.

    Examples
    --------
    >>> [cell_text(v) for v in (None, " ES-MLN ", 2.4e9, 46.6229, 1.234, 7, True)]
    ['', 'ES-MLN', '2400000000', '46.6229', '1.2340', '7', 'TRUE']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = np.format_float_positional(value, trim="-")
        whole, _, fraction = text.partition(".")
        # "1.234" could be read as 1234 (thousands separator); "1.2340" only as 1.234
        return text + "0" if len(fraction) == 3 else text
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value).strip()


def read_workbook(path: Path, display: str) -> tuple[dict, list[Problem]]:
    """The workbook's sheets as frames of strings, keyed by data file name (``sites.csv``...).

    Parameters
    ----------
    path : Path
        The ``.xlsx`` or ``.xlsm`` file.
    display : str
        How to name it in messages.

    Returns
    -------
    frames : dict
        Data file name -> frame (all columns ``str``; its index is each record's Excel row,
        empty rows left out), or None for an optional sheet the workbook does not have.
    problems : list of Problem
        Each naming the sheet, the Excel row and the column header.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return {}, [Problem(display, "cannot be read as an Excel workbook (.xlsx); save it "
                                     "from Excel as 'Excel Workbook (*.xlsx)'")]
    if unpacked > MAX_UNPACKED_BYTES:
        return {}, [Problem(display, f"unpacks to {unpacked / 1e6:,.0f} MB, more than "
                                     f"{MAX_UNPACKED_BYTES / 1e6:,.0f} MB; a bid list is far "
                                     f"smaller: save only the data sheets")]
    try:
        return _read_sheets(path, display)
    except Exception as err:   # openpyxl raises many kinds for damaged XML, also mid-sheet
        detail = " ".join(str(err).split())[:200]
        return {}, [Problem(display, f"cannot be read as an Excel workbook ({detail}); save "
                                     f"it from Excel as 'Excel Workbook (*.xlsx)'")]


#: A row element of a sheet's XML with its attributes and content.
ROW_XML = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
#: The attribute that hides a row (Excel writes 1; "true" is valid XML too).
HIDDEN_XML = re.compile(rb"""\bhidden\s*=\s*["'](?:1|true)["']""")
#: A cell holding a value: a number, a shared or inline string.
VALUE_XML = re.compile(rb"<(?:\w+:)?(?:v|t)>[^<]")
#: A block of merged cells: the cell range it spans (``B3:B4``).
MERGE_XML = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']"
                       rb"([A-Za-z]+\d+:[A-Za-z]+\d+)[\"']")


def hidden_rows(workbook) -> dict[str, list[int]]:
    """The hidden Excel rows below the header that hold a value, per data sheet of an open
    read-only ``workbook``: a filter or a hidden row leaves them out of sight, yet they are
    read like every other row.

    Read from each sheet's XML (:func:`_sheet_xml`), only where the word ``hidden`` occurs:
    7 ms for the shipped data as a workbook."""
    found = {}
    for sheet in SHEETS:
        if sheet not in workbook.sheetnames:
            continue
        text = _sheet_xml(workbook[sheet])
        if b"hidden" not in text:
            continue
        rows = [int(number.group(1)) for attributes, content in ROW_XML.findall(text)
                if HIDDEN_XML.search(attributes) and content and VALUE_XML.search(content)
                and (number := re.search(rb"""\br\s*=\s*["'](\d+)["']""", attributes))]
        if any(row >= 2 for row in rows):
            found[sheet] = [row for row in rows if row >= 2]
    return found


def sheet_rows(path: Path, sheet: str) -> np.ndarray:
    """The Excel row of each record of a workbook's ``sheet`` that :func:`read_workbook`
    accepted (empty rows are no records), for messages about the checked table."""
    import openpyxl

    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        frame, _, _ = _sheet_frame(values[sheet], sheet, SHEETS[sheet])
    finally:
        values.close()
    return frame.index.to_numpy()


def _read_sheets(path: Path, display: str) -> tuple[dict, list[Problem]]:
    """:func:`read_workbook` once the file is known to be a zip archive of sensible size."""
    import openpyxl

    values = openpyxl.load_workbook(path, read_only=True, data_only=True)
    frames, problems, unsaved = {}, [], []
    try:
        for sheet, file_name in SHEETS.items():
            where = sheet_display(display, sheet)
            if sheet not in values.sheetnames:
                frames[file_name] = None
                close = _close_sheet(sheet, values.sheetnames)
                if close:   # also for an optional sheet: its data would go unused unsaid
                    problems.append(Problem(display, f"has no sheet '{sheet}' but one named "
                                                     f"{quoted(close)}: rename it to '{sheet}'"))
                elif sheet not in OPTIONAL_SHEETS:
                    problems.append(Problem(display, f"has no sheet '{sheet}'; add one with "
                                                     f"the columns of {file_name} (siteopt "
                                                     f"init --excel writes an example)"))
                continue
            frame, found, blank = _sheet_frame(values[sheet], where, file_name)
            frames[file_name] = frame
            problems += found
            if blank:
                unsaved.append((sheet, where, blank))
    finally:
        values.close()
    if unsaved:
        problems += _unsaved_formulas(path, unsaved)
    return frames, problems


def _close_sheet(sheet: str, names: list[str]) -> str | None:
    """The sheet of ``names`` that was meant to be ``sheet`` (``Sites``, ``letters ``,
    ``ai factories``, ``site``), or None.

    >>> _close_sheet("ai_factories", ["sites", "AI factories"]), _close_sheet("demand", ["x"])
    ('AI factories', None)
    """
    plain = {"_".join(name.lower().replace("-", " ").replace("_", " ").split()): name
             for name in names if name not in SHEETS}
    close = difflib.get_close_matches(sheet, list(plain), n=1, cutoff=0.8)
    return plain[close[0]] if close else None


def _sheet_frame(worksheet, where: str, file_name: str):
    """One sheet as a frame of strings, its problems, and the (row, column, header) of its
    empty cells (each may be a formula with no saved value)."""
    import pandas as pd
    from openpyxl.utils.cell import get_column_letter

    rows = worksheet.iter_rows(values_only=True)
    names = [cell_text(value) for value in next(rows, ())]
    while names and not names[-1]:
        names.pop()
    below = header_below(names, ((number, [cell_text(value) for value in row])
                                 for number, row in enumerate(rows, start=2)),
                         file_name, "row")
    if below is not None:   # a title above the table
        return None, [Problem(where, below, row=1, row_kind="row")], []
    if not names:
        return None, [Problem(where, f"is empty; row 1 must be the header of {file_name}'s "
                                     f"columns")], []
    repeated = [name for name in dict.fromkeys(names) if name and names.count(name) > 1]
    if repeated:
        return None, [Problem(where, f"the header names a column twice: "
                                     f"{', '.join(repeated)}; keep one column of each name")], []
    if "" in names:
        letter = get_column_letter(names.index("") + 1)
        return None, [Problem(where, f"the header cell {letter}1 is empty; give every column "
                                     f"a name or delete it")], []
    width, records, numbers, blank = len(names), [], [], []
    for number, row in enumerate(rows, start=2):
        past = next((column for column, value in enumerate(row[width:], start=width + 1)
                     if cell_text(value)), None)
        if past is not None:   # as a CSV value past the header: refused, never dropped
            letter = get_column_letter(past)
            return None, [Problem(where, f"cell {letter}{number} holds "
                                         f"{quoted(cell_text(row[past - 1])[:60])} in a column "
                                         f"with no header; name the column in {letter}1, or "
                                         f"delete the value", row=number, row_kind="row")], []
        cells = [cell_text(value) for value in row[:width]]
        cells += [""] * (width - len(cells))
        blank += [(number, column + 1, names[column]) for column, text in enumerate(cells)
                  if not text]
        if any(cells):   # an empty row (a gap, or formatted rows below the table) is no record
            records.append(cells)
            numbers.append(number)
    merged = _merged_cells(worksheet, where, names)
    if merged:   # its other cells' "is empty" would only repeat the merge
        return None, merged, []
    frame = pd.DataFrame(records, columns=names, index=pd.Index(numbers, dtype="int64"),
                         dtype=str)
    return frame, [], blank


def _merged_cells(worksheet, where: str, names: list[str]) -> list[Problem]:
    """A problem for each block of merged cells in the table: Excel shows the block's value
    in every row it spans, but stores it in its top-left cell only, so the other rows would
    read as empty (a country merged over its sites) or lose an optional value unsaid."""
    from openpyxl.utils.cell import coordinate_to_tuple

    problems = []
    for reference in MERGE_XML.findall(_sheet_xml(worksheet)):
        ref = reference.decode("ascii")   # a valid range: openpyxl read the sheet before
        first, last = (coordinate_to_tuple(cell) for cell in ref.split(":"))
        if first[1] <= len(names) and last[0] >= 2:
            problems.append(Problem(
                where, f"cells {ref} are merged: Excel stores their value in "
                       f"{ref.split(':')[0]} only, and the other cells read as empty; unmerge "
                       f"them and fill in every cell",
                row=max(first[0], 2), column=names[first[1] - 1], row_kind="row"))
    return problems


def _sheet_xml(worksheet) -> bytes:
    """The XML of a sheet opened in read-only mode, which keeps neither merged cells nor
    hidden rows: both are read from it by regular expressions (no entity is expanded)."""
    with worksheet._get_source() as source:
        return source.read(MAX_UNPACKED_BYTES)


def _unsaved_formulas(path: Path, unsaved) -> list[Problem]:
    """The empty cells that are formulas: Excel saves each formula's value, a program that
    writes formulas without computing them does not."""
    import openpyxl
    from openpyxl.utils.cell import get_column_letter

    formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    problems = []
    try:
        for sheet, where, cells in unsaved:
            headers = {(row, column): header for row, column, header in cells}
            rows = formulas[sheet].iter_rows(min_row=min(row for row, _, _ in cells),
                                             max_row=max(row for row, _, _ in cells))
            for cell in (cell for row in rows for cell in row):
                header = headers.get((getattr(cell, "row", None), getattr(cell, "column", None)))
                if header is not None and cell.data_type == "f":
                    row, column = cell.row, cell.column
                    problems.append(Problem(
                        where, f"the formula {str(cell.value)[:60]!r} in cell "
                               f"{get_column_letter(column)}{row} has no saved value; open the "
                               f"workbook in Excel or LibreOffice and save it (that stores each "
                               f"formula's value), or type the value in", row=row,
                        column=header, row_kind="row"))
    finally:
        formulas.close()
    return problems
