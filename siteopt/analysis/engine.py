"""Many exact solves: here, on processes forked from this one, on a local Dask cluster when the
work pays for it, or on a scheduler the user names.

Every task is one solve of the same model and data with some keys changed; tasks are
independent and their results come back in task order, so the outcome does not depend on
where they run or on the number of workers. An analysis solves its first piece of work here and
times it; :func:`solve_pool` then runs the rest here when it would take less than
:data:`FORK_POOL_SECONDS`; else on one forked process per core
(:mod:`siteopt.analysis.forked`) where forking is safe (on the command line, for models the
search answers: a sweep of 405 points on the shipped data takes 7.4 s there against 11.5 s
on a local Dask cluster, which starts its workers from scratch); where it is not, here below
:data:`LOCAL_CLUSTER_SECONDS` and on a local cluster of one worker per core beyond; unless
``--workers`` or ``--scheduler`` say otherwise. The local cluster listens on 127.0.0.1 only;
the only other machine siteopt ever talks to is a scheduler given with ``--scheduler``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import socket
import time
from typing import Any

from siteopt.analysis.forked import ForkPool, can_fork, fork_pool
from siteopt.errors import ConfigError

#: Consecutive points of a sweep solved one after the other by one task, each from the
#: previous point's optimum (a fixed length, so results do not depend on the workers). The
#: first chain is solved here and timed before the rest are shared out: 23 budgets took
#: 1.31-1.44 s in chains of 4 against 1.43-1.58 s in chains of 6 and 1.38-1.53 s of 3.
CHAIN_LENGTH = 4
#: Seconds Dask tries to reach a scheduler named with ``--scheduler`` (a scheduler that
#: refuses the connection is told at once, :func:`_refuse_if_nothing_listens`).
CONNECT_SECONDS = 10.0
#: Where forking is not safe, a local cluster pays for itself only when the solves left would
#: take at least this many seconds here: starting and stopping two workers and shipping them
#: the data costs about 1.3 s, and two cores at best halve the rest (benchmarks/README.md).
LOCAL_CLUSTER_SECONDS = 3.0
#: Solves left that would take at least this many seconds here run on processes forked from
#: this one, where that is safe (:func:`~siteopt.analysis.forked.can_fork`): forking two
#: costs about 0.05 s.
FORK_POOL_SECONDS = 0.3
#: The modules a local Dask worker starts with: imported once a session by the server process
#: the workers are forked from, so that no worker imports siteopt itself (1-2 s each).
WORKER_IMPORTS = ("distributed", "siteopt.api", "siteopt.solvers.search")


class InProcess:
    """Runs tasks here, one after the other, with the calls of a Dask client that the analyses
    use (``scatter``, ``map``; :func:`gather` runs them)."""

    def scatter(self, value, broadcast: bool = False):
        return value

    def map(self, function, *iterables, pure: bool = False) -> list:
        return [functools.partial(function, *arguments) for arguments in zip(*iterables)]


def timed(function, *arguments):
    """``function(*arguments)`` and the seconds it took."""
    began = time.perf_counter()
    value = function(*arguments)
    return value, time.perf_counter() - began


@contextlib.contextmanager
def solve_pool(scheduler: str | None = None, workers: int | None = None,
               seconds_left: float = math.inf, tasks: int = 2):
    """Where the ``tasks`` solves left run, given the ``seconds_left`` they would take here:
    on ``scheduler`` if given; here (:class:`InProcess`) with ``workers = 1``; on a local
    cluster of ``workers`` processes when ``workers`` is given; else here below
    :data:`FORK_POOL_SECONDS`, on one forked process per core (at most one per task) where
    forking is safe, here where it is not and they would take less than
    :data:`LOCAL_CLUSTER_SECONDS`, and on a local cluster of one worker per core (at least
    two) beyond."""
    from siteopt.parallel import cores

    if scheduler is None and workers is None:
        processes = min(cores(), tasks)
        if seconds_left >= FORK_POOL_SECONDS and processes >= 2 and can_fork():
            with fork_pool(processes) as pool:
                yield pool
            return
    if scheduler is None and (workers == 1 or (
            workers is None and seconds_left < LOCAL_CLUSTER_SECONDS)):
        yield InProcess()
        return
    with dask_client(scheduler, workers or max(2, cores())) as client:
        yield client


def solve_summary(model, data, overrides: dict[str, Any], start=None):
    """One solve on a worker, reduced to what an analysis needs (plain data, small).

    ``data`` is the loaded :class:`~siteopt.data.Dataset` (shipped to each worker once);
    ``start`` what the search may start from (:class:`~siteopt.solvers.search.Start`).

    Returns
    -------
    summary : dict
        ``status``, ``objective``, ``terms``, ``gigafactories`` (member ID lists), ``selected``,
        ``capex_eur`` (EUR, extra-site cost included), ``power_mw`` (MW), ``people`` (within
        R), ``farthest_km`` (the farthest populated place from its nearest member site, km)
        and ``least_share`` (the lowest share of a member state's people within R, as
        ``access.min_country_share`` counts it), both None without the demand points, and,
        for a model with no portfolio, ``error``.
    next_start : Start or None
        For the solve of a similar model (from the search path only).
    """
    from siteopt.api import prepare
    from siteopt.errors import InfeasibleError
    from siteopt.solvers import solve_instance, trusted
    from siteopt.solvers.radius import farthest_km

    try:
        cfg, _, prepared = prepare(model, data, overrides)
        instance = prepared.instance
        outcome, _ = solve_instance(instance, cfg.solver, {}, start)
        trusted(instance, cfg.solver, outcome)
    except InfeasibleError as err:
        return {"status": "infeasible", "error": str(err), "objective": None, "terms": {},
                "gigafactories": [], "selected": [], "capex_eur": None, "power_mw": None,
                "people": None, "farthest_km": None, "least_share": None}, start
    terms = instance.evaluate(outcome.gigafactories)
    names = instance.site_ids
    members = [sorted(names[s] for s in g) for g in outcome.gigafactories]
    used = instance.site_mask(outcome.gigafactories)
    farthest = None if instance.access is None else farthest_km(instance.access, used)
    return {"status": outcome.status.value, "objective": instance.objective(terms),
            "terms": terms, "selected": sorted(s for g in members for s in g),
            "gigafactories": members,
            "capex_eur": instance.capital_cost_eur(outcome.gigafactories),
            "power_mw": float(instance.effective_mw[used].sum()),
            "people": terms["coverage"] * instance.total_population,
            "farthest_km": farthest,
            "least_share": None if instance.access is None else terms["fairness"]
            }, outcome.next_start


def solve_chain(model, data, chain: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`solve_summary` of each task of ``chain`` in turn, each search started from the
    previous one's optimum and multipliers (neighbouring points of a sweep share most of
    them).

    Returns
    -------
    list of dict
        The summaries, in order.
    """
    summaries, start = [], None
    for overrides in chain:
        summary, start = solve_summary(model, data, overrides, start)
        summaries.append(summary)
    return summaries


def _scheduler_host_port(scheduler: str) -> tuple[str, int]:
    """The host and port of a scheduler address, ``tcp://host:port`` (or ``host:port``);
    anything else is refused in one line (Dask raised a traceback for a port that is not a
    number, an unknown scheme or a protocol it lacks)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(scheduler)
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        protocol, host, port = None, "", 0
    if protocol != "tcp" or not host or not 1 <= port <= 65535:
        raise ConfigError(f"--scheduler {scheduler}: not a scheduler address; give "
                          f"tcp://host:port (a Dask scheduler's, e.g. tcp://127.0.0.1:8786)")
    return host, port


def _refuse_if_nothing_listens(host: str, port: int) -> None:
    """Raise :class:`ConnectionRefusedError` at once when nothing listens at the scheduler's
    address (Dask would retry it for :data:`CONNECT_SECONDS` before saying so), and
    :class:`TimeoutError` when nothing answers within :data:`CONNECT_SECONDS` (Dask would
    wait as long again).

    One plain connection, closed at once (a scheduler logs it as closed before its
    handshake). Any other outcome (it connects, the name does not resolve) is left to Dask's
    own connection.
    """
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except ConnectionRefusedError as err:
        raise ConnectionRefusedError(f"nothing listens at {host}:{port}: {err.strerror}") \
            from None
    except TimeoutError:
        raise TimeoutError(f"no answer from {host}:{port} within {CONNECT_SECONDS:g} s") \
            from None
    except OSError:
        return


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2):
    """A Dask client: connected to ``scheduler`` (``tcp://host:port``) if given, else to a new
    local cluster of ``workers`` single-threaded processes on 127.0.0.1, closed afterwards.

    Local workers start with siteopt imported: on Linux they are forked from a server
    process that imports it once a session (two workers start in 0.9 s, 0.1-0.2 s after the
    first cluster of a session, instead of the 1-2 s a fresh interpreter takes to import
    siteopt; benchmarks/README.md). Each worker runs the ``__main__`` script again as it
    starts (as Dask's workers always do, except when forked from the script's own process):
    a script must keep its work under ``if __name__ == "__main__":``, and one that does
    not gets a :class:`~siteopt.errors.ConfigError` saying so. Each worker runs BLAS on one
    thread: Dask sets ``OPENBLAS_NUM_THREADS`` and its kin to 1 before the first worker
    starts (``distributed.nanny.pre-spawn-environ``), and the server inherits them.
    """
    import sys

    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        host, port = _scheduler_host_port(scheduler)
        try:
            _refuse_if_nothing_listens(host, port)
            client = Client(scheduler, timeout=f"{CONNECT_SECONDS:g}s")
        except OSError as err:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect ({err}); start the "
                              f"scheduler first or leave --scheduler out") from None
        with client:
            yield client
        return
    if _worker_running_the_script():
        raise SystemExit(2)
    from distributed.utils import get_mp_context

    # A worker forked from this process, which runs Dask's threads, could inherit a lock one
    # of them held (a worker hung for 600 s in CI). The server process forks them before any
    # thread runs in it (it is ready in about 0.55 s, once a session); elsewhere they are
    # spawned (macOS frameworks are not safe to fork).
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        context = get_mp_context()
        if method == "forkserver":
            context.set_forkserver_preload(list(WORKER_IMPORTS))
        # (each worker loads local_workers: it logs only what stops it, and stops its solve
        # as it closes)
        try:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                   silence_logs=logging.ERROR,
                                   preload=["siteopt.analysis.local_workers"])
        except Exception as err:
            script = getattr(sys.modules["__main__"], "__file__", None)
            if script is None:
                raise
            raise ConfigError(
                f"{script}: the Dask workers did not start ({err}); each worker runs this "
                f"script again as it starts, so the script's work must be under "
                f"`if __name__ == \"__main__\":`") from err
    with cluster, Client(cluster) as client:
        yield client


def _worker_running_the_script() -> bool:
    """Whether this process is a Dask worker starting up, running the user's script again (as
    ``__mp_main__``, to find the functions it defines) and that script, its work not under
    ``if __name__ == "__main__":``, asking for workers of its own. The worker then leaves
    without a word; the script's own process says what to fix."""
    import sys

    script = sys.modules.get("__mp_main__")
    return script is not None and script is not sys.modules["__main__"]


@contextlib.contextmanager
def progress_bar(label: str, total: int):
    """A progress bar on stderr (done/total, time left) while it is a terminal; yields the
    function that counts one more done."""
    import sys

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    columns = (f"[progress.description]{label}", BarColumn(), MofNCompleteColumn(),
               "left", TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True,
                  disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


#: How often (s) :func:`gather` looks for a stop request while tasks run elsewhere.
STOP_POLL_SECONDS = 0.1


def gather(client, futures, label: str) -> list:
    """The results of ``futures`` in their order, with a :func:`progress_bar`; a failed task
    raises its error at once, and a stop request (:func:`siteopt.interrupt.stop_requested`:
    Ctrl-C, or the explorer's Stop from another thread, which no worker process sees)
    raises ``KeyboardInterrupt`` within :data:`STOP_POLL_SECONDS`, the pool then ending its
    workers."""
    from siteopt.interrupt import stop_requested

    with progress_bar(label, len(futures)) as advance:
        if isinstance(client, InProcess):   # each solve here stops itself
            results = []
            for call in futures:
                results.append(call())
                advance()
            return results
        for future in _finished(client, futures):
            if future is None:
                if stop_requested():
                    raise KeyboardInterrupt
                continue
            future.result()   # raises the task's error, if any
            advance()
    return client.gather(futures)


def _finished(client, futures):
    """The futures as they finish, and None every :data:`STOP_POLL_SECONDS` while none
    does."""
    if isinstance(client, ForkPool):
        import concurrent.futures

        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(
                pending, STOP_POLL_SECONDS, return_when=concurrent.futures.FIRST_COMPLETED)
            yield from done or [None]
        return
    from distributed import as_completed

    finished = as_completed(futures)
    while not finished.is_empty():
        batch = finished.next_batch(block=False)
        if not batch:
            time.sleep(STOP_POLL_SECONDS)
        yield from batch or [None]


def run_solves(model, dataset, tasks: list[dict[str, Any]], scheduler: str | None = None,
               workers: int | None = None, chain: int = 1) -> list[dict[str, Any]]:
    """Solve ``model`` on ``dataset`` (loaded, best without its shapes:
    :meth:`~siteopt.data.Dataset.without_geometry`) once per task (a dict of changed keys).

    Without ``scheduler``, the first group of ``chain`` tasks (:func:`solve_chain`) is solved
    here and timed; the others run where :func:`solve_pool` decides (on Dask, the data is
    shipped to each worker once, with the coverage of the first task,
    :meth:`~siteopt.data.Dataset.derive`).

    Returns
    -------
    list of dict
        :func:`solve_summary` of each task, in task order.
    """
    chains = [tasks[i:i + chain] for i in range(0, len(tasks), chain)]
    first, seconds, rest = [], math.inf, chains
    if scheduler is None:   # a scheduler the user names gets all the work
        first, seconds = timed(solve_chain, model, dataset, chains[0])
        rest = chains[1:]
    label = "solves" if chain == 1 else f"groups of {chain} solves"
    done = run_tasks(solve_chain, model, dataset, rest, scheduler, workers, seconds, label)
    return first + [summary for part in done for summary in part]


def run_tasks(function, model, dataset, items: list, scheduler: str | None = None,
              workers: int | None = None, seconds_each: float = math.inf,
              label: str = "tasks") -> list:
    """``function(model, dataset, item)`` for each of ``items``, where :func:`solve_pool`
    decides given that each would take ``seconds_each`` here (on Dask, ``dataset`` is
    shipped to each worker once).

    Returns
    -------
    list
        The results, in item order.
    """
    if not items:
        return []
    with solve_pool(scheduler, workers, seconds_each * len(items), len(items)) as client:
        shipped = client.scatter(dataset, broadcast=True)
        futures = client.map(function, [model] * len(items), [shipped] * len(items), items,
                             pure=False)
        return gather(client, futures, label)
