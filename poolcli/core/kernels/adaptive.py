"""Adaptive pooling: a pass to a given output size (PyTorch's ``adaptive_{avg,max}_pool2d``,
Keras 3's adaptive layers where they agree).

numpy only. Along an axis of ``n`` cells pooled to ``out``, output ``i`` reads the cells
``[floor(i * n / out), ceil((i + 1) * n / out))``, computed with integers (ATen's
``AdaptivePooling.h`` computes them in floats, which round wrongly past 2**24): windows of
neighbouring outputs may share a cell, and ``out > n`` repeats cells. Max and min take the
first extreme cell of the window row by row, and the last NaN, as PyTorch's loop does, and
their values are read at that cell (so a zero keeps its sign). Integer averages are exact
means rounded half up, as poolimg's other averages; float averages and sums add the window's
cells row by row in the image's float type and divide by the rows, then the columns, as
PyTorch's ``sum / kh / kw``.
"""

from __future__ import annotations

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.reducers import Reducer, sum_dtype


def adaptive_pool(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    indexed: bool = False,
    dtype: np.dtype | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One adaptive pass over planar ``x`` (C, H, W) to ``geom.output_shape``: the values and,
    for max and min with ``indexed``, each value's flat index in its input plane (``dtype``:
    the type of sums)."""
    rows, cols = geom.window_bounds()
    if reducer.kind == "extreme":
        index = _first_extreme(x, rows, cols, reducer.name == "min")
        flat = x.reshape(len(x), -1)
        values = np.take_along_axis(flat, index.reshape(len(x), -1), 1).reshape(index.shape)
        return values, index if indexed else None
    if reducer.kind == "power":
        return _lp(x, reducer.power, rows, cols), None
    if x.dtype.kind == "f":
        return _float_mean(x, rows, cols, reducer.kind == "mean"), None
    if dtype is None and reducer.kind == "sum":
        dtype = sum_dtype(x.dtype, int((rows[1] - rows[0]).max() * (cols[1] - cols[0]).max()))
    return _integer_mean(x, rows, cols, reducer.kind == "mean", dtype), None


Bounds = tuple[np.ndarray, np.ndarray]  # where each window starts, and ends (exclusive)

# Bytes of a band of rows' sliding sums held at once, across the columns.
_BAND_BYTES = 16 << 20


def _first_extreme(
    x: np.ndarray,
    rows: Bounds,
    cols: Bounds,
    low: bool,
) -> np.ndarray:
    """The flat index of each window's extreme, by PyTorch's rule (a cell strictly beyond the
    best so far, or a NaN, replaces it; the window's first cell to begin with): along the rows
    of each window first, then across them, which picks the same cell as the loop row by row."""
    channels, _, width = x.shape
    (r0, r1), (c0, c1) = rows, cols
    # along each row: the best column of every window, and its value
    best_col = np.broadcast_to(c0, (channels, x.shape[1], len(c0))).copy()
    best = x[:, :, c0]
    for d in range(1, int((c1 - c0).max())):
        inside = c0 + d < c1
        at = np.minimum(c0 + d, c1 - 1)
        cells = x[:, :, at]
        take = _beats(cells, best, low) & inside
        np.copyto(best, cells, where=take)
        np.copyto(best_col, np.broadcast_to(at, best_col.shape), where=take)
    # across the rows of each window
    best_row = np.broadcast_to(r0[:, None], (channels, len(r0), len(c0))).copy()
    value = best[:, r0]
    column = best_col[:, r0]
    for d in range(1, int((r1 - r0).max())):
        inside = (r0 + d < r1)[:, None]
        at = np.minimum(r0 + d, r1 - 1)
        cells = best[:, at]
        take = _beats(cells, value, low) & inside
        np.copyto(value, cells, where=take)
        np.copyto(column, best_col[:, at], where=take)
        np.copyto(best_row, np.broadcast_to(at[:, None], best_row.shape), where=take)
    result: np.ndarray = best_row * width + column
    return result


def _beats(cells: np.ndarray, best: np.ndarray, low: bool) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        take = cells < best if low else cells > best
    if cells.dtype.kind == "f":
        take |= np.isnan(cells)
    result: np.ndarray = take
    return result


def _integer_mean(
    x: np.ndarray,
    rows: Bounds,
    cols: Bounds,
    mean: bool,
    sum_type: np.dtype | None,
    acc: np.dtype | None = None,
) -> np.ndarray:
    """Exact window sums, an axis at a time (in ``acc``, else a type no window overflows);
    means rounded half up."""
    (r0, r1), (c0, c1) = rows, cols
    cells = int((r1 - r0).max()) * int((c1 - c0).max())
    acc = acc or sum_dtype(x.dtype, cells)
    channels, height, width = x.shape
    across = np.empty((channels, height, len(c0)), acc)
    band = max(1, _BAND_BYTES // (channels * width * acc.itemsize))  # sliding sums held
    for top in range(0, height, band):
        across[:, top : top + band] = _axis_sums(x[:, top : top + band], c0, c1, 2, acc)
    sums = _axis_sums(across, r0, r1, 1, acc)
    if not mean:
        return sums.astype(sum_type or acc)
    count = (r1 - r0)[:, None] * (c1 - c0)[None, :]
    wide = sums.astype(np.int64)
    means: np.ndarray = ((2 * wide + count) // (2 * count)).astype(x.dtype)
    return means


def _axis_sums(
    x: np.ndarray, starts: np.ndarray, ends: np.ndarray, axis: int, acc: np.dtype
) -> np.ndarray:
    """The sums of windows ``[starts, ends)`` along ``axis`` (1 or 2) of planar ``x``: windows
    of an adaptive pass are ``L`` or ``L + 1`` cells long, so they are the sliding sums of
    ``L`` cells (the banded kernel's fast stride-1 pass) read at each start, plus the next
    cell where a window is one longer."""
    from poolcli.core.geometry import checked_geometry
    from poolcli.core.kernels.bands import pool_planar
    from poolcli.core.reducers import REDUCERS

    lengths = ends - starts
    short = int(lengths.min())
    size = (1, short) if axis == 2 else (short, 1)
    geom = checked_geometry(x.shape[1:], size, 1, "valid")
    sliding = pool_planar(x, REDUCERS["sum"], geom, None, acc)
    sums: np.ndarray = np.take(sliding, starts, axis=axis)
    longer = lengths > short
    if longer.any():
        extra = np.take(x, np.where(longer, starts + short, starts), axis=axis).astype(acc)
        shape = [1, 1, 1]
        shape[axis] = len(starts)
        sums += extra * longer.reshape(shape).astype(acc)
    return sums


def _float_mean(
    x: np.ndarray,
    rows: Bounds,
    cols: Bounds,
    mean: bool,
) -> np.ndarray:
    """Each window's cells added row by row in ``x``'s type (PyTorch's order), then divided
    by its rows and by its columns."""
    (r0, r1), (c0, c1) = rows, cols
    total = np.zeros((x.shape[0], len(r0), len(c0)), x.dtype)
    zero = x.dtype.type(0)
    for dr in range(int((r1 - r0).max())):
        row_in = (r0 + dr < r1)[:, None]
        row_at = np.minimum(r0 + dr, r1 - 1)
        band = x[:, row_at]
        for dc in range(int((c1 - c0).max())):
            col_in = (c0 + dc < c1)[None, :]
            cells = band[:, :, np.minimum(c0 + dc, c1 - 1)]
            total += np.where(row_in & col_in, cells, zero)
    if not mean:
        return total
    kh = (r1 - r0).astype(x.dtype)[:, None]
    kw = (c1 - c0).astype(x.dtype)[None, :]
    result: np.ndarray = total / kh / kw
    return result


def _lp(x: np.ndarray, p: float, rows: Bounds, cols: Bounds) -> np.ndarray:
    """Lp over adaptive windows, ``(sum x**p) ** (1/p)``: floats summed in their own type, as
    the fixed-window path does; integers raised and summed exactly, the root taken in
    float64 (float32 results for 8- and 16-bit images)."""
    from poolcli.core.kernels.lp import raised_float, raised_plane

    if x.dtype.kind == "f":
        with np.errstate(all="ignore"):
            sums = _float_mean(raised_float(x, p), rows, cols, mean=False)
            return sums if p == 1.0 else np.power(sums, x.dtype.type(1.0 / p))
    cells = int((rows[1] - rows[0]).max() * (cols[1] - cols[0]).max())
    out = np.empty(
        (x.shape[0], len(rows[0]), len(cols[0])),
        np.float32 if x.dtype.itemsize <= 2 else np.float64,
    )
    for c in range(x.shape[0]):  # one channel at a time: raised planes are wider than x
        plane = raised_plane(x[c : c + 1], p, cells)
        if plane.dtype.kind == "f":
            sums = _float_mean(plane, rows, cols, mean=False)[0]
        else:
            # raised_plane keeps integers only where a window's sum stays below 2**63
            sums = _integer_mean(plane, rows, cols, False, None, np.dtype(np.int64))[0]
        out[c] = np.power(sums, 1.0 / p, dtype=np.float64)
    return out
