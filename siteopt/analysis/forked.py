"""Solves side by side on processes forked from this one.

A local Dask cluster costs about 1.3 s to start and stop, and its workers start from scratch;
processes forked from this one start in about 20 ms each, with every module and the data
already loaded (a sweep of 405 points on the shipped data: 7.4 s forked, 11.5 s on a local
cluster of two workers). :class:`ForkPool` offers the calls of a Dask client that the
analyses use (``scatter``, ``map``, ``gather``; its futures are those of
:mod:`concurrent.futures`), so an analysis runs the same code on it.

Forking is safe only where this process holds no thread that a child would need: on Linux,
while HiGHS has not been loaded here (its thread pool does not survive a fork; the search
path, which answers the compact form, never loads it) and while no other thread runs (as in
the command line; not in a Jupyter kernel). :func:`can_fork` says so.

A stop signal is for this process: the children ignore SIGINT (which a terminal sends the
whole process group), and when this process stops the pool cancels what has not started and
ends the children at once, their solves under way with them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import signal
import sys
import threading
from typing import Any

#: Values shared with the children: set before they are forked, read in them.
_SHARED: dict[int, Any] = {}
#: The BLAS limit of a child, kept for its lifetime.
_LIMITS: list = []


@dataclasses.dataclass(frozen=True)
class Shared:
    """A value given to :meth:`ForkPool.scatter`: the children find it in their copy of this
    process, so it is never pickled per task."""

    key: int


def can_fork(platform: str | None = None, modules=None, threads: int | None = None) -> bool:
    """Whether this process may fork solving children now: on Linux (``platform``, by default
    this one's), with HiGHS not loaded (``modules``, by default ``sys.modules``) and no thread
    but this one running (``threads``; a thread that holds a lock as the fork happens would
    leave it held in the child: a Jupyter kernel's, a Dask client's)."""
    platform = sys.platform if platform is None else platform
    modules = sys.modules if modules is None else modules
    threads = threading.active_count() if threads is None else threads
    return platform.startswith("linux") and "highspy" not in modules and threads == 1


def _start_child() -> None:
    """In each child: SIGINT is for the parent, and SIGTERM (the parent's ``terminate``) and
    SIGHUP end the child at once (the handlers it inherits raised ``KeyboardInterrupt``, which
    the pool's loop sent back as the task's answer before it took the next task: a sweep
    stopped with Ctrl-C once waited for ever on a child); BLAS on one thread (the children
    share the cores, and a BLAS pool per child halved every solve's speed)."""
    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _LIMITS.append(threadpool_limits(1))


def _run(function, *arguments):
    """``function(*arguments)`` in a child, each :class:`Shared` argument replaced by its
    value."""
    return function(*(_SHARED[a.key] if isinstance(a, Shared) else a for a in arguments))


class ForkPool:
    """Tasks on ``processes`` forked children, with the calls of a Dask client that the
    analyses use; results come back in task order."""

    def __init__(self, processes: int):
        self.processes = processes
        self.executor: concurrent.futures.ProcessPoolExecutor | None = None
        self.keys: list[int] = []
        #: This process's children before the pool forked its own.
        self.others: set = set()

    def scatter(self, value, broadcast: bool = False) -> Shared:
        """``value``, handed to the children when they are forked (at the first ``map``)."""
        if self.executor is not None:
            raise RuntimeError("scatter before the first map: the children are forked then")
        key = max(_SHARED, default=-1) + 1
        _SHARED[key] = value
        self.keys.append(key)
        return Shared(key)

    def map(self, function, *iterables, pure: bool = False) -> list:
        """One future per task, ``function`` applied to the tasks' arguments."""
        if self.executor is None:
            self.others = set(multiprocessing.active_children())
            self.executor = concurrent.futures.ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("fork"),
                initializer=_start_child)
        return [self.executor.submit(_run, function, *arguments)
                for arguments in zip(*iterables)]

    @staticmethod
    def gather(futures) -> list:
        """The results, in task order."""
        return [future.result() for future in futures]

    def close(self, stopping: bool = False) -> None:
        """Cancel the tasks not started and end the children: once the tasks under way are
        done, or at once when ``stopping`` (their answers would go unused)."""
        if self.executor is not None:
            if stopping:
                for child in set(multiprocessing.active_children()) - self.others:
                    child.terminate()
                # a child ended while it wrote a result leaves the executor's thread reading
                # the rest of it, for ever while this process holds the pipe's other write
                # end (which it never writes to): closed, the read ends and the pool closes
                # (an attribute of CPython's executor, 3.11 to 3.13: looked up with care)
                writer = getattr(getattr(self.executor, "_result_queue", None), "_writer", None)
                if writer is not None:
                    writer.close()
            self.executor.shutdown(wait=True, cancel_futures=True)
        for key in self.keys:
            _SHARED.pop(key, None)


@contextlib.contextmanager
def fork_pool(processes: int):
    """A :class:`ForkPool` of ``processes`` children, closed on leaving; a stop or an error
    ends the children at once."""
    pool = ForkPool(processes)
    stopping = True
    try:
        yield pool
        stopping = False
    finally:
        pool.close(stopping)
