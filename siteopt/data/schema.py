"""What each data file must contain: columns, types, units and valid ranges.

The descriptions end up in error messages ("must be > 0 (total capital cost in EUR)") and in
``data/README.md``, so they say what a value means and in which unit.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from siteopt.sanitize import quoted

#: The cost rule of illustrative sites (``capex_basis = rule``, data/README.md): EUR per
#: accelerator and EUR per MW of IT power.
CAPEX_RULE_EUR_PER_GPU = 30_000
CAPEX_RULE_EUR_PER_MW = 2.0e6

#: A site, letter, point or factory ID: letters, digits and '-'.
ID_PATTERN = r"^[A-Za-z0-9-]+$"


@dataclass(frozen=True)
class Column:
    """One column of a data file.

    Parameters
    ----------
    name : str
        Column name in the header.
    kind : str
        ``id`` (unique, letters/digits/'-'), ``text``, ``country`` (ISO 3166-1 alpha-2 present in
        ``countries.geojson``), ``float``, ``int`` or ``choice``.
    description : str
        Meaning and unit, shown in messages.
    required : bool
        Whether the column must exist. Values of a required column may never be empty;
        values of an optional column may be empty.
    minimum, maximum : float, optional
        Inclusive bounds.
    positive : bool
        Value must be > 0.
    choices : tuple of str, optional
        Allowed values of a ``choice`` column.
    references : str, optional
        ``file:column`` this column must point into (e.g. ``sites:site_id``).
    plausible : tuple of (float, float, str), optional
        Inclusive range of plausible values and how to say it with units (``"between EUR 1 m
        and EUR 1 tn"``); values outside it are refused, since they break the solver's numerics.
    below_hint : str
        Added to the message of a value below the plausible range (a likely cause).
    """

    name: str
    kind: str
    description: str
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    choices: tuple[str, ...] | None = None
    references: str | None = None
    plausible: tuple[float, float, str] | None = None
    below_hint: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("float", "int")


#: Plausible ranges of the power, price and CO2 columns (and how a message says them): far
#: beyond any real figure, far below what overflows a cost (a PUE or power of 1e300 made
#: costs infinite and the objective NaN).
MAX_SITE_MW = 100_000
MW_SAID = "at most 100,000 MW (100 GW) for one site"
MAX_PRICE = 10_000
PRICE_SAID = "at most EUR 10,000/MWh"
MAX_CO2 = 2_000
CO2_SAID = "at most 2,000 g/kWh (coal plants emit about 1,000)"

PROVENANCE = Column("provenance", "choice", "whether the figures are reported by a source or "
                    "illustrative", choices=("reported", "illustrative"))


def _lat() -> Column:
    return Column("lat", "float", "latitude in WGS84 degrees", minimum=-90, maximum=90)


def _lon() -> Column:
    return Column("lon", "float", "longitude in WGS84 degrees", minimum=-180, maximum=180)


SITES = (
    Column("site_id", "id", "unique site identifier, e.g. ES-MLN"),
    Column("name", "text", "site name"),
    Column("country", "country", "ISO 3166-1 alpha-2 member-state code"),
    _lat(),
    _lon(),
    Column("power_mw", "float", "IT power the proposal plans, in MW", positive=True,
           plausible=(0, MAX_SITE_MW, MW_SAID)),
    Column("grid_mw", "float", "grid connection available by about 2028, in MW", positive=True,
           plausible=(0, MAX_SITE_MW, MW_SAID)),
    Column("capex_eur", "float", "total capital cost in EUR", positive=True,
           plausible=(1e6, 1e12, "between EUR 1 m (1e6) and EUR 1 tn (1e12)"),
           below_hint="; it looks like billions written as euros: write 4.2e9 for EUR 4.2 bn"),
    Column("renewable_share", "float", "share of the site's electricity from renewables, 0..1",
           minimum=0, maximum=1),
    PROVENANCE,
    Column("source", "text", "citation or the rule used for illustrative figures"),
    Column("gpus", "int", "number of AI accelerators planned", required=False, positive=True,
           plausible=(0, 1e8, "at most 100 million (1e8) for one site")),
    Column("capex_basis", "choice", "whether capex_eur is reported, a reported project figure "
           "scaled to this site's share, or from the cost rule", required=False,
           choices=("reported", "scaled", "rule")),
    Column("renewable_basis", "choice", "what renewable_share rests on: the country's figure, "
           "the proposal's own supply, its announced target, or an illustration",
           required=False, choices=("country", "own-supply", "target", "illustrative")),
    Column("co2_g_per_kwh", "float", "CO2 intensity of the site's own electricity supply in "
           "g/kWh (empty: the country's)", required=False, minimum=0,
           plausible=(0, MAX_CO2, CO2_SAID)),
    Column("pue", "float", "power usage effectiveness", required=False, minimum=1,
           plausible=(1, 10, "at most 10 (data centres run at about 1.1 to 2)")),
    Column("elec_price_eur_mwh", "float", "electricity price in EUR/MWh (empty: the country's)",
           required=False, minimum=0, plausible=(0, MAX_PRICE, PRICE_SAID)),
    Column("consortium", "text", "backers of the proposal", required=False),
    Column("notes", "text", "free-text notes", required=False),
)

LETTERS = (
    Column("letter_id", "id", "unique letter identifier, e.g. L001"),
    Column("site_id", "id", "the site the letter is for", references="sites:site_id"),
    Column("consortium", "text", "who sent the letter"),
    Column("requested_mw", "float", "IT power the letter asks for, in MW", positive=True,
           plausible=(0, MAX_SITE_MW, MW_SAID)),
    PROVENANCE,
)

DEMAND = (
    Column("point_id", "id", "unique population point identifier"),
    Column("name", "text", "place name"),
    Column("country", "country", "ISO 3166-1 alpha-2 member-state code"),
    _lat(),
    _lon(),
    Column("population", "float", "people represented by the point", minimum=0,
           plausible=(0, 1e9, "at most 1e9 people for one point")),
)

AI_FACTORIES = (
    Column("factory_id", "id", "unique AI Factory identifier"),
    Column("name", "text", "AI Factory name"),
    Column("country", "country", "ISO 3166-1 alpha-2 member-state code"),
    _lat(),
    _lon(),
    Column("wave", "int", "EuroHPC selection wave (1, 2 or 3)", required=False, positive=True),
    Column("host", "text", "hosting entity", required=False),
    Column("city", "text", "host city", required=False),
    Column("provenance", "choice", PROVENANCE.description, required=False,
           choices=PROVENANCE.choices),
    Column("source", "text", "citation", required=False),
)

COUNTRIES = (
    Column("iso_a2", "id", "ISO 3166-1 alpha-2 code (Greece is GR)"),
    Column("name", "text", "country name"),
    Column("population", "float", "population on 1 January 2026 (Eurostat)", minimum=0),
    Column("elec_price_eur_mwh", "float", "non-household electricity price in EUR/MWh",
           minimum=0, plausible=(0, MAX_PRICE, PRICE_SAID)),
    Column("renewable_share", "float", "renewable share of electricity, 0..1", minimum=0,
           maximum=1),
    Column("co2_g_per_kwh", "float", "CO2 intensity of electricity in g/kWh", minimum=0,
           plausible=(0, MAX_CO2, CO2_SAID)),
)

#: File name -> columns, in the order files are loaded (countries first: other files refer to it).
FILES: dict[str, tuple[Column, ...]] = {
    "countries.geojson": COUNTRIES,
    "sites.csv": SITES,
    "letters.csv": LETTERS,
    "demand.csv": DEMAND,
    "ai_factories.csv": AI_FACTORIES,
}


def id_hint(value: str, known, otherwise: str) -> str:
    """How to fix an unknown ID: the ID that differs only in case (IDs are case-sensitive), or
    a close one, else ``otherwise``.

    >>> id_hint("es-mln", {"ES-MLN"}, "")
    "; did you mean 'ES-MLN'? IDs are case-sensitive"
    """
    same = [k for k in sorted(known) if k.lower() == value.lower()]
    if same:
        return f"; did you mean {quoted(same[0])}? IDs are case-sensitive"
    close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {quoted(close[0])}?" if close else otherwise


#: How many rows (lines) below the first a header under a title is looked for.
HEADER_SEARCH_ROWS = 10


def header_below(names: list[str], rows, file_name: str, row_kind: str) -> str | None:
    """What to say when the first row is not ``file_name``'s header but one below it is (a
    title above the table, or an empty first row), or None.

    Parameters
    ----------
    names : list of str
        The first row's cells (the header as read).
    rows : iterable of (int, list of str)
        The rows after it: each one's number in the file and its cells.
    file_name : str
        Which file of :data:`FILES` the table is.
    row_kind : str
        ``row`` (a sheet) or ``line`` (a CSV file).

    >>> header_below(["Letters"], [(2, ["letter_id", "site_id"])], "letters.csv", "line")
    "'Letters' is not the header: the header (letter_id, site_id, ...) is in line 2; delete the lines above it"
    """
    required = [column.name for column in FILES[file_name] if column.required]
    if set(required) & set(names):
        return None
    for index, (number, cells) in enumerate(rows):
        if index >= HEADER_SEARCH_ROWS:
            return None
        found = [name for name in required if name in {str(cell).strip() for cell in cells}]
        if len(found) >= 2:
            held = (quoted(", ".join(filter(None, names))[:60]) + " is" if any(names)
                    else "is empty,")
            return (f"{held} not the header: the header ({', '.join(found[:3])}, ...) is in "
                    f"{row_kind} {number}; delete the {row_kind}s above it")
    return None


#: The data files, in the order a reader meets them, for :func:`columns_markdown`.
DOCUMENTED = ("sites.csv", "letters.csv", "demand.csv", "ai_factories.csv", "countries.geojson")


def _kind_text(column: Column) -> str:
    if column.kind == "choice":
        return "one of " + ", ".join(f"`{c}`" for c in column.choices)
    bounds = []
    if column.positive:
        bounds.append("> 0")
    if column.minimum is not None:
        bounds.append(f">= {column.minimum:g}")
    if column.maximum is not None:
        bounds.append(f"<= {column.maximum:g}")
    kind = {"id": "ID (letters, digits, `-`)", "text": "text", "country": "ISO 3166-1 alpha-2",
            "float": "number", "int": "whole number"}[column.kind]
    return kind + (f" ({', '.join(bounds)})" if bounds else "")


def columns_markdown() -> str:
    """Every data file's columns as Markdown tables: required or optional, type and range,
    meaning and unit (the text of data/README.md's column section, which a test keeps equal
    to this)."""
    lines = []
    for name in DOCUMENTED:
        columns = FILES[name]
        required = sum(c.required for c in columns)
        lines += [f"### `{name}`: {required} required, {len(columns) - required} optional "
                  f"columns", "", "| column | required | type | meaning and unit |",
                  "|---|---|---|---|"]
        lines += [f"| `{c.name}` | {'yes' if c.required else 'no'} | {_kind_text(c)} | "
                  f"{c.description} |" for c in columns]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":   # python -m siteopt.data.schema: the section of data/README.md
    print(columns_markdown(), end="")
