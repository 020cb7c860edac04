"""The stop-signal state (standard library only; the bottom floor: anything may import it).

Ctrl-C, SIGTERM and SIGHUP all stop siteopt the same way: :func:`on_signal` records the signal
and raises ``KeyboardInterrupt``. Python may swallow that exception when it lands in code
whose exceptions are ignored (a weak-reference callback inside the import system, a
``__del__``), or turn it into another error, so the signal is also recorded: :func:`check`
raises again at each point of no return (before results are printed and before output files
are put in place), and a long solver run asks :func:`stop_requested` to stop early.
:mod:`siteopt.launch` installs the handlers.
"""

from __future__ import annotations

import sys

#: Exit code of an interrupted command (click's, for Ctrl-C inside a command).
INTERRUPTED = 1
_received: list[int] = []


def on_signal(signum, frame):
    """Ctrl-C, SIGTERM and SIGHUP all stop siteopt the same way."""
    _received.append(signum)
    raise KeyboardInterrupt


def unraisable(unraisable_event) -> None:
    """Python reports an exception it cannot raise (one in a weak-reference callback of the
    import system, say) as "Exception ignored in ..." with a traceback. For the interruption
    of a stop signal, which :func:`on_signal` has recorded and :func:`check` raises again, say
    nothing; report anything else as Python would."""
    if not isinstance(unraisable_event.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable_event)


def stop_requested() -> bool:
    """Whether a stop signal has arrived (even one Python swallowed)."""
    return bool(_received)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a stop signal has arrived (even one Python swallowed)."""
    if _received:
        raise KeyboardInterrupt
