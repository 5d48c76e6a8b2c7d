"""``poolimg compare``: modes (or window sizes) side by side, a row each, a column a pass.

Declared here and registered on the app by :mod:`poolcli.cli.app`; the grid is drawn by
:mod:`poolcli.pictures.grid`. Annotations are objects, not strings (no ``from __future__ import
annotations``): Typer reads them at every start.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from poolcli.batch.run_options import DEFAULT_OUTPUT
from poolcli.cli.help_layout import complete_words
from poolcli.cli.params import (
    BlurOpt,
    CompatOpt,
    CountPadOpt,
    DilationOpt,
    FormatOpt,
    LinearOpt,
    MaxPixelsOpt,
    PaddingOpt,
    PowerOpt,
    QuietOpt,
    ReflectOpt,
    SeedOpt,
    SizeOpt,
    StrideOpt,
)
from poolcli.cli.parsing import check_page_path, sheet_style, show_style, shown_how
from poolcli.cli.pass_words import ModeOptions, comparison_rows
from poolcli.cli.picture_params import BackgroundOpt, CellOpt, CropOpt, HtmlOpt
from poolcli.cli.terminal import Terminal, draw, fail_usage
from poolcli.errors import PoolError
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import MODES
from poolcli.spec.style import DEFAULT_BACKGROUND_TEXT, SheetStyle

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


complete_words(globals())
