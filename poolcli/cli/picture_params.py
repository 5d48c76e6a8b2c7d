"""The options of what a person looks at, shared by the pooling commands and ``compare``:
contact sheets (``--sheet``, ``--sheet-only``, ``--sheet-scale``, ``--cell``, ``--crop``,
``--background``), ``--show`` in the terminal, ``--html`` pages, and the pictures of the pixels
each pass kept (``--unpool``, ``--winners``).

Declared once as ``Annotated`` types, which Typer reads at every start.
"""

from typing import Annotated

import typer

from poolcli.cli.help_layout import complete_words

UnpoolOpt = Annotated[
    bool,
    typer.Option(
        "--unpool",
        help="Also write, per pass, the input-sized picture of the pixels that won a window "
        "(NAME_unpool.EXT), the rest dark.",
    ),
]

UnpoolBackgroundOpt = Annotated[
    str,
    typer.Option(
        "--unpool-background",
        help="dark: the pixels that lost are black; dim: the photo, faded.",
        metavar="dark|dim",
    ),
]

WinnersOpt = Annotated[
    bool,
    typer.Option(
        "--winners",
        help="Instead of --unpool's picture: how many windows each pixel won, as a heat map "
        "(NAME_winners.EXT).",
    ),
]

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

HtmlOpt = Annotated[
    str | None,
    typer.Option(
        "--html",
        help="Also write one HTML page (opens offline): the explorer of the input's passes "
        "(point at a pixel, see its window), or with several inputs a gallery of their sheets "
        "and failures.",
        metavar="PATH",
    ),
]

CropOpt = Annotated[
    str,
    typer.Option(
        "--crop",
        help="The detail shown at 1:1 under sheets, grids and --show: auto (for an image "
        "shown at half its size or less, the region with the most fine detail), X,Y,W,H "
        "(a region in the original's pixels) or none.",
        metavar="auto|none|X,Y,W,H",
    ),
]

BackgroundOpt = Annotated[
    str, typer.Option("--background", help="Sheet and grid background colour.", metavar="COLOUR")
]

ShowOpt = Annotated[
    str | None,
    typer.Option(
        "--show",
        help="Draw each input's contact sheet in the terminal (sized to its width and height, "
        "labels as text): "
        "auto picks Kitty, iTerm2 or Sixel graphics, else half-blocks; blocks forces "
        "truecolor half-blocks, ansi256 their 256-colour form. With --sheet-only and no "
        "--sheet PATH: shown, not written.",
        metavar="[auto|blocks|ansi256|kitty|iterm|sixel]",
        show_default=False,
    ),
]

SheetOnlyOpt = Annotated[
    bool, typer.Option("--sheet-only", help="Write the contact sheet, not the passes.")
]


complete_words(globals())
