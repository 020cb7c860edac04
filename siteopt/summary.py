"""What a reader must know first: the answer in euros, megawatts and people, then its caveats.

The command line, the JSON document, the report, the map titles and the explorer open with
these lines (computed from a :class:`~siteopt.result.Result`, which this module does not
import), so a
minister reads the same plain statements everywhere: what is funded, what it costs, whom it
reaches; then how many of its sites have illustrative figures, how close the next-best
portfolio is, which limits are in full use, and whether the weights say what they seem to.
"""

from __future__ import annotations

import numpy as np

from siteopt.access import nearest_and_reach
from siteopt.paths import display_path, shipped_data_dir
from siteopt.sanitize import printable_text
from siteopt.units import changes, eur, mw, people

#: A limit used to at least this share is "in full use".
FULL_USE = 0.99
#: A runner-up within this share of the optimum is a close call.
CLOSE_CALL = 0.01


def limits_used(result) -> list[tuple[str, str, str, float]]:
    """Each limit: its name, how much the portfolio uses, the limit, and the share used."""
    model = result.model
    gigafactories = result.gigafactories
    bids: dict[str, int] = {}
    for g in gigafactories:
        for country in g.countries:
            bids[country] = bids.get(country, 0) + 1
    per_country = max(bids.values(), default=0)
    largest = max((len(g.members) for g in gigafactories), default=0)
    members = model.consolidation.max_sites_per_gigafactory
    return [
        ("gigafactories", f"{len(gigafactories)}", f"{model.limits.max_gigafactories}",
         len(gigafactories) / model.limits.max_gigafactories),
        ("budget", eur(result.total_capex_eur), eur(model.budget.total_eur),
         result.total_capex_eur / model.budget.total_eur),
        ("total power", mw(result.total_power_mw), mw(model.limits.total_power_mw),
         result.total_power_mw / model.limits.total_power_mw),
        ("bids per member state", f"{per_country}", f"{model.limits.max_bids_per_country}",
         per_country / model.limits.max_bids_per_country),
        ("sites per gigafactory", f"{largest}", f"{members}", largest / members),
    ]


def headline(result) -> str:
    """The answer in one sentence of things: ``5 gigafactories in 5 member states: EUR 19.97 bn
    of EUR 20.00 bn, 3,150 MW, 357.4 m people (79.1 % of the EU-27) within 500 km``."""
    gigafactories = result.gigafactories
    states = {c for g in gigafactories for c in g.countries}
    noun = "gigafactory" if len(gigafactories) == 1 else "gigafactories"
    sites = (f" from {len(result.selected)} sites" if len(result.selected) != len(gigafactories)
             else "")
    model = result.model
    return (f"{len(gigafactories)} {noun}{sites} in {len(states)} member "
            f"state{'s' if len(states) != 1 else ''}: {eur(result.total_capex_eur)} of "
            f"{eur(model.budget.total_eur)}, {mw(result.total_power_mw)}, "
            f"{people(result.covered_population)} ({result.terms['coverage']:.1%} of the "
            f"EU-27) within {model.coverage.radius_km:g} km")


def caveats(result) -> list[str]:
    """The statements that qualify the answer, most important first (empty when none): an
    answer not proven optimal says so before anything else."""
    lines = [line for line in (_status(result), _fewest(result), _illustrative(result),
                               _runner_up(result), _ties(result), _limits(result),
                               _access_limits(result), _fairness(result), _weights(result))
             if line]
    return lines


def short_caveats(result) -> str:
    """The caveats in a few words each, for a map title: ``3 of 5 sites illustrative;
    next best 0.16 % behind; budget 99.8 % used``."""
    parts = []
    if result.status.value != "optimal":
        parts.append(f"{result.status.words}, not proven optimal")
    illustrative, members = _illustrative_ids(result)
    if illustrative:
        parts.append(f"{len(illustrative)} of {members} sites illustrative")
    runner = result.runner_up
    if runner is not None:
        parts.append("a tie" if runner["below"] <= 1e-12 else
                     "next best: no gigafactory" if not runner["gigafactories"] else
                     f"next best {runner['below_share']:.2%} behind")
    full = [(name, share) for name, _, _, share in limits_used(result) if share >= FULL_USE]
    if any(name == "budget" for name, _ in full):
        parts.append(f"budget {dict(full)['budget']:.1%} used")
    return "; ".join(parts)


def _fewest(result) -> str:
    """The set-covering answer's count (``access.fewest_gigafactories``)."""
    count = result.solver.get("fewest_gigafactories")
    if not count:
        return ""
    fewer = ("no portfolio of fewer keeps every rule and limit" if count > 1
             else "one is enough")
    return (f"The fewest gigafactories that keep every rule and limit: {count} ({fewer}); "
            f"this is the best portfolio of {count} by the model's weights.")


def _access_limits(result) -> str:
    """The access limits the answer meets, with how close it comes to them."""
    access = result.model.access
    parts = []
    if access.max_km > 0:
        measured = result.access
        demand = result.dataset.demand_table
        place = printable_text(f"{demand['name'][measured.worst_row]} "
                               f"({demand['country'][measured.worst_row]})")
        parts.append(f"every populated point is within access.max_km = {access.max_km:,.0f} km "
                     f"of a member site (the farthest, {place}, {measured.worst_km:,.0f} km)")
    if access.min_country_share > 0:
        lowest = min((c for c in result.access.countries if c.people > 0),
                     key=lambda c: (c.share_within_r, c.country))
        parts.append(f"every member state has at least access.min_country_share = "
                     f"{access.min_country_share:.0%} of its people within "
                     f"{result.model.coverage.radius_km:g} km (the lowest, {lowest.country}, "
                     f"{lowest.share_within_r:.1%})")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _fairness(result) -> str:
    """Fairness weighted but 0: the member states with nobody within R of a member site, and
    whether any eligible site could reach them (if none can, F is 0 for every portfolio and
    its weight changes no answer)."""
    if result.model.weights.fairness <= 0 or result.terms.get("fairness", 1.0) > 0:
        return ""
    radius = result.model.coverage.radius_km
    states = sorted(str(c.country) for c in result.access.countries
                    if c.people > 0 and c.share_within_r <= 0)
    if not states:
        return ""
    demand, sites = result.dataset.demand_table, result.site_table
    eligible = np.asarray(sites["eligible"], dtype=bool)
    country = np.asarray(demand["country"], dtype=object).astype(str)
    mine = np.flatnonzero(np.isin(country, states)
                          & (np.asarray(demand["population"], float) > 0))
    _, reached = nearest_and_reach(np.asarray(demand["lat"], float)[mine],
                                   np.asarray(demand["lon"], float)[mine],
                                   np.asarray(sites["lat"], float)[eligible],
                                   np.asarray(sites["lon"], float)[eligible],
                                   np.zeros(int(eligible.sum()), np.int64), radius)
    # of those, the states with nobody within R of any eligible site
    far = [state for state in states if not reached[country[mine] == state].any()]
    text = (f"Fairness scores 0: nobody in {', '.join(states)} lives within {radius:g} km of "
            f"a member site")
    if not far:
        return text + "."
    return (text + f", and nobody in {', '.join(far)} within {radius:g} km of any eligible "
            f"site: no portfolio scores more on fairness, and weights.fairness changes no "
            f"answer (a larger coverage.radius_km or a site nearer {', '.join(far)} would).")


def _illustrative_ids(result) -> tuple[list[str], int]:
    """The member sites with illustrative figures, and how many member sites there are
    (from the columns: no pandas)."""
    table = result.site_table
    chosen = np.asarray(table["selected"], dtype=bool)
    illustrative = chosen & (np.asarray(table["provenance"], dtype=object) == "illustrative")
    return sorted(table["site_id"][illustrative].tolist()), int(chosen.sum())


def _illustrative(result) -> str:
    ids, members = _illustrative_ids(result)
    return illustrative_sentence(ids, members, result.dataset)


def illustrative_sentence(ids: list[str], members: int, dataset,
                          sites: str = "member sites") -> str:
    """The caveat for the ``sites`` ``ids`` (of ``members``) with illustrative figures of
    ``dataset``; empty without any."""
    if not ids:
        return ""
    has, each = ("has", "it stands") if len(ids) == 1 else ("have", "each stands")
    return (f"{len(ids)} of the {members} {sites} {has} illustrative figures "
            f"({', '.join(ids)}): {each} for a site of its kind in its region, not for a "
            f"real bid (how the figures were made: {sources_note(dataset)}).")


def named_sites_caveat(site_ids, dataset, where: str = "below") -> str:
    """The caveat for an analysis that names ``site_ids`` (its portfolios' members): those of
    them with illustrative figures in ``dataset``; empty without any. ``where`` the sites are
    named, seen from the caveat (``below``, ``here``).

    >>> from siteopt.data import load_data
    >>> named_sites_caveat(["RO-CER", "NL-SAG"], load_data()).split(": it stands")[0]
    'Caution: 1 of the 2 sites named below has illustrative figures (NL-SAG)'
    """
    named = sorted(set(site_ids))
    sentence = illustrative_sentence(illustrative_among(named, dataset), len(named), dataset,
                                     f"sites named {where}")
    return f"Caution: {sentence}" if sentence else ""


def illustrative_among(site_ids, dataset) -> list[str]:
    """The sites of ``site_ids`` whose figures in ``dataset`` are illustrative, sorted."""
    sites = dataset.sites
    marked = set(sites["site_id"][sites["provenance"] == "illustrative"])
    return sorted(set(site_ids) & marked)


def _runner_up(result) -> str:
    runner = result.runner_up
    if runner is None:
        return ""
    swap = _swap(runner)
    if runner["below"] <= 1e-12:
        return f"A tie: the portfolio {swap} scores exactly the same."
    if not runner["gigafactories"]:   # no other portfolio keeps the rules or scores above 0
        return (f"Without {', '.join(runner['sites_out'])} the best choice is no gigafactory "
                f"at all ({runner['below']:.4f} points less): no other portfolio that keeps "
                f"the rules scores more than funding nothing.")
    said = changes(runner["covered_population"] - result.covered_population,
                   runner["total_capex_eur"] - result.total_capex_eur,
                   runner["total_power_mw"] - result.total_power_mw,
                   result.model.coverage.radius_km)
    sentence = (f"the best portfolio on other sites, {swap}, scores "
                f"{runner['below_share']:.2%} less ({runner['below']:.4f} points)"
                + (f": {', '.join(said)}" if said else "") + ".")
    if runner["below_share"] < CLOSE_CALL:
        return "Close call: " + sentence
    return sentence[0].upper() + sentence[1:]


def _swap(runner) -> str:
    taken_in, taken_out = runner["sites_in"], runner["sites_out"]
    if taken_in and taken_out:
        return f"{', '.join(taken_in)} instead of {', '.join(taken_out)}"
    if taken_in:
        return f"with {', '.join(taken_in)} added"
    return f"without {', '.join(taken_out)}"


def _ties(result) -> str:
    ties = result.solver.get("ties", 1)
    if ties <= 1:
        return ""
    return (f"{ties} portfolios tie for the optimum; this one comes first in siteopt's "
            f"documented order (gigafactory names alphabetically), the same on every solver "
            f"path.")


def _limits(result) -> str:
    full = [f"{name} ({used} of {limit})" if name != "budget" else
            f"budget ({share:.1%} used: {used} of {limit})"
            for name, used, limit, share in limits_used(result) if share >= FULL_USE]
    if not full:
        return ""
    return f"Limits in full use: {', '.join(full)}."


def _weights(result) -> str:
    from siteopt.terms import TERMS

    weights = {term: getattr(result.model.weights, term) for term in TERMS}
    total = sum(weights.values())
    if abs(total - 1.0) <= 1e-9:
        return ""
    shares = ", ".join(f"{term} {value / total:.0%}" for term, value in weights.items() if value)
    return (f"The weights add up to {total:g}, not 1: only their shares matter ({shares}), "
            f"and the objective is on a scale of {total:g}.")


def _status(result) -> str:
    if result.status.value == "optimal":
        return ""
    gap = result.solver["gap"]
    remedy = result.status.remedy
    return (f"Not proven optimal ({result.status.words}): a better portfolio "
            f"may exist, up to {gap:.2%} better{remedy}." if gap == gap else
            f"Not proven optimal ({result.status.words}){remedy}.")


def sources_note(dataset) -> str:
    """Where a reader finds how the site figures were made: the shipped data set's README, or
    the ``source`` column of the sites actually used."""
    if dataset is None or (dataset.data_set["version"] is not None
                           and "sites.csv" not in dataset.data_set["modified"]):
        return display_path(shipped_data_dir() / "README.md")
    return f"the source column of {dataset.displays['sites.csv']}"
