"""The result as readable text: chosen sites, limits, objective terms, status, consolidation."""

from __future__ import annotations

import math

import pandas as pd

from siteopt.model import TERMS
from siteopt.summary import caveats, limits_used, sources_note
from siteopt.summary import headline as summary_headline
from siteopt.report.tables import fill, render_table, wrap
from siteopt.result import Result, short_name
from siteopt.sanitize import printable_text
from siteopt.units import eur, people, round_trip_ms

TERM_LABELS = {
    "coverage": "C coverage: share of EU-27 people within {radius} km",
    "grid": "G grid: effective MW / (p x P)",
    "spread": "K spread: member states taking part / p",
    "clean": "E clean: CO2-weighted clean MW / (p x P)",
    "green": "R green: renewable-weighted MW / (p x P)",
    "letters": "L letters: share of letters with a home",
    "latency": "A latency: 1 - mean km to the nearest member / {reference} km",
    "worst": "W worst: 1 - km of the worst-served point / {reference} km",
    "backup": "B backup: share of people within {radius} km of two gigafactories",
    "fairness": "F fairness: lowest share of a member state within {radius} km",
    "cost": "X cost: lifetime cost / reference (subtracted)",
}

#: The label of C under a gradual ``coverage.decay``.
DECAY_LABELS = {
    "linear": "C coverage: people counted by max(0, 1 - km / {radius})",
    "exponential": "C coverage: people counted by exp(-km / {radius})",
}


def id_list(ids: list[str], most: int = 60) -> str:
    """IDs joined by commas, cut after ``most`` with a count of the rest."""
    if not ids:
        return "none"
    shown = ", ".join(ids[:most])
    return shown if len(ids) <= most else f"{shown} and {len(ids) - most} more (all in --format json)"


def term_label(term: str, result: Result) -> str:
    """The plain-words label of an objective term (R and D filled in)."""
    model = result.model
    label = (DECAY_LABELS[model.coverage.decay] if term == "coverage"
             and model.coverage.decay != "step" else TERM_LABELS[term])
    return label.format(radius=f"{model.coverage.radius_km:g}",
                        reference=f"{model.access.reference_km:g}")


def access_sentence(result: Result) -> str:
    """How far people are from the portfolio, in words: the mean and the worst distance to
    the nearest member site, and, with two gigafactories or more, who is within reach of
    two."""
    access = result.access
    if access.worst_row < 0 or not result.selected:   # no people, or no member site
        return ""
    radius = result.model.coverage.radius_km
    demand = result.dataset.demand_table
    backup = access.backup_share * float(demand["population"].sum())
    row = access.worst_row
    place = printable_text(f"{demand['name'][row]} ({demand['country'][row]})")
    two = (f" {people(backup)} ({access.backup_share:.1%}) are within {radius:g} km of two "
           f"gigafactories or more." if len(result.gigafactories) > 1 else "")
    return (f"On average a person lives {access.mean_km:,.0f} km from the nearest member site "
            f"(about {access.mean_ms:.0f} ms round trip); the farthest place, {place}, "
            f"{access.worst_km:,.0f} km ({access.worst_ms:.0f} ms).{two}")


def reach_subject(result: Result) -> str:
    """How the coverage sentence begins: ``The site reaches`` for one member site, else
    ``Together the sites reach``."""
    return "The site reaches" if len(result.selected) == 1 else "Together the sites reach"


def chosen_sites_table(result: Result) -> pd.DataFrame:
    """The member sites as a display table, grouped by gigafactory (one row per site; the
    gigafactory column only when one has several members)."""
    chosen = result.chosen.sort_values(["gigafactory", "site_id"])
    frame = pd.DataFrame({
        "gigafactory": chosen["gigafactory"],
        "site": chosen["site_id"],
        "name": [short_name(name) + ("*" if provenance == "illustrative" else "")
                 for name, provenance in zip(chosen["name"], chosen["provenance"])],
        "state": chosen["country"],
        "effective MW": chosen["effective_mw"],
        "capex": chosen["capex_eur"].map(lambda capex: eur(capex, digits=1)),
        "CO2 g/kWh": chosen["co2_g_per_kwh"],
        f"within {result.model.coverage.radius_km:g} km":
            chosen["population_within_r"].map(people),
    })
    if all(len(g.members) == 1 for g in result.gigafactories):
        frame = frame.drop(columns="gigafactory")
    return frame


#: Under the member sites table: what the star after a name means.


def gigafactories_table(result: Result) -> pd.DataFrame:
    """One row per gigafactory: members, power, capital and energy cost, letters."""
    years = f"energy {result.model.costs.years:g} y"
    rows = [{"gigafactory": g.id, "states": ", ".join(g.countries), "sites": len(g.members),
             "effective MW": g.effective_mw, "capex": eur(g.capex_eur, digits=1),
             years: eur(g.energy_cost_eur, digits=1),
             "letters": len(g.merged_letters) + len(g.partner_letters),
             "requested MW": g.requested_mw} for g in result.gigafactories]
    frame = pd.DataFrame(rows, columns=["gigafactory", "states", "sites", "effective MW",
                                        "capex", years, "letters", "requested MW"])
    if all(len(g.members) == 1 for g in result.gigafactories):
        frame = frame.drop(columns="sites")
    return frame


def limits_table(result: Result) -> pd.DataFrame:
    """Each limit, how much of it the portfolio uses, and the share
    (:func:`~siteopt.summary.limits_used`)."""
    return pd.DataFrame(limits_used(result), columns=["limit", "used", "limit value",
                                                      "share used"])


def terms_table(result: Result) -> pd.DataFrame:
    """Each objective term, its weight and its weighted contribution, with the total."""
    weights = result.model.weights
    contributions = result.contributions
    frame = pd.DataFrame({
        "term": [term_label(t, result) for t in TERMS] + ["objective"],
        "value": [result.terms[t] for t in TERMS] + [float("nan")],
        "weight": [getattr(weights, t) for t in TERMS] + [float("nan")],
        "contribution": [contributions[t] for t in TERMS] + [result.objective],
    })
    return frame


def consortia_text(ids: list[str], consortium_of: dict[str, str]) -> str:
    """``Consortium A [L001, L002]; Consortium B [L007]``: the letters ``ids`` grouped by
    consortium (``consortium_of``: letter ID -> consortium), in order of first mention."""
    groups: dict[str, list[str]] = {}
    for letter in ids:
        groups.setdefault(consortium_of[letter], []).append(letter)
    return "; ".join(f"{name} [{', '.join(letters)}]" for name, letters in groups.items())


def consortia_by_letter(result: Result) -> dict[str, str]:
    """Letter ID -> the consortium that sent it."""
    letters = result.consolidation.table
    return dict(zip(letters["letter_id"], letters["consortium"]))


def consolidation_table(result: Result) -> pd.DataFrame:
    """One row per gigafactory: merged and partner consortia (with their letters), and the MW
    all its letters request against its power."""
    consortium_of = consortia_by_letter(result)
    rows = [{"gigafactory": g.id,
             "merged consortia": consortia_text(g.merged_letters, consortium_of),
             "partner consortia": consortia_text(g.partner_letters, consortium_of),
             "requested MW": g.requested_mw,
             "power MW": g.effective_mw} for g in result.gigafactories]
    return pd.DataFrame(rows, columns=["gigafactory", "merged consortia", "partner consortia",
                                       "requested MW", "power MW"])


#: What the plan says for data without letters of interest.
NO_LETTERS = ("Consolidation plan: the data hold no letters of interest (letters.csv has none), "
              "so there is nothing to merge and the letters term L is 0.")


def consolidation_text(result: Result, width: int) -> str:
    """The consolidation plan as paragraphs, one per gigafactory, wrapped to ``width``."""
    if not len(result.consolidation.letters):
        return fill(NO_LETTERS, width) + "\n"
    consortium_of = consortia_by_letter(result)
    lines = wrap("Consolidation plan (merged: letters for member sites; partners: "
                 "letters that join without their site)", width) + [""]
    for g in result.gigafactories:
        lines.append(f"{g.id}: {g.effective_mw:,.0f} MW; its letters request "
                     f"{g.requested_mw:,.0f} MW")
        for role, ids in (("merged", g.merged_letters), ("partners", g.partner_letters)):
            text = consortia_text(ids, consortium_of) if ids else "none"
            lines += wrap(text, width, initial_indent=f"  {role + ':':10}",
                          subsequent_indent=" " * 12)
    return "\n".join(lines) + "\n"


def unfunded_lines(result: Result) -> str:
    """Unfunded letters per member state, one line each (or a line saying there are none)."""
    by_country = result.consolidation.unfunded_by_country()
    total = len(result.consolidation.letters)
    if not total:
        return ""
    if not by_country:
        return ("The one letter finds a home.\n" if total == 1 else
                f"Every one of the {total} letters finds a home.\n")
    count = sum(len(v) for v in by_country.values())
    lines = [f"Unfunded letters ({count} of {total}), by member state:"]
    lines += [f"  {country}: {id_list(ids)}" for country, ids in by_country.items()]
    return "\n".join(lines) + "\n"


def status_line(result: Result, stopped_by: str = "Ctrl-C") -> str:
    """One sentence: status, gap, solver and time (``stopped_by``: what stopped an
    interrupted solve, in the reader's words: Ctrl-C on the command line, the explorer's
    Stop button)."""
    solver = result.solver
    if result.status.value == "optimal":
        state = "proven optimal" if solver["gap"] == 0 else f"optimal within gap {solver['gap']:.3%}"
    else:
        gap = (f"gap {solver['gap']:.3%} to the best possible" if math.isfinite(solver["gap"])
               else "gap unknown (the solver had no bound yet)")
        stop = (f"INTERRUPTED ({stopped_by})" if result.status.value == "interrupted" else
                f"STOPPED AT THE TIME LIMIT ({result.model.solver.time_limit_s:g} s)")
        state = f"{stop}: best selection found, {gap}"
    chosen = " (auto)" if result.model.solver.method == "auto" else ""
    return (f"Status: {result.status.value} ({state}); solver {solver['name']}, method "
            f"{solver['method']}{chosen}, {solver['seconds']:.2f} s.")


def members_rule(model) -> str:
    """``up to 3 sites each`` / ``one site each``."""
    most = model.consolidation.max_sites_per_gigafactory
    return "one site each" if most == 1 else f"up to {most} sites each"


def format_result(result: Result, width: int | None = None) -> str:
    """The whole result as plain text for the terminal."""
    model = result.model
    radius = model.coverage.radius_km
    rule = ("members in up to "
            f"{model.consolidation.max_countries_per_gigafactory} member states"
            if model.consolidation.cross_border else "members in one member state")
    notes = caveats(result)
    sites_table = render_table(chosen_sites_table(result), title="Member sites", width=width,
                               formats={"effective MW": ",.0f", "CO2 g/kWh": ",.0f"},
                               optional=("CO2 g/kWh", "state"))
    if (result.chosen["provenance"] == "illustrative").any():   # a starred name to explain
        sites_table += fill(f"* illustrative figures (see {sources_note(result.dataset)}); "
                            f"the others are reported.", width)
    else:
        sites_table = sites_table.rstrip("\n") + "\n"
    parts = [
        fill(f"siteopt (model: {model.description}; data: "
             f"{result.dataset.describe()}): {summary_headline(result)}", width) + "\n"
        + "".join(fill(note, width, initial_indent="  - ", subsequent_indent="    ") + "\n"
                  for note in notes),
        render_table(gigafactories_table(result), title=f"Gigafactories ({members_rule(model)}, "
                     f"{rule})",
                     width=width, formats={"effective MW": ",.0f", "requested MW": ",.0f"},
                     optional=("letters", f"energy {model.costs.years:g} y", "states")),
        sites_table,
        fill(f"{reach_subject(result)} {people(result.covered_population)} "
             f"({result.terms['coverage']:.1%} of the EU-27) within {radius:g} km, about "
             f"{round_trip_ms(radius):.0f} ms round trip over fibre. "
             + access_sentence(result), width) + "\n",
        render_table(limits_table(result), title="Limits", width=width,
                     formats={"share used": ".1%"}),
        render_table(terms_table(result), title="Objective", width=width,
                     formats={"value": ".4f", "weight": ".2f", "contribution": ".4f"}),
        consolidation_text(result, width),
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


def _weights(result: Result) -> dict[str, float]:
    weights = result.model.weights
    return {term: getattr(weights, term) for term in TERMS}


#: Terms divided by the scenario's own number of gigafactories p: a scenario with a smaller p
#: scores them higher for less (compare the MW and member states instead).
PER_P_TERMS = ("grid", "spread", "clean", "green")


def comparison_table(results: dict[str, Result]) -> pd.DataFrame:
    """Scenarios side by side (one column each): what each gives in things (gigafactories,
    member states, MW, people within reach, EUR of capex and of lifetime cost, t CO2 a year),
    then its objective and terms.

    An objective whose weights differ from the first scenario's is marked ``*``: objectives
    are only comparable under the same weights. Terms whose scale is the scenario's own p are
    marked ``(per p)`` and are comparable only between scenarios of the same p.
    """
    first = next(iter(results.values()))
    rows: dict[str, list[str]] = {}

    def add(label, values):
        rows[label] = list(values)

    items = list(results.values())
    add("model", [r.model.description for r in items])
    add("status", [r.status.value for r in items])
    add("gigafactories", [", ".join(g.id for g in r.gigafactories) for r in items])
    add("member states", [str(len({c for g in r.gigafactories for c in g.countries}))
                          for r in items])
    add("effective MW", [f"{r.total_power_mw:,.0f} of {r.model.limits.total_power_mw:,.0f}"
                         for r in items])
    add("people within reach", [f"{people(r.covered_population, 'within')} "
                                f"{r.model.coverage.radius_km:g} km ({r.terms['coverage']:.1%})"
                                for r in items])
    add("capex", [f"{eur(r.total_capex_eur)} of {eur(r.model.budget.total_eur)}"
                  for r in items])
    add("lifetime cost", [f"{eur(r.lifetime_cost_eur, digits=1)} (capex + {r.model.costs.years:g} y "
                          f"of electricity)" for r in items])
    add("CO2 a year", [f"{r.annual_co2_t / 1e3:,.0f} kt" for r in items])
    add("most gigafactories (p)", [str(r.model.limits.max_gigafactories) for r in items])
    add("objective", [f"{r.objective:.4f}" + ("" if _weights(r) == _weights(first) else " *")
                      for r in items])
    for term in TERMS:
        per_p = " (per p)" if term in PER_P_TERMS else ""
        add(term_label(term, first).split(":")[0] + per_p + " (weight)",
            [f"{r.terms[term]:.3f} ({getattr(r.model.weights, term):g})" for r in items])
    return pd.DataFrame({"": list(rows), **{name: [rows[label][i] for label in rows]
                                           for i, name in enumerate(results)}})


def compare_text(results: dict[str, Result], width: int | None = None) -> str:
    """The comparison as text: the table and what its marks mean."""
    first_name = next(iter(results))
    text = render_table(comparison_table(results), title="Scenarios side by side",
                        width=width)
    differ = [name for name, r in results.items()
              if _weights(r) != _weights(results[first_name])]
    if differ:
        text += fill(f"* weighted with other weights than {first_name}: its objective is not "
                     f"comparable with {first_name}'s; compare what the scenarios give (MW, "
                     f"member states, people, EUR, CO2): {', '.join(differ)}", width) + "\n"
    sizes = {r.model.limits.max_gigafactories for r in results.values()}
    if len(sizes) > 1:
        text += fill("(per p): divided by each scenario's own p, so a scenario with fewer "
                     "gigafactories scores higher for less; compare the MW and member states "
                     "above instead.", width) + "\n"
    return printable_text(text)
