"""The process's pool of threads for the core, and how work is split between them.

numpy releases the GIL in its loops, so row ranges of one pass run in parallel threads. One pool
per size serves every call; a forked child (a batch worker) gets pools of its own.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Below this many output pixels a thread pool costs more than it saves.
MIN_PIXELS_PER_THREAD = 1 << 18


@functools.cache
def executor(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="poolcli")


# A forked child has none of the parent's threads: give it pools of its own.
os.register_at_fork(after_in_child=executor.cache_clear)


def cpu_count() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def split_rows(
    rows: int, pixels: int, threads: int | None, work: Callable[[int, int], None]
) -> None:
    """Call ``work(lo, hi)`` on contiguous row ranges covering ``range(rows)``, one per thread.

    ``threads=None`` uses every core; small jobs (under ``MIN_PIXELS_PER_THREAD`` pixels a
    thread) run on fewer.
    """
    workers = cpu_count() if threads is None else threads
    workers = max(1, min(workers, pixels // MIN_PIXELS_PER_THREAD, rows))
    if workers == 1:
        work(0, rows)
        return
    edges = np.linspace(0, rows, workers + 1).astype(int)
    futures = [executor(workers).submit(work, a, b) for a, b in itertools.pairwise(edges)]
    for future in futures:
        future.result()
