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
            try:
                sys.stdout.flush()   # here, not at Python's exit: a failure is still reported
            except OSError as err:
                _output_failed(err)
            raise
        _stop(report=done.code == 0)  # click has said "Aborted!" unless the command finished
    except OSError as err:
        if stop_requested():
            _stop(report=True)
        if not _writing_output(err):
            raise
        _output_failed(err)
    except BaseException:
        if not stop_requested():
            raise
        _stop(report=True)


def _writing_output(err: OSError) -> bool:
    """Whether ``err`` came from writing what the command prints: all of it goes through
    click's ``echo`` (files under ``--out`` are written by :mod:`siteopt.atomic`, which names
    them in its own messages)."""
    trace = err.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    code = trace.tb_frame.f_code if trace is not None else None
    return (code is not None and code.co_name == "echo"
            and os.path.basename(os.path.dirname(code.co_filename)) == "click")


def _output_failed(err: OSError) -> None:
    """End a command whose output could not be written (a full disk, a closed terminal) with
    one line on stderr and exit code 1, not a traceback."""
    try:
        sys.stderr.write(f"error: cannot write siteopt's output ({err.strerror or err}); "
                         f"free some space or send the output elsewhere\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(1)


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
