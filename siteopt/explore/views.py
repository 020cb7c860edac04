"""What the explorer draws: the map and the charts (Bokeh), and the answer's HTML parts.

Everything is drawn in ETRS89-LAEA (EPSG:3035), as the static maps are. Values from the data
reach the page only as text: Bokeh escapes hover fields and draws labels on its canvas, and
the HTML parts escape every value (:func:`~siteopt.report.htmlparts.table_html`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from bokeh.models import ColumnDataSource, CustomJS, HoverTool, Range1d, TapTool
from bokeh.plotting import figure
from pyproj import Transformer

from siteopt.geometry import geodesic_circle
from siteopt.report.interactive import share_colour
from siteopt.report.maps import (
    AI_FACTORY,
    CANDIDATE,
    EUROPE_CRS,
    SEA,
    SHADED_NEIGHBOUR,
    _europe_extent,
    _neighbours,
    member_pairs,
    partner_links,
    site_colours,
)
from siteopt.report.text import (
    access_sentence,
    consolidation_table,
    gigafactories_table,
    limits_table,
)
from siteopt.report.htmlparts import kept_whole, table_html
from siteopt.sanitize import printable_text
from siteopt.summary import caveats, headline
from siteopt.terms import TERMS

#: How a site is held by the settings, and the mark the map gives it.
FREE, REQUIRED, EXCLUDED = "free", "required", "excluded"
#: A site's state after a click on the map: free -> required -> excluded -> free.
NEXT_STATE = {FREE: REQUIRED, REQUIRED: EXCLUDED, EXCLUDED: FREE}
REQUIRED_MARK, EXCLUDED_MARK = "#1b7837", "#b2182b"
MAP_WIDTH, MAP_HEIGHT = 760, 640
#: Borders are drawn to within this distance (m): a pixel of the map is about 6 km, so the
#: page gets far fewer points and looks the same.
OUTLINE_TOLERANCE_M = 1500.0


@functools.cache
def _to_map() -> Transformer:
    return Transformer.from_crs("EPSG:4326", EUROPE_CRS, always_xy=True)


def project(lon, lat) -> tuple[list[float], list[float]]:
    """Longitudes and latitudes (degrees) as map coordinates (m, ETRS89-LAEA)."""
    x, y = _to_map().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.round(x, 0).tolist(), np.round(y, 0).tolist()


def _outlines(shapes, frame) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """The outer ring of every part of each (multi)polygon of a GeoSeries, in map coordinates
    (m, as float32 arrays: the page gets them as compact binary), cut to ``frame`` (a box in
    map coordinates) and simplified to :data:`OUTLINE_TOLERANCE_M`; with the index of the
    shape each ring belongs to."""
    xs, ys, owners = [], [], []
    projected = shapes.to_crs(EUROPE_CRS).clip_by_rect(*frame).simplify(OUTLINE_TOLERANCE_M)
    for index, shape in enumerate(projected):
        for part in getattr(shape, "geoms", [shape]):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            x, y = np.asarray(part.exterior.coords, np.float32)[:, :2].T
            xs.append(x)
            ys.append(y)
            owners.append(index)
    return xs, ys, owners


def site_state(site_id: str, required, excluded) -> str:
    return REQUIRED if site_id in required else EXCLUDED if site_id in excluded else FREE


@dataclass
class MapLayers:
    """What every map of one data set shares, in map coordinates (m, ETRS89-LAEA), made once
    per data set (:func:`map_layers`) and read by every tab's :class:`ResultMap`.

    Attributes
    ----------
    x_range, y_range : tuple of float
        The data box in view at the map's aspect, m.
    neighbours, countries : tuple of lists of arrays
        ``(xs, ys)``: the outer rings of the countries around the data and of the data's own.
    country_of_ring : list of int
        For each ring of ``countries``, its row in the data's countries.
    country_codes, country_names : list of str
        ISO codes and names (as text) of the data's countries.
    ai_factories : tuple of lists
        ``(x, y)`` of the EuroHPC AI Factories.
    site_ids, site_names, site_mw : list of str
        Every candidate site's ID, name (as text) and power (``1,000 MW``).
    site_xy, site_lonlat : dict
        Site ID -> map position (m) and -> (longitude, latitude) in degrees.
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    neighbours: tuple[list, list]
    countries: tuple[list, list]
    country_of_ring: list[int]
    country_codes: list[str]
    country_names: list[str]
    ai_factories: tuple[list, list]
    site_ids: list[str]
    site_names: list[str]
    site_mw: list[str]
    site_xy: dict[str, tuple[float, float]]
    site_lonlat: dict[str, tuple[float, float]]
    circles: dict[tuple[str, float], tuple[list[float], list[float]]] = field(
        default_factory=dict)

    def circle(self, site: str, radius_km: float) -> tuple[list[float], list[float]]:
        """The geodesic circle of ``radius_km`` around a site, projected (kept: a site's
        circle is drawn again in most answers)."""
        key = (site, radius_km)
        if key not in self.circles:
            lon, lat = self.site_lonlat[site]
            ring = geodesic_circle(lat, lon, radius_km)
            self.circles[key] = project(ring[:, 0], ring[:, 1])
        return self.circles[key]


@functools.lru_cache(maxsize=4)
def map_layers(dataset) -> MapLayers:
    """The :class:`MapLayers` of a data set (made once; the explorer warms it at start)."""
    countries, sites = dataset.countries, dataset.sites
    xmin, xmax, ymin, ymax = _europe_extent(countries.to_crs(EUROPE_CRS),
                                            sites.to_crs(EUROPE_CRS))
    # the whole data box in view, at the map's aspect (the toolbar takes about 30 px)
    aspect = MAP_HEIGHT / (MAP_WIDTH - 30)
    width, height = xmax - xmin, ymax - ymin
    width, height = max(width, height / aspect), max(height, width * aspect)
    centre_x, centre_y = (xmin + xmax) / 2, (ymin + ymax) / 2
    # what can come into view by zooming out a little: borders beyond it are not sent
    frame = (centre_x - width, centre_y - height, centre_x + width, centre_y + height)
    neighbour_xs, neighbour_ys, _ = _outlines(_neighbours().geometry, frame)
    xs, ys, owners = _outlines(countries.geometry, frame)
    x, y = project(sites["lon"], sites["lat"])
    ids = sites["site_id"].tolist()
    return MapLayers(
        x_range=(centre_x - width / 2, centre_x + width / 2),
        y_range=(centre_y - height / 2, centre_y + height / 2),
        neighbours=(neighbour_xs, neighbour_ys), countries=(xs, ys), country_of_ring=owners,
        country_codes=countries["iso_a2"].tolist(),
        country_names=[printable_text(str(n)) for n in countries["name"]],
        ai_factories=project(dataset.ai_factories["lon"], dataset.ai_factories["lat"]),
        site_ids=ids, site_names=[printable_text(str(n)) for n in sites["name"]],
        site_mw=[f"{v:,.0f} MW" for v in sites["power_mw"]],
        site_xy=dict(zip(ids, zip(x, y))),
        site_lonlat=dict(zip(ids, zip(np.asarray(sites["lon"], float),
                                      np.asarray(sites["lat"], float)))))


class ResultMap:
    """The explorer's map: member states shaded by the share of their people within reach,
    candidate sites (chosen ones in their gigafactory's colour, sized by MW; required ones
    ringed, excluded ones struck out), coverage circles, member and partner links.

    Parameters
    ----------
    dataset : Dataset
        The data the explorer was started with (countries, sites, AI Factories).
    """

    def __init__(self, dataset):
        self.dataset = dataset
        layers = self.layers = map_layers(dataset)
        self.figure = figure(
            width=MAP_WIDTH, height=MAP_HEIGHT, x_range=Range1d(*layers.x_range),
            y_range=Range1d(*layers.y_range), tools="pan,wheel_zoom,reset,save",
            active_scroll="wheel_zoom", background_fill_color=SEA, toolbar_location="right",
            output_backend="canvas")
        self.figure.axis.visible = False
        self.figure.grid.visible = False
        self.figure.title.text = ""
        self.figure.patches(*layers.neighbours, fill_color=SHADED_NEIGHBOUR, line_color="white",
                            line_width=0.5)
        xs, ys = layers.countries
        self.countries = ColumnDataSource({
            "xs": xs, "ys": ys, "fill": [share_colour(0.0)] * len(xs),
            "name": [layers.country_names[i] for i in layers.country_of_ring],
            "share": [""] * len(xs)})
        shapes = self.figure.patches("xs", "ys", source=self.countries, fill_color="fill",
                                     line_color="white", line_width=0.8)
        self.coverage = ColumnDataSource({"xs": [], "ys": [], "colour": []})
        self.figure.patches("xs", "ys", source=self.coverage, fill_color="colour",
                            fill_alpha=0.07, line_color="colour", line_alpha=0.6, line_width=1)
        self.partners = ColumnDataSource({"xs": [], "ys": [], "colour": []})
        self.figure.multi_line("xs", "ys", source=self.partners, line_color="colour",
                               line_width=1.5, line_dash="dashed")
        self.members = ColumnDataSource({"xs": [], "ys": [], "colour": []})
        self.figure.multi_line("xs", "ys", source=self.members, line_color="colour",
                               line_width=5, line_alpha=0.8)
        self.figure.scatter(*layers.ai_factories, marker="triangle", size=9,
                            fill_color=AI_FACTORY, line_color="white")
        self.site_ids = layers.site_ids
        count = len(self.site_ids)
        x, y = zip(*(layers.site_xy[s] for s in self.site_ids)) if count else ((), ())
        self.sites = ColumnDataSource({
            "x": list(x), "y": list(y), "site_id": self.site_ids,
            "name": layers.site_names, "mw": layers.site_mw,
            "state": [FREE] * count, "gigafactory": [""] * count,
            "colour": [CANDIDATE] * count, "size": [7.0] * count, "edge": ["white"] * count,
            "label": [""] * count})
        marks = self.figure.scatter("x", "y", source=self.sites, size="size",
                                    fill_color="colour", line_color="edge", line_width=1.2,
                                    nonselection_fill_alpha=1.0, nonselection_line_alpha=1.0,
                                    selection_fill_alpha=1.0)
        self.rings = ColumnDataSource({"x": [], "y": []})
        self.figure.scatter("x", "y", source=self.rings, marker="circle", size=20,
                            fill_alpha=0, line_color=REQUIRED_MARK, line_width=3)
        self.struck = ColumnDataSource({"x": [], "y": []})
        self.figure.scatter("x", "y", source=self.struck, marker="x", size=16,
                            line_color=EXCLUDED_MARK, line_width=3)
        self.figure.text("x", "y", text="label", source=self.sites, x_offset=8, y_offset=-4,
                         text_font_size="9pt", text_color="#222222")
        self.figure.add_tools(
            HoverTool(renderers=[marks], tooltips=[("site", "@site_id @name"), ("power", "@mw"),
                                                   ("gigafactory", "@gigafactory"),
                                                   ("setting", "@state")]),
            HoverTool(renderers=[shapes], tooltips=[("", "@name"), ("covered", "@share")]),
            TapTool(renderers=[marks]))
        # every click on a site is appended to the rows clicked, then the selection is cleared
        # in the page itself: a second click on the same site is an event too (whatever the
        # server has sent back meanwhile), and clicks the page sends in one message all arrive
        self.clicks = ColumnDataSource({"row": []})
        self.sites.selected.js_on_change("indices", CustomJS(
            args={"clicks": self.clicks, "selected": self.sites.selected}, code="""
            const rows = selected.indices;
            if (rows.length === 0) return;
            clicks.data = {row: [...clicks.data.row, rows[0]]};
            selected.indices = [];
        """))
        # Bokeh takes a second click within 300 ms as a double tap, which the tap tool
        # ignores: it is a second click on the site under the pointer (within its mark)
        self.figure.js_on_event("doubletap", CustomJS(
            args={"clicks": self.clicks, "sites": self.sites, "plot": self.figure}, code="""
            const {x, y} = cb_obj;
            const per_x = plot.inner_width / (plot.x_range.end - plot.x_range.start);
            const per_y = plot.inner_height / (plot.y_range.end - plot.y_range.start);
            const {x: xs, y: ys, size} = sites.data;
            let hit = -1, nearest = Infinity;
            for (let i = 0; i < xs.length; i++) {
              const dx = (xs[i] - x) * per_x, dy = (ys[i] - y) * per_y;
              const squared = dx * dx + dy * dy, reach = size[i] / 2 + 1;
              if (squared <= reach * reach && squared < nearest) { hit = i; nearest = squared; }
            }
            if (hit >= 0) clicks.data = {row: [...clicks.data.row, hit]};
        """))

    def show(self, result, required=(), excluded=()) -> None:
        """Draw ``result`` (None: only the site marks) with the required and excluded sites."""
        self.show_sites(required, excluded, result)
        if result is None:
            return
        radius = result.model.coverage.radius_km
        coverage = result.country_coverage()
        share = dict(zip(coverage["country"], coverage["share"].to_numpy(float)))
        codes = self.layers.country_codes
        by_country = [share.get(codes[i], np.nan) for i in self.layers.country_of_ring]
        colours = {v: share_colour(v) for v in share.values() if v == v}
        self.countries.data.update(
            fill=[colours[v] if v == v else "#ece8e1" for v in by_country],
            share=[f"{v:.0%} of its people within {radius:g} km" if v == v else "no data"
                   for v in by_country])
        colours = site_colours(result)
        members = sorted(m for g in result.gigafactories for m in g.members)
        rings = [self.layers.circle(site, radius) for site in members]
        self.coverage.data = {"xs": [x for x, _ in rings], "ys": [y for _, y in rings],
                              "colour": [colours[site] for site in members]}
        self.members.data = self._links([(a, b, g) for g, a, b in member_pairs(result)],
                                        colours)
        self.partners.data = self._links([(site, end, g)
                                          for site, g, end in partner_links(result)], colours)

    def _links(self, links, colours) -> dict:
        """Straight lines between sites: ``(site, site, gigafactory)`` each, in the
        gigafactory's colour."""
        where = self.layers.site_xy
        return {"xs": [[where[a][0], where[b][0]] for a, b, _ in links],
                "ys": [[where[a][1], where[b][1]] for a, b, _ in links],
                "colour": [colours[g] for _, _, g in links]}

    def show_sites(self, required, excluded, result=None) -> None:
        """Mark the sites: chosen (from ``result``, if given), required, excluded."""
        by_member = {} if result is None else {m: g for g in result.gigafactories
                                               for m in g.members}
        colours = {} if result is None else site_colours(result)
        data = dict(self.sites.data)
        if result is not None:
            effective = dict(zip(result.site_table["site_id"], result.site_table["effective_mw"]))
            data["gigafactory"] = [by_member[s].id if s in by_member else ""
                                   for s in self.site_ids]
            data["colour"] = [colours.get(s, CANDIDATE) for s in self.site_ids]
            data["size"] = [9 + effective[s] / 70 if s in by_member else 7.0
                            for s in self.site_ids]
            data["edge"] = ["black" if s in by_member else "white" for s in self.site_ids]
            data["label"] = [s if s in by_member else "" for s in self.site_ids]
        data["state"] = [site_state(s, required, excluded) for s in self.site_ids]
        self.sites.data = data
        where = self.layers.site_xy
        self.rings.data = {"x": [where[s][0] for s in required if s in where],
                           "y": [where[s][1] for s in required if s in where]}
        self.struck.data = {"x": [where[s][0] for s in excluded if s in where],
                            "y": [where[s][1] for s in excluded if s in where]}


def terms_figure():
    """An empty bar chart of the objective's weighted terms, and its data source."""
    source = ColumnDataSource({"term": list(TERMS), "value": [0.0] * len(TERMS),
                               "colour": ["#0072B2"] * len(TERMS), "text": [""] * len(TERMS)})
    chart = figure(y_range=list(reversed(TERMS)), x_range=Range1d(-0.1, 0.5), width=380,
                   height=230, tools="", toolbar_location=None,
                   title="Objective: each term's weighted points")
    chart.hbar(y="term", right="value", height=0.7, source=source, fill_color="colour",
               line_color=None)
    chart.add_tools(HoverTool(tooltips=[("", "@term: @text")]))
    chart.xaxis.axis_label = "points (cost is subtracted)"
    return chart, source


def show_terms(chart, source, result) -> None:
    """Draw the bars of :func:`terms_figure` for ``result``."""
    contributions = result.contributions
    values = [(-contributions[t] if t == "cost" else contributions[t]) for t in TERMS]
    low, high = min(0.0, *values), max(0.0, *values)
    pad = 0.05 * (high - low or 1.0)
    chart.x_range.update(start=low - pad, end=high + pad)
    source.data = {"term": list(TERMS), "value": values,
            "colour": ["#D55E00" if v < 0 else "#0072B2" for v in values],
            "text": [f"{v:+.4f}" for v in values]}


def sweep_figure(swept):
    """A chart of the optimum against the budget, from a
    :class:`~siteopt.analysis.sweep.Sweep` over ``budget.total_eur``: a step at each change
    of portfolio, found exactly (:meth:`~siteopt.analysis.sweep.Sweep.drawn`), and a dot at
    each budget solved."""
    line, points = sweep_data(swept)
    chart = figure(width=480, height=260, tools="", toolbar_location=None,
                   title="The optimum at every budget (the rest as set)")
    chart.line("budget", "objective", source=ColumnDataSource(line), line_width=2)
    dots = chart.scatter("budget", "objective", source=ColumnDataSource(points), size=7)
    chart.add_tools(HoverTool(renderers=[dots],
                              tooltips=[("budget", "EUR @budget bn"), ("objective", "@objective"),
                                        ("people", "@people"), ("sites", "@portfolio")]))
    chart.xaxis.axis_label = "budget, EUR bn"
    chart.yaxis.axis_label = "objective"
    return chart


def sweep_data(swept) -> tuple[dict, dict]:
    """The line and the dots of :func:`sweep_figure` from a
    :class:`~siteopt.analysis.sweep.Sweep`: the optimum's steps (budgets in EUR bn,
    objectives; NaN where the line breaks), and each solved budget's objective, people and
    portfolio."""
    frame, x, _, line, _, _ = swept.drawn()
    budgets, objectives = line(lambda rows: rows["objective"])
    solved = frame["objective"].notna().to_numpy()
    return ({"budget": budgets.tolist(), "objective": objectives.tolist()},
            {"budget": x[solved].tolist(),
             "objective": [round(v, 4) for v in frame["objective"][solved]],
             "people": [f"{v / 1e6:,.1f} m" for v in frame["people"][solved]],
             "portfolio": frame["portfolio"][solved].tolist()})


def legend_html(radius_km: float) -> str:
    """What the map's marks mean, in words."""
    return ("<p class='legend'>Shading: each member state's share of its people within "
            f"{radius_km:g} km of a member site (darker: more). Coloured dots: the chosen "
            "sites, one colour per gigafactory, sized by MW; circles: their reach; solid "
            "lines: members of one gigafactory; dashed: letters that join as partners; "
            "green ring: required; red &#x2715;: excluded; grey dots: other candidates; "
            "&#x25B2;: EuroHPC AI Factories. Click a site: free &#x2192; required &#x2192; "
            "excluded &#x2192; free.</p>")


def answer_html(result) -> str:
    """The headline and caveats of ``result``, then how far people are from it, escaped."""
    items = "".join(f"<li>{kept_whole(line)}</li>" for line in caveats(result))
    return (f"<p class='headline'><strong>{kept_whole(headline(result))}</strong></p>"
            + (f"<ul class='caveats'>{items}</ul>" if items else "")
            + f"<p class='access'>{kept_whole(access_sentence(result))}</p>")


def tables_html(result) -> str:
    """The gigafactories and the limits used as tables (short figures: beside the map)."""
    return (table_html(gigafactories_table(result),
                       {"effective MW": ",.0f", "requested MW": ",.0f"}, "gigafactories",
                       caption="Gigafactories")
            + table_html(limits_table(result), {"share used": ".1%"}, "limits",
                         caption="Limits used"))


def plan_html(result) -> str:
    """The consolidation plan as a table (lists of consortia: the page's full width)."""
    return table_html(consolidation_table(result), {"requested MW": ",.0f", "power MW": ",.0f"},
                      "plan", caption="Consolidation plan")
