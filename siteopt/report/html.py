"""A self-contained HTML report: one file, inline images and CSS, no external request."""

from __future__ import annotations

import datetime
import html
import os

import matplotlib.pyplot as plt
import pandas as pd

from siteopt.config import COUNT_UNITS, default_model, settings
from siteopt.model import TERMS
from siteopt.report.analyses import analysis_sections
from siteopt.report.exports import coverage_table
from siteopt.report.htmlparts import kept_whole, png_bytes_img, png_img, table_html
from siteopt.report.maps import figure_bytes, plot_access_curve, plot_coverage_choropleth
from siteopt.report.tables import SHORT_CELL
from siteopt.summary import caveats, sources_note
from siteopt.summary import headline as summary_headline
from siteopt.terms import TERM_COLOURS
from siteopt.report.text import (
    NO_LETTERS,
    TERM_LABELS,
    access_sentence,
    chosen_sites_table,
    consolidation_table,
    gigafactories_table,
    id_list,
    limits_table,
    reach_subject,
    status_line,
)
from siteopt.units import eur, people, round_trip_ms

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 24px; color: #1d2733; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 2px solid #0072B2; padding-bottom: 4px; }
.lead { font-size: 1.1em; color: #1d2733; font-weight: 600; }
.caveats { padding: 8px 14px; border-radius: 6px; background: #fff8e6; border: 1px solid #e6c36b; }
.caveats ul { margin: 4px 0 0; padding-left: 20px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #d9dee4; text-align: left; vertical-align: top; }
th { background: #f1f4f7; }
td:first-child, td.short, .id { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { padding: 10px 14px; border-radius: 6px; background: #e8f3ec; border: 1px solid #9cc9ab; }
.status.time_limit, .status.interrupted { background: #fff4e0; border-color: #e6b35c; }
img.map { width: 100%; border: 1px solid #d9dee4; }
tr.changed td { background: #fff4e0; font-weight: 600; }
#settings td:first-child { white-space: normal; }
footer { margin-top: 2.5em; padding-top: 8px; border-top: 1px solid #d9dee4; font-size: 0.8em;
         color: #5b6875; }
@media print { body { max-width: none; padding: 0; } h2, h3 { break-after: avoid; }
               img.map, table, tr { break-inside: avoid; } }
.small { font-size: 0.85em; color: #5b6875; }
code { background: #f1f4f7; padding: 1px 4px; border-radius: 3px; }
"""


def terms_chart_svg(result) -> str:
    """Horizontal bars of each term's weighted contribution, as inline SVG (text kept as text)."""
    contributions = result.contributions
    labels = [TERM_LABELS[t].split(":")[0] for t in TERMS]
    values = [contributions[t] for t in TERMS]
    # a fixed hash salt: the SVG's clip-path ids, and so the report, are the same on every run
    with plt.rc_context({"svg.fonttype": "none", "font.size": 10, "svg.hashsalt": "siteopt"}):
        fig, ax = plt.subplots(figsize=(7.5, 3.8), layout="constrained")
        colours = [TERM_COLOURS[t] for t in TERMS]
        bars = ax.barh(labels[::-1], values[::-1], color=colours[::-1], gid="term_bars")
        for bar, value in zip(bars, values[::-1]):
            ax.text(bar.get_width() + 0.005 if value >= 0 else bar.get_width() - 0.005,
                    bar.get_y() + bar.get_height() / 2, f"{value:.4f}", va="center",
                    ha="left" if value >= 0 else "right", fontsize=9)
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlabel(f"weighted contribution (objective {result.objective:.4f})")
        ax.set_xlim(min(0.0, min(values)) - 0.05, max(values) * 1.25 + 0.02)
        ax.spines[["top", "right"]].set_visible(False)
        svg = figure_bytes(ax, "svg").decode("utf-8")
    return svg[svg.index("<svg"):]


def question_text(result) -> str:
    """The question the model answers, in one paragraph of plain words."""
    model = result.model
    weights = model.weights
    parts = [f"{getattr(weights, t):g} &times; {t}" for t in TERMS if getattr(weights, t) > 0]
    extra = []
    if model.sites.required:
        extra.append(f"Sites that must be chosen: {', '.join(model.sites.required)}.")
    if model.sites.excluded:
        extra.append(f"Sites left out: {', '.join(model.sites.excluded)}.")
    consolidation = model.consolidation
    border = (f"in up to {consolidation.max_countries_per_gigafactory} member states"
              if consolidation.cross_border else "in one member state")
    return (f"Which at most <b>{model.limits.max_gigafactories}</b> gigafactories, each formed "
            f"from up to <b>{consolidation.max_sites_per_gigafactory}</b> of the "
            f"{len(result.sites)} candidate sites ({border}, no two members more than "
            f"{consolidation.link_km:,.0f} km apart), with each member state in at most "
            f"<b>{model.limits.max_bids_per_country}</b> bid, "
            f"costing at most <b>{eur(model.budget.total_eur, digits=1)}</b> and "
            f"<b>{model.limits.total_power_mw:,.0f} MW</b> together, give Europe the highest score "
            f"{' + '.join(parts)}{' (cost subtracted)' if weights.cost > 0 else ''}? Coverage counts "
            f"people within <b>{model.coverage.radius_km:g} km</b> (about "
            f"{round_trip_ms(model.coverage.radius_km):.0f} ms round trip over fibre). "
            + " ".join(extra))


def shown_value(value, unit: str) -> str:
    """A setting in plain words with its unit: ``EUR 20 bn``, ``1,000 MW``, ``500 km``."""
    if isinstance(value, (list, tuple)):
        return ", ".join(value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit == "EUR":
        return f"EUR {value / 1e9:,.3g} bn" if value >= 1e8 else f"EUR {value / 1e6:,.3g} m"
    if isinstance(value, float):
        number = f"{value:,.0f}" if value >= 1000 and value == round(value) else f"{value:g}"
    else:
        number = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{number} {unit}" if unit and unit not in COUNT_UNITS else number


def settingstable_html(result) -> pd.DataFrame:
    """Every model key in plain words with its unit, and the default where this run differs
    from the default model (those rows are highlighted in the report)."""
    defaults = default_model()
    rows = []
    for key, spec in settings():
        unit = spec.metadata.get("unit", "")
        value, default = result.model.value(key), defaults.value(key)
        rows.append({"setting": spec.metadata.get("doc", key), "key": key,
                     "value": shown_value(value, unit),
                     "default": "" if value == default else shown_value(default, unit)})
    return pd.DataFrame(rows, columns=["setting", "key", "value", "default"])


def _settings_html(result) -> str:
    """The settings table, the rows that differ from the default model highlighted."""
    frame = settingstable_html(result)
    changed = int((frame["default"] != "").sum())
    rows = "".join(
        f"<tr{' class=changed' if row.default else ''}><td>{html.escape(row.setting)}</td>"
        f"<td><code>{html.escape(row.key)}</code></td>{_value_cell(row.value)}"
        + (_value_cell(row.default) if changed else "") + "</tr>"
        for row in frame.itertuples())
    note = (f"<p class='small'>{changed} setting{'s differ' if changed != 1 else ' differs'} "
            f"from the default model (highlighted, with the default beside it).</p>"
            if changed else "<p class='small'>Every setting is the default model's.</p>")
    default = "<th>default (where changed)</th>" if changed else ""
    return (note + "<table id='settings'><thead><tr><th>setting</th><th>key</th><th>value</th>"
            f"{default}</tr></thead><tbody>{rows}</tbody></table>")


def _value_cell(text: str) -> str:
    """A setting's value as a table cell, kept on one line when short (``EUR 20 bn``)."""
    return f"<td{' class=short' if len(text) <= SHORT_CELL else ''}>{html.escape(text)}</td>"


def run_date() -> str:
    """Today's date (UTC), or the date of ``SOURCE_DATE_EPOCH`` when set (reproducible builds):
    the only part of a report that changes from day to day."""
    seconds = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc)
              if seconds and seconds.isdigit() else datetime.datetime.now(datetime.timezone.utc))
    return moment.strftime("%Y-%m-%d")


def _footer(result) -> str:
    from siteopt import __version__

    hashes = " &middot; ".join(f"{html.escape(name)} <code>{digest[:12]}</code>"
                               for name, digest in result.inputs.items())
    return (f"<footer id='footer'>Run {run_date()} with siteopt {__version__}, model "
            f"<code>{html.escape(result.model.description)}</code>, data set "
            f"{html.escape(result.dataset.describe())}. Inputs (SHA-256, first 12 "
            f"digits): {hashes}.</footer>")


def provenance_text(result) -> str:
    """How many sites are reported and how many illustrative, overall and among the chosen."""
    sites, chosen = result.sites, result.chosen
    reported = int((sites["provenance"] == "reported").sum())
    chosen_reported = int((chosen["provenance"] == "reported").sum())
    return (f"Of the {len(sites)} candidate sites, <b>{reported}</b> are publicly reported and "
            f"<b>{len(sites) - reported}</b> are illustrative (plausible places with made-up "
            f"figures, because the Commission never published the letters of interest). Of the "
            f"{len(chosen)} chosen sites, {chosen_reported} are reported and "
            f"{len(chosen) - chosen_reported} illustrative: an illustrative site stands for "
            f"\"a site of this kind in this region\". Sources and rules: "
            f"<code>{html.escape(sources_note(result.dataset))}</code>.")


def _unfunded_html(result) -> str:
    """The unfunded letters per member state, as a paragraph."""
    by_country = result.consolidation.unfunded_by_country()
    if not by_country:
        return "<p id='unfunded'>Every letter finds a home.</p>"
    parts = "; ".join(f"<b>{html.escape(country)}</b>: {html.escape(id_list(ids))}"
                      for country, ids in by_country.items())
    count = sum(len(ids) for ids in by_country.values())
    return f"<p id='unfunded'>Not funded ({count} of {len(result.consolidation.letters)}): {parts}.</p>"


def _caveats_html(result) -> str:
    notes = caveats(result)
    if not notes:
        return ""
    items = "".join(f"<li>{kept_whole(note)}</li>" for note in notes)
    return f"<div id='caveats' class='caveats'><b>Before you quote it</b><ul>{items}</ul></div>"


def _consolidation_html(result) -> list[str]:
    """The consolidation plan section: how letters find a home, the table, the unfunded."""
    model = result.model
    consolidation = consolidation_table(result)
    return [
        "<h2>Consolidation plan</h2><p>Letters at a member site are <b>merged</b> into its "
        "gigafactory; every other letter joins the gigafactory of its own member state as a "
        "<b>partner</b> (its requested MW is not added)"
        + (f", or else the nearest gigafactory with a member within "
           f"{model.consolidation.radius_km:g} km" if model.consolidation.cross_border else "")
        + "; the rest are <b>not funded</b>.</p>",
        table_html(consolidation, {"requested MW": ",.0f", "power MW": ",.0f"},
                   "consolidation"),
        _unfunded_html(result),
    ]


def build_report(result, analyses=()) -> str:
    """The whole report as one HTML document.

    Sections (each with an ``id``): question, settings, portfolio, limits, terms (chart),
    map, coverage (choropleth and table), consolidation, status, then one section per
    analysis result in ``analyses`` (:mod:`siteopt.report.analyses`), provenance, inputs.
    """

    model = result.model
    radius = model.coverage.radius_km
    coverage = coverage_table(result)
    coverage = coverage[coverage["population"] > 0].assign(
        share=lambda f: f["share"] * 100, population=lambda f: f["population"] / 1e6,
        covered=lambda f: f["covered"] / 1e6)
    coverage.columns = ["country", "name", "population (m)", "covered (m)", "covered (%)",
                        "member sites", "mean distance (km)", "round trip (ms)"]
    inputs = pd.DataFrame(sorted(result.inputs.items()), columns=["input", "sha256"])
    sections = [
        "<h1>Where should Europe build its AI Gigafactories?</h1>",
        f"<p class='lead' id='headline'>{kept_whole(summary_headline(result))} (model "
        f"<code>{html.escape(model.description)}</code>; objective "
        f"{result.objective:.4f}).</p>",
        _caveats_html(result),
        f"<h2>The question</h2><p id='question'>{question_text(result)}</p>",
        "<h2>The answer</h2>",
        table_html(gigafactories_table(result), {"effective MW": ",.0f", "requested MW": ",.0f"},
               "gigafactories"),
        "<h3>Member sites</h3>",
        table_html(chosen_sites_table(result), {"effective MW": ",.0f", "CO2 g/kWh": ",.0f"},
               "portfolio"),
        f"<p>{reach_subject(result)} <b>{people(result.covered_population)}</b> "
        f"({result.terms['coverage']:.1%} of the EU-27) within {radius:g} km. "
        f"<span id='access'>{kept_whole(access_sentence(result))}</span></p>",
        table_html(limits_table(result), {"share used": ".1%"}, "limits"),
        f"<h2>Why: the objective, term by term</h2><div id='terms'>{terms_chart_svg(result)}</div>",
        "<h2>Map</h2>",
        png_bytes_img(result.map_png, "map of the chosen gigafactories, their member sites, "
                                      "coverage and partner letters", "map"),
        "<h2>How far people are from the gigafactories</h2>",
        png_img(plot_access_curve(result), "curve of the share of EU-27 people within each "
                "distance of the nearest member site", "access-curve"),
        "<h2>Coverage per member state</h2>",
        png_img(plot_coverage_choropleth(result), "choropleth of the population share covered",
                 "choropleth"),
        table_html(coverage, {"population (m)": ".2f", "covered (m)": ".2f", "covered (%)": ".0f",
                              "mean distance (km)": ",.0f", "round trip (ms)": ".1f"},
                   "coverage"),
        *(_consolidation_html(result) if len(result.consolidation.letters)
          else [f"<h2>Consolidation plan</h2><p>{html.escape(NO_LETTERS)}</p>"]),
        f"<h2>Status and proof</h2><p id='status' class='status {result.status.value}'>"
        f"{html.escape(status_line(result))} Best possible objective: "
        f"{result.solver['bound']:.6f}.</p>",
        *analysis_sections(analyses, result.dataset),
        "<h2>Model settings</h2>", _settings_html(result),
        f"<h2>Data provenance</h2><p id='provenance'>{provenance_text(result)}</p>",
        "<h2>Inputs</h2><p class='small'>SHA-256 of each input, to reproduce this run.</p>",
        table_html(inputs, table_id="inputs"),
        _footer(result),
    ]
    body = "\n".join(sections)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>siteopt: AI Gigafactory sites</title><style>{CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")
