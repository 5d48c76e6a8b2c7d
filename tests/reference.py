"""A plain-Python pooling oracle: one loop per output cell, written from the table in README.md
("What a pass computes").

Slow and obviously right; shares no code with poolcli.core.pooling.
"""

from __future__ import annotations

import math

import numpy as np


def axis_windows(
    n: int, k: int, s: int, padding: str | int, d: int = 1, caffe: bool = False
) -> list[tuple[list[int], int]] | None:
    """Each window along one axis as (its real input cells, its cells inside the declared
    padding), or None if no window fits. ``d`` is the dilation; ``caffe`` applies Caffe's
    size rule, transcribed from its pooling_layer.cpp:

        pooled = ceil((n + 2 * pad - k) / stride) + 1
        if pad and (pooled - 1) * stride >= n + pad: pooled -= 1

    (poolimg applies the second line without padding too, where Caffe would keep a window that
    starts past the image and holds no cell).
    """
    e = d * (k - 1) + 1
    pad_after = 0
    if caffe:
        before = pad_after = 0 if padding == "valid" else padding
        out = math.ceil((n + 2 * before - e) / s) + 1
        if (out - 1) * s >= n + before:
            out -= 1
    elif padding == "valid":
        if n < e:
            return None
        out, before = (n - e) // s + 1, 0
    elif padding == "same":
        out = math.ceil(n / s)
        total = max((out - 1) * s + e - n, 0)
        before, pad_after = total // 2, total - total // 2
    elif padding == "ceil":
        out, before = math.ceil((n - e) / s) + 1, 0
        if (out - 1) * s >= n:
            out -= 1
    else:
        out, before = math.floor((n + 2 * padding - e) / s) + 1, padding
        pad_after = padding
    if out < 1:
        return None

    def inside(start: int, lo: int, hi: int) -> range:
        """The j (0 <= j < k) whose cell start + j * d lies in lo <= cell < hi."""
        return range(max(0, math.ceil((lo - start) / d)), min(k, math.ceil((hi - start) / d)))

    windows = []
    for i in range(out):
        start = i * s - before
        real = [start + j * d for j in inside(start, 0, n)]  # a window may be 2**31 wide
        if not real:
            return None  # poolimg refuses a window of padding alone
        windows.append((real, len(inside(start, -before, n + pad_after))))
    return windows


def pool_plane(
    plane: np.ndarray,
    mode: str,
    k: tuple[int, int],
    s: tuple[int, int],
    padding,
    *,
    d: tuple[int, int] = (1, 1),
    count_pad: bool = False,
    caffe: bool = False,
    power: float = 2.0,
    indices: bool = False,
):
    """Pool one (H, W) plane, or return None where the geometry does not fit; with
    ``indices``, (values, flat indices of the winning cells) for max and min."""
    rows = axis_windows(plane.shape[0], k[0], s[0], padding, d[0], caffe)
    cols = axis_windows(plane.shape[1], k[1], s[1], padding, d[1], caffe)
    if rows is None or cols is None:
        return None
    dtype = plane.dtype
    if mode == "sum" and dtype.kind != "f":
        dtype = np.dtype("int64") if dtype.kind == "i" else np.dtype("uint64")
    if mode == "lp" and dtype.kind != "f":
        dtype = np.dtype("float64")
    out = np.empty((len(rows), len(cols)), dtype)
    where = np.empty((len(rows), len(cols)), np.int64)
    width = plane.shape[1]
    for i, (rw, r_counted) in enumerate(rows):
        for j, (cw, c_counted) in enumerate(cols):
            places = [(r, c) for r in rw for c in cw]  # row by row, left to right
            cells = [plane[r, c] for r, c in places]
            divisor = r_counted * c_counted if count_pad else len(cells)
            if mode in ("max", "min"):
                value, at = cells[0], 0
                for n, v in enumerate(cells):  # PyTorch's loop: strictly better, or NaN
                    better = v > value if mode == "max" else v < value
                    if better or math.isnan(v):
                        value, at = v, n
                out[i, j] = value
                where[i, j] = places[at][0] * width + places[at][1]
            elif mode == "stride":
                out[i, j] = cells[0]
            elif mode == "median":  # the middle cell; of two, their mean (integers: half up)
                ranked = sorted(cells)
                low, high = ranked[(len(ranked) - 1) // 2], ranked[len(ranked) // 2]
                if plane.dtype.kind == "f":
                    out[i, j] = low if low == high else (low + high) / plane.dtype.type(2)
                else:
                    out[i, j] = (int(low) + int(high) + 1) // 2
            elif mode == "mode":  # the most frequent cell; of several, the smallest
                values, counts = np.unique(cells, return_counts=True)
                out[i, j] = values[counts.argmax()]
            elif mode == "sum" and plane.dtype.kind != "f":
                out[i, j] = sum(int(v) for v in cells)
            elif mode == "lp" and plane.dtype.kind != "f":
                out[i, j] = float(sum(float(v) ** power for v in cells)) ** (1 / power)
            elif plane.dtype.kind == "f":
                acc = plane.dtype.type(0)
                for v in cells:
                    acc = plane.dtype.type(acc + v)
                out[i, j] = (
                    acc if mode == "sum" else plane.dtype.type(acc / plane.dtype.type(divisor))
                )
            else:
                total = sum(int(v) for v in cells)
                out[i, j] = (2 * total + divisor) // (2 * divisor)  # nearest, halves up
    return (out, where) if indices else out


def weighted_mean(plane: np.ndarray, k: int) -> np.ndarray:
    """Stochastic pooling's test phase, ``sum(x**2) / sum(x)`` of each k x k window (valid,
    stride k), from exact fractions: integers rounded to nearest, halves up."""
    from fractions import Fraction

    rows, cols = plane.shape[0] // k, plane.shape[1] // k
    out = np.empty((rows, cols), plane.dtype)
    for i in range(rows):
        for j in range(cols):
            cells = [
                Fraction(v.item()) for v in plane[i * k : i * k + k, j * k : j * k + k].ravel()
            ]
            total = sum(cells)
            value = sum(c * c for c in cells) / total if total else Fraction(0)
            out[i, j] = (
                float(value) if plane.dtype.kind == "f" else math.floor(value + Fraction(1, 2))
            )
    return out


def pool(image: np.ndarray, mode: str, k, s, padding, channel_axis: int = -1, **options):
    if image.ndim == 2:
        return pool_plane(image, mode, k, s, padding, **options)
    planes = np.moveaxis(image, channel_axis, 0)
    results = [pool_plane(p, mode, k, s, padding, **options) for p in planes]
    if results[0] is None:
        return None
    if options.get("indices"):
        values = np.stack([r[0] for r in results])
        where = np.stack([r[1] for r in results])
        return np.moveaxis(values, 0, channel_axis), np.moveaxis(where, 0, channel_axis)
    return np.moveaxis(np.stack(results), 0, channel_axis)


def assert_identical(got: np.ndarray, expected: np.ndarray) -> None:
    """Equal dtype, shape and values, and for floats the same sign of every zero (which
    ``assert_array_equal`` does not look at: it holds ``-0.0 == 0.0``)."""
    np.testing.assert_array_equal(got, expected, strict=True)
    if got.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
