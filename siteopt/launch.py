"""The ``siteopt`` console command: signal handling first, everything else after.

This module imports only the standard library, so that Ctrl-C, SIGTERM or SIGHUP at any moment
after Python has started (also while the rest of siteopt is still being imported) ends the
command with "Aborted!" and exit code 1, never with a traceback, and an interrupted ``--out``
is undone.

Python may swallow the ``KeyboardInterrupt`` a signal raises, when it lands in code whose
exceptions are ignored (a weak-reference callback inside the import system, a ``__del__``), or
turn it into another error (a ``RuntimeError`` when it lands in a class being created). The
signal is therefore also recorded: :func:`check` raises again at each point of no return
(before results are printed and before output files are put in place), and any error that
ends the command after a stop signal is reported as the interruption it is.
"""

from __future__ import annotations

import os
import signal
import sys

#: Exit code of an interrupted command (click's, for Ctrl-C inside a command).
INTERRUPTED = 1
_received: list[int] = []


def _interrupt(signum, frame):
    """Ctrl-C, SIGTERM and SIGHUP all stop siteopt the same way."""
    _received.append(signum)
    raise KeyboardInterrupt


def _unraisable(unraisable) -> None:
    """Python reports an exception it cannot raise (one in a weak-reference callback of the
    import system, say) as "Exception ignored in ..." with a traceback. For the interruption
    of a stop signal, which :data:`_received` has recorded and :func:`check` raises again, say
    nothing; report anything else as Python would."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a stop signal has arrived (even one Python swallowed)."""
    if _received:
        raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    sys.unraisablehook = _unraisable
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), _interrupt)
    try:
        from siteopt.cli import cli

        cli(prog_name="siteopt")
    except SystemExit as done:
        if not _received:
            # finished: its output is complete, and a signal during Python's own shutdown has
            # nothing left to stop (it would end the process by the signal, not the code)
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            raise
        _stop(report=done.code == 0)  # click has said "Aborted!" unless the command finished
    except BaseException:
        if not _received:
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
