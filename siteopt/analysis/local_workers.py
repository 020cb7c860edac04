"""Loaded by each local Dask worker as it starts (Dask's worker ``preload``, from
:func:`siteopt.analysis.engine.dask_client`).

- The worker logs only what stops it. A task's error reaches the user through the client;
  the heartbeat a worker may still send while its cluster closes failed with an ERROR and a
  traceback in the user's terminal (the explorer's, after a budget sweep there was stopped).
- A worker told to close (its cluster closes: the work was stopped, by Ctrl-C or the
  explorer's Stop) first stops the solve it runs, as :func:`siteopt.interrupt.ask_to_stop`
  stops one here. Otherwise Dask waits 4 s for the task to end before it kills the worker,
  and Stop in the explorer took 4.4 s to answer.
"""

import logging

from siteopt.interrupt import ask_to_stop

logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)


def dask_teardown(worker) -> None:
    """Dask's hook for a preload as its worker closes: stop the worker's running solve."""
    ask_to_stop()
