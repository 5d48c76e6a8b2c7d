"""The commands beside the pooling ones: ``compare``, ``plan``, ``show`` and ``completion``.

Declared here and registered on the app by :mod:`poolcli.cli.app`; what they compute lives in the
layers below (:mod:`poolcli.pictures.grid`, :mod:`poolcli.core.geometry`,
:mod:`poolcli.pictures.api`). Annotations are objects, not strings (no ``from __future__ import
annotations``): Typer reads them at every start.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from poolcli.batch.report import EXIT_USAGE
from poolcli.batch.run_options import DEFAULT_OUTPUT
from poolcli.cli.help_layout import complete_words, completion_script
from poolcli.cli.params import (
    BlurOpt,
    CompatOpt,
    CountPadOpt,
    DilationOpt,
    FormatOpt,
    LinearOpt,
    MaxMemoryOpt,
    MaxPixelsOpt,
    PaddingOpt,
    PassesOpt,
    PlanJsonOpt,
    PowerOpt,
    QuietOpt,
    ReflectOpt,
    SeedOpt,
    SizeOpt,
    StrideOpt,
    ToOpt,
)
from poolcli.cli.parsing import check_page_path, memory, sheet_style, show_style, shown_how
from poolcli.cli.pass_words import ModeOptions, build_spec, comparison_rows
from poolcli.cli.picture_params import (
    BackgroundOpt,
    CellOpt,
    CropOpt,
    HtmlOpt,
)
from poolcli.cli.terminal import Terminal, draw, fail_usage, show_plan
from poolcli.errors import PoolError
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import MODES
from poolcli.spec.style import DEFAULT_BACKGROUND_TEXT, SheetStyle

if TYPE_CHECKING:
    from poolcli.batch.huge import Choice
    from poolcli.core.geometry import PassGeometry
    from poolcli.io.reading import Header
    from poolcli.spec.pool_spec import PoolSpec

PlanModeOpt = Annotated[
    str,
    typer.Option(
        "--mode",
        "-m",
        help="The mode whose sizes to plan: blurpool and maxblurpool pad their blur, "
        "fractional shrinks by its ratio.",
        metavar="MODE",
        autocompletion=lambda incomplete: [m for m in MODES if m.startswith(incomplete)],
    ),
]


# The options of compare alone.
CompareModesOpt = Annotated[
    str,
    typer.Option(
        "--modes",
        "-m",
        help="Rows: pooling modes, comma-separated.",
        metavar="LIST",
        autocompletion=lambda incomplete: [
            incomplete.rpartition(",")[0] + ("," if "," in incomplete else "") + mode
            for mode in MODES
            if mode.startswith(incomplete.rpartition(",")[2])
        ],
    ),
]


CompareSizesOpt = Annotated[
    str | None,
    typer.Option(
        "--sizes",
        help="Rows: window sizes instead of modes (first mode); entries in --to's words "
        "(512x, x300, 25%, 64x48!) are one pass to that size, which places its own windows.",
        metavar="LIST",
    ),
]


ComparePassesOpt = Annotated[
    int,
    typer.Option("--passes", "-n", min=1, help="Columns: passes after the original.", metavar="N"),
]


CompareDiffOpt = Annotated[
    bool,
    typer.Option("--diff", help="Add a row: |first row - second row|, contrast-stretched."),
]


CompareShiftOpt = Annotated[
    int,
    typer.Option(
        "--shift",
        min=0,
        help="Under each row, its passes of the input shifted N pixels right and down, and a "
        "row of how much each pass changed (mean in levels; one stretch a column): how much a "
        "mode aliases.",
        metavar="N",
    ),
]


CompareUnpoolOpt = Annotated[
    str | None,
    typer.Option(
        "--unpool",
        help="Under each max, min and stochastic row, the pixels each pass kept: dark or "
        "dim (the rest black or faded), or winners (a heat map of windows won).",
        metavar="dark|dim|winners",
    ),
]


CompareShowOpt = Annotated[
    str | None,
    typer.Option(
        "--show",
        help="Draw the grid in the terminal (see poolimg max --help); without -o, shown "
        "and not written.",
        metavar="[auto|blocks|ansi256|kitty|iterm|sixel]",
        show_default=False,
    ),
]


CompareOutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="File [default: poolimg-out/STEM_compare.png].",
        metavar="PATH",
    ),
]


def compare(
    input_: Annotated[str, typer.Argument(metavar="INPUT", help="An image file.")],
    modes: CompareModesOpt = "max,avg,min,stride",  # sum, lp and stochastic too
    sizes: CompareSizesOpt = None,
    passes: ComparePassesOpt = 3,
    size: SizeOpt = "2",
    stride: StrideOpt = None,
    padding: PaddingOpt = "valid",
    diff: CompareDiffOpt = False,
    shift: CompareShiftOpt = 0,
    dilation: DilationOpt = "1",
    compat: CompatOpt = None,
    count_pad: CountPadOpt = None,
    power: PowerOpt = None,
    seed: SeedOpt = None,
    blur: BlurOpt = None,
    reflect: ReflectOpt = False,
    unpool: CompareUnpoolOpt = None,
    output: CompareOutputOpt = None,
    cell: CellOpt = 256,
    crop: CropOpt = "auto",
    background: BackgroundOpt = DEFAULT_BACKGROUND_TEXT,
    linear: LinearOpt = False,
    format_: FormatOpt = None,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    show: CompareShowOpt = None,
    html: HtmlOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Compare modes (or window sizes) side by side: rows are modes, columns are passes.

    Examples:

    \b
      poolimg compare photo.jpg --modes max,avg,stride --passes 4 -o grid.png
      poolimg compare photo.jpg --sizes 2,3,4 --modes max -n 3
      poolimg compare mask.png --sizes 50%,25%,64x --modes mode -n 1
      poolimg compare photo.jpg --modes max,avg --diff
      poolimg compare photo.jpg --modes max,sum,lp,stochastic --seed 1 --unpool dim
      poolimg compare photo.jpg --modes max,maxblurpool --shift 1
    """
    term = Terminal(quiet)
    try:
        from poolcli.io.writing import save_image
        from poolcli.pictures.grid import comparison
        from poolcli.spec.formats import SaveOptions, format_for

        more = ModeOptions(dilation, count_pad, compat, power, seed, blur=blur, reflect=reflect)
        rows = comparison_rows(modes, sizes, size, stride, padding, more)
        if unpool not in (None, "dark", "dim", "winners"):
            raise ValueError(f"--unpool {unpool!r}: use dark, dim or winners")
        if diff and len(rows) < 2:
            raise ValueError("--diff compares the first two rows: give at least two modes or sizes")
        target = output or str(Path(DEFAULT_OUTPUT) / f"{Path(input_).stem}_compare.png")
        format_for(target, format_)
        style = sheet_style(cell, background, "fit", crop)
        how = shown_how(show)
        if how is not None and output is None:  # shown, not written
            target = ""
        if how is not None and output == "-":
            raise ValueError("--show draws on standard output, where -o - writes too")
        check_page_path(html)
        if html == "-" and (output == "-" or how is not None):
            raise ValueError("--html - writes to standard output, where -o - and --show write too")
    except (PoolError, ValueError) as exc:
        fail_usage(term, str(exc))
    try:
        from poolcli.io.reading import load

        picture = load(input_, max_pixels=max_pixels or None)

        def drawn(style: SheetStyle, board: bool = False) -> Any:
            return comparison(
                picture,
                rows,
                passes,
                style=style,
                diff=diff,
                linear=linear,
                unpool=unpool,
                title=input_,
                board=board,
                shift=shift,
            )

        canvas = drawn(style) if target else None
        board = None
        if how is not None:  # cells for the terminal, a row a line, labels as text
            from poolcli.pictures.terminal_sheet import fit_screen

            shape = picture.frames[0].shape[1:]
            shown = fit_screen(show_style(how, background, crop), shape, passes + 1, len(rows))
            board = drawn(shown, board=True)
        if canvas is not None:
            save_image(canvas, target, SaveOptions(format=format_), protect=[input_])
        if html is not None:
            from poolcli.io.writing import save_text
            from poolcli.pictures.explorer import SHOWN_MODES, explore_rows, why_not_shown

            save_text(explore_rows(picture, rows, passes, title=input_), html, protect=[input_])
            for label, spec in rows:
                if spec.mode not in SHOWN_MODES:
                    why = why_not_shown(spec.mode)
                    term.warn(f"--html: {label} left out of the page ({why})")
            if shift:
                term.warn("--html: the page shows the passes, not --shift's rows")
    except ValueError as exc:  # ParameterError: --diff of rows with different sizes
        fail_usage(term, str(exc))
    except PoolError as exc:
        term.error(str(exc))
        raise typer.Exit(1) from None
    if canvas is not None and target != "-":
        term.info(f"wrote {target} ({canvas.width}x{canvas.height})")
    if html is not None and html != "-":
        term.info(f"wrote page {html}")
    if how is not None and board is not None:
        draw(board, how)


def plan(
    input_: Annotated[
        str, typer.Argument(metavar="INPUT", help="An image file (only its header is read).")
    ],
    to: ToOpt = None,
    size: SizeOpt = "2",
    stride: StrideOpt = None,
    passes: PassesOpt = "1",
    padding: PaddingOpt = "valid",
    dilation: DilationOpt = "1",
    compat: CompatOpt = None,
    max_memory: MaxMemoryOpt = None,
    json_: PlanJsonOpt = False,
    mode: PlanModeOpt = "max",
    blur: BlurOpt = None,
) -> None:
    """Print the size after each pass, where padding or a dropped tail applies, and whether the
    image is pooled in memory or in bands of rows (and about how much memory its pixels take);
    write nothing. The sizes are every mode's but fractional's and the blur modes' (--mode).

    Exits 2 when a pass cannot run, as the pooling commands would before writing anything.

    Examples:

    \b
      poolimg plan photo.jpg -n all
      poolimg plan photo.jpg -k 3 -s 2 -p same -n 4 --json
      poolimg plan photo.jpg --to 512x     the windows of one pass to 512 wide
      poolimg plan stack.tif -k 2x2x2 -n 2  a z-stack: the pages each pass leaves too
      poolimg plan photo.jpg -m maxblurpool -n 3
    """
    term = Terminal(json_lines=json_)
    error, frames = None, None
    try:
        from poolcli.core.geometry import PlanError, plan_for
        from poolcli.io.reading import header

        spec = build_spec(
            mode,
            size,
            stride,
            passes,
            padding,
            ModeOptions(dilation, compat=compat, to=to, blur=blur),
        )
        found = header(input_)
        width, height = found.width, found.height
        geometries = plan_for(spec, (height, width))
        if spec.pools_frames:  # -k WxHxD, --to WxHxD: the frames each pass leaves
            from poolcli.core.frames import frames_after

            frames = [found.frames, *frames_after(found.frames, spec, len(geometries))]
        memory = memory_choice(input_, spec, found, geometries, max_memory)
    except PlanError as exc:  # show the passes that fit, then say where it stops
        geometries, error, memory = exc.fits, f"{input_}: {exc}", None
    except PoolError as exc:
        term.error(f"{input_}: {exc}" if not str(exc).startswith(input_) else str(exc))
        raise typer.Exit(EXIT_USAGE if not isinstance(exc, OSError) else 1) from None
    except ValueError as exc:
        fail_usage(term, str(exc))
    show_plan(term, input_, (width, height), geometries, error, memory, frames)
    if error is not None:
        fail_usage(term, error)


def memory_choice(
    name: str,
    spec: "PoolSpec",
    found: "Header",
    plan: "list[PassGeometry]",
    given: str | None,
) -> "Choice":
    """How a pooling command would run ``name`` with ``plan``: in memory or in bands, writing
    its passes in the input's own format (the default)."""
    from poolcli.batch.huge import choose
    from poolcli.batch.inputs import Source
    from poolcli.batch.run_options import RunOptions
    from poolcli.spec.formats import extension_for
    from poolcli.spec.limits import default_max_memory

    budget = memory(given) if given else default_max_memory()
    run = RunOptions(spec, max_memory=budget)
    ext = extension_for(found.format or "PNG")
    targets = {f"pass {geom.index}": f"pass{geom.index}.{ext}" for geom in plan}
    return choose(Source(name, Path(name)), run, found, plan, targets)


def show(
    files: Annotated[
        list[str], typer.Argument(metavar="FILES...", help="Images or sheets to draw.")
    ],
    how: Annotated[
        str,
        typer.Option(
            "--show",
            help="auto picks Kitty, iTerm2 or Sixel graphics, else half-blocks; blocks "
            "forces truecolor half-blocks, ansi256 their 256-colour form.",
            metavar="auto|blocks|ansi256|kitty|iterm|sixel",
        ),
    ] = "auto",
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
) -> None:
    """Draw images (a contact sheet, a grid, any photo) in the terminal, fitted to its width;
    small ones enlarged by whole factors, so pooled pixels stay crisp blocks.

    Examples:

    \b
      poolimg show poolimg-out/photo_max_k2_s2_sheet.png
      poolimg show small.png --show blocks
    """
    term = Terminal()
    try:
        method = shown_how(how)
    except ValueError as exc:
        fail_usage(term, str(exc))
    assert method is not None
    failed = False
    for name in files:
        try:
            from poolcli.pictures.api import terminal_picture

            draw(terminal_picture(name, method, max_pixels or None), method)
        except PoolError as exc:
            term.error(str(exc))
            failed = True
    raise typer.Exit(1 if failed else 0)


def completion(
    shell: Annotated[
        str,
        typer.Argument(
            metavar="bash|zsh|fish",
            help="The shell to complete in.",
            autocompletion=lambda incomplete: [
                s for s in ("bash", "zsh", "fish") if s.startswith(incomplete)
            ],
        ),
    ],
) -> None:
    """Print the script that makes SHELL complete poolimg's commands, options, their words
    (modes, paddings, formats, ...) and files.

    Examples:

    \b
      source <(poolimg completion bash)                  in ~/.bashrc
      poolimg completion zsh > "${fpath[1]}/_poolimg"     then restart zsh
      poolimg completion fish > ~/.config/fish/completions/poolimg.fish
    """
    if shell not in ("bash", "zsh", "fish"):
        fail_usage(Terminal(), f"completion {shell!r}: use bash, zsh or fish")
    print(completion_script(shell))


complete_words(globals())
