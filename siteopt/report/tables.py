"""Plain-text tables for the terminal, rendered with rich."""

from __future__ import annotations

import io

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from siteopt.sanitize import printable_text

#: Width used when the output is not a terminal (files, pipes, tests).
DEFAULT_WIDTH = 120


def render_table(frame: pd.DataFrame, title: str | None = None,
                 formats: dict[str, str] | None = None, width: int | None = None) -> str:
    """Render a frame as a boxed text table.

    Parameters
    ----------
    frame : DataFrame
        Rows to show; the index is not shown.
    title : str, optional
        Line above the table.
    formats : dict, optional
        Column -> format spec, e.g. ``{"capex_eur": ",.0f"}``; numbers are right-aligned.
    width : int, optional
        Characters per line; default :data:`DEFAULT_WIDTH`.

    Returns
    -------
    str
    """
    formats = formats or {}
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", title_style="bold")
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        table.add_column(str(name), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        cells = []
        for name, value in zip(frame.columns, row):
            if isinstance(value, float) and pd.isna(value):
                cells.append("")
            elif name in formats:
                cells.append(format(value, formats[name]))
            else:
                cells.append(str(value))
        table.add_row(*cells)
    return render(table, width)


def render(renderable, width: int | None = None) -> str:
    """Any rich renderable as plain text (no colour codes)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or DEFAULT_WIDTH, color_system=None,
                      highlight=False, soft_wrap=False)
    console.print(renderable)
    text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
    return printable_text(text)
