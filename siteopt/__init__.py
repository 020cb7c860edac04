"""siteopt: where should Europe build its AI Gigafactories?

An exact, reproducible site-selection optimiser::

    >>> import siteopt
    >>> result = siteopt.solve()                 # the default model on the shipped data
    >>> result.status.value
    'optimal'

The pipeline follows the data: load -> validate -> geometry -> model -> solve -> result ->
report. The names below are imported when first used, so ``import siteopt`` (and the command
line's start) costs almost nothing.
"""

from __future__ import annotations

import importlib

__version__ = "0.3.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "solve": "siteopt.api", "compare": "siteopt.api",
    "ModelConfig": "siteopt.config", "load_model": "siteopt.config",
    "Dataset": "siteopt.data", "load_data": "siteopt.data",
    "SiteoptError": "siteopt.errors", "InputError": "siteopt.errors",
    "ConfigError": "siteopt.errors", "InfeasibleError": "siteopt.errors",
    "SolverError": "siteopt.errors",
    "Result": "siteopt.result", "Status": "siteopt.solvers.outcome",
    "explorer": "siteopt.explore",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'siteopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
