"""Static and interactive maps: assertions on the artists, not on pixels."""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import matplotlib
import numpy as np
import pytest

from siteopt.geometry import haversine_km
from siteopt.report.interactive import explore_result, share_colour
from siteopt.report.maps import (
    EUROPE_CRS,
    consolidation_lines,
    default_title,
    figure_bytes,
    gigafactory_label,
    marker_area,
    member_lines,
    shared_colours,
    site_colours,
)
from tests.conftest import REPO, SCENARIOS

matplotlib.use("Agg")


def artists(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


@pytest.fixture(scope="module")
def map_ax(default_result):
    ax = default_result.plot()
    yield ax
    matplotlib.pyplot.close(ax.figure)


def test_chosen_candidates_and_factories_are_drawn(default_result, map_ax):
    (chosen,) = artists(map_ax, "chosen")
    (candidates,) = artists(map_ax, "candidates")
    (factories,) = artists(map_ax, "ai_factories")
    members = len(default_result.selected)
    assert len(chosen.get_offsets()) == members >= len(default_result.gigafactories)
    assert len(candidates.get_offsets()) == 60 - members
    assert len(factories.get_offsets()) == 19
    # marker area grows with MW: the largest member is drawn larger than the smallest
    sizes = dict(zip(default_result.chosen["site_id"], chosen.get_sizes()))
    mw = default_result.chosen.set_index("site_id")["effective_mw"]
    assert sizes[mw.idxmax()] > sizes[mw.idxmin()]
    # members of one gigafactory share its colour; different gigafactories differ
    colours = {site: tuple(c) for site, c in zip(default_result.chosen["site_id"],
                                                   chosen.get_facecolors())}
    per_gigafactory = [{colours[m] for m in g.members} for g in default_result.gigafactories]
    assert all(len(c) == 1 for c in per_gigafactory)
    assert len({next(iter(c)) for c in per_gigafactory}) == len(per_gigafactory)


def test_legend_title_and_scale_bar(default_result, map_ax):
    key = map_ax.get_legend()
    assert all(len(g.members) == 1 for g in default_result.gigafactories)
    assert [t.get_text() for t in key.get_texts()] == [
        "250 MW", "500 MW", "1,000 MW", "other candidate site", "EuroHPC AI Factory",
        "within 500 km of a member site", "letter joins as a partner"]
    # the size key's markers are as large as map markers of that many MW
    sizes = [handle.get_markersize() for handle in key.legend_handles[:3]]
    assert sizes == pytest.approx([np.sqrt(marker_area(mw)) for mw in (250, 500, 1000)])
    # one entry per chosen gigafactory, in its colour
    (chosen_legend,) = [a for a in map_ax.artists if a.get_gid() == "gigafactory_legend"]
    assert [t.get_text() for t in chosen_legend.get_texts()] == [
        gigafactory_label(default_result, g).replace("\n", ", ")
        for g in default_result.gigafactories]
    colours = site_colours(default_result)
    assert [handle.get_markerfacecolor() for handle in chosen_legend.legend_handles] == [
        colours[g.id] for g in default_result.gigafactories]
    # member states are named, the data credited
    names = {a.get_gid().split(":")[1]: a.get_text() for a in map_ax.get_children()
             if (a.get_gid() or "").startswith("country_label:")}
    assert names["FR"] == "France" and names["NL"] == "NL" and "LU" not in names
    assert len(names) == 25
    assert "Natural Earth" in artists(map_ax, "credit")[0].get_text()
    assert "Data set: eu2026 (" in artists(map_ax, "credit")[0].get_text()
    title = map_ax.get_title(loc="left")
    # the answer in euros and people first, then its caveats, then the model
    assert title.startswith("5 AI Gigafactories: EUR 19.97 bn of EUR 20.00 bn, 357.4 m people "
                            "(79% of the EU-27) within 500 km\n")
    assert "3 of 5 sites illustrative; next best 0.16% behind; budget 99.8% used" in title
    assert title.endswith("model default")
    assert len(artists(map_ax, "scale_bar")) == 1


def test_coverage_circles_are_geodesic(default_result, map_ax):
    chosen = default_result.chosen.set_index("site_id")
    for site_id in default_result.selected:
        (patch,) = artists(map_ax, f"coverage:{site_id}")
        xy = patch.get_xy()
        lonlat = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=EUROPE_CRS).to_crs(4326)
        distance = haversine_km(chosen.at[site_id, "lat"], chosen.at[site_id, "lon"],
                                lonlat.y.to_numpy(), lonlat.x.to_numpy())
        assert np.abs(distance / 500.0 - 1).max() < 0.005


def test_one_link_per_partner_pair(default_result, map_ax):
    links = artists(map_ax, "consolidation_link")
    plan = default_result.consolidation.letters
    partners = plan[plan["role"] == "partner"]
    pairs = set(zip(partners["site_id"], partners["gigafactory"]))
    assert len(links) == len(consolidation_lines(default_result)) == len(pairs) > 0
    # every link ends at a member site
    chosen_xy = default_result.chosen.to_crs(EUROPE_CRS)
    ends = {(round(x), round(y)) for x, y in zip(chosen_xy.geometry.x, chosen_xy.geometry.y)}
    for line in links:
        x, y = line.get_data()
        assert (round(x[-1]), round(y[-1])) in ends


def test_labels_do_not_overlap(default_result, map_ax):
    labels = artists(map_ax, "site_label")
    assert len(labels) == len(default_result.gigafactories)
    assert sorted(label.get_text().split()[0] for label in labels) == sorted(
        g.members[0] for g in default_result.gigafactories)
    assert all(label.get_text().endswith(" MW") for label in labels)
    renderer = map_ax.figure.canvas.get_renderer()
    boxes = [label.get_window_extent(renderer) for label in labels]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


@pytest.fixture(scope="module")
def cross_border_result():
    import siteopt
    from tests.conftest import REPO

    return siteopt.solve(SCENARIOS / "cross-border.toml")


def test_multi_site_gigafactories_are_joined_in_their_colour(cross_border_result):
    result = cross_border_result
    multi = [g for g in result.gigafactories if len(g.members) > 1]
    assert multi, "the cross-border scenario has a multi-site gigafactory"
    ax = result.plot()
    links = artists(ax, "member_link")
    assert len(links) == len(member_lines(result)) == sum(
        len(g.members) * (len(g.members) - 1) // 2 for g in multi)
    (chosen,) = artists(ax, "chosen")
    colour = dict(zip(result.chosen["site_id"], map(tuple, chosen.get_facecolors())))
    for g, line in zip([g for g in multi for _ in range(len(g.members) - 1)], links):
        assert matplotlib.colors.to_rgba(line.get_color()) == colour[g.members[0]]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[-1] == "members of one gigafactory"
    labels = [a.get_text() for a in artists(ax, "site_label")]
    for g in multi:
        assert f"{' + '.join(g.members)}\n{g.effective_mw:,.0f} MW" in labels
    matplotlib.pyplot.close(ax.figure)


def test_choropleth_colours_countries_by_share(default_result):
    ax = default_result.plot("coverage")
    (countries,) = [c for c in ax.collections if c.get_gid() == "countries"]
    shares = default_result.country_coverage().set_index("country")["share"] * 100
    expected = shares.reindex(default_result.dataset.countries["iso_a2"]).to_numpy()
    assert np.allclose(np.asarray(countries.get_array()), expected)
    colourbar_label = ax.figure.axes[-1].get_ylabel()
    assert colourbar_label == "% of population within 500 km of a member site"
    # the title carries the answer's caveats and model, as the map's does (it had the
    # headline alone)
    assert ax.get_title(loc="left") == f"Population coverage by member state\n" \
        f"{default_title(default_result)}"
    assert "3 of 5 sites illustrative; next best" in ax.get_title(loc="left")
    matplotlib.pyplot.close(ax.figure)


def test_png_and_svg_bytes(default_result):
    assert figure_bytes(default_result.plot(), "png")[:8] == b"\x89PNG\r\n\x1a\n"
    svg = figure_bytes(default_result.plot(), "svg")
    assert b"<svg" in svg[:500]


def test_unknown_plot_kind(default_result):
    with pytest.raises(ValueError, match="kind must be one of map, coverage"):
        default_result.plot("pie")


def test_the_interactive_map_saves_whole_and_says_what_it_is(default_result, tmp_path):
    """In a script or console ``Result.explore()`` names itself in one line (its repr was
    the whole page, 0.8 MB of HTML) and ``save`` writes the page as ``map --out`` does."""
    shown = default_result.explore()
    size = len(shown.html.encode("utf-8")) / 1e6
    assert repr(shown) == (f"<siteopt.InteractiveMap: a {size:.1f} MB page; .save('map.html') "
                           f"writes it, a notebook shows it inline>")
    assert shown.save(tmp_path / "m.html") == tmp_path / "m.html"
    assert (tmp_path / "m.html").read_text(encoding="utf-8") == shown.html
    assert [p.name for p in tmp_path.iterdir()] == ["m.html"]   # no temporary file left


def test_interactive_map_layers_and_offline(default_result):
    page = explore_result(default_result).html
    # no script, stylesheet or image is loaded from the network; Leaflet is inline
    assert not re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=", page)
    assert "L.map(" in page and "leafletjs.com" in page
    data = json.loads(page.split('<script type="application/json" id="siteopt-data">')[1]
                      .split("</script>")[0])
    assert list(data["layers"].values()) == [
        "Countries (share covered)", "Coverage (500 km)", "Consolidation links",
        "Other candidate sites", "EuroHPC AI Factories", "Chosen sites", "Country names"]
    assert len(data["countries"]) == 27
    assert len(data["others"]) + len(data["chosen"]) == 60 and len(data["factories"]) == 19
    assert sorted(item["popup"]["rows"][0][1] for item in data["chosen"]) == \
        sorted(default_result.selected)
    assert len(data["coverage"]) == len(default_result.selected)
    assert len(data["links"]) == (len(consolidation_lines(default_result))
                                  + len(member_lines(default_result)))
    # the countries are coloured by the share covered, as in the coverage table
    share = default_result.country_coverage().set_index("country")["share"]
    fills = {item["tooltip"].split(":")[0]: item["fill"] for item in data["countries"]}
    names = default_result.dataset.countries.set_index("name")["iso_a2"]
    assert {name: share_colour(share[names[name]]) for name in fills} == fills
    legend = data["legend"][0]["entries"]
    assert len(legend) == len(default_result.gigafactories)
    assert all(entry["label"].startswith(" + ".join(g.members) + " ")
               and entry["label"].endswith(f"{g.effective_mw:,.0f} MW")
               for entry, g in zip(legend, default_result.gigafactories))


@pytest.mark.parametrize("name", ["Cost $x^{2$ site", "$\\frac", "a $5 and $6 plan"])
def test_dollar_signs_in_names_are_drawn_literally(data_dir, run_cli, tmp_path, name):
    """matplotlib reads $...$ as maths: a name from the data must be drawn as it is."""
    import siteopt
    from tests.conftest import edit_csv

    edit_csv(data_dir / "sites.csv", "site_id", "RO-CER", "name", name)
    result = siteopt.solve(data=data_dir)
    assert "RO-CER" in result.selected
    ax = result.plot()
    labels = [a.get_text() for a in artists(ax, "site_label")]
    assert f"RO-CER {name}\n1,000 MW" in labels
    assert figure_bytes(ax, "png")[:4] == b"\x89PNG"
    for command, out in (("map", "m.svg"), ("report", "r.html")):
        assert run_cli(command, "--data", str(data_dir), "--out", str(tmp_path / out)).exit_code == 0


def test_a_long_name_is_cut_on_the_maps_and_whole_in_the_popup(data_dir):
    """A site's name of 120 characters pushed its label off the map and the legend over the
    key; the labels and legends cut it at a word, the popup keeps it whole."""
    import siteopt
    from tests.conftest import edit_csv

    name = ("Centrale Nucléaire de Cattenom Campus Nord-Est Phase I-III Bâtiments A B C "
            "Zone d'Activité Économique de la Grande Région Moselle")
    edit_csv(data_dir / "sites.csv", "site_id", "RO-CER", "name", name)
    result = siteopt.solve(data=data_dir)
    assert "RO-CER" in result.selected
    ax = result.plot()
    labels = [a.get_text() for a in artists(ax, "site_label")]
    assert "RO-CER Centrale Nucléaire de Cattenom…\n1,000 MW" in labels
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    gigafactories, key = (legend.get_window_extent(renderer) for legend in
                          (artists(ax, "gigafactory_legend")[0], ax.get_legend()))
    assert gigafactories.x1 < key.x0 and frame.x0 <= gigafactories.x0
    assert all(frame.x0 <= box.x0 and box.x1 <= frame.x1 for box in
               (label.get_window_extent(renderer) for label in artists(ax, "site_label")))
    matplotlib.pyplot.close(figure)
    page = explore_result(result).html
    data = json.loads(page.split('<script type="application/json" id="siteopt-data">')[1]
                      .split("</script>")[0])
    assert "RO-CER Centrale Nucléaire de Cattenom…, 1,000 MW" in \
        [entry["label"] for entry in data["legend"][0]["entries"]]
    popup, = (item["popup"] for item in data["chosen"] if item["popup"]["rows"][0][1] == "RO-CER")
    assert popup["title"] == name


def test_a_site_keeps_its_colour_across_small_multiples():
    import siteopt

    results = [siteopt.solve(budget=budget) for budget in (8e9, 20e9)]
    results += [siteopt.solve(SCENARIOS / name) for name in ("single-site.toml",
                                                                  "seven-gigafactories.toml")]
    shared = shared_colours(results)
    leads = [g.members[0] for result in results for g in result.gigafactories]
    assert list(shared) == list(dict.fromkeys(leads))
    for result in results:   # within one map, no two gigafactories share a colour
        colours = [shared[g.members[0]] for g in result.gigafactories]
        assert len(set(colours)) == len(colours)
    for result in results[:2]:
        ax = result.plot(colours=shared, labels=False)
        (chosen,) = artists(ax, "chosen")
        drawn = dict(zip(result.chosen["site_id"], map(tuple, chosen.get_facecolors())))
        for g in result.gigafactories:
            assert drawn[g.members[0]] == matplotlib.colors.to_rgba(shared[g.members[0]])
        matplotlib.pyplot.close(ax.figure)


def test_coverage_map_prints_each_states_share(default_result):
    ax = default_result.plot("coverage")
    table = default_result.country_coverage().set_index("country")
    labels = {a.get_gid().split(":")[1]: a.get_text() for a in ax.get_children()
              if (a.get_gid() or "").startswith("country_label:")}
    assert labels["FR"] == f"France\n{table.at['FR', 'share']:.0%}"
    assert labels["BE"] == f"BE\n{table.at['BE', 'share']:.0%}"
    (chosen,) = artists(ax, "chosen")
    # the values are what the map is read for: no site's mark hides one
    above = {a.get_zorder() > chosen.get_zorder() for a in ax.get_children()
             if (a.get_gid() or "").startswith("country_label:")}
    assert above == {True}
    colours = site_colours(default_result)
    assert [matplotlib.colors.to_hex(c) for c in chosen.get_facecolors()] == [
        colours[s].lower() for s in default_result.chosen["site_id"]]
    matplotlib.pyplot.close(ax.figure)


def test_population_map_draws_every_point_on_the_common_base():
    import siteopt
    from siteopt.report.maps import plot_population

    data = siteopt.load_data()
    ax = plot_population(data)
    (points,) = artists(ax, "demand")
    assert len(points.get_offsets()) == len(data.demand)
    assert len(artists(ax, "neighbours")) == 1 and len(artists(ax, "credit")) == 1
    assert ax.get_title(loc="left").startswith(f"{len(data.demand):,} population points")
    matplotlib.pyplot.close(ax.figure)


def test_maps_frame_the_data_with_every_site_in_view(data_dir):
    """A site on the Canary Islands (outside the mainland frame) widens every map to it."""
    import siteopt
    from siteopt.report.interactive import map_data
    from siteopt.report.maps import EUROPE_CRS, plot_result
    from tests.conftest import edit_csv

    edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "lat", "28.1")
    edit_csv(data_dir / "sites.csv", "site_id", "ES-MLN", "lon", "-15.43")
    result = siteopt.solve(data=data_dir, **{"sites.required": ["ES-MLN"]})
    (south, west), (north, east) = map_data(result)["bounds"]
    assert south <= 28.1 and west <= -15.43 and north >= 69 and east >= 34
    ax = plot_result(result)
    point = gpd.GeoSeries(gpd.points_from_xy([-15.43], [28.1]), crs="EPSG:4326").to_crs(
        EUROPE_CRS).iloc[0]
    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    assert xmin < point.x < xmax and ymin < point.y < ymax
    # the shipped data: the mainland, Lisbon to Cyprus and Lapland
    shipped = map_data(siteopt.solve())["bounds"]
    assert 34 < shipped[0][0] < 36 and 69 < shipped[1][0] < 71
