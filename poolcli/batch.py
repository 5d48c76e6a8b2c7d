"""Running pooling over many files: inputs, output names, worker processes and the report.

Never prints: callers get a :class:`Result` per input as it finishes and a :class:`Report`
at the end, whose ``exit_code`` is the command's. Usable from Python without the CLI::

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
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal

from .bands import cpu_count
from .errors import OutputError, ParameterError, PoolError
from .formats import COMMON_FORMATS, IMAGE_SUFFIXES, SaveOptions, extension_for
from .geometry import PoolSpec, plan_passes, size_text
from .limits import DEFAULT_MAX_PIXELS
from .naming import PASS_FIELDS, checked_name, template_fields
from .sheet import SheetStyle

if TYPE_CHECKING:
    from concurrent.futures import Future

DEFAULT_OUTPUT = "poolimg-out"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@dataclass(frozen=True)
class Source:
    """One input: ``path`` as given ("-" for standard input), ``rel`` where its outputs go
    below the output folder (its path inside the folder it was found in)."""

    path: str
    rel: Path

    @property
    def stem(self) -> str:
        return "stdin" if self.path == "-" else Path(self.path).stem


@dataclass
class Inputs:
    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why", for -v
    warnings: list[str] = field(default_factory=list)  # "path: why", always shown


@dataclass(frozen=True)
class Job:
    """Everything a run does to each input.

    ``output`` is a folder, a file (one input, one image) or "-" (standard output, the final
    pass only); None means ``poolimg-out/``. ``name`` is a template of
    :data:`poolcli.naming.TEMPLATE_FIELDS`.
    """

    spec: PoolSpec
    output: str | None = None
    name: str | None = None
    final_only: bool = False
    save: SaveOptions = field(default_factory=SaveOptions)
    linear: bool = False
    no_clobber: bool = False
    max_pixels: int | None = DEFAULT_MAX_PIXELS  # None: no limit
    write_images: bool = True
    sheet: str | None = None  # "auto": one sheet per input beside its outputs; else a path
    sheet_only: bool = False
    sheet_style: SheetStyle = field(default_factory=SheetStyle)
    shared_sheet: bool = False  # several inputs, one sheet: workers return rows, not files

    @property
    def output_kind(self) -> Literal["folder", "file", "stdout"]:
        if self.output == "-":
            return "stdout"
        if self.output is None or self.output.endswith(("/", os.sep)) or Path(self.output).is_dir():
            return "folder"
        return "file" if Path(self.output).suffix else "folder"

    @property
    def folder(self) -> Path:
        return Path(self.output or DEFAULT_OUTPUT) if self.output_kind == "folder" else Path(".")

    @property
    def writes_to(self) -> Path | None:
        """The output folder, whose files must never be taken as inputs; None if none."""
        return self.folder if self.output_kind == "folder" and self.write_images else None


@dataclass
class Output:
    path: str
    width: int
    height: int
    pass_: int  # 0 for a contact sheet
    bytes: int
    kind: Literal["pass", "sheet"] = "pass"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pass"] = data.pop("pass_")
        return data


@dataclass
class Result:
    """What happened to one input."""

    input: str
    status: Literal["done", "failed", "skipped", "interrupted"]
    outputs: list[Output] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    usage_error: bool = False  # a plan that cannot work, rather than a bad file
    internal: str | None = None  # the traceback of a bug in poolcli, for -v
    values: dict[str, list[float]] | None = None  # --global: channel values by mode
    channels: str | None = None
    seconds: float = 0.0
    sheet_row: list[tuple[Any, str]] | None = None  # (RGB array, label) cells, shared sheets

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input": self.input,
            "status": self.status,
            "outputs": [o.as_json() for o in self.outputs],
            "error": self.error,
        }
        if self.warnings:
            data["warnings"] = self.warnings
        if self.values is not None:
            data["channels"] = self.channels
            data["global"] = self.values
        return data


@dataclass
class Report:
    """Counts of a run and the exit code they make."""

    total: int = 0  # inputs of the run
    done: int = 0
    failed: int = 0
    skipped: int = 0
    usage_errors: int = 0
    written: int = 0
    interrupted: bool = False
    started: float = field(default_factory=time.monotonic)
    results: list[Result] = field(default_factory=list)
    sheet: Output | None = None  # the one sheet of several inputs
    sheet_error: str | None = None

    def add(self, result: Result) -> None:
        self.results.append(result)
        if result.status == "failed":
            self.failed += 1
            self.usage_errors += result.usage_error
        elif result.status == "skipped":
            self.skipped += 1
        elif result.status == "done":
            self.done += 1
        self.written += len(result.outputs)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.failed and self.failed == self.usage_errors == len(self.results):
            return EXIT_USAGE  # nothing could run: the plan, not the files, is wrong
        return EXIT_FAILED if self.failed or self.sheet_error else EXIT_OK


# ------------------------------------------------------------------------------- inputs


def expand_inputs(
    paths: Sequence[str],
    *,
    recursive: bool = False,
    exclude: Path | None = None,
    listed: Sequence[str] = (),
) -> Inputs:
    """Turn files, folders and "-" into a list of sources.

    Folders give the image files in them (by extension; ``recursive`` descends, following
    symlinks but never round a loop), their outputs mirroring the tree below the folder;
    explicit files are taken whatever their extension, so a non-image file named on purpose
    fails loudly, and their outputs go straight into the output folder. ``listed`` files (from
    ``--files-from``, typically ``find`` output) keep their relative path below the output
    folder, as ``rsync --files-from`` does. A folder walk leaves out ``exclude`` (the output
    folder), so a second run never takes the first one's outputs as inputs; a file named
    explicitly is an input wherever it is (``poolimg max photo.jpg -o .`` writes beside it).
    """
    inputs = Inputs()
    excluded = _real(exclude) if exclude is not None else None
    for given in listed:
        path = Path(given)
        keeps_tree = not path.is_absolute() and ".." not in path.parts
        inputs.sources.append(Source(given, path if keeps_tree else Path(path.name)))
    for given in paths:
        if given == "-":
            inputs.sources.append(Source("-", Path("stdin")))
            continue
        path = Path(given)
        if not path.is_dir():
            inputs.sources.append(Source(given, Path(path.name)))
            continue
        for file in _walk(path, recursive, excluded, inputs):
            inputs.sources.append(Source(str(file), file.relative_to(path)))
    return inputs


def read_file_list(text: str, null: bool) -> list[str]:
    """Paths from ``--files-from`` content: one a line, or NUL-separated with ``null``."""
    parts = text.split("\0") if null else text.splitlines()
    return [p for p in parts if p.strip()] if not null else [p for p in parts if p]


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _walk(root: Path, recursive: bool, excluded: Path | None, inputs: Inputs) -> Iterator[Path]:
    seen: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = _real(folder)
        if real in seen:
            inputs.warnings.append(f"{folder}: a symlink loop, not followed")
            continue
        seen.add(real)
        if excluded is not None and _inside(real, excluded):
            inputs.skipped.append(f"{folder}: the output folder")
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            inputs.warnings.append(f"{folder}: cannot be listed ({_reason(exc)})")
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                if not is_dir and entry.is_symlink():
                    os.stat(path)  # a link to itself, or a loop of links, raises here
            except OSError as exc:
                inputs.warnings.append(f"{path}: {_reason(exc)}, skipped")
                continue
            if is_dir:
                if recursive:
                    subfolders.append(path)
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES:
                yield path
            else:
                inputs.skipped.append(f"{path}: not an image file name")
        stack.extend(reversed(subfolders))


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


# -------------------------------------------------------------------------------- names


def default_template(spec: PoolSpec) -> str:
    padding = "" if spec.padding == "valid" else "_{padding}"
    return "{stem}_{mode}_k{size}_s{stride}" + padding + "_p{pass}.{ext}"


def output_name(
    source: Source,
    job: Job,
    ext: str,
    index: int | str,
    size: tuple[Any, Any],
    template: str | None = None,
) -> Path:
    """Where pass ``index`` of ``source`` is written (``size`` is its width, height)."""
    spec = job.spec
    stride = spec.size if spec.stride is None else spec.stride
    values = {
        "stem": source.stem,
        "ext": ext,
        "mode": spec.mode,
        "size": size_text(spec.size, short=True),
        "stride": size_text(stride, short=True),
        "padding": str(spec.padding),
        "pass": index,
        "width": size[0],
        "height": size[1],
    }
    if job.output_kind == "file" and template is None:
        return Path(job.output or "")
    name = (template or job.name or default_template(spec)).format(**values)
    return job.folder / source.rel.parent / checked_name(name, _display(source))


def sheet_path(source: Source, job: Job) -> Path:
    """Where ``--sheet`` without a path puts an input's contact sheet: beside its outputs."""
    if job.sheet not in (None, "auto"):
        return Path(job.sheet or "")
    if job.output_kind == "file":
        output = Path(job.output or "")
        return output.with_name(f"{output.stem}_sheet.png")
    template = default_template(job.spec).replace("_p{pass}.{ext}", "_sheet.png")
    return output_name(source, job, "png", 0, (0, 0), template)


def find_collisions(sources: Sequence[Source], job: Job) -> list[str]:
    """Inputs that would write the same output path, as messages; checked before any work."""
    if job.output_kind != "folder":
        return []
    owners: dict[Path, str] = {}
    clashes = []
    for source in sources:
        ext = _extension(source, job)
        try:  # the passes of two inputs share a name if their first ones do
            first = output_name(source, job, ext, 1, (0, 0))
        except OutputError:
            continue  # a name that cannot be written fails that input on its own
        key = Path(os.path.normcase(os.path.abspath(first)))
        if key in owners:
            try:
                pattern = output_name(source, job, ext, "{pass}", ("{width}", "{height}"))
            except (ValueError, OutputError):  # a format such as {pass:03} wants a number
                pattern = first
            clashes.append(f"{source.path} and {owners[key]} would both write {pattern}")
        else:
            owners[key] = source.path
    return clashes


def check_pass_names(job: Job) -> None:
    """Refuse, before any file is read, a template that names every pass of an input alike.

    Raises
    ------
    ParameterError
        If more than one pass of each input is written and the template uses none of
        ``{pass}``, ``{width}``, ``{height}``.
    """
    spec = job.spec
    several = spec.passes == "all" or (isinstance(spec.passes, int) and spec.passes > 1)
    writes_passes = job.write_images and not job.sheet_only and not job.final_only
    if (
        job.name is not None
        and job.output_kind == "folder"
        and several
        and writes_passes
        and not template_fields(job.name) & PASS_FIELDS
    ):
        raise ParameterError(
            f"--name {job.name!r} gives every pass of an input the same name; add {{pass}}, "
            "or write only the last pass with --final-only"
        )


def _check_distinct(targets: dict[str, str]) -> None:
    """Refuse two outputs of one input (by what they are) that would write one path."""
    owners: dict[str, str] = {}
    for what, path in targets.items():
        if path == "-":
            continue
        key = os.path.normcase(os.path.abspath(path))
        if key in owners:
            raise ParameterError(
                f"{owners[key]} and {what} would both write {path}; add {{pass}} to --name"
            )
        owners[key] = what


def _extension(source: Source, job: Job, format_name: str | None = None) -> str:
    if job.save.format:
        return extension_for(job.save.format)
    suffix = Path(source.path).suffix.lower()
    if source.path == "-" or suffix not in COMMON_FORMATS:
        return extension_for(format_name or "PNG")
    return suffix.lstrip(".")


# ------------------------------------------------------------------------------ running


def run_one(source: Source, job: Job, threads: int | None = None) -> Result:
    """Load, pool and write one input; every failure becomes a failed Result.

    A bug in poolcli fails the input too (``internal`` set, the traceback kept for ``-v``)
    rather than the run. Ctrl-C raises :class:`Interrupted`, carrying the result so far: the
    passes written completely before it are on disk and listed.
    """
    started = time.monotonic()
    result = Result(source.path, "done")
    try:
        result = _run_one(source, job, threads, result)
    except ParameterError as exc:
        result = Result(source.path, "failed", error=f"{_display(source)}: {exc}", usage_error=True)
    except PoolError as exc:
        result = Result(source.path, "failed", error=str(exc), outputs=result.outputs)
    except MemoryError:
        result = Result(source.path, "failed", error=f"{_display(source)}: not enough memory")
    except KeyboardInterrupt:
        result.status, result.error = "interrupted", f"{_display(source)}: interrupted"
        raise Interrupted(result) from None
    except Exception as exc:  # a bug: say so, and go on with the other inputs
        result = Result(
            source.path,
            "failed",
            error=f"{_display(source)}: internal error ({type(exc).__name__}: {exc}); "
            "please report it with the file",
            outputs=result.outputs,
            internal=traceback.format_exc(),
        )
    result.seconds = time.monotonic() - started
    return result


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during one input; ``result`` lists what it had written."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.input)
        self.result = result


def _display(source: Source) -> str:
    return "<stdin>" if source.path == "-" else source.path


def _plan(job: Job, shape: tuple[int, int]) -> tuple[list[Any], set[int]]:
    """The passes of a run on an image of ``shape`` (rows, cols), and which are written."""
    spec = job.spec
    plan = plan_passes(shape, spec.passes, spec.size, spec.stride, spec.padding)
    last = len(plan)
    wanted = {last} if job.final_only or job.output_kind == "stdout" else set(range(1, last + 1))
    if job.output_kind == "file" and len(wanted) > 1:
        raise ParameterError(
            f"-o {job.output} names one file, but this run writes {len(wanted)} images; "
            "give a folder, or add --final-only"
        )
    return plan, wanted


def _target(source: Source, job: Job, ext: str, geom: Any) -> str:
    if job.output_kind == "stdout":
        return "-"
    height, width = geom.output_shape
    return str(output_name(source, job, ext, geom.index, (width, height)))


def _all_written(source: Source, job: Job) -> bool:
    """With --no-clobber: whether every output already exists, judged from the header alone."""
    from .reading import probe

    width, height, _ = probe(source.path)
    plan, wanted = _plan(job, (height, width))
    ext = _extension(source, job)
    return all(Path(_target(source, job, ext, g)).exists() for g in plan if g.index in wanted)


def _run_one(source: Source, job: Job, threads: int | None, result: Result) -> Result:
    from . import reading, writing
    from .colour import pool_image

    spec = job.spec
    if job.no_clobber and job.write_images and source.path != "-" and _all_written(source, job):
        return Result(source.path, "skipped", warnings=["every output exists (--no-clobber)"])
    picture = reading.load(source.path, max_pixels=job.max_pixels)
    result.warnings.extend(picture.notes)
    if not job.write_images:
        return _global_values(source, picture, threads, result)
    plan, wanted = _plan(job, picture.frames[0].shape[1:])
    ext = _extension(source, job, picture.format)
    targets = {
        f"pass {g.index}": _target(source, job, ext, g)
        for g in plan
        if g.index in wanted and not job.sheet_only
    }
    if job.sheet is not None and not job.shared_sheet:
        targets["the contact sheet"] = str(sheet_path(source, job))
    _check_distinct(targets)
    protect = [] if source.path == "-" else [source.path]
    alpha = picture.has_alpha
    linear = job.linear and picture.mode in LINEAR_MODES
    if job.linear and not linear:
        result.warnings.append(f"--linear does not apply to {picture.mode} images; ignored")
    row = None
    if job.sheet is not None:
        from .sheet import SheetRow

        shapes = [g.output_shape for g in plan]
        row = SheetRow(picture.frames[0], picture.mode, job.sheet_style, shapes)
    for geom in plan:
        # Rebinding `picture` lets the decoded image go as soon as the first pass is done.
        picture = picture.with_frames(
            [
                pool_image(
                    frame,
                    spec.mode,
                    spec.size,
                    spec.stride,
                    spec.padding,
                    alpha=alpha,
                    linear=linear,
                    threads=threads,
                )
                for frame in picture.frames
            ]
        )
        if row is not None:
            row.add(picture.frames[0], geom.index)
        target = targets.get(f"pass {geom.index}")
        if target is None:
            continue
        if job.no_clobber and target != "-" and Path(target).exists():
            result.warnings.append(f"{target}: exists, skipped (--no-clobber)")
            continue
        notes = writing.save(picture, target, job.save, protect=protect, threads=threads)
        result.warnings.extend(n for n in notes if n not in result.warnings)
        size = 0 if target == "-" else Path(target).stat().st_size
        height, width = geom.output_shape
        result.outputs.append(Output(target, width, height, geom.index, size))
    if row is not None:
        _finish_sheet(source, job, row, protect, result)
    if not result.outputs and job.no_clobber:
        result.status = "skipped"
    return result


# Pillow modes whose values are sRGB-encoded light, which --linear decodes before averaging.
LINEAR_MODES = frozenset({"L", "LA", "RGB", "RGBA", "I;16"})


def _finish_sheet(source: Source, job: Job, row: Any, protect: list[str], result: Result) -> None:
    """Save an input's own sheet, or hand its row back for the run's shared sheet."""
    import numpy as np

    from . import sheet, writing

    if job.shared_sheet:
        result.sheet_row = [(np.asarray(c.image), c.label) for c in row.cells]
        return
    title = f"{_display(source)}   {sheet.describe(job.spec)}"
    canvas = sheet.grid([row.cells], job.sheet_style, title=title)
    path = sheet_path(source, job)
    writing.save_image(canvas, path, job.save, protect=protect)
    size = path.stat().st_size
    result.outputs.append(Output(str(path), canvas.width, canvas.height, 0, size, "sheet"))


def _shared_sheet(sources: Sequence[Source], job: Job, report: Report) -> None:
    """Draw the one sheet of several inputs, a row each in input order, from their rows."""
    from . import sheet, writing

    by_input = {r.input: r for r in report.results if r.sheet_row}
    rows, labels = [], []
    for source in sources:
        result = by_input.get(source.path)
        if result is None or result.sheet_row is None:
            continue
        rows.append([sheet.Cell.from_array(a, label) for a, label in result.sheet_row])
        labels.append(Path(source.path).name if source.path != "-" else "<stdin>")
    if not rows:
        return
    canvas = sheet.grid(rows, job.sheet_style, title=sheet.describe(job.spec), row_labels=labels)
    path = Path(job.sheet or "")
    try:
        writing.save_image(
            canvas, path, job.save, protect=[s.path for s in sources if s.path != "-"]
        )
    except PoolError as exc:
        report.sheet_error = str(exc)
        return
    report.sheet = Output(str(path), canvas.width, canvas.height, 0, path.stat().st_size, "sheet")
    report.written += 1


def _global_values(source: Source, picture: Any, threads: int | None, result: Result) -> Result:
    from .pooling import pool

    frame = picture.frames[0]
    values = {}
    for mode in ("max", "avg", "min"):
        pooled = pool(frame, mode, size="global", channel_axis=0, threads=threads)
        values[mode] = [v.item() for v in pooled[:, 0, 0]]
    result.values, result.channels = values, picture.mode
    return result


def _worker_init() -> None:
    # Ctrl-C reaches every process of the terminal's group; the parent decides, and stops
    # the workers with SIGTERM, which interrupts a job cleanly (see _worker_run).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_stop)


_in_job = False
_stopping = False


def _worker_stop(signum: int, frame: FrameType | None) -> None:
    global _stopping  # noqa: PLW0603 (per-process flag set by the signal handler)
    _stopping = True
    if _in_job:
        raise KeyboardInterrupt  # unwinds through the atomic writer, which removes its file
    # Idle: the executor's shutdown ends this process; exiting here would make it cancel the
    # results other workers are still handing back.


def _worker_run(source: Source, job: Job, threads: int) -> Result:
    global _in_job  # noqa: PLW0603 (per-process flag read by the signal handler)
    if _stopping:  # queued before the stop: do not start it
        return Result(source.path, "interrupted", error=f"{_display(source)}: interrupted")
    _in_job = True
    try:
        return run_one(source, job, threads)
    except Interrupted as stop:
        return stop.result  # what it wrote before the stop, for the parent's report
    except KeyboardInterrupt:
        os._exit(EXIT_INTERRUPTED)
    finally:
        _in_job = False


def run_batch(
    sources: Sequence[Source],
    job: Job,
    *,
    jobs: int | None = None,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Run ``job`` on every source, ``jobs`` worker processes at a time (None: one per CPU).

    A single input, or ``jobs=1``, runs in this process, the single input with the core's
    threads on every core. Each of several workers uses ``cpus // jobs`` threads. Results
    arrive through ``on_result`` in completion order. Ctrl-C or SIGTERM stops the workers,
    leaves no partial file, and gives a report with ``interrupted`` set.
    """
    report = Report(total=len(sources))
    if job.sheet not in (None, "auto") and len(sources) > 1:
        job = replace(job, shared_sheet=True)
    cpus = cpu_count()
    jobs = max(1, min(jobs or cpus, len(sources) or 1))
    check_pass_names(job)
    collisions = find_collisions(sources, job)
    if collisions:
        more = f" (and {len(collisions) - 1} more)" if len(collisions) > 1 else ""
        raise ParameterError(collisions[0] + more)

    def record(result: Result) -> None:
        report.add(result)
        if on_result is not None:
            on_result(result)

    previous = signal.getsignal(signal.SIGTERM)
    with contextlib.suppress(ValueError):  # not the main thread: leave SIGTERM alone
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        threads = None if len(sources) == 1 else max(1, cpus // jobs)
        if jobs == 1:
            for source in sources:
                record(run_one(source, job, threads))
        else:
            _run_in_workers(sources, job, jobs, max(1, cpus // jobs), record)
        if job.shared_sheet:
            _shared_sheet(sources, job, report)
    except KeyboardInterrupt as stop:
        if isinstance(stop, Interrupted):
            record(stop.result)
        report.interrupted = True
    finally:
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signal.SIGTERM, previous)
    return report


def process(
    paths: Sequence[str],
    spec: PoolSpec,
    *,
    output: str | None = None,
    recursive: bool = False,
    jobs: int | None = None,
    on_result: Callable[[Result], None] | None = None,
    **options: Any,
) -> Report:
    """Pool files and folders ``paths`` by ``spec`` into ``output`` (default ``poolimg-out/``).

    ``options`` are the other fields of :class:`Job` (``final_only``, ``save``, ``linear``,
    ``no_clobber``, ``name``, ``max_pixels``). Raises ParameterError if two inputs would write
    the same file; every other problem is recorded in the report.
    """
    job = Job(spec, output=output, **options)
    sources = expand_inputs(paths, recursive=recursive, exclude=job.writes_to)
    return run_batch(sources.sources, job, jobs=jobs, on_result=on_result)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run_in_workers(
    sources: Sequence[Source], job: Job, jobs: int, threads: int, record: Callable[[Result], None]
) -> None:
    # Imported here: a single input never pays for multiprocessing's start-up.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    method = "fork" if sys.platform == "linux" else "spawn"
    pool = ProcessPoolExecutor(jobs, multiprocessing.get_context(method), initializer=_worker_init)
    pending: set[Future[Result]] = set()
    queue = iter(sources)
    try:
        for source in queue:
            pending.add(pool.submit(_worker_run, source, job, threads))
            if len(pending) >= 2 * jobs:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                record(future.result())
                following = next(queue, None)
                if following is not None:
                    pending.add(pool.submit(_worker_run, following, job, threads))
    except BaseException:
        # Stop every worker: SIGTERM interrupts a job inside the atomic writer, which removes
        # its temporary file, and the worker hands back what it had written. Wait for them, so
        # nothing is left behind and the report lists every complete file.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process_ in processes:
            with contextlib.suppress(OSError):
                process_.terminate()
        finished, _ = wait(pending, timeout=10)
        for future in finished:
            if not future.cancelled() and future.exception() is None:
                record(future.result())
        for process_ in processes:
            process_.join(timeout=10)
            if process_.is_alive():  # stuck in a C call that signals cannot interrupt
                process_.kill()
        raise
    pool.shutdown()
