"""The stop-signal state (standard library only; the bottom floor: anything may import it).

Ctrl-C, SIGTERM and SIGHUP all stop siteopt the same way: :func:`on_signal` records the signal
and raises ``KeyboardInterrupt``. Python may swallow that exception when it lands in code
whose exceptions are ignored (a weak-reference callback inside the import system, a
``__del__``), or turn it into another error, so the signal is also recorded: :func:`check`
raises again at each point of no return (before output files are put in place, and by
:func:`deliver` before the answer is printed, after which a signal changes nothing).

A solver working in C (HiGHS) cannot take an exception from a signal handler. While it runs,
:func:`deferred` has the handlers only record the signal; the solver's callback asks
:func:`stop_requested` and stops within a moment, and the command reports the best portfolio
found so far as ``interrupted`` (:func:`best_so_far`; an analysis stops instead).
:mod:`siteopt.launch` installs the handlers.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import signal
import sys
import threading

#: Exit code of an interrupted command (click's, for Ctrl-C inside a command).
INTERRUPTED = 1
_received: list[int] = []


#: A stop signal that lands while the main thread imports a module is acted on when the import
#: is over: checked again every this many seconds (by SIGALRM).
IMPORT_RETRY_S = 0.02


def on_signal(signum, frame):
    """Ctrl-C, SIGTERM and SIGHUP all stop siteopt the same way: ``KeyboardInterrupt``, at
    once or, landing inside an import, as soon as it is over (an exception raised while a
    compiled module initialises can leave it half made, and the process crashed once so on
    its way out)."""
    _received.append(signum)
    if _importing(frame) and hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, _after_import)
        signal.setitimer(signal.ITIMER_REAL, IMPORT_RETRY_S)
        return
    raise KeyboardInterrupt


def _importing(frame) -> bool:
    """Whether ``frame`` runs inside Python's import machinery."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib."):
            return True
        frame = frame.f_back
    return False


def _after_import(signum, frame):
    """The stop signal :func:`on_signal` put off: raised once the import is over, unless the
    handlers only record signals by then (:func:`deferred`: the solver asks for them)."""
    if signal.getsignal(_received[-1]) is not on_signal:
        return
    if _importing(frame):
        signal.setitimer(signal.ITIMER_REAL, IMPORT_RETRY_S)
        return
    raise KeyboardInterrupt


def unraisable(unraisable_event) -> None:
    """Python reports an exception it cannot raise (one in a weak-reference callback of the
    import system, say) as "Exception ignored in ..." with a traceback. For the interruption
    of a stop signal, which :func:`on_signal` has recorded and :func:`check` raises again, say
    nothing; report anything else as Python would."""
    if not isinstance(unraisable_event.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable_event)


def _record(signum, frame):
    _received.append(signum)


#: The signals the command line handles.
SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


@contextlib.contextmanager
def deferred():
    """While a solver runs: the stop signals are recorded, not raised, and the solver polls
    :func:`stop_requested`. Only where :mod:`siteopt.launch` installed :func:`on_signal`,
    in the main thread; elsewhere (the Python API, a worker thread) nothing changes.

    A signal's Python handler runs only when the main thread runs Python code, which it does
    not while HiGHS holds it (HiGHS may call back from its own threads), so the signal is
    also written to a pipe at once (``signal.set_wakeup_fd``) that :func:`stop_requested`
    reads.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not on_signal:
        yield
        return
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    for name in SIGNALS:
        signal.signal(getattr(signal, name), _record)
    previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _pipes.append(read)
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        stop_requested()   # the signals in the pipe, recorded before the pipe closes
        _pipes.remove(read)
        for name in SIGNALS:
            signal.signal(getattr(signal, name), on_signal)
        os.close(read)
        os.close(write)


#: The read ends of the wakeup pipes of the :func:`deferred` blocks running now.
_pipes: list[int] = []


def deferring() -> bool:
    """Whether the stop signals are deferred now (inside :func:`deferred`, on the command
    line)."""
    return bool(_pipes)


#: Set by :func:`ask_to_stop`: the running solve should stop as on a stop signal.
_stop_asked = threading.Event()


def ask_to_stop(asked: bool = True) -> None:
    """Ask the running solve to stop as on Ctrl-C, without a signal (``False`` withdraws the
    request). The explorer's Stop button and a newer setting use it; one solve runs at a time
    there, so the request reaches exactly that one."""
    if asked:
        _stop_asked.set()
    else:
        _stop_asked.clear()


def stop_requested() -> bool:
    """Whether a stop signal has arrived (even one Python swallowed, or one whose handler has
    not run yet because a solver holds the main thread), or :func:`ask_to_stop` asked."""
    if _stop_asked.is_set():
        return True
    for pipe in _pipes:
        try:
            _received.extend(os.read(pipe, 64))
        except OSError:   # nothing to read (BlockingIOError)
            continue
    return bool(_received)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a stop signal has arrived (even one Python swallowed)."""
    if _received:
        raise KeyboardInterrupt


#: Set within :func:`best_so_far`.
_keep_best = contextvars.ContextVar("keep_best", default=False)


@contextlib.contextmanager
def best_so_far():
    """Within this block a solve that a stop signal stopped returns its best portfolio so far,
    which ``siteopt solve`` prints with its gap. Elsewhere (every analysis, every other
    command) :func:`after_solve` raises: one interrupted solve among many is of no use, and an
    analysis that went on to its next solve ran on after SIGTERM."""
    token = _keep_best.set(True)
    try:
        yield
    finally:
        _keep_best.reset(token)


def after_solve() -> None:
    """After a solve, except within :func:`best_so_far`: raise ``KeyboardInterrupt`` if it was
    stopped, by :func:`ask_to_stop` (the explorer's Stop) or, in the main thread, by a stop
    signal (:func:`check`; the main thread takes the signals). An analysis then stops as a
    whole, instead of reporting a solve cut short as a failure ("stopped without a proven
    optimum; raise solver.time_limit_s")."""
    if _keep_best.get():
        return
    if _stop_asked.is_set():
        raise KeyboardInterrupt
    if threading.current_thread() is threading.main_thread():
        check()


def deliver() -> None:
    """The command's answer is complete and its files are written: raise if a stop signal has
    arrived, else let no later one cut the answer short. On the command line (where
    :mod:`siteopt.launch` installed :func:`on_signal`, in the main thread) the stop signals are
    ignored from here on, so a signal while the answer is printed changes nothing: the whole
    answer, exit code 0. Elsewhere it is :func:`check`."""
    check()
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) is on_signal:
        for name in SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
