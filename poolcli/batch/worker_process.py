"""Inside one worker process of a local run: how it stops cleanly.

The parent decides when a run stops. Ctrl-C and a terminal's hang-up reach every process of
the terminal's group, so workers ignore both; the parent stops them with SIGTERM, which
interrupts an input inside the atomic writer (its temporary file removed) and hands back what
the input had written. On Linux a worker also gets SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``), even by SIGKILL; an orphan has no one to hand results to, so it exits
as soon as the input's cleanup is done.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from poolcli.batch.inputs import Source
from poolcli.batch.pipeline import Interrupted, run_one
from poolcli.batch.report import EXIT_INTERRUPTED, Result
from poolcli.batch.run_options import RunOptions

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_parent = 0  # the parent's pid, read at fork: a worker whose parent is another is an orphan
_in_job = False
_stopping = False


def worker_init() -> None:
    """The initializer of every worker process."""
    global _parent  # noqa: PLW0603 (per-process state read by the signal handler)
    _parent = os.getppid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # not on Windows
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)
    if sys.platform == "linux":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if _orphaned():  # the parent died before the line above could tell us
        os._exit(EXIT_INTERRUPTED)


def _orphaned() -> bool:
    return os.getppid() != _parent


def _worker_stop(signum: int, frame: FrameType | None) -> None:
    global _stopping  # noqa: PLW0603 (per-process flag set by the signal handler)
    _stopping = True
    if _in_job:
        raise KeyboardInterrupt  # unwinds through the atomic writer, which removes its file
    if _orphaned():
        os._exit(EXIT_INTERRUPTED)
    # Idle: the executor's shutdown ends this process; exiting here would make it cancel the
    # results other workers are still handing back.


def worker_run(source: Source, run: RunOptions, threads: int) -> Result:
    """Run one input in this worker (what the parent submits)."""
    global _in_job  # noqa: PLW0603 (per-process flag read by the signal handler)
    if _stopping:  # queued before the stop: do not start it
        return Result(source.path, "interrupted", error=f"{source.shown}: interrupted")
    _in_job = True
    try:
        return run_one(source, run, threads)
    except Interrupted as stop:
        if _orphaned():
            os._exit(EXIT_INTERRUPTED)
        return stop.result  # what it wrote before the stop, for the parent's report
    except KeyboardInterrupt:
        os._exit(EXIT_INTERRUPTED)
    finally:
        _in_job = False
