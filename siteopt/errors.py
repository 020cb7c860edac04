"""Domain errors. Each one carries what a user needs to fix their input.

The command line turns every :class:`SiteoptError` into one line on stderr and an exit code:
``InputError`` and ``ConfigError`` exit 2 (bad input), ``InfeasibleError`` and ``SolverError``
exit 1 (no usable answer).
"""

from __future__ import annotations

from dataclasses import dataclass


class SiteoptError(Exception):
    """Base class of every error siteopt reports to a user."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Parameters
    ----------
    file : str
        Path of the file as the user gave it (e.g. ``data/sites.csv``).
    message : str
        What is wrong and how to fix it.
    row : int, optional
        Where in the file: the 1-based line number of a CSV file (the header is line 1), or
        the 1-based feature number of a GeoJSON file.
    column : str, optional
        Column or property name.
    row_kind : str
        ``"line"`` (CSV) or ``"feature"`` (GeoJSON).
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    row_kind: str = "line"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" {self.row_kind} {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class InputError(SiteoptError):
    """One or more problems in the data files.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, in file order.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(SiteoptError):
    """A model file, ``--set`` override or option is invalid."""

    exit_code = 2


class InfeasibleError(SiteoptError):
    """No selection satisfies the limits; the message names the limits in conflict."""

    exit_code = 1


class SolverError(SiteoptError):
    """The solver failed or stopped without any solution."""

    exit_code = 1
