"""The model file: schema, defaults, reading TOML and applying overrides.

A model file is TOML with the sections below. Every key has a documented default, so a file may
set only the keys it changes. Unknown keys, wrong types and out-of-range values raise
:class:`~siteopt.errors.ConfigError` naming the file, the key and the fix.

>>> cfg = default_model()
>>> cfg.budget.total_eur, cfg.limits.max_gigafactories, cfg.weights.coverage
(20000000000.0, 5, 0.45)
>>> apply_overrides(cfg, {"weights.covrage": 0.7})
Traceback (most recent call last):
...
siteopt.errors.ConfigError: <overrides>: unknown key 'weights.covrage'; did you mean 'weights.coverage'?
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import numbers
import re
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siteopt.errors import ConfigError
from siteopt.paths import display_path, model_name, shipped_scenarios
from siteopt.terms import DECAYS, TERMS

#: Solvers siteopt supports, by the name used in model files and on the command line.
SOLVERS = ("cbc", "highs")
#: How the model reaches the solver (see the ``solver.method`` key).
METHODS = ("auto", "pulp", "direct", "benders", "search")


def _spec(default, doc: str, unit: str = "", minimum: float | None = None,
          exclusive_minimum: bool = False, maximum: float | None = None,
          choices: tuple[str, ...] | None = None):
    """A dataclass field carrying its documentation and its valid range (money and power at
    most :data:`UNIT_MAXIMUM`, counts at most :data:`MAX_COUNT`, unless ``maximum`` says
    otherwise)."""
    if maximum is None:
        is_count = isinstance(default, int) and not isinstance(default, bool)
        maximum = MAX_COUNT if is_count else UNIT_MAXIMUM.get(unit)
    meta = {"doc": doc, "unit": unit, "minimum": minimum, "exclusive_minimum": exclusive_minimum,
            "maximum": maximum,
            "choices": choices}
    return field(default=default, metadata=meta)


#: Largest amount accepted by unit: EUR 1,000,000 bn and 1,000 TW, far beyond any limit that
#: binds (a budget above the capex of every site together already sets none), so that every
#: table and page prints a limit in full rather than as a 300-digit number.
UNIT_MAXIMUM = {"EUR": 1e15, "MW": 1e9}

#: Largest count accepted (gigafactories, bids, member sites, member states): far above any
#: data set's sites, so it sets no limit, while a count beyond a machine integer (1e300) ended
#: in a traceback.
MAX_COUNT = 1_000_000

#: Largest weight accepted: larger ones only break the solver's numerics (terms are 0..1).
MAX_WEIGHT = 1e6


@dataclass(frozen=True)
class Budget:
    total_eur: float = _spec(20e9, "Total capital budget B for all gigafactories", "EUR",
                             minimum=0, exclusive_minimum=True)


@dataclass(frozen=True)
class Limits:
    max_gigafactories: int = _spec(5, "Most gigafactories p that may be chosen (InvestAI: up to "
                                      "five)", "gigafactories", minimum=1)
    max_bids_per_country: int = _spec(1, "Most gigafactories q a member state may take part in "
                                         "(the 2026 call allows one bid per country)",
                                      "gigafactories", minimum=1)
    gigafactory_power_cap_mw: float = _spec(1000.0, "Cap P on the power of one gigafactory and on "
                                                    "the power counted for one site", "MW",
                                            minimum=0, exclusive_minimum=True)
    min_site_mw: float = _spec(0.0, "Sites whose effective power is below this are not eligible",
                               "MW", minimum=0)
    min_gigafactory_mw: float = _spec(0.0, "Least effective power of one gigafactory (the sum of "
                                           "its members)", "MW", minimum=0)
    total_power_mw: float = _spec(5000.0, "Most total effective power T of all member sites", "MW",
                                  minimum=0, exclusive_minimum=True)


@dataclass(frozen=True)
class Coverage:
    radius_km: float = _spec(500.0, "Radius R within which a member site covers population "
                                    "(500 km is about 10 ms round trip over fibre)", "km",
                             minimum=0, exclusive_minimum=True)
    decay: str = _spec("step", "How a point counts towards C with its distance n to the nearest "
                               "member site: 'step' (1 within R, else 0), 'linear' "
                               "(max(0, 1 - n/R)) or 'exponential' (exp(-n/R))", choices=DECAYS)


@dataclass(frozen=True)
class Consolidation:
    max_sites_per_gigafactory: int = _spec(3, "Most member sites M of one gigafactory (1: every "
                                              "gigafactory is a single site)", "sites", minimum=1)
    cross_border: bool = _spec(False, "Whether one gigafactory may have members in several "
                                      "member states")
    max_countries_per_gigafactory: int = _spec(3, "Most member states in one gigafactory when "
                                                  "cross_border is true", "countries", minimum=1)
    link_km: float = _spec(1000.0, "Most great-circle distance between any two members of one "
                                   "gigafactory", "km", minimum=0)
    extra_site_cost_eur: float = _spec(150e6, "Capital cost added for every member beyond the "
                                              "first (links, duplicated systems)", "EUR",
                                       minimum=0)
    radius_km: float = _spec(300.0, "With cross_border, a letter from a member state without a "
                                    "gigafactory joins the nearest gigafactory whose nearest "
                                    "member lies within this distance", "km", minimum=0)


def _weight(default: float, doc: str):
    """An objective weight: >= 0 and at most :data:`MAX_WEIGHT`."""
    return _spec(default, doc, minimum=0, maximum=MAX_WEIGHT)


@dataclass(frozen=True)
class Weights:
    coverage: float = _weight(0.45, "Weight of C, the share of EU population within R")
    grid: float = _weight(0.15, "Weight of G, effective power over p*P")
    spread: float = _weight(0.15, "Weight of K, member states taking part over p")
    clean: float = _weight(0.15, "Weight of E, CO2-weighted clean power over p*P")
    green: float = _weight(0.0, "Weight of the renewable-share term, renewable-weighted power "
                                "over p*P")
    letters: float = _weight(0.0, "Weight of L, the share of letters whose consortium finds a "
                                  "home")
    cost: float = _weight(0.1, "Weight of X, lifetime cost over costs.reference_eur (subtracted)")
    clean_reference_g_per_kwh: float = _spec(1000.0, "CO2 intensity g_ref at which a site's "
                                                     "power counts as not clean at all", "g/kWh",
                                             minimum=0, exclusive_minimum=True)
    latency: float = _weight(0.0, "Weight of A, one minus the people-weighted mean distance to "
                                  "the nearest member site (capped at access.reference_km) over "
                                  "access.reference_km")
    worst: float = _weight(0.0, "Weight of W, one minus the distance of the worst-served "
                                "populated point (capped at access.reference_km) over "
                                "access.reference_km")
    backup: float = _weight(0.0, "Weight of B, the share of people within R of member sites of "
                                 "at least two different gigafactories")
    fairness: float = _weight(0.0, "Weight of F, the lowest share of people within R over the "
                                   "member states with people")


@dataclass(frozen=True)
class Access:
    reference_km: float = _spec(2000.0, "Distance D at which a point counts as not served at all "
                                        "in A and W (farther points count as D)", "km",
                                minimum=0, exclusive_minimum=True)
    max_km: float = _spec(0.0, "Every populated point within this distance of a member site "
                               "(0: no such limit)", "km", minimum=0)
    min_country_share: float = _spec(0.0, "Every member state with people has at least this share "
                                          "of them within R of a member site (0: no such limit)",
                                     minimum=0, maximum=1)
    fewest_gigafactories: bool = _spec(False, "Find the fewest gigafactories that keep every "
                                              "rule and limit, then the best portfolio of that "
                                              "many (the set-covering question, models/"
                                              "cover-all.toml)")


@dataclass(frozen=True)
class Costs:
    years: float = _spec(10.0, "Years of electricity counted in the lifetime cost", "years",
                         minimum=0)
    utilisation: float = _spec(0.8, "Average share of the effective power drawn", minimum=0,
                               maximum=1)
    reference_eur: float = _spec(60e9, "Lifetime cost that makes X = 1", "EUR", minimum=0,
                                 exclusive_minimum=True)
    default_pue: float = _spec(1.2, "Power usage effectiveness of a site without a pue value",
                               minimum=1)


@dataclass(frozen=True)
class Sites:
    required: tuple[str, ...] = _spec((), "site_ids that must be chosen")
    excluded: tuple[str, ...] = _spec((), "site_ids that must not be chosen")


@dataclass(frozen=True)
class Solver:
    name: str = _spec("highs", "MILP solver: 'highs' (HiGHS through highspy) or 'cbc' (bundled "
                               "with PuLP; see README: it has returned worse answers marked "
                               "optimal)", choices=SOLVERS)
    time_limit_s: float = _spec(60.0, "Wall-clock limit for the solver", "s", minimum=0,
                                exclusive_minimum=True)
    mip_gap: float = _spec(0.0, "Relative optimality gap at which the solver may stop "
                                "(0 = proven optimum)", minimum=0, maximum=1)
    method: str = _spec("auto", "'auto' (the fastest exact path for the instance: search for "
                                "one bid per member state, else direct for small models and "
                                "benders for large ones; pulp for CBC), 'pulp' (the model "
                                "built with PuLP, solved by solver.name), 'direct' (the same "
                                "model built straight into HiGHS), 'benders' (Benders "
                                "decomposition on HiGHS, for 100,000+ demand points) or "
                                "'search' (siteopt's own branch and bound over whole "
                                "gigafactories); direct and benders need solver.name = 'highs'",
                        choices=METHODS)


@dataclass(frozen=True)
class Robust:
    budget_risk: float = _spec(0.05, "siteopt robust: the share of draws in which a portfolio's "
                                     "capital cost may exceed the budget (0: in none)",
                               minimum=0, maximum=1)


SECTIONS: dict[str, type] = {
    "budget": Budget,
    "limits": Limits,
    "coverage": Coverage,
    "consolidation": Consolidation,
    "weights": Weights,
    "access": Access,
    "costs": Costs,
    "sites": Sites,
    "solver": Solver,
    "robust": Robust,
}


@dataclass(frozen=True)
class ModelConfig:
    """The effective model: every key of every section, validated.

    Attributes
    ----------
    source : str
        Where the settings came from (the model file path, or ``<defaults>``).
    notes : tuple of str
        One-line notes for the user, e.g. that an old key name was read as its new name.
    origins : tuple of (str, str)
        ``(key, origin)`` for every key set by a file or an override, the last one winning
        (see :meth:`origin`), so messages name where a bad value came from.
    """

    budget: Budget = field(default_factory=Budget)
    limits: Limits = field(default_factory=Limits)
    coverage: Coverage = field(default_factory=Coverage)
    consolidation: Consolidation = field(default_factory=Consolidation)
    weights: Weights = field(default_factory=Weights)
    access: Access = field(default_factory=Access)
    costs: Costs = field(default_factory=Costs)
    sites: Sites = field(default_factory=Sites)
    solver: Solver = field(default_factory=Solver)
    robust: Robust = field(default_factory=Robust)
    source: str = "<defaults>"
    notes: tuple[str, ...] = field(default=(), compare=False)
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def origin(self, key: str) -> str:
        """Where ``key`` was last set: a model file, ``command line``, ``keyword argument``
        or ``--set``."""
        return dict(self.origins).get(key, self.source)

    @property
    def description(self) -> str:
        """The model file and every change made to it on the command line, as headers, titles
        and files show it: ``models/default.toml + weights.coverage=0.7``."""
        changed = [key for key, origin in dict(self.origins).items()
                   if origin in OVERRIDE_ORIGINS]
        if not changed:
            return self.source
        values = [f"{key}={_literal(self.value(key))}" for key in changed]
        return " + ".join([self.source, *values])

    def value(self, key: str):
        """The value of a dotted key (``"weights.coverage"``)."""
        section, name = key.split(".", 1)
        return getattr(getattr(self, section), name)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """The settings as nested plain data, same structure as the TOML file."""
        out: dict[str, dict[str, Any]] = {}
        for section in SECTIONS:
            values = dataclasses.asdict(getattr(self, section))
            out[section] = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        return out

    def sha256(self) -> str:
        """Hash of the effective settings (not of the file they came from)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


#: Largest model file read, bytes (the shipped default, with every comment, is under 5 kB).
MAX_MODEL_BYTES = 1_000_000
#: Units that are counts; messages do not repeat them after a limit.
COUNT_UNITS = ("", "sites", "gigafactories", "countries")
#: Keys of earlier model files, read as their new names (with a note).
RENAMED = {
    "limits.max_sites": "limits.max_gigafactories",
    "limits.max_sites_per_country": "limits.max_bids_per_country",
}


def settings() -> list[tuple[str, dataclasses.Field]]:
    """Every ``section.key`` with its dataclass field, in file order."""
    return [(f"{name}.{f.name}", f) for name, cls in SECTIONS.items()
            for f in dataclasses.fields(cls)]


def default_model() -> ModelConfig:
    """The model with every key at its default."""
    return ModelConfig()


def suggested_key(name: str) -> str | None:
    """The model key meant by ``name``, which is none: a section's first key (``budget`` ->
    ``budget.total_eur``), else the closest key, else None.

    >>> suggested_key("budget"), suggested_key("weights.covrage"), suggested_key("zzz")
    ('budget.total_eur', 'weights.coverage', None)
    """
    keys = [key for key, _ in settings()]
    if name in SECTIONS:
        return next(key for key in keys if key.startswith(name + "."))
    close = difflib.get_close_matches(name, keys, n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(options)}"


def _reads_as_number(text: str) -> bool:
    """Whether ``text`` is a number written as text (``"0.1"``, ``"20e9"``)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _coerce(key: str, spec: dataclasses.Field, value: Any, origin: str) -> Any:
    """Check one value against its field's type and range; return it in canonical form.

    ``key`` is the key as the user wrote it (messages name it).
    """
    meta = spec.metadata
    default = spec.default
    label = f"{origin}: {key}"
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{label} = {value!r} must be a list of site_id strings, "
                              f'e.g. ["ES-MLN", "DE-LUB"]')
        return tuple(value)
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise ConfigError(f"{label} = {value!r} must be true or false")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{label} = {value!r} must be a string")
        if meta["choices"] and value not in meta["choices"]:
            raise ConfigError(f"{label} = {value!r} is not supported; choose one of "
                              f"{', '.join(meta['choices'])}")
        return value
    # (NumPy's numbers too, as a notebook takes them from a table; an integer too large for
    # a float, which TOML and Python allow, is no finite number)
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    finite = is_number and (abs(value) < 1e300 if isinstance(value, numbers.Integral)
                            else math.isfinite(value))
    if isinstance(value, str) and _reads_as_number(value):
        raise ConfigError(f"{label} = {value!r} is text, not a number; give it without quotes "
                          f"({value.strip()})")
    if isinstance(default, int):
        if isinstance(value, numbers.Integral) and is_number:
            value = int(value)
        elif finite and float(value).is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{label} = {_shown(value)} must be a whole number")
    else:
        if not finite:
            alone = (f"; write the number alone, without quotes or a unit (e.g. "
                     f"{_literal(default)})"
                     if isinstance(value, str) else "")
            raise ConfigError(f"{label} = {_shown(value)} must be a finite number{alone}")
        value = float(value)
    unit = f" {meta['unit']}" if meta["unit"] not in COUNT_UNITS else ""
    low, high, typed = meta["minimum"], meta["maximum"], _literal(value)  # as a user types
    if low is not None:
        if meta["exclusive_minimum"] and value <= low:
            raise ConfigError(f"{label} = {typed} must be > {_literal(low)}{unit}")
        if not meta["exclusive_minimum"] and value < low:
            raise ConfigError(f"{label} = {typed} must be >= {_literal(low)}{unit}")
    if high is not None and value > high:
        raise ConfigError(f"{label} = {typed} must be <= {_literal(high)}{unit}")
    return value


def apply_overrides(cfg: ModelConfig, overrides: dict[str, Any],
                    origin: str = "<overrides>") -> ModelConfig:
    """Return a copy of ``cfg`` with ``section.key`` values replaced.

    Parameters
    ----------
    cfg : ModelConfig
        Settings to start from.
    overrides : dict
        ``{"weights.coverage": 0.7, ...}``; values are checked like values from a file.
    origin : str
        Named in error messages (a file path, or ``--set``).

    Raises
    ------
    ConfigError
        On an unknown key, a wrong type or an out-of-range value.
    """
    specs = dict(settings())
    changed: dict[str, dict[str, Any]] = {}
    notes = list(cfg.notes)
    for written, value in overrides.items():
        key = RENAMED.get(written, written)
        if key != written:
            notes.append(f"note: {origin}: '{written}' is read as '{key}' (its new name)")
        if key in SECTIONS:
            raise ConfigError(f"{origin}: '{key}' is a section, not a key; set one of its keys "
                              f"(e.g. {suggested_key(key)}; `siteopt keys` lists them)")
        if key not in specs:
            raise ConfigError(f"{origin}: unknown key '{key}'{_did_you_mean(key, list(specs))}")
        section, name = key.split(".", 1)
        shown = written if key == written else f"{written} (now called {key})"
        changed.setdefault(section, {})[name] = _coerce(shown, specs[key], value, origin)
    replaced = {section: dataclasses.replace(getattr(cfg, section), **values)
                for section, values in changed.items()}
    origins = dict(cfg.origins)
    origins.update({f"{section}.{name}": origin for section, values in changed.items()
                    for name, value in values.items()
                    if value != getattr(getattr(cfg, section), name)})  # only real changes
    return dataclasses.replace(cfg, **replaced, notes=tuple(dict.fromkeys(notes)),
                               origins=tuple(origins.items()))


def _flatten(document: dict[str, Any], origin: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, table in document.items():
        if section not in SECTIONS:
            raise ConfigError(f"{origin}: unknown section [{section}]"
                              f"{_did_you_mean(section, list(SECTIONS))}")
        if not isinstance(table, dict):
            raise ConfigError(f"{origin}: '{section}' must be a table, e.g. [{section}]")
        for name, value in table.items():
            flat[f"{section}.{name}"] = value
    return flat


#: A TOML line whose number has a decimal comma (``coverage = 0,45``), which TOML refuses.
DECIMAL_COMMA = re.compile(r"^\s*[\w.-]+\s*=\s*([-+]?\d+,\d+)\s*(#.*)?$")
#: A model file's line giving a percentage (``coverage = 45%``).
PERCENT = re.compile(r"^\s*[\w.-]+\s*=\s*([-+]?\d+(?:\.\d+)?)\s*%\s*(#.*)?$")
#: A model file's line giving a number with a currency or unit (``total_eur = 20 bn``).
_NUMBER, _UNIT = r"[-+]?\d[\d.]*(?:e[-+]?\d+)?", r"(?:EUR|€|bn|billion|m|million|MW|GW|km)"
WITH_UNIT = re.compile(rf"^\s*[\w.-]+\s*=\s*(?:(?:EUR|€)\s*{_NUMBER}(?:\s*{_UNIT})?|"
                       rf"{_NUMBER}\s*{_UNIT})\s*(#.*)?$", re.IGNORECASE)


def _toml_fix(text: str, err: tomllib.TOMLDecodeError) -> str:
    """How to fix a model file TOML cannot read: a decimal comma, a percentage or a unit on
    some line, a key given twice, else where the format is described.

    >>> _toml_fix("[weights]\\ncoverage = 45%", tomllib.TOMLDecodeError("x"))
    'line 2 gives a percentage: write 45% as 0.45 (a share as a fraction)'
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if found := DECIMAL_COMMA.match(line):
            return (f"line {number} has a decimal comma: write {found.group(1)} as "
                    f"{found.group(1).replace(',', '.')}")
        if found := PERCENT.match(line):
            return (f"line {number} gives a percentage: write {found.group(1)}% as "
                    f"{float(found.group(1)) / 100:g} (a share as a fraction)")
        if WITH_UNIT.match(line):
            return (f"line {number} gives a number with a unit or currency: write the number "
                    f"alone, in the key's unit (20e9 for EUR 20 bn; `siteopt keys` lists them)")
    if "Cannot declare" in str(err) or "Cannot overwrite" in str(err):
        return "a section or key is given twice: keep one of them"
    return "see `siteopt keys` for the format"


def load_model(path: str | Path | None = None) -> ModelConfig:
    """Read a model file; keys it does not set take their defaults.

    Parameters
    ----------
    path : path, optional
        TOML model file; ``None`` gives the defaults.

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or any key or value is invalid.
    """
    cfg = default_model()
    if path is None:
        return cfg
    path = Path(path)
    shown = display_path(path)   # as the headline names it
    try:
        if not path.exists():
            raise FileNotFoundError
        if not path.is_file():
            raise ConfigError(f"{shown}: is not a regular file; pass a TOML model file (the "
                              f"shipped ones are in models/)")
        if path.stat().st_size > MAX_MODEL_BYTES:
            raise ConfigError(f"{shown}: {path.stat().st_size:,} bytes is more than a model file "
                              f"holds (at most {MAX_MODEL_BYTES:,}); pass a TOML model file")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        scenarios = shipped_scenarios()
        close = difflib.get_close_matches(path.stem, scenarios, n=1, cutoff=0.7)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ConfigError(f"{shown}: model file not found; {hint}pass an existing model file or "
                          f"the name of a shipped scenario ({', '.join(scenarios)})") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{shown}: is not UTF-8 text (byte {err.start}); save it as UTF-8 "
                          f"(in Notepad: Save as, Encoding UTF-8)") from None
    except OSError as err:
        raise ConfigError(f"{shown}: cannot read the model file ({err.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{shown}: not valid TOML ({err}); {_toml_fix(text, err)}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: nested too deeply to be a model file; see "
                          f"`siteopt keys` for the keys") from None
    cfg = apply_overrides(cfg, _flatten(document, shown), origin=shown)
    return check_consistency(dataclasses.replace(cfg, source=model_name(path)))


def load_model_overrides(cfg: ModelConfig, overrides: dict[str, Any] | None = None,
                         set_items: list[str] | tuple[str, ...] = (),
                         origin: str = "keyword argument") -> ModelConfig:
    """Apply overrides (``{"budget.total_eur": 8e9}``), then ``KEY=VALUE`` strings.

    ``set_items`` values are TOML literals; bare words are taken as strings and
    comma-separated words as lists of strings (``--set sites.required=ES-MLN,DE-LUB``).
    ``origin`` is where the overrides came from, as messages name it: ``keyword argument``
    (the Python API) or ``command line`` (an option such as ``--budget``).
    """
    if overrides:
        cfg = apply_overrides(cfg, overrides, origin=origin)
    if set_items:
        cfg = apply_overrides(cfg, parse_set_items(set_items), origin="--set")
    return check_consistency(cfg)


#: Origins of keys changed after the model file was read (see :attr:`ModelConfig.description`).
OVERRIDE_ORIGINS = ("command line", "keyword argument", "--set")


def whole(value, option: str) -> int:
    """``value`` if it is a whole number (a Python or NumPy integer, not a bool), else
    :class:`~siteopt.errors.ConfigError` naming ``option`` (``--k``, ``--draws``): a count
    given as 2.5 is refused, never rounded.

    >>> whole(3, "--k")
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{option} {value!r}: give a whole number")
    return int(value)


def _shown(value) -> str:
    """A bad value in a message: a number as :func:`_literal` writes it (``1e400``, not 401
    digits; ``nan``, not ``np.float64(nan)``), anything else as Python writes it (text quoted,
    ``[1]``)."""
    return _literal(value) if isinstance(value, numbers.Number) else repr(value)


def _literal(value) -> str:
    """A value as a user would type it: ``8e9``, ``0.7``, ``ES-MLN,DE-LUB``, ``true``.

    >>> [_literal(v) for v in (8e9, 20e9, 1234567.0, 0.7, 5, ["ES-MLN", "DE-LUB"], True)]
    ['8e9', '20e9', '1.234567e6', '0.7', '5', 'ES-MLN,DE-LUB', 'true']
    >>> _literal(int(1e300)), _literal(10 ** 400)   # counts: not their 301 and 401 digits
    ('1e300', '1e400')
    >>> _literal(float("inf")), _literal(float("-inf")), _literal(float("nan"))
    ('inf', '-inf', 'nan')
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and abs(value) >= 10 ** 15:   # (beyond a float's range too)
        digits = str(abs(value))
        mantissa = f"{digits[0]}.{digits[1:7]}".rstrip("0").rstrip(".")
        return f"{'-' if value < 0 else ''}{mantissa}e{len(digits) - 1}"
    if isinstance(value, float) and 1e6 <= abs(value) < math.inf:  # engineering, as for EUR
        exponent = int(math.floor(math.log10(abs(value)) / 3) * 3)
        mantissa = f"{value / 10 ** exponent:.12f}".rstrip("0").rstrip(".")
        return f"{mantissa}e{exponent}"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _toml(value) -> str:
    """A value in TOML: ``20e9``, ``0.7``, ``true``, ``"highs"``, ``["ES-MLN", "DE-LUB"]``."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return _literal(value)


def model_template() -> str:
    """A model file that sets every key to its default, each under a comment with its
    meaning and unit: the same source as ``siteopt keys``. ``siteopt init`` writes it as a
    workspace's ``models/default.toml``."""
    lines = ["# siteopt model: every key, with its meaning and unit (siteopt keys lists the same).",
             "# Change what you need; a key left out takes its default.",
             "# Try a change without editing: siteopt solve --set weights.coverage=0.7"]
    section = None
    for key, spec in settings():
        name, field_name = key.split(".")
        if name != section:
            lines += ["", f"[{name}]"]
            section = name
        unit = spec.metadata.get("unit", "")
        doc = " ".join(spec.metadata.get("doc", "").split())
        text = f"{doc.rstrip('.')}." + (f" Unit: {unit}." if unit else "")
        lines += textwrap.wrap(text, 96, initial_indent="# ", subsequent_indent="# ")
        lines.append(f"{field_name} = {_toml(spec.default)}")
    return "\n".join(lines) + "\n"


#: A budget below this (EUR) is a typing slip: billions given as euros (``--budget 20``).
MIN_BUDGET_EUR = 1e6



def check_consistency(cfg: ModelConfig) -> ModelConfig:
    """Rules between keys: the direct and benders methods run on HiGHS only; a budget of at
    least EUR 1 m; some term of the objective must count (with every weight 0 the empty
    portfolio would be "optimal")."""
    if cfg.solver.method in ("direct", "benders") and cfg.solver.name != "highs":
        raise ConfigError(f"solver.method = '{cfg.solver.method}' needs solver.name = 'highs' "
                          f"(it is '{cfg.solver.name}'): add --solver highs")
    budget = cfg.budget.total_eur
    if budget < MIN_BUDGET_EUR:
        raise ConfigError(f"{cfg.origin('budget.total_eur')}: budget.total_eur = {budget:g} EUR "
                          f"is less than EUR 1 m, too little for any gigafactory; did you mean "
                          f"{budget:g}e9 (EUR {budget:g} bn)?")
    scaled = [t for t in ("grid", "spread", "clean", "green") if getattr(cfg.weights, t) > 0]
    if cfg.access.fewest_gigafactories and scaled:
        raise ConfigError(f"access.fewest_gigafactories = true compares portfolios of the fewest "
                          f"gigafactories, but weights.{scaled[0]} counts per the model's "
                          f"max_gigafactories; set weights.{', '.join(scaled)} to 0")
    if not cfg.access.fewest_gigafactories and not any(
            getattr(cfg.weights, term) > 0 for term in TERMS if term != "cost"):
        raise ConfigError("every weight of weights.coverage, grid, spread, clean, green, "
                          "letters, latency, worst, backup and fairness is 0, so no portfolio "
                          "scores above choosing nothing; set at least one of them above 0")
    return cfg


def parse_set_items(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings; the value is a TOML literal or a bare word.

    >>> parse_set_items(["weights.coverage=0.7", "solver.name=highs"])
    {'weights.coverage': 0.7, 'solver.name': 'highs'}
    """
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set weights.coverage=0.7")
        try:
            parsed[key] = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            parsed[key] = raw
    return parsed
