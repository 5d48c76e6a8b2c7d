"""The ``poolimg`` command: the Typer app, its commands, and the entry point.

Each command parses its options (:mod:`poolcli.options`), hands the work to
:mod:`poolcli.workers` or :mod:`poolcli.compare`, and shows what comes back through
:mod:`poolcli.terminal`: lines on stderr, JSON lines on stdout and an exit code (0 done, 1 an
input failed, 2 bad usage with nothing written, 130 interrupted). numpy, Pillow and Rich are
imported inside the commands that need them, so ``poolimg --version`` and ``--help`` start fast.
"""

from __future__ import annotations

import inspect
import os
import sys
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__
from .cli_options import (
    EXAMPLES,
    SUMMARIES,
    BackgroundOpt,
    CellOpt,
    CompatOpt,
    DilationOpt,
    FormatOpt,
    JsonOpt,
    LinearOpt,
    MaxPixelsOpt,
    PaddingOpt,
    PassesOpt,
    QuietOpt,
    SheetOpt,
    SheetScaleOpt,
    SizeOpt,
    StrideOpt,
    VerboseOpt,
)
from .errors import PoolError
from .limits import DEFAULT_MAX_PIXELS
from .options import (
    ModeOptions,
    build_spec,
    check_unpool,
    comparison_rows,
    fill_optional_values,
    parse_colour,
    read_files_from,
    sheet_style,
)
from .report import EXIT_INTERRUPTED, EXIT_USAGE
from .spec import MODES
from .terminal import Terminal, fail_usage, run_inputs, show_plan

if TYPE_CHECKING:
    pass


app = typer.Typer(
    name="poolimg",
    help="Downsample images by pooling (max, avg, min, stride, sum, lp, stochastic), and see "
    "what each pass keeps.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


# ------------------------------------------------------------------------------- output


# ------------------------------------------------------------------------------ options


# ----------------------------------------------------------------------------- commands


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
                help="File name template: {stem} {ext} {mode} {size} {stride} {padding} {options} "
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
        dilation: DilationOpt = "1",
        count_pad: Annotated[
            bool | None,
            typer.Option(
                "--count-pad/--no-count-pad",
                help="Average over padded cells too (PyTorch's default count_include_pad, "
                "Caffe) [default: real cells only, as Keras; --compat decides].",
                show_default=False,
            ),
        ] = None,
        compat: CompatOpt = None,
        power: Annotated[
            float | None,
            typer.Option(
                "--power",
                help="Lp's p, above 0: 1 is the sum, 2 the Euclidean norm [default: 2].",
                metavar="P",
            ),
        ] = None,
        seed: Annotated[
            int | None,
            typer.Option(
                "--seed",
                min=0,
                help="Seed of the draws, for a run that can be repeated.",
                metavar="N",
            ),
        ] = None,
        ratio: Annotated[
            float,
            typer.Option(
                "--ratio",
                help="Each pass's size over its input's, from 0.5 up to (not with) 1.",
                metavar="R",
            ),
        ] = 0.7,
        evaluate: Annotated[
            bool,
            typer.Option(
                "--eval",
                help="Caffe's test phase: the weighted mean sum(x^2)/sum(x), no draw.",
            ),
        ] = False,
        unpool: Annotated[
            bool,
            typer.Option(
                "--unpool",
                help="Also write, per pass, the input-sized picture of the pixels that won a "
                "window (NAME_unpool.EXT), the rest dark.",
            ),
        ] = False,
        unpool_background: Annotated[
            str,
            typer.Option(
                "--unpool-background",
                help="dark: the pixels that lost are black; dim: the photo, faded.",
                metavar="dark|dim",
            ),
        ] = "dark",
        winners: Annotated[
            bool,
            typer.Option(
                "--winners",
                help="Instead of --unpool's picture: how many windows each pixel won, as a "
                "heat map (NAME_winners.EXT).",
            ),
        ] = False,
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

            more = ModeOptions(dilation, count_pad, compat, power, seed, evaluate, ratio)
            spec = build_spec(mode, size, stride, passes, padding, more)
            shown = check_unpool(mode, evaluate, unpool, unpool_background, winners)
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
                unpool=shown if unpool or winners else None,
                winners=winners,
            )
            if run.output_kind == "file":
                format_for(output or "", format_)
            if global_ and (output is not None or sheet is not None or sheet_only):
                raise ValueError("--global prints values and writes no image: drop -o and --sheet")
            paths = list(inputs or [])
            listed = [] if files_from is None else read_files_from(files_from, null)
        except (PoolError, ValueError, OSError) as exc:
            fail_usage(term, str(exc))
        if not paths and not listed:
            fail_usage(term, f"no input: give image files or folders (poolimg {mode} --help)")
        if output == "-" and json_:
            fail_usage(term, "-o - and --json both want standard output; choose one")
        if output == "-" and run.sheet == "auto":
            fail_usage(term, "--sheet with -o - needs a PATH for the sheet")
        raise typer.Exit(run_inputs(term, paths, listed, run, recursive=recursive, jobs=jobs))

    command.__doc__ = f"{SUMMARIES[mode]}\n\n{EXAMPLES[mode]}"
    # Each command shows only the options its mode has: Typer reads the signature.
    signature = inspect.signature(command)
    hints = typing.get_type_hints(command, include_extras=True)
    keep = [
        p.replace(annotation=hints[p.name])
        for p in signature.parameters.values()
        if mode in MODE_OPTIONS.get(p.name, {mode})
    ]
    command.__signature__ = signature.replace(parameters=keep)  # type: ignore[attr-defined]
    return command


# Options that only some modes have (the rest are every mode's).
MODE_OPTIONS = {
    "power": {"lp"},
    "seed": {"stochastic", "fractional"},
    "ratio": {"fractional"},
    "evaluate": {"stochastic"},
    "count_pad": {"avg"},
    "linear": {"avg"},
    "unpool": {"max", "min", "stochastic", "fractional"},
    "unpool_background": {"max", "min", "stochastic", "fractional"},
    "winners": {"max", "min", "stochastic", "fractional"},
    # fractional pooling places its windows itself
    "stride": set(MODES) - {"fractional"},
    "padding": set(MODES) - {"fractional"},
    "dilation": set(MODES) - {"fractional"},
    "compat": set(MODES) - {"fractional"},
}


for _mode in MODES:
    app.command(name=_mode, no_args_is_help=True)(_pool_command(_mode))


@app.command(no_args_is_help=True)
def compare(
    input_: Annotated[str, typer.Argument(metavar="INPUT", help="An image file.")],
    modes: Annotated[
        str,
        typer.Option("--modes", "-m", help="Rows: pooling modes, comma-separated.", metavar="LIST"),
    ] = "max,avg,min,stride",  # sum, lp and stochastic too
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
    dilation: DilationOpt = "1",
    compat: CompatOpt = None,
    count_pad: Annotated[
        bool | None,
        typer.Option(
            "--count-pad/--no-count-pad",
            help="Averages over padded cells too (PyTorch's default).",
            show_default=False,
        ),
    ] = None,
    power: Annotated[
        float | None, typer.Option("--power", help="p of the lp row [default: 2].", metavar="P")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Seed of the stochastic row.", metavar="N"),
    ] = None,
    unpool: Annotated[
        str | None,
        typer.Option(
            "--unpool",
            help="Under each max, min and stochastic row, the pixels each pass kept: dark or "
            "dim (the rest black or faded), or winners (a heat map of windows won).",
            metavar="dark|dim|winners",
        ),
    ] = None,
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
      poolimg compare photo.jpg --modes max,sum,lp,stochastic --seed 1 --unpool dim
    """
    term = Terminal(quiet)
    try:
        from .compare import comparison
        from .formats import SaveOptions, format_for
        from .writing import save_image

        more = ModeOptions(dilation, count_pad, compat, power, seed)
        rows = comparison_rows(modes, sizes, size, stride, padding, more)
        if unpool not in (None, "dark", "dim", "winners"):
            raise ValueError(f"--unpool {unpool!r}: use dark, dim or winners")
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
            unpool=unpool,
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
    dilation: DilationOpt = "1",
    compat: CompatOpt = None,
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
        from .geometry import PlanError, plan_for
        from .reading import probe

        spec = build_spec(
            "max", size, stride, passes, padding, ModeOptions(dilation, compat=compat)
        )
        width, height, _ = probe(input_)
        geometries = plan_for(spec, (height, width))
    except PlanError as exc:  # show the passes that fit, then say where it stops
        geometries, error = exc.fits, f"{input_}: {exc}"
    except PoolError as exc:
        term.error(f"{input_}: {exc}" if not str(exc).startswith(input_) else str(exc))
        raise typer.Exit(EXIT_USAGE if not isinstance(exc, OSError) else 1) from None
    except ValueError as exc:
        fail_usage(term, str(exc))
    show_plan(term, input_, (width, height), geometries, error)
    if error is not None:
        fail_usage(term, error)


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
    """Downsample images by pooling (max, avg, min, stride, sum, lp, stochastic), and see
    what each pass keeps.

    Numbers match PyTorch's, Keras's and Caffe's pooling layers (--compat). Each command has
    examples: poolimg max --help.
    """


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
