"""Work side by side on the cores this process may use, with answers that do not depend on
how many there are."""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor


def cores() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


def in_threads(function, items):
    """``map(function, items)`` with one thread per core, results in order, at most one
    finished result waiting per thread.

    NumPy and the compiled loops release the GIL in their work, so blocks of coverage (or
    parts of a sum) are computed side by side; callers make the answer the same on any
    number of cores. BLAS is held to one thread meanwhile: its own threads would compete
    with these (at 1,000 sites x 1,000,000 points, 6.1 s with them against 4.3 s without,
    on 2 cores).
    """
    threads = cores()
    if threads <= 1 or len(items) <= 1:
        yield from map(function, items)
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(max_workers=threads) as pool:
        running = deque()
        for item in items:
            running.append(pool.submit(function, item))
            if len(running) > threads:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()


def in_parts(function, parts: list) -> list:
    """``[function(part) for part in parts]``, the parts side by side on threads (one each;
    for compiled loops that release the GIL and use no BLAS), results in order."""
    if len(parts) <= 1:
        return [function(part) for part in parts]
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        return list(pool.map(function, parts))
