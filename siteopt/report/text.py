"""The result as readable text: chosen sites, limits, objective terms, status, consolidation."""

from __future__ import annotations

import pandas as pd

from siteopt.model import TERMS
from siteopt.report.tables import render_table
from siteopt.result import Result

TERM_LABELS = {
    "coverage": "C coverage: share of EU population within R",
    "grid": "G grid: effective MW / (p x P)",
    "spread": "K spread: member states / p",
    "green": "E green: renewable-weighted MW / (p x P)",
    "cost": "X cost: capex / budget (subtracted)",
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
    """The chosen sites as a display table (one row per site, sorted by site_id)."""
    chosen = result.chosen
    return pd.DataFrame({
        "site": chosen["site_id"],
        "name": chosen["name"],
        "country": chosen["country"],
        "MW": chosen["effective_mw"],
        "capex (EUR bn)": chosen["capex_eur"] / 1e9,
        "renewable": chosen["renewable_share"],
        f"people within {result.model.coverage.radius_km:g} km (m)":
            chosen["population_within_r"] / 1e6,
        "provenance": chosen["provenance"],
    })


def limits_table(result: Result) -> pd.DataFrame:
    """Each limit, how much of it the selection uses, and the share."""
    model = result.model
    per_country = int(result.chosen.groupby("country").size().max()) if result.selected else 0
    rows = [
        ("sites", f"{len(result.selected)}", f"{model.limits.max_sites}",
         len(result.selected) / model.limits.max_sites),
        ("budget", _bn(result.total_capex_eur), _bn(model.budget.total_eur),
         result.total_capex_eur / model.budget.total_eur),
        ("total power", f"{result.total_power_mw:,.0f} MW", f"{model.limits.total_power_mw:,.0f} MW",
         result.total_power_mw / model.limits.total_power_mw),
        ("sites per country", f"{per_country}", f"{model.limits.max_sites_per_country}",
         per_country / model.limits.max_sites_per_country),
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


def consolidation_table(result: Result) -> pd.DataFrame:
    """One row per chosen site: the letters that join it and from which sites."""
    links = result.consolidation.links
    letters = result.dataset.letters.set_index("letter_id")
    rows = []
    for site_id, members in result.consolidation.members.items():
        joined = links[links["letter_id"].isin(members)]
        own = joined[joined["site_id"] == site_id]
        absorbed = joined[joined["site_id"] != site_id]
        rows.append({
            "gigafactory": site_id,
            "letters": len(members),
            "own letters": ", ".join(own["letter_id"]),
            "absorbed from": ", ".join(sorted(set(absorbed["site_id"]))),
            "requested MW": float(letters.loc[members, "requested_mw"].sum()) if members else 0.0,
        })
    return pd.DataFrame(rows, columns=["gigafactory", "letters", "own letters", "absorbed from",
                                       "requested MW"])


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


def format_result(result: Result, width: int | None = None) -> str:
    """The whole result as plain text for the terminal."""
    model = result.model
    radius = model.coverage.radius_km
    parts = [
        f"siteopt: {len(result.selected)} gigafactory sites for a budget of "
        f"{_bn(model.budget.total_eur)} (model: {model.source})\n",
        render_table(chosen_sites_table(result), title="Chosen sites", width=width,
                     formats={"MW": ",.0f", "capex (EUR bn)": ".2f", "renewable": ".0%",
                              f"people within {radius:g} km (m)": ".1f"}),
        f"Together the sites reach {result.covered_population / 1e6:,.1f} m people "
        f"({result.terms['coverage']:.1%} of the EU-27) within {radius:g} km, about "
        f"{radius / 50:.0f} ms round trip over fibre.\n",
        render_table(limits_table(result), title="Limits", width=width,
                     formats={"share used": ".1%"}),
        render_table(terms_table(result), title="Objective", width=width,
                     formats={"value": ".4f", "weight": ".2f", "contribution": ".4f"}),
        render_table(consolidation_table(result),
                     title=f"Consolidation plan (letters join the nearest chosen site within "
                           f"{model.consolidation.radius_km:g} km)", width=width,
                     formats={"requested MW": ",.0f"}),
        f"Unabsorbed letters ({len(result.consolidation.unabsorbed)} of "
        f"{len(result.consolidation.links)}): {id_list(result.consolidation.unabsorbed)}\n",
        status_line(result),
    ]
    return "\n".join(parts) + "\n"


def compare_results(results: dict[str, Result]) -> pd.DataFrame:
    """Portfolios side by side, one row per named result.

    Returns
    -------
    DataFrame
        ``scenario``, ``status``, ``objective``, ``sites``, ``countries``, ``capex (EUR bn)``,
        ``MW``, ``coverage``, ``grid``, ``spread``, ``green`` (terms 0..1), ``gap``.
    """
    rows = []
    for name, result in results.items():
        rows.append({
            "scenario": name,
            "status": result.status.value,
            "objective": result.objective,
            "sites": ", ".join(result.selected),
            "countries": len(set(result.chosen["country"])),
            "capex (EUR bn)": result.total_capex_eur / 1e9,
            "MW": result.total_power_mw,
            **{term: result.terms[term] for term in ("coverage", "grid", "spread", "green")},
            "gap": result.solver["gap"],
        })
    return pd.DataFrame(rows)
