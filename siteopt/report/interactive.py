"""The interactive map (folium/Leaflet): the static map's layers, each toggleable, with popups.

Leaflet is vendored in ``siteopt/report/assets/leaflet`` and inlined into the page, and no tile
layer is used, so a saved map opens offline and makes no network request.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

import folium
from branca.element import Element

from siteopt.report.maps import (consolidation_lines, coverage_circles, member_lines,
                                 site_colours)

ASSETS = Path(__file__).resolve().parent / "assets" / "leaflet"
#: Site attributes shown in popups, with their labels.
POPUP_FIELDS = (("site_id", "site"), ("gigafactory", "gigafactory"), ("name", "name"),
                ("country", "country"),
                ("effective_mw", "effective MW"), ("power_mw", "planned MW"),
                ("grid_mw", "grid MW by 2028"), ("capex_eur", "capex (EUR)"),
                ("renewable_share", "renewable share"), ("population_within_r", "people within R"),
                ("consortium", "consortium"), ("provenance", "provenance"), ("source", "source"))


#: folium builds popup contents with jQuery's ``$(html)[0]``; this is all of jQuery it needs.
JQUERY_SHIM = ("window.$ = window.$ || function (markup) { var t = document.createElement("
               "'template'); t.innerHTML = markup.trim(); return [t.content.firstChild]; };")


@cache
def _leaflet() -> str:
    js = (ASSETS / "leaflet.js").read_text(encoding="utf-8")
    css = (ASSETS / "leaflet.css").read_text(encoding="utf-8")
    sea = ".leaflet-container { background: #dfeaf2; }"
    return (f"<style>{css}\n{sea}</style>\n<script>{js}</script>\n"
            f"<script>{JQUERY_SHIM}</script>")


def _popup_html(row) -> str:
    cells = []
    for field, label in POPUP_FIELDS:
        value = getattr(row, field, "")
        if isinstance(value, float):
            value = f"{value:,.2f}" if field == "renewable_share" else f"{value:,.0f}"
        cells.append(f"<tr><th style='text-align:left;padding-right:8px'>{html.escape(label)}</th>"
                     f"<td>{html.escape(str(value))}</td></tr>")
    return f"<table style='font-size:12px'>{''.join(cells)}</table>"


def explore_result(result) -> folium.Map:
    """An interactive map of a result.

    Layers (toggle them in the control at the top right): countries with their coverage share,
    coverage areas, consolidation links, other candidate sites, AI Factories, chosen sites.
    Clicking a site opens a popup with its attributes.

    Returns
    -------
    folium.Map
        Shows itself in a notebook; ``.save("map.html")`` writes a page that works offline.
    """
    data = result.dataset
    fmap = folium.Map(location=[52.0, 14.0], zoom_start=4, tiles=None, control_scale=True,
                      prefer_canvas=False)
    fmap.default_js = []   # Leaflet is inlined below instead of loaded from a CDN
    fmap.default_css = []
    fmap.get_root().header.add_child(Element(_leaflet()), name="leaflet_inline")
    colours = site_colours(result)
    radius = result.model.coverage.radius_km

    share = result.country_coverage().set_index("country")["share"]
    countries = data.countries[["iso_a2", "name", "geometry"]].copy()
    countries["covered"] = [f"{share.get(code, 0):.0%}" for code in countries["iso_a2"]]
    folium.GeoJson(
        countries.to_json(drop_id=True), name="Countries (share covered)",
        style_function=lambda f: {"fillColor": "#ece8e1", "color": "#ffffff", "weight": 1,
                                  "fillOpacity": 1.0},
        tooltip=folium.GeoJsonTooltip(fields=["name", "covered"],
                                      aliases=["country", f"within {radius:g} km"]),
    ).add_to(fmap)

    coverage = folium.FeatureGroup(name=f"Coverage ({radius:g} km)")
    for site_id, circle in coverage_circles(result.chosen, radius).items():
        folium.Polygon([(lat, lon) for lon, lat in circle.exterior.coords], color=colours[site_id],
                       weight=1, fill=True, fill_opacity=0.12,
                       tooltip=f"within {radius:g} km of {site_id}").add_to(coverage)
    coverage.add_to(fmap)

    links = folium.FeatureGroup(name="Consolidation links")
    for line, site_id, joins in zip(*(lambda g: (g.geometry, g["site_id"], g["joins"]))(
            consolidation_lines(result))):
        folium.PolyLine([(lat, lon) for lon, lat in line.coords], color=colours[joins], weight=2,
                        dash_array="6 4",
                        tooltip=f"letters at {site_id} join {joins} as partners").add_to(links)
    for line, gigafactory in zip(*(lambda g: (g.geometry, g["gigafactory"]))(
            member_lines(result))):
        folium.PolyLine([(lat, lon) for lon, lat in line.coords], color=colours[gigafactory],
                        weight=5, tooltip=f"gigafactory {gigafactory}").add_to(links)
    links.add_to(fmap)

    others = folium.FeatureGroup(name="Other candidate sites")
    for row in result.sites[~result.sites["selected"]].itertuples():
        folium.CircleMarker([row.lat, row.lon], radius=4, color="#ffffff", weight=1,
                            fill=True, fill_color="#8c8c8c", fill_opacity=1,
                            popup=folium.Popup(_popup_html(row), max_width=420),
                            tooltip=f"{row.site_id} {row.name}").add_to(others)
    others.add_to(fmap)

    factories = folium.FeatureGroup(name="EuroHPC AI Factories")
    for row in data.ai_factories.itertuples():
        folium.CircleMarker([row.lat, row.lon], radius=5, color="#ffffff", weight=1, fill=True,
                            fill_color="#4b2a7b", fill_opacity=1,
                            tooltip=f"AI Factory {row.name} ({row.city})").add_to(factories)
    factories.add_to(fmap)

    chosen = folium.FeatureGroup(name="Chosen sites")
    for row in result.chosen.itertuples():
        folium.CircleMarker([row.lat, row.lon], radius=6 + row.effective_mw / 100,
                            color="#000000", weight=1.5, fill=True,
                            fill_color=colours[row.site_id], fill_opacity=0.95,
                            popup=folium.Popup(_popup_html(row), max_width=420),
                            tooltip=f"{row.site_id} {row.name}: {row.effective_mw:,.0f} MW"
                            ).add_to(chosen)
    chosen.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[35.0, -10.0], [66.0, 30.0]])
    return fmap
