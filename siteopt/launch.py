"""The ``siteopt`` console command: signal handling first, everything else after (the top
floor: nothing imports it).

It installs the handlers of :mod:`siteopt.interrupt` (standard library only) before importing
the rest of siteopt, so that Ctrl-C, SIGTERM or SIGHUP at any moment after Python has started
(also while siteopt is still being imported) ends the command with "Aborted!" and exit code 1,
never with a traceback, and an interrupted ``--out`` is undone. Any error that ends the command
after a stop signal is reported as the interruption it is.
"""

from __future__ import annotations

import os
import signal
import sys

from siteopt.interrupt import INTERRUPTED, SIGNALS, on_signal, stop_requested, unraisable


def main() -> None:
    """Console-script entry point."""
    sys.unraisablehook = unraisable
    for name in SIGNALS:
        signal.signal(getattr(signal, name), on_signal)
    try:
        from siteopt.cli import cli

        cli(prog_name="siteopt")
    except SystemExit as done:
        if not stop_requested():
            # finished: its output is complete, and a signal during Python's own shutdown has
            # nothing left to stop (it would end the process by the signal, not the code)
            for name in SIGNALS:
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            raise
        _stop(report=done.code == 0)  # click has said "Aborted!" unless the command finished
    except BaseException:
        if not stop_requested():
            raise
        _stop(report=True)


def _stop(report: bool) -> None:
    """End an interrupted command with exit code 1.

    ``os._exit``, after flushing, because Python itself would end with the signal instead of
    the code once an interruption has passed through some C code, even if it was handled.
    Clean-up has already run: every ``finally`` and ``with`` block on the way out.
    """
    if report:
        sys.stderr.write("Aborted!\n")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(INTERRUPTED)
