"""The HTML report and the interactive map rendered in a real headless Chromium, offline."""

from __future__ import annotations

import re

from siteopt.config import settings
from tests.conftest import open_offline


def test_report_renders_offline_with_every_section(browser, run_cli, tmp_path):
    report = tmp_path / "report.html"
    assert run_cli("report", "--out", str(report)).exit_code == 0
    page, requested, errors = open_offline(browser, report)
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
    assert errors == []
    assert page.inner_text("h1") == "Where should Europe build its AI Gigafactories?"
    assert ("at most 5 gigafactories, each formed from up to 3 of the 60 candidate sites"
            in page.inner_text("#question"))
    assert page.locator("#gigafactories tbody tr").count() == 5
    assert page.locator("#portfolio tbody tr").count() >= 5
    assert page.locator("#limits tbody tr").count() == 5
    assert page.locator("#terms svg").count() == 1
    assert "C coverage" in page.inner_text("#terms")
    for image in ("#map", "#choropleth"):
        assert page.eval_on_selector(image, "img => img.complete && img.naturalWidth") > 800
    assert page.locator("#coverage tbody tr").count() == 27
    assert page.locator("#consolidation tbody tr").count() == 5
    unfunded = page.inner_text("#unfunded")
    assert unfunded.startswith("Not funded (") and "AT: L001, L002" in unfunded
    header = page.locator("#consolidation thead").inner_text()
    assert "merged consortia" in header and "partner consortia" in header
    assert "Status: optimal (proven optimal)" in page.inner_text("#status")
    assert page.locator("#settings tbody tr").count() == len(settings())
    assert "25 are publicly reported and 35 are illustrative" in page.inner_text("#provenance")
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 100_000
    # on a page as narrow as A4 paper, an amount ("EUR 2.8 bn", "45.8 m people") or a
    # setting's value stays on one line: the text of each such cell makes one line box
    page.set_viewport_size({"width": 700, "height": 900})
    lines = page.eval_on_selector_all(
        "#portfolio td.short, #settings td.short",
        "cells => cells.map(cell => { const range = document.createRange();"
        " range.selectNodeContents(cell); return new Set(Array.from(range.getClientRects(),"
        " box => Math.round(box.top))).size; })")
    assert len(lines) > 5 * 5 and set(lines) == {1}
    # nor is a hyphenated word in longer text (a site ID, "multi-site") split at its hyphen,
    # even on a phone's width: in the tables and in the prose (the caveats name sites too)
    assert page.locator("#caveats .id").count() >= 3
    page.set_viewport_size({"width": 360, "height": 900})
    words = page.eval_on_selector_all(
        ".id", "spans => spans.map(span => new Set(Array.from(span.getClientRects(),"
        " box => Math.round(box.top))).size)")
    assert len(words) > 3 and set(words) == {1}


def test_a_one_site_map_offers_no_switch_for_an_empty_layer(browser, run_cli, tmp_path,
                                                             monkeypatch):
    """A study of one site with its own letter has no other candidate and no link to draw."""
    monkeypatch.chdir(tmp_path)
    assert run_cli("init", "--empty", "one").exit_code == 0
    monkeypatch.chdir(tmp_path / "one")
    assert run_cli("map", "--out", "map.html").exit_code == 0
    page, _, errors = open_offline(browser, tmp_path / "one" / "map.html")
    assert errors == []
    layers = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in layers] == [
        "Countries (share covered)", "Coverage (500 km)", "EuroHPC AI Factories",
        "Chosen sites", "Country names"]


def test_interactive_map_renders_offline_with_layers_and_popups(browser, run_cli, tmp_path):
    page_file = tmp_path / "map.html"
    assert run_cli("map", "--out", str(page_file)).exit_code == 0
    page, requested, errors = open_offline(browser, page_file)
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
    assert errors == []
    layers = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [label.strip() for label in layers] == [
        "Countries (share covered)", "Coverage (500 km)", "Consolidation links",
        "Other candidate sites", "EuroHPC AI Factories", "Chosen sites", "Country names"]
    markers = page.locator("path.leaflet-interactive")
    assert markers.count() >= 27 + 5 + 60
    # the AI Factories are triangles, as on the static maps and in the explorer, named on hover
    factories = page.locator(".leaflet-marker-icon.siteopt-triangle")
    assert factories.count() == 19
    named = page.locator(".leaflet-tooltip", has_text="EuroHPC AI Factory: ")
    factories.first.hover(force=True)
    hovered = named.all_inner_texts()
    assert len(hovered) == 1
    page.mouse.move(1, 1)
    factories.nth(1).focus()   # reached with Tab like the other markers, named on focus
    assert page.evaluate("document.activeElement.classList.contains('siteopt-triangle')")
    named.filter(has_not_text=hovered[0]).wait_for(timeout=5000)
    # the chosen sites are drawn on top: click one and read its popup
    page.locator(".leaflet-chosen-pane path.leaflet-interactive").last.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "Capital cost\tEUR " in text and " MW counted" in text
    assert "Letters merged here" in text
    legend = page.inner_text(".siteopt-legend")
    assert len(re.findall(r"\d MW", legend)) == 5 and "Population within 500 km" in legend
    assert page.inner_text("header h1").startswith("5 AI Gigafactories")
    # the countries layer is coloured by share covered: not one fill for all
    fills = page.eval_on_selector_all(".leaflet-overlay-pane path.leaflet-interactive",
                                      "ps => ps.map(p => p.getAttribute('fill'))")
    assert len(set(fills[:27])) >= 4
    # ... in greys only: no gigafactory's colour ever sits on its own hue
    assert all(len({fill[1:3], fill[3:5], fill[5:7]}) == 1 for fill in fills[:27]), fills[:27]
    # every member state is named, the data credited below the map
    names = page.locator(".siteopt-country-name").all_inner_texts()
    assert len(names) == 27 and {"France", "Poland", "Finland", "Cyprus"} <= set(names)
    assert "Natural Earth" in page.inner_text("#siteopt-credit")
    assert "Data set: eu2026 (" in page.inner_text("#siteopt-credit")
    # it opens with the EU filling the window: Lapland to Malta spans most of the map's height
    box = page.evaluate("""() => {
        const map = document.getElementById('map').getBoundingClientRect();
        const paths = [...document.querySelectorAll(
            '.leaflet-overlay-pane path.leaflet-interactive')].slice(0, 27)
            .map(p => p.getBoundingClientRect());
        return {map: map.height, top: Math.min(...paths.map(r => r.top)),
                bottom: Math.max(...paths.map(r => r.bottom)), mapTop: map.top};
    }""")
    assert (min(box["bottom"], box["mapTop"] + box["map"]) - max(box["top"], box["mapTop"])) \
        >= 0.85 * box["map"], box
    # by keyboard: from the map, Tab reaches the zoom buttons and the layer switches, then the
    # chosen sites; Enter opens a site's popup, Escape closes it. Every other stop is a site,
    # an AI Factory or a country: the coverage rings and the links, whose tooltips repeat the
    # popups, are skipped, also once switched off and on again.
    rings = page.locator(".leaflet-control-layers-overlays label", has_text="Coverage") \
        .locator("input")
    rings.uncheck()
    rings.check()
    page.focus("#map")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.title") == "Zoom in"
    for _ in range(1 + len(layers) + 1):
        page.keyboard.press("Tab")
    chosen = page.locator(".leaflet-tooltip").last.inner_text()
    assert re.fullmatch(r"[A-Z]{2}-[A-Z]{3} .+: [\d,]+ MW", chosen), chosen
    assert page.evaluate("document.activeElement.closest('.leaflet-chosen-pane') !== null")
    page.keyboard.press("Enter")
    opened = popup.filter(has_text=chosen.split()[0])   # the clicked one may still fade out
    opened.wait_for(timeout=5000)
    assert "Capital cost" in opened.inner_text()
    page.keyboard.press("Escape")
    opened.wait_for(state="detached", timeout=5000)
    stops = 0
    while not page.evaluate("document.activeElement.matches('body, #map')") and stops < 500:
        page.keyboard.press("Tab")
        stops += 1
    assert stops == 60 + 19 + 27, stops   # from the first chosen site out of the map
    # a layer can be switched off
    before = markers.count()
    page.locator(".leaflet-control-layers-overlays label", has_text="Other candidate sites") \
        .locator("input").uncheck()
    assert markers.count() == before - 55


def test_report_prints_to_pdf_offline(run_cli, tmp_path):
    out = tmp_path / "report.pdf"
    assert run_cli("report", "--out", str(out)).exit_code == 0
    content = out.read_bytes()
    assert content.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", content))
    assert 3 <= pages <= 16   # 14 on the shipped data
    assert len(content) > 200_000   # the two maps are in it
