"""The consolidation plan: which letters of interest join which chosen gigafactory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from siteopt.geometry import haversine_km


@dataclass(frozen=True)
class ConsolidationPlan:
    """Letters grouped under the chosen sites.

    Attributes
    ----------
    members : dict
        Chosen site_id -> sorted letter_ids that join it (every letter at a chosen site joins
        that site; others join the nearest chosen site within the radius).
    unabsorbed : list of str
        Letters with no chosen site within the consolidation radius, sorted.
    links : DataFrame
        One row per letter: ``letter_id``, ``site_id`` (its own site), ``joins`` (chosen
        site_id or empty), ``distance_km`` (from its site to the one it joins; 0 at a chosen
        site, NaN when unabsorbed).
    """

    members: dict[str, list[str]]
    unabsorbed: list[str]
    links: pd.DataFrame


def plan_consolidation(sites: pd.DataFrame, letters: pd.DataFrame, selected_ids: list[str],
                       radius_km: float) -> ConsolidationPlan:
    """Assign every letter to a chosen site.

    A letter whose site is chosen joins it; every other letter joins the nearest chosen site
    within ``radius_km`` (km, inclusive) of its own site, ties broken by the smaller site_id;
    otherwise it stays unabsorbed.

    Parameters
    ----------
    sites : DataFrame
        ``site_id``, ``lat``, ``lon`` (degrees).
    letters : DataFrame
        ``letter_id``, ``site_id``.
    selected_ids : list of str
        The chosen sites.
    radius_km : float
        Consolidation radius, km.
    """
    chosen = sorted(selected_ids)
    located = sites.set_index("site_id")
    links = letters[["letter_id", "site_id"]].copy()
    if chosen:
        origin = located.loc[links["site_id"], ["lat", "lon"]].to_numpy()
        target = located.loc[chosen, ["lat", "lon"]].to_numpy()
        distance = haversine_km(origin[:, :1], origin[:, 1:], target[:, 0][None, :],
                                target[:, 1][None, :])
        distance[links["site_id"].to_numpy()[:, None] == np.asarray(chosen)[None, :]] = 0.0
        # argmin returns the first minimum: chosen is sorted, so ties go to the smaller site_id
        nearest = np.argmin(distance, axis=1)
        nearest_km = distance[np.arange(len(links)), nearest]
        within = nearest_km <= radius_km
        links["joins"] = np.where(within, np.asarray(chosen)[nearest], "")
        links["distance_km"] = np.where(within, nearest_km, np.nan)
    else:
        links["joins"] = ""
        links["distance_km"] = np.nan
    links = links.sort_values("letter_id", kind="stable").reset_index(drop=True)
    members = {site_id: links.loc[links["joins"] == site_id, "letter_id"].tolist()
               for site_id in chosen}
    unabsorbed = links.loc[links["joins"] == "", "letter_id"].tolist()
    return ConsolidationPlan(members, unabsorbed, links)
