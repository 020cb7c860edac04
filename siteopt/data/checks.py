"""Input checks: one function per rule, each returning the problems it finds.

Every problem names the file, the row, the column, the bad value and the fix. Checks are
vectorised: they look at whole columns and only format messages for the rows that fail.
"""

from __future__ import annotations

import difflib

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from siteopt.data.numbers import MISSING, read_numbers
from siteopt.data.schema import ID_PATTERN, Column, id_hint
from siteopt.errors import Problem
from siteopt.sanitize import quoted

#: How far (km) a site, population point or AI Factory may lie outside its declared country's
#: polygon: Natural Earth 1:10m outlines simplified to about 1 km put some coastal and border
#: places a kilometre or two outside.
COUNTRY_TOLERANCE_KM = 5.0
#: Equal-area projection for Europe (ETRS89-LAEA) used for distances to polygons.
EUROPE_CRS = "EPSG:3035"


class Located:
    """Formats problems for one file: row numbers from frame positions.

    Parameters
    ----------
    display : str
        How messages name the file.
    lines : sequence of int
        The row number of each frame position: the line a CSV record begins on, a
        spreadsheet's row, a GeoJSON feature's number.
    row_kind : str
        What the numbers count: ``line``, ``row`` or ``feature``.
    """

    def __init__(self, display: str, lines, row_kind: str):
        self.display = display
        self.lines = lines
        self.row_kind = row_kind

    def line(self, position: int) -> int:
        """The row number of frame position ``position``."""
        return int(self.lines[int(position)])

    def problem(self, position: int | None, column: str | None, message: str) -> Problem:
        row = None if position is None else self.line(position)
        return Problem(self.display, message, row=row, column=column, row_kind=self.row_kind)


def check_required_columns(frame: pd.DataFrame, columns: tuple[Column, ...],
                           where: Located) -> list[Problem]:
    """A required column is missing (suggest the closest existing name when it looks like a typo)."""
    problems = []
    known = {column.name for column in columns}
    # a column of the file's own (capex_basis) is never the misspelling of another (capex_eur)
    others = {str(name).strip().lower(): name for name in frame.columns if name not in known}
    for column in columns:
        if column.required and column.name not in frame:
            close = difflib.get_close_matches(column.name, list(others), n=1, cutoff=0.6)
            hint = (f"; found {quoted(others[close[0]])}: rename it to '{column.name}'" if close
                    else f"; add a '{column.name}' column ({column.description})")
            problems.append(where.problem(None, column.name, f"required column is missing{hint}"))
    return problems


def check_missing(values: pd.Series, column: Column, where: Located) -> tuple[pd.Series, list[Problem]]:
    """Empty or NaN values in a required column. Returns the mask of missing values."""
    missing = values.isin(MISSING)
    problems = []
    if column.required:
        for position in np.flatnonzero(missing.to_numpy()):
            value = values.iat[position]
            said = "is empty" if not value.strip() else "stands for no value"
            problems.append(where.problem(position, column.name,
                                          f"{quoted(value)} {said}; every row needs a value "
                                          f"({column.description})"))
    return missing, problems


def check_numbers(values: pd.Series, column: Column, read: tuple[np.ndarray, np.ndarray],
                  missing: pd.Series, where: Located) -> tuple[pd.Series, list[Problem]]:
    """Non-finite or fractional whole numbers, and out-of-range values.

    ``read`` is the column as :func:`siteopt.data.numbers.read_numbers` read it: the numbers
    and the mask of cells already refused (and reported) there.
    """
    read_values, refused = read
    numbers = pd.Series(read_values, index=values.index, dtype="float64")
    problems = []
    bad = ~np.isfinite(numbers) & ~missing & ~refused
    for position in np.flatnonzero(bad.to_numpy()):
        problems.append(where.problem(position, column.name,
                                      f"{quoted(values.iat[position])} is not a finite number "
                                      f"({column.description})"))
    ok = ~bad & ~missing & ~refused
    numbers[~ok] = np.nan
    rules = []
    if column.kind == "int":
        rules.append((numbers % 1 != 0, "must be a whole number"))
    if column.positive:
        rules.append((numbers <= 0, "must be > 0"))
    if column.minimum is not None and column.maximum is not None:
        rules.append(((numbers < column.minimum) | (numbers > column.maximum),
                      f"must be between {column.minimum:g} and {column.maximum:g}"))
    elif column.minimum is not None:
        rules.append((numbers < column.minimum, f"must be >= {column.minimum:g}"))
    if column.plausible is not None:
        low, high, text = column.plausible
        rules.append((numbers < low, f"is not plausible: it must be {text}{column.below_hint}"))
        rules.append((numbers > high, f"is not plausible: it must be {text}"))
    for failing, requirement in rules:
        for position in np.flatnonzero((failing & ok).to_numpy()):
            problems.append(where.problem(position, column.name,
                                          f"{quoted(values.iat[position])} {requirement} "
                                          f"({column.description})"))
            ok.iat[position] = False
    return numbers, problems


def check_ids(values: pd.Series, column: Column, missing: pd.Series,
              where: Located) -> list[Problem]:
    """IDs use only letters, digits and '-', and are unique."""
    problems = []
    malformed = ~values.str.fullmatch(ID_PATTERN) & ~missing
    for position in np.flatnonzero(malformed.to_numpy()):
        problems.append(where.problem(position, column.name,
                                      f"{quoted(values.iat[position])} may contain only letters, "
                                      f"digits and '-' ({column.description})"))
    if column.references is None:
        duplicated = values.duplicated(keep="first") & ~missing
        first_seen = {}
        for position, value in enumerate(values.to_numpy()):
            first_seen.setdefault(value, position)
        for position in np.flatnonzero(duplicated.to_numpy()):
            value = values.iat[position]
            first = where.line(first_seen[value])
            problems.append(where.problem(position, column.name,
                                          f"{quoted(value)} is a duplicate of {where.row_kind} "
                                          f"{first}; IDs must be unique"))
    return problems


def check_choices(values: pd.Series, column: Column, missing: pd.Series,
                  where: Located) -> list[Problem]:
    """Values of a ``choice`` column are one of the allowed words."""
    bad = ~values.isin(column.choices) & ~missing
    return [where.problem(position, column.name,
                          f"{quoted(values.iat[position])} must be one of "
                          f"{', '.join(column.choices)} ({column.description})")
            for position in np.flatnonzero(bad.to_numpy())]


def check_countries(values: pd.Series, column: Column, missing: pd.Series,
                    known: frozenset[str], countries_file: str, where: Located) -> list[Problem]:
    """Country codes are ISO 3166-1 alpha-2 codes present in the countries file."""
    bad = ~values.isin(known) & ~missing
    problems = []
    aliases = {"EL": "GR", "UK": "GB"}
    for position in np.flatnonzero(bad.to_numpy()):
        value = values.iat[position]
        if aliases.get(value.upper()) in known:
            hint = f"; use '{aliases[value.upper()]}'"
        elif value.upper() in known:
            hint = f"; use upper case {quoted(value.upper())}"
        else:
            hint = f"; use an ISO 3166-1 alpha-2 code that {countries_file} has"
        problems.append(where.problem(position, column.name, f"{quoted(value)} is not a country "
                                                             f"in {countries_file}{hint}"))
    return problems


#: What the ID cell of a spreadsheet's totals row says (compared without case, spaces at the
#: ends or a closing colon).
TOTALS_WORDS = frozenset({"total", "totals", "grand total", "subtotal", "sum", "summe",
                          "gesamt", "totale", "totaal", "somme"})


def totals_rows(frame: pd.DataFrame, columns: tuple[Column, ...],
                where: Located) -> tuple[set[int], list[Problem]]:
    """The rows whose first ID column says "Total" (or :data:`TOTALS_WORDS`): a totals row
    kept below a spreadsheet's data, with one problem each, so that its empty and summed
    cells are not reported one by one. Returns their row numbers and the problems."""
    ids = [column.name for column in columns if column.kind == "id" and column.name in frame]
    if not ids:
        return set(), []
    said = frame[ids[0]].astype(str).str.strip().str.rstrip(":").str.strip().str.lower()
    positions = np.flatnonzero(said.isin(TOTALS_WORDS).to_numpy())
    problems = [where.problem(position, ids[0],
                              f"{quoted(frame[ids[0]].iloc[position])} starts a totals row, "
                              f"not data: delete the row (siteopt adds up the rows itself), or "
                              f"keep the totals on a sheet of their own")
                for position in positions]
    return {where.line(position) for position in positions}, problems


def check_columns(frame: pd.DataFrame, columns: tuple[Column, ...], where: Located,
                  countries: frozenset[str] | None = None,
                  countries_file: str = "countries.geojson") -> tuple[pd.DataFrame, list[Problem]]:
    """Run every per-column check; return the typed frame and all problems.

    Every optional column is in the result: one the file leaves out is all missing (NaN or
    empty text), so no later stage needs to ask whether it exists. Numeric columns are read
    exactly or refused (:mod:`siteopt.data.numbers`: the file's
    decimal mark decided from its cells) and become float64 (int columns too, so that missing
    optional values are NaN); text columns keep their stripped strings.
    """
    problems = check_required_columns(frame, columns, where)
    read, found = read_numbers(frame, columns, where.display, where.lines, where.row_kind)
    problems += found
    typed = {}
    for column in columns:
        if column.name not in frame:
            continue
        values = frame[column.name].astype(str)
        missing, found = check_missing(values, column, where)
        problems += found
        if column.numeric:
            typed[column.name], found = check_numbers(values, column, read[column.name], missing,
                                                      where)
        else:
            typed[column.name] = values.where(~missing, "")
            if column.kind == "id":
                found = check_ids(values, column, missing, where)
            elif column.kind == "choice":
                found = check_choices(values, column, missing, where)
            elif column.kind == "country" and countries is not None:
                found = check_countries(values, column, missing, countries, countries_file, where)
            else:
                found = []
        problems += found
    extra = [c for c in frame.columns if c not in typed]
    result = pd.DataFrame(typed, index=frame.index)
    for name in extra:
        result[name] = frame[name]
    for column in columns:   # an optional column left out is a column of missing values
        if not column.required and column.name not in result:
            result[column.name] = pd.Series(np.nan if column.numeric else "", index=frame.index,
                                            dtype="float64" if column.numeric else "str")
    return result, problems


def check_references(values: pd.Series, column: Column, targets: pd.Series,
                     target_file: str, where: Located) -> list[Problem]:
    """Every value points to an existing ID in another file (e.g. a letter's site)."""
    known = set(targets)
    bad = ~values.isin(known) & (values != "")
    problems = []
    for position in np.flatnonzero(bad.to_numpy()):
        value = values.iat[position]
        hint = id_hint(value, known, f"; add the site to {target_file} first")
        problems.append(where.problem(position, column.name,
                                      f"{quoted(value)} is not a {column.references.split(':')[1]} "
                                      f"in {target_file}{hint}"))
    return problems


def check_points_in_countries(points: pd.DataFrame, id_column: str, kind: str,
                              countries: gpd.GeoDataFrame, where: Located) -> list[Problem]:
    """Each point (site, population point, AI Factory) lies in its declared country, or within
    :data:`COUNTRY_TOLERANCE_KM` of it (coastal places, borders drawn to about 1 km).

    A point further away is reported with the country it does lie in, if any (a swapped code or
    swapped lat/lon shows up here). Points are tested against the polygons in degrees first;
    only those outside are measured, in metres (ETRS89-LAEA).
    """
    shapes = countries.set_index("iso_a2").geometry
    lon = pd.to_numeric(points["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(points["lat"], errors="coerce").to_numpy(float)
    known = (points["country"].isin(shapes.index).to_numpy() & np.isfinite(lon)
             & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    outside = np.zeros(len(points), dtype=bool)
    for code, rows in pd.Series(np.flatnonzero(known)).groupby(
            points["country"].to_numpy()[known]):
        polygon = shapes.loc[code]
        shapely.prepare(polygon)
        positions = rows.to_numpy()
        outside[positions] = ~shapely.contains_xy(polygon, lon[positions], lat[positions])
    candidates = np.flatnonzero(outside)
    if not len(candidates):
        return []
    projected_countries = shapes.to_crs(EUROPE_CRS)
    located = gpd.GeoSeries(gpd.points_from_xy(lon[candidates], lat[candidates]),
                            crs="EPSG:4326").to_crs(EUROPE_CRS)
    own = gpd.GeoSeries(projected_countries.loc[points["country"].to_numpy()[candidates]]
                        .to_numpy(), crs=EUROPE_CRS)
    distance_km = located.distance(own).to_numpy() / 1000.0
    names = countries.set_index("iso_a2")["name"]
    problems = []
    for position, point, km in zip(candidates, located, distance_km):
        if km <= COUNTRY_TOLERANCE_KM:
            continue
        row = points.iloc[position]
        inside = projected_countries.index[projected_countries.contains(point)]
        actual = f"lies in {names.at[inside[0]]} ({inside[0]}), " if len(inside) else "lies "
        fix = ("'lat' and 'lon' look swapped: swap them" if _in_country_swapped(
            shapes.loc[row["country"]], lon[position], lat[position])
            else "fix 'country', or 'lat' and 'lon'")
        problems.append(where.problem(
            int(position), "country",
            f"{kind} {row[id_column]} at lat {row['lat']:g}, lon {row['lon']:g} {actual}"
            f"{km:.0f} km from {row['country']}; {fix} ({kind}s may lie at most "
            f"{COUNTRY_TOLERANCE_KM:g} km outside their country)"))
    return problems


def _in_country_swapped(polygon, lon: float, lat: float) -> bool:
    """Whether the point with latitude and longitude swapped lies in ``polygon`` (degrees)."""
    return abs(lon) <= 90 and bool(shapely.contains_xy(polygon, lat, lon))


def check_geometries(countries: gpd.GeoDataFrame, where: Located) -> list[Problem]:
    """Country features have non-empty, valid polygons."""
    problems = []
    for position, geometry in enumerate(countries.geometry):
        if geometry is None or geometry.is_empty:
            problems.append(where.problem(position, "geometry", "has no geometry; every country "
                                                                "needs a polygon"))
        elif geometry.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(where.problem(position, "geometry", f"is a {geometry.geom_type}; "
                                                                f"countries must be polygons"))
        elif not geometry.is_valid:
            problems.append(where.problem(position, "geometry", "polygon is invalid "
                                                                "(self-intersecting); repair it, "
                                                                "e.g. with shapely.make_valid"))
    return problems
