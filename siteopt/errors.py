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
    rows : tuple of int
        Several rows with the same problem in one column (``row`` is then None): listed in
        one message rather than one message per cell.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    row_kind: str = "line"
    rows: tuple[int, ...] = ()

    #: How many of :attr:`rows` a message lists before it says how many more there are.
    LISTED = 8

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" {self.row_kind} {self.row}"
        elif len(self.rows) == 1:
            where += f" {self.row_kind} {self.rows[0]}"
        elif self.rows:
            where += f" {self.row_kind}s {listed([str(row) for row in self.rows])}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


def listed(items: list[str], most: int = Problem.LISTED, last: str = "and") -> str:
    """``a, b and c`` (``last`` joins the last item: ``a, b or c``); beyond ``most`` items,
    ``a, b, ... and 12 more``.

    Examples
    --------
    >>> listed(["3", "7", "12"]), listed(["step", "linear", "exponential"], last="or")
    ('3, 7 and 12', 'step, linear or exponential')
    >>> listed([str(n) for n in range(10)], most=3)
    '0, 1, 2 and 7 more'
    """
    if len(items) > most:
        return f"{', '.join(items[:most])} and {len(items) - most} more"
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


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


class TimeLimitError(SolverError):
    """The solver stopped at its time limit without any solution."""


class DataWarning(UserWarning):
    """A data value that is valid but looks like a slip (a site of 1.2 MW, 130 accelerators);
    the command line shows it as ``warning: ...`` on stderr."""
