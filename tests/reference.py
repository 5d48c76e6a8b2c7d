"""A plain-Python pooling oracle: one loop per output cell, written from the table in README.md
("What a pass computes").

Slow and obviously right; shares no code with poolcli.pooling.
"""

from __future__ import annotations

import math

import numpy as np


def axis_windows(n: int, k: int, s: int, padding: str | int) -> list[range] | None:
    """The real input cells of each window along one axis, or None if no window fits."""
    if padding == "valid":
        if n < k:
            return None
        out, before = (n - k) // s + 1, 0
    elif padding == "same":
        out = math.ceil(n / s)
        before = max((out - 1) * s + k - n, 0) // 2
    elif padding == "ceil":
        out, before = math.ceil((n - k) / s) + 1, 0
        if (out - 1) * s >= n:
            out -= 1
    else:
        out, before = math.floor((n + 2 * padding - k) / s) + 1, padding
    if out < 1:
        return None
    windows = []
    for i in range(out):
        start = i * s - before
        windows.append(range(max(start, 0), min(start + k, n)))
    return windows


def pool_plane(
    plane: np.ndarray, mode: str, k: tuple[int, int], s: tuple[int, int], padding
) -> np.ndarray | None:
    """Pool one (H, W) plane, or return None where the geometry does not fit."""
    rows = axis_windows(plane.shape[0], k[0], s[0], padding)
    cols = axis_windows(plane.shape[1], k[1], s[1], padding)
    if rows is None or cols is None:
        return None
    out = np.empty((len(rows), len(cols)), plane.dtype)
    for i, rw in enumerate(rows):
        for j, cw in enumerate(cols):
            cells = [plane[r, c] for r in rw for c in cw]  # row by row, left to right
            if mode == "max":
                out[i, j] = max(cells)
            elif mode == "min":
                out[i, j] = min(cells)
            elif mode == "stride":
                out[i, j] = cells[0]
            elif plane.dtype.kind == "f":
                acc = plane.dtype.type(0)
                for v in cells:
                    acc = plane.dtype.type(acc + v)
                out[i, j] = plane.dtype.type(acc / plane.dtype.type(len(cells)))
            else:
                total = sum(int(v) for v in cells)
                out[i, j] = (2 * total + len(cells)) // (2 * len(cells))  # nearest, halves up
    return out


def pool(image: np.ndarray, mode: str, k, s, padding, channel_axis: int = -1) -> np.ndarray | None:
    if image.ndim == 2:
        return pool_plane(image, mode, k, s, padding)
    planes = np.moveaxis(image, channel_axis, 0)
    results = [pool_plane(p, mode, k, s, padding) for p in planes]
    if results[0] is None:
        return None
    return np.moveaxis(np.stack(results), 0, channel_axis)


def assert_identical(got: np.ndarray, expected: np.ndarray) -> None:
    """Equal dtype, shape and values, and for floats the same sign of every zero (which
    ``assert_array_equal`` does not look at: it holds ``-0.0 == 0.0``)."""
    np.testing.assert_array_equal(got, expected, strict=True)
    if got.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
