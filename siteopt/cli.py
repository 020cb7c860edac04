"""The ``siteopt`` command line: a thin layer over the public API.

Exit codes: 0 success; 1 no usable answer (infeasible model, solver failure); 2 bad input
(data files, model file, options). Errors the user can fix are one line each on stderr.
"""

from __future__ import annotations

import functools
import sys

import click

import siteopt
from siteopt.errors import SiteoptError


def reports_errors(command):
    """Turn :class:`SiteoptError` into ``error: ...`` lines on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SiteoptError as err:
            for line in str(err).splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(err.exit_code)

    return wrapper


DATA_OPTION = click.option(
    "--data", "data_dir", type=click.Path(file_okay=False, path_type=str), default=None,
    help="Data directory (default: the data/ of the siteopt checkout).")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(siteopt.__version__, prog_name="siteopt")
def cli():
    """Where should Europe build its AI Gigafactories?

    siteopt picks up to five gigafactory sites that give Europe the most population within
    low-latency reach, grid power, spread across member states and clean power, within the
    budget and power limits, and proves the choice optimal.
    """


@cli.command()
@DATA_OPTION
@reports_errors
def validate(data_dir):
    """Check every data file and summarise the data set.

    Lists every problem (up to 50), one per line, and exits 2 if there is any.
    """
    from siteopt.data import load_data
    from siteopt.report.tables import render_table

    dataset = load_data(data_dir)
    summary = dataset.summary()
    click.echo(render_table(summary, title=f"Data set in {dataset.directory}: clean",
                            formats={"population": ",d"}), nl=False)
    reported = int((dataset.sites["provenance"] == "reported").sum())
    click.echo(f"{len(dataset.sites)} sites ({reported} reported, "
               f"{len(dataset.sites) - reported} illustrative) in "
               f"{dataset.sites['country'].nunique()} countries; {len(dataset.letters)} letters; "
               f"{len(dataset.demand):,} population points, "
               f"{int(dataset.demand['population'].sum()):,} people; "
               f"{len(dataset.ai_factories)} AI Factories.")


def main():
    """Console-script entry point."""
    cli(prog_name="siteopt")
