"""Everything poolimg shows a person: one-line messages on stderr, JSON lines and tables on
stdout, a progress bar, the summary of a run. Rich is imported only when a table or a bar is
drawn; every file name is made printable first."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from poolcli.batch.report import EXIT_USAGE, Result
from poolcli.cli import stdout
from poolcli.cli.summary import summarise
from poolcli.errors import PoolError

if TYPE_CHECKING:
    from poolcli.batch.huge import Choice
    from poolcli.batch.run_options import RunOptions
    from poolcli.core.geometry import PassGeometry


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    r"""``text`` safe to print on one line: control characters (a newline, a terminal escape
    in a file name) and undecodable bytes of file names written as Python escapes.

    >>> printable("bad\nname\x1b[31m.png"), printable("caf\udce9.png")
    ('bad\\nname\\x1b[31m.png', 'caf\\xe9.png')
    """
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is not an undecodable byte
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class Terminal:
    """Every line poolimg shows goes through here: messages to stderr, data to stdout."""

    def __init__(self, quiet: bool = False, verbose: bool = False, json_lines: bool = False):
        self.quiet, self.verbose, self.json_lines = quiet, verbose, json_lines

    def error(self, message: str) -> None:
        print(f"poolimg: error: {printable(message)}", file=sys.stderr, flush=True)

    def warn(self, message: str) -> None:
        if not self.quiet:
            print(f"poolimg: warning: {printable(message)}", file=sys.stderr, flush=True)

    def info(self, message: str) -> None:
        if not self.quiet:
            print(printable(message), file=sys.stderr, flush=True)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            print(printable(message), file=sys.stderr, flush=True)

    def text(self, message: str) -> None:
        """A line of a command's own output (``plan``) on stdout."""
        stdout.write(printable(message) + "\n")

    def data(self, obj: Any) -> None:
        import json

        stdout.write(json.dumps(obj) + "\n")


def _show(term: Terminal, run: RunOptions, result: Result, progress: _Progress) -> None:
    if stdout.closed():  # the run is stopping; what its workers hand back goes unsaid
        return
    progress.advance()
    if term.json_lines:
        term.data(result.as_json())
    elif result.dry_run:  # the listing is the command's output
        for out in result.outputs:
            size = f" ({out.width}x{out.height})" if out.width else ""
            term.text(f"{out.path}{size}")
    if result.error:
        term.error(result.error)
    if result.reason:
        term.detail(f"{result.input}: skipped: {result.reason}")
    for path in result.existing:
        term.detail(f"{path}: exists, kept (--no-clobber)")
    if result.internal:
        term.detail(result.internal)
    for warning in result.warnings:
        term.warn(f"{result.input}: {warning}" if not warning.startswith(result.input) else warning)
    if result.values is not None and not term.json_lines:
        _print_global(result)
    for out in result.outputs if not result.dry_run else ():
        term.detail(f"wrote {out.path} ({out.width}x{out.height}, {out.bytes} bytes)")
    if result.preview is not None and run.show is not None:
        draw(result.preview, run.show)
    stages = ", ".join(f"{stage} {1000 * s:.0f} ms" for stage, s in result.timings.items())
    term.detail(
        f"{result.input}: {result.status} in {result.seconds:.2f} s"
        + (f" ({stages})" if stages else "")
    )


def draw(image: Any, how: str) -> None:
    """Draw a Pillow image (or a sheet's :class:`~poolcli.pictures.terminal_sheet.Board`) on
    stdout with ``how`` (a :data:`poolcli.pictures.terminal_graphics.Method`: auto already
    resolved by :func:`poolcli.cli.parsing.shown_how`), fitted to the terminal's width."""
    import shutil

    from poolcli.pictures.terminal_graphics import cell_pixels, encode
    from poolcli.pictures.terminal_sheet import Board, render

    columns, lines = shutil.get_terminal_size()
    if isinstance(image, Board):  # a sheet: pictures in lines, labels as text
        per_column = cell_pixels(how, columns, lines)[0]
        stdout.write(render(image, how, columns, per_column))  # type: ignore[arg-type]
        return
    stdout.write(encode(image, how, columns))  # type: ignore[arg-type]


def _print_global(result: Result) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    assert result.values is not None and result.channels is not None
    names = "L" if result.channels == "I;16" else result.channels  # a letter a channel
    title = escape(printable(f"{result.input} ({result.channels})"))
    table = Table(title=title, title_justify="left")
    table.add_column("channel")
    for mode in result.values:
        table.add_column(mode, justify="right")
    for i, channel in enumerate(names):
        row = [_number(result.values[mode][i]) for mode in result.values]
        table.add_row(channel, *row)
    with stdout.guard():
        Console(soft_wrap=True).print(table)


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


class _Progress:
    """A Rich progress bar on stderr, only for a terminal, several inputs and no -q."""

    def __init__(self, term: Terminal, total: int) -> None:
        self.bar: Any = None
        if total > 1 and not term.quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("pooling"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task("pool", total=total, rate="")

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def advance(self) -> None:
        if self.bar is not None:
            task = self.bar.tasks[0]
            rate = f"{(task.completed + 1) / max(task.elapsed or 1e-9, 1e-9):.1f} img/s"
            self.bar.update(self.task, advance=1, rate=rate)


def show_plan(
    term: Terminal,
    name: str,
    size: tuple[int, int],
    geometries: list[PassGeometry],
    error: str | None,
    memory: Choice | None = None,
    frames: list[int] | None = None,
) -> None:
    """``poolimg plan``'s output: the size after each pass and where padding or a dropped
    tail applies, and how its pixels are held (``memory``), as lines or (``--json``) one object
    with the error, if any; with ``frames`` (pooled across frames), the frames before the first
    pass and after each, written as a third number (``80x60x7``)."""
    notes = [edge_notes(geom) for geom in geometries]
    rows = [
        {
            "pass": geom.index,
            "input": [geom.cols.n, geom.rows.n],
            "output": [geom.cols.out, geom.rows.out],
            "notes": note,
        }
        for geom, note in zip(geometries, notes, strict=True)
    ]
    if frames is not None:
        for row, before, after in zip(rows, frames, frames[1:], strict=False):
            row["input"].append(before)  # type: ignore[attr-defined]
            row["output"].append(after)  # type: ignore[attr-defined]
    held = None
    if memory is not None:
        held = {"path": memory.path, "bytes": memory.peak, "why": memory.why}
    if term.json_lines:
        data = {"input": name, "size": list(size), "passes": rows, "memory": held, "error": error}
        term.data(data)
        return
    depth = [f"x{n}" for n in frames] if frames is not None else [""] * (len(geometries) + 1)
    term.text(f"{name}: {size[0]}x{size[1]}{depth[0]}")
    for geom, note in zip(geometries, notes, strict=True):
        said = "; ".join(note)
        term.text(
            f"pass {geom.index:>2}: {geom.cols.n}x{geom.rows.n}{depth[geom.index - 1]} -> "
            f"{geom.cols.out}x{geom.rows.out}{depth[geom.index]}" + (f"   ({said})" if said else "")
        )
    if memory is not None:
        term.text(memory_line(memory, stack=frames is not None))


def memory_line(memory: Choice, stack: bool = False) -> str:
    """How ``plan`` says a run holds its pixels (``stack``: pooled across its frames, a
    window of them at a time)."""
    from poolcli.spec.limits import bytes_text

    about = bytes_text(memory.peak)
    if memory.path == "bands":
        return f"memory: in bands of rows (libvips), about {about} of pixels at a time"
    if memory.path == "memory" and stack:
        return f"memory: a window of frames at a time, about {about} of pixels"
    if memory.path == "memory":
        return f"memory: decoded whole, about {about} of pixels"
    return f"memory: refused: {memory.why}"


def edge_notes(geom: PassGeometry) -> list[str]:
    if geom.adaptive:  # a pass to a size: windows of varied lengths, no padding
        from poolcli.spec.sizes import describe_windows

        return [
            describe_windows(geom.cols.n, geom.cols.out, "column"),
            describe_windows(geom.rows.n, geom.rows.out, "row"),
        ]
    notes = []
    for axis, (before_name, after_name), unit in (
        (geom.cols, ("left", "right"), "column"),
        (geom.rows, ("top", "bottom"), "row"),
    ):
        if axis.before or axis.after:
            notes.append(f"pads {axis.before} {before_name}, {axis.after} {after_name}")
        if axis.dropped:
            plural = "" if axis.dropped == 1 else "s"
            notes.append(f"drops {axis.dropped} {unit}{plural} at the {after_name}")
    return notes


def fail_usage(term: Terminal, message: str) -> NoReturn:
    term.error(message)
    raise SystemExit(EXIT_USAGE)


def run_inputs(
    term: Terminal,
    paths: list[str],
    listed: list[str],
    run: RunOptions,
    *,
    recursive: bool,
    jobs: int | None,
    dask: str | None = None,
) -> int:
    from poolcli.batch.inputs import expand_inputs
    from poolcli.batch.workers import run_batch
    from poolcli.remote.storage import configure

    configure(run.storage_options)
    try:
        inputs = expand_inputs(paths, recursive=recursive, exclude=run.writes_to, listed=listed)
    except PoolError as exc:  # a listing that failed (permission, no such bucket, ...)
        fail_usage(term, str(exc))
    for note in inputs.warnings:
        term.warn(note)
    for note in inputs.skipped:
        term.detail(f"skipped {note}")
    if term.json_lines:  # every file named or found has a line, the skipped ones too
        for path, why in inputs.skipped_files:
            term.data(Result(path, "skipped", reason=why).as_json())
    if not inputs.sources:
        fail_usage(
            term,
            "no images found in "
            + ", ".join(paths or ["--files-from"])
            + ("" if recursive else " (-r descends into subfolders)"),
        )
    if run.output_kind in ("file", "stdout") and len(inputs.sources) > 1:
        fail_usage(
            term,
            f"-o {run.output} takes one input, but {len(inputs.sources)} were given; "
            "-o a folder instead",
        )
    if run.output_kind == "stdout" and not run.save.format:
        fail_usage(term, "-o - needs --format (png, jpeg, ...)")
    progress = _Progress(term, len(inputs.sources))
    try:
        with progress:
            report = run_batch(
                inputs.sources,
                run,
                jobs=jobs,
                on_result=lambda r: _show(term, run, r, progress),
                sigterm=True,
                dask=dask,
                keep_results=False,
            )
    except PoolError as exc:  # two inputs would write one file: found before anything is written
        fail_usage(term, str(exc))
    summarise(term, run, report, len(inputs.skipped_files))
    return report.exit_code
