"""Turning the command line's words into values: colours, metadata, styles, input lists, and
the :class:`~poolcli.batch.run_options.RunOptions` of a pooling command (its pass words are
:mod:`poolcli.cli.pass_words`).

No Typer and no numpy: each parser raises ``ValueError`` with the one-line message the command
prints, so it can be tested, and reused, without a command line.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from poolcli.spec.limits import default_max_memory
from poolcli.spec.style import SheetStyle

if TYPE_CHECKING:
    from poolcli.batch.run_options import RunOptions
    from poolcli.cli.pooling_args import PoolingArgs
    from poolcli.spec.style import Crop


def parse_colour(text: str, option: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    try:
        rgb = ImageColor.getrgb(text)
    except ValueError:
        raise ValueError(f"{option} {text!r}: not a colour (try white, #262626)") from None
    return (rgb[0], rgb[1], rgb[2])


def run_options_for(mode: str, given: PoolingArgs) -> RunOptions:
    """The :class:`~poolcli.batch.run_options.RunOptions` of ``poolimg MODE``, from what the user
    gave it (the options a mode lacks keep their defaults).

    Raises
    ------
    ValueError, PoolError
        With the message to print, for options that cannot work (together).
    """
    from poolcli.batch.naming import check_template
    from poolcli.batch.run_options import RunOptions
    from poolcli.cli.pass_words import ModeOptions, build_spec, check_unpool
    from poolcli.spec.formats import SaveOptions, format_for

    evaluate = given.evaluate
    more = ModeOptions(
        given.dilation,
        given.count_pad,
        given.compat,
        given.power,
        given.seed,
        evaluate,
        given.ratio,
        given.to,
        given.ignore,
        given.blur,
        given.reflect,
    )
    spec = build_spec(mode, given.size, given.stride, given.passes, given.padding, more)
    if given.linear and spec.ignore is not None:
        raise ValueError("--linear averages light and --ignore leaves nodata out: choose one")
    unpool, winners = given.unpool, given.winners
    if spec.pools_frames and (unpool or winners or given.linear or given.html is not None):
        option = (
            "--unpool" if unpool else "--winners" if winners else "--linear" if given.linear
            else "--html"
        )  # fmt: skip
        raise ValueError(f"{option} works on one frame: not with a depth (-k WxHxD)")
    shown = check_unpool(spec, unpool, given.unpool_background, winners)
    name, format_, output = given.name, given.format_, given.output
    sheet, sheet_only = given.sheet, given.sheet_only
    if name is not None:
        check_template(name)
    if format_:
        format_for("x", format_)
    run = RunOptions(
        spec,
        output=output,
        name=name,
        final_only=given.final_only,
        save=SaveOptions(
            format_,
            given.quality,
            given.compress_level,
            parse_colour(given.flatten, "--flatten"),
            metadata_kept(given.strip, given.keep_metadata),
        ),
        linear=given.linear,
        stretch=given.stretch,
        no_clobber=given.no_clobber,
        max_pixels=given.max_pixels or None,
        max_memory=memory(given.max_memory) if given.max_memory else default_max_memory(),
        in_bands=given.in_bands,
        draft=given.draft,
        allow_truncated=given.allow_truncated,
        write_images=not given.global_,
        sheet="auto" if sheet_only and sheet is None else sheet,
        sheet_only=sheet_only,
        sheet_style=sheet_style(given.cell, given.background, given.sheet_scale, given.crop),
        unpool=shown if unpool or winners else None,
        winners=winners,
        dry_run=given.dry_run,
        show=shown_how(given.show),
        storage_options=storage_options(given.storage_option or []),
    )
    if run.output_kind == "file":
        format_for(output or "", format_)
    if given.draft:
        check_draft(run, given.html is not None)
    if given.global_ and (output is not None or sheet is not None or sheet_only):
        raise ValueError("--global prints values and writes no image: drop -o and --sheet")
    if run.show and (given.json_ or output == "-"):
        raise ValueError("--show draws on standard output, where --json and -o - write too")
    if run.show:
        run = replace(run, show_style=show_style(run.show, given.background, given.crop))
    if given.html is not None:
        check_page_path(given.html)
        if given.html == "-" and (output == "-" or given.json_ or run.show):
            raise ValueError("--html - writes to standard output, where -o -, --json or --show do")
        run = replace(run, html=given.html)
    if run.show and sheet_only and given.sheet is None:
        run = replace(run, sheet=None)  # --sheet-only --show: shown, not written
    return run


def shown_how(how: str | None) -> str | None:
    """``--show``'s word, ``auto`` resolved to what this terminal takes (None: no --show)."""
    if how is None:
        return None
    if how not in OPTIONAL_WORDS["--show"]:
        raise ValueError(f"--show {how!r}: use auto, blocks, ansi256, kitty, iterm or sixel")
    if how == "auto":
        from poolcli.pictures.terminal_graphics import choose

        return choose()
    return how


def show_style(how: str, background: str, crop: str = "auto") -> SheetStyle:
    """The style of the sheet ``--show`` draws: its cells are sized for this terminal's
    width and height once the image's shape is known
    (:func:`poolcli.pictures.terminal_sheet.fit_screen`)."""
    import shutil

    from poolcli.pictures.terminal_graphics import cell_pixels

    columns, lines = shutil.get_terminal_size()
    colour = parse_colour(background, "--background")
    screen = (columns, lines, *cell_pixels(how, columns, lines))
    return SheetStyle(32, colour, "fit", crop=parse_crop(crop), screen=screen)


def metadata_kept(strip: bool, keep: str | None) -> Literal["all", "icc", "none"]:
    """What ``--strip`` and ``--keep-metadata`` leave in the outputs.

    >>> metadata_kept(False, None), metadata_kept(True, None), metadata_kept(False, "none")
    ('all', 'icc', 'none')
    """
    if strip and keep not in (None, "icc"):
        raise ValueError(
            f"--strip keeps the colour profile alone: it cannot go with --keep-metadata {keep}"
        )
    chosen = "icc" if strip else keep or "all"
    if chosen not in ("all", "icc", "none"):
        raise ValueError(f"--keep-metadata {keep!r}: use all, icc or none")
    return cast(Literal["all", "icc", "none"], chosen)


def sheet_style(cell: int, background: str, scale: str, crop: str = "auto") -> SheetStyle:
    if scale not in ("fit", "true"):
        raise ValueError(f"--sheet-scale {scale!r}: use fit (blocks enlarged) or true (real sizes)")
    fit = cast(Literal["fit", "true"], scale)
    return SheetStyle(cell, parse_colour(background, "--background"), fit, crop=parse_crop(crop))


def check_page_path(path: str | None) -> None:
    """``--html``'s PATH: a file ending in .html or .htm (a URL too), or - for stdout."""
    if path is not None and path != "-" and not path.lower().endswith((".html", ".htm")):
        raise ValueError(f"--html {path!r}: give a file ending in .html, or - for standard output")


def parse_crop(text: str) -> Crop:
    """``--crop``'s word: ``auto``, ``none`` or ``X,Y,W,H`` (a region of the original).

    >>> parse_crop("auto"), parse_crop(" 10, 20,300,200")
    ('auto', (10, 20, 300, 200))
    """
    if text in ("auto", "none"):
        return cast(Literal["auto", "none"], text)
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 4 and all(part.isdigit() for part in parts):
        x, y, width, height = (int(part) for part in parts)
        if width >= 1 and height >= 1:
            return (x, y, width, height)
    raise ValueError(
        f"--crop {text!r}: use auto, none or X,Y,W,H (pixels of the original; W and H at least 1)"
    )


def check_draft(run: RunOptions, html: bool) -> None:
    """Refuse ``--draft`` where the run needs the exact decode (ValueError)."""
    from poolcli.batch.draft import why_no_draft

    why = why_no_draft(run.spec, run.linear)
    if why is None and (run.sheet is not None or run.show or html or run.indexed):
        why = "--draft leaves the original undecoded: it goes without sheets, pages and --unpool"
    if why is not None:
        raise ValueError(why)


def memory(text: str) -> int:
    """``--max-memory``'s size, in bytes (ValueError: not a size)."""
    from poolcli.spec.limits import parse_bytes

    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise ValueError(f"--max-memory {exc}") from None


def storage_options(given: list[str]) -> tuple[tuple[str, str], ...]:
    """``--storage-option KEY=VALUE`` words, checked (no credentials), in order."""
    from poolcli.remote.storage import parse_option

    return tuple(parse_option(text) for text in given)


def read_files_from(source: str, null: bool) -> list[str]:
    from poolcli.batch.inputs import read_file_list

    if source == "-":
        text = sys.stdin.buffer.read().decode(errors="surrogateescape")
    else:
        try:
            text = Path(source).read_bytes().decode(errors="surrogateescape")
        except OSError as exc:
            raise ValueError(f"--files-from {source}: {exc.strerror or exc}") from None
    return read_file_list(text, null)


# Options whose value may be left out, and what they mean then. (Typer 0.28 has no
# optional-value options; click's own rule is followed: a value is the next word unless that
# word is missing or starts with "-".)
OPTIONAL_VALUES = {"--sheet": "auto", "--show": "auto"}
# Options whose value, when given, is one of these words: any other next word (an input file)
# is not taken as their value.
OPTIONAL_WORDS = {"--show": ("auto", "kitty", "iterm", "sixel", "blocks", "ansi256")}


def fill_optional_values(args: list[str]) -> list[str]:
    """``--sheet`` alone becomes ``--sheet auto``; ``--sheet PATH`` and ``--sheet=PATH`` stay.

    >>> fill_optional_values(["max", "a.jpg", "--sheet", "-n", "3"])
    ['max', 'a.jpg', '--sheet', 'auto', '-n', '3']
    >>> fill_optional_values(["max", "a.jpg", "--sheet", "s.png"])
    ['max', 'a.jpg', '--sheet', 's.png']
    >>> fill_optional_values(["max", "--show", "a.jpg"]), fill_optional_values(["--show", "sixel"])
    (['max', '--show', 'auto', 'a.jpg'], ['--show', 'sixel'])
    """
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--":
            return out + args[i + 1 :]
        if arg in OPTIONAL_VALUES:
            following = args[i + 1] if i + 1 < len(args) else None
            words = OPTIONAL_WORDS.get(arg)
            if (
                following is None
                or (following.startswith("-") and following != "-")
                or (words is not None and following not in words)
            ):
                out.append(OPTIONAL_VALUES[arg])
    return out
