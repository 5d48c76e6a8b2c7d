"""Pooling passes over images held in numpy arrays: the numeric core of poolcli.

numpy only, no I/O. The public functions take images as ``(H, W)``, ``(H, W, C)`` or, with
``channel_axis=0``, planar ``(C, H, W)`` arrays and work internally on the planar layout, in
horizontal bands of output rows small enough to stay in cache, one band per thread at a time.

Window geometry per axis (``n`` input cells, window ``k``, stride ``s``) follows PyTorch and
Keras exactly; cells a window overhangs are ignored (see :func:`output_shape`). Sizes in
messages are written ``WxH`` (width first), as image tools write them; sizes in the API are
``(rows, cols)``, as numpy writes them.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np

from .errors import ParameterError

Mode: TypeAlias = Literal["max", "avg", "min", "stride"]
Padding: TypeAlias = Literal["valid", "same", "ceil"] | int
Size: TypeAlias = int | tuple[int, int] | Literal["global"]

MODES: tuple[str, ...] = ("max", "avg", "min", "stride")
PADDINGS: tuple[str, ...] = ("valid", "same", "ceil")
DTYPES: tuple[np.dtype, ...] = tuple(
    np.dtype(t) for t in ("uint8", "uint16", "int32", "float32", "float64")
)

# Bytes of row-reduced data per band: small enough that the band is still in L2 cache when the
# column pass reads it (measured on a 24-MP RGB image: 256 KiB to 2 MiB all within 3%).
_BAND_BYTES = 1 << 20
# Below this many output pixels a thread pool costs more than it saves.
_MIN_PIXELS_PER_THREAD = 1 << 18


def _wxh(rows: int, cols: int) -> str:
    return f"{cols}x{rows}"


@dataclass(frozen=True)
class Axis:
    """Window placement along one axis of one pass.

    Attributes
    ----------
    n : int
        Input cells.
    k, s : int
        Window size and stride.
    before : int
        Cells of padding before the first cell (windows start at ``i * s - before``).
    out : int
        Output cells (windows).
    """

    n: int
    k: int
    s: int
    before: int
    out: int

    @property
    def after(self) -> int:
        """Cells the last window overhangs past the end."""
        return max(self.last_end - self.n, 0)

    @property
    def dropped(self) -> int:
        """Cells at the end that no window covers (the tail ``valid`` padding drops)."""
        return max(self.n - self.last_end, 0)

    @property
    def last_end(self) -> int:
        return (self.out - 1) * self.s - self.before + self.k

    @property
    def padded(self) -> bool:
        """Whether any window overhangs the input."""
        return self.before > 0 or self.after > 0

    def taps(self, lo: int, hi: int) -> list[tuple[slice, slice]]:
        """Pair each window offset with the outputs it reaches and the inputs they read.

        For output cells ``lo <= i < hi`` and each offset ``j`` of the window, returns
        ``(dst, src)``: ``dst`` selects (relative to ``lo``) the outputs whose cell ``j`` is a real
        input cell, ``src`` selects those input cells. Offsets that reach no output are left out.
        """
        result = []
        for j in range(self.k):
            first = max(lo, -((j - self.before) // self.s))  # ceil((before - j) / s)
            last = min(hi, (self.n - 1 + self.before - j) // self.s + 1)
            if last <= first:
                continue
            start = first * self.s - self.before + j
            stop = start + (last - first - 1) * self.s + 1
            result.append((slice(first - lo, last - lo), slice(start, stop, self.s)))
        return result

    def counts(self) -> np.ndarray:
        """Real (not padded) input cells in each window, as an int64 array of length ``out``."""
        starts = np.arange(self.out, dtype=np.int64) * self.s - self.before
        return np.minimum(starts + self.k, self.n) - np.maximum(starts, 0)

    def firsts(self) -> np.ndarray:
        """Index of the first real input cell of each window."""
        return np.maximum(np.arange(self.out, dtype=np.int64) * self.s - self.before, 0)


def _pair(value: object, name: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ParameterError(f"{name} must be an int or a (rows, cols) pair of ints, not {value!r}")
    if min(pair) < 1:
        raise ParameterError(f"{name} must be at least 1, not {value!r}")
    return pair


def _axis(n: int, k: int, s: int, padding: Padding) -> Axis | None:
    """Place windows along one axis, or return None when not even one window fits."""
    if padding == "valid":
        before, out = 0, (n - k) // s + 1 if n >= k else 0
    elif padding == "same":
        out = -(-n // s)
        before = max((out - 1) * s + k - n, 0) // 2
    elif padding == "ceil":
        before, out = 0, -(-(n - k) // s) + 1
        if (out - 1) * s >= n:  # PyTorch: the last window must start inside the input
            out -= 1
    else:
        before, out = padding, (n + 2 * padding - k) // s + 1 if n + 2 * padding >= k else 0
    return Axis(n, k, s, before, out) if out >= 1 else None


def _check_padding(padding: object, size: tuple[int, int]) -> Padding:
    if isinstance(padding, str):
        if padding not in PADDINGS:
            raise ParameterError(
                f"padding must be one of {', '.join(PADDINGS)} or an int, not {padding!r}"
            )
        return padding  # type: ignore[return-value]
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        limit = min(size) - 1
        if not 0 <= padding <= limit:
            raise ParameterError(
                f"padding {padding} must be between 0 and the window size minus 1 "
                f"({limit} for size {_wxh(*size)})"
            )
        return int(padding)
    raise ParameterError(f"padding must be 'valid', 'same', 'ceil' or an int, not {padding!r}")


@dataclass(frozen=True)
class PoolSpec:
    """What one pooling run does: mode, window, stride, padding and number of passes.

    ``size`` and ``stride`` are ``(rows, cols)``; ``stride=None`` means equal to ``size``;
    ``size="global"`` is one window over the whole image. ``passes`` is a count or ``"all"``
    (as many as fit, stopping when a pass would no longer shrink the image).
    """

    mode: Mode = "max"
    size: Size = 2
    stride: int | tuple[int, int] | None = None
    padding: Padding = "valid"
    passes: int | Literal["all"] = 1

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ParameterError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.size != "global":
            size = _pair(self.size, "size")
            if self.stride is not None:
                _pair(self.stride, "stride")
            _check_padding(self.padding, size)
        if self.passes != "all" and (
            not isinstance(self.passes, (int, np.integer))
            or isinstance(self.passes, bool)
            or self.passes < 1
        ):
            raise ParameterError(
                f"passes must be a whole number of at least 1 or 'all', not {self.passes!r}"
            )


@dataclass(frozen=True)
class PassGeometry:
    """Where the windows of one pass fall: ``rows`` and ``cols`` are the :class:`Axis` of each."""

    index: int
    rows: Axis
    cols: Axis

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.rows.n, self.cols.n)

    @property
    def output_shape(self) -> tuple[int, int]:
        return (self.rows.out, self.cols.out)


def _geometry(
    shape: tuple[int, int], size: Size, stride: object, padding: object, index: int = 1
) -> PassGeometry | None:
    rows, cols = shape
    if size == "global":
        return PassGeometry(index, Axis(rows, rows, rows, 0, 1), Axis(cols, cols, cols, 0, 1))
    k = _pair(size, "size")
    s = k if stride is None else _pair(stride, "stride")
    pad = _check_padding(padding, k)
    ra, ca = _axis(rows, k[0], s[0], pad), _axis(cols, k[1], s[1], pad)
    if ra is None or ca is None:
        return None
    return PassGeometry(index, ra, ca)


def _min_input(size: Size, stride: object, padding: object) -> tuple[int, int]:
    """The smallest (rows, cols) on which one pass can run."""
    if size == "global":
        return (1, 1)
    k = _pair(size, "size")
    s = k if stride is None else _pair(stride, "stride")
    pad = _check_padding(padding, k)
    return tuple(  # type: ignore[return-value]
        next(n for n in range(1, ki + 1) if _axis(n, ki, si, pad) is not None)
        for ki, si in zip(k, s, strict=True)
    )


def output_shape(
    shape: Sequence[int],
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
) -> tuple[int, int]:
    """Return the ``(rows, cols)`` one pooling pass makes of an image of ``shape``.

    Parameters
    ----------
    shape : sequence of int
        ``(rows, cols)`` of the input; further entries (channels) are ignored.
    size : int, (int, int) or "global"
        Window size, ``(rows, cols)``; "global" is one window over the whole image.
    stride : int, (int, int) or None
        Step between windows; None means equal to ``size``.
    padding : {"valid", "same", "ceil"} or int
        ``valid``: windows inside the image only, ``floor((n - k) / s) + 1``; ``same``
        (Keras/TensorFlow): ``ceil(n / s)``; ``ceil`` (PyTorch ``ceil_mode=True``):
        ``ceil((n - k) / s) + 1``, less one if the last window would start past the end;
        int ``p`` (PyTorch ``padding=p``, ``0 <= p < k``): ``floor((n + 2p - k) / s) + 1``.

    Raises
    ------
    ParameterError
        If a parameter is invalid or the image is smaller than one window.

    Examples
    --------
    >>> output_shape((4000, 6000), size=2)
    (2000, 3000)
    >>> output_shape((5, 5), size=2, padding="valid"), output_shape((5, 5), size=2, padding="ceil")
    ((2, 2), (3, 3))
    >>> output_shape((7, 7), size=3, stride=2, padding="same")
    (4, 4)
    """
    geom = _geometry((int(shape[0]), int(shape[1])), size, stride, padding)
    if geom is None:
        need = _min_input(size, stride, padding)
        raise ParameterError(
            f"size {_wxh(*_pair(size, 'size'))} needs at least {_wxh(*need)} pixels "
            f"with padding {padding!r}, but the image is {_wxh(shape[0], shape[1])}"
        )
    return geom.output_shape


def plan_passes(
    shape: Sequence[int],
    passes: int | Literal["all"] = 1,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
) -> list[PassGeometry]:
    """Work out every pass of a run before doing any, so a bad plan fails before any work.

    ``passes="all"`` runs as many passes as fit, stopping before a pass that would fail or
    leave the image no smaller.

    Raises
    ------
    ParameterError
        If a parameter is invalid or a pass would get an image smaller than its window; the
        message names the pass and says how many fit.

    Examples
    --------
    >>> [g.output_shape for g in plan_passes((8, 12), passes="all")]
    [(4, 6), (2, 3), (1, 1)]
    >>> plan_passes((4, 4), passes=3)
    Traceback (most recent call last):
    ...
    poolcli.errors.ParameterError: pass 3 needs at least 2x2 pixels but gets 1x1; ...
    """
    PoolSpec("max", size, stride, padding, passes)  # validates the parameters
    current = (int(shape[0]), int(shape[1]))
    if min(current) < 1:
        raise ParameterError(f"the image is empty ({_wxh(*current)} pixels)")
    plan: list[PassGeometry] = []
    limit = math.inf if passes == "all" else passes
    while len(plan) < limit:
        geom = _geometry(current, size, stride, padding, index=len(plan) + 1)
        if passes == "all" and (geom is None or geom.output_shape == current):
            break
        if geom is None:
            need = _min_input(size, stride, padding)
            raise ParameterError(
                f"pass {len(plan) + 1} needs at least {_wxh(*need)} pixels but gets "
                f"{_wxh(*current)}; at most {len(plan)} pass{'' if len(plan) == 1 else 'es'} fit"
            )
        plan.append(geom)
        current = geom.output_shape
    if not plan:
        raise ParameterError(
            f"not even one pass fits: size {_wxh(*_pair(size, 'size'))} needs at least "
            f"{_wxh(*_min_input(size, stride, padding))} pixels, the image is {_wxh(*current)}"
        )
    return plan


def _as_planar(
    arr: np.ndarray, channel_axis: int
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """View ``arr`` as planar (C, H, W) and return a function that gives a result its layout."""
    if arr.ndim == 2:
        return arr[np.newaxis], lambda out: out[0]
    if arr.ndim != 3:
        raise ParameterError(
            f"image must be 2-D (H, W) or 3-D with a channel axis, not of shape {arr.shape}"
        )
    if channel_axis in (0, -3):
        return arr, lambda out: out
    if channel_axis not in (-1, 2):
        raise ParameterError(f"channel_axis must be 0 or -1 (or 2), not {channel_axis!r}")
    if arr.shape[2] == 1:
        return arr.transpose(2, 0, 1), lambda out: out.transpose(1, 2, 0)
    # Interleaved channels make every inner loop strided by C, several times slower than a
    # transposing copy to planar and back (see benchmarks/bench_core.py).
    planar = np.ascontiguousarray(arr.transpose(2, 0, 1))
    return planar, lambda out: np.ascontiguousarray(out.transpose(1, 2, 0))


def _accumulator(dtype: np.dtype, cells: int) -> np.dtype:
    """The narrowest integer type that holds a sum of ``cells`` values plus a rounding half."""
    info = np.iinfo(dtype)
    largest = cells * max(abs(info.max), abs(info.min)) + cells // 2
    candidates = ("uint16", "uint32", "uint64") if info.min == 0 else ("int32", "int64")
    for name in candidates:
        acc = np.dtype(name)
        if acc.itemsize >= dtype.itemsize and largest <= np.iinfo(acc).max:
            return acc
    raise ParameterError(f"window of {cells} cells is too large for an exact {dtype} average")


def _along(a: np.ndarray, axis: int, sl: slice) -> np.ndarray:
    return a[(slice(None),) * axis + (sl,)]


def _reduce(
    src: np.ndarray,
    dst: np.ndarray,
    axis: int,
    taps: list[tuple[slice, slice]],
    ufunc: np.ufunc,
    fill: float,
) -> None:
    """Reduce the tapped slices of ``src`` along ``axis`` into ``dst`` with ``ufunc``."""
    n = dst.shape[axis]
    if not all(d.start == 0 and d.stop == n for d, _ in taps):
        # Some windows overhang the image: start from the identity and let each offset reduce
        # into the outputs it really reaches.
        dst.fill(fill)
        for d, s in taps:
            view = _along(dst, axis, d)
            ufunc(view, _along(src, axis, s), out=view)
    elif len(taps) == 1:
        np.copyto(dst, _along(src, axis, taps[0][1]), casting="unsafe")
    else:
        first, second = (_along(src, axis, s) for _, s in taps[:2])
        ufunc(first, second, out=dst, dtype=dst.dtype)
        for _, s in taps[2:]:
            ufunc(dst, _along(src, axis, s), out=dst)


def _pairwise(src: np.ndarray, dst: np.ndarray, ufunc: np.ufunc, scratch: _Scratch) -> None:
    """Reduce columns (0, 1), (2, 3), ... of unsigned ``src`` into ``dst`` with ``ufunc``.

    Viewing each pair as one integer twice as wide and splitting it with a mask and a shift
    runs contiguous, vectorized loops, where ``src[..., 0::2]`` would run a strided scalar loop
    (1.6x faster for 2x2 max of uint8). Which half is which depends on the byte order, but the
    reductions used here are commutative.
    """
    bits = src.dtype.itemsize * 8
    wide = src.view(np.dtype(f"u{2 * src.dtype.itemsize}"))
    low = scratch.get("pair-low", wide.shape, wide.dtype)
    high = scratch.get("pair-high", wide.shape, wide.dtype)
    np.bitwise_and(wide, (1 << bits) - 1, out=low)
    np.right_shift(wide, bits, out=high)
    ufunc(low, high, out=dst, casting="unsafe")


def _can_pair(src: np.ndarray, cols: Axis) -> bool:
    return (
        cols.k == cols.s == 2
        and not cols.padded
        and src.dtype.kind == "u"
        and src.dtype.itemsize <= 4
        and src.strides[-1] == src.dtype.itemsize
    )


class _Scratch:
    """Reusable per-thread buffers, so bands do not allocate."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        need = math.prod(shape) * dtype.itemsize
        buf = self._buffers.get(name)
        if buf is None or buf.size < need:
            buf = self._buffers[name] = np.empty(need, np.uint8)
        return buf[:need].view(dtype).reshape(shape)


def _extreme(dtype: np.dtype, mode: str) -> float:
    """The identity of max (the lowest value) or of min (the highest)."""
    if dtype.kind == "f":
        return -np.inf if mode == "max" else np.inf
    info = np.iinfo(dtype)
    return int(info.min if mode == "max" else info.max)


def _divide_rounded(sums: np.ndarray, counts: int | np.ndarray, dst: np.ndarray) -> None:
    """``dst = floor(sums / counts + 1/2)``: the exact mean of integers, halves rounded up."""
    if isinstance(counts, int):
        sums += counts // 2
        if counts & (counts - 1) == 0:
            np.right_shift(sums, counts.bit_length() - 1, out=sums)
        else:
            np.floor_divide(sums, counts, out=sums)
        np.copyto(dst, sums, casting="unsafe")
    else:
        wide = sums.astype(np.int64)
        wide += counts // 2
        np.copyto(dst, wide // counts, casting="unsafe")


def _pool_band(
    x: np.ndarray,
    out: np.ndarray,
    mode: str,
    geom: PassGeometry,
    lo: int,
    hi: int,
    scratch: _Scratch,
) -> None:
    """Pool output rows ``lo:hi`` of planar ``x`` into the same rows of planar ``out``."""
    rows, cols = geom.rows, geom.cols
    channels, width = x.shape[0], x.shape[2]
    n = hi - lo
    rtaps, ctaps = rows.taps(lo, hi), cols.taps(0, cols.out)
    dst = out[:, lo:hi]
    if mode in ("max", "min"):
        ufunc = np.maximum if mode == "max" else np.minimum
        fill = _extreme(x.dtype, mode)
        if len(rtaps) == 1 and rtaps[0][0] == slice(0, n):
            band = x[:, rtaps[0][1]]  # one row per window: read it in place
        else:
            band = scratch.get("rows", (channels, n, width), x.dtype)
            _reduce(x, band, 1, rtaps, ufunc, fill)
        if _can_pair(band, cols):
            _pairwise(band[:, :, : 2 * cols.out], dst, ufunc, scratch)
        else:
            _reduce(band, dst, 2, ctaps, ufunc, fill)
    elif mode == "avg" and x.dtype.kind == "f":
        # PyTorch's order: each window summed row by row, left to right, in the image's own
        # float type, then divided by the count of real cells. Any other order can differ in the
        # last bit, so this is not separable.
        dst.fill(0)
        for rd, rs in rtaps:
            for cd, cs in ctaps:
                view = dst[:, rd, cd]
                np.add(view, x[:, rs, cs], out=view)
        if rows.padded or cols.padded:
            counts = np.outer(rows.counts()[lo:hi], cols.counts()).astype(x.dtype)
            np.divide(dst, counts, out=dst)
        else:
            np.divide(dst, x.dtype.type(rows.k * cols.k), out=dst)
    elif mode == "avg":
        acc = _accumulator(x.dtype, rows.k * cols.k)
        band = scratch.get("rows", (channels, n, width), acc)
        _reduce(x, band, 1, rtaps, np.add, 0)
        if _can_pair(band, cols):
            wide = np.dtype(f"u{2 * acc.itemsize}")
            sums = scratch.get("sums", (channels, n, cols.out), wide)
            _pairwise(band[:, :, : 2 * cols.out], sums, np.add, scratch)
        else:
            sums = scratch.get("sums", (channels, n, cols.out), acc)
            _reduce(band, sums, 2, ctaps, np.add, 0)
        if rows.padded or cols.padded:
            _divide_rounded(sums, np.outer(rows.counts()[lo:hi], cols.counts()), dst)
        else:
            _divide_rounded(sums, rows.k * cols.k, dst)
    else:
        raise AssertionError(mode)


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """A slice equal to an index array that is an arithmetic progression, else the array."""
    if len(index) == 1:
        return slice(int(index[0]), int(index[0]) + 1)
    step = int(index[1] - index[0])
    if step > 0 and np.all(np.diff(index) == step):
        return slice(int(index[0]), int(index[-1]) + 1, step)
    return index


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pool_planar(x: np.ndarray, mode: str, geom: PassGeometry, threads: int | None) -> np.ndarray:
    rows, cols = geom.rows, geom.cols
    out = np.empty((x.shape[0], rows.out, cols.out), x.dtype)
    if mode == "stride":
        out[...] = x[:, _as_slice(rows.firsts())][:, :, _as_slice(cols.firsts())]
        return out
    itemsize = max(x.dtype.itemsize, 2)
    band = max(1, _BAND_BYTES // (x.shape[0] * x.shape[2] * itemsize))
    workers = _cpu_count() if threads is None else threads
    workers = max(1, min(workers, out.size // _MIN_PIXELS_PER_THREAD, rows.out))

    def run(lo: int, hi: int) -> None:
        scratch = _Scratch()
        for start in range(lo, hi, band):
            _pool_band(x, out, mode, geom, start, min(start + band, hi), scratch)

    if workers == 1:
        run(0, rows.out)
    else:
        edges = np.linspace(0, rows.out, workers + 1).astype(int)
        with ThreadPoolExecutor(workers) as pool_:
            for future in [pool_.submit(run, a, b) for a, b in itertools.pairwise(edges)]:
                future.result()
    return out


def _check_image(image: object) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype not in DTYPES:
        names = ", ".join(str(d) for d in DTYPES)
        raise ParameterError(
            f"image dtype {arr.dtype} is not supported; use one of {names} "
            f"(for example image.astype(np.float32))"
        )
    return arr


def _check_threads(threads: int | None) -> None:
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or threads < 1
    ):
        raise ParameterError(f"threads must be None (all cores) or at least 1, not {threads!r}")


def pool(
    image: np.ndarray,
    mode: Mode,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    channel_axis: int = -1,
    threads: int | None = None,
) -> np.ndarray:
    """Pool an image once: the max, average, min or first pixel of each window, per channel.

    Parameters
    ----------
    image : ndarray
        ``(H, W)``, ``(H, W, C)``, or ``(C, H, W)`` with ``channel_axis=0``; dtype uint8,
        uint16, int32, float32 or float64.
    mode : {"max", "avg", "min", "stride"}
        ``stride`` keeps the first real pixel of each window (its top-left for ``valid``).
    size : int, (int, int) or "global"
        Window ``(rows, cols)``; "global" is one window over the whole image.
    stride : int, (int, int) or None
        Step between windows; None means equal to ``size``. Smaller than ``size`` overlaps
        windows, larger leaves gaps.
    padding : {"valid", "same", "ceil"} or int
        Where windows may overhang the image; see :func:`output_shape`. Overhanging cells are
        ignored: max and min take the extreme of the real pixels, avg divides by their number.
    channel_axis : int
        0 for planar ``(C, H, W)`` input (the fastest layout), -1 for ``(H, W, C)``.
    threads : int or None
        Threads to use; None means all cores.

    Returns
    -------
    ndarray
        Same dtype and layout as ``image``. Averages of integer images are the exact mean
        rounded to nearest, halves up (Pillow's ``Image.reduce`` rule); float averages are
        summed in PyTorch's order and agree with ``avg_pool2d`` bit for bit.

    Raises
    ------
    ParameterError
        For an unsupported dtype or shape, an invalid parameter, or an image smaller than the
        window.

    Examples
    --------
    >>> x = np.array([[3, 2, 0, 0], [0, 7, 1, 3], [5, 2, 3, 0], [0, 9, 2, 3]], dtype=np.uint8)
    >>> pool(x, "max")
    array([[7, 3],
           [9, 3]], dtype=uint8)
    >>> pool(x, "avg")
    array([[3, 1],
           [4, 2]], dtype=uint8)
    >>> pool(x, "max", size=3, stride=1)
    array([[7, 7],
           [9, 9]], dtype=uint8)
    >>> pool(x, "min", size="global")
    array([[0]], dtype=uint8)
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    _check_threads(threads)
    arr = _check_image(image)
    planar, restore = _as_planar(arr, channel_axis)
    shape = planar.shape[1:]
    if min(shape) < 1:
        raise ParameterError(f"the image is empty ({_wxh(*shape)} pixels)")
    output_shape(shape, size, stride, padding)  # raises with a clear message if it cannot run
    geom = _geometry(shape, size, stride, padding)
    assert geom is not None
    return restore(_pool_planar(planar, mode, geom, threads))


def pool_passes(
    image: np.ndarray,
    mode: Mode,
    passes: int | Literal["all"] = 1,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    channel_axis: int = -1,
    threads: int | None = None,
) -> Iterator[np.ndarray]:
    """Pool an image ``passes`` times, yielding each pass's result in turn.

    The whole plan is checked before the first pass (see :func:`plan_passes`), so a run that
    cannot finish raises before it yields anything. Parameters are those of :func:`pool`.

    Examples
    --------
    >>> x = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> [p.tolist() for p in pool_passes(x, "max", passes=2, size=2)][-1]
    [[27, 31], [59, 63]]
    """
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    _check_threads(threads)
    arr = _check_image(image)
    planar, restore = _as_planar(arr, channel_axis)
    plan = plan_passes(planar.shape[1:], passes, size, stride, padding)

    def run() -> Iterator[np.ndarray]:
        current = planar
        for geom in plan:
            current = _pool_planar(current, mode, geom, threads)
            yield restore(current)

    return run()
