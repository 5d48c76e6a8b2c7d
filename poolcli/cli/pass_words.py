"""The command line's words for a pass, made a :class:`~poolcli.spec.pool_spec.PoolSpec`: the
window (``-k``, ``-s``, ``-p``, ``-n``), ``--to``, each mode's own options, ``--ignore``, and the
rows of ``poolimg compare``.

No Typer and no numpy: each raises ``ValueError`` with the one-line message the command prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, cast

from poolcli.spec.pool_spec import DEFAULT_RATIO, OPTION_MEANING, OPTION_MODES

if TYPE_CHECKING:
    from poolcli.spec.pool_spec import Compat, Mode, Padding, PoolSpec


def parse_geometry(text: str, option: str) -> int | tuple[int, int]:
    """``"3"`` -> 3; ``"3x2"`` (W x H, as ImageMagick writes it) -> ``(2, 3)`` (rows, cols)."""
    parts = text.lower().split("x")
    if len(parts) in (1, 2) and all(p.strip().isdigit() for p in parts):
        numbers = [int(p) for p in parts]
        if min(numbers) >= 1:
            return numbers[0] if len(numbers) == 1 else (numbers[1], numbers[0])
        raise ValueError(f"{option} {text!r}: at least 1 pixel a side")
    raise ValueError(f"{option} {text!r}: give a whole number of pixels, or WxH such as 3x2")


def parse_depth(text: str, option: str) -> tuple[str, int | None]:
    """A window or stride with a third number, across frames: ``"3x2x4"`` -> ``("3x2", 4)``;
    ``"3x2"`` -> ``("3x2", None)``.

    >>> parse_depth("2x2x3", "--size"), parse_depth("2", "--size")
    (('2x2', 3), ('2', None))
    """
    parts = text.lower().split("x")
    if len(parts) != 3:
        return text, None
    if not (parts[2].strip().isdigit() and int(parts[2]) >= 1):
        raise ValueError(f"{option} {text!r}: the depth (frames) is a whole number of at least 1")
    return "x".join(parts[:2]), int(parts[2])


def parse_padding(text: str) -> Padding:
    if text in ("valid", "same", "ceil"):
        return cast("Padding", text)
    if text.isdigit():
        return int(text)
    raise ValueError(f"--padding {text!r}: use valid, same, ceil or a number of pixels")


def parse_passes(text: str) -> tuple[int | Literal["all"], int | None]:
    """``--passes``: a count, ``all``, or ``fit:N`` (all, while the longest side is over N),
    as (passes, fit).

    >>> parse_passes("3"), parse_passes("all"), parse_passes("fit:512")
    ((3, None), ('all', None), ('all', 512))
    """
    if text == "all":
        return "all", None
    if text.isdigit() and int(text) >= 1:
        return int(text), None
    size = text.removeprefix("fit:")
    if text.startswith("fit:") and size.isdigit() and int(size) >= 1:
        return "all", int(size)
    raise ValueError(
        f"--passes {text!r}: give a number of at least 1, all, or fit:N (N at least 1)"
    )


def build_spec(
    mode: str,
    size: str,
    stride: str | None,
    passes: str,
    padding: str,
    more: ModeOptions | None = None,
) -> PoolSpec:
    from poolcli.spec.pool_spec import PoolSpec

    more = more or ModeOptions()
    for option, flag in (
        ("power", "--power"),
        ("seed", "--seed"),
        ("evaluate", "--eval"),
        ("blur", "--blur"),
        ("reflect", "--reflect"),
    ):
        modes = OPTION_MODES[option]
        given = getattr(more, option)
        if given is not None and given is not False and mode not in modes:
            raise ValueError(
                f"{flag} is {OPTION_MEANING[option]}: use it with poolimg "
                f"{' or '.join(modes)}, not {mode}"
            )
    if more.compat is not None and more.compat not in ("caffe", "torch", "keras"):
        raise ValueError(f"--compat {more.compat!r}: use caffe, torch or keras")
    if more.ignore is not None and mode == "stride":
        raise ValueError("--ignore leaves a value out of each window; a stride keeps one cell")
    if more.to is not None:
        return _spec_to(mode, size, stride, passes, padding, more)
    count, fit = parse_passes(passes)
    size, depth = parse_depth(size, "--size")
    depth_stride = None
    if stride is not None:
        stride, depth_stride = parse_depth(stride, "--stride")
    return PoolSpec(
        cast("Mode", mode),  # PoolSpec checks it
        parse_geometry(size, "--size"),
        None if stride is None else parse_geometry(stride, "--stride"),
        parse_padding(padding),
        count,
        dilation=parse_geometry(more.dilation, "--dilation"),
        count_pad=more.count_pad,
        compat=cast("Compat | None", more.compat),
        power=more.power,
        seed=more.seed,
        evaluate=more.evaluate,
        ratio=more.ratio if mode == "fractional" else None,
        fit=fit,
        ignore=parse_nodata(more.ignore),
        blur=more.blur,
        reflect=more.reflect,
        depth=1 if depth is None else depth,
        depth_stride=depth_stride,
    )


def one_frame(spec: PoolSpec, command: str) -> PoolSpec:
    """``spec``, refused for a command that pools one frame when it has a depth."""
    if spec.pools_frames:
        from poolcli.spec.pool_spec import VOLUME_MODES

        raise ValueError(
            f"{command} pools one frame: a depth (-k WxHxD) pools across frames in "
            f"poolimg {', '.join(VOLUME_MODES)}"
        )
    return spec


def parse_nodata(text: str | None) -> float | None:
    """``--ignore``'s value: a number, or ``nan``.

    >>> parse_nodata("0"), parse_nodata("-9999"), parse_nodata("NaN")
    (0, -9999, nan)
    """
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--ignore {text!r}: give a number (0, -9999, 65535) or nan") from None
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"--ignore {text!r}: give a finite number or nan")
    if math.isnan(value):
        return value
    return int(value) if value == int(value) else value


def _spec_to(
    mode: str, size: str, stride: str | None, passes: str, padding: str, more: ModeOptions
) -> PoolSpec:
    """The spec of ``--to``: one adaptive pass to a target size."""
    from poolcli.spec.pool_spec import ADAPTIVE_MODES, PoolSpec
    from poolcli.spec.sizes import Target

    assert more.to is not None
    if mode not in ADAPTIVE_MODES:
        raise ValueError(f"--to pools to a size in modes {', '.join(ADAPTIVE_MODES)}; not {mode}")
    window = (size, stride, passes, padding, more.dilation, more.compat, more.count_pad)
    if window != ("2", None, "1", "valid", "1", None, None):
        raise ValueError(
            "--to places the windows itself: drop -k, -s, -n, -p, -d, --compat and --count-pad"
        )
    to, frames = more.to, None
    head, _, tail = to.rpartition("x")
    two_sides = to.count("x") == 2 and head and not head.endswith("x")
    percent = to.count("x") == 1 and head.rstrip(">").endswith("%")
    if tail.isdigit() and (two_sides or percent):
        to, frames = head, int(tail)  # WxHxD, N%xD: D frames too
        if frames < 1:
            raise ValueError(f"--to {more.to!r}: the frames to pool to (D) must be at least 1")
    return PoolSpec(
        cast("Mode", mode),
        output_size=Target.parse(to),
        ignore=parse_nodata(more.ignore),
        depth_to=frames,
    )


def check_unpool(
    spec: PoolSpec, unpool: bool, background: str, winners: bool
) -> Literal["dark", "dim"]:
    """The background of ``--unpool``'s pictures, once the options are known to fit."""
    if (unpool or winners) and not spec.indexed:
        option = "--winners" if winners else "--unpool"
        raise ValueError(
            f"{option} shows the pixel each window kept: max, min and stochastic (without "
            f"--eval) keep one; {spec.mode}{' --eval' if spec.evaluate else ''} blends them"
        )
    if (unpool or winners) and spec.ignore is not None:
        option = "--winners" if winners else "--unpool"
        raise ValueError(
            f"{option} shows the pixel each window kept; with --ignore a window "
            "of nodata alone keeps none: give one of them"
        )
    if background not in ("dark", "dim"):
        raise ValueError(f"--unpool-background {background!r}: use dark or dim")
    if unpool and winners:
        raise ValueError("--winners replaces --unpool's picture: give one of them")
    return cast(Literal["dark", "dim"], background)


@dataclass(frozen=True)
class ModeOptions:
    """The command line's options beyond the window, as given (None: not given)."""

    dilation: str = "1"
    count_pad: bool | None = None
    compat: str | None = None
    power: float | None = None
    seed: int | None = None
    evaluate: bool = False
    ratio: float = DEFAULT_RATIO
    to: str | None = None  # --to: a target size, in place of the window
    ignore: str | None = None  # --ignore: a nodata value, or nan
    blur: int | None = None  # --blur: the blur modes' taps
    reflect: bool = False  # --reflect: their mirrored border


def comparison_rows(
    modes: str,
    sizes: str | None,
    size: str,
    stride: str | None,
    padding: str,
    more: ModeOptions | None = None,
) -> list[tuple[str, PoolSpec]]:
    """The rows of ``poolimg compare``: a label and a spec of one pass each, one row per mode of
    ``--modes``, or per window of ``--sizes`` (with the first mode). A ``--sizes`` entry in the
    words of ``--to`` (``512x``, ``x300``, ``25%``, ``64x48!``, a trailing ``>``) is a pass to
    that size; ``WxH`` alone stays a window.

    >>> [label for label, _ in comparison_rows("max, avg", None, "2", None, "valid")]
    ['max', 'avg']
    >>> [spec.size for _, spec in comparison_rows("min", "2,3x2", "2", None, "same")]
    [2, (2, 3)]
    >>> [label for label, _ in comparison_rows("mode", "2,50%,64x", "2", None, "valid")]
    ['size 2', 'to 50%', 'to 64x']
    """
    names = [m.strip() for m in modes.split(",") if m.strip()]
    if not names:
        raise ValueError(f"--modes {modes!r}: give one or more of max, avg, min, stride, ...")
    more = more or ModeOptions()

    def spec(mode: str, window: str) -> PoolSpec:
        # --power, --seed, --blur, ... belong to the rows of their modes; the rest apply to
        # every row.
        own = replace(
            more,
            power=more.power if mode == "lp" else None,
            seed=more.seed if mode in ("stochastic", "fractional") else None,
            evaluate=more.evaluate and mode == "stochastic",
            blur=more.blur if mode in OPTION_MODES["blur"] else None,
            reflect=more.reflect and mode in OPTION_MODES["reflect"],
        )
        if is_target(window):  # one pass to a size: the window, stride and padding are its own
            return build_spec(mode, "2", None, "1", "valid", replace(own, to=window))
        if mode == "blurpool" and stride is not None:  # its only window is its blur
            window = stride
        return one_frame(build_spec(mode, window, stride, "1", padding, own), "compare")

    if sizes is None:
        return [(m, spec(m, size)) for m in names]
    windows = [k.strip() for k in sizes.split(",") if k.strip()]
    if not windows:
        raise ValueError(f"--sizes {sizes!r}: give one or more windows, such as 2,3,4")
    return [(f"to {k}" if is_target(k) else f"size {k}", spec(names[0], k)) for k in windows]


def is_target(word: str) -> bool:
    """Whether a ``--sizes`` entry is a size to pool to (``--to``'s words) rather than a window.

    >>> [is_target(w) for w in ("3", "3x2", "512x", "x300", "25%", "64x48!", "800x600>")]
    [False, False, True, True, True, True, True]
    """
    return word.endswith(("%", "!", ">", "x")) or word.startswith("x")
