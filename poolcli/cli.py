"""The ``poolimg`` command: the only module that talks to the terminal.

It parses options, hands the work to :mod:`poolcli.workers`, and turns what comes back into
lines on stderr, JSON lines on stdout and an exit code (0 done, 1 an input failed, 2 bad
usage with nothing written, 130 interrupted). numpy, Pillow and Rich are imported inside the
commands that need them, so ``poolimg --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from . import __version__
from .errors import PoolError
from .limits import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    from .geometry import PoolSpec
    from .report import Output, Report, Result
    from .run_options import RunOptions

EXIT_USAGE, EXIT_INTERRUPTED = 2, 130

app = typer.Typer(
    name="poolimg",
    help="Downsample images by max, average, min or strided pooling, and see what each pass keeps.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


# ------------------------------------------------------------------------------- output


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
        print(printable(message), flush=True)

    def data(self, obj: Any) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def fail_usage(term: Terminal, message: str) -> NoReturn:
    term.error(message)
    raise typer.Exit(EXIT_USAGE)


# ------------------------------------------------------------------------------ options


def parse_geometry(text: str, option: str) -> int | tuple[int, int]:
    """``"3"`` -> 3; ``"3x2"`` (W x H, as ImageMagick writes it) -> ``(2, 3)`` (rows, cols)."""
    parts = text.lower().split("x")
    if len(parts) in (1, 2) and all(p.strip().isdigit() for p in parts):
        numbers = [int(p) for p in parts]
        if min(numbers) >= 1:
            return numbers[0] if len(numbers) == 1 else (numbers[1], numbers[0])
    raise ValueError(f"{option} {text!r}: give a whole number of pixels, or WxH such as 3x2")


def parse_padding(text: str) -> str | int:
    if text in ("valid", "same", "ceil"):
        return text
    if text.isdigit():
        return int(text)
    raise ValueError(f"--padding {text!r}: use valid, same, ceil or a number of pixels")


def parse_passes(text: str) -> int | str:
    if text == "all":
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"--passes {text!r}: give a number of at least 1, or all")


def parse_colour(text: str, option: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    try:
        rgb = ImageColor.getrgb(text)
    except ValueError:
        raise ValueError(f"{option} {text!r}: not a colour (try white, #262626)") from None
    return (rgb[0], rgb[1], rgb[2])


def sheet_style(cell: int, background: str, scale: str) -> Any:
    from .style import SheetStyle

    if scale not in ("fit", "true"):
        raise ValueError(f"--sheet-scale {scale!r}: use fit (blocks enlarged) or true (real sizes)")
    return SheetStyle(cell, parse_colour(background, "--background"), scale)  # type: ignore[arg-type]


SizeOpt = Annotated[
    str, typer.Option("--size", "-k", help="Window: N, or WxH such as 3x2.", metavar="N|WxH")
]
StrideOpt = Annotated[
    str | None,
    typer.Option(
        "--stride", "-s", help="Step between windows [default: the size].", metavar="N|WxH"
    ),
]
PassesOpt = Annotated[
    str, typer.Option("--passes", "-n", help="Passes to run, or 'all' that fit.", metavar="N|all")
]
PaddingOpt = Annotated[
    str,
    typer.Option(
        "--padding",
        "-p",
        help="valid (windows inside the image), same (Keras), ceil (PyTorch ceil_mode) "
        "or N pixels.",
        metavar="valid|same|ceil|N",
    ),
]
LinearOpt = Annotated[
    bool, typer.Option("--linear", help="Average in linear light (gamma-correct), not sRGB values.")
]
JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="One JSON object per input on stdout, and nothing else there."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="Also write a contact sheet: the original and every pass in a row. Alone: one "
        "per input beside its outputs; with PATH: one file, a row per input.",
        metavar="[PATH]",
    ),
]
SheetScaleOpt = Annotated[
    str,
    typer.Option(
        "--sheet-scale",
        help="fit: passes enlarged by whole factors so blocks show; true: real relative sizes.",
        metavar="fit|true",
    ),
]
CellOpt = Annotated[
    int,
    typer.Option("--cell", min=32, help="Longest side of a sheet cell, in pixels.", metavar="N"),
]
BackgroundOpt = Annotated[
    str, typer.Option("--background", help="Sheet and grid background colour.", metavar="COLOUR")
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (jpeg, png, webp, tiff, ...) [default: from the output's name].",
        metavar="FMT",
    ),
]
MaxPixelsOpt = Annotated[
    int,
    typer.Option(
        "--max-pixels",
        min=0,
        help="Refuse images larger than this (decompression bombs); 0: no limit.",
        metavar="N",
    ),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Say more: skipped files, warnings, timings.")
]


@dataclass
class PoolOptions:
    """The parsed options of a pooling command."""

    spec: PoolSpec
    run: RunOptions


def build_spec(mode: str, size: str, stride: str | None, passes: str, padding: str) -> PoolSpec:
    from .geometry import PoolSpec

    return PoolSpec(
        mode,  # type: ignore[arg-type]
        parse_geometry(size, "--size"),
        None if stride is None else parse_geometry(stride, "--stride"),
        parse_padding(padding),  # type: ignore[arg-type]
        parse_passes(passes),  # type: ignore[arg-type]
    )


# ----------------------------------------------------------------------------- commands

EXAMPLES = {
    "max": """Examples:

\b
  poolimg max photo.jpg --size 2 --stride 2 --passes 5
  poolimg max photo.jpg -k 3 -s 2 -p same -n all --final-only -o small.png
  find shots -name '*.jpg' -print0 | poolimg max --files-from - -0 -j 2 --json
""",
    "avg": """Examples:

\b
  poolimg avg photo.jpg -n 3 --linear          gamma-correct 8x reduction, each pass written
  poolimg avg photos/ -r -j 4 -o small/ --final-only
  poolimg avg scan.tif -k 4 -o - --format png > thumb.png
""",
    "min": """Examples:

\b
  poolimg min text-scan.png -k 2 -n 2          keeps thin dark strokes visible
  poolimg min photo.jpg --global --json        darkest value of each channel
""",
    "stride": """Examples:

\b
  poolimg stride photo.jpg -k 2 -n 3           nearest-neighbour decimation, as ImageMagick -sample
  poolimg stride photo.jpg -k 1 -s 3           keep every third pixel
""",
}

SUMMARIES = {
    "max": "Keep the brightest value of each window, per channel (max pooling).",
    "avg": "Average each window, per channel (average pooling, exact rounding).",
    "min": "Keep the darkest value of each window, per channel (min pooling).",
    "stride": "Keep the first pixel of each window (strided subsampling).",
}


def _pool_command(mode: str) -> Any:
    def command(
        inputs: Annotated[
            list[str] | None,
            typer.Argument(
                help="Image files, folders, or - for standard input.", show_default=False
            ),
        ] = None,
        size: SizeOpt = "2",
        stride: StrideOpt = None,
        passes: PassesOpt = "1",
        padding: PaddingOpt = "valid",
        final_only: Annotated[
            bool, typer.Option("--final-only", help="Write only the last pass.")
        ] = False,
        output: Annotated[
            str | None,
            typer.Option(
                "--output",
                "-o",
                help="Folder [default: poolimg-out/], a file (one input, one image), "
                "or - for stdout.",
                metavar="PATH",
            ),
        ] = None,
        name: Annotated[
            str | None,
            typer.Option(
                "--name",
                help="File name template: {stem} {ext} {mode} {size} {stride} {padding} "
                "{pass} {width} {height}.",
                metavar="TEMPLATE",
            ),
        ] = None,
        global_: Annotated[
            bool,
            typer.Option(
                "--global",
                help="Print each channel's global max/avg/min instead of writing images.",
            ),
        ] = False,
        format_: FormatOpt = None,
        quality: Annotated[
            int, typer.Option("--quality", min=1, max=100, help="JPEG/WebP quality.")
        ] = 95,
        compress_level: Annotated[
            int,
            typer.Option(
                "--compress-level", min=0, max=9, help="PNG compression: 1 is fast, 9 small."
            ),
        ] = 1,
        flatten: Annotated[
            str,
            typer.Option(
                "--flatten",
                help="Colour to flatten alpha onto for formats without it (JPEG).",
                metavar="COLOUR",
            ),
        ] = "white",
        sheet: SheetOpt = None,
        sheet_only: Annotated[
            bool, typer.Option("--sheet-only", help="Write the contact sheet, not the passes.")
        ] = False,
        sheet_scale: SheetScaleOpt = "fit",
        cell: CellOpt = 512,
        background: BackgroundOpt = "#262626",
        linear: LinearOpt = False,
        no_clobber: Annotated[
            bool, typer.Option("--no-clobber", help="Skip outputs that already exist.")
        ] = False,
        max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
        recursive: Annotated[
            bool, typer.Option("--recursive", "-r", help="Descend into subfolders.")
        ] = False,
        jobs: Annotated[
            int | None,
            typer.Option(
                "--jobs", "-j", min=1, help="Worker processes [default: one per CPU].", metavar="N"
            ),
        ] = None,
        files_from: Annotated[
            str | None,
            typer.Option(
                "--files-from",
                help="Read input paths from FILE (- for stdin), one a line.",
                metavar="FILE",
            ),
        ] = None,
        null: Annotated[
            bool,
            typer.Option("--null", "-0", help="--files-from paths end with NUL (find -print0)."),
        ] = False,
        json_: JsonOpt = False,
        quiet: QuietOpt = False,
        verbose: VerboseOpt = False,
    ) -> None:
        term = Terminal(quiet, verbose, json_)
        try:
            from .formats import SaveOptions, format_for
            from .naming import check_template
            from .run_options import RunOptions

            spec = build_spec(mode, size, stride, passes, padding)
            if name is not None:
                check_template(name)
            if format_:
                format_for("x", format_)
            run = RunOptions(
                spec,
                output=output,
                name=name,
                final_only=final_only,
                save=SaveOptions(
                    format_, quality, compress_level, parse_colour(flatten, "--flatten")
                ),
                linear=linear,
                no_clobber=no_clobber,
                max_pixels=max_pixels or None,
                write_images=not global_,
                sheet="auto" if sheet_only and sheet is None else sheet,
                sheet_only=sheet_only,
                sheet_style=sheet_style(cell, background, sheet_scale),
            )
            if run.output_kind == "file":
                format_for(output or "", format_)
            if global_ and (output is not None or sheet is not None or sheet_only):
                raise ValueError("--global prints values and writes no image: drop -o and --sheet")
            paths = list(inputs or [])
            listed = [] if files_from is None else _read_files_from(files_from, null)
        except (PoolError, ValueError, OSError) as exc:
            fail_usage(term, str(exc))
        if not paths and not listed:
            fail_usage(term, f"no input: give image files or folders (poolimg {mode} --help)")
        if output == "-" and json_:
            fail_usage(term, "-o - and --json both want standard output; choose one")
        if output == "-" and run.sheet == "auto":
            fail_usage(term, "--sheet with -o - needs a PATH for the sheet")
        raise typer.Exit(_run(term, paths, listed, run, recursive=recursive, jobs=jobs))

    command.__doc__ = f"{SUMMARIES[mode]}\n\n{EXAMPLES[mode]}"
    return command


for _mode in ("max", "avg", "min", "stride"):
    app.command(name=_mode, no_args_is_help=True)(_pool_command(_mode))


def _read_files_from(source: str, null: bool) -> list[str]:
    from .inputs import read_file_list

    if source == "-":
        text = sys.stdin.buffer.read().decode(errors="surrogateescape")
    else:
        try:
            text = Path(source).read_bytes().decode(errors="surrogateescape")
        except OSError as exc:
            raise ValueError(f"--files-from {source}: {exc.strerror or exc}") from None
    return read_file_list(text, null)


def _run(
    term: Terminal,
    paths: list[str],
    listed: list[str],
    run: RunOptions,
    *,
    recursive: bool,
    jobs: int | None,
) -> int:
    from .inputs import expand_inputs
    from .workers import run_batch

    inputs = expand_inputs(paths, recursive=recursive, exclude=run.writes_to, listed=listed)
    for note in inputs.warnings:
        term.warn(note)
    for note in inputs.skipped:
        term.detail(f"skipped {note}")
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
                inputs.sources, run, jobs=jobs, on_result=lambda r: _show(term, run, r, progress)
            )
    except PoolError as exc:  # two inputs would write one file: found before anything is written
        fail_usage(term, str(exc))
    _summarise(term, run, report, len(inputs.skipped))
    return report.exit_code


def _show(term: Terminal, run: RunOptions, result: Result, progress: _Progress) -> None:
    progress.advance()
    if term.json_lines:
        term.data(result.as_json())
    if result.error:
        term.error(result.error)
    if result.internal:
        term.detail(result.internal)
    for warning in result.warnings:
        term.warn(f"{result.input}: {warning}" if not warning.startswith(result.input) else warning)
    if result.values is not None and not term.json_lines:
        _print_global(result)
    for out in result.outputs:
        term.detail(f"wrote {out.path} ({out.width}x{out.height}, {out.bytes} bytes)")


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
    Console(soft_wrap=True).print(table)


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _summarise(term: Terminal, run: RunOptions, report: Report, skipped_files: int) -> None:
    if report.sheet_error:
        term.error(report.sheet_error)
    if report.sheet is not None:
        if term.json_lines:
            term.data(
                {
                    "input": None,
                    "status": "done",
                    "outputs": [report.sheet.as_json()],
                    "error": None,
                }
            )
        _said_sheet(term, report.sheet)
    if report.interrupted:
        term.error(
            f"interrupted after {report.done} of {report.total} inputs; "
            "complete files kept, no partial file left"
        )
        return
    if not run.write_images or run.output_kind == "stdout":
        return
    where = run.output if run.output_kind == "file" else f"{run.folder}{os.sep}"
    if len(report.results) == 1:
        if report.failed:  # the failure has said so already
            return
        outputs = report.results[0].outputs
        passes = sum(o.kind == "pass" for o in outputs)
        if passes:
            term.info(f"wrote {passes} image{'' if passes == 1 else 's'} to {where}")
        for sheet in (o for o in outputs if o.kind == "sheet"):
            _said_sheet(term, sheet)
        return
    images = f"{report.written} image{'' if report.written == 1 else 's'}"
    parts = [f"{report.done} done"]
    if report.failed:
        parts.append(f"{report.failed} failed")
    if report.skipped or skipped_files:
        parts.append(f"{report.skipped + skipped_files} skipped")
    term.info(f"{', '.join(parts)}; wrote {images} to {where} in {report.seconds:.1f} s")


def _said_sheet(term: Terminal, sheet: Output) -> None:
    term.info(f"wrote contact sheet {sheet.path} ({sheet.width}x{sheet.height})")


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


@app.command(no_args_is_help=True)
def compare(
    input_: Annotated[str, typer.Argument(metavar="INPUT", help="An image file.")],
    modes: Annotated[
        str,
        typer.Option("--modes", "-m", help="Rows: pooling modes, comma-separated.", metavar="LIST"),
    ] = "max,avg,min,stride",
    sizes: Annotated[
        str | None,
        typer.Option(
            "--sizes", help="Rows: window sizes instead of modes (first mode).", metavar="LIST"
        ),
    ] = None,
    passes: Annotated[
        int, typer.Option("--passes", "-n", min=1, help="Columns: passes after the original.")
    ] = 3,
    size: SizeOpt = "2",
    stride: StrideOpt = None,
    padding: PaddingOpt = "valid",
    diff: Annotated[
        bool,
        typer.Option("--diff", help="Add a row: |first row - second row|, contrast-stretched."),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Grid file [default: poolimg-out/STEM_compare.png].",
            metavar="PATH",
        ),
    ] = None,
    cell: CellOpt = 256,
    background: BackgroundOpt = "#262626",
    linear: LinearOpt = False,
    format_: FormatOpt = None,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quiet: QuietOpt = False,
) -> None:
    """Compare modes (or window sizes) side by side: rows are modes, columns are passes.

    Examples:

    \b
      poolimg compare photo.jpg --modes max,avg,stride --passes 4 -o grid.png
      poolimg compare photo.jpg --sizes 2,3,4 --modes max -n 3
      poolimg compare photo.jpg --modes max,avg --diff
    """
    term = Terminal(quiet)
    try:
        from .compare import comparison
        from .formats import SaveOptions, format_for
        from .writing import save_image

        names = [m.strip() for m in modes.split(",") if m.strip()]
        if sizes is None:
            rows = [(m, build_spec(m, size, stride, "1", padding)) for m in names]
        else:
            rows = [
                (
                    f"size {k}",
                    build_spec(names[0], k, None if stride is None else stride, "1", padding),
                )
                for k in (k.strip() for k in sizes.split(",") if k.strip())
            ]
        if diff and len(rows) < 2:
            raise ValueError("--diff compares the first two rows: give at least two modes or sizes")
        target = output or str(Path("poolimg-out") / f"{Path(input_).stem}_compare.png")
        format_for(target, format_)
        style = sheet_style(cell, background, "fit")
    except (PoolError, ValueError) as exc:
        fail_usage(term, str(exc))
    try:
        canvas = comparison(
            input_,
            rows,
            passes,
            style=style,
            diff=diff,
            linear=linear,
            max_pixels=max_pixels or None,
        )
        save_image(canvas, target, SaveOptions(format=format_), protect=[input_])
    except ValueError as exc:  # ParameterError: --diff of rows with different sizes
        fail_usage(term, str(exc))
    except PoolError as exc:
        term.error(str(exc))
        raise typer.Exit(1) from None
    if target != "-":
        term.info(f"wrote {target} ({canvas.width}x{canvas.height})")


@app.command(no_args_is_help=True)
def plan(
    input_: Annotated[
        str, typer.Argument(metavar="INPUT", help="An image file (only its header is read).")
    ],
    size: SizeOpt = "2",
    stride: StrideOpt = None,
    passes: PassesOpt = "1",
    padding: PaddingOpt = "valid",
    json_: JsonOpt = False,
) -> None:
    """Print the size after each pass, and where padding or a dropped tail applies; write nothing.

    Exits 2 when a pass cannot run, as the pooling commands would before writing anything.

    Examples:

    \b
      poolimg plan photo.jpg -n all
      poolimg plan photo.jpg -k 3 -s 2 -p same -n 4 --json
    """
    term = Terminal(json_lines=json_)
    error = None
    try:
        from .geometry import PlanError, plan_passes
        from .reading import probe

        spec = build_spec("max", size, stride, passes, padding)
        width, height, _ = probe(input_)
        geometries = plan_passes((height, width), spec.passes, spec.size, spec.stride, spec.padding)
    except PlanError as exc:  # show the passes that fit, then say where it stops
        geometries, error = exc.fits, f"{input_}: {exc}"
    except PoolError as exc:
        term.error(f"{input_}: {exc}" if not str(exc).startswith(input_) else str(exc))
        raise typer.Exit(EXIT_USAGE if not isinstance(exc, OSError) else 1) from None
    except ValueError as exc:
        fail_usage(term, str(exc))
    rows: list[dict[str, Any]] = [
        {
            "pass": geom.index,
            "input": [geom.cols.n, geom.rows.n],
            "output": [geom.cols.out, geom.rows.out],
            "notes": _edge_notes(geom),
        }
        for geom in geometries
    ]
    if json_:
        term.data({"input": input_, "size": [width, height], "passes": rows, "error": error})
    else:
        term.text(f"{input_}: {width}x{height}")
        for row in rows:
            note = "; ".join(row["notes"])
            term.text(
                f"pass {row['pass']:>2}: {row['input'][0]}x{row['input'][1]} -> "
                f"{row['output'][0]}x{row['output'][1]}" + (f"   ({note})" if note else "")
            )
    if error is not None:
        fail_usage(term, error)


def _edge_notes(geom: Any) -> list[str]:
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


def _version(value: bool) -> None:
    if value:
        print(f"poolimg {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = None,
) -> None:
    """Downsample images by max, average, min or strided pooling, and see what each pass keeps.

    Numbers match PyTorch's and Keras's pooling layers exactly. Each command has examples:
    poolimg max --help.
    """


# Options whose value may be left out, and what they mean then. (Typer 0.28 has no
# optional-value options; click's own rule is followed: a value is the next word unless that
# word is missing or starts with "-".)
OPTIONAL_VALUES = {"--sheet": "auto"}


def fill_optional_values(args: list[str]) -> list[str]:
    """``--sheet`` alone becomes ``--sheet auto``; ``--sheet PATH`` and ``--sheet=PATH`` stay.

    >>> fill_optional_values(["max", "a.jpg", "--sheet", "-n", "3"])
    ['max', 'a.jpg', '--sheet', 'auto', '-n', '3']
    >>> fill_optional_values(["max", "a.jpg", "--sheet", "s.png"])
    ['max', 'a.jpg', '--sheet', 's.png']
    """
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--":
            return out + args[i + 1 :]
        if arg in OPTIONAL_VALUES:
            following = args[i + 1] if i + 1 < len(args) else None
            if following is None or (following.startswith("-") and following != "-"):
                out.append(OPTIONAL_VALUES[arg])
    return out


def main() -> None:
    """Entry point of ``poolimg`` and ``python -m poolcli``.

    Every way out is one line on stderr and a documented exit code: click's own usage errors
    (an unknown command, ``--quality 0``) as ``poolimg: error: ...`` with 2, and a bug in
    poolimg as an internal error with 1 (its traceback only with ``POOLIMG_TRACEBACK=1``).
    """
    import warnings

    from typer.exceptions import TyperException

    term = Terminal()
    # The last guard: a warning no layer turned into a note is still one line of our own,
    # never Python's two lines with a source path.
    warnings.showwarning = lambda message, *_, **__: term.warn(str(message))
    try:
        code = app(
            args=fill_optional_values(sys.argv[1:]), prog_name="poolimg", standalone_mode=False
        )
    except TyperException as exc:  # click's errors: usage (2), or help for a bare command
        if type(exc).__name__ == "NoArgsIsHelpError":
            getattr(exc, "show")()  # noqa: B009 (click's API, not in Typer's stubs)
        else:
            term.error(exc.format_message())
        code = exc.exit_code
    except KeyboardInterrupt:
        term.error("interrupted")
        code = EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("POOLIMG_TRACEBACK"):
            raise
        term.error(
            f"internal error ({type(exc).__name__}: {exc}); please report it "
            "(POOLIMG_TRACEBACK=1 shows where)"
        )
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
