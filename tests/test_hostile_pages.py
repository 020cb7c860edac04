"""Scripts hidden in data files never run in the interactive map; they show as plain text.

Every field that reaches the page (site names, backers and sources; letters' consortia; AI
Factory names and cities; country names) gets a payload that would set ``window.pwned`` if it
ran. The page is opened in Chromium; every shape gets a hover and every site a click. Nothing may
run, nothing may be requested, the policy may not even have to block anything (no console
error), and each payload must show literally.
"""

from __future__ import annotations

import csv
import html
import json

import pytest

from siteopt.report.interactive import script_json
from tests.conftest import open_offline

#: Payloads, each setting window.pwned to its number if it ever runs.
PAYLOADS = (
    "<script>window.pwned=1</script>",
    '<img src=x onerror="window.pwned=2">',
    "${window.pwned=3}",
    "</script><script>window.pwned=4</script>",
    "`+(window.pwned=5)+`",
    '"><svg onload="window.pwned=6">',
    "');window.pwned=7;('",
    '<a href="javascript:window.pwned=8">click me</a>',
    "<!--<script>window.pwned=9</script>-->",
    "\\u003cscript>window.pwned=10\\u003c/script>",
)


def _rewrite_csv(path, columns, tag):
    """Put a payload into each of ``columns`` of every row, tagged with field and row."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    for number, row in enumerate(rows):
        for column in columns:
            row[column] = f"{tag}{number}:{column} {PAYLOADS[number % len(PAYLOADS)]}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.fixture
def hostile_data(data_dir):
    """The shipped data with a payload in every text field that reaches the map."""
    sites = _rewrite_csv(data_dir / "sites.csv", ("name", "consortium", "source"), "S")
    _rewrite_csv(data_dir / "letters.csv", ("consortium",), "L")
    factories = _rewrite_csv(data_dir / "ai_factories.csv", ("name", "city"), "F")
    path = data_dir / "countries.geojson"
    countries = json.loads(path.read_text(encoding="utf-8"))
    for number, feature in enumerate(countries["features"]):
        feature["properties"]["name"] = f"C{number}:name {PAYLOADS[number % len(PAYLOADS)]}"
    path.write_text(json.dumps(countries), encoding="utf-8")
    return {"sites": sites, "factories": factories,
            "countries": [f["properties"]["name"] for f in countries["features"]]}


def test_no_payload_runs_and_each_shows_literally(browser, run_cli, hostile_data, data_dir,
                                                  tmp_path):
    page_file = tmp_path / "map.html"
    solved = run_cli("solve", "--data", str(data_dir), "--format", "json")
    assert solved.exit_code == 0, solved.stderr
    gigafactories = json.loads(solved.stdout)["gigafactories"]
    assert run_cli("map", "--data", str(data_dir), "--out", str(page_file)).exit_code == 0

    page, requested, errors = open_offline(browser, page_file)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    shown = [page.inner_text(".siteopt-legend")]
    shapes = page.locator("path.leaflet-interactive, .leaflet-marker-icon")   # the AI Factories
    # events go to each shape itself (a real pointer would reach only the topmost one)
    for index in range(shapes.count()):
        shapes.nth(index).dispatch_event("mouseover")
        shown.extend(page.locator(".leaflet-tooltip").all_inner_texts())
        shapes.nth(index).dispatch_event("mouseout")
    sites = page.locator("path.leaflet-interactive[fill='#8c8c8c'][stroke='#ffffff'], "
                         "path.leaflet-interactive[stroke='#000000']")
    assert sites.count() == len(hostile_data["sites"])
    for index in range(sites.count()):
        sites.nth(index).dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").last   # the previous one may be fading
        popup.wait_for(timeout=5000)
        shown.append(popup.inner_text())
        # a link in a popup would be followed on click: there is none
        assert popup.locator("a").count() == 0
    text = "\n".join(shown)

    assert page.evaluate("window.pwned") is None
    assert dialogs == []
    assert [url for url in requested if url != page_file.as_uri()] == []
    assert errors == []
    expected = ([site["name"] for site in hostile_data["sites"]]
                + [site["consortium"] for site in hostile_data["sites"]]
                + [site["source"] for site in hostile_data["sites"]]
                + [factory["name"] for factory in hostile_data["factories"]]
                + [factory["city"] for factory in hostile_data["factories"]]
                + hostile_data["countries"]
                + [consortium for g in gigafactories
                   for consortium in g["merged_consortia"] + g["partner_consortia"]])
    assert [value for value in expected if value not in text] == []
    assert any(payload in text for payload in PAYLOADS[:2])


@pytest.mark.parametrize("payload", PAYLOADS + ("\u2028\u2029", "&lt;b&gt;", "\x00"))
def test_script_json_cannot_leave_its_script_element(payload):
    text = script_json({"name": payload, "list": [payload]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"name": payload, "list": [payload]}


def test_the_page_allows_only_its_own_scripts(run_cli, hostile_data, data_dir, tmp_path):
    page_file = tmp_path / "map.html"
    assert run_cli("map", "--data", str(data_dir), "--out", str(page_file)).exit_code == 0
    page = page_file.read_text(encoding="utf-8")
    policy = html.unescape(page.split('http-equiv="Content-Security-Policy" content="')[1]
                           .split('"')[0])
    assert "default-src 'none'" in policy and "unsafe" not in policy
    assert policy.count("'sha256-") == 3        # Leaflet, map.js, the style sheet
    assert "http" not in policy
    # no payload's markup appears anywhere in the page: in the JSON block, "<" is \u003c
    markup = [payload for payload in PAYLOADS if "<" in payload and "\\u003c" not in payload]
    assert len(markup) == 6
    assert [payload for payload in markup if payload in page] == []
    assert page.count("<script") == 3
