"""Running many inputs: worker processes, Ctrl-C and SIGTERM, and the run's report.

Never prints: callers get a :class:`~poolcli.batch.report.Result` per input as it finishes and a
:class:`~poolcli.batch.report.Report` at the end, whose ``exit_code`` is the command's. Usable from
Python without the CLI::

    import poolcli
    spec = poolcli.PoolSpec("avg", size=2)
    report = poolcli.process(["photos/"], spec, output="small/", recursive=True)
    print(report.done, report.failed, report.exit_code)
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

from poolcli.batch.inputs import Source, expand_inputs
from poolcli.batch.naming import check_pass_names, check_template, find_collisions
from poolcli.batch.pipeline import Interrupted, run_one
from poolcli.batch.report import Report, Result
from poolcli.batch.run_options import RunOptions
from poolcli.batch.shared_outputs import page, shared_sheet
from poolcli.batch.targets import plan_one
from poolcli.batch.worker_process import worker_init, worker_run
from poolcli.core.threads import cpu_count
from poolcli.errors import ParameterError, PoolError
from poolcli.io.atomic import check_folder
from poolcli.remote import listing, storage
from poolcli.spec.formats import DEFAULT_SAVE, SaveOptions
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import PoolSpec

if TYPE_CHECKING:
    from concurrent.futures import Future


def run_batch(
    sources: Sequence[Source],
    run: RunOptions,
    *,
    jobs: int | None = None,
    on_result: Callable[[Result], None] | None = None,
    sigterm: bool = False,
    dask: str | None = None,
    keep_results: bool = True,
) -> Report:
    """Run ``run`` on every source, ``jobs`` worker processes at a time (None: one per CPU),
    or on the Dask cluster at ``dask`` (an address, or ``local[:N]``; see
    :mod:`poolcli.batch.cluster`).

    A single input, or ``jobs=1``, runs in this process, the single input with the core's
    threads on every core. Each of several workers uses ``cpus // jobs`` threads. Results
    arrive through ``on_result`` in completion order. Ctrl-C stops the workers, leaves no
    partial file, and gives a report with ``interrupted`` set; so do SIGTERM and SIGHUP with
    ``sigterm=True``, which the command line sets (a library leaves the host's handler alone).
    With ``no_clobber`` and an output URL, the output prefix is listed once, up front.
    ``keep_results=False`` keeps only what the summary needs (see :class:`Report`).
    """
    # What is missing or impossible is said once, before any input is read.
    remote = [u for u in (run.output, sources[0].path if sources else None) if u]
    storage.require(remote)
    if dask is not None:
        from poolcli.batch.cluster import require_dask

        require_dask()
    if run.write_images and not run.dry_run and not storage.is_remote(run.output or ""):
        if run.output_kind == "folder":
            check_folder(run.folder)
        elif run.output_kind == "file":
            check_folder(Path(storage.local(run.output or "")).parent)
    report = Report(total=len(sources), keep_results=keep_results)
    run = replace(run, run_id=os.urandom(8).hex())
    storage.configure(run.storage_options, run.run_id)
    if run.sheet not in (None, "auto") and len(sources) > 1:
        run = replace(run, shared_sheet=True)
    if run.html is not None:
        from poolcli.pictures.explorer import SHOWN_MODES

        explorable = run.spec.mode in SHOWN_MODES and run.spec.ignore is None
        run = replace(run, html_gallery=len(sources) > 1 or not explorable)
    cpus = cpu_count()
    jobs = max(1, min(jobs or cpus, len(sources) or 1))
    run = replace(run, max_memory=run.max_memory // jobs)  # the run's memory, shared
    check_pass_names(run)
    collisions = find_collisions(sources, run)
    if collisions:
        more = f" (and {len(collisions) - 1} more)" if len(collisions) > 1 else ""
        raise ParameterError(collisions[0] + more)

    streak = 0  # inputs in a row whose storage failed every retry

    def record(result: Result) -> None:
        nonlocal streak
        report.add(result)
        if on_result is not None:
            on_result(result)
        streak = streak + 1 if result.unreachable else 0
        if streak == DOWN_AFTER:  # once: results handed back while stopping add to it
            raise StorageDown(
                f"the storage service failed {DOWN_AFTER} inputs in a row after every retry; "
                "it looks down, so the run stopped"
            )

    known = None
    if run.no_clobber and isinstance(run.writes_to, str) and not run.dry_run:
        known = listing.list_keys(run.writes_to)  # once, rather than a request an output
    # A hang-up (the terminal closed) stops a run as SIGTERM does.
    stops = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {number: signal.getsignal(number) for number in (stops if sigterm else [])}
    for number in previous:
        signal.signal(number, _raise_interrupt)
    try:
        threads = None if len(sources) == 1 else max(1, cpus // jobs)
        if run.dry_run:  # headers only: fast enough in this process
            for source in sources:
                record(plan_one(source, run))
            return report
        if dask is not None:
            from poolcli.batch.cluster import run_on_dask

            if any(source.path == "-" for source in sources):
                raise ParameterError("--dask cannot read standard input; give files or URLs")
            run_on_dask(sources, run, dask, record, known)
        else:
            with storage.listed_outputs(known):  # forked workers inherit it
                _run_local(sources, run, jobs, threads, cpus, record)
        if run.shared_sheet:
            shared_sheet(sources, run, report)
        if run.html is not None and not run.dry_run:
            page(sources, run, report)
    except KeyboardInterrupt as stop:
        if isinstance(stop, Interrupted):
            record(stop.result)
        report.interrupted = True
    except StorageDown as down:
        report.stopped = str(down)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return report


class StorageDown(PoolError):
    """:data:`DOWN_AFTER` inputs in a row found the storage service down: the run stops
    rather than spend every retry on each input left."""


# Inputs in a row that fail every retry of the storage before a run stops: one is a blip,
# an object that fails for its own reasons; several in a row is the service.
DOWN_AFTER = 3


def _run_local(
    sources: Sequence[Source],
    run: RunOptions,
    jobs: int,
    threads: int | None,
    cpus: int,
    record: Callable[[Result], None],
) -> None:
    if jobs == 1:
        for source in sources:
            record(run_one(source, run, threads))
    else:
        _run_in_workers(sources, run, jobs, max(1, cpus // jobs), record)


def process(
    paths: Sequence[str],
    spec: PoolSpec,
    *,
    output: str | None = None,
    recursive: bool = False,
    jobs: int | None = None,
    on_result: Callable[[Result], None] | None = None,
    name: str | None = None,
    final_only: bool = False,
    save: SaveOptions = DEFAULT_SAVE,
    linear: bool = False,
    no_clobber: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    unpool: Literal["dark", "dim"] | None = None,
    winners: bool = False,
    dask: str | None = None,
    storage_options: dict[str, str] | None = None,
) -> Report:
    """Pool files and folders ``paths`` by ``spec`` into ``output``, as ``poolimg`` does.

    Parameters
    ----------
    paths : sequence of str
        Image files, folders (their image files; ``recursive`` descends), or "-" (stdin).
    spec : PoolSpec
        Mode, window, stride, padding and passes.
    output : str or None
        A folder (default ``poolimg-out/``), one file (one input, one image), or "-".
    jobs : int or None
        Worker processes; None: one per CPU.
    on_result : callable or None
        Called with each input's :class:`~poolcli.batch.report.Result` as it finishes.
    name : str or None
        A ``--name`` template (see :mod:`poolcli.batch.naming`).
    final_only, save, linear, no_clobber, max_pixels
        As ``--final-only``, the format options, ``--linear``, ``--no-clobber`` and
        ``--max-pixels`` (None: no limit).
    unpool, winners
        As ``--unpool-background`` (None: no unpooled pictures) and ``--winners``, for max,
        min and stochastic specs.
    dask : str or None
        As ``--dask``: a scheduler's address, or ``"local"`` / ``"local:N"``; None runs
        ``jobs`` worker processes here.
    storage_options : dict or None
        fsspec options for URLs in ``paths`` and ``output`` (``{"endpoint_url": ...}``);
        credentials come from the environment, as for the command line.

    Returns
    -------
    Report
        Counts, every result, and the exit code the command would give.

    Raises
    ------
    ParameterError
        If the template cannot name the outputs safely, or two inputs would write one file;
        every other problem is recorded in the report.
    """
    if name is not None:
        check_template(name)
    if (unpool is not None or winners) and not spec.indexed:
        raise ParameterError(
            f"unpool and winners need a mode that keeps one pixel a window (max, min, "
            f"stochastic without evaluate), not {spec.mode}"
        )
    run = RunOptions(
        spec,
        output=output,
        name=name,
        final_only=final_only,
        save=save,
        linear=linear,
        no_clobber=no_clobber,
        max_pixels=max_pixels,
        unpool="dark" if winners and unpool is None else unpool,
        winners=winners,
        storage_options=tuple(
            storage.parse_option(f"{k}={v}") for k, v in (storage_options or {}).items()
        ),
    )
    storage.configure(run.storage_options)
    sources = expand_inputs(paths, recursive=recursive, exclude=run.writes_to)
    return run_batch(sources.sources, run, jobs=jobs, on_result=on_result, dask=dask)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run_in_workers(
    sources: Sequence[Source],
    run: RunOptions,
    jobs: int,
    threads: int,
    record: Callable[[Result], None],
) -> None:
    # Imported here: a single input never pays for multiprocessing's start-up.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    method = "fork" if sys.platform == "linux" else "spawn"
    context = multiprocessing.get_context(method)
    # The pool's workers are the processes this run starts: multiprocessing's public list of
    # children, less those alive before (ProcessPoolExecutor has no public way to stop its own
    # workers before Python 3.14's terminate_workers).
    elders = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(jobs, context, initializer=worker_init)
    pending: dict[Future[Result], Source] = {}
    broken: list[Source] = []  # inputs whose worker died, or that died with it
    dead = False  # the pool lost a worker: it takes no more work
    queue = iter(sources)
    try:
        while True:
            while not dead and len(pending) < 2 * jobs and (following := next(queue, None)):
                try:
                    pending[pool.submit(worker_run, following, run, threads)] = following
                except BrokenProcessPool:  # it broke before its futures said so
                    broken.append(following)
                    dead = True
            if not pending:
                if not dead:
                    break
                # every input the dead pool held is back: a new pool for the rest
                pool.shutdown(wait=False)
                pool = ProcessPoolExecutor(jobs, context, initializer=worker_init)
                dead = False
                continue
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                source = pending.pop(future)
                if isinstance(future.exception(), BrokenProcessPool):
                    broken.append(source)
                    dead = True
                else:
                    record(future.result())
        for source in broken:  # one at a time, so a crash takes nothing else with it
            record(_run_alone(source, run, threads, context))
    except BaseException:
        # Stop every worker: SIGTERM interrupts a run inside the atomic writer, which removes
        # its temporary file, and the worker hands back what it had written. Wait for them, so
        # nothing is left behind and the report lists every complete file.
        processes = [p for p in multiprocessing.active_children() if p not in elders]
        pool.shutdown(wait=False, cancel_futures=True)
        for process_ in processes:
            with contextlib.suppress(OSError):
                process_.terminate()
        finished, _ = wait(list(pending), timeout=10)
        for future in finished:
            if not future.cancelled() and future.exception() is None:
                record(future.result())
        for process_ in processes:
            process_.join(timeout=10)
            if process_.is_alive():  # stuck in a C call that signals cannot interrupt
                process_.kill()
        raise
    pool.shutdown()


def _run_alone(source: Source, run: RunOptions, threads: int, context: Any) -> Result:
    """Run one input in a worker of its own; if that worker dies too (a decoder crashing on
    the file), the input fails and the run goes on."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(1, context, initializer=worker_init) as alone:
        try:
            return alone.submit(worker_run, source, run, threads).result()
        except BrokenProcessPool:
            return Result(
                source.path,
                "failed",
                error=f"{source.shown}: the worker decoding it died (a crash in a decoder?)",
            )
