"""Many exact solves at once, on Dask: a local cluster by default, or a scheduler the user names.

Every task is one solve of the same model and data with some keys changed; tasks are
independent and their results come back in task order, so the outcome does not depend on the
number of workers. The local cluster listens on 127.0.0.1 only; the only other machine siteopt
ever talks to is a scheduler given with ``--scheduler``.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from siteopt.errors import ConfigError, SiteoptError

#: Consecutive points of a sweep solved one after the other by one task, each from the
#: previous point's optimum (a fixed length, so results do not depend on the workers).
CHAIN_LENGTH = 6


def solve_summary(model, data, overrides: dict[str, Any], start=None):
    """One solve on a worker, reduced to what an analysis needs (plain data, small).

    ``data`` is the loaded :class:`~siteopt.data.Dataset` (shipped to each worker once);
    ``start`` what the search may start from (:class:`~siteopt.solvers.search.Start`).

    Returns
    -------
    summary : dict
        ``status``, ``objective``, ``terms``, ``gigafactories`` (member ID lists), ``selected``
        and, for a model with no portfolio, ``error``.
    next_start : Start or None
        For the solve of a similar model (from the search path only).
    """
    from siteopt.api import prepare
    from siteopt.errors import InfeasibleError, SolverError
    from siteopt.solvers import solve_instance
    from siteopt.solvers.infeasibility import conflict_message
    from siteopt.solvers.outcome import Status

    try:
        cfg, _, prepared = prepare(model, data, overrides)
        instance = prepared.instance
        outcome, _ = solve_instance(instance, cfg.solver, {}, start)
        if outcome.status == Status.INFEASIBLE:
            raise InfeasibleError(conflict_message(instance, cfg.solver))
    except InfeasibleError as err:
        return {"status": "infeasible", "error": str(err), "objective": None, "terms": {},
                "gigafactories": [], "selected": []}, start
    if outcome.status == Status.ERROR:
        raise SolverError(f"{cfg.solver.name} failed without a solution")
    terms = instance.evaluate(outcome.gigafactories)
    names = instance.site_ids
    members = [sorted(names[s] for s in g) for g in outcome.gigafactories]
    return {"status": outcome.status.value, "objective": instance.objective(terms),
            "terms": terms, "selected": sorted(s for g in members for s in g),
            "gigafactories": members}, outcome.next_start


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


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2):
    """A Dask client: connected to ``scheduler`` (``tcp://host:port``) if given, else to a new
    local cluster of ``workers`` single-threaded processes on 127.0.0.1, closed afterwards.

    Local workers are forked on Linux (spawned elsewhere: macOS frameworks are not safe to
    fork): they start with every module this process has imported, in about 0.2 s instead of
    the 1-2 s a fresh interpreter takes to import siteopt (benchmarks/README.md).
    """
    import sys

    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect ({err}); start the "
                              f"scheduler first or leave --scheduler out") from None
        with client:
            yield client
        return
    from threadpoolctl import threadpool_limits

    import siteopt.api  # noqa: F401  (imported before the fork, so no worker imports it)
    import siteopt.solvers.search  # noqa: F401

    method = "fork" if sys.platform.startswith("linux") else "spawn"
    # Forked workers inherit this process's state as the cluster starts: BLAS on one thread
    # (a forked worker would otherwise keep the pool of one thread per core set up here, and
    # two workers on two cores ran every solve at half speed: 0.6 s against 0.3 s for six
    # searches), and workers that log only what stops them (a task's error reaches the user
    # through the client; the heartbeat a worker may still send while the cluster closes is
    # no news to them). A spawned worker gets one BLAS thread from Dask's environment.
    logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)
    with dask.config.set({"distributed.worker.multiprocessing-method": method}), \
            threadpool_limits(1):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        yield client


def gather(client, futures, label: str) -> list:
    """The results of ``futures`` in their order, with a progress bar on stderr (done/total,
    time left) while it is a terminal; a failed task raises its error at once."""
    import sys

    from distributed import as_completed
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
        task = progress.add_task(label, total=len(futures))
        for future in as_completed(futures):
            future.result()   # raises the task's error, if any
            progress.advance(task)
    return client.gather(futures)


def run_solves(model, data_dir, tasks: list[dict[str, Any]], scheduler: str | None = None,
               workers: int = 2, chain: int = 1) -> list[dict[str, Any]]:
    """Solve ``model`` on ``data_dir`` once per task (a dict of changed keys), on Dask.

    The data is loaded once here and shipped to each worker once, without its shapes and
    with the coverage of the first task (:meth:`~siteopt.data.Dataset.derive`). With
    ``chain`` above 1, each Dask task solves that many consecutive tasks
    (:func:`solve_chain`).

    Returns
    -------
    list of dict
        :func:`solve_summary` of each task, in task order.
    """
    from siteopt.api import prepare
    from siteopt.data import load_data

    dataset = load_data(data_dir).without_geometry()
    with contextlib.suppress(SiteoptError):   # each point reports its own errors
        prepare(model, dataset, tasks[0])       # the coverage, computed once, shipped with it
    chains = [tasks[i:i + chain] for i in range(0, len(tasks), chain)]
    with dask_client(scheduler, workers) as client:
        shipped = client.scatter(dataset, broadcast=True)
        futures = client.map(solve_chain, [model] * len(chains), [shipped] * len(chains),
                             chains, pure=False)
        label = "solves" if chain == 1 else f"groups of {chain} solves"
        return [summary for part in gather(client, futures, label) for summary in part]
