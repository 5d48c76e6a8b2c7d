"""What a pooling pass is: its mode, window, stride, padding and number of passes.

Stdlib only, so the command line can check what a user asked for before numpy is imported.
A :class:`PoolSpec` is checked once, when it is made; everything below it takes it as valid.
Sizes in messages are written ``WxH`` (width first), as image tools write them; sizes in the API
are ``(rows, cols)``, as numpy writes them.
"""

from __future__ import annotations

import functools
import numbers
from dataclasses import dataclass
from typing import Literal, TypeAlias

from poolcli.errors import ParameterError
from poolcli.spec.sizes import Target, check_output_size
from poolcli.spec.values import (
    LARGEST,
    check_power,
    check_ratio,
    pair,
    size_text,
    whole,
    wxh,
)

Mode: TypeAlias = Literal[
    "max",
    "avg",
    "min",
    "stride",
    "sum",
    "lp",
    "stochastic",
    "fractional",
    "median",
    "mode",
    "blurpool",
    "maxblurpool",
]


Padding: TypeAlias = Literal["valid", "same", "ceil"] | int


Size: TypeAlias = int | tuple[int, int] | Literal["global"]


MODES: tuple[str, ...] = (
    "max", "avg", "min", "stride", "sum", "lp", "stochastic", "fractional", "median", "mode",
    "blurpool", "maxblurpool",
)  # fmt: skip

# Anti-aliased pooling (Zhang 2019, as Kornia defines it): a binomial blur sampled every stride
# pixels, after a max over each window at stride 1 for maxblurpool. The blur's padding is theirs.
BLUR_MODES = ("blurpool", "maxblurpool")
# Modes that pool across the slices of a volume, or the frames of a file, too (pool3d, -k WxHxD).
VOLUME_MODES = ("max", "min", "avg", "sum", "lp", "median", "mode")

# Modes whose every output is one input pixel, so it has an index (--unpool, return_indices);
# stochastic only in training (not ``evaluate``).
INDEXED_MODES = frozenset({"max", "min", "stochastic", "fractional"})
# Modes whose every output pixel is a whole pixel of its window: a palette image (a label map)
# is pooled on its indices and keeps its palette. Max and min are not among them: a palette's
# order is not brightness (a GIF photo's median-cut palette), so they pool its colours.
PALETTE_MODES = frozenset({"mode", "stride"})
# The options of a pass that only some modes take, those modes, and what each option is: the
# one table the library's checks, the command line's options and the comparison rows read.
OPTION_MODES: dict[str, tuple[str, ...]] = {
    "power": ("lp",),
    "seed": ("stochastic", "fractional"),
    "ratio": ("fractional",),
    "evaluate": ("stochastic",),
    "ignore": tuple(m for m in MODES if m != "stride" and m not in BLUR_MODES),
    "blur": BLUR_MODES,
    "reflect": BLUR_MODES,
}
OPTION_MEANING = {
    "power": "Lp pooling's p",
    "seed": "the seed of stochastic and fractional pooling's draws",
    "ratio": "fractional max pooling's output size over its input's",
    "evaluate": "stochastic pooling's test phase",
    "ignore": "a nodata value left out of every window",
    "blur": "the size of the anti-aliasing blur",
    "reflect": "the anti-aliasing blur's reflected border",
}
# What power (Lp's p) and ratio (fractional pooling's) are when not given.
DEFAULT_POWER = 2.0
DEFAULT_RATIO = 0.7
# The binomial blur's taps when not given (Kornia's and antialiased-cnns's default), and the
# most it takes: its integer weights then sum to 4**19, so 16-bit images blur exactly in int64.
DEFAULT_BLUR = 3
MAX_BLUR = 20
# Modes that pool to an output size (adaptive pooling, PyTorch's and Keras's adaptive layers).
ADAPTIVE_MODES = ("max", "min", "avg", "sum", "lp", "median", "mode")

Compat: TypeAlias = Literal["caffe", "torch", "keras"]

COMPATS: tuple[str, ...] = ("caffe", "torch", "keras")


PADDINGS: tuple[str, ...] = ("valid", "same", "ceil")


# More passes than this is a typo too (a 2-pixel window halves an image in at most 31 passes;
# windows that do not shrink it repeat a filter, where a few dozen passes are a lot).
MAX_PASSES = 10_000


def check_padding(padding: object, size: tuple[int, int], caffe: bool = False) -> Padding:
    if isinstance(padding, str):
        if padding not in PADDINGS:
            raise ParameterError(
                f"padding must be one of {', '.join(PADDINGS)} or an int, not {padding!r}"
            )
        return padding  # type: ignore[return-value]
    value = whole(padding)
    if value is not None:
        if caffe:  # Caffe's CHECK_LT(pad, kernel): an output may then be larger than its input
            limit = min(size) - 1
            if not 0 <= value <= limit:
                raise ParameterError(
                    f"padding {padding} must be between 0 and the window less one "
                    f"({limit} for size {wxh(*size)}), as in Caffe"
                )
            return value
        # PyTorch's rule: at most half the window, so no window is all padding and a pass
        # never makes an image larger than it was.
        limit = min(size) // 2
        if not 0 <= value <= limit:
            raise ParameterError(
                f"padding {padding} must be between 0 and half the window "
                f"({limit} for size {wxh(*size)}), as in PyTorch"
            )
        return value
    raise ParameterError(f"padding must be 'valid', 'same', 'ceil' or an int, not {padding!r}")


@dataclass(frozen=True)
class PoolSpec:
    """What one pooling run does: mode, window, stride, padding and number of passes.

    ``size`` and ``stride`` are ``(rows, cols)``; ``stride=None`` means equal to ``size``;
    ``size="global"`` is one window over the whole image. ``passes`` is a count or ``"all"``
    (as many as fit, stopping when a pass would no longer shrink the image).

    The rest are keyword options, each checked here: ``dilation`` puts window cells that far
    apart (PyTorch's ``dilation``); ``count_pad`` makes averages divide by padded cells too
    (None: the ``compat`` framework's default, else False); ``compat`` applies a framework's
    size and divisor rules (see :mod:`poolcli.core.geometry`); ``power`` is Lp's ``p``; ``seed``
    and ``evaluate`` are stochastic pooling's random seed and test-phase switch (``seed`` is
    fractional max pooling's too); ``ratio`` is fractional max pooling's output size over its
    input's, ``(rows, cols)`` or one for both. ``output_size`` makes the pass adaptive, to that
    size (PyTorch's ``output_size``: an int, or ``(rows, cols)`` with None keeping a side; or a
    :class:`~poolcli.spec.sizes.Target`), in place of ``size``, ``stride`` and ``padding``.
    ``fit`` (with ``passes="all"``) stops the passes once the longest side is at most ``fit``.
    ``ignore`` is a nodata value (NaN: NaN cells) left out of every window, in every mode but
    stride; a window of it alone gives it. ``blur`` is the taps of blurpool's and
    maxblurpool's binomial filter (:data:`DEFAULT_BLUR` when None), zero-padded
    ``(blur - 1) // 2`` before and ``blur // 2`` after as Kornia pads it, or mirrored there
    with ``reflect`` (antialiased-cnns); ``size`` is maxblurpool's max window (blurpool's
    step), and both sample the blur every ``stride``. ``depth`` and ``depth_stride`` pool
    across a file's frames (the slices of a stack, an animation's frames) too: windows of
    ``depth`` frames, ``depth_stride`` apart (the depth when None), as 3-D pooling does; or,
    with ``output_size``, to ``depth_to`` frames (adaptive windows, as PyTorch's).
    """

    mode: Mode = "max"
    size: Size = 2
    stride: int | tuple[int, int] | None = None
    padding: Padding = "valid"
    passes: int | Literal["all"] = 1
    dilation: int | tuple[int, int] = 1
    count_pad: bool | None = None
    compat: Compat | None = None
    power: float | None = None
    seed: int | None = None
    evaluate: bool = False
    ratio: float | tuple[float, float] | None = None
    output_size: int | tuple[int | None, int | None] | Target | None = None
    fit: int | None = None
    ignore: float | None = None
    blur: int | None = None
    reflect: bool = False
    depth: int = 1
    depth_stride: int | None = None
    depth_to: int | None = None

    @functools.cached_property
    def window(self) -> tuple[int, int]:
        """``size`` as ``(rows, cols)`` (for ``"global"``: (1, 1), the least it covers)."""
        return (1, 1) if self.size == "global" else pair(self.size, "size")

    @functools.cached_property
    def step(self) -> tuple[int, int]:
        """``stride`` as ``(rows, cols)``, the window's when None."""
        return self.window if self.stride is None else pair(self.stride, "stride")

    @functools.cached_property
    def spacing(self) -> tuple[int, int]:
        """``dilation`` as ``(rows, cols)``."""
        return pair(self.dilation, "dilation")

    @functools.cached_property
    def extent(self) -> tuple[int, int]:
        """The span of a dilated window, ``d * (k - 1) + 1`` per axis."""
        return (
            self.spacing[0] * (self.window[0] - 1) + 1,
            self.spacing[1] * (self.window[1] - 1) + 1,
        )

    @functools.cached_property
    def ratios(self) -> tuple[float, float]:
        """``ratio`` as ``(rows, cols)``; :data:`DEFAULT_RATIO` when not given."""
        return check_ratio(DEFAULT_RATIO if self.ratio is None else self.ratio)

    @property
    def indexed(self) -> bool:
        """Whether a pass keeps one input pixel a window, so each output has an index: max,
        min, fractional, and stochastic pooling unless in its test phase."""
        return self.mode in INDEXED_MODES and not self.evaluate

    @property
    def across_frames(self) -> tuple[int, int] | None:
        """The window and stride across a file's frames, ``(depth, depth_stride)``, or None
        when there is none (no depth given, or a count to pool to: ``depth_to``)."""
        stride = self.depth if self.depth_stride is None else self.depth_stride
        return None if self.depth == 1 and stride == 1 else (self.depth, stride)

    @property
    def pools_frames(self) -> bool:
        """Whether a file's frames are pooled together (a depth, or a count of them to pool
        to), not each by itself."""
        return self.across_frames is not None or self.depth_to is not None

    @property
    def taps(self) -> int:
        """The anti-aliasing blur's size: ``blur``, or :data:`DEFAULT_BLUR` when not given."""
        return DEFAULT_BLUR if self.blur is None else int(self.blur)

    @property
    def exponent(self) -> float:
        """Lp's ``p``: ``power``, or :data:`DEFAULT_POWER` when not given."""
        return DEFAULT_POWER if self.power is None else float(self.power)

    @property
    def counts_padding(self) -> bool:
        """Whether averages divide by padded cells too: ``count_pad``, or the framework's rule
        (Caffe and PyTorch count them, Keras does not)."""
        if self.count_pad is not None:
            return self.count_pad
        return self.compat in ("caffe", "torch")

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ParameterError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.compat is not None and self.compat not in COMPATS:
            raise ParameterError(
                f"compat must be one of {', '.join(COMPATS)} or None, not {self.compat!r}"
            )
        pair(self.dilation, "dilation")
        if self.size != "global":
            size = pair(self.size, "size")
            if self.stride is not None:
                pair(self.stride, "stride")
            check_padding(self.padding, size, self.compat == "caffe")
            self._check_compat()
        if self.passes != "all" and (not 1 <= (whole(self.passes) or 0) <= MAX_PASSES):
            raise ParameterError(
                f"passes must be a whole number from 1 to {MAX_PASSES} or 'all', "
                f"not {self.passes!r}"
            )
        if self.count_pad not in (None, True, False):
            raise ParameterError(f"count_pad must be True, False or None, not {self.count_pad!r}")
        if self.power is not None:  # None: not given (each mode's check sees what was)
            check_power(self.power)
        for option, modes in OPTION_MODES.items():
            given = getattr(self, option)
            if given is not None and given is not False and self.mode not in modes:
                raise ParameterError(
                    f"{option} is {OPTION_MEANING[option]}; mode {self.mode!r} has none"
                )
        if self.seed is not None and (whole(self.seed) is None or not 0 <= self.seed < 2**63):
            raise ParameterError(
                f"seed must be a whole number from 0 to 2**63-1, not {self.seed!r}"
            )
        if self.ratio is not None:
            check_ratio(self.ratio)
        if self.mode == "fractional" and (
            self.size == "global"
            or self.stride is not None
            or self.padding != "valid"
            or self.spacing != (1, 1)
            or self.compat is not None
        ):
            raise ParameterError(
                "fractional max pooling places its windows itself: give size and ratio, "
                "not global, stride, padding, dilation or compat"
            )
        if self.ignore is not None:
            self._check_ignore()
        if self.mode in BLUR_MODES:
            self._check_blur()
        if self.depth != 1 or self.depth_stride is not None or self.depth_to is not None:
            self._check_depth()
        if self.evaluate not in (True, False):
            raise ParameterError(f"evaluate must be True or False, not {self.evaluate!r}")
        if self.output_size is not None:
            self._check_adaptive()
        if self.fit is not None and (
            whole(self.fit) is None or self.fit < 1 or self.passes != "all"
        ):
            raise ParameterError(
                f"fit must be a whole number of at least 1, with passes='all', not {self.fit!r}"
            )

    def _check_depth(self) -> None:
        for name in ("depth", "depth_stride", "depth_to"):
            value = getattr(self, name)
            if value is not None and (whole(value) is None or not 1 <= value <= LARGEST):
                raise ParameterError(f"{name} must be a whole number of at least 1, not {value!r}")
        if self.mode not in VOLUME_MODES:
            raise ParameterError(
                f"pooling across frames (a depth) takes modes {', '.join(VOLUME_MODES)}; "
                f"not {self.mode}"
            )
        if self.ignore is not None or self.size == "global":
            raise ParameterError("pooling across frames (a depth) takes no global or ignore")
        if self.depth_to is not None:
            if self.across_frames is not None or self.output_size is None:
                raise ParameterError(
                    "depth_to pools the frames to a count, with output_size: give no depth"
                )
            if self.mode == "lp":  # pool3d has no adaptive Lp, as PyTorch has none
                raise ParameterError("Lp to a count of frames: not yet (give a depth)")
        elif self.output_size is not None:
            raise ParameterError("a depth is a window of frames: pool to a count with depth_to")

    def _check_blur(self) -> None:
        if self.blur is not None and (whole(self.blur) is None or not 1 <= self.blur <= MAX_BLUR):
            raise ParameterError(
                f"blur must be a whole number from 1 to {MAX_BLUR}, not {self.blur!r}"
            )
        if self.reflect not in (True, False):
            raise ParameterError(f"reflect must be True or False, not {self.reflect!r}")
        if (
            self.size == "global"
            or self.padding != "valid"
            or self.spacing != (1, 1)
            or self.compat is not None
            or self.count_pad is not None
        ):
            raise ParameterError(
                f"{self.mode} pads its blur itself, as Kornia does (or reflects it, with "
                "reflect): give a size and stride, not global, padding, dilation, compat or "
                "count_pad"
            )
        if (
            self.mode == "blurpool"
            and self.stride is not None
            and self.size != 2  # the default: a stride alone is the step
            and self.step != self.window
        ):
            raise ParameterError(
                "blurpool's only window is its blur (blur=N): size and stride are both the "
                f"step between the pixels it keeps; give one, or the same ({wxh(*self.window)} "
                f"and {wxh(*self.step)})"
            )

    def _check_ignore(self) -> None:
        value: object = self.ignore  # typed as a float; checked as anything a caller passes
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(f"ignore must be a number or nan, not {value!r}")
        if self.compat is not None:
            raise ParameterError(
                f"ignore has no {self.compat} equivalent: no framework leaves a value out"
            )
        if self.count_pad:
            raise ParameterError(
                "count_pad counts padding, and ignore averages the cells left: choose one"
            )

    def _check_adaptive(self) -> None:
        check_output_size(self.output_size)
        if self.mode not in ADAPTIVE_MODES:
            raise ParameterError(
                f"output_size pools to a size in modes {', '.join(ADAPTIVE_MODES)}, not {self.mode}"
            )
        if (
            self.size != 2
            or self.stride is not None
            or self.padding != "valid"
            or self.spacing != (1, 1)
            or self.compat is not None
            or self.count_pad is not None
            or self.passes != 1
        ):
            raise ParameterError(
                "output_size places the windows itself: give no size, stride, padding, "
                "dilation, compat, count_pad or passes with it"
            )

    def _check_compat(self) -> None:
        """Options a framework has no way to express are refused, so a reproduction never
        silently differs from the layer it reproduces."""
        if self.compat == "caffe":
            if isinstance(self.padding, str) and self.padding != "valid":
                raise ParameterError(
                    f"Caffe pads by a number of pixels (0 is valid), not {self.padding!r}"
                )
            if self.spacing != (1, 1):
                raise ParameterError("Caffe's pooling layer has no dilation")
        elif self.compat == "torch" and self.padding == "same":
            raise ParameterError("PyTorch's pooling has no 'same' padding; give a number of pixels")
        elif self.compat == "keras":
            if self.padding not in ("valid", "same"):
                raise ParameterError("Keras pools with padding 'valid' or 'same' only")
            if self.counts_padding:
                raise ParameterError("Keras averages never count padding (count_pad)")
            if self.spacing != (1, 1):
                raise ParameterError("Keras's pooling layers have no dilation")


def options_text(spec: PoolSpec) -> str:
    """The ``{options}`` field: each option that is not its default, for names.

    >>> options_text(PoolSpec("stochastic", 2, dilation=(2, 1), seed=7, evaluate=True))
    '_d1x2_seed7_eval'
    >>> options_text(PoolSpec("avg", 3, padding=1, compat="caffe"))
    '_caffe'
    >>> options_text(PoolSpec("avg", 3, padding=1, count_pad=True))
    '_countpad'
    >>> options_text(PoolSpec("lp", power=0.5))
    '_pow0.5'
    >>> options_text(PoolSpec("avg", ignore=0)), options_text(PoolSpec("max", ignore=float("nan")))
    ('_ign0', '_ignnan')
    >>> options_text(PoolSpec("maxblurpool", blur=5, reflect=True))
    '_blur5_reflect'
    >>> options_text(PoolSpec("max", depth=3)), options_text(PoolSpec("sum", 2, 1, depth=2))
    ('_depth3', '_depth2')
    """
    parts = []
    if spec.spacing != (1, 1):
        parts.append("d" + size_text(spec.dilation, short=True))
    if spec.compat is not None:
        parts.append(spec.compat)
    framework = PoolSpec(compat=spec.compat).counts_padding
    if spec.mode == "avg" and spec.counts_padding != framework:
        parts.append("countpad" if spec.counts_padding else "nocountpad")
    if spec.mode == "lp" and spec.exponent != DEFAULT_POWER:
        parts.append(f"pow{spec.exponent:g}")
    if spec.mode == "fractional":
        rows, cols = spec.ratios
        parts.append(f"r{rows:g}" if rows == cols else f"r{cols:g}x{rows:g}")
    if spec.seed is not None:
        parts.append(f"seed{spec.seed}")
    if spec.evaluate:
        parts.append("eval")
    if spec.ignore is not None:
        parts.append(f"ign{spec.ignore:g}")
    if spec.blur is not None and spec.taps != DEFAULT_BLUR:
        parts.append(f"blur{spec.taps}")
    if spec.reflect:
        parts.append("reflect")
    if spec.across_frames is not None:
        depth, stride = spec.across_frames
        parts.append(f"depth{depth}" + (f"s{stride}" if stride != depth else ""))
    if spec.depth_to is not None:
        parts.append(f"frames{spec.depth_to}")
    return "".join("_" + part for part in parts)
