"""The commands beside the pooling ones, ``compare`` and ``explore`` aside: ``plan``, ``show``
and ``completion``.

Declared here and registered on the app by :mod:`poolcli.cli.app`; what they compute lives in the
layers below (:mod:`poolcli.core.geometry`, :mod:`poolcli.batch.huge`, :mod:`poolcli.pictures.api`).
Annotations are objects, not strings (no ``from __future__ import annotations``): Typer reads
them at every start.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from poolcli.batch.report import EXIT_USAGE
from poolcli.cli.help_layout import complete_words, completion_script
from poolcli.cli.params import (
    BlurOpt,
    CompatOpt,
    DilationOpt,
    MaxMemoryOpt,
    MaxPixelsOpt,
    PaddingOpt,
    PassesOpt,
    PlanJsonOpt,
    SizeOpt,
    StrideOpt,
    ToOpt,
)
from poolcli.cli.parsing import memory, shown_how
from poolcli.cli.pass_words import ModeOptions, build_spec
from poolcli.cli.terminal import Terminal, draw, fail_usage, show_plan
from poolcli.errors import PoolError
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import MODES

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
        from poolcli.core.frames import frames_after
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
            frames = [found.frames, *frames_after(found.frames, spec, geometries)]
            geometries = geometries[: len(frames) - 1]  # -n all: until the frames run out
        memory = memory_choice(input_, spec, found, geometries, max_memory)
    except PlanError as exc:  # show the passes that fit, then say where it stops
        geometries, error, memory = exc.fits, f"{input_}: {exc}", None
        if spec.pools_frames:  # the frames of those passes (a 2-D stop may come later)
            try:
                frames = [found.frames, *frames_after(found.frames, spec, geometries)]
            except PlanError as fewer:
                geometries = fewer.fits
                frames = [found.frames, *frames_after(found.frames, spec, geometries)]
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
