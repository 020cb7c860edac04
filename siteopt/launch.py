"""The ``siteopt`` console command: signal handling first, everything else after (the top
floor: nothing imports it).

It installs the handlers of :mod:`siteopt.interrupt` (standard library only) before importing
the rest of siteopt, so that Ctrl-C, SIGTERM or SIGHUP at any moment after Python has started
(also while siteopt is still being imported) ends the command with "Aborted!" and exit code 1,
never with a traceback, and an interrupted ``--out`` is undone. Any error that ends the command
after a stop signal is reported as the interruption it is.
"""

import _signal  # built in and loaded with Python: no file is read before the first handler

#: The stop signals that arrive while the launcher imports what it needs: recorded by the
#: first instructions below, acted on by :func:`main` as soon as its handlers are in place.
_EARLY: list[int] = []
for _number in (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP):
    _signal.signal(_number, lambda signum, frame: _EARLY.append(signum))
# (the first handlers are in place; the tests count a signal above this line as start-up)

import os  # noqa: E402 (after the first handlers, on purpose)
import signal  # noqa: E402
import sys  # noqa: E402

from siteopt.interrupt import (INTERRUPTED, SIGNALS, on_signal, stop_requested,  # noqa: E402
                               unraisable)


def main() -> None:
    """Console-script entry point."""
    try:
        sys.unraisablehook = unraisable
        for name in SIGNALS:
            signal.signal(getattr(signal, name), on_signal)
        if _EARLY:
            on_signal(_EARLY[0], None)
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
