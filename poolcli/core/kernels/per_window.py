"""Pooling one window at a time, and the sign of zero that max and min keep.

numpy only. The banded kernel of :mod:`poolcli.core.kernels.bands` makes a numpy call per offset of
the window (two per offset for float averages), which is fast for the usual small windows and
millions of calls for a window the size of the image. Passes with few, large windows (``size=
"global"``, a window as wide as a strip) are reduced here instead, one numpy reduction per window,
with the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.reducers import Reducer

# Rows of a window copied at a time for a float average summed in PyTorch's order.
_CHUNK_BYTES = 1 << 20


def few_windows(reducer: Reducer, x: np.ndarray, geom: PassGeometry) -> bool:
    """Whether one reduction per window makes fewer numpy calls than the banded kernel."""
    windows = geom.rows.out * geom.cols.out
    taps = geom.rows.real + geom.cols.real
    if reducer.kind == "mean" and x.dtype.kind == "f":
        taps = geom.window_cells
    return geom.whole or 4 * windows < taps


def pool_by_window(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, dtype: np.dtype
) -> np.ndarray:
    """One pass over planar ``x`` (C, H, W), one numpy reduction per window, into ``dtype``.

    Averages: integers exact, rounded halves up; floats summed in PyTorch's order (row by row,
    in the image's type), except for ``whole`` (``size="global"``), summed in float64 and
    rounded once, so a global mean is as close as ``np.mean`` gets. Sums likewise, undivided.
    """
    rows, cols = geom.rows, geom.cols
    out = np.empty((x.shape[0], rows.out, cols.out), dtype)
    divisors = np.outer(rows.counts(reducer.count_pad), cols.counts(reducer.count_pad))
    row_spans = list(zip(rows.firsts().tolist(), rows.counts().tolist(), strict=True))
    col_spans = list(zip(cols.firsts().tolist(), cols.counts().tolist(), strict=True))
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in a float sum: NaN
        for i, (r0, rn) in enumerate(row_spans):
            for j, (c0, cn) in enumerate(col_spans):
                r1, c1 = r0 + (rn - 1) * rows.d + 1, c0 + (cn - 1) * cols.d + 1
                window = x[:, r0 : r1 : rows.d, c0 : c1 : cols.d]
                divisor = int(divisors[i, j])
                out[:, i, j] = _reduce_window(window, reducer, geom.whole, divisor, dtype)
    return out


def _reduce_window(
    window: np.ndarray, reducer: Reducer, whole: bool, divisor: int, dtype: np.dtype
) -> np.ndarray:
    result: np.ndarray
    if reducer.kind == "extreme":
        assert reducer.ufunc is not None
        result = reducer.ufunc.reduce(window, axis=(1, 2))
    elif reducer.kind == "first":
        result = window[:, 0, 0]
    elif window.dtype.kind == "f" and whole:
        total = window.sum(axis=(1, 2), dtype=np.float64)
        result = total if reducer.kind == "sum" else total / divisor
    elif window.dtype.kind == "f":
        total = _running_sum(window)
        result = total if reducer.kind == "sum" else total / window.dtype.type(divisor)
    elif reducer.kind == "sum":
        result = window.sum(axis=(1, 2), dtype=dtype)
    else:
        wide = np.uint64 if window.dtype.kind == "u" else np.int64
        sums = window.sum(axis=(1, 2), dtype=wide)
        result = (sums + wide(divisor // 2)) // wide(divisor)
    return result


def _running_sum(window: np.ndarray) -> np.ndarray:
    """Each channel's sum in PyTorch's order: from 0, cell by cell, row by row, in the
    window's own float type (``np.add.accumulate`` adds in sequence; ``sum`` would not)."""
    channels, height, width = window.shape
    total = np.zeros(channels, window.dtype)
    step = max(1, _CHUNK_BYTES // (channels * width * window.dtype.itemsize))
    for r in range(0, height, step):
        block = np.concatenate((total[:, None], window[:, r : r + step].reshape(channels, -1)), 1)
        total = np.add.accumulate(block, axis=1)[:, -1]
    return total


def zeros_of_both_signs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Where float ``x`` is zero and where it is -0.0, if it holds zeros of both signs (whose
    order a max or min does not keep); None otherwise."""
    if x.dtype.kind != "f":
        return None
    zero = x == 0
    negative = zero & np.signbit(x)
    if not negative.any() or np.array_equal(negative, zero):
        return None
    return zero, negative


def settle_zero_signs(
    x: np.ndarray,
    out: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    pool_max: Callable[[np.ndarray], np.ndarray],
) -> None:
    """Give each zero of a float max or min the sign PyTorch gives it; ``pool_max`` pools a
    plane of keys by ``geom``'s windows with the max kernel (the banded kernel's own, which
    calls this: passed in rather than imported, so the two modules form no loop).

    ``+0.0`` and ``-0.0`` compare equal, so which one a maximum keeps depends on the order of
    comparison; PyTorch's ``max_pool2d`` keeps the first in the window, row by row. Where a
    window's extreme is zero and the image holds zeros of both signs, this finds that first
    zero: the zeros of ``x`` are numbered so that an earlier cell has a larger number (the
    sign in the lowest bit), and a max pass over the numbers picks each window's first.
    """
    if x.dtype.kind != "f" or reducer.kind != "extreme":
        return
    zero_out = out == 0
    if not zero_out.any():
        return
    both = zeros_of_both_signs(x)
    if both is None:
        return  # zeros of one sign: every order gives the same answer
    zero, negative = both

    _, height, width = x.shape
    key_type = np.int32 if 2 * height * width < 2**31 else np.int64
    order = np.arange(height * width, 0, -1, dtype=key_type).reshape(height, width) * 2
    for c in range(x.shape[0]):
        if not zero_out[c].any():
            continue
        keys = np.where(zero[c], order + ~negative[c], 0).astype(key_type)
        first = pool_max(keys[None])[0]
        signs = np.where(first & 1, 0.0, -0.0).astype(x.dtype)
        np.copyto(out[c], signs, where=zero_out[c])
