"""``siteopt init DIR``: a workspace for one's own bids.

A workspace is a directory holding ``siteopt.toml`` (which names its data and default model),
its data (``data/``, a directory of CSV files, or with ``--excel`` one workbook,
``bids.xlsx``) and ``models/default.toml``. Every command run in it or below it uses them
without flags (:func:`siteopt.paths.find_workspace`).

The data is a copy of the shipped EU data set, or with ``--empty`` a template: ``sites.csv``,
``letters.csv`` and ``ai_factories.csv`` with their header and one example row, and the EU-27
population points and outlines (``demand.csv``, ``countries.geojson``), which a study of EU
bids keeps. Either way ``data/README.md`` documents every column, generated from the schema.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from siteopt.config import model_template
from siteopt.data.schema import FILES, columns_markdown
from siteopt.errors import ConfigError
from siteopt.paths import WORKSPACE_FILE, shipped_data_dir

#: The tables an ``--empty`` workspace gets as templates (the rest are copied whole).
TEMPLATES = ("sites.csv", "letters.csv", "ai_factories.csv")
#: The workbook of an ``--excel`` workspace.
WORKBOOK = "bids.xlsx"


def workspace_file(data: str) -> str:
    """The text of ``siteopt.toml`` for a workspace whose data is ``data``."""
    return (f"# A siteopt workspace (written by siteopt init). Every siteopt command run in this\n"
            f"# directory or below it uses this data and model unless --data or --model say\n"
            f"# otherwise. Paths are relative to this directory.\n\n"
            f"[workspace]\n"
            f"# The data: a directory of CSV files (see data/README.md) or an Excel workbook.\n"
            f"data = \"{data}\"\n"
            f"# The model file used when --model is not given; --model NAME also finds\n"
            f"# models/NAME.toml here.\n"
            f"model = \"models/default.toml\"\n")


def data_readme(empty: bool) -> str:
    """``data/README.md`` of a new workspace: what the files are and every column."""
    origin = ("templates: `sites.csv`, `letters.csv` and `ai_factories.csv` hold their header "
              "and one example row from the EU data set; replace the example with your own "
              "rows. `demand.csv` (EU-27 population points) and `countries.geojson` (EU-27 "
              "outlines) are the shipped ones: keep them for a study of EU bids"
              if empty else
              "a copy of siteopt's EU data set (its README, with the sources of every figure, "
              "is `SOURCES.md`); edit it freely")
    return (f"# Data of this workspace\n\n"
            f"These files are {origin}. `siteopt validate` checks them; every problem is "
            f"reported with its file, row, column and fix.\n\n"
            f"A required column must be present and never empty; an optional one may be left "
            f"out or empty. Numbers may be written as a spreadsheet writes them (decimal commas "
            f"or points, thousands separators) as long as their meaning is unambiguous in the "
            f"file. The same tables may live in one Excel workbook instead (`siteopt init "
            f"--excel`).\n\n"
            f"## Columns\n\n{columns_markdown()}")


def init_workspace(directory: str | Path, empty: bool = False, excel: bool = False,
                   force: bool = False) -> list[Path]:
    """Write a workspace in ``directory`` (created if missing).

    Parameters
    ----------
    directory : path
        Where to write it.
    empty : bool
        Templates instead of a copy of the EU data set (see the module docstring).
    excel : bool
        The tables as one workbook, ``bids.xlsx``, instead of ``data/*.csv``.
    force : bool
        Overwrite files that exist; without it, an existing file stops the command before
        anything is written.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ConfigError
        When a file exists and ``force`` is not given, or the directory cannot be written.
    """
    from siteopt.atomic import write_directory, write_file

    root = Path(directory)
    files = {WORKSPACE_FILE: workspace_file(WORKBOOK if excel else "data"),
             "models/default.toml": model_template(),
             "data/README.md": data_readme(empty)}
    if not empty:
        files["data/SOURCES.md"] = (shipped_data_dir() / "README.md").read_bytes()
    tables = {name: _table_bytes(name, empty) for name in FILES}
    if excel:   # the country outlines come from the shipped data set
        files[WORKBOOK] = workbook_bytes(tables)
    else:
        files.update({f"data/{name}": content for name, content in tables.items()})
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{directory}: is a file, not a directory; give a new or existing "
                          f"directory for the workspace")
    existing = sorted(name for name in files if (root / name).exists())
    if existing and not force:
        raise ConfigError(f"{root / existing[0]} exists"
                          f"{' (and more)' if len(existing) > 1 else ''}; siteopt init never "
                          f"overwrites: choose another directory or add --force")
    try:
        if root.exists():   # each file in one step (the directory may be the working one)
            for name, content in files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                write_file(root / name, content)
        else:   # the whole workspace appears at once
            write_directory(root, files)
    except OSError as err:
        raise ConfigError(f"{directory}: cannot write the workspace ({err.strerror}); choose a "
                          f"writable place") from None
    return [root / name for name in files]


def _table_bytes(name: str, empty: bool) -> bytes:
    """A shipped file's bytes, or for a template its header and one example row (for
    ``letters.csv`` a letter of the example site, so that the templates validate as they
    stand)."""
    content = (shipped_data_dir() / name).read_bytes()
    if not empty or name not in TEMPLATES:
        return content
    header, *rows = content.decode("utf-8").splitlines(keepends=True)
    example = rows[0]
    if name == "letters.csv":
        site = _row(_table_bytes("sites.csv", True).decode("utf-8").splitlines()[1])[0]
        example = next(row for row in rows if _row(row)[1] == site)
    return (header + example).encode("utf-8")


def _row(line: str) -> list[str]:
    return next(csv.reader([line]))


def workbook_bytes(tables: dict[str, bytes]) -> bytes:
    """The CSV tables (file name -> bytes) as one workbook: a sheet per table (sheet names of
    :data:`siteopt.data.workbook.SHEETS`), numbers as number cells, every other value as text
    (never as a formula, whatever it starts with), each sheet dressed for reading
    (:func:`siteopt.sheets.dress`)."""
    import openpyxl
    import pandas as pd

    from siteopt.data.numbers import read_numbers
    from siteopt.data.workbook import SHEETS
    from siteopt.sheets import dress

    # a normal (not write-only) workbook records each sheet's dimensions, which readers in
    # read-only mode would otherwise find by parsing the whole sheet
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet, name in SHEETS.items():
        frame = pd.read_csv(io.BytesIO(tables[name]), dtype=str, keep_default_na=False)
        numeric = [c for c in FILES[name] if c.numeric and c.name in frame]
        numbers, problems = read_numbers(frame, numeric, name, 2, "line")
        if problems:   # the shipped data is checked; a template is its first row
            raise ConfigError(str(problems[0]))
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(list(frame.columns))
        for position in range(len(frame)):
            worksheet.append([_value(frame.at[position, column], numbers.get(column), position)
                              for column in frame.columns])
        for row in worksheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"   # text, even when it starts with an equals sign
        dress(worksheet)   # amounts readable (3,400,000,000, not 3.4E+09), header frozen
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _value(text: str, numbers, position: int):
    """One value for the workbook: a number from its column's reading, else the text (None
    for an empty cell)."""
    if numbers is not None and text != "":
        value = float(numbers[0][position])
        return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value
    return text if text != "" else None
