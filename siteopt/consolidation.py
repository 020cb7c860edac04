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
import pandas as pd

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
    letters : DataFrame
        One row per letter, sorted by ``letter_id``: ``letter_id``, ``site_id`` (its own site),
        ``country``, ``consortium``, ``requested_mw`` (MW), ``gigafactory`` (ID, empty when
        unfunded), ``role`` (merged, partner or unfunded) and ``distance_km`` (from its site to
        the gigafactory's nearest member; 0 when merged, NaN when unfunded).
    """

    letters: pd.DataFrame

    def merged(self, gigafactory: str) -> list[str]:
        """Letters merged into a gigafactory (their site is a member)."""
        return self._with(gigafactory, "merged")

    def partners(self, gigafactory: str) -> list[str]:
        """Letters that join a gigafactory as partners (their site is not a member)."""
        return self._with(gigafactory, "partner")

    def _with(self, gigafactory: str, role: str) -> list[str]:
        frame = self.letters
        return frame.loc[(frame["gigafactory"] == gigafactory) & (frame["role"] == role),
                         "letter_id"].tolist()

    @property
    def unfunded(self) -> list[str]:
        """Letters that find no home, sorted."""
        return self.letters.loc[self.letters["role"] == "unfunded", "letter_id"].tolist()

    def unfunded_by_country(self) -> dict[str, list[str]]:
        """Unfunded letters per member state of their site, states sorted."""
        frame = self.letters[self.letters["role"] == "unfunded"]
        return {country: group["letter_id"].tolist()
                for country, group in frame.groupby("country", sort=True)}

    @property
    def homed_share(self) -> float:
        """Share of letters merged or partnered (L)."""
        return float((self.letters["role"] != "unfunded").mean()) if len(self.letters) else 0.0


def plan_consolidation(sites: pd.DataFrame, letters: pd.DataFrame,
                       gigafactories: list[list[str]], cross_border: bool,
                       radius_km: float) -> ConsolidationPlan:
    """Give every letter its role and gigafactory by the rules of the module docstring.

    Parameters
    ----------
    sites : DataFrame
        ``site_id``, ``country``, ``lat``, ``lon`` (degrees).
    letters : DataFrame
        ``letter_id``, ``site_id``; ``consortium`` and ``requested_mw`` (MW) if present.
    gigafactories : list of list of str
        Member site IDs of each chosen gigafactory.
    cross_border : bool
        Whether letters may join a gigafactory of another member state (rule 3).
    radius_km : float
        Rule 3's radius, km (inclusive).
    """
    located = sites.set_index("site_id")
    frame = pd.DataFrame({"letter_id": letters["letter_id"].to_numpy(),
                          "site_id": letters["site_id"].to_numpy()})
    frame["country"] = located.loc[frame["site_id"], "country"].to_numpy()
    frame["consortium"] = (letters["consortium"].to_numpy() if "consortium" in letters
                           else "")
    frame["requested_mw"] = (letters["requested_mw"].to_numpy(dtype=float)
                             if "requested_mw" in letters else np.nan)
    ids = [gigafactory_id(members) for members in gigafactories]
    order = np.argsort(ids, kind="stable")
    ids = [ids[i] for i in order]
    member_lists = [sorted(gigafactories[i]) for i in order]

    gigafactory = np.full(len(frame), "", dtype=object)
    role = np.full(len(frame), "unfunded", dtype=object)
    distance_km = np.full(len(frame), np.nan)
    if ids:
        origin = located.loc[frame["site_id"], ["lat", "lon"]].to_numpy(dtype=float)
        # nearest member of each gigafactory, km: letters x gigafactories
        nearest = np.column_stack([
            haversine_km(origin[:, :1], origin[:, 1:],
                         located.loc[members, "lat"].to_numpy(float)[None, :],
                         located.loc[members, "lon"].to_numpy(float)[None, :]).min(axis=1)
            for members in member_lists])
        states = [set(located.loc[members, "country"]) for members in member_lists]
        own_state = np.array([[country in s for s in states] for country in frame["country"]])
        member_of = {site: g for g, members in enumerate(member_lists) for site in members}
        for row, site in enumerate(frame["site_id"]):
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
    frame["gigafactory"], frame["role"], frame["distance_km"] = gigafactory, role, distance_km
    frame = frame.sort_values("letter_id", kind="stable").reset_index(drop=True)
    return ConsolidationPlan(frame)


def _nearest(distance: np.ndarray, allowed: np.ndarray) -> int:
    """Index of the smallest allowed distance; the first one (smallest ID) on ties."""
    return int(np.argmin(np.where(allowed, distance, np.inf)))
