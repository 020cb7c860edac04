"""The result of one solve: selection, terms, consolidation, manifest; exports.

A :class:`Result` is complete when it is made: nothing is computed on request except the
renderings (tables, JSON text, files).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from siteopt import __version__
from siteopt.atomic import write_directory, write_file
from siteopt.config import ModelConfig
from siteopt.consolidation import ConsolidationPlan
from siteopt.data.dataset import Dataset, point_frame
from siteopt.data.table import Table
from siteopt.model import TERMS
from siteopt.solvers.outcome import Status
from siteopt.units import count, eur, mw, people


@dataclass(frozen=True)
class Gigafactory:
    """One chosen gigafactory, as reported.

    Attributes
    ----------
    id : str
        Its member site IDs joined with ``+`` (e.g. ``ES-MLN+ES-SFH``).
    name : str
        Its members' names joined with ``+`` (the part before any parenthesis).
    members : list of str
        Member site IDs, sorted.
    countries : list of str
        Member states of its members, sorted.
    effective_mw : float
        Sum of the members' effective power, MW.
    capex_eur : float
        Members' capex plus the extra-site cost, EUR.
    extra_site_cost_eur : float
        The extra-site cost in ``capex_eur``, EUR.
    energy_cost_eur : float
        Electricity over ``costs.years``, EUR.
    merged_letters, partner_letters : list of str
        Letters at member sites; letters that join without their site.
    merged_consortia, partner_consortia : list of str
        The consortia that sent them, each once, in letter order.
    requested_mw : float
        MW requested by all its letters (merged and partner), to compare with its power.
    """

    id: str
    name: str
    members: list[str]
    countries: list[str]
    effective_mw: float
    capex_eur: float
    extra_site_cost_eur: float
    energy_cost_eur: float
    merged_letters: list[str]
    partner_letters: list[str]
    merged_consortia: list[str]
    partner_consortia: list[str]
    requested_mw: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _unique(values) -> list[str]:
    """Values in first-seen order, each once."""
    return list(dict.fromkeys(str(v) for v in values))


def short_name(name: str) -> str:
    """A site name without its parenthesis or comma part: ``Cernavodă (...)`` -> ``Cernavodă``."""
    return name.split(" (")[0].split(",")[0].strip()


@dataclass(frozen=True, eq=False)
class Result:
    """One solved model.

    Attributes
    ----------
    status : Status
        ``optimal`` or ``time_limit`` (a result always holds a solution).
    objective : float
        Weighted objective of the selection (cost subtracted).
    terms : dict
        Un-weighted terms (each 0..1), keyed as :data:`siteopt.model.TERMS`.
    selected : list of str
        Member sites of the chosen gigafactories, sorted.
    site_table : Table
        Every site with the input columns plus ``effective_mw`` (MW), ``co2_g_per_kwh``
        (g/kWh, the site's or its country's), ``energy_cost_eur`` (EUR over the costed years),
        ``eligible``, ``required``, ``selected``, ``gigafactory`` (ID or empty),
        ``population_within_r`` (people within R of the site) and ``energy_mwh_per_year``
        (MWh a year); :attr:`sites` as a GeoDataFrame.
    demand_covered : ndarray of bool
        Per demand point: within R of a chosen site.
    consolidation : ConsolidationPlan
    model : ModelConfig
        The effective model.
    solver : dict
        ``name``, ``seconds`` (s), ``gap`` (relative), ``bound`` (best proven objective bound).
    inputs : dict
        SHA-256 of each data file and of the effective model (key ``model``).
    timings : dict
        Seconds spent in ``load``, ``coverage``, ``build`` and ``solve``.
    dataset : Dataset
        The data the result was computed from (for maps and reports).
    runner_up : dict or None
        The best portfolio on other member sites (:mod:`siteopt.solvers.ties`):
        ``gigafactories`` (IDs), ``objective``, ``below`` (objective points) and
        ``below_share`` (relative) under this one, ``sites_in`` and ``sites_out`` against
        this one, ``covered_population`` (people), ``total_capex_eur`` (EUR),
        ``total_power_mw`` (MW). None when no other portfolio exists or it was not proven.
    """

    status: Status
    objective: float
    terms: dict[str, float]
    selected: list[str]
    site_table: Table
    demand_covered: np.ndarray
    consolidation: ConsolidationPlan
    model: ModelConfig
    solver: dict[str, Any]
    inputs: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)
    dataset: Dataset | None = None
    runner_up: dict | None = None

    # --- derived views ------------------------------------------------------------------

    @property
    def contributions(self) -> dict[str, float]:
        """Each term times its weight; the cost contribution is negative."""
        weights = self.model.weights
        return {term: (0.0 - value if term == "cost" else value)
                for term, value in ((t, getattr(weights, t) * self.terms[t]) for t in TERMS)}

    @functools.cached_property
    def sites(self):
        """:attr:`site_table` as a GeoDataFrame of EPSG:4326 points (built once)."""
        return point_frame(self.site_table)

    @property
    def chosen(self):
        """The chosen sites with all attributes (GeoDataFrame), sorted by site_id."""
        return self.sites.iloc[self._chosen_rows]

    @functools.cached_property
    def _chosen_rows(self) -> np.ndarray:
        """Row numbers of the chosen sites in :attr:`site_table`, sorted by site_id."""
        rows = np.flatnonzero(self.site_table["selected"])
        return rows[np.argsort(self.site_table["site_id"][rows], kind="stable")]

    @functools.cached_property
    def gigafactories(self) -> list[Gigafactory]:
        """The chosen gigafactories, sorted by ID (computed once: tables, maps and exports all
        read it)."""
        sites, plan, rows = self.site_table, self.consolidation, self._chosen_rows
        letters = plan.table
        consortium = dict(zip(letters["letter_id"], letters["consortium"]))
        extra_per_site = self.model.consolidation.extra_site_cost_eur
        out = []
        for ident in sorted(set(sites["gigafactory"][rows])):
            members = rows[sites["gigafactory"][rows] == ident]
            extra = extra_per_site * (len(members) - 1)
            merged, partners = plan.merged(ident), plan.partners(ident)
            out.append(Gigafactory(
                id=ident, name=" + ".join(short_name(n) for n in sites["name"][members]),
                members=sites["site_id"][members].tolist(),
                countries=sorted(set(sites["country"][members])),
                effective_mw=float(sites["effective_mw"][members].sum()),
                capex_eur=float(sites["capex_eur"][members].sum() + extra),
                extra_site_cost_eur=extra,
                energy_cost_eur=float(sites["energy_cost_eur"][members].sum()),
                merged_letters=merged, partner_letters=partners,
                merged_consortia=_unique(consortium[letter] for letter in merged),
                partner_consortia=_unique(consortium[letter] for letter in partners),
                requested_mw=float(letters["requested_mw"][letters["gigafactory"] == ident]
                                   .sum())))
        return out

    @property
    def total_capex_eur(self) -> float:
        """Capex of every member site plus the extra-site costs, EUR."""
        return float(sum(g.capex_eur for g in self.gigafactories))

    @property
    def total_energy_cost_eur(self) -> float:
        """Electricity of every member site over the costed years, EUR."""
        return float(self.site_table["energy_cost_eur"][self._chosen_rows].sum())

    @property
    def total_power_mw(self) -> float:
        return float(self.site_table["effective_mw"][self._chosen_rows].sum())

    @property
    def annual_co2_t(self) -> float:
        """CO2 of the member sites' electricity in a year, tonnes (MWh x g/kWh / 1,000)."""
        rows = self._chosen_rows
        return float((self.site_table["energy_mwh_per_year"][rows]
                      * self.site_table["co2_g_per_kwh"][rows]).sum() / 1000.0)

    @property
    def lifetime_cost_eur(self) -> float:
        """Capital cost plus electricity over ``costs.years``, EUR (what the cost term counts)."""
        return self.total_capex_eur + self.total_energy_cost_eur

    @property
    def covered_population(self) -> float:
        return float(self.dataset.demand_table["population"][self.demand_covered].sum())

    @functools.cached_property
    def access(self):
        """How far people are from the portfolio: mean and worst distance, backup coverage,
        per member state (:class:`siteopt.access.Access`; computed once)."""
        from siteopt.access import result_access

        return result_access(self)

    def country_coverage(self):
        """Per country: population, population within R of a chosen site, and the share.

        Returns
        -------
        DataFrame
            ``country``, ``name``, ``population``, ``covered``, ``share`` (0..1), ``sites``
            (chosen sites in the country).
        """
        import pandas as pd

        demand = self.dataset.demand
        countries, where = np.unique(np.asarray(demand["country"], dtype=object).astype(str),
                                     return_inverse=True)
        population = np.asarray(demand["population"], float)
        total = np.bincount(where, population, len(countries))
        covered = np.bincount(where, np.where(self.demand_covered, population, 0.0),
                              len(countries))
        chosen = self.site_table["country"][np.asarray(self.site_table["selected"], bool)]
        names = dict(zip(self.dataset.countries["iso_a2"], self.dataset.countries["name"]))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, covered / total, np.nan)
        return pd.DataFrame({
            "country": countries, "name": [names.get(c, "") for c in countries],
            "population": total, "covered": covered, "share": share,
            "sites": [int(np.sum(chosen == c)) for c in countries]})

    def __repr__(self) -> str:
        """What the answer gives first (gigafactories, EUR, MW, people), then its objective,
        gap and solve time: ``<siteopt.Result optimal: 5 gigafactories (ES-ZAZ, ...): EUR 19.97
        bn, 3,150 MW, 357.4 m people within 500 km; objective 0.5922, gap 0.00%, ...>``."""
        return (f"<siteopt.Result {self.status.value}: "
                f"{count(len(self.gigafactories), 'gigafactory', 'gigafactories')} "
                f"({', '.join(g.id for g in self.gigafactories)}): "
                f"{eur(self.total_capex_eur)}, {mw(self.total_power_mw)}, "
                f"{people(self.covered_population)} within {self.model.coverage.radius_km:g} "
                f"km; objective {self.objective:.4f}, gap {self.solver['gap']:.2%}, "
                f"{self.solver['seconds']:.2f} s with {self.solver['name']}>")

    # --- views for people (drawn by siteopt.report) ------------------------------------

    def table(self):
        """The chosen sites as a readable table (name, country, MW, capex, renewables, people)."""
        from siteopt.report.text import chosen_sites_table

        return chosen_sites_table(self).reset_index(drop=True)

    def plot(self, kind: str = "map", ax=None, **options):
        """A static figure: ``kind="map"`` (sites, coverage, links), ``"coverage"`` (choropleth
        of the share within R), ``"distance"`` (choropleth of the mean distance to the nearest
        member site) or ``"access"`` (the access curve: the share of people within each
        distance; ``others=[("scenario", other_result)]`` draws other results beside it).

        ``options`` go to the drawing function (for ``map``:
        :func:`siteopt.report.maps.plot_result`, ``title``, ``labels``).

        Returns
        -------
        matplotlib Axes
        """
        from siteopt.report import maps

        drawers = {"map": maps.plot_result, "coverage": maps.plot_coverage_choropleth,
                   "distance": maps.plot_access_choropleth, "access": maps.plot_access_curve}
        if kind not in drawers:
            raise ValueError(f"kind must be one of {', '.join(drawers)}, not {kind!r}")
        return drawers[kind](self, ax=ax, **options)

    @functools.cached_property
    def map_png(self) -> bytes:
        """The map of :meth:`plot` as PNG bytes (150 dpi), drawn once: ``map.png`` of
        ``--out`` and the report's map are these bytes."""
        from siteopt.report.maps import figure_bytes

        return figure_bytes(self.plot())

    def explore(self):
        """The interactive map (Leaflet, offline), shown inline in a notebook; ``.save(path)``
        writes it."""
        from siteopt.report.interactive import explore_result

        return explore_result(self)

    def report_html(self, analyses=()) -> str:
        """The self-contained HTML report as text, with a section per analysis result
        (:mod:`siteopt.analysis`: alternatives, explanation, sweep, Pareto front,
        robustness) in ``analyses``."""
        from siteopt.report.html import build_report

        return build_report(self, analyses)

    def __str__(self) -> str:
        from siteopt.report.text import format_result

        return format_result(self)

    # --- exports ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (the ``--format json`` document)."""
        from siteopt.summary import caveats, headline

        return {
            "status": self.status.value,
            "headline": headline(self),
            "caveats": caveats(self),
            "objective": self.objective,
            "terms": dict(self.terms),
            "contributions": self.contributions,
            "gigafactories": [g.to_dict() for g in self.gigafactories],
            "selected": list(self.selected),
            "total_capex_eur": self.total_capex_eur,
            "total_energy_cost_eur": self.total_energy_cost_eur,
            "total_power_mw": self.total_power_mw,
            "covered_population": self.covered_population,
            "total_population": float(self.dataset.demand_table["population"].sum()),
            "access": self.access.to_dict(),
            "countries": sorted(set(self.site_table["country"][self._chosen_rows])),
            "unfunded_letters": list(self.consolidation.unfunded),
            "unfunded_by_country": self.consolidation.unfunded_by_country(),
            "model": self.model.to_dict(),
            "model_description": self.model.description,
            "data_set": dict(self.dataset.data_set),
            "siteopt_version": __version__,
            "solver": {"name": self.solver["name"], "method": self.solver["method"],
                       "seconds": self.solver["seconds"], "gap": self.solver["gap"],
                       "bound": self.solver["bound"],
                       "formulation": self.solver["formulation"],
                       "candidate_gigafactories": self.solver["candidates"],
                       "ties": self.solver.get("ties", 1),
                       "ties_settled": self.solver.get("ties_settled", False)},
            "runner_up": self.runner_up,
            "timings": dict(self.timings),
            "inputs": dict(self.inputs),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The result as a JSON document (non-finite numbers become ``null``)."""
        return json.dumps(_finite(self.to_dict()), indent=indent, ensure_ascii=False)

    def gigafactories_geojson(self) -> str:
        """The chosen gigafactories as GeoJSON: one MultiPoint feature per gigafactory (its
        members; ``"kind": "gigafactory"``), then one Point feature per member site with every
        site attribute (``"kind": "site"``). WGS84 longitude/latitude."""
        chosen = self.chosen
        located = chosen.set_index("site_id")
        features = []
        for gigafactory in self.gigafactories:
            points = [[float(located.at[s, "lon"]), float(located.at[s, "lat"])]
                      for s in gigafactory.members]
            features.append({"type": "Feature",
                             "properties": {"kind": "gigafactory", **gigafactory.to_dict()},
                             "geometry": {"type": "MultiPoint", "coordinates": points}})
        site_features = json.loads(chosen.drop(columns=["selected"]).to_json(
            drop_id=True, ensure_ascii=False))["features"]
        for feature in site_features:
            feature["properties"] = {"kind": "site", **feature["properties"]}
        collection = {"type": "FeatureCollection", "features": features + site_features}
        return json.dumps(_finite(collection), ensure_ascii=False)

    def sites_csv(self) -> str:
        """Every site with its decision columns, as CSV text (text that a spreadsheet would run
        as a formula starts with ``'``; see :mod:`siteopt.report.exports`)."""
        from siteopt.report.exports import csv_text, sites_table

        return csv_text(sites_table(self))

    def to_geojson(self, path: str | Path) -> Path:
        """Write :meth:`gigafactories_geojson` to ``path`` (atomically); return the path."""
        return write_file(path, self.gigafactories_geojson())

    def write(self, directory: str | Path) -> list[Path]:
        """Write every output file into ``directory`` (see
        :func:`siteopt.report.exports.output_files`): the result as JSON, the tables as CSV and
        Excel, the geography as GeoJSON and GeoPackage, the maps and the report.

        The directory is replaced in one step (:func:`siteopt.atomic.write_directory`): a
        failed or killed run leaves all the old files or all the new ones; other files in the
        directory are kept.

        Parameters
        ----------
        directory : path
            Created if missing.

        Returns
        -------
        list of Path
            The written files.
        """
        from siteopt.report.exports import output_files

        return write_directory(directory, output_files(self))


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def failure_document(error) -> dict[str, Any]:
    """The JSON document of a run without a solution, so scripts can parse every outcome.

    Parameters
    ----------
    error : SiteoptError
        ``status`` is ``infeasible`` for an :class:`~siteopt.errors.InfeasibleError`, else
        ``error``; ``exit_code`` is the command's (1 no usable answer, 2 bad input).
    """
    from siteopt.errors import InfeasibleError

    status = Status.INFEASIBLE if isinstance(error, InfeasibleError) else Status.ERROR
    return {"status": status.value, "error": str(error), "exit_code": error.exit_code,
            "objective": None, "gigafactories": [], "selected": []}
