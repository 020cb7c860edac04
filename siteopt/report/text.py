"""The result as readable text: chosen sites, limits, objective terms, status, consolidation."""

from __future__ import annotations

import pandas as pd

from siteopt.model import TERMS
from siteopt.report.tables import render_table
from siteopt.result import Result, short_name
from siteopt.sanitize import printable_text

TERM_LABELS = {
    "coverage": "C coverage: share of EU population within R",
    "grid": "G grid: effective MW / (p x P)",
    "spread": "K spread: member states taking part / p",
    "clean": "E clean: CO2-weighted clean MW / (p x P)",
    "green": "R green: renewable-weighted MW / (p x P)",
    "letters": "L letters: share of letters with a home",
    "cost": "X cost: lifetime cost / reference (subtracted)",
}


def id_list(ids: list[str], most: int = 60) -> str:
    """IDs joined by commas, cut after ``most`` with a count of the rest."""
    if not ids:
        return "none"
    shown = ", ".join(ids[:most])
    return shown if len(ids) <= most else f"{shown} and {len(ids) - most} more (all in --format json)"


def _bn(eur: float) -> str:
    return f"EUR {eur / 1e9:,.2f} bn"


def chosen_sites_table(result: Result) -> pd.DataFrame:
    """The member sites as a display table, grouped by gigafactory (one row per site)."""
    chosen = result.chosen.sort_values(["gigafactory", "site_id"])
    return pd.DataFrame({
        "gigafactory": chosen["gigafactory"],
        "site": chosen["site_id"],
        "name": chosen["name"].map(short_name),
        "country": chosen["country"],
        "MW": chosen["effective_mw"],
        "capex (EUR bn)": chosen["capex_eur"] / 1e9,
        "CO2 g/kWh": chosen["co2_g_per_kwh"],
        f"people within {result.model.coverage.radius_km:g} km (m)":
            chosen["population_within_r"] / 1e6,
        "provenance": chosen["provenance"],
    })


def gigafactories_table(result: Result) -> pd.DataFrame:
    """One row per gigafactory: members, power, capital and energy cost, letters."""
    rows = []
    for g in result.gigafactories:
        rows.append({
            "gigafactory": g.id,
            "countries": ", ".join(g.countries),
            "sites": len(g.members),
            "MW": g.effective_mw,
            "capex (EUR bn)": g.capex_eur / 1e9,
            f"energy {result.model.costs.years:g} y (EUR bn)": g.energy_cost_eur / 1e9,
            "letters": len(g.merged_letters) + len(g.partner_letters),
            "requested MW": g.requested_mw,
        })
    return pd.DataFrame(rows, columns=["gigafactory", "countries", "sites", "MW", "capex (EUR bn)",
                                       f"energy {result.model.costs.years:g} y (EUR bn)",
                                       "letters", "requested MW"])


def limits_table(result: Result) -> pd.DataFrame:
    """Each limit, how much of it the portfolio uses, and the share."""
    model = result.model
    gigafactories = result.gigafactories
    bids: dict[str, int] = {}
    for g in gigafactories:
        for country in g.countries:
            bids[country] = bids.get(country, 0) + 1
    per_country = max(bids.values(), default=0)
    largest = max((len(g.members) for g in gigafactories), default=0)
    members = model.consolidation.max_sites_per_gigafactory
    rows = [
        ("gigafactories", f"{len(gigafactories)}", f"{model.limits.max_gigafactories}",
         len(gigafactories) / model.limits.max_gigafactories),
        ("budget", _bn(result.total_capex_eur), _bn(model.budget.total_eur),
         result.total_capex_eur / model.budget.total_eur),
        ("total power", f"{result.total_power_mw:,.0f} MW", f"{model.limits.total_power_mw:,.0f} MW",
         result.total_power_mw / model.limits.total_power_mw),
        ("bids per country", f"{per_country}", f"{model.limits.max_bids_per_country}",
         per_country / model.limits.max_bids_per_country),
        ("sites per gigafactory", f"{largest}", f"{members}", largest / members),
    ]
    return pd.DataFrame(rows, columns=["limit", "used", "limit value", "share used"])


def terms_table(result: Result) -> pd.DataFrame:
    """Each objective term, its weight and its weighted contribution, with the total."""
    weights = result.model.weights
    contributions = result.contributions
    frame = pd.DataFrame({
        "term": [TERM_LABELS[t] for t in TERMS] + ["objective"],
        "value": [result.terms[t] for t in TERMS] + [float("nan")],
        "weight": [getattr(weights, t) for t in TERMS] + [float("nan")],
        "contribution": [contributions[t] for t in TERMS] + [result.objective],
    })
    return frame


def consortia_text(letters: pd.DataFrame) -> str:
    """``Consortium A [L001, L002]; Consortium B [L007]``: letters grouped by consortium."""
    groups = letters.groupby("consortium", sort=False)["letter_id"].apply(list)
    return "; ".join(f"{name} [{', '.join(ids)}]" for name, ids in groups.items())


def consolidation_table(result: Result) -> pd.DataFrame:
    """One row per gigafactory: merged and partner consortia (with their letters), and the MW
    all its letters request against its power."""
    letters = result.consolidation.letters.set_index("letter_id", drop=False)
    rows = []
    for g in result.gigafactories:
        rows.append({
            "gigafactory": g.id,
            "merged consortia": consortia_text(letters.loc[g.merged_letters]),
            "partner consortia": consortia_text(letters.loc[g.partner_letters]),
            "requested MW": g.requested_mw,
            "power MW": g.effective_mw,
        })
    return pd.DataFrame(rows, columns=["gigafactory", "merged consortia", "partner consortia",
                                       "requested MW", "power MW"])


def unfunded_lines(result: Result) -> str:
    """Unfunded letters per member state, one line each (or a line saying there are none)."""
    by_country = result.consolidation.unfunded_by_country()
    total = len(result.consolidation.letters)
    if not by_country:
        return f"Every one of the {total} letters finds a home.\n"
    count = sum(len(v) for v in by_country.values())
    lines = [f"Unfunded letters ({count} of {total}), by member state:"]
    lines += [f"  {country}: {id_list(ids)}" for country, ids in by_country.items()]
    return "\n".join(lines) + "\n"


def status_line(result: Result) -> str:
    """One sentence: status, gap, solver and time."""
    solver = result.solver
    if result.status.value == "optimal":
        state = "proven optimal" if solver["gap"] == 0 else f"optimal within gap {solver['gap']:.3%}"
    else:
        state = (f"STOPPED AT THE TIME LIMIT ({result.model.solver.time_limit_s:g} s): best "
                 f"selection found, gap {solver['gap']:.3%} to the best possible")
    return (f"Status: {result.status.value} ({state}); solver {solver['name']}, "
            f"{solver['seconds']:.2f} s.")


def headline(result: Result) -> str:
    """``5 gigafactories from 7 sites in 5 member states``."""
    gigafactories = result.gigafactories
    countries = sorted({c for g in gigafactories for c in g.countries})
    noun = "gigafactory" if len(gigafactories) == 1 else "gigafactories"
    return (f"{len(gigafactories)} {noun} from {len(result.selected)} sites in "
            f"{len(countries)} member states")


def format_result(result: Result, width: int | None = None) -> str:
    """The whole result as plain text for the terminal."""
    model = result.model
    radius = model.coverage.radius_km
    rule = ("members in up to "
            f"{model.consolidation.max_countries_per_gigafactory} member states"
            if model.consolidation.cross_border else "members in one member state")
    parts = [
        f"siteopt: {headline(result)} for a budget of {_bn(model.budget.total_eur)} "
        f"(model: {model.source})\n",
        render_table(gigafactories_table(result), title=f"Gigafactories (up to "
                     f"{model.consolidation.max_sites_per_gigafactory} sites each, {rule})",
                     width=width,
                     formats={"MW": ",.0f", "capex (EUR bn)": ".2f", "requested MW": ",.0f",
                              f"energy {model.costs.years:g} y (EUR bn)": ".2f"}),
        render_table(chosen_sites_table(result), title="Member sites", width=width,
                     formats={"MW": ",.0f", "capex (EUR bn)": ".2f", "CO2 g/kWh": ",.0f",
                              f"people within {radius:g} km (m)": ".1f"}),
        f"Together the sites reach {result.covered_population / 1e6:,.1f} m people "
        f"({result.terms['coverage']:.1%} of the EU-27) within {radius:g} km, about "
        f"{radius / 50:.0f} ms round trip over fibre.\n",
        render_table(limits_table(result), title="Limits", width=width,
                     formats={"share used": ".1%"}),
        render_table(terms_table(result), title="Objective", width=width,
                     formats={"value": ".4f", "weight": ".2f", "contribution": ".4f"}),
        render_table(consolidation_table(result),
                     title="Consolidation plan (merged: letters at member sites; partners: "
                           "letters that join without their site)", width=width,
                     formats={"requested MW": ",.0f", "power MW": ",.0f"}),
        unfunded_lines(result),
        status_line(result),
    ]
    return printable_text("\n".join(parts) + "\n")


def compare_results(results: dict[str, Result]) -> pd.DataFrame:
    """Portfolios side by side, one row per named result.

    Returns
    -------
    DataFrame
        ``scenario``, ``status``, ``objective``, ``gigafactories``, ``countries``,
        ``capex (EUR bn)``, ``MW``, one column per term (0..1), ``gap``.
    """
    rows = []
    for name, result in results.items():
        rows.append({
            "scenario": name,
            "status": result.status.value,
            "objective": result.objective,
            "gigafactories": "; ".join(g.id for g in result.gigafactories),
            "countries": len(set(result.chosen["country"])),
            "capex (EUR bn)": result.total_capex_eur / 1e9,
            "MW": result.total_power_mw,
            **{term: result.terms[term] for term in TERMS},
            "gap": result.solver["gap"],
        })
    return pd.DataFrame(rows)
