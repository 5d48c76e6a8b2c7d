"""``poolimg explore``: write the page of :mod:`poolcli.pictures.explorer` for one image, or
for the tutorials' 4x4 example.

Registered on the app by :mod:`poolcli.cli.app`. Annotations are objects, not strings: Typer
reads them at every start.
"""

from pathlib import Path
from typing import Annotated

import typer

from poolcli.batch.run_options import DEFAULT_OUTPUT
from poolcli.cli.params import (
    CompatOpt,
    CountPadOpt,
    DilationOpt,
    EvalOpt,
    MaxPixelsOpt,
    PaddingOpt,
    PowerOpt,
    QuietOpt,
    SeedOpt,
    SizeOpt,
    StrideOpt,
    ToOpt,
)
from poolcli.cli.pass_words import ModeOptions, build_spec, one_frame
from poolcli.cli.terminal import Terminal, fail_usage
from poolcli.errors import PoolError
from poolcli.spec.limits import DEFAULT_MAX_PIXELS

ExploreModeOpt = Annotated[
    str,
    typer.Option(
        "--mode",
        "-m",
        help="max, min, avg, sum, lp, median, mode, stride or stochastic.",
        metavar="MODE",
    ),
]
ExplorePassesOpt = Annotated[
    str, typer.Option("--passes", "-n", help="Passes to run, or all that fit.", metavar="N|all")
]
ExploreOutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="The page [default: poolimg-out/STEM_explore.html]; - for standard output.",
        metavar="PATH",
    ),
]
ExampleOpt = Annotated[
    bool,
    typer.Option(
        "--example",
        help="The tutorials' 4x4 example, with controls for size, stride, padding and dilation.",
    ),
]


def explore(
    input_: Annotated[
        str | None, typer.Argument(metavar="[INPUT]", help="An image file (not with --example).")
    ] = None,
    mode: ExploreModeOpt = "max",
    to: ToOpt = None,
    size: SizeOpt = "2",
    stride: StrideOpt = None,
    passes: ExplorePassesOpt = "3",
    padding: PaddingOpt = "valid",
    dilation: DilationOpt = "1",
    compat: CompatOpt = None,
    count_pad: CountPadOpt = None,
    power: PowerOpt = None,
    seed: SeedOpt = None,
    evaluate: EvalOpt = False,
    example: ExampleOpt = False,
    output: ExploreOutputOpt = None,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    quiet: QuietOpt = False,
) -> None:
    """Write one HTML page to explore the passes: point at any output pixel to see its
    window outlined in the pass before, its values, the result and how it was computed.

    The page needs no network and no server: open it from the file in any current browser.
    It shows the original and every pass side by side (or a swipe between two) with zoom
    and pan down to single pixels, and the PyTorch and Keras code of each pass. Of a large
    photo it holds the values of a detail region at full resolution, and previews elsewhere.

    Examples:

    \b
      poolimg explore photo.jpg -m max -n 3
      poolimg explore photo.jpg -m avg -k 3 -s 2 -p same -o avg.html
      poolimg explore --example            the 4x4 example, with controls
    """
    term = Terminal(quiet)
    try:
        from poolcli.io.writing import save_text
        from poolcli.pictures import explorer

        more = ModeOptions(dilation, count_pad, compat, power, seed, evaluate, to=to)
        spec = build_spec(mode, size, stride, "1" if example else passes, padding, more)
        one_frame(spec, "explore")
        if example == (input_ is not None):
            raise ValueError("give an image, or --example (not both)")
    except (PoolError, ValueError) as exc:
        fail_usage(term, str(exc))
    if input_ is None:
        target = output or str(Path(DEFAULT_OUTPUT) / "example_explore.html")
    else:
        target = output or str(Path(DEFAULT_OUTPUT) / f"{Path(input_).stem}_explore.html")
    try:
        if input_ is None:
            text = explorer.explore_example(spec)
        else:
            from poolcli.io.reading import load

            picture = load(input_, max_pixels=max_pixels or None)
            text = explorer.explore(picture, spec, title=input_)
        save_text(text, target, protect=[input_] if input_ else [])
    except ValueError as exc:  # ParameterError: a mode without windows, no pass fits
        message = str(exc)
        fail_usage(
            term,
            message if input_ is None or message.startswith(input_) else f"{input_}: {message}",
        )
    except PoolError as exc:
        term.error(str(exc))
        raise typer.Exit(1) from None
    if target != "-":
        term.info(f"wrote {target} ({len(text) / 1e6:.1f} MB)")
