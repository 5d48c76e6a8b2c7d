"""Exact means of integer window sums: the accumulator a sum needs, halves rounded up, and
windows at the edges divided by their own counts.

numpy only; used by the banded kernel (:mod:`poolcli.core.kernels.bands`) and stochastic pooling.
"""

from __future__ import annotations

import numpy as np

from poolcli.core.reducers import narrowest_integer
from poolcli.errors import ParameterError


def accumulator(dtype: np.dtype, cells: int) -> np.dtype:
    """The narrowest integer type that holds a sum of ``cells`` values plus a rounding half."""
    info = np.iinfo(dtype)
    largest = cells * max(abs(info.max), abs(info.min)) + cells // 2
    signed = info.min < 0
    acc = narrowest_integer(
        largest, signed=signed, at_least=max(4 if signed else 2, dtype.itemsize)
    )
    if acc is None:
        raise ParameterError(f"a window of {cells} cells is too large for an exact {dtype} average")
    return acc


def divide_rounded(sums: np.ndarray, counts: int | np.ndarray, dst: np.ndarray) -> None:
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


def divide_edges(
    sums: np.ndarray, rows: np.ndarray, cols: np.ndarray, kr: int, kc: int, dst: np.ndarray
) -> None:
    """:func:`divide_rounded` where windows count ``outer(rows, cols)`` cells: only the rows
    and columns of windows that overhang (a few at each edge) count fewer than ``kr * kc``, so
    everything is divided by the constant (fast: a shift or one division by a scalar) and
    those edges again by their own counts (a division by an array is 3x slower a pass)."""
    edge_rows, edge_cols = np.flatnonzero(rows != kr), np.flatnonzero(cols != kc)
    if len(edge_rows) == len(rows) or len(edge_cols) == len(cols):  # no window is whole
        divide_rounded(sums, np.outer(rows, cols), dst)
        return
    row_sums, col_sums = sums[:, edge_rows], sums[:, :, edge_cols]  # copies, before the shift
    divide_rounded(sums, kr * kc, dst)
    for index, part, counts in (
        ((slice(None), edge_rows), row_sums, np.outer(rows[edge_rows], cols)),
        ((slice(None), slice(None), edge_cols), col_sums, np.outer(rows, cols[edge_cols])),
    ):
        if part.size:
            means = np.empty(part.shape, dst.dtype)
            divide_rounded(part, counts, means)
            dst[index] = means
