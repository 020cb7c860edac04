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


def display_path(path: str | Path) -> str:
    """A path as users typed it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)
