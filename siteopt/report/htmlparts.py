"""Pieces of the HTML report: tables and inline images (shared by the report's sections)."""

from __future__ import annotations

import base64
import html
import re

import pandas as pd

from siteopt.report.maps import figure_bytes
from siteopt.report.tables import SHORT_CELL, cell_text


def table_html(frame: pd.DataFrame, formats: dict[str, str] | None = None, table_id: str = "",
               caption: str = "") -> str:
    """A frame as an HTML table; numbers right-aligned and formatted; ``caption`` (its
    accessible name) above it if given. Every value is escaped."""
    formats = formats or {}
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    align = ["num" if n else "" for n in numeric]
    head = "".join(f"<th class='{a}'>{html.escape(str(c))}</th>"
                   for c, a in zip(frame.columns, align))
    rows = []
    for row in frame.itertuples(index=False):
        texts = [cell_text(value, formats.get(c)) for c, value in zip(frame.columns, row)]
        # a short value (an amount such as "EUR 5.0 bn", an ID) is never split over two lines
        kinds = [" ".join(filter(None, (a, "short" if len(text) <= SHORT_CELL else "")))
                 for a, text in zip(align, texts)]
        cells = "".join(f"<td class='{kind}'>{kept_whole(text)}</td>"
                        for kind, text in zip(kinds, texts))
        rows.append(f"<tr>{cells}</tr>")
    ident = f" id='{table_id}'" if table_id else ""
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table{ident}>{title}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


#: A hyphenated word: a site ID (``PL-POZ``, ``ES-ALV+ES-NAV`` is two), never broken at its
#: hyphen as a browser would break it.
HYPHENATED = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")


def kept_whole(text: str) -> str:
    """``text`` escaped for HTML, each hyphenated word in a span kept on one line.

    >>> kept_whole("PL-POZ, <b>")
    "<span class='id'>PL-POZ</span>, &lt;b&gt;"
    """
    # an escaped entity (&amp;, &#x27;) has no hyphen, so only the text's own words match
    return HYPHENATED.sub(lambda word: f"<span class='id'>{word.group()}</span>",
                          html.escape(text))


def paragraphs(lines) -> str:
    """Each line a paragraph, escaped and its IDs kept whole (:func:`kept_whole`).

    >>> paragraphs(["PL-POZ", "<b>"])
    "<p><span class='id'>PL-POZ</span></p><p>&lt;b&gt;</p>"
    """
    return "".join(f"<p>{kept_whole(line)}</p>" for line in lines)


def png_img(ax, alt: str, ident: str) -> str:
    """A figure as an inline PNG image (130 dpi) with its alternative text; the figure is closed."""
    return png_bytes_img(figure_bytes(ax, "png", dpi=130), alt, ident)


def png_bytes_img(png: bytes, alt: str, ident: str) -> str:
    """PNG bytes as an inline image with its alternative text."""
    data = base64.b64encode(png).decode("ascii")
    return f"<img class='map' id='{ident}' alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"
