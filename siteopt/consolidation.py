"""The consolidation plan: what becomes of each letter of interest once gigafactories are chosen.

The rules, applied in order to every letter (deterministic):

1. **merged**: its site is a member of a chosen gigafactory; it joins that gigafactory.
2. **partner**: its member state takes part in a chosen gigafactory (one with a member site in
   that state); it joins the nearest such gigafactory (distance from the letter's site to the
   gigafactory's nearest member; ties go to the gigafactory whose ID sorts first). National
   consolidation, as the one-bid-per-country rule forces.
3. **partner** across borders, only with ``cross_border``: the nearest gigafactory whose nearest
   member lies within the consolidation radius of the letter's site.
4. otherwise **unfunded**.

A partner's requested MW is not added to the gigafactory's power: its consortium joins the
bid, its site does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siteopt.data.table import Table
from siteopt.geometry import DISTANCE_TOLERANCE_KM, haversine_km

#: Roles a letter can end in.
ROLES = ("merged", "partner", "unfunded")


def gigafactory_id(member_ids) -> str:
    """A gigafactory's ID: its member site IDs, sorted, joined with ``+``."""
    return "+".join(sorted(member_ids))


@dataclass(frozen=True)
class ConsolidationPlan:
    """Every letter's role and gigafactory.

    Attributes
    ----------
    table : Table
        One row per letter, sorted by ``letter_id``: ``letter_id``, ``site_id`` (its own site),
        ``country``, ``consortium``, ``requested_mw`` (MW), ``gigafactory`` (ID, empty when
        unfunded), ``role`` (merged, partner or unfunded) and ``distance_km`` (from its site to
        the gigafactory's nearest member; 0 when merged, NaN when unfunded).
    """

    table: Table

    @property
    def letters(self):
        """:attr:`table` as a DataFrame."""
        return self.table.frame

    def merged(self, gigafactory: str) -> list[str]:
        """Letters merged into a gigafactory (their site is a member)."""
        return self._with(gigafactory, "merged")

    def partners(self, gigafactory: str) -> list[str]:
        """Letters that join a gigafactory as partners (their site is not a member)."""
        return self._with(gigafactory, "partner")

    def _with(self, gigafactory: str, role: str) -> list[str]:
        table = self.table
        rows = (table["gigafactory"] == gigafactory) & (table["role"] == role)
        return table["letter_id"][rows].tolist()

    @property
    def unfunded(self) -> list[str]:
        """Letters that find no home, sorted."""
        return self.table["letter_id"][self.table["role"] == "unfunded"].tolist()

    def unfunded_by_country(self) -> dict[str, list[str]]:
        """Unfunded letters per member state of their site, states sorted."""
        by_country: dict[str, list[str]] = {}
        table = self.table
        for letter, country, role in zip(table["letter_id"], table["country"], table["role"]):
            if role == "unfunded":
                by_country.setdefault(country, []).append(letter)
        return dict(sorted(by_country.items()))

    @property
    def homed_share(self) -> float:
        """Share of letters merged or partnered (L)."""
        roles = self.table["role"]
        return float((roles != "unfunded").mean()) if len(roles) else 0.0


def plan_consolidation(sites, letters, gigafactories: list[list[str]], cross_border: bool,
                       radius_km: float) -> ConsolidationPlan:
    """Give every letter its role and gigafactory by the rules of the module docstring.

    Parameters
    ----------
    sites : Table or DataFrame
        ``site_id``, ``country``, ``lat``, ``lon`` (degrees).
    letters : Table or DataFrame
        ``letter_id``, ``site_id``; ``consortium`` and ``requested_mw`` (MW) if present.
    gigafactories : list of list of str
        Member site IDs of each chosen gigafactory.
    cross_border : bool
        Whether letters may join a gigafactory of another member state (rule 3).
    radius_km : float
        Rule 3's radius, km (inclusive).
    """
    position = {site: s for s, site in enumerate(sites["site_id"])}
    site_country = np.asarray(sites["country"], dtype=object)
    site_lat = np.asarray(sites["lat"], dtype=float)
    site_lon = np.asarray(sites["lon"], dtype=float)
    letter_ids = np.asarray(letters["letter_id"], dtype=object)
    letter_sites = np.asarray(letters["site_id"], dtype=object)
    own = np.array([position[site] for site in letter_sites], dtype=np.int64)
    country = site_country[own]
    ids = [gigafactory_id(members) for members in gigafactories]
    order = np.argsort(ids, kind="stable")
    ids = [ids[i] for i in order]
    member_lists = [[position[site] for site in sorted(gigafactories[i])] for i in order]

    gigafactory = np.full(len(own), "", dtype=object)
    role = np.full(len(own), "unfunded", dtype=object)
    distance_km = np.full(len(own), np.nan)
    if ids:
        lat, lon = site_lat[own][:, None], site_lon[own][:, None]
        # nearest member of each gigafactory, km: letters x gigafactories
        nearest = np.column_stack([
            haversine_km(lat, lon, site_lat[members][None, :], site_lon[members][None, :])
            .min(axis=1) for members in member_lists])
        states = [set(site_country[members]) for members in member_lists]
        own_state = np.array([[code in s for s in states] for code in country])
        member_of = {s: g for g, members in enumerate(member_lists) for s in members}
        for row, site in enumerate(own):
            if site in member_of:
                choice, how = member_of[site], "merged"
            elif own_state[row].any():
                choice, how = _nearest(nearest[row], own_state[row]), "partner"
            elif cross_border and nearest[row].min() <= radius_km + DISTANCE_TOLERANCE_KM:
                choice, how = _nearest(nearest[row], np.ones(len(ids), dtype=bool)), "partner"
            else:
                continue
            gigafactory[row], role[row] = ids[choice], how
            distance_km[row] = 0.0 if how == "merged" else nearest[row, choice]
    consortium = (np.asarray(letters["consortium"], dtype=object) if "consortium" in letters
                  else np.full(len(own), "", dtype=object))
    requested_mw = (np.asarray(letters["requested_mw"], dtype=float)
                    if "requested_mw" in letters else np.full(len(own), np.nan))
    columns = {"letter_id": letter_ids, "site_id": letter_sites, "country": country,
               "consortium": consortium, "requested_mw": requested_mw,
               "gigafactory": gigafactory, "role": role, "distance_km": distance_km}
    by_letter = np.argsort(letter_ids, kind="stable")
    return ConsolidationPlan(Table({name: values[by_letter] for name, values in columns.items()}))


def _nearest(distance: np.ndarray, allowed: np.ndarray) -> int:
    """Index of the smallest allowed distance; the first one (smallest ID) on ties."""
    return int(np.argmin(np.where(allowed, distance, np.inf)))
