"""Where things are: the checkout's data and models, and short paths for messages."""

from __future__ import annotations

import os
from pathlib import Path

#: The checkout siteopt was installed from (editable install).
CHECKOUT = Path(__file__).resolve().parents[1]


def default_data_dir() -> Path:
    """``data/`` of the checkout siteopt was installed from."""
    return CHECKOUT / "data"


def default_model_path() -> Path:
    """``models/default.toml`` of the checkout siteopt was installed from."""
    return CHECKOUT / "models" / "default.toml"


def shipped_scenarios() -> list[str]:
    """Names of the model files in the checkout's ``models/`` (``default``, ``green-grid``...)."""
    return sorted(path.stem for path in (CHECKOUT / "models").glob("*.toml"))


def model_path(name_or_path: str | Path) -> Path:
    """The model file meant by ``--model``: an existing path (from the working directory), a
    shipped scenario by name (``green-grid``), or a path relative to the checkout
    (``models/green-grid.toml`` from any directory). An unknown name is returned as given, for
    the loader to report."""
    path = Path(name_or_path)
    if path.exists() or path.is_absolute():
        return path
    shipped = CHECKOUT / "models" / f"{path.name.removesuffix('.toml')}.toml"
    if path.parent == Path(".") and shipped.exists():
        return shipped
    if (CHECKOUT / path).exists():
        return CHECKOUT / path
    return path


def display_path(path: str | Path) -> str:
    """A path as users typed it: relative to the working directory when inside it, else
    relative to the checkout for its own files (``models/green-grid.toml``), else as given."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    if not relative.startswith(".."):
        return relative
    resolved = Path(path).resolve()
    if resolved.is_relative_to(CHECKOUT):
        return str(resolved.relative_to(CHECKOUT))
    return str(path)
