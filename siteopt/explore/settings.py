"""What the explorer's controls set: model keys over a scenario, as a model file and a command.

The explorer keeps one :class:`Settings` per browser tab: the scenario it starts from and the
model keys the user changed, in the order they were first changed. Every value goes through
the model file's schema (:func:`siteopt.config.apply_overrides`, as ``--set`` does), so a value
out of range is the same one-line message as on the command line, never a traceback; and the
same settings give the same :class:`~siteopt.config.ModelConfig`, hence the same answer and the
same ``result.json``, as the ``siteopt solve`` line :func:`command_line` writes.

This module knows nothing of the page (no Panel, no Bokeh).
"""

from __future__ import annotations

import dataclasses
import math
import shlex
import tomllib
from dataclasses import dataclass
from typing import Any

from siteopt.config import (
    ModelConfig,
    _literal,
    _toml,
    apply_overrides,
    check_consistency,
    settings,
)
from siteopt.errors import ConfigError
from siteopt.sanitize import printable_text
from siteopt.terms import TERMS

#: The controls of the explorer: (model key, label, factor from the shown value to the key's
#: unit). Each label is also the control's accessible name.
CONTROLS = (
    ("budget.total_eur", "Budget (EUR bn)", 1e9),
    ("limits.max_gigafactories", "Gigafactories at most", 1),
    ("consolidation.max_sites_per_gigafactory", "Sites per gigafactory", 1),
    ("consolidation.cross_border", "Across borders", 1),
    ("limits.max_bids_per_country", "Bids per member state", 1),
    ("coverage.radius_km", "Coverage radius (km)", 1),
    ("coverage.decay", "Coverage decay", 1),
    ("access.max_km", "Everyone within (km; 0: no limit)", 1),
    ("access.min_country_share", "Least share within R per member state (0: no limit)", 1),
    *((f"weights.{term}", f"Weight: {term}", 1) for term in TERMS),
)
#: The controls that offer a list of values (the schema's ``choices``).
CHOICES = {key for key, _, _ in CONTROLS if dict(settings())[key].metadata["choices"]}
#: Factor from each control's shown value to its model key's unit, and its label.
FACTORS = {key: factor for key, _, factor in CONTROLS}
LABELS = {key: label for key, label, _ in CONTROLS}
#: The model keys of the site lists the map and the site controls edit.
REQUIRED, EXCLUDED = "sites.required", "sites.excluded"
#: Origin of the explorer's changes: the same as ``--set``, so a saved ``result.json`` names
#: the model as ``siteopt solve --set ...`` does.
ORIGIN = "--set"


@dataclass(frozen=True)
class Settings:
    """A scenario and the model keys changed from it.

    Attributes
    ----------
    scenario : str
        The scenario's name, as ``--model`` takes it (``default``, ``green-grid``, a file).
    changes : tuple of (str, value)
        Dotted model keys and their values, in the order first changed; only keys whose value
        differs from the scenario's.
    """

    scenario: str
    changes: tuple[tuple[str, Any], ...] = ()

    def value(self, base: ModelConfig, key: str):
        """The value of ``key``: the changed one, else the scenario's."""
        return dict(self.changes).get(key, base.value(key))

    def changed(self, base: ModelConfig, key: str, value) -> "Settings":
        """These settings with ``key`` set to ``value`` (checked by the schema first: raises
        :class:`~siteopt.errors.ConfigError` with the command line's words). A value equal to
        the scenario's removes the change."""
        checked = apply_overrides(base, {key: value}, origin=ORIGIN).value(key)
        kept = [(k, v) for k, v in self.changes if k != key]
        if checked != base.value(key):
            position = [k for k, _ in self.changes].index(key) if key in dict(self.changes) \
                else len(kept)
            kept.insert(position, (key, checked))
        return dataclasses.replace(self, changes=tuple(kept))


def model_for(base: ModelConfig, settings_: Settings) -> ModelConfig:
    """The effective model: the scenario with the changes applied as ``--set`` applies them
    (then the rules between keys)."""
    if not settings_.changes:
        return base
    return check_consistency(apply_overrides(base, dict(settings_.changes), origin=ORIGIN))


def set_value(value) -> str:
    """A value as ``--set KEY=VALUE`` reads it back exactly: ``12e9``, ``0.35``, ``true``,
    ``ES-MLN,DE-LUB``, ``[]``.

    >>> [set_value(v) for v in (12e9, 0.35, 1 / 3, True, 5, ("ES-MLN", "DE-LUB"), ())]
    ['12e9', '0.35', '0.3333333333333333', 'true', '5', 'ES-MLN,DE-LUB', '[]']
    """
    if isinstance(value, (list, tuple)):
        return _literal(list(value)) if value else "[]"
    text = _literal(value)
    if isinstance(value, float) and not isinstance(value, bool):
        read = tomllib.loads(f"v = {text}")["v"]
        if read != value:   # _literal rounds to 6 digits below 1e6
            text = repr(value)
    return text


def command_line(settings_: Settings, data: str | None = None) -> str:
    """The ``siteopt solve`` line that gives the same answer (and the same ``result.json``,
    timings aside)."""
    words = ["siteopt", "solve"]
    if settings_.scenario != "default":
        words += ["--model", settings_.scenario]
    if data is not None:
        words += ["--data", data]
    for key, value in settings_.changes:
        words += ["--set", f"{key}={set_value(value)}"]
    return " ".join(shlex.quote(word) for word in words)


def model_file(base: ModelConfig, settings_: Settings) -> str:
    """A TOML model file with exactly the settings that differ from the scenario.

    The scenario's own keys are not repeated: with the default scenario the file alone gives
    the explorer's answer (``siteopt solve --model FILE``); with another scenario, the file
    says which one it changes and the command that applies both.
    """
    lines = [f"# siteopt model: the settings changed in the explorer from the scenario "
             f"'{base.source}'."]
    if base.source not in ("default", "<defaults>"):
        lines.append(f"# They apply over that scenario: {command_line(settings_)}")
    sections: dict[str, list[str]] = {}
    order = [key for key, _ in settings()]
    for key, value in sorted(settings_.changes, key=lambda item: order.index(item[0])):
        section, name = key.split(".", 1)
        written = _toml(value) if isinstance(value, (str, list, tuple)) else set_value(value)
        sections.setdefault(section, []).append(f"{name} = {written}")
    if not sections:
        lines.append("# (none: the scenario as it is)")
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"


def control_value(key: str, raw):
    """A control's value as the page sent it, in its model key's unit (the budget from EUR bn
    to EUR), for the schema to check; text that is no number is refused here.

    >>> control_value("budget.total_eur", "12.5"), control_value("consolidation.cross_border", True)
    (12500000000.0, True)
    >>> control_value("coverage.decay", "linear")
    'linear'
    """
    if isinstance(raw, bool):
        return raw
    if key in CHOICES:
        return str(raw)   # the schema names the allowed ones if it is not one of them
    try:
        return float(str(raw).strip()) * FACTORS[key]
    except ValueError:
        raise ConfigError(f"{LABELS[key]}: {printable_text(str(raw))!r} is not a number; "
                          f"enter a number") from None


def shown_values(base: ModelConfig, settings_: Settings) -> dict[str, Any]:
    """Each control's value as it shows it (the budget in EUR bn)."""
    shown = {}
    for key, factor in FACTORS.items():
        value = settings_.value(base, key)
        shown[key] = value / factor if factor != 1 else value
    return shown


def weight_shares(cfg: ModelConfig) -> dict[str, float]:
    """Each term's share of the total weight (0..1; all 0 when every weight is 0)."""
    weights = {term: getattr(cfg.weights, term) for term in TERMS}
    total = math.fsum(weights.values())
    return {term: (value / total if total > 0 else 0.0) for term, value in weights.items()}
