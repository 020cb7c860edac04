"""How a worksheet siteopt writes looks in Excel: its header bold, frozen and with filters,
amounts with thousands separators, shares as percentages, distances to 0.1 km, columns as wide
as what they show.

Only the display changes: every cell keeps its exact value. Used for the output workbook
(``siteopt.xlsx``) and the workbook ``siteopt init --excel`` writes for editing.
"""

from __future__ import annotations

#: Whole numbers from this size up are shown with thousands separators (EUR, MW, people);
#: below it (MW of one site, counts) as they are.
GROUPED_FROM = 10_000
#: No column is made wider than this many characters (long notes wrap in Excel's cell).
MAX_COLUMN_WIDTH = 60


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def number_format(column: str, values) -> str | None:
    """The Excel number format of a column: ``0.0%`` for a share (a name ending in
    ``share``), ``#,##0.0`` for a distance or a time (``_km``, ``_ms``: 445.3 km, not
    445.349692468844), ``#,##0`` for whole numbers from :data:`GROUPED_FROM` up, else None
    (Excel's General).

    >>> number_format("capex_eur", [3_400_000_000, None]), number_format("share", [0.99])
    ('#,##0', '0.0%')
    >>> number_format("power_mw", [200, 300]), number_format("lat", [51.86])
    (None, None)
    >>> number_format("mean_km", [445.349692468844])
    '#,##0.0'
    """
    if column == "share" or column.endswith("_share"):
        return "0.0%"
    if column.endswith(("_km", "_ms")):
        return "#,##0.0"
    numbers = [value for value in values if _is_number(value)]
    if numbers and all(float(value).is_integer() for value in numbers) \
            and max(abs(value) for value in numbers) >= GROUPED_FROM:
        return "#,##0"
    return None


def shown_width(value, shown: str | None) -> int:
    """How many characters ``value`` takes in the number format ``shown``."""
    if value is None:
        return 0
    if shown == "#,##0" and _is_number(value):
        return len(f"{value:,.0f}")
    if shown == "0.0%" and _is_number(value):
        return len(f"{value:.1%}")
    if shown == "#,##0.0" and _is_number(value):
        return len(f"{value:,.1f}")
    return len(str(value))


def dress(sheet) -> None:
    """Give an openpyxl worksheet whose row 1 is a header its look: the header bold and
    frozen with a filter on each column, each column's :func:`number_format` on its number
    cells, and widths."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for number, column in enumerate(sheet.iter_cols(), start=1):
        header, cells = column[0], column[1:]
        shown = number_format(str(header.value), [cell.value for cell in cells])
        for cell in cells:
            if shown and _is_number(cell.value):
                cell.number_format = shown
        header.font = Font(bold=True)
        width = max([len(str(header.value or ""))]
                    + [shown_width(cell.value, shown) for cell in cells])
        sheet.column_dimensions[get_column_letter(number)].width = min(width + 2,
                                                                      MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions   # sort and filter from the header
