"""The futures of a robustness run, sampled or read from a file, so anyone can check a run.

A draw changes three things per candidate site: a capex factor (log-normal, median 1), whether
its grid connection slips past 2028, and an electricity price factor (log-normal, median 1).
Draw ``i`` of a sample is made by the random generator seeded with ``(seed, i)``, so it is the
same whatever worker makes it.

``siteopt robust --draws-out draws.json`` writes the draws as JSON; ``--draws-in draws.json``
reads them instead of sampling::

    {"format": "siteopt-draws", "version": 1, "seed": 1,
     "spread": {"capex_sd": 0.2, "grid_delay_prob": 0.2, "price_sd": 0.15},
     "draws": [{"draw": 0, "capex_factor": {"ES-NAV": 1.07, ...}, "slipped": ["PL-POZ"],
                "price_factor": {"ES-NAV": 0.93, ...}}, ...]}

A file comes from outside: every value is checked (a factor for every candidate site and no
other, each a number above 0 and at most :data:`MAX_FACTOR`, slipped sites among the
candidates, each draw's "draw" number, if given, its place in the list counted from 0; the
seed and the spread, if given, since ``robust --choose`` samples its fresh draws with them: a
whole number of 0 or more, and each field within :data:`SPREAD_LIMITS`), and a bad one is one
line naming the file, the draw, the field, the site and the value.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siteopt import strict_json
from siteopt.config import whole
from siteopt.errors import ConfigError, InputError, Problem, listed
from siteopt.paths import display_path
from siteopt.sanitize import printable_text

#: Most draws one run may take.
MAX_DRAWS = 100_000
#: Largest draws file read, bytes (1,000 draws of 60 sites take about 3 MB).
MAX_DRAWS_BYTES = 500_000_000
#: Largest capex or price factor a draws file may give: far above any sampled one (log
#: standard deviations of at most 2), far below what overflows a cost (1e308 made every
#: capital cost infinite and the choice end without a portfolio, said as a time limit).
MAX_FACTOR = 1e6
FORMAT, VERSION = "siteopt-draws", 1


#: The range of each field of a :class:`Spread` (``--capex-sd``, ``--grid-delay-prob``,
#: ``--price-sd``): a log standard deviation beyond 2 makes one draw in twenty cost 27 times
#: the data's figure, and a probability is at most 1.
SPREAD_LIMITS = {"capex_sd": (0, 2), "grid_delay_prob": (0, 1), "price_sd": (0, 2)}


@dataclass(frozen=True)
class Spread:
    """How uncertain the inputs are: the log standard deviations of the capex and price
    factors and the probability that a site's grid connection slips (each within
    :data:`SPREAD_LIMITS`, else :class:`~siteopt.errors.ConfigError`)."""

    capex_sd: float = 0.2
    grid_delay_prob: float = 0.2
    price_sd: float = 0.15

    def __post_init__(self):
        for name, (low, high) in SPREAD_LIMITS.items():
            problem = _outside(getattr(self, name), low, high)
            if problem:
                raise ConfigError(f"spread {name}: {problem}")
            # (a NumPy number as a float: the spread is written to JSON with the draws)
            object.__setattr__(self, name, float(getattr(self, name)))


def _outside(value, low: float, high: float) -> str:
    """Why ``value`` is not a number from ``low`` to ``high`` ("" if it is one; NumPy's
    numbers are numbers)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not low <= value <= high:   # (NaN fails the comparison)
        return (f"{printable_text(repr(value))[:40]} is not a number from {low:g} to "
                f"{high:g}")
    return ""


@dataclass(frozen=True, eq=False)
class Draws:
    """The draws of a robustness run, one row per draw and one column per candidate site.

    Attributes
    ----------
    site_ids : list of str
        The candidate sites, in the data's order.
    capex_factor, price_factor : ndarray
        ``(draws, sites)`` factors on each site's capex and electricity price (> 0).
    slipped : ndarray of bool
        ``(draws, sites)``: the site's grid connection slips in the draw.
    seed : int or None
        The seed they were sampled with (as the file says, for a file).
    spread : Spread or None
        The spread they were sampled with (as the file says, for a file).
    """

    site_ids: list[str]
    capex_factor: np.ndarray
    slipped: np.ndarray
    price_factor: np.ndarray
    seed: int | None = None
    spread: Spread | None = None

    def __len__(self) -> int:
        return len(self.capex_factor)

    def subset(self, rows) -> "Draws":
        """The draws of the given row numbers, in that order (seed and spread kept)."""
        rows = np.asarray(rows, dtype=np.int64)
        return Draws(self.site_ids, self.capex_factor[rows], self.slipped[rows],
                     self.price_factor[rows], self.seed, self.spread)

    def factors(self, draw: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw ``draw``'s capex factors, slipped sites and price factors, per site."""
        return self.capex_factor[draw], self.slipped[draw], self.price_factor[draw]

    @classmethod
    def sample(cls, site_ids, count: int, seed: int, spread: Spread,
               first: int = 0) -> "Draws":
        """``count`` draws, draw ``i`` from the generator seeded with ``(seed, i)``, for
        ``i = first, ..., first + count - 1`` (draws of other numbers are independent of
        them: the robust choice's fresh draws)."""
        seed = check_seed(seed)
        rows = [sample_factors(len(site_ids), seed, draw, spread)
                for draw in range(first, first + count)]
        sites = len(site_ids)
        return cls(list(site_ids),
                   np.array([r[0] for r in rows]).reshape(count, sites),
                   np.array([r[1] for r in rows], dtype=bool).reshape(count, sites),
                   np.array([r[2] for r in rows]).reshape(count, sites), seed, spread)

    def to_json(self) -> str:
        """The draws as the JSON document of the module docstring (factors written exactly:
        reading them back gives the same numbers)."""
        spread = None if self.spread is None else {
            "capex_sd": self.spread.capex_sd, "grid_delay_prob": self.spread.grid_delay_prob,
            "price_sd": self.spread.price_sd}
        return json.dumps({
            "format": FORMAT, "version": VERSION, "seed": self.seed, "spread": spread,
            "draws": [{"draw": i,
                       "capex_factor": dict(zip(self.site_ids, self.capex_factor[i].tolist())),
                       "slipped": [s for s, gone in zip(self.site_ids, self.slipped[i]) if gone],
                       "price_factor": dict(zip(self.site_ids, self.price_factor[i].tolist()))}
                      for i in range(len(self))]}, indent=1, ensure_ascii=False)

    @classmethod
    def read(cls, path, site_ids) -> "Draws":
        """Draws from a file written by :meth:`to_json` (or by hand), for the candidate sites
        ``site_ids``; raises :class:`~siteopt.errors.InputError` (exit code 2) on the first
        bad value."""
        shown = display_path(path)

        def bad(message: str, draw: int | None = None, column: str | None = None):
            return InputError([Problem(shown, message, draw, column, row_kind="draw")])

        source = Path(path)
        if not source.is_file():
            raise bad("draws file not found; give the file --draws-out wrote")
        if source.stat().st_size > MAX_DRAWS_BYTES:
            raise bad(f"larger than {MAX_DRAWS_BYTES:,} bytes; give at most "
                      f"{MAX_DRAWS:,} draws")
        try:
            document = strict_json.loads(source.read_text(encoding="utf-8"),
                                         parse_constant=_no_constant)
        except OSError as err:
            raise bad(f"cannot be read ({err.strerror}); check its permissions") from None
        except strict_json.DuplicateKeyError as err:
            raise bad(str(err)) from None
        except (UnicodeDecodeError, ValueError) as err:
            raise bad(f"not a JSON document ({printable_text(str(err))[:120]}); give the "
                      f"file --draws-out wrote") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise bad(f"not a draws file (its \"format\" must be \"{FORMAT}\"); give the file "
                      f"--draws-out wrote")
        if document.get("version") != VERSION:
            raise bad(f"version {printable_text(repr(document.get('version')))[:40]} is not "
                      f"one this siteopt reads ({VERSION})", column="version")
        rows = document.get("draws")
        if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_DRAWS:
            raise bad(f"\"draws\" must be a list of 1 to {MAX_DRAWS:,} draws", column="draws")
        index = {site: i for i, site in enumerate(site_ids)}
        capex = np.empty((len(rows), len(site_ids)))
        price = np.empty((len(rows), len(site_ids)))
        slipped = np.zeros((len(rows), len(site_ids)), dtype=bool)
        for number, row in enumerate(rows):
            if not isinstance(row, dict):
                raise bad("each draw must be an object with capex_factor, slipped and "
                          "price_factor", number)
            given = row.get("draw", number)
            if isinstance(given, bool) or given != number:
                raise bad(f"numbered {printable_text(repr(given))[:40]}, but it is draw "
                          f"{number} of the file (draws count from 0, in order); number them "
                          f"0, 1, 2, ... or leave \"draw\" out", number, "draw")
            for name, target in (("capex_factor", capex), ("price_factor", price)):
                target[number] = _factors(row.get(name), index, lambda m, c=name, n=number:
                                          bad(m, n, c))
            gone = row.get("slipped", [])
            if not isinstance(gone, list):
                raise bad("must be a list of site IDs", number, "slipped")
            for site in gone:
                if not isinstance(site, str) or site not in index:
                    raise bad(f"{printable_text(repr(site))[:60]} is not a candidate site of "
                              f"the data; list only its site IDs", number, "slipped")
                if slipped[number, index[site]]:
                    raise bad(f"{site} is listed twice; list each slipped site once", number,
                              "slipped")
                slipped[number, index[site]] = True
        return cls(list(site_ids), capex, slipped, price, _seed(document.get("seed"), bad),
                   _spread(document.get("spread"), bad))


def sample_factors(n_sites: int, seed: int, draw: int, spread: Spread):
    """Draw ``draw``'s changes: capex factors, sites whose grid slipped, price factors.

    Returns
    -------
    capex_factor : ndarray
        Per site, log-normal with median 1 (all 1 without spread).
    slipped : ndarray of bool
        Per site, True with probability ``grid_delay_prob``.
    price_factor : ndarray
        Per site, log-normal with median 1.
    """
    rng = np.random.default_rng([seed, draw])
    ones = np.ones(n_sites)
    capex_factor = np.exp(rng.normal(0.0, spread.capex_sd, n_sites)) if spread.capex_sd else ones
    slipped = rng.random(n_sites) < spread.grid_delay_prob
    price_factor = np.exp(rng.normal(0.0, spread.price_sd, n_sites)) if spread.price_sd else ones
    return capex_factor, slipped, price_factor


def _factors(values, index: dict[str, int], bad) -> np.ndarray:
    """One factor per site from ``{site ID: factor}``; ``bad(message)`` makes the error."""
    if not isinstance(values, dict):
        raise bad("must be an object of site ID: factor, one for every candidate site")
    missing = [printable_text(site) for site in index if site not in values]
    if missing:
        raise bad(f"no factor for {listed(missing)}; give one for every candidate site")
    out = np.empty(len(index))
    for site, value in values.items():
        if site not in index:
            raise bad(f"{printable_text(repr(site))[:60]} is not a candidate site of the data; "
                      f"give factors for its site IDs only")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or not 0 < value <= MAX_FACTOR:
            raise bad(f"site {printable_text(site)}: {printable_text(repr(value))[:40]} is not "
                      f"a number above 0 and at most {MAX_FACTOR:,.0f}; give each site's "
                      f"factor as such a number (1 keeps the data's value)")
        out[index[site]] = float(value)
    return out


def check_seed(seed) -> int:
    """``seed`` as an int if it seeds draws (a whole number of 0 or more, NumPy's too), else
    :class:`~siteopt.errors.ConfigError`."""
    if whole(seed, "--seed") < 0:
        raise ConfigError(f"--seed {seed}: give a whole number of 0 or more")
    return int(seed)


def _seed(value, bad) -> int | None:
    """The file's seed: None if left out; the fresh draws of ``robust --choose`` are sampled
    with it, so a value that cannot seed them is refused (``bad(message, draw, column)``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad(f"{printable_text(repr(value))[:40]} is not a whole number of 0 or more; "
                  f"give the seed the draws were sampled with, or leave \"seed\" out",
                  column="seed")
    return value


def _spread(value, bad) -> Spread | None:
    """The file's spread: None if left out; the fresh draws of ``robust --choose`` are
    sampled with it, so each field must be in :data:`SPREAD_LIMITS`
    (``bad(message, draw, column)``)."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != set(SPREAD_LIMITS):
        raise bad(f"must be an object of {', '.join(SPREAD_LIMITS)}, or null; give the "
                  f"spread the draws were sampled with, or leave \"spread\" out",
                  column="spread")
    for name, (low, high) in SPREAD_LIMITS.items():
        problem = _outside(value[name], low, high)
        if problem:
            raise bad(f"{name}: {problem}; give the spread the draws were sampled with, or "
                      f"leave \"spread\" out", column="spread")
    return Spread(*(float(value[name]) for name in SPREAD_LIMITS))


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")
