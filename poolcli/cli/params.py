"""The options the commands share, declared once for Typer, and the help texts of the modes."""

from __future__ import annotations

from typing import Annotated

import typer

from poolcli.cli.help_layout import complete_words
from poolcli.spec.pool_spec import BLUR_MODES, INDEXED_MODES, MODES, OPTION_MODES

SizeOpt = Annotated[
    str,
    typer.Option(
        "--size",
        "-k",
        help="Window: N, or WxH such as 3x2; WxHxD pools D frames of a multi-page or "
        "animated file together too.",
        metavar="N|WxH[xD]",
    ),
]


StrideOpt = Annotated[
    str | None,
    typer.Option(
        "--stride",
        "-s",
        help="Step between windows [default: the size]; WxHxD steps D frames.",
        metavar="N|WxH[xD]",
    ),
]


PassesOpt = Annotated[
    str,
    typer.Option(
        "--passes",
        "-n",
        help="Passes to run; all that fit; or fit:N, passes while the longest side is over N.",
        metavar="N|all|fit:N",
    ),
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


DilationOpt = Annotated[
    str,
    typer.Option(
        "--dilation",
        "-d",
        help="Window cells this far apart (PyTorch's dilation): N or WxH.",
        metavar="N|WxH",
    ),
]


CompatOpt = Annotated[
    str | None,
    typer.Option(
        "--compat",
        help="Follow a framework's size and divisor rules exactly (see docs/frameworks.md).",
        metavar="caffe|torch|keras",
    ),
]


CountPadOpt = Annotated[
    bool | None,
    typer.Option(
        "--count-pad/--no-count-pad",
        help="Average over padded cells too (PyTorch's default count_include_pad, Caffe) "
        "[default: real cells only, as Keras; --compat decides].",
        show_default=False,
    ),
]


PowerOpt = Annotated[
    float | None,
    typer.Option(
        "--power",
        help="Lp's p, above 0: 1 is the sum, 2 the Euclidean norm [default: 2].",
        metavar="P",
    ),
]


SeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed", min=0, help="Seed of the random draws, for a run that repeats.", metavar="N"
    ),
]


IgnoreOpt = Annotated[
    str | None,
    typer.Option(
        "--ignore",
        help="Nodata: cells equal to VALUE (or NaN, with nan) are left out of every window; "
        "averages divide by the cells left, a window of them alone gives VALUE. Alpha is "
        "then pooled as a channel: without --ignore, averages already leave out transparent "
        "pixels by weighting colour with alpha.",
        metavar="VALUE",
        show_default=False,
    ),
]


ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="One pass to a size, as PyTorch's adaptive pooling: 512x (width), x300 "
        "(height), 512x512 (fit inside), 512x512! (exactly), 25%; a trailing > only shrinks; "
        "WxHxD (or N%xD) pools a stack's frames to D too. In place of -k, -s, -p and -n; every "
        "mode but stride, stochastic and fractional.",
        metavar="SIZE",
        show_default=False,
    ),
]


RatioOpt = Annotated[
    float,
    typer.Option(
        "--ratio",
        help="Each pass's size over its input's, from 0.5 up to (not with) 1.",
        metavar="R",
    ),
]


BlurOpt = Annotated[
    int | None,
    typer.Option(
        "--blur",
        help="Taps of the binomial blur, 1 to 20 (Kornia's kernel_size) [default: 3].",
        metavar="N",
        show_default=False,
    ),
]


ReflectOpt = Annotated[
    bool,
    typer.Option(
        "--reflect",
        help="Mirror the image at its edges for the blur (antialiased-cnns's padding) "
        "instead of padding it with zeros (Kornia's: its edges darken).",
    ),
]


EvalOpt = Annotated[
    bool,
    typer.Option("--eval", help="Caffe's test phase: the weighted mean sum(x^2)/sum(x), no draw."),
]


LinearOpt = Annotated[
    bool, typer.Option("--linear", help="Average in linear light (gamma-correct), not sRGB values.")
]


JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="One JSON object per input on stdout, and nothing else there."),
]


PlanJsonOpt = Annotated[
    bool, typer.Option("--json", help="The plan as one JSON object on stdout, and nothing else.")
]


QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")]


FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format (jpeg, png, webp, tiff, ...) [default: from the output's name].",
        metavar="FMT",
        autocompletion=lambda incomplete: [
            f for f in ("png", "jpg", "webp", "tif", "gif", "bmp") if f.startswith(incomplete)
        ],
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


MaxMemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        help="Memory a run's pixels may take (300M, 2G; the interpreter and libraries, about "
        "100 MiB, come on top); an image that needs more is decoded, pooled and written in "
        "bands of rows (PNG, TIFF, JPEG in; PNG, TIFF out; needs poolimg[huge]), or refused "
        "saying why. Split between the -j workers. "
        "[default: a quarter of this machine's memory]",
        metavar="SIZE",
        show_default=False,
    ),
]


DraftOpt = Annotated[
    bool,
    typer.Option(
        "--draft",
        help="Let libjpeg decode a JPEG at 1/2, 1/4 or 1/8 of its size in place of the first "
        "2x2 (4x4, 8x8) averages, as vipsthumbnail does: faster, not exact (on the sample "
        "photos at most 9 levels off, 0.6 on average; docs/huge.md). avg only.",
    ),
]


InBandsOpt = Annotated[
    bool,
    typer.Option(
        "--in-bands",
        help="Pool every image that can be in bands of rows, even one that fits in memory: "
        "flat memory for a batch of large images (needs poolimg[huge]).",
    ),
]


StretchOpt = Annotated[
    bool,
    typer.Option(
        "--stretch",
        help="Scale each pass so its largest value is white (16-bit PNG: 65535), named "
        "_stretched: for looking at. Without it the values are written as they are, and "
        "viewers show small sums dark.",
    ),
]


AllowTruncatedOpt = Annotated[
    bool,
    typer.Option(
        "--allow-truncated",
        help="Decode what a truncated or damaged file holds, the rest black, with a warning "
        "naming it (as ImageMagick and libvips do); off: such a file fails.",
    ),
]


VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Say more: skipped files, warnings, timings.")
]


FinalOnlyOpt = Annotated[bool, typer.Option("--final-only", help="Write only the last pass.")]


OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Folder [default: poolimg-out/], a file (one input, one image), or - for stdout.",
        metavar="PATH",
    ),
]


NameOpt = Annotated[
    str | None,
    typer.Option(
        "--name",
        help="File name template: {stem} {dir} {ext} {mode} {size} {stride} {padding} "
        "{options} {pass} {width} {height}. {dir} is the input's folder below the folder it was "
        "found in (as written for a file named on its own); a name with {dir} is not put in "
        "a copy of that folder.",
        metavar="TEMPLATE",
    ),
]


GlobalOpt = Annotated[
    bool,
    typer.Option(
        "--global",
        help="Print each channel's global max/avg/min instead of writing images.",
    ),
]


QualityOpt = Annotated[
    int, typer.Option("--quality", min=1, max=100, help="JPEG/WebP quality.", metavar="1-100")
]


CompressLevelOpt = Annotated[
    int,
    typer.Option(
        "--compress-level",
        min=0,
        max=9,
        help="PNG compression: 1 is fast, 9 small.",
        metavar="0-9",
    ),
]


FlattenOpt = Annotated[
    str,
    typer.Option(
        "--flatten",
        help="Colour to flatten alpha onto for formats without it (JPEG).",
        metavar="COLOUR",
    ),
]


StripOpt = Annotated[
    bool,
    typer.Option(
        "--strip",
        help="Drop EXIF (camera, time, GPS position) from the outputs; keep the colour "
        "profile. Same as --keep-metadata icc.",
    ),
]


KeepMetadataOpt = Annotated[
    str | None,
    typer.Option(
        "--keep-metadata",
        help="Metadata the outputs keep: all (colour profile, EXIF, DPI), icc (the colour "
        "profile) or none.  [default: all]",
        metavar="all|icc|none",
        show_default=False,
    ),
]


# Options that only some modes have (the rest are every mode's).
MODE_OPTIONS = {
    **{option: set(modes) for option, modes in OPTION_MODES.items()},
    "count_pad": {"avg"},
    "linear": {"avg"},
    "stretch": {"sum", "lp"},
    "unpool": set(INDEXED_MODES),
    "unpool_background": set(INDEXED_MODES),
    "winners": set(INDEXED_MODES),
    # fractional pooling places its windows itself; the blur modes pad their blur themselves
    "stride": set(MODES) - {"fractional"},
    "padding": set(MODES) - {"fractional", *BLUR_MODES},
    "dilation": set(MODES) - {"fractional", *BLUR_MODES},
    "compat": set(MODES) - {"fractional", *BLUR_MODES},
    "global_": set(MODES) - set(BLUR_MODES),
    "to": set(MODES) - set(BLUR_MODES),
}


complete_words(globals())
