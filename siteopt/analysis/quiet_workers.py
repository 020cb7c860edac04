"""Loaded by each local Dask worker as it starts (Dask's worker ``preload``, from
:func:`siteopt.analysis.engine.dask_client`): the worker logs only what stops it. A task's
error reaches the user through the client; the heartbeat a worker may still send while its
cluster closes failed with an ERROR and a traceback in the user's terminal (the explorer's,
after a budget sweep there was stopped)."""

import logging

logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)
