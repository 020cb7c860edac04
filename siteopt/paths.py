"""Where things are: the shipped data set and scenarios (package data), the workspace a command
runs in, and short paths for messages.

The data and model a command uses, first match wins:

1. ``--data`` / ``--model`` on the command line (or the ``data=`` / ``model=`` arguments);
2. for data, the ``SITEOPT_DATA`` environment variable;
3. the workspace: the nearest ``siteopt.toml`` in the working directory or above it (as git
   finds its repository), which names its data and default model (``siteopt init``);
4. the shipped EU data set (``siteopt/datasets/eu2026``) and ``default`` scenario.

A model given by name (``--model green-grid``) is looked up in the workspace's ``models/``
first, then among the shipped scenarios.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from siteopt.errors import ConfigError
from siteopt.sanitize import quoted

#: The name of the shipped data set, a directory of ``siteopt/datasets``.
SHIPPED_DATA_SET = "eu2026"
#: The file that marks a workspace.
WORKSPACE_FILE = "siteopt.toml"
#: A path is shown relative to the working directory up to this many levels above it.
UP_LEVELS = 3
#: The environment variable naming a data directory or workbook.
DATA_VARIABLE = "SITEOPT_DATA"


def _package_dir(*parts: str) -> Path:
    """A directory of the installed package (a real directory: siteopt is never zipped)."""
    return Path(str(resources.files("siteopt").joinpath(*parts)))


def shipped_data_dir() -> Path:
    """The shipped EU data set (``siteopt/datasets/eu2026`` in the installed package)."""
    return _package_dir("datasets", SHIPPED_DATA_SET)


def scenarios_dir() -> Path:
    """The shipped scenarios (``siteopt/scenarios``: ``default.toml``, ``green-grid.toml``...)."""
    return _package_dir("scenarios")


@dataclass(frozen=True)
class Workspace:
    """A directory marked by ``siteopt.toml`` (see :func:`siteopt.workspace.init_workspace`).

    Attributes
    ----------
    root : Path
        The directory holding ``siteopt.toml``.
    data : Path
        Its data: a directory of CSV files or an Excel workbook.
    model : Path
        Its default model file.
    """

    root: Path
    data: Path
    model: Path

    @property
    def models_dir(self) -> Path:
        return self.root / "models"


def find_workspace(start: str | Path | None = None) -> Workspace | None:
    """The workspace of ``start`` (default: the working directory): the nearest directory at
    or above it holding ``siteopt.toml``, or None.

    Raises
    ------
    ConfigError
        When that ``siteopt.toml`` cannot be read.
    """
    here = Path(start if start is not None else Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / WORKSPACE_FILE).is_file():
            return _read_workspace(directory)
    return None


#: The keys of ``[workspace]`` in ``siteopt.toml``, each with its default path.
WORKSPACE_KEYS = {"data": "data", "model": "models/default.toml"}


def _read_workspace(root: Path) -> Workspace:
    marker = root / WORKSPACE_FILE
    try:
        document = tomllib.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{marker}: cannot be read as a workspace file ({err}); fix it or "
                          f"write a new one with `siteopt init --force`") from None
    stray = [key for key in document if key != "workspace"]
    if stray:
        where = (f"put {quoted(stray[0])} under [workspace]" if stray[0] in WORKSPACE_KEYS
                 else "a workspace file holds only [workspace] with data and model")
        raise ConfigError(f"{marker}: unknown key {quoted(stray[0])}; {where}")
    section = document.get("workspace", {})
    unknown = [key for key in section if key not in WORKSPACE_KEYS] \
        if isinstance(section, dict) else []
    if unknown:
        raise ConfigError(f"{marker}: unknown key workspace.{unknown[0]}; [workspace] holds "
                          f"data and model only")
    values = {}
    for key, default in WORKSPACE_KEYS.items():
        value = section.get(key, default) if isinstance(section, dict) else None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{marker}: workspace.{key} = {value!r} must be a path relative "
                              f"to the workspace, e.g. {key} = \"{default}\"")
        values[key] = root / value
    return Workspace(root, values["data"], values["model"])


def default_data() -> tuple[Path, str]:
    """The data used when none is given, and what names it (for a message's fix):
    ``SITEOPT_DATA``; else the workspace's (``workspace.data in w/siteopt.toml``); else the
    shipped data set (``--data``, which another directory replaces it with)."""
    named = os.environ.get(DATA_VARIABLE, "").strip()
    if named:
        return Path(named), DATA_VARIABLE
    workspace = find_workspace()
    if workspace is not None:
        return workspace.data, f"workspace.data in {display_path(workspace.root / WORKSPACE_FILE)}"
    return shipped_data_dir(), "--data"


def default_data_dir() -> Path:
    """The data used when none is given (:func:`default_data`)."""
    return default_data()[0]


def default_model_path() -> Path:
    """The model used when none is given: the workspace's, else the shipped ``default``.

    Raises
    ------
    ConfigError
        When the workspace's model file is missing: the message names the setting to fix
        (``workspace.model`` in ``siteopt.toml``), not ``--model``.
    """
    workspace = find_workspace()
    if workspace is None:
        return scenarios_dir() / "default.toml"
    if not workspace.model.exists():
        raise ConfigError(f"{display_path(workspace.model)}: model file not found; set "
                          f"workspace.model in {display_path(workspace.root / WORKSPACE_FILE)} "
                          f"to an existing model file (siteopt init writes "
                          f"models/default.toml)")
    return workspace.model


def shipped_scenarios() -> list[str]:
    """Names of the scenarios a ``--model NAME`` may give: the workspace's ``models/`` and the
    shipped ones (``default``, ``green-grid``...)."""
    directories = [scenarios_dir()]
    workspace = find_workspace()
    if workspace is not None:
        directories.insert(0, workspace.models_dir)
    return sorted({path.stem for directory in directories for path in directory.glob("*.toml")})


def model_path(name_or_path: str | Path) -> Path:
    """The model file meant by ``--model``: an existing path (from the working directory), or
    a scenario by name (``green-grid``, ``models/green-grid.toml``): the workspace's first,
    then the shipped one. An unknown name is returned as given, for the loader to report."""
    path = Path(name_or_path)
    if path.exists() or path.is_absolute():
        return path
    if path.parent in (Path("."), Path("models")):
        name = f"{path.name.removesuffix('.toml')}.toml"
        workspace = find_workspace()
        places = ([workspace.models_dir] if workspace is not None else []) + [scenarios_dir()]
        for directory in places:
            if (directory / name).is_file():
                return directory / name
    return path


def model_name(path: str | Path) -> str:
    """How outputs name a model file: a shipped scenario by its name (``default``,
    ``green-grid``: what ``--model`` takes), any other file by :func:`display_path`."""
    resolved = Path(path).resolve()
    if resolved.parent == scenarios_dir().resolve():
        return resolved.stem
    return display_path(path)


def display_path(path: str | Path) -> str:
    """A path as users read it: relative to the working directory when inside it or at most
    :data:`UP_LEVELS` directories above it (``../../data`` from a workspace's subdirectory); a
    shipped file as ``siteopt/...`` (its place in the package); else as given."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    if Path(relative).parts[:UP_LEVELS + 1].count("..") <= UP_LEVELS and \
            not Path(path).resolve().is_relative_to(_package_dir().resolve()):
        return relative
    resolved = Path(path).resolve()
    package = _package_dir().resolve()
    if resolved.is_relative_to(package):
        return str(Path("siteopt") / resolved.relative_to(package))
    return str(path)
