"""The process's threads for the core, and how work is split between them.

numpy releases the GIL in its loops, so row ranges of one pass run in parallel threads: the
calling thread takes the first range, helper threads (started once, kept for the process) the
others. A forked child (a batch worker) starts helpers of its own. Plain ``threading`` rather
than ``concurrent.futures``, whose import (it brings ``logging``) cost 5 ms of every start.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Callable

import numpy as np

# Below this many output pixels a thread pool costs more than it saves.
MIN_PIXELS_PER_THREAD = 1 << 18

_Task = tuple[Callable[[int, int], None], int, int, "_Done"]


class _Done:
    """Set when a task has run; holds what it raised."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: BaseException | None = None


_tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
_helpers: list[threading.Thread] = []
_lock = threading.Lock()


def _serve() -> None:
    while True:
        work, lo, hi, done = _tasks.get()
        try:
            work(lo, hi)
        except BaseException as exc:  # handed to the caller, which raises it
            done.error = exc
        finally:
            done.event.set()
            # Waiting for the next task must not keep this one's closure, and with it the
            # arrays it reads (a decoded photo), alive.
            del work, done


def _ensure_helpers(count: int) -> None:
    with _lock:
        while len(_helpers) < count:
            helper = threading.Thread(target=_serve, name="poolcli", daemon=True)
            helper.start()
            _helpers.append(helper)


def _after_fork() -> None:
    # A forked child has none of the parent's threads, and maybe a half-taken queue.
    global _tasks, _lock
    _tasks, _lock = queue.SimpleQueue(), threading.Lock()
    _helpers.clear()


os.register_at_fork(after_in_child=_after_fork)


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
    edges = np.linspace(0, rows, workers + 1).astype(int).tolist()
    ranges = list(itertools.pairwise(edges))
    _ensure_helpers(workers - 1)
    done = [_Done() for _ in ranges[1:]]
    for (lo, hi), mark in zip(ranges[1:], done, strict=True):
        _tasks.put((work, lo, hi, mark))
    try:
        work(*ranges[0])
    finally:
        for mark in done:
            mark.event.wait()
    for mark in done:
        if mark.error is not None:
            raise mark.error
