"""Running a batch on a Dask cluster (``--dask``): inputs in chunks, a bounded number of chunks
in flight, results handed back as each chunk finishes.

Dask (``pip install "poolimg[dask]"``) is imported only here, and only when ``--dask`` is given.
Never prints: results reach the caller's ``record`` (the same one the local runner feeds), so
JSON lines, progress, the summary and the exit code come from one place.

Why chunks: one task per file costs the scheduler about 10 ms and the client about 11 KB a
pending task (measured: 20,000 files took 169-282 s of overhead); a chunk of up to
:data:`CHUNK` inputs, with :data:`IN_FLIGHT` chunks a worker at a time, keeps the overhead per
input small and the client's memory bounded whatever the number of inputs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from poolcli import __version__
from poolcli.batch.inputs import Source
from poolcli.batch.pipeline import run_one
from poolcli.batch.report import Result
from poolcli.batch.run_options import RunOptions
from poolcli.core.threads import cpu_count
from poolcli.errors import ParameterError, missing_extra
from poolcli.remote import storage

CHUNK = 100  # inputs a task, at most
IN_FLIGHT = 4  # chunks a worker at a time: one running, the next ones queued on it
# The loggers Dask's configuration gives a level and a handler of their own; the rest of
# distributed's loggers take the first one's level.
_LOGGERS = ("distributed", "distributed.client", "tornado.application")


def connect(address: str) -> tuple[Any, Any]:
    """A Dask client of the scheduler at ``address``, or of a new ``LocalCluster`` of worker
    processes for ``local`` / ``local:N``; and that cluster (None for a scheduler's address).

    Raises
    ------
    ParameterError
        Dask is not installed, the address is malformed, or the scheduler does not answer.
    """
    require_dask()
    import dask
    from distributed import Client, LocalCluster

    if address == "local" or address.startswith("local:"):
        count = address.partition(":")[2]
        if count and (not count.isdigit() or int(count) < 1):
            raise ParameterError(f"--dask {address}: give local or local:N, N a whole number")
        # Workers forked from this process start in 0.17 s, not the 0.78 s of spawning
        # interpreters that import Dask and poolcli again; Dask supports the method, and
        # fsspec and poolcli.remote.storage make their loops and file systems anew after a fork.
        # And no pausing at 80% of a worker's memory: poolcli's tasks keep no data for Dask
        # to spill, and a worker whose freed memory the allocator keeps stays paused, with
        # every task queued on it (seen with a big photo: the run never ended).
        # Logs at CRITICAL only, as _quiet_logs has them.
        method = "fork" if sys.platform == "linux" else "spawn"
        settings = {
            "distributed.worker.multiprocessing-method": method,
            "distributed.worker.memory.pause": False,
        }
        with dask.config.set(settings):
            cluster = LocalCluster(
                n_workers=int(count) if count else cpu_count(),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.CRITICAL,
            )
        return Client(cluster), cluster
    try:
        return Client(address, timeout="15s"), None
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ParameterError(f"--dask {address}: cannot reach the scheduler ({reason})") from None


def _version() -> str:
    return __version__


def check_versions(client: Any, address: str) -> int:
    """Refuse a cluster whose workers run another poolcli; return how many workers it has.

    Raises
    ------
    ParameterError
        No worker, or a worker whose poolcli is another version (or missing).
    """
    try:
        versions = client.run(_version)
    except Exception as exc:  # a worker without poolcli cannot unpickle the call
        raise ParameterError(
            f"--dask {address}: a worker cannot run poolcli ({type(exc).__name__}: {exc}); "
            f"install poolcli {__version__} on every worker"
        ) from None
    if not versions:
        raise ParameterError(f"--dask {address}: the cluster has no workers")
    for worker, version in sorted(versions.items()):
        if version != __version__:
            raise ParameterError(
                f"--dask {address}: worker {worker} runs poolcli {version}, this command "
                f"{__version__}; install the same version on every worker"
            )
    return len(versions)


def _sharing(client: Any) -> dict[str, int]:
    """How many task slots each host of the cluster runs (its workers' threads, summed)."""
    hosts: dict[str, int] = {}
    for worker in client.scheduler_info(n_workers=-1)["workers"].values():
        hosts[worker["host"]] = hosts.get(worker["host"], 0) + worker["nthreads"]
    return hosts


def run_chunk(
    sources: Sequence[Source],
    run: RunOptions,
    sharing: dict[str, int],
    known: frozenset[str] | None,
) -> list[Result]:
    """A task: run each input of a chunk, as the local runner does (every failure a result),
    with the core's threads on this host's CPUs shared by the task slots there."""
    from distributed import get_worker
    from distributed.comm.addressing import get_address_host

    host = get_address_host(get_worker().address)
    threads = max(1, cpu_count() // sharing.get(host, 1))
    with storage.listed_outputs(known):
        return [run_one(source, run, threads) for source in sources]


def _chunks(sources: Sequence[Source], size: int) -> Iterator[list[Source]]:
    for start in range(0, len(sources), size):
        yield list(sources[start : start + size])


def require_dask() -> None:
    """Refuse ``--dask`` up front, once, where Dask's distributed scheduler is not installed.

    Raises
    ------
    ParameterError
        Naming the extra to install.
    """
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise missing_extra("--dask needs Dask's distributed scheduler", "dask") from None


def run_on_dask(
    sources: Sequence[Source],
    run: RunOptions,
    address: str,
    record: Callable[[Result], None],
    known: frozenset[str] | None = None,
) -> None:
    """Run every source on the cluster at ``address``, handing each result to ``record`` as
    its chunk finishes. ``known``: the output prefix as listed (``--no-clobber``).

    A worker that dies takes its chunk back to the scheduler, which runs it again elsewhere;
    a chunk that kills workers again and again (out of memory, a decoder crash: Dask's
    ``KilledWorker``) is run an input a task; an input whose own task does so gets one more
    try, alone among the suspects, and fails if that kills its worker too. Ctrl-C cancels
    every chunk not finished.
    """
    with _quiet_logs():
        _run_on_dask(sources, run, address, record, known)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Dask's and tornado's logs at CRITICAL only, for a run: poolimg reports every input's
    failure itself. Set before the workers fork, so that they inherit it.

    Two leaks this stops, both seen under load after every input had been written: results
    still in flight when the client closes end in ``CommClosedError``, which tornado logs with
    a traceback; and a worker's heartbeat that meets the scheduler closing logs an ERROR with
    a traceback, after the worker has put back its own log levels.
    """
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _run_on_dask(
    sources: Sequence[Source],
    run: RunOptions,
    address: str,
    record: Callable[[Result], None],
    known: frozenset[str] | None,
) -> None:
    from distributed import as_completed

    client, cluster = connect(address)
    tasks: _Tasks | None = None
    try:
        workers = check_versions(client, address)
        # One object (in a list: Dask would scatter a set's members one by one), sent to each
        # worker once rather than inside every chunk.
        shared = client.scatter([known], broadcast=True)[0] if known is not None else None
        tasks = _Tasks(client, run, _sharing(client), shared)
        # Sixteen chunks a worker at least: the last chunks finish close together.
        size = max(1, min(CHUNK, math.ceil(len(sources) / (workers * 16))))
        queue = _chunks(sources, size)
        first = [tasks.submit(c) for _, c in zip(range(workers * IN_FLIGHT), queue, strict=False)]
        # with_results: results are fetched as they complete, in the background, rather
        # than by a round trip for each (measured: 19 ms a chunk, 2.7 s per 10,000 inputs)
        running = as_completed(first, with_results=True, raise_errors=False)
        del first
        for future, outcome in running:
            for result in tasks.settle(future, outcome, running):
                record(result)
            following = next(queue, None)
            if following is not None:
                running.add(tasks.submit(following))
    except BaseException:  # Ctrl-C, a closed stdout, a storage service down: stop the rest
        if tasks is not None and tasks.chunks:
            client.cancel(list(tasks.chunks), force=True)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Tasks:
    """The chunks a Dask run has in flight, and what a finished one means.

    A chunk that kills workers again and again (Dask's ``KilledWorker``) is split into one
    input a task; an input whose own task is killed gets a second try, one suspect at a time
    (an innocent queued behind a killer on its worker is not killed with it again), and
    fails alone if that kills its worker too.
    """

    def __init__(self, client: Any, run: RunOptions, sharing: Any, shared: Any) -> None:
        self.client, self.run, self.sharing, self.shared = client, run, sharing, shared
        self.chunks: dict[Any, list[Source]] = {}  # the futures not finished, and their inputs
        self.suspects: set[Source] = set()
        self.quarantine: deque[Source] = deque()
        self.held: Any = None  # the one quarantined task in flight

    def submit(self, chunk: list[Source]) -> Any:
        future = self.client.submit(
            run_chunk, chunk, self.run, self.sharing, self.shared, pure=False
        )
        self.chunks[future] = chunk
        return future

    def settle(self, future: Any, outcome: Any, running: Any) -> list[Result]:
        """The results of a finished chunk (none if it is to run again), after adding to
        ``running`` whatever it leaves to do."""
        from distributed.scheduler import KilledWorker

        chunk = self.chunks.pop(future)
        # the chunk failed: Dask hands back its error's type; the future has the error
        error = None if isinstance(outcome, list) else future.exception()
        # Let the cluster forget it: a result kept on a worker is recomputed when that
        # worker dies (behind an input that kills workers, again and again), and a
        # million kept results would fill the workers.
        future.release()
        if future is self.held:
            self.held = None
        if error is not None and not isinstance(error, KilledWorker):
            raise error
        results: list[Result] = outcome if error is None else []
        if error is not None and len(chunk) > 1:  # one of them kills workers: find which
            for source in chunk:
                running.add(self.submit([source]))
        elif error is not None and chunk[0] not in self.suspects:
            self.suspects.add(chunk[0])
            self.quarantine.append(chunk[0])
        elif error is not None:
            message = (
                f"{chunk[0].shown}: killed every worker that ran it (out of the "
                "worker's memory, or a crash in a decoder?)"
            )
            results = [Result(chunk[0].path, "failed", error=message)]
        if self.quarantine and self.held is None:
            self.held = self.submit([self.quarantine.popleft()])
            running.add(self.held)
        return results
