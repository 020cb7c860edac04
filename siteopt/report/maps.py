"""Static maps of a result (matplotlib + geopandas), in a projection made for Europe.

Everything is drawn in ETRS89-LAEA (EPSG:3035), whose distortion over Europe is small: coverage
areas are true geodesic circles (every vertex R km from the site, then projected), not circles
drawn in degrees. Artists carry a ``gid`` so tests can find them.
"""

from __future__ import annotations

import functools
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.collections import PathCollection
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from shapely.geometry import LineString, Polygon, box

from siteopt.geometry import geodesic_circle, haversine_km
from siteopt.sanitize import printable_text
from siteopt.units import KM_PER_ROUND_TRIP_MS, round_trip_ms

EUROPE_CRS = "EPSG:3035"
NEIGHBOURS = Path(__file__).resolve().parent / "assets" / "neighbours.geojson"
#: Okabe-Ito colours (readable for colour-blind readers), yellow last, then darker and lighter
#: companions for small multiples that show more than eight gigafactories in all.
SITE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
                "#F0E442", "#8C510A", "#762A83", "#1B7837", "#B2182B", "#5AAE61", "#2166AC",
                "#C51B7D", "#999933")
LAND = "#ece8e1"
NEIGHBOUR = "#dedede"
#: The countries around the EU on a map shaded in greys (the coverage shares): sand, so that
#: no neighbour reads as a member state with some share covered.
SHADED_NEIGHBOUR = "#e6dfd3"
CREDIT = ("Borders: Natural Earth (public domain). Population: GeoNames (CC BY 4.0), "
          "Eurostat 2026. Map: siteopt.")
#: The part of Europe every map frames (WGS84 degrees): mainland, Malta, Cyprus.
MAINLAND = box(-11.0, 34.0, 35.0, 71.5)
SEA = "#dfeaf2"
CANDIDATE = "#8c8c8c"
AI_FACTORY = "#4b2a7b"
#: Where a label may go, relative to its site, in points: right, left, above, below, corners.
LABEL_OFFSETS = ((9, 6), (9, -14), (-9, 6), (-9, -14), (0, 14), (0, -20), (16, 16), (-16, 16),
                 (16, -24), (-16, -24), (24, 0), (-24, 0))


#: Colour map of the share of a country's people covered, and the part of it used: greys only,
#: so that no gigafactory's colour, marker or coverage area ever sits on its own hue (a blue
#: site on a blue Spain vanished), and not the darkest, which would hide them.
SHARE_COLOURS = "Greys"
SHARE_RANGE = (0.04, 0.55)


@functools.cache
def share_colour_map():
    """:data:`SHARE_COLOURS` cut to :data:`SHARE_RANGE`, as a matplotlib colour map."""
    low, high = SHARE_RANGE
    return ListedColormap(colormaps[SHARE_COLOURS](np.linspace(low, high, 256)),
                          name="siteopt-share")


def shared_colours(results) -> dict[str, str]:
    """One colour per site over several results (small multiples), so the same site has the
    same colour in every map: each site that leads a chosen gigafactory gets, at its first
    appearance, the least used colour that no other gigafactory of that result has yet."""
    colours: dict[str, str] = {}
    usage = {colour: 0 for colour in SITE_COLOURS}
    for result in results:
        leads = [g.members[0] for g in result.gigafactories]
        taken = {colours[lead] for lead in leads if lead in colours}
        for lead in leads:
            if lead in colours:
                continue
            free = [c for c in SITE_COLOURS if c not in taken] or list(SITE_COLOURS)
            colour = min(free, key=lambda c: (usage[c], SITE_COLOURS.index(c)))
            colours[lead] = colour
            usage[colour] += 1
            taken.add(colour)
    return colours


def site_colours(result, shared: dict[str, str] | None = None) -> dict[str, str]:
    """A colour per chosen gigafactory, keyed by its ID and by each of its member site IDs.

    Parameters
    ----------
    shared : dict, optional
        :func:`shared_colours` of several results, for maps that must agree; by default the
        colours of this result alone.
    """
    shared = shared if shared is not None else shared_colours([result])
    colours = {}
    for gigafactory in result.gigafactories:
        colour = shared[gigafactory.members[0]]
        colours[gigafactory.id] = colour
        colours.update({member: colour for member in gigafactory.members})
    return colours


def marker_area(mw):
    """Marker area (points^2) for a site's effective power in MW."""
    return 30 + mw * 0.35


def coverage_circles(chosen: gpd.GeoDataFrame, radius_km: float) -> gpd.GeoSeries:
    """Geodesic circles of radius R around each chosen site, in WGS84, indexed by site_id."""
    rings = [Polygon(geodesic_circle(lat, lon, radius_km))
             for lat, lon in zip(chosen["lat"], chosen["lon"])]
    return gpd.GeoSeries(rings, index=chosen["site_id"].to_numpy(), crs="EPSG:4326")


def site_points(result) -> dict[str, tuple[float, float]]:
    """Site ID -> (lon, lat) of every candidate site (plain lookups: no pandas indexing)."""
    table = result.site_table
    return dict(zip(table["site_id"], zip(np.asarray(table["lon"], float),
                                          np.asarray(table["lat"], float))))


def member_pairs(result) -> list[tuple[str, str, str]]:
    """(gigafactory, site a, site b) for each pair of members of a multi-site gigafactory."""
    return [(g.id, a, b) for g in result.gigafactories
            for i, a in enumerate(g.members) for b in g.members[i + 1:]]


def member_lines(result) -> gpd.GeoDataFrame:
    """One line per pair of members of each multi-site gigafactory (:func:`member_pairs`),
    WGS84."""
    where = site_points(result)
    rows = member_pairs(result)
    lines = [LineString([where[a], where[b]]) for _, a, b in rows]
    return gpd.GeoDataFrame({"gigafactory": [r[0] for r in rows], "site_a": [r[1] for r in rows],
                             "site_b": [r[2] for r in rows]}, geometry=lines, crs="EPSG:4326")


def partner_links(result) -> list[tuple[str, str, str]]:
    """(partner letter's site, gigafactory, the gigafactory's member nearest to that site), one
    per (site, gigafactory) pair, sorted."""
    letters = result.consolidation.table
    partner = np.asarray(letters["role"]) == "partner"
    pairs = sorted(set(zip(np.asarray(letters["gigafactory"])[partner],
                           np.asarray(letters["site_id"])[partner])))
    where = site_points(result)
    links = []
    for gigafactory, site in pairs:
        members = gigafactory.split("+")
        lon, lat = where[site]
        distance = haversine_km(lat, lon, np.array([where[m][1] for m in members]),
                                np.array([where[m][0] for m in members]))
        links.append((site, gigafactory, members[int(np.argmin(distance))]))
    return links


def consolidation_lines(result) -> gpd.GeoDataFrame:
    """One line per (partner letter's site, gigafactory) pair, drawn to the gigafactory's
    nearest member (:func:`partner_links`), WGS84."""
    where = site_points(result)
    links = partner_links(result)
    return gpd.GeoDataFrame({"site_id": [site for site, _, _ in links],
                             "joins": [gigafactory for _, gigafactory, _ in links],
                             "member": [end for _, _, end in links]},
                            geometry=[LineString([where[site], where[end]])
                                      for site, _, end in links], crs="EPSG:4326")


#: Most characters of a site's name in a map's label or legend: a longer name from the data
#: would push the label off the map and the legend over the key. Tables and popups show it
#: whole.
MAP_NAME_CHARS = 32


def map_name(name: str) -> str:
    """``name`` as a map label shows it: whole up to :data:`MAP_NAME_CHARS` characters, else
    cut after its last whole word (or hyphenated part) that fits, else inside a word, and
    marked with "…".

    >>> map_name("Cernavodă")
    'Cernavodă'
    >>> map_name("Centrale de Cattenom Campus Nord-Est Phase I-III Bâtiments A B C")
    'Centrale de Cattenom Campus…'
    >>> map_name("Tecnopolo-Manifattura-Data-Valley-Bologna")
    'Tecnopolo-Manifattura-Data…'
    """
    if len(name) <= MAP_NAME_CHARS:
        return name
    cut = name[:MAP_NAME_CHARS - 1]
    if name[MAP_NAME_CHARS - 1] not in " -":
        last_break = max(cut.rfind(" "), cut.rfind("-"))
        if last_break >= MAP_NAME_CHARS // 2:
            cut = cut[:last_break]
    return cut.rstrip(" ,;:-–—/") + "…"


def gigafactory_label(result, gigafactory) -> str:
    """``RO-CER Cernavodă / 1,000 MW`` or, for several members, ``ES-MLN + ES-SFH / 900 MW``
    (a long name cut by :func:`map_name`)."""
    if len(gigafactory.members) == 1:
        return (f"{gigafactory.id} {map_name(gigafactory.name)}\n"
                f"{gigafactory.effective_mw:,.0f} MW")
    return f"{' + '.join(gigafactory.members)}\n{gigafactory.effective_mw:,.0f} MW"


def _axes(ax, size: float = 10):
    """``ax``, or the axes of a new square figure ``size`` inches wide."""
    if ax is None:
        _, ax = plt.subplots(figsize=(size, size), layout="constrained")
    return ax


def data_box(countries: gpd.GeoDataFrame, sites: gpd.GeoDataFrame | None = None):
    """What every map frames, in WGS84 (west, south, east, north): the data's member states
    within mainland Europe (Portugal to Cyprus and Finland; the Atlantic islands lie outside),
    widened to every candidate site, so that a data set's own sites are always in view."""
    west, south, east, north = countries.to_crs("EPSG:4326").clip(MAINLAND).total_bounds
    if sites is not None and len(sites):
        s_west, s_south, s_east, s_north = sites.to_crs("EPSG:4326").total_bounds
        west, south = min(west, s_west), min(south, s_south)
        east, north = max(east, s_east), max(north, s_north)
    return west, south, east, north


def _europe_extent(countries: gpd.GeoDataFrame, sites: gpd.GeoDataFrame | None = None):
    """:func:`data_box` in the map's projection, with a margin of 3 %: (xmin, xmax, ymin,
    ymax)."""
    frame = gpd.GeoSeries([box(*data_box(countries, sites))], crs="EPSG:4326")
    xmin, ymin, xmax, ymax = frame.to_crs(countries.crs).total_bounds
    pad_x, pad_y = (xmax - xmin) * 0.03, (ymax - ymin) * 0.03
    return xmin - pad_x, xmax + pad_x, ymin - pad_y, ymax + pad_y


@functools.cache
def _neighbours() -> gpd.GeoDataFrame:
    """The non-EU countries in the frame (grey context), ETRS89-LAEA."""
    frame = gpd.GeoDataFrame.from_features(
        json.loads(NEIGHBOURS.read_text(encoding="utf-8"))["features"], crs="EPSG:4326")
    return frame.to_crs(EUROPE_CRS)


def _label_point(shape):
    """Where a country's name goes: inside its largest part."""
    parts = getattr(shape, "geoms", [shape])
    return max(parts, key=lambda part: part.area).representative_point()


#: Member states smaller than this (m^2, in ETRS89-LAEA) are labelled by their code; those
#: smaller than the second (Luxembourg, Malta) are not labelled at all.
SMALL_STATE_M2, TINY_STATE_M2 = 4e10, 5e9


def _draw_country_names(ax, countries: gpd.GeoDataFrame, values: dict[str, str] | None = None):
    """Each member state's name (its code if small), and its value below if given, inside its
    largest part, with a white halo so it reads on any fill. Names alone lie under the sites;
    names with values are what a choropleth is read for, so they lie above the sites' marks
    (a site in the Netherlands hid "NL 98 km")."""
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for code, name, shape in zip(countries["iso_a2"], countries["name"], countries.geometry):
        if shape.area < TINY_STATE_M2:
            continue
        point = _label_point(shape)
        text = printable_text(str(name)) if shape.area >= SMALL_STATE_M2 else code
        if values is not None and code in values:
            text = f"{text}\n{values[code]}"
        ax.text(point.x, point.y, text, fontsize=7 if values is None else 7.5, ha="center",
                va="center", color="#333333", zorder=1.5 if values is None else 5.5,
                gid=f"country_label:{code}",
                parse_math=False, path_effects=halo,
                fontstyle="italic" if values is None else "normal",
                fontweight="normal" if values is None else "bold")


def _draw_credit(ax, dataset):
    ax.text(0.005, 0.003, f"{CREDIT} Data set: {dataset.describe()}.", transform=ax.transAxes,
            fontsize=6, color="#555555", ha="left", va="bottom", gid="credit", zorder=6)


def _polygon_path(shape) -> MplPath:
    """A (multi)polygon as one matplotlib path: every part's outline and holes."""
    rings = [ring for part in getattr(shape, "geoms", [shape])
             for ring in (part.exterior, *part.interiors)]
    return MplPath.make_compound_path(*(MplPath(np.asarray(ring.coords)[:, :2])
                                        for ring in rings))


@functools.cache
def _neighbour_paths() -> tuple[MplPath, ...]:
    """:func:`_neighbours` as paths (the same for every map: made once)."""
    return tuple(_polygon_path(shape) for shape in _neighbours().geometry)


def _draw_polygons(ax, paths, gid: str, linewidth: float, **colours) -> PathCollection:
    """Filled polygons with white borders, added without redrawing the figure (geopandas'
    ``plot`` redraws the whole figure for every layer: twice per map, and for every panel
    of a grid of maps again)."""
    collection = PathCollection(list(paths), edgecolors="white", linewidths=linewidth,
                                gid=gid, **colours)
    ax.add_collection(collection, autolim=False)
    return collection


@dataclass(frozen=True)
class Shading:
    """How :func:`_draw_base` colours the member states: one value per country (in the order
    of the countries drawn), the colour map, the values at its two ends, and the colour bar's
    label."""

    values: np.ndarray
    colour_map: object
    limits: tuple[float, float]
    label: str


def _draw_base(ax, dataset, countries: gpd.GeoDataFrame, shading=None):
    """Sea, neighbours, ``countries`` (coloured by ``shading``, a :class:`Shading`, if given),
    framed on Europe and ``dataset``'s sites, and the credit naming the data set."""
    sites = dataset.sites
    ax.set_facecolor(SEA)
    _draw_polygons(ax, _neighbour_paths(), "neighbours", 0.5,
                   facecolors=NEIGHBOUR if shading is None else SHADED_NEIGHBOUR)
    paths = [_polygon_path(shape) for shape in countries.geometry]
    if shading is None:
        _draw_polygons(ax, paths, "countries", 0.8, facecolors=LAND)
    else:
        filled = _draw_polygons(ax, paths, "countries", 0.8, cmap=shading.colour_map,
                                norm=Normalize(*shading.limits))
        filled.set_array(np.asarray(shading.values, float))
        ax.figure.colorbar(filled, ax=ax, label=shading.label, shrink=0.6)
    xmin, xmax, ymin, ymax = _europe_extent(countries, sites)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    _draw_credit(ax, dataset)


def _dataset_map(dataset, ax=None):
    """``ax`` (or a new 9-inch square one) with the member states of ``dataset`` drawn on the
    common base (sea, neighbours, credit), framed on Europe."""
    ax = _axes(ax, size=9)
    _draw_base(ax, dataset, dataset.countries.to_crs(EUROPE_CRS))
    return ax


def _draw_ai_factories(ax, dataset) -> gpd.GeoDataFrame:
    """The EuroHPC AI Factories as purple triangles; returns them projected."""
    factories = dataset.ai_factories.to_crs(EUROPE_CRS)
    ax.scatter(factories.geometry.x, factories.geometry.y, s=34, marker="^", color=AI_FACTORY,
               edgecolor="white", linewidth=0.5, gid="ai_factories", zorder=4,
               label="EuroHPC AI Factory")
    return factories


def _draw_scale_bar(ax, length_km: int = 500):
    """A scale bar of ``length_km`` in the lower left, over the Atlantic, where no member
    state's name goes (in the lower right it ran into Cyprus's; LAEA metres are true near the
    centre)."""
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    x0 = xmin + (xmax - xmin) * 0.04
    x1 = x0 + length_km * 1000
    y = ymin + (ymax - ymin) * 0.05
    ax.plot([x0, x1], [y, y], color="#333333", linewidth=3, solid_capstyle="butt",
            gid="scale_bar")
    ax.text((x0 + x1) / 2, y + (ymax - ymin) * 0.012, f"{length_km} km", ha="center",
            va="bottom", fontsize=8, color="#333333")


def _overlaps(box, boxes) -> float:
    total = 0.0
    for other in boxes:
        width = min(box.x1, other.x1) - max(box.x0, other.x0)
        height = min(box.y1, other.y1) - max(box.y0, other.y0)
        if width > 0 and height > 0:
            total += width * height
    return total


def place_labels(ax, points, texts, avoid_points=(), fontsize=8, sizes=None):
    """Label points without overlaps: each label takes the first candidate position that
    overlaps neither an earlier label nor a marker, else the least overlapping one.

    ``sizes`` (marker areas, points squared, as ``scatter`` takes them) move each label out
    past its own marker and block each marker's whole extent; a thin leader line joins a label
    to its point.

    Returns
    -------
    list of matplotlib.text.Annotation
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_display = ax.transData.transform
    pixels = fig.dpi / 72.0
    radii = (np.sqrt(np.asarray(sizes, float) / np.pi) if sizes is not None
             else np.full(len(points), 3.5))
    blocked = []
    for (x, y), radius in zip(list(points), radii):
        px, py = to_display((x, y))
        reach = (radius + 1.5) * pixels
        blocked.append(Bbox([[px - reach, py - reach], [px + reach, py + reach]]))
    for x, y in list(avoid_points):
        px, py = to_display((x, y))
        blocked.append(Bbox([[px - 5, py - 5], [px + 5, py + 5]]))
    placed = []
    order = sorted(range(len(points)), key=lambda i: -points[i][1])
    for i in order:
        (x, y), text, radius = points[i], texts[i], radii[i]
        best = None
        for dx, dy in LABEL_OFFSETS:
            shift = (np.sign(dx) * radius, np.sign(dy) * radius)
            annotation = ax.annotate(
                text, (x, y), xytext=(dx + shift[0], dy + shift[1]),
                textcoords="offset points", fontsize=fontsize,
                ha="left" if dx > 0 else "right" if dx < 0 else "center", va="bottom",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
                arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.5,
                            "shrinkA": 0, "shrinkB": radius},
                gid="site_label", zorder=6, parse_math=False)
            box = annotation.get_window_extent(renderer).expanded(1.05, 1.1)
            inside = ax.get_window_extent(renderer).contains(box.x0, box.y0) and \
                ax.get_window_extent(renderer).contains(box.x1, box.y1)
            cost = _overlaps(box, blocked) + (0 if inside else 1e6)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, annotation, box)
            else:
                annotation.remove()
            if cost == 0:
                break
        blocked.append(best[2])
        placed.append(best[1])
    return placed


def plot_result(result, ax=None, title: str | None = None, labels: bool = True,
                colours: dict[str, str] | None = None):
    """Draw a result on a map of Europe.

    Layers: EU-27 countries; all candidate sites (small grey); member sites coloured by their
    gigafactory and sized by effective MW, the members of a multi-site gigafactory joined by
    thick lines in its colour, one label per gigafactory (members and MW) placed without
    overlaps; coverage areas (geodesic circles of radius R); dashed links from each partner
    letter's site to its gigafactory's nearest member; the
    EuroHPC AI Factories; a legend, a 500 km scale bar and a title with budget, objective and
    status.

    Parameters
    ----------
    result : Result
    ax : matplotlib Axes, optional
        Drawn into; a new 10 x 10 inch figure otherwise.
    title : str, optional
        Replaces the default title.
    labels : bool
        Label the chosen gigafactories and the member states (turn off for small multiples).
    colours : dict, optional
        :func:`shared_colours` of several results, so that a site has the same colour in each
        of their maps.

    Returns
    -------
    matplotlib Axes
    """
    data = result.dataset
    ax = _axes(ax)
    countries = data.countries.to_crs(EUROPE_CRS)
    _draw_base(ax, data, countries)
    if labels:
        _draw_country_names(ax, countries)
    chosen = result.chosen
    colours = site_colours(result, colours)
    radius = result.model.coverage.radius_km

    circles = coverage_circles(chosen, radius).to_crs(EUROPE_CRS)
    for site_id, circle in circles.items():
        x, y = circle.exterior.xy
        ax.fill(x, y, facecolor=colours[site_id], alpha=0.10, edgecolor=colours[site_id],
                linewidth=1.0, linestyle="-", gid=f"coverage:{site_id}", zorder=2)

    lines = consolidation_lines(result).to_crs(EUROPE_CRS)
    for line, joins in zip(lines.geometry, lines["joins"]):
        x, y = line.xy
        ax.plot(x, y, color=colours[joins], linewidth=1.0, linestyle=(0, (4, 2)), alpha=0.9,
                gid="consolidation_link", zorder=3)
    for line, gigafactory in zip(*(lambda g: (g.geometry, g["gigafactory"]))(
            member_lines(result).to_crs(EUROPE_CRS))):
        x, y = line.xy
        ax.plot(x, y, color=colours[gigafactory], linewidth=3.0, solid_capstyle="round",
                gid="member_link", zorder=4.5)

    candidates = result.sites[~result.sites["selected"]].to_crs(EUROPE_CRS)
    ax.scatter(candidates.geometry.x, candidates.geometry.y, s=14, color=CANDIDATE,
               edgecolor="white", linewidth=0.4, gid="candidates", zorder=4)
    factories = _draw_ai_factories(ax, data)
    chosen_xy = chosen.to_crs(EUROPE_CRS)
    ax.scatter(chosen_xy.geometry.x, chosen_xy.geometry.y, s=marker_area(chosen["effective_mw"]),
               color=[colours[s] for s in chosen["site_id"]], edgecolor="black", linewidth=0.8,
               gid="chosen", zorder=5)
    if labels:
        at = chosen_xy.set_index("site_id").geometry
        anchors = [(at[g.members[0]].x, at[g.members[0]].y) for g in result.gigafactories]
        others = [(p.x, p.y) for p in at] + list(zip(factories.geometry.x, factories.geometry.y))
        place_labels(ax, anchors, [printable_text(gigafactory_label(result, g))
                                   for g in result.gigafactories], avoid_points=others)

    _draw_legends(ax, result, colours, radius, full=labels)
    _draw_scale_bar(ax)
    if title is None:
        title = default_title(result)
    ax.set_title(printable_text(title), fontsize=11, loc="left", parse_math=False)
    return ax


#: Effective MW shown in the size key of the legend.
SIZE_KEY_MW = (250, 500, 1000)


def _marker(colour, mw, edge="black"):
    """A legend handle as large as a map marker of ``mw`` MW (marker size is a diameter)."""
    return Line2D([], [], marker="o", linestyle="", markerfacecolor=colour,
                  markeredgecolor=edge, markersize=float(np.sqrt(marker_area(mw))))


def _draw_legends(ax, result, colours, radius, full: bool = True):
    """Upper left: one entry per chosen gigafactory in its colour. Upper right, over Russia:
    what the other symbols on the map mean (only those it shows), with a size key for MW
    (omitted when ``full`` is False)."""
    gigafactories = [_marker(colours[g.id], 300) for g in result.gigafactories]
    names = [printable_text(gigafactory_label(result, g).replace("\n", ", "))
             for g in result.gigafactories]
    first = ax.legend(gigafactories, names, loc="upper left", fontsize=8, framealpha=0.92,
                      title="Chosen gigafactories (effective MW)", title_fontsize=9,
                      alignment="left")
    for text in first.get_texts():
        text.set_parse_math(False)  # names from the data: "$" is not mathematics
    first.set_gid("gigafactory_legend")
    if not full:
        return
    ax.add_artist(first)
    handles = [_marker("#ffffff", mw, edge="#333333") for mw in SIZE_KEY_MW]
    texts = [f"{mw:,} MW" for mw in SIZE_KEY_MW]
    symbols = [   # (handle, meaning, whether the map shows it)
        (Line2D([], [], marker="o", linestyle="", markerfacecolor=CANDIDATE,
                markeredgecolor="white", markersize=5), "other candidate site",
         bool((~result.sites["selected"]).any())),
        (Line2D([], [], marker="^", linestyle="", markerfacecolor=AI_FACTORY,
                markeredgecolor="white", markersize=7), "EuroHPC AI Factory",
         len(result.dataset.ai_factories) > 0),
        (Patch(facecolor="#0072B2", alpha=0.15, edgecolor="#0072B2"),
         f"within {radius:g} km of a member site", True),
        (Line2D([], [], color="#555555", linestyle=(0, (4, 2))), "letter joins as a partner",
         bool(partner_links(result))),
    ]
    handles += [handle for handle, _, shown in symbols if shown]
    texts += [meaning for _, meaning, shown in symbols if shown]
    if any(len(g.members) > 1 for g in result.gigafactories):
        handles.append(Line2D([], [], color="#555555", linewidth=3.0))
        texts.append("members of one gigafactory")
    ax.legend(handles, texts, loc="upper right", fontsize=8, framealpha=0.92, title="Key",
              title_fontsize=9, alignment="left", labelspacing=1.0)


def default_title(result) -> str:
    """The answer in plain words, then its caveats and the model, for map titles:
    ``5 gigafactories: EUR 19.97 bn of EUR 20.00 bn, 357.4 m people within 500 km`` /
    ``3 of 5 sites illustrative; next best 0.16 % behind; budget 99.8 % used. Model ...``."""
    from siteopt.summary import short_caveats
    from siteopt.units import eur, people

    model = result.model
    count = len(result.gigafactories)
    first = (f"{count} AI Gigafactor{'y' if count == 1 else 'ies'}: "
             f"{eur(result.total_capex_eur)} of {eur(model.budget.total_eur)}, "
             f"{people(result.covered_population)} ({result.terms['coverage']:.0%} of the EU-27) "
             f"within {model.coverage.radius_km:g} km")
    notes = short_caveats(result)
    return f"{first}\n{notes + '; ' if notes else ''}model {model.description}"


def plot_coverage_choropleth(result, ax=None):
    """Choropleth of the share of each country's population within R of a chosen site.

    Returns
    -------
    matplotlib Axes
    """
    table = result.country_coverage()
    share = dict(zip(table["country"], table["share"].to_numpy(float) * 100))
    return _country_choropleth(
        result, ax, share, (0, 100),
        f"% of population within {result.model.coverage.radius_km:g} km of a member site",
        {code: f"{value:.0f}%" for code, value in share.items() if np.isfinite(value)},
        "Population coverage by member state")


def plot_access_choropleth(result, ax=None):
    """Choropleth of each member state's mean distance (km, people-weighted) to the nearest
    member site (:attr:`~siteopt.result.Result.access`); darker is farther.

    Returns
    -------
    matplotlib Axes
    """
    mean_km = {c.country: c.mean_km for c in result.access.countries}
    finite = [v for v in mean_km.values() if np.isfinite(v)]
    top = max(1000.0, math.ceil(max(finite, default=0.0) / 250) * 250)
    return _country_choropleth(
        result, ax, mean_km, (0, top),
        "mean distance of its people to the nearest member site, km (50 km: 1 ms round trip)",
        {code: f"{value:,.0f} km" for code, value in mean_km.items() if np.isfinite(value)},
        "Distance to the nearest gigafactory by member state")


def _country_choropleth(result, ax, values: dict[str, float], limits: tuple[float, float],
                        label: str, texts: dict[str, str], title: str):
    """Member states shaded by ``values`` (by ISO code, between ``limits``), each with its
    text, the chosen sites, the legends and ``title`` over the answer's headline, caveats
    and model (:func:`default_title`)."""
    data = result.dataset
    ax = _axes(ax)
    countries = data.countries.to_crs(EUROPE_CRS).copy()
    shade = np.array([values.get(code, np.nan) for code in countries["iso_a2"]], float)
    _draw_base(ax, data, countries, Shading(shade, share_colour_map(), limits, label))
    _draw_country_names(ax, countries, values=texts)
    colours = site_colours(result)
    chosen = result.chosen.to_crs(EUROPE_CRS)
    ax.scatter(chosen.geometry.x, chosen.geometry.y, s=marker_area(result.chosen["effective_mw"]),
               color=[colours[s] for s in chosen["site_id"]], edgecolor="black", linewidth=0.8,
               gid="chosen", zorder=5)
    _draw_legends(ax, result, colours, result.model.coverage.radius_km, full=False)
    _draw_scale_bar(ax)
    ax.set_title(title + "\n" + default_title(result), fontsize=11, loc="left",
                 parse_math=False)
    return ax


def plot_access_curve(result, others=(), ax=None):
    """The share of people within each distance of the nearest member site (km below, round
    trip ms above), for ``result`` and beside it each of ``others`` (``(label, result)``
    pairs: the scenario's answer, another result).

    Returns
    -------
    matplotlib Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    curves = [("this answer", result), *others]
    reach = max(float(np.max(r.access.nearest_km[np.isfinite(r.access.nearest_km)],
                             initial=0.0)) for _, r in curves)
    top = max(500.0, math.ceil(reach / 250) * 250)
    for (label, each), colour in zip(curves, SITE_COLOURS):
        km, share = each.access.curve()
        ax.step(np.append(km, top), np.append(share, share[-1] if len(share) else 0) * 100,
                where="post", color=colour, linewidth=2, label=label, gid="access-curve")
    radius = result.model.coverage.radius_km
    ax.axvline(radius, color="#555555", linestyle=":", linewidth=1)
    ax.text(radius, 2, f" R = {radius:g} km", color="#555555", fontsize=9)
    ax.set_xlim(0, top)
    ax.set_ylim(0, 100)
    ax.set_xlabel("distance to the nearest member site, km")
    ax.set_ylabel("% of EU-27 people within it")
    ms = ax.secondary_xaxis("top", functions=(round_trip_ms, lambda v: v * KM_PER_ROUND_TRIP_MS))
    ms.set_xlabel("round trip over fibre, ms")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("How many people are how far from the gigafactories", fontsize=11, loc="left")
    return ax


def plot_candidates(dataset, column: str | None = None, ax=None, title: str | None = None,
                    cmap: str = "viridis", label: str | None = None, scale: float = 1.0):
    """The data set on a map: candidate sites (coloured by ``column``, or by country), the AI
    Factories and the EU-27.

    Parameters
    ----------
    dataset : Dataset
    column : str, optional
        A numeric site column to colour by (e.g. ``capex_eur``, ``renewable_share``); by
        default sites are coloured by provenance (reported or illustrative).
    ax : matplotlib Axes, optional
    title, label : str, optional
        Title, and colour-bar label for ``column``.
    scale : float
        ``column`` is divided by it for display (e.g. 1e9 to show EUR as EUR bn).

    Returns
    -------
    matplotlib Axes
    """
    ax = _dataset_map(dataset, ax)
    sites = dataset.sites.to_crs(EUROPE_CRS)
    sizes = marker_area(dataset.sites["power_mw"].clip(upper=1000))
    if column is None:
        for provenance, colour in (("reported", "#0072B2"), ("illustrative", "#E69F00")):
            chosen = sites["provenance"] == provenance
            ax.scatter(sites.geometry.x[chosen], sites.geometry.y[chosen], s=sizes[chosen],
                       color=colour, edgecolor="black", linewidth=0.5, zorder=5, gid="sites",
                       label=f"{provenance} site ({int(chosen.sum())})")
    else:
        points = ax.scatter(sites.geometry.x, sites.geometry.y, s=sizes, c=dataset.sites[column] / scale,
                            cmap=cmap, edgecolor="black", linewidth=0.5, zorder=5, gid="sites")
        ax.figure.colorbar(points, ax=ax, shrink=0.6, label=label or column)
    _draw_ai_factories(ax, dataset)
    ax.legend(loc="upper left", fontsize=8, title="marker size: planned MW", title_fontsize=8)
    _draw_scale_bar(ax)
    ax.set_title(title or f"{len(dataset.sites)} candidate sites in "
                          f"{dataset.sites['country'].nunique()} member states", loc="left",
                 parse_math=False)
    return ax


def plot_population(dataset, ax=None):
    """The demand points on the same map as the sites: one dot per GeoNames place, its area
    proportional to the people it stands for.

    Returns
    -------
    matplotlib Axes
    """
    ax = _dataset_map(dataset, ax)
    points = dataset.demand.to_crs(EUROPE_CRS)
    ax.scatter(points.geometry.x, points.geometry.y, s=dataset.demand["population"] / 20_000,
               color="#0072B2", alpha=0.5, linewidth=0, zorder=3, gid="demand")
    handles = [Line2D([], [], marker="o", linestyle="", color="#0072B2", alpha=0.5,
                      markersize=float(np.sqrt(people / 20_000)))
               for people in (100_000, 1_000_000, 3_000_000)]
    ax.legend(handles, ["100,000 people", "1 million", "3 million"], loc="upper left",
              fontsize=8, title="people at a place", title_fontsize=8, labelspacing=1.2)
    _draw_scale_bar(ax)
    ax.set_title(f"{len(dataset.demand):,} population points, "
                 f"{dataset.demand['population'].sum():,.0f} people (Eurostat 2026)",
                 loc="left")
    return ax


def plot_frequency(dataset, frequency, title: str, ax=None, label_at: float = 0.1,
                   event: str = "chosen", others: str = "never chosen",
                   zero_shown: bool = False):
    """How often each site is chosen (robustness draws): a circle per site chosen at least
    once, its colour (pale to dark red) and area by the share, with a key of sizes, labelled
    beside its marker with its ID and share where that is at least ``label_at``; sites never
    chosen as small grey dots.

    Parameters
    ----------
    dataset : Dataset
    frequency : pandas.Series
        Share of draws (0..1) by site ID.
    title : str
    event : str
        What the share counts, after "share of draws in which the site is" (``chosen``;
        ``slips``: "in which the site's grid slips").
    others : str
        The key of the sites with share 0 (or, with ``zero_shown``, of the sites not in
        ``frequency``).
    zero_shown : bool
        Mark the sites of ``frequency`` with share 0 as the others (the members of a
        portfolio whose grid never slips).

    Returns
    -------
    matplotlib Axes
    """
    ax = _dataset_map(dataset, ax)
    sites = dataset.sites.to_crs(EUROPE_CRS)
    share = sites["site_id"].map(frequency)
    never = (share.isna() if zero_shown else share.fillna(0.0) == 0).to_numpy()
    share = share.fillna(0.0).to_numpy(float)
    never_chosen = ax.scatter(sites.geometry.x[never], sites.geometry.y[never], s=10,
                              color=CANDIDATE, zorder=3, gid="never_chosen",
                              label=others)
    order = np.argsort(share[~never])   # the most frequent on top
    chosen = sites[~never].iloc[order]
    values = share[~never][order]
    # pale and small for the rare, dark red and large for the frequent: those stand out
    colour_map = ListedColormap(colormaps["OrRd"](np.linspace(0.2, 1.0, 256)))
    norm = Normalize(0.0, 1.0)
    area = 30 + 420 * values
    ax.scatter(chosen.geometry.x, chosen.geometry.y, s=area,
               c=colour_map(norm(values)), edgecolor="black", linewidth=0.6, zorder=4,
               gid="frequency")
    shown = values >= label_at
    place_labels(ax, list(zip(chosen.geometry.x[shown], chosen.geometry.y[shown])),
                 [f"{printable_text(site)} {v:.0%}" for site, v in
                  zip(chosen["site_id"][shown], values[shown])],
                 avoid_points=list(zip(sites.geometry.x, sites.geometry.y)), fontsize=7,
                 sizes=area[shown])
    bar = ax.figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=colour_map), ax=ax,
                             shrink=0.5, pad=0.01)
    bar.set_label("share of draws in which the site's grid slips" if event == "slips"
                  else f"share of draws in which the site is {event}")
    bar.ax.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    # a key of marker sizes beside the never-chosen dot
    keys = [ax.scatter([], [], s=30 + 420 * share, color=colour_map(norm(share)),
                       edgecolor="black", linewidth=0.6,
                       label=f"{'slips' if event == 'slips' else event} in {share:.0%}")
            for share in (0.1, 0.5, 1.0)]
    ax.legend(handles=[*keys, never_chosen],
              loc="upper left", fontsize=8, labelspacing=1.3, borderpad=0.9,
              title="marker: share of draws", title_fontsize=8)
    _draw_scale_bar(ax)
    ax.set_title(title, loc="left", fontsize=10, parse_math=False)
    return ax


def figure_bytes(ax, fmt: str = "png", dpi: int = 150) -> bytes:
    """The figure of ``ax`` as PNG, SVG or PDF bytes (the same bytes on every run); the figure
    is closed afterwards.

    Parameters
    ----------
    fmt : str
        ``png`` (raster, ``dpi`` dots per inch: 300 for print), ``svg`` or ``pdf`` (vector).
    """
    metadata = {"png": {"Software": None}, "svg": {"Date": None},
                "pdf": {"CreationDate": None, "ModDate": None}}[fmt]
    buffer = io.BytesIO()
    with plt.rc_context({"svg.hashsalt": "siteopt"}):  # same ids, same bytes, on every run
        ax.figure.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.15,
                          metadata=metadata)
    plt.close(ax.figure)
    return buffer.getvalue()
