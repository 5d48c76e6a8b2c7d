"""Anti-aliased pooling (Zhang, "Making Convolutional Networks Shift-Invariant Again", 2019):
a binomial blur sampled every stride, after a max over each window at stride 1 (maxblurpool).

numpy only. The blur is separable, so it runs down the rows it samples, then along the columns
it samples, never at the pixels it would drop. Its weights are the binomial coefficients
``C(N - 1, j)``, whose 2-D products sum to ``4 ** (N - 1)``. Integer images sum those products
exactly and divide by that power of two as poolimg's averages divide, halves rounded up; floats
sum them in float64 and divide once, so a float32 result is the blur rounded once, exactly where
float64 holds the sums (an 8- or 16-bit image made float); Kornia's float32 convolution rounds
each product and sum, and is up to a few ulp off it.

The geometry (:func:`poolcli.core.axes.blur_axis`) places each output's window over the
``m + N - 1`` input cells it reads, its padding the blur's; a band of it (streaming, threads)
pools by itself, as every other mode's does. Mirrored padding (``reflect``) reads the image's
edge rows, so it pads the whole frame once instead.
"""

from __future__ import annotations

import math

import numpy as np

from poolcli.core.axes import Axis
from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.bands import BAND_BYTES  # the row-blurred band each thread holds
from poolcli.core.kernels.separable import along, thread_scratch
from poolcli.core.reducers import Reducer, narrowest_integer
from poolcli.core.threads import split_rows
from poolcli.errors import ParameterError


def binomial(taps: int) -> list[int]:
    """The binomial blur's integer weights, a row of Pascal's triangle.

    >>> binomial(3), binomial(5)
    ([1, 2, 1], [1, 4, 6, 4, 1])
    """
    return [math.comb(taps - 1, j) for j in range(taps)]


def blur_pool(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None
) -> np.ndarray:
    """One blurpool or maxblurpool pass over planar ``x`` (C, H, W), in ``x``'s type.

    Examples
    --------
    Kornia's example, ``max_blur_pool2d(torch.eye(5)[None, None], 3)``:

    >>> from poolcli.core.geometry import first_pass
    >>> from poolcli.core.reducers import REDUCERS
    >>> from poolcli.spec.pool_spec import PoolSpec
    >>> x = np.eye(5, dtype=np.float32)[None]
    >>> blur_pool(x, REDUCERS["maxblurpool"], first_pass(PoolSpec("maxblurpool"), (5, 5)), 1)
    array([[[0.5625, 0.3125],
            [0.3125, 0.875 ]]], dtype=float32)
    """
    taps = reducer.blur
    rows, cols = geom.rows, geom.cols
    maxed = reducer.ufunc is not None
    m_r, m_c = (rows.k - taps + 1, cols.k - taps + 1) if maxed else (1, 1)
    if reducer.reflect:
        if maxed:
            x = _max_valid(x, m_r, m_c)
        pads = ((0, 0), (rows.before, rows.after), (cols.before, cols.after))
        x = np.pad(x, pads, mode="reflect")  # mirrored without the edge, as ReflectionPad2d
        geom = PassGeometry(
            geom.index,
            Axis(x.shape[1], taps, rows.s, 0, rows.out),
            Axis(x.shape[2], taps, cols.s, 0, cols.out),
        )
        m_r = m_c = 1
        rows, cols = geom.rows, geom.cols
    acc = _accumulator(x.dtype, taps)
    out = np.empty((x.shape[0], rows.out, cols.out), x.dtype)
    weights = binomial(taps)
    band = max(1, BAND_BYTES // (x.shape[0] * x.shape[2] * acc.itemsize))

    def run(lo: int, hi: int) -> None:
        for start in range(lo, hi, band):
            stop = min(start + band, hi)
            part, r0, r1 = geom.band(start, stop)
            xb = x[:, r0:r1]
            if m_r > 1 or m_c > 1:
                xb = _max_valid(xb, m_r, m_c, "blur-max")
            # the blur alone, over the cells the max left, with the band's padding
            down = Axis(xb.shape[1], taps, rows.s, part.rows.before, stop - start)
            across = Axis(xb.shape[2], taps, cols.s, cols.before, cols.out)
            blurred = _blur(xb, down, weights, acc, 1, "blur-down")
            _finish(
                _blur(blurred, across, weights, acc, 2, "blur-across"), taps, out[:, start:stop]
            )

    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN, as in PyTorch
        split_rows(rows.out, out.size, threads, run)
    return out


def _accumulator(dtype: np.dtype, taps: int) -> np.dtype:
    """float64 for floats; for integers, the narrowest type that holds a window's weighted sum
    and the rounding half."""
    if dtype.kind == "f":
        return np.dtype(np.float64)
    if taps == 1:  # no blur: each output is one cell
        return dtype
    wide = _holds(dtype, taps)
    if wide is None:
        most = next(t for t in range(taps - 1, 0, -1) if t == 1 or _holds(dtype, t))
        raise ParameterError(
            f"a blur of {taps} taps over {dtype} pixels is too large to compute exactly; "
            f"use at most {most} tap{'s' if most > 1 else ''}"
        )
    return wide


def _holds(dtype: np.dtype, taps: int) -> np.dtype | None:
    info = np.iinfo(dtype)
    total = 4 ** (taps - 1)
    largest = max(abs(info.min), info.max) * total + total // 2
    return narrowest_integer(largest, signed=info.min < 0, at_least=max(2, dtype.itemsize))


def _max_valid(x: np.ndarray, m_r: int, m_c: int, name: str | None = None) -> np.ndarray:
    """The max over every ``m_r`` x ``m_c`` window at stride 1, windows inside ``x`` only
    (``F.max_pool2d(x, m, stride=1)``); in the thread's buffers ``name``, or new arrays."""
    rows, cols = x.shape[1] - m_r + 1, x.shape[2] - m_c + 1

    def buffer(part: str, shape: tuple[int, int, int]) -> np.ndarray:
        if name is None:
            return np.empty(shape, x.dtype)
        return thread_scratch().get(name + part, shape, x.dtype)

    down = buffer("-rows", (x.shape[0], rows, x.shape[2]))
    np.maximum(x[:, :rows], x[:, 1 : 1 + rows], out=down) if m_r > 1 else np.copyto(down, x)
    for i in range(2, m_r):
        np.maximum(down, x[:, i : i + rows], out=down)
    if m_c == 1:
        return down
    across = buffer("-cols", (x.shape[0], rows, cols))
    np.maximum(down[:, :, :cols], down[:, :, 1 : 1 + cols], out=across)
    for j in range(2, m_c):
        np.maximum(across, down[:, :, j : j + cols], out=across)
    return across


def _blur(
    x: np.ndarray, axis: Axis, weights: list[int], acc: np.dtype, dim: int, name: str
) -> np.ndarray:
    """The weighted sums of the windows of ``axis`` along dimension ``dim`` of ``x``, in the
    thread's buffer ``name``: cells outside ``x`` (the zero padding) add nothing."""
    shape = list(x.shape)
    shape[dim] = axis.out
    scratch = thread_scratch()
    sums = scratch.get(name, tuple(shape), acc)
    taps, s = len(weights), axis.s
    # The windows wholly inside x, summed tap pair by tap pair with no padding to skip; the
    # few at the ends (at most taps // s a side) cell by cell.
    lo = min(-(-axis.before // s), axis.out)
    hi = max(lo, min(axis.out, (axis.n - taps + axis.before) // s + 1))
    if hi > lo:
        first = lo * s - axis.before
        cells = [
            along(x, dim, slice(first + j, first + j + s * (hi - lo - 1) + 1, s))
            for j in range(taps)
        ]
        inner = along(sums, dim, slice(lo, hi))
        term = scratch.get("blur-term", inner.shape, acc)
        _weighted_sum(cells, weights, inner, term, acc)
    for a, b in ((0, lo), (hi, axis.out)):
        if a < b:
            part = along(sums, dim, slice(a, b))
            part[...] = 0
            for dst, src in axis.taps(a, b):
                j = src.start - (a + dst.start) * s + axis.before  # the tap, from the start
                target = along(part, dim, dst)
                target += along(x, dim, src) * acc.type(weights[j])
    return sums


def _weighted_sum(
    cells: list[np.ndarray], weights: list[int], out: np.ndarray, term: np.ndarray, acc: np.dtype
) -> None:
    """``out = sum(w * cell)``, adding the taps of equal weight (a binomial row is symmetric)
    before they are multiplied: 3 taps cost one add, one product and one more add. ``term``
    is a buffer of ``out``'s shape."""
    taps = len(cells)
    for j in range((taps + 1) // 2):
        k = taps - 1 - j
        target = out if j == 0 else term
        if k != j:
            np.add(cells[j], cells[k], out=target, dtype=acc)
            if weights[j] != 1:
                target *= acc.type(weights[j])
        else:
            np.multiply(cells[j], acc.type(weights[j]), out=target, dtype=acc)
        if j:
            out += term


def _finish(sums: np.ndarray, taps: int, dst: np.ndarray) -> None:
    """Divide weighted sums by the weights' total, ``4 ** (taps - 1)``, into ``dst``: integers
    with halves rounded up, floats rounded once to ``dst``'s type."""
    shift = 2 * (taps - 1)
    if sums.dtype.kind == "f":
        sums *= 0.25 ** (taps - 1)  # a power of two: exact
        np.copyto(dst, sums, casting="unsafe")
        return
    if shift:
        sums += 1 << (shift - 1)
        np.right_shift(sums, shift, out=sums)
    np.copyto(dst, sums, casting="unsafe")
