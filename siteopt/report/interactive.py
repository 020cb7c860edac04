"""The interactive map: a self-contained Leaflet page that opens offline and runs no data.

The page is built from three fixed parts and one data part:

- Leaflet (vendored in ``assets/leaflet``) and ``assets/map.js``, inlined as scripts; neither
  contains any value from a data file;
- ``assets/map.css``, inlined as a style sheet;
- one ``<script type="application/json">`` block with everything the map shows, serialised as
  JSON and escaped for a script context (``<``, ``>``, ``&`` and the line separators become
  ``\\uXXXX``), which the browser never executes. ``map.js`` reads it and puts each value into
  the page as text (``textContent``) or as a number, never as HTML.

A Content-Security-Policy in the page allows exactly these two scripts and this style sheet (by
their SHA-256), images only from ``data:`` URLs, and nothing from any network origin; inline
event handlers (``onerror=...``) and ``javascript:`` URLs can therefore never run, even if a
value reached the page as HTML by mistake. No tile layer is used: the base map is the country
polygons.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.colors import to_hex

from siteopt.atomic import write_file
from siteopt.report.maps import (
    AI_FACTORY,
    CANDIDATE,
    NEIGHBOURS,
    SHADED_NEIGHBOUR,
    consolidation_lines,
    coverage_circles,
    data_box,
    default_title,
    gigafactory_label,
    member_lines,
    share_colour_map,
    site_colours,
)
from siteopt.sanitize import printable_text
from siteopt.summary import sources_note
from siteopt.units import eur, people

ASSETS = Path(__file__).resolve().parent / "assets"

NO_DATA = "#ece8e1"
CREDIT = ("Borders: Natural Earth (public domain). Population points: GeoNames (CC BY 4.0). "
          "Country figures: Eurostat, Ember. Sites: public reports and illustrative figures, "
          "see {sources}. Data set: {data_set}.")
#: Coordinates are written with 5 decimals (about 1 m).
DECIMALS = 5


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _leaflet_script() -> str:
    return _asset("leaflet/leaflet.js")


def _style_sheet() -> str:
    return _asset("leaflet/leaflet.css") + "\n" + _asset("map.css")


def script_json(data) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``.

    Nothing in the text can close the script element or open a comment: ``<``, ``>`` and ``&``
    are written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (JSON.parse reads them back
    unchanged), as are U+2028 and U+2029.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(scripts: list[str], styles: list[str]) -> str:
    """The page's policy: only these inline scripts and styles, no network, no inline handlers."""
    return ("default-src 'none'; "
            f"script-src {' '.join(_sha256(s) for s in scripts)}; "
            f"style-src {' '.join(_sha256(s) for s in styles)}; "
            "img-src data:; font-src 'none'; connect-src 'none'; object-src 'none'; "
            "base-uri 'none'; form-action 'none'")


# --- what the map shows, as plain data ------------------------------------------------------

def _text(value) -> str:
    """A data value as one line of printable text ('' for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return printable_text(str(value))


def _point(lat, lon) -> list[float]:
    return [round(float(lat), DECIMALS), round(float(lon), DECIMALS)]


def _ring(coords) -> list[list[float]]:
    return [_point(lat, lon) for lon, lat in coords]


def _given(value) -> str:
    """An optional data value as text, ``not given`` when the data leave it out."""
    return _text(value) or "not given"


def _site_popup(row, radius_km: float, gigafactory, country: str) -> dict:
    rows = [["Site", row.site_id], ["Country", f"{country} ({row.country})"]]
    if gigafactory is not None:
        rows.append(["Gigafactory", gigafactory.id])
    rows += [
        ["Power", f"{row.power_mw:,.0f} MW planned, {row.grid_mw:,.0f} MW grid by 2028; "
                  f"{row.effective_mw:,.0f} MW counted"],
        ["Capital cost", eur(row.capex_eur)],
        ["Renewable electricity", f"{row.renewable_share:.0%}"],
        [f"Within {radius_km:g} km", people(row.population_within_r)],
        ["Backers", _given(row.consortium)],
    ]
    if gigafactory is not None:
        rows += [["Letters merged here", "; ".join(_text(c) for c in gigafactory.merged_consortia)
                  or "none"],
                 ["Partner letters", "; ".join(_text(c) for c in gigafactory.partner_consortia)
                  or "none"]]
    rows += [["Figures", _text(row.provenance)], ["Source", _text(row.source)]]
    return {"title": _text(row.name), "rows": [[label, value] for label, value in rows]}


def share_colour(share: float) -> str:
    """The countries layer's fill for a covered share of 0..1 (the static coverage map's
    colours, :func:`~siteopt.report.maps.share_colour_map`)."""
    return to_hex(share_colour_map()(share))


def _neighbours() -> dict:
    """The non-EU countries around the map, as a GeoJSON FeatureCollection without names (the
    base map draws them grey and does not label them)."""
    features = json.loads(NEIGHBOURS.read_text(encoding="utf-8"))["features"]
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": f["geometry"]}
                         for f in features]}


def _countries(result) -> list[dict]:
    radius = result.model.coverage.radius_km
    share = result.country_coverage().set_index("country")["share"]
    items = []
    for row in result.dataset.countries.itertuples():
        value = share.get(row.iso_a2, np.nan)
        name = _text(row.name)
        if np.isnan(value):
            fill, tooltip = NO_DATA, f"{name}: no population data"
        else:
            fill = share_colour(float(value))
            tooltip = f"{name}: {value:.0%} of its population within {radius:g} km of a chosen site"
        geometry = json.loads(json.dumps(row.geometry.__geo_interface__))
        label = _label_point(row.geometry)
        items.append({"geometry": geometry, "fill": fill, "tooltip": tooltip, "name": name,
                      "label": _point(label.y, label.x)})
    return items


def _label_point(shape):
    """Where a country's name goes: inside its largest part (mainland France, not Guiana)."""
    parts = getattr(shape, "geoms", [shape])
    return max(parts, key=lambda part: part.area).representative_point()


def _markers(result) -> tuple[list[dict], list[dict], list[dict]]:
    colours = site_colours(result)
    radius = result.model.coverage.radius_km
    by_member = {member: g for g in result.gigafactories for member in g.members}
    country_names = dict(zip(result.dataset.countries["iso_a2"], result.dataset.countries["name"]))
    others, chosen = [], []
    for row in result.sites.itertuples():
        selected = bool(row.selected)
        gigafactory = by_member.get(row.site_id)
        item = {"lat": round(float(row.lat), DECIMALS), "lon": round(float(row.lon), DECIMALS),
                "tooltip": f"{row.site_id} {_text(row.name)}: {row.effective_mw:,.0f} MW",
                "popup": _site_popup(row, radius, gigafactory,
                                     _text(country_names.get(row.country, "")))}
        if selected:
            item.update(radius=round(6 + row.effective_mw / 100, 1), colour=colours[row.site_id],
                        edge="#000000", edge_width=1.5)
            chosen.append(item)
        else:
            item.update(radius=4, colour=CANDIDATE, edge="#ffffff", edge_width=1)
            others.append(item)
    factories = []
    for row in result.dataset.ai_factories.itertuples():
        city = _text(getattr(row, "city", ""))
        factories.append({
            "lat": round(float(row.lat), DECIMALS), "lon": round(float(row.lon), DECIMALS),
            "tooltip": f"EuroHPC AI Factory: {_text(row.name)}" + (f" ({city})" if city else ""),
            "radius": 5, "colour": AI_FACTORY, "edge": "#ffffff", "edge_width": 1})
    return others, factories, chosen


def _coverage(result) -> list[dict]:
    colours = site_colours(result)
    radius = result.model.coverage.radius_km
    return [{"ring": _ring(circle.exterior.coords), "colour": colours[site_id],
             "tooltip": f"within {radius:g} km of {site_id}"}
            for site_id, circle in coverage_circles(result.chosen, radius).items()]


def _links(result) -> list[dict]:
    colours = site_colours(result)
    partners = consolidation_lines(result)
    links = [{"path": _ring(line.coords), "colour": colours[joins], "weight": 2, "dash": "6 4",
              "tooltip": f"letters for {site_id} join gigafactory {joins} as partners"}
             for line, site_id, joins in zip(partners.geometry, partners["site_id"],
                                             partners["joins"])]
    members = member_lines(result)
    links += [{"path": _ring(line.coords), "colour": colours[gigafactory], "weight": 5,
               "tooltip": f"members of gigafactory {gigafactory}"}
              for line, gigafactory in zip(members.geometry, members["gigafactory"])]
    return links


def _legend(result) -> list[dict]:
    colours = site_colours(result)
    radius = result.model.coverage.radius_km
    gigafactories = [{"shape": "circle", "colour": colours[g.id],
                      "label": _text(gigafactory_label(result, g).replace("\n", ", "))}
                     for g in result.gigafactories]
    others = [{"shape": "circle", "colour": CANDIDATE, "label": "other candidate site"},
              {"shape": "triangle", "colour": AI_FACTORY, "label": "EuroHPC AI Factory"}]
    shares = [{"shape": "square", "colour": share_colour(share / 100), "label": f"{share} %"}
              for share in (0, 25, 50, 75, 100)]
    return [{"title": "Chosen gigafactories (marker size: MW)", "entries": gigafactories},
            {"title": "Other markers", "entries": others},
            {"title": f"Population within {radius:g} km", "entries": shares}]


def _bounds(dataset) -> list[list[float]]:
    """What the map fills when it opens, [[south, west], [north, east]] in degrees: the data's
    member states on the mainland widened to every site (:func:`~siteopt.report.maps.data_box`;
    for the shipped data Lisbon to Cyprus, Malta to Lapland)."""
    west, south, east, north = data_box(dataset.countries, dataset.sites)
    return [[round(float(south), 3), round(float(west), 3)],
            [round(float(north), 3), round(float(east), 3)]]


def map_data(result) -> dict:
    """Everything the interactive map shows, as JSON-ready data (strings are plain text)."""
    radius = result.model.coverage.radius_km
    others, factories, chosen = _markers(result)
    return {
        "layers": {"countries": "Countries (share covered)",
                   "coverage": f"Coverage ({radius:g} km)",
                   "links": "Consolidation links", "others": "Other candidate sites",
                   "factories": "EuroHPC AI Factories", "chosen": "Chosen sites",
                   "names": "Country names"},
        "neighbours": _neighbours(), "neighbour_fill": SHADED_NEIGHBOUR,
        "countries": _countries(result), "coverage": _coverage(result), "links": _links(result),
        "others": others, "factories": factories, "chosen": chosen,
        "legend": _legend(result),
        "credit": CREDIT.format(sources=sources_note(result.dataset),
                                data_set=result.dataset.describe()),
        "bounds": _bounds(result.dataset),
    }


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header><h1>{title}</h1><p>{subtitle}</p></header>
<div id="map"></div>
<footer id="siteopt-credit" class="siteopt-credit"></footer>
<script type="application/json" id="siteopt-data">{data}</script>
<script>{leaflet}</script>
<script>{script}</script>
</body>
</html>
"""


@dataclass(frozen=True, repr=False)
class InteractiveMap:
    """A self-contained interactive map page.

    Attributes
    ----------
    html : str
        The whole page. ``save(path)`` writes it; in a notebook it shows inline (in a sandboxed
        frame).
    """

    html: str

    def save(self, path) -> Path:
        """Write the page to ``path`` (UTF-8, all or nothing, as ``siteopt map --out``);
        return the path."""
        return write_file(path, self.html)

    def __repr__(self) -> str:
        return (f"<siteopt.InteractiveMap: a {len(self.html.encode('utf-8')) / 1e6:.1f} MB "
                f"page; .save('map.html') writes it, a notebook shows it inline>")

    def _repr_html_(self) -> str:
        return (f'<iframe sandbox="allow-scripts" srcdoc="{html.escape(self.html)}" '
                f'style="width:100%;height:640px;border:0" title="siteopt map"></iframe>')


def explore_result(result) -> InteractiveMap:
    """The interactive map of a result.

    Layers (toggle them in the control at the top right): countries coloured by the share of
    their population covered, coverage areas, consolidation links, other candidate sites,
    EuroHPC AI Factories, chosen sites. Hovering names a feature; clicking a site opens its
    figures in plain words. A legend names each chosen gigafactory in its colour.

    Returns
    -------
    InteractiveMap
        Shows itself in a notebook; ``.save("map.html")`` writes a page that works offline.
    """
    title, subtitle = default_title(result).split("\n", 1)
    style, leaflet, script = _style_sheet(), _leaflet_script(), _asset("map.js")
    page = PAGE.format(
        policy=html.escape(content_security_policy([leaflet, script], [style])),
        title=html.escape(printable_text(title)), subtitle=html.escape(printable_text(subtitle)),
        style=style, data=script_json(map_data(result)), leaflet=leaflet, script=script)
    return InteractiveMap(page)
