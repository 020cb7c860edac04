"""The ``siteopt`` command line: a thin layer over the public API.

Exit codes: 0 success; 1 no usable answer (infeasible model, solver failure); 2 bad input
(data files, model file, options). Errors the user can fix are one line each on stderr.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings

import click

import siteopt
from siteopt.data.manifest import shipped_label
from siteopt.errors import SiteoptError
from siteopt.interrupt import check as check_interrupted
from siteopt.interrupt import best_so_far, deliver
from siteopt.sanitize import error_lines, printable_text, quoted
from siteopt.terms import TERMS


def reports_errors(command):
    """Turn :class:`SiteoptError` into ``error: ...`` lines on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except SiteoptError as err:
            check_interrupted()   # an error caused by a stop signal is the interruption
            for line in error_lines(err):
                click.echo(line, err=True)
            sys.exit(err.exit_code)

    return wrapper


class UsageLine(click.ClickException):
    """A mistake on the command line, said in one line on stderr (``error: siteopt solve:
    no such option --bugdet; did you mean --budget?``), exit code 2: click says it in four,
    usage and hint first."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {printable_text(self.message)}", err=True)


def usage_line(err: click.UsageError, path: str = "siteopt",
               command: click.Command | None = None) -> UsageLine:
    """``err`` as one line: the command (``path`` and ``command`` where the error does not
    say), what is wrong (with the closest option or command for an unknown one), and where to
    read more."""
    import difflib
    import re

    if err.ctx is not None:
        path, command = err.ctx.command_path, err.ctx.command
    names = []
    if isinstance(err, click.NoSuchOption) and command is not None:
        names = sorted({"--help", *(name for param in command.params
                                    for name in (*param.opts, *param.secondary_opts)
                                    if name.startswith("--"))})
        wrong, what = err.option_name, "option"
    elif isinstance(command, click.Group) and \
            (quoted_name := re.match(r"No such command '(.*)'", err.message)):
        names = command.list_commands(err.ctx)
        wrong, what = quoted_name.group(1), "command"
    if names:
        close = difflib.get_close_matches(wrong, names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"{path} --help lists them"
        return UsageLine(f"{path}: no such {what} {wrong}; {hint}")
    said = err.format_message().rstrip(".")
    return UsageLine(f"{path}: {said[:1].lower() + said[1:]}; {path} --help says more")


#: What click (8.2 on) raises for a command given nothing: its help, which is no mistake
#: (it came out as "error: siteopt: usage: ..." on stderr, exit code 2); click 8.1 printed it.
NO_ARGUMENTS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class Commands(click.Group):
    """siteopt's command group: every mistake on the command line in one line
    (:func:`usage_line`)."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except NO_ARGUMENTS as err:   # plain `siteopt`: its help, as --help gives it
            click.echo(err.ctx.get_help())
            raise click.exceptions.Exit(0) from None
        except click.UsageError as err:
            raise usage_line(err) from None

    def invoke(self, ctx):
        arguments = list(ctx.args)   # the subcommand's, before it reads them
        ctx.meta["siteopt.arguments"] = arguments
        try:
            return super().invoke(ctx)
        except click.UsageError as err:   # a subcommand's parser may not say which it is
            name = ctx.invoked_subcommand
            if name is None:
                raise usage_line(err) from None
            line = usage_line(err, f"{ctx.command_path} {name}", self.get_command(ctx, name))
            if name == "solve" and _asks_for_json(arguments):   # scripts parse every outcome
                import json

                from siteopt.errors import ConfigError
                from siteopt.result import failure_document

                click.echo(json.dumps(failure_document(ConfigError(line.message)), indent=2,
                                      ensure_ascii=False))
            raise line from None


def _asks_for_json(arguments: list[str]) -> bool:
    """Whether command-line ``arguments`` say ``--format json`` (or ``--format=json``)."""
    return "--format=json" in arguments or any(
        word == "--format" and following == "json"
        for word, following in zip(arguments, arguments[1:]))


class Number(click.FloatRange):
    """A number option that says how to write it when it is not one: ``20 bn`` gets "write
    the number alone (e.g. 20e9 for EUR 20 bn)", ``5%`` gets "write a share as a fraction
    (0.05 for 5 %)", instead of click's "is not a valid float".

    Parameters
    ----------
    example : str
        How the option's number is written, e.g. ``"20e9 for EUR 20 bn"``.
    min, max : float, optional
        The range, as for :class:`click.FloatRange`.
    """

    def __init__(self, example: str, min: float | None = None, max: float | None = None):
        super().__init__(min, max)
        self.example = example

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            try:
                float(value)
            except ValueError:
                self.fail(f"{quoted(value)} is not a number; {self._hint(value)}", param, ctx)
        return super().convert(value, param, ctx)

    def _describe_range(self) -> str:
        """The range as ``--help`` shows it; nothing for a number without one."""
        return "" if self.min is None and self.max is None else super()._describe_range()

    def _hint(self, text: str) -> str:
        share = text.strip()
        if share.endswith("%"):
            try:
                percent = float(share[:-1])
            except ValueError:
                pass
            else:
                return f"write a share as a fraction ({percent / 100:g} for {percent:g} %)"
        return f"write the number alone, without a unit or spaces (e.g. {self.example})"


DATA_OPTION = click.option(
    "--data", "data_dir", type=click.Path(path_type=str), default=None, metavar="DIR|XLSX",
    help="Data directory or Excel workbook (default: $SITEOPT_DATA, else the workspace's, "
         "else the shipped EU data set).")


@click.group("siteopt", cls=Commands,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(siteopt.__version__, prog_name="siteopt",
                      message=f"%(prog)s %(version)s, data set {shipped_label()}")
@click.pass_context
@reports_errors
def cli(ctx):
    """Where should Europe build its AI Gigafactories?

    siteopt forms up to five gigafactories from the candidate sites (one or several sites each,
    one bid per member state) that give Europe the most population within low-latency reach,
    grid power, spread across member states and clean power, within the budget and power
    limits, and proves the choice optimal.

    Run in a workspace (siteopt init DIR), every command uses its data and models.
    """
    warnings.showwarning = _show_warning
    name = ctx.invoked_subcommand
    if name is not None:
        command = ctx.command.get_command(ctx, name)
        options = {option for parameter in command.params for option in parameter.opts}
        _workspace_note(options, ctx.meta.get("siteopt.arguments", []))


def _workspace_note(options: set[str], arguments: list[str]) -> None:
    """Say on stderr which workspace the command runs in and what it takes from it: its data
    and its model where the command has ``--data`` and ``--model`` (``options``) and the
    command line (``arguments``) gives neither (nor ``$SITEOPT_DATA`` the data); nothing
    when it asks for the command's help."""
    from siteopt.paths import DATA_VARIABLE, display_path, find_workspace

    def given(option: str) -> bool:
        return any(word == option or word.startswith(f"{option}=") for word in arguments)

    workspace = find_workspace()
    if workspace is None or given("--help") or given("-h"):   # help uses neither
        return
    supplied = [(option, f"{what} ({display_path(path)})") for option, what, path in (
        ("--data", "data", workspace.data), ("--model", "model", workspace.model))
        if option in options and not given(option)
        and not (option == "--data" and os.environ.get(DATA_VARIABLE, "").strip())]
    if supplied:
        flags = [option for option, _ in supplied]
        click.echo(printable_text(
            f"workspace {display_path(workspace.root)}: using its "
            f"{' and '.join(what for _, what in supplied)} unless {' or '.join(flags)} "
            f"{'say' if len(flags) > 1 else 'says'} otherwise"), err=True)


#: The data warnings said so far (:func:`_show_warning`), for ``validate``'s count.
_said_warnings: list[str] = []


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A :class:`~siteopt.errors.DataWarning` as one ``warning: ...`` line on stderr (no
    Python source line); other warnings as Python shows them."""
    from siteopt.errors import DataWarning

    if issubclass(category, DataWarning):
        _said_warnings.append(str(message))
        click.echo(f"warning: {printable_text(str(message))}", err=True)
    else:
        warnings._showwarning_orig(message, category, filename, lineno, file, line)


@cli.command()
@DATA_OPTION
@reports_errors
def validate(data_dir):
    """Check every data file and summarise the data set.

    Lists every problem (up to 50), one per line, and exits 2 if there is any. Every file is
    checked in full, cached or not; a clean data set is then cached for later commands.
    """
    from siteopt.data import load_data
    from siteopt.report.tables import render_table, terminal_width
    from siteopt.units import count

    os.environ["SITEOPT_NO_CACHE"] = "1"   # check in full, then store the result
    said_before = len(_said_warnings)
    dataset = load_data(data_dir)
    summary = dataset.summary()
    warned = len(_said_warnings) - said_before
    title = printable_text(f"Data set {dataset.describe()}: "
                           + (f"no errors, {count(warned, 'warning')} (above)" if warned
                              else "clean"))
    click.echo(render_table(summary, title=title, formats={"population": ",d"},
                            width=terminal_width()), nl=False)
    reported = int((dataset.sites["provenance"] == "reported").sum())
    click.echo(_filled(f"{count(len(dataset.sites), 'site')} ({reported} reported, "
                       f"{len(dataset.sites) - reported} illustrative) in "
                       f"{count(dataset.sites['country'].nunique(), 'country', 'countries')}; "
                       f"{count(len(dataset.letters), 'letter')}; "
                       f"{count(len(dataset.demand), 'population point')}, "
                       f"{int(dataset.demand['population'].sum()):,} people; "
                       f"{count(len(dataset.ai_factories), 'AI Factory', 'AI Factories')}."))


def _no_cache(ctx, param, value) -> None:
    if value:
        os.environ["SITEOPT_NO_CACHE"] = "1"   # read by siteopt.data.cache (and by workers)


NO_CACHE_OPTION = click.option(
    "--no-cache", is_flag=True, expose_value=False, is_eager=True, callback=_no_cache,
    help="Read and check every data file again, even when these exact files passed before "
         "(by default the checked demand table is cached per input hash).")


def solve_options(command):
    """The options shared by ``solve``, ``map`` and ``report``."""
    options = [
        click.option("--model", "model_path", type=str, default=None, metavar="FILE|NAME",
                     help="Model file, or a scenario by name, e.g. green-grid (default: the "
                          "workspace's model, else the shipped default)."),
        DATA_OPTION,
        click.option("--budget", type=Number("20e9 for EUR 20 bn"), default=None, metavar="EUR",
                     help="Total budget in EUR, e.g. 20e9 (overrides budget.total_eur)."),
        click.option("--max-gigafactories", "--max-sites", "max_gigafactories", type=int,
                     default=None, metavar="N",
                     help="Most gigafactories to choose (overrides limits.max_gigafactories; "
                          "--max-sites is an alias)."),
        click.option("--set", "set_items", multiple=True, metavar="KEY=VALUE",
                     help="Override any model key, e.g. --set weights.coverage=0.7 "
                          "(repeatable; `siteopt keys` lists every key with its default and "
                          "unit)."),
        click.option("--solver", type=click.Choice(["cbc", "highs"]), default=None,
                     help="MILP solver (overrides solver.name)."),
        click.option("--time-limit", type=Number("300 for five minutes"), default=None, metavar="S",
                     help="Solver time limit in seconds (overrides solver.time_limit_s)."),
        NO_CACHE_OPTION,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _model(model_path, budget, max_gigafactories, set_items, solver, time_limit):
    """The model the shared options describe; its notes go to stderr."""
    from siteopt.api import resolve_model

    cfg = resolve_model(model_path, {"budget": budget, "max_gigafactories": max_gigafactories,
                                     "solver": solver, "time_limit": time_limit}, set_items,
                        origin="command line")
    for note in cfg.notes:
        click.echo(note, err=True)
    return cfg


def _run_solve(model_path, data_dir, budget, max_gigafactories, set_items, solver, time_limit):
    """Resolve the model from the options and solve it (an interruption stops the command)."""
    from siteopt.api import solve

    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    result = solve(cfg, data_dir)
    check_interrupted()   # a stop signal Python swallowed still stops the command here
    return result


@cli.command("solve")
@solve_options
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              help="table: readable text (default); json: one JSON document on stdout.")
@click.option("--out", "out_dir", type=click.Path(path_type=str), default=None,
              help="Also write every output here: result.json, GeoJSON, GeoPackage, CSV tables, an "
                   "Excel workbook, map.png, map.html and report.html.")
@reports_errors
def solve_command(model_path, data_dir, budget, max_gigafactories, set_items, solver, time_limit,
                  output_format, out_dir):
    """Choose the gigafactories and print the portfolio and its consolidation plan.

    Exit code 0 when a portfolio is found (optimal, or stopped at the time limit with its gap
    reported), 1 when the limits conflict or the solver fails, 2 for bad input. With
    --format json a failed run also prints a JSON document with status, error and exit_code.
    Ctrl-C while the solver works stops it within a second: the best portfolio found so far
    is printed with its gap and status ``interrupted``, --out is not written, exit code 1.
    """
    import json

    from siteopt.api import solve
    from siteopt.result import failure_document

    try:
        if out_dir is not None:
            _check_out_directory(out_dir)
        cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
        with best_so_far():
            result = solve(cfg, data_dir)
    except SiteoptError as err:
        check_interrupted()
        if output_format == "json":
            click.echo(json.dumps(failure_document(err), indent=2, ensure_ascii=False))
        raise
    interrupted = result.status.value == "interrupted"
    if not interrupted:
        check_interrupted()   # a stop signal Python swallowed still stops the command here
    if out_dir is not None and not interrupted:
        _write_outputs(result, out_dir)
    if not interrupted:
        deliver()
    if output_format == "json":
        click.echo(result.to_json())
    else:
        from siteopt.report.tables import terminal_width
        from siteopt.report.text import format_result

        click.echo(format_result(result, width=terminal_width()), nl=False)
    if interrupted:
        click.echo("interrupted: the solver was stopped before proving the optimum; the best "
                   "portfolio found so far is shown" + (f", nothing was written to {out_dir}"
                                                        if out_dir else ""), err=True)
        sys.exit(1)


#: Suffixes of the files ``solve --out`` writes: a directory named like one is a slip.
OUTPUT_SUFFIXES = (".json", ".geojson", ".gpkg", ".csv", ".xlsx", ".png", ".html")


def _check_out_directory(out_dir: str) -> None:
    """``--out results.xlsx`` means a file, and ``--out notes`` where notes is one cannot be
    a directory: refused (exit 2) before the solve, where the first would become a directory
    of that name that no spreadsheet opens."""
    from pathlib import Path

    from siteopt.errors import ConfigError

    path = Path(out_dir)
    if path.is_dir() or not (path.exists() or path.suffix.lower() in OUTPUT_SUFFIXES):
        return
    instead = path.with_suffix("") if path.suffix else f"{path}-results"
    raise ConfigError(f"--out {out_dir}: {'is a file; ' if path.exists() else ''}--out takes "
                      f"a directory and writes every output into it (result.json, "
                      f"siteopt.xlsx, siteopt.gpkg, map.png, report.html and more); give a "
                      f"directory, e.g. --out {instead}")


def _write_outputs(result, out_dir: str) -> None:
    """Write the result files into ``out_dir``; an unwritable place is bad input (exit 2)."""
    from siteopt.errors import ConfigError

    try:
        written = result.write(out_dir)
    except OSError as err:
        raise ConfigError(f"--out {out_dir}: cannot write {err.filename or out_dir} "
                          f"({err.strerror}); choose a writable directory") from None
    click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)


MAP_FORMATS = (".png", ".svg", ".pdf", ".html")
#: How often the explorer's server looks for a stop signal Python swallowed, ms.
SIGNAL_CHECK_MS = 250
#: ``siteopt map --kind`` -> the kind of :meth:`siteopt.result.Result.plot` it draws.
MAP_KINDS = {"map": "map", "coverage": "coverage", "access": "distance"}


def _check_out_suffix(out: str, allowed: tuple[str, ...], option: str = "--out") -> None:
    """Refuse a file name ``option`` (``--out``, ``--plot``...) gave without an allowed
    suffix."""
    from siteopt.errors import ConfigError

    if not out.lower().endswith(allowed):
        raise ConfigError(f"{option} {out}: the file name must end in {', '.join(allowed)}")


FROM_OPTION = click.option(
    "--from", "from_file", type=click.Path(dir_okay=False, path_type=str), default=None,
    help="Render a saved result (the result.json of solve --out) instead of solving again.")


def _result(from_file, model_path, data_dir, budget, max_gigafactories, set_items, solver,
            time_limit):
    """The result to render: a saved one (``--from``) on its data, or a new solve."""
    if from_file is None:
        return _run_solve(model_path, data_dir, budget, max_gigafactories, set_items, solver,
                          time_limit)
    given = [name for name, value in (("--model", model_path), ("--budget", budget),
                                      ("--max-gigafactories", max_gigafactories),
                                      ("--set", set_items), ("--solver", solver),
                                      ("--time-limit", time_limit)) if value]
    if given:
        from siteopt.errors import ConfigError

        raise ConfigError(f"--from {from_file} renders a saved result as it was solved; "
                          f"{', '.join(given)} cannot change it (solve again instead)")
    from siteopt.api import load_result

    return load_result(from_file, data_dir)


@cli.command("map")
@solve_options
@FROM_OPTION
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Where to write the map: .png, .svg or .pdf (static; .svg and .pdf are vector "
                   "graphics) or .html (interactive).")
@click.option("--dpi", type=click.IntRange(50, 1200), default=150, show_default=True,
              help="Resolution of a .png map in dots per inch (300 for print).")
@click.option("--kind", type=click.Choice(list(MAP_KINDS)), default="map",
              help="map: sites, coverage areas and links (default); coverage: choropleth of the "
                   "population share covered per country; access: choropleth of each member "
                   "state's mean distance to the nearest member site (static formats only).")
@reports_errors
def map_command(model_path, data_dir, budget, max_gigafactories, set_items, solver, time_limit,
                from_file, out_file, dpi, kind):
    """Solve, then draw the answer on a map of Europe."""
    from pathlib import Path

    from siteopt.report.maps import figure_bytes
    from siteopt.units import count

    _check_out_suffix(out_file, MAP_FORMATS)
    suffix = Path(out_file).suffix.lower()
    if suffix == ".html" and kind != "map":
        from siteopt.errors import ConfigError

        raise ConfigError(f"--out {out_file}: --kind {kind} is a static map; write it to .png, "
                          f".svg or .pdf (the interactive map shows the share covered per "
                          f"country in its Countries layer)")
    result = _result(from_file, model_path, data_dir, budget, max_gigafactories, set_items,
                     solver, time_limit)
    if suffix == ".html":
        content = result.explore().html
    else:
        content = figure_bytes(result.plot(MAP_KINDS[kind]), suffix.lstrip("."), dpi=dpi)
    _write_file(out_file, content)
    click.echo(f"wrote {out_file} ({result.status.value}, "
               f"{count(len(result.gigafactories), 'gigafactory', 'gigafactories')})", err=True)


SCHEDULER_OPTION = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="A running Dask scheduler (tcp://host:port) to solve on; by default the solves run "
         "in this process, or on a local cluster on 127.0.0.1 when that pays (see --workers).")


WORKERS_OPTION = click.option(
    "--workers", type=click.IntRange(1, 64), default=None,
    help="Worker processes of a local Dask cluster. By default the solves run in this "
         "process when they would take under 0.3 s here, else on one process per core "
         "forked from this one where that is safe; where it is not, here under 3 s and on a "
         "local cluster beyond. 1 runs them all here. The numbers are the same either way. "
         "Ignored with --scheduler.")
FORMAT_OPTION = click.option(
    "--format", "output_format", type=click.Choice(["table", "json"]), default="table",
    help="table: readable text (default); json: one document.")


def draw_options(draws: int, prefix: str = ""):
    """The options that set the Monte Carlo draws of ``robust`` (``--draws`` defaulting to
    ``draws``), their help texts starting with ``prefix``: ``--draws-in`` takes them from a
    file instead."""
    from siteopt.analysis.draws import SPREAD_LIMITS

    def said(text: str) -> str:
        return prefix + (text[0].lower() + text[1:] if prefix else text)

    options = [
        click.option("--draws", type=click.IntRange(1, 100_000), default=draws,
                     show_default=True,
                     help=said("How many Monte Carlo draws, each solved to proven "
                               "optimality.")),
        click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
                     help=said("Seed of the draws: the same seed gives the same numbers "
                               "whatever the workers.")),
        click.option("--capex-sd", type=Number("0.2", *SPREAD_LIMITS["capex_sd"]), default=0.2,
                     show_default=True,
                     help=said("Log standard deviation of each site's capex (median: the "
                               "data).")),
        click.option("--grid-delay-prob",
                     type=Number("0.2 for 20 %", *SPREAD_LIMITS["grid_delay_prob"]), default=0.2,
                     show_default=True,
                     help=said("Chance that a site's grid connection slips past 2028.")),
        click.option("--price-sd", type=Number("0.15", *SPREAD_LIMITS["price_sd"]),
                     default=0.15, show_default=True,
                     help=said("Log standard deviation of each site's electricity price.")),
        click.option("--draws-in", "draws_in", type=click.Path(dir_okay=False, path_type=str),
                     default=None,
                     help=said("Take the draws from this file (written by robust --draws-out) "
                               "instead of sampling: the same draws give the same answer.")),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def _draws(draws, seed, capex_sd, grid_delay_prob, price_sd, draws_in):
    """The draws the options of :func:`draw_options` ask for: their number (sampled with the
    seed and the spread) or the file's path; a file with any of the others is refused."""
    from siteopt.analysis import Spread
    from siteopt.errors import ConfigError

    if draws_in is None:
        return dict(draws=draws, seed=seed, spread=Spread(capex_sd, grid_delay_prob, price_sd))
    context = click.get_current_context()
    given = [f"--{name.replace('_', '-')}" for name in
             ("draws", "seed", "capex_sd", "grid_delay_prob", "price_sd")
             if context.get_parameter_source(name) != click.core.ParameterSource.DEFAULT]
    if given:
        raise ConfigError(f"--draws-in {draws_in}: the file sets the draws; leave out "
                          f"{', '.join(given)}")
    return dict(draws=draws_in, seed=seed, spread=Spread())


@cli.command("report")
@solve_options
@FROM_OPTION
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Where to write the report: .html, or .pdf (printed by Chromium).")
@click.option("--with", "with_text", multiple=True, metavar="LIST",
              help="Add decision analyses, comma-separated or repeated: alternatives, explain, "
                   "sweep, weights, pareto, robust (each as its command; the options below set "
                   "them).")
@click.option("--k", "k", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="alternatives: how many portfolios.")
@click.option("--explain-site", "explain_sites", multiple=True, metavar="SITE",
              help="explain: a site to explain (repeat); by default the sites the "
                   "second-best portfolio adds or drops.")
@click.option("--vary", "varies", multiple=True, metavar="KEY=START:STOP:STEP",
              help="sweep: as for siteopt sweep [default: budget.total_eur=10e9:30e9:2.5e9].")
@click.option("--x", "x", type=click.Choice(TERMS), default="cost", show_default=True,
              help="pareto: the horizontal term.")
@click.option("--y", "y", type=click.Choice(TERMS), default="coverage", show_default=True,
              help="pareto: the vertical term.")
@click.option("--points", type=click.IntRange(2, 500), default=8, show_default=True,
              help="pareto: most front points.")
@draw_options(100, prefix="robust: ")
@SCHEDULER_OPTION
@WORKERS_OPTION
@reports_errors
def report_command(model_path, data_dir, budget, max_gigafactories, set_items, solver, time_limit,
                   from_file, out_file, with_text, k, explain_sites, varies, x, y, points, draws,
                   seed, capex_sd, grid_delay_prob, price_sd, draws_in, scheduler, workers):
    """Solve, then write a self-contained HTML report that opens offline; --with adds the
    decision analyses."""
    from siteopt.analysis.bundle import ReportAnalyses, parse_names, run_for_report
    from siteopt.units import count

    _check_out_suffix(out_file, (".html", ".htm", ".pdf"))
    names = parse_names(",".join(with_text))
    futures = _draws(draws, seed, capex_sd, grid_delay_prob, price_sd, draws_in)
    if out_file.lower().endswith(".pdf"):
        from siteopt.report.pdf import browser

        browser()  # before solving: say at once when no Chromium can print it
    result = _result(from_file, model_path, data_dir, budget, max_gigafactories, set_items,
                     solver, time_limit)
    request = ReportAnalyses(names, k, tuple(explain_sites), tuple(varies) or
                             ReportAnalyses.varies, x, y, points, scheduler=scheduler,
                             workers=workers, **futures)
    analyses = run_for_report(request, result.model, data_dir) if names else []
    check_interrupted()
    page = result.report_html(analyses)
    if out_file.lower().endswith(".pdf"):
        from siteopt.report.pdf import html_to_pdf

        page = html_to_pdf(page)
    _write_file(out_file, page)
    click.echo(f"wrote {out_file} ({result.status.value}, "
               f"{count(len(result.gigafactories), 'gigafactory', 'gigafactories')}"
               f"{''.join(f', {name}' for name in names)})", err=True)


@cli.command("alternatives")
@solve_options
@click.option("--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="How many portfolios, best first.")
@click.option("--within", type=Number("0.02 for 2 %", 0, 1), default=None, metavar="GAP",
              help="Keep only portfolios within this relative gap of the optimum, e.g. 0.02.")
@click.option("--diverse", type=click.IntRange(1, 100), default=None, metavar="N",
              help="Instead: N portfolios within --slack of the optimum that differ from it "
                   "and from each other as much as possible.")
@click.option("--slack", type=Number("0.05 for 5 %", 0, 1), default=0.05, show_default=True,
              help="Relative loss allowed for --diverse portfolios.")
@FORMAT_OPTION
@reports_errors
def alternatives_command(model_path, data_dir, budget, max_gigafactories, set_items, solver,
                         time_limit, k, within, diverse, slack, output_format):
    """The k best portfolios, each proven: the optimum, then the best portfolio with another
    set of member sites, and so on, with what each changes against the optimum."""
    from siteopt.analysis import alternatives
    from siteopt.report.tables import render_table, terminal_width

    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    ranking = alternatives(cfg, data_dir, k=k, within=within, diverse=diverse, slack=slack)
    deliver()
    if output_format == "json":
        click.echo(ranking.to_json())
        return
    end = (f"{len(ranking.items) - 1} diverse portfolios within {slack:.0%}, each using as many "
           f"sites not used before as possible" if diverse is not None else
           "every portfolio the rules allow is listed" if ranking.complete else
           f"the {k} asked for; more with --k" if within is None or len(ranking.items) == k
           else f"the next one is more than {within:.1%} below")
    _echo_caveat(ranking, data_dir)
    heading = (f"The optimum and {len(ranking.items) - 1} diverse portfolios"
               if diverse is not None else f"The {len(ranking.items)} best portfolios")
    click.echo(render_table(ranking.table(), title=f"{heading} (model: {ranking.model}; {end})",
                            formats=ranking.FORMATS, width=terminal_width()), nl=False)


@cli.command("explain")
@click.argument("site_ids", nargs=-1, required=True, metavar="SITE...")
@solve_options
@SCHEDULER_OPTION
@WORKERS_OPTION
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", help="table: sentences and a table (default); json: one document.")
@reports_errors
def explain_command(site_ids, model_path, data_dir, budget, max_gigafactories, set_items, solver,
                    time_limit, scheduler, workers, output_format):
    """Why each SITE is in or out: the optimum with it forced the other way, what that costs,
    the limits in full use, and the capex (to EUR 10 m) or extra MW (to 1 MW) at which the
    answer would change. About 15 exact re-solves per site."""
    from siteopt.analysis import explain
    from siteopt.report.tables import render_table, terminal_width

    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    explanation = explain(list(site_ids), cfg, data_dir, scheduler=scheduler, workers=workers)
    deliver()
    if output_format == "json":
        click.echo(explanation.to_json())
        return
    _echo_caveat(explanation, data_dir)
    for site in explanation.sites:
        click.echo(_filled(site.sentence()))
    click.echo("")
    click.echo(render_table(explanation.table(), title=f"model: {explanation.model}; regret: "
                                                      f"what the other answer costs (objective "
                                                      f"points), people and capex: its change",
                            formats=explanation.FORMATS,
                            width=terminal_width()), nl=False)


@cli.command("pareto")
@click.option("--x", "x", type=click.Choice(TERMS), default="cost", show_default=True,
              help="The term on the horizontal axis.")
@click.option("--y", "y", type=click.Choice(TERMS), default="coverage", show_default=True,
              help="The term on the vertical axis.")
@click.option("--points", type=click.IntRange(2, 500), default=20, show_default=True,
              help="At most this many front points (two exact solves each); evenly spread "
                   "where the front has more.")
@solve_options
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Also draw the front (.png, .svg or .pdf).")
@FORMAT_OPTION
@reports_errors
def pareto_command(x, y, points, model_path, data_dir, budget, max_gigafactories, set_items,
                   solver, time_limit, plot_file, output_format):
    """The exact Pareto front of two terms (epsilon-constraint): every portfolio no other
    beats on both, from the most --y to the most --x, under every rule and limit of the
    model. Cost counts as better when lower."""
    from siteopt.analysis import pareto
    from siteopt.report.tables import render_table, terminal_width

    if plot_file is not None:
        _check_out_suffix(plot_file, (".png", ".svg", ".pdf"), "--plot")
    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    front = pareto(x, y, points, cfg, data_dir)
    if _wrote_json(front, plot_file, output_format):
        return
    _echo_caveat(front, data_dir)
    table = front.table()
    table.insert(0, "#", range(1, len(table) + 1))
    end = ("complete: no other portfolio is on the front" if front.complete else
           f"a sample of {len(table)} points spread along it; raise --points for all")
    click.echo(render_table(table, title=f"Pareto front of {x} and {y} (model: {front.model}; "
                                         f"{end})",
                            formats=front.formats(), width=terminal_width()), nl=False)
    click.echo(_filled(front.against_today()))


@cli.command("sweep")
@click.option("--vary", "varies", multiple=True, required=True, metavar="KEY=START:STOP:STEP",
              help="A model key and its values (START:STOP:STEP inclusive, or A,B,C); "
                   "repeat for every combination.")
@solve_options
@SCHEDULER_OPTION
@WORKERS_OPTION
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Also draw people within reach, capex used and the weighted "
                                 "terms against the first key (.png, .svg or .pdf).")
@click.option("--refine/--no-refine", default=True, show_default=True,
              help="Find where between two values the portfolio changes (along the budget, "
                   "the total power, access.max_km, access.min_country_share or a term's "
                   "weight exactly, other keys by bisection), with further exact solves; "
                   "--no-refine says only between which values.")
@FORMAT_OPTION
@reports_errors
def sweep_command(varies, model_path, data_dir, budget, max_gigafactories, set_items, solver,
                  time_limit, scheduler, workers, plot_file, refine, output_format):
    """Solve every combination of the --vary values exactly and show where the portfolio
    changes."""

    from siteopt.analysis import sweep

    if plot_file is not None:
        _check_out_suffix(plot_file, (".png", ".svg", ".pdf"), "--plot")
    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    result = sweep(list(varies), cfg, data_dir, scheduler=scheduler, workers=workers,
                   refine=refine)
    if _wrote_json(result, plot_file, output_format):
        return
    from siteopt.report.tables import render_table, terminal_width

    _echo_caveat(result, data_dir)
    click.echo(render_table(result.shown_columns(), title=f"Sweep of {', '.join(result.keys)} "
                                                        f"(model: {result.model})",
                            formats={"objective": ".4f", "capex (EUR bn)": ".2f",
                                     "MW": ",.0f", "people (m)": ".1f"},
                            width=terminal_width(), repeat=len(result.keys)), nl=False)
    click.echo(_filled(result.breakpoint_heading()))
    for line in result.breakpoint_lines():
        click.echo(_filled(line, indent="  "))


@cli.command("weights")
@solve_options
@SCHEDULER_OPTION
@WORKERS_OPTION
@click.option("--upto", type=Number("2", 1e-6, 1e6), default=1.0,
              show_default=True, metavar="W",
              help="Look at each weight from 0 up to this value (a weight above it: its own).")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Also draw each weight's range as a bar (.png, .svg or .pdf).")
@FORMAT_OPTION
@reports_errors
def weights_command(model_path, data_dir, budget, max_gigafactories, set_items, solver,
                    time_limit, scheduler, workers, upto, plot_file, output_format):
    """How far each weight may move, the others held, before the answer changes: for every
    term's weight the range over which today's optimum stays optimal, each end proven by
    exact solves where two portfolios score the same, and what is optimal beyond it."""
    from siteopt.analysis import weight_ranges

    if plot_file is not None:
        _check_out_suffix(plot_file, (".png", ".svg", ".pdf"), "--plot")
    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    result = weight_ranges(cfg, data_dir, upto=upto, scheduler=scheduler, workers=workers)
    if _wrote_json(result, plot_file, output_format):
        return
    from siteopt.report.tables import render_table, terminal_width

    _echo_caveat(result, data_dir)
    for line in result.summary_lines():
        click.echo(_filled(line))
    click.echo("")
    click.echo(render_table(result.shown(), title="Where today's answer holds, one weight at "
                                                  "a time", width=terminal_width()), nl=False)


@cli.command("explore")
@click.option("--model", "model_path", type=str, default=None, metavar="FILE|NAME",
              help="The scenario to start from (default: the workspace's model, else the "
                   "shipped default); every shipped and workspace scenario is offered.")
@DATA_OPTION
@click.option("--port", type=click.IntRange(0, 65535), default=5006, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", "host", type=str, default="127.0.0.1", show_default=True,
              metavar="ADDRESS", help="Address to listen on. Anything but this machine "
                                      "(127.0.0.1) lets others use the explorer, without login.")
@click.option("--no-browser", is_flag=True, help="Do not open the explorer in a browser.")
@NO_CACHE_OPTION
@reports_errors
def explore_command(model_path, data_dir, port, host, no_browser):
    """Open the explorer: change the budget, limits, weights and sites, and see the proven
    optimum after every change, on a map and in tables (a local web app; Ctrl-C stops it)."""
    from siteopt.explore.app import warm_up
    from siteopt.explore.server import host_warning, make_server
    from siteopt.explore.session import Explorer

    explorer = Explorer(model_path, data_dir)
    try:
        server = make_server(explorer, host, port)
    except OSError as err:
        import errno
        import socket

        from siteopt.errors import ConfigError

        if isinstance(err, socket.gaierror) or err.errno == errno.EADDRNOTAVAIL:
            raise ConfigError(f"--host {printable_text(host)[:80]}: cannot listen on it "
                              f"({err.strerror}); give an address of this machine "
                              f"(127.0.0.1, the default), or 0.0.0.0 for all of them") from None
        raise ConfigError(f"--port {port}: cannot listen on {host}:{port} ({err.strerror}); "
                          f"choose another port, or --port 0 for any free one") from None
    warning = host_warning(host)   # (only for an address it listens on)
    if warning:
        click.echo(warning, err=True)
    shown = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    url = f"http://{shown}:{server.port}/"
    click.echo(f"siteopt explorer at {url}")
    click.echo("Ctrl-C stops it.", err=True)
    server.start()
    if not no_browser:
        import webbrowser

        server.io_loop.add_callback(webbrowser.open, url)
    server.io_loop.add_callback(warm_up, explorer)
    # a stop signal whose KeyboardInterrupt Python swallowed (one raised inside a finalizer,
    # say, as Bokeh drops a closed tab's session) is only recorded: raise it from the loop
    from tornado.ioloop import PeriodicCallback

    from siteopt.interrupt import check

    PeriodicCallback(check, SIGNAL_CHECK_MS).start()
    server.io_loop.start()


@cli.command("robust")
@solve_options
@draw_options(1000)
@SCHEDULER_OPTION
@WORKERS_OPTION
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Also draw the regret histogram (.png, .svg or .pdf).")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Also draw the map of how often each site is chosen (.png, "
                                 ".svg or .pdf).")
@click.option("--draws-out", "draws_out", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="Also write the draws (capex and price factor per site, the "
                                 "sites whose grid slips) to this JSON file, for audit.")
@click.option("--choose", is_flag=True,
              help="Choose the portfolio of best mean objective over the draws, over the "
                   "budget in at most robust.budget_risk of them, proven optimal on them, "
                   "and compare it with today's optimum on fresh draws.")
@click.option("--test-draws", type=click.IntRange(1, 100_000), default=None,
              help="With --choose: the fresh draws of the comparison [default: as many as "
                   "--draws].")
@click.option("--gap-samples", type=click.IntRange(0, 50), default=0, show_default=True,
              help="With --choose: further samples of as many draws, each solved, for the "
                   "sampling gap (Mak, Morton and Wood).")
@click.option("--criterion", type=click.Choice(["mean", "regret"]), default="mean",
              show_default=True,
              help="With --choose: the best mean objective, or the least largest regret "
                   "(every draw solved to its own optimum first).")
@FORMAT_OPTION
@reports_errors
def robust_command(model_path, data_dir, budget, max_gigafactories, set_items, solver,
                   time_limit, draws, seed, capex_sd, grid_delay_prob, price_sd, draws_in,
                   scheduler, workers, plot_file, map_file, draws_out, choose, test_draws,
                   gap_samples, criterion, output_format):
    """How sure is the optimum: Monte Carlo over capex, grid delays and electricity prices,
    every draw solved exactly (here, or on Dask when the work pays for it). With --choose:
    the portfolio that is best across the draws, proven on them."""

    from siteopt.analysis import robust
    from siteopt.errors import ConfigError
    from siteopt.report.tables import render_table, terminal_width

    if not choose:
        context = click.get_current_context()
        given = [f"--{name.replace('_', '-')}" for name in ("test_draws", "gap_samples",
                                                             "criterion")
                 if context.get_parameter_source(name) != click.core.ParameterSource.DEFAULT]
        if given:
            raise ConfigError(f"{', '.join(given)}: only with --choose")
    elif plot_file is not None:
        raise ConfigError("--plot draws the regret histogram of robust without --choose; "
                          "with --choose, --map draws the robust choice")
    for option, out in (("--plot", plot_file), ("--map", map_file)):
        if out is not None:
            _check_out_suffix(out, (".png", ".svg", ".pdf"), option)
    if draws_out is not None:
        _check_out_suffix(draws_out, (".json",), "--draws-out")
    arguments = _draws(draws, seed, capex_sd, grid_delay_prob, price_sd, draws_in)
    cfg = _model(model_path, budget, max_gigafactories, set_items, solver, time_limit)
    arguments.update(scheduler=scheduler, workers=workers)
    if choose:
        from siteopt.analysis.choose import choose as robust_choice

        result = robust_choice(cfg, data_dir, test_draws=test_draws, gap_samples=gap_samples,
                               criterion=criterion, **arguments)
    else:
        result = robust(cfg, data_dir, **arguments)
    if draws_out is not None:
        _write_file(draws_out, result.futures.to_json().encode("utf-8"), "--draws-out")
    if map_file is not None:
        from pathlib import Path

        from siteopt.report.maps import figure_bytes

        _write_file(map_file, figure_bytes(result.plot_map(), Path(map_file).suffix.lstrip(".")),
                    "--map")
    if _wrote_json(result, plot_file, output_format):
        return
    if not choose:   # the choice's own lines name its members with illustrative figures
        _echo_caveat(result, data_dir)
    for line in result.summary_lines():
        click.echo(_filled(line))
    click.echo("")
    if choose:
        from siteopt.units import count

        click.echo(render_table(result.shown(),
                                title=f"The robust choice and today's optimum on "
                                      f"{count(result.test_draws, 'fresh draw')}",
                                width=terminal_width()), nl=False)
        return
    click.echo(render_table(result.candidates.head(10),
                            title=f"The draws' optima and today's, ranked by {result.ranking}",
                            formats=result.FORMATS, width=terminal_width()), nl=False)


def _filled(text: str, indent: str = "") -> str:
    """A paragraph wrapped at the terminal's width, never inside an ID (``PL-`` / ``POZ``);
    with ``indent`` before its first line and two spaces more before the others."""
    from siteopt.report.tables import fill, terminal_width

    return fill(printable_text(text), terminal_width(), initial_indent=indent,
                subsequent_indent=indent + "  " if indent else "")


def _echo_caveat(analysis, data_dir) -> None:
    """Say first which of the sites an analysis names have illustrative figures (as ``solve``
    says it of its member sites), wrapped at the terminal's width."""
    from siteopt.data import load_data
    from siteopt.summary import named_sites_caveat

    caveat = named_sites_caveat(analysis.named_sites(), load_data(data_dir))
    if caveat:
        click.echo(_filled(caveat))


def _wrote_json(result, plot_file, output_format) -> bool:
    """Write an analysis' plot if asked; print its JSON and say so if that is the format."""
    from pathlib import Path

    check_interrupted()
    if plot_file is not None:
        from siteopt.report.maps import figure_bytes

        _write_file(plot_file, figure_bytes(result.plot(), Path(plot_file).suffix.lstrip(".")),
                    "--plot")
    deliver()
    if output_format == "json":
        click.echo(result.to_json())
        return True
    return False


@cli.command("compare")
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@DATA_OPTION
@click.option("--set", "set_items", multiple=True, metavar="KEY=VALUE",
              help="Override a key in every model (repeatable).")
@reports_errors
def compare_command(models, data_dir, set_items):
    """Solve several models (files or scenario names) and show them side by side.

    Objectives computed with different weights are marked: they are not comparable; the
    terms are. A model without a portfolio ends the command, named with its conflict.
    """
    from siteopt.api import resolve_model, solve
    from siteopt.data import load_data
    from siteopt.errors import InfeasibleError
    from siteopt.report.tables import terminal_width
    from siteopt.report.text import compare_text
    from siteopt.summary import named_sites_caveat

    data = load_data(data_dir)
    results = {}
    for model in models:
        cfg = resolve_model(model, {}, set_items)
        name = _unique_name(cfg.source, results)
        try:
            results[name] = solve(cfg, data)
        except InfeasibleError as err:
            raise InfeasibleError(f"{name}: {err}") from None
    deliver()
    caveat = named_sites_caveat([site for result in results.values()
                                 for site in result.selected], data)
    if caveat:
        click.echo(_filled(caveat))
    click.echo(compare_text(results, width=terminal_width()), nl=False)


def _unique_name(source: str, taken) -> str:
    from pathlib import Path

    name = Path(source).stem
    return name if name not in taken else f"{name} ({len(taken) + 1})"


@cli.command("init")
@click.argument("directory", type=click.Path(path_type=str), default=".")
@click.option("--empty", is_flag=True,
              help="Templates (a header and one example row) instead of a copy of the EU "
                   "data set.")
@click.option("--excel", is_flag=True,
              help="The tables as one Excel workbook, bids.xlsx, instead of data/*.csv.")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@reports_errors
def init_command(directory, empty, excel, force):
    """Write a workspace in DIRECTORY (default: here) for your own bids.

    It holds siteopt.toml, the data (a copy of the EU data set, or templates with --empty; as
    CSV files in data/, or one workbook with --excel) with a README of every column, and
    models/default.toml with every key explained. Every command run in DIRECTORY or below it
    then uses them. Existing files are never overwritten without --force.
    """
    from siteopt.paths import display_path
    from siteopt.workspace import init_workspace

    written = init_workspace(directory, empty=empty, excel=excel, force=force)
    lines = [f"wrote a siteopt workspace in {display_path(directory)}:",
             *(f"  {display_path(path)}" for path in written),
             f"next: cd {display_path(directory)} && siteopt validate && siteopt solve"]
    click.echo(printable_text("\n".join(lines)))


@cli.command("keys")
@click.argument("sections", nargs=-1, metavar="[SECTION|KEY]...")
@reports_errors
def keys_command(sections):
    """List every model key --set and model files accept, with its default, unit and meaning;
    only those of the SECTIONS or KEYS named (``siteopt keys weights access.max_km``)."""
    import pandas as pd

    from siteopt.config import settings
    from siteopt.errors import ConfigError
    from siteopt.report.tables import render_table, terminal_width

    every = list(settings())
    wanted = [name.strip().rstrip(".") for name in sections]

    def named(key: str, name: str) -> bool:   # the key, or a key of the section
        return key == name or key.startswith(name + ".")

    for name in wanted:
        if not any(named(key, name) for key, _ in every):
            raise ConfigError(f"keys: no section or key {quoted(name)}; "
                              f"{_keys_hint(name, [key for key, _ in every])}")
    rows = [{"key": key, "default": _shown(spec.default), "unit": spec.metadata.get("unit", ""),
             "meaning": spec.metadata.get("doc", "")} for key, spec in every
            if not wanted or any(named(key, name) for name in wanted)]
    click.echo(render_table(pd.DataFrame(rows), title="Model keys (set them in a model file "
                                                      "or with --set KEY=VALUE)",
                            width=terminal_width()), nl=False)


def _keys_hint(name: str, keys: list[str]) -> str:
    """What to write instead of ``name``, which names no section or key: the keys of its
    section, else the closest section or key, else every section."""
    import difflib

    sections = sorted({key.split(".")[0] for key in keys})
    section, _, rest = name.partition(".")
    if rest and section in sections:
        own = [key.split(".", 1)[1] for key in keys if key.startswith(section + ".")]
        close = difflib.get_close_matches(rest.lower(), own, n=1, cutoff=0.6)
        if close:
            return f"did you mean '{section}.{close[0]}'?"
        return f"the keys of {section} are {', '.join(own)}"
    close = difflib.get_close_matches(name.lower(), sections + keys, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"the sections are {', '.join(sections)}"


def _shown(value) -> str:
    from siteopt.config import _literal

    return "[]" if value == () else _literal(value)


def _write_file(path: str, content, option: str = "--out") -> None:
    """Write one output file atomically; an unwritable place is bad input (exit 2), said as
    the fault of ``option``, the option that named it."""
    from siteopt.atomic import write_file
    from siteopt.errors import ConfigError

    try:
        write_file(path, content)
    except OSError as err:
        from pathlib import Path

        # (a folder on the way that is a file makes the system say "File exists")
        nearest = next((folder for folder in Path(path).parents if folder.exists()), None)
        reason = (f"{nearest} is a file, not a folder" if nearest is not None
                  and not nearest.is_dir() else err.strerror)
        raise ConfigError(f"{option} {path}: cannot write it ({reason}); choose a writable "
                          f"place") from None
