"""Median and mode pooling: a window's middle value, or its most frequent one.

numpy only. A band of output rows at a time, the cells of each window are gathered (padding
left out, so a window holds only its real cells), sorted, and read:

- ``median``, per channel: the middle cell; of an even count, the mean of the two middle
  ones, rounded half up for integers as poolimg's averages are; floats as ``np.median`` gives
  them (NaN where the window holds one).
- ``mode``, all channels together: the most frequent *pixel* of the window, so a colour label
  map never gets a colour no pixel had; ties go to the smallest (scipy.stats.mode's rule,
  channel by channel for colours). Pixels of 8- and 16-bit channels are packed into one key.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from poolcli.core.axes import Axis
from poolcli.core.geometry import PassGeometry
from poolcli.core.reducers import Reducer

# Cells gathered at once (8 bytes each): a band of output rows' windows stays near 32 MiB.
_BAND_CELLS = 1 << 22


def rank_pool(x: np.ndarray, reducer: Reducer, geom: PassGeometry) -> np.ndarray:
    """One median or mode pass over planar ``x`` (C, H, W), leaving out ``reducer.ignore``
    (a cell, for the median of each channel; a pixel whose every channel holds it, for mode):
    a window of such cells alone gives the value itself."""
    channels = x.shape[0]
    rows, cols = geom.output_shape
    out = np.empty((channels, rows, cols), x.dtype)
    keys, unpack = (x, None) if reducer.name == "median" else pixel_keys(x)
    ignored: np.ndarray | None = None
    if reducer.ignore is not None:
        from poolcli.core.kernels.nodata import ignored_cells

        ignored = ignored_cells(x, reducer.ignore)
        if reducer.name == "mode":
            ignored = np.all(ignored, axis=0, keepdims=True)
        if not ignored.any():
            ignored = None
    quads = None if geom.adaptive or ignored is not None else _four_cells(keys, geom)
    if quads is not None and (reducer.name == "mode" or x.dtype.kind != "f"):
        chosen = _by_bands(quads, _median4 if reducer.name == "median" else _mode4)
        out[...] = chosen if unpack is None else unpack(chosen[0])
        return out
    if reducer.name == "median" and ignored is None and x.dtype.kind != "f" and not geom.adaptive:
        nine = _cells_of(x, geom, 3)
        if nine is not None:  # a 3x3 median of whole windows: 19 exchanges, no sort
            out[...] = _median9(nine)
            return out
    taps = max(1, geom.window_cells)  # an adaptive pass's longest window
    band = max(1, _BAND_CELLS // max(1, keys.shape[0] * cols * taps))
    gather = _gather_adaptive if geom.adaptive else _gather
    # with cells left out, each channel of a median has windows of its own
    planes = range(channels) if ignored is not None and reducer.name == "median" else [None]
    for lo in range(0, rows, band):
        hi = min(rows, lo + band)
        for channel in planes:
            part = keys if channel is None else keys[channel : channel + 1]
            left_out = None if ignored is None else ignored[channel or 0]
            cells, count = gather(part, geom, lo, hi, left_out)
            if reducer.name == "median":
                values = _median(cells, count, x.dtype)
                target = out[:, lo:hi] if channel is None else out[channel : channel + 1, lo:hi]
                target[...] = values
            else:
                chosen = most_frequent(cells[0], count)
                out[:, lo:hi] = chosen[None] if unpack is None else unpack(chosen)
            if left_out is not None and (count == 0).any():
                target = out[:, lo:hi] if channel is None else out[channel : channel + 1, lo:hi]
                target[:, count == 0] = reducer.ignore
    return out


def _four_cells(x: np.ndarray, geom: PassGeometry) -> list[np.ndarray] | None:
    """The four cells of every window of a 2x2 pass with no padding and no dilation, as four
    strided views (no copy); None for any other pass."""
    return _cells_of(x, geom, 2)


def _cells_of(x: np.ndarray, geom: PassGeometry, k: int) -> list[np.ndarray] | None:
    """The ``k * k`` cells of every window of a ``k``x``k`` pass with no padding and no
    dilation, as strided views (no copy), row by row; None for any other pass."""
    rows, cols = geom.rows, geom.cols
    if (rows.k, cols.k, rows.d, cols.d) != (k, k, 1, 1) or rows.padded or cols.padded:
        return None
    row_end = (rows.out - 1) * rows.s + 1
    col_end = (cols.out - 1) * cols.s + 1
    return [
        x[:, dr : dr + row_end : rows.s, dc : dc + col_end : cols.s]
        for dr in range(k)
        for dc in range(k)
    ]


# The median of nine by 19 compare-and-exchanges (Paeth's network, as in Devillard's opt_med9):
# after them, cell 4 holds the middle value. Pairs (i, j) leave the smaller in i.
_MEDIAN9 = (
    (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3),
    (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
)  # fmt: skip


def _median_steps() -> list[tuple[int, int, bool, bool]]:
    """The exchanges of :data:`_MEDIAN9` that reach cell 4, and which of their two results
    (the smaller, the larger) a later step reads: the last few need only one."""
    needed, steps = {4}, []
    for i, j in reversed(_MEDIAN9):
        if i in needed or j in needed:
            steps.append((i, j, i in needed, j in needed))
            needed |= {i, j}
    return steps[::-1]


_STEPS = _median_steps()
# Output cells a band: nine planes of it (and one spare) stay in a core's L2 cache.
_MEDIAN_BAND = 1 << 15


def _median9(cells: list[np.ndarray]) -> np.ndarray:
    """The middle of nine arrays, cell by cell (integers: no NaN to order)."""
    return _by_bands(cells, _middle_of_nine)


def _middle_of_nine(v: list[np.ndarray], out: np.ndarray) -> None:
    spare = v[9]
    for i, j, low, high in _STEPS:
        if low and high:  # both kept: the smaller into the spare, which becomes cell i
            np.minimum(v[i], v[j], out=spare)
            np.maximum(v[i], v[j], out=v[j])
            v[i], spare = spare, v[i]
        elif low:
            np.minimum(v[i], v[j], out=v[i])
        else:
            np.maximum(v[i], v[j], out=v[j])
    out[...] = v[4]


def _by_bands(
    cells: list[np.ndarray], reduce: Callable[[list[np.ndarray], np.ndarray], None]
) -> np.ndarray:
    """``reduce`` of the cells of every window, a band of output rows at a time: each band's
    strided views copied into contiguous buffers reused from band to band (with one spare),
    which ``reduce`` may overwrite, so every operation runs on whole rows in cache."""
    channels, rows, cols = cells[0].shape
    out = np.empty((channels, rows, cols), cells[0].dtype)
    step = max(1, _MEDIAN_BAND // max(1, channels * cols))
    buffers = [np.empty((channels, min(step, rows), cols), out.dtype) for _ in cells]
    spare = np.empty_like(buffers[0])
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        v = [buf[:, : hi - lo] for buf in buffers]
        for buf, cell in zip(v, cells, strict=True):
            np.copyto(buf, cell[:, lo:hi])
        reduce([*v, spare[:, : hi - lo]], out[:, lo:hi])
    return out


def _sort4(v: list[np.ndarray]) -> None:
    """Sort the first four arrays of ``v`` cell by cell, in place (five exchanges; ``v[4]``
    is a spare)."""
    for i, j in ((0, 1), (2, 3), (0, 2), (1, 3), (1, 2)):
        np.minimum(v[i], v[j], out=v[4])
        np.maximum(v[i], v[j], out=v[j])
        v[i], v[4] = v[4], v[i]


def _median4(v: list[np.ndarray], out: np.ndarray) -> None:
    """The mean of the two middle values of four integers, halves up."""
    _sort4(v)
    wide = v[1].astype(np.int64)
    wide += v[2]
    wide += 1
    wide //= 2
    out[...] = wide


def _mode4(v: list[np.ndarray], out: np.ndarray) -> None:
    """Of four keys, the first of a pair once sorted (the smaller where two pairs tie), else
    the smallest (all four differ)."""
    _sort4(v)
    a, b, c, d = v[:4]
    # b when it has a twin (a pair that ties with c and d is the smaller); else c and d's
    # pair; else (all four differ) the smallest
    out[...] = np.where((a == b) | (b == c), b, np.where(c == d, c, a))


def _gather(
    x: np.ndarray, geom: PassGeometry, lo: int, hi: int, ignored: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The real cells of the windows of output rows ``lo:hi``, ``(C, rows, cols, K)`` in
    window order, padding slots (and cells ``ignored``, ``(H, W)``) last, and how many real
    cells each window holds."""
    taps = geom.rows.k * geom.cols.k
    if (hi - lo) * geom.cols.out < taps:  # few large windows: a window at a time, not a cell
        shape = (x.shape[0], hi - lo, geom.cols.out, taps)
        rows = _window_cells(geom.rows, lo, hi)
        cols = _window_cells(geom.cols, 0, geom.cols.out)
        return _gather_windows(x, rows, cols, shape, ignored)
    cells = geom.cells(lo, hi)
    shape = (x.shape[0], hi - lo, geom.cols.out, max(1, len(cells)))
    gathered = np.empty(shape, x.dtype)
    real = np.zeros(shape[1:], bool)
    for t, (dst_rows, dst_cols, src_rows, src_cols, _, _) in enumerate(cells):
        gathered[:, dst_rows, dst_cols, t] = x[:, src_rows, src_cols]
        real[dst_rows, dst_cols, t] = True if ignored is None else ~ignored[src_rows, src_cols]
    # the real cells of every window first, so its padding slots trail them after a sort
    order = np.argsort(~real, axis=-1, kind="stable")
    gathered = np.take_along_axis(gathered, order[None], axis=-1)
    return gathered, real.sum(axis=-1)


def _gather_adaptive(
    x: np.ndarray, geom: PassGeometry, lo: int, hi: int, ignored: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_gather` for an adaptive pass, whose windows differ in length by a cell: each
    window's cells in window order, the slots past its end last, and how many it holds."""
    (r0, r1), (c0, c1) = geom.window_bounds()
    r0, r1 = r0[lo:hi], r1[lo:hi]
    kr, kc = int((r1 - r0).max()), int((c1 - c0).max())
    shape = (x.shape[0], hi - lo, len(c0), kr * kc)
    if (hi - lo) * len(c0) < kr * kc:  # few large windows: a window at a time, not a cell
        rows = [np.arange(top, bottom) for top, bottom in zip(r0, r1, strict=True)]
        cols = [np.arange(left, right) for left, right in zip(c0, c1, strict=True)]
        return _gather_windows(x, rows, cols, shape, ignored)
    gathered = np.empty(shape, x.dtype)
    real = np.empty(shape[1:], bool)
    for dr in range(kr):
        rows = np.minimum(r0 + dr, r1 - 1)
        for dc in range(kc):
            cols = np.minimum(c0 + dc, c1 - 1)
            gathered[..., dr * kc + dc] = x[:, rows[:, None], cols[None, :]]
            inside = (r0 + dr < r1)[:, None] & (c0 + dc < c1)[None, :]
            if ignored is not None:
                inside = inside & ~ignored[rows[:, None], cols[None, :]]
            real[..., dr * kc + dc] = inside
    order = np.argsort(~real, axis=-1, kind="stable")
    gathered = np.take_along_axis(gathered, order[None], axis=-1)
    return gathered, real.sum(axis=-1)


def _gather_windows(
    x: np.ndarray,
    rows: list[np.ndarray],
    cols: list[np.ndarray],
    shape: tuple[int, int, int, int],
    ignored: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_gather` one window at a time, for windows larger than they are many (a
    65535-row image to 4 rows: 16,384 x 29 cells each, where the loop over the cells'
    offsets took minutes). ``rows[i]`` and ``cols[j]`` are the real input rows and columns of
    the windows of output row ``i`` and column ``j``; each window's cells row by row, the
    order of :func:`_gather`'s real cells."""
    gathered = np.zeros(shape, x.dtype)
    count = np.zeros(shape[1:3], np.int64)
    for i, at_rows in enumerate(rows):
        for j, at_cols in enumerate(cols):
            cells = x[:, at_rows[:, None], at_cols[None, :]].reshape(len(x), -1)
            if ignored is not None:
                cells = cells[:, ~ignored[at_rows[:, None], at_cols[None, :]].reshape(-1)]
            gathered[:, i, j, : cells.shape[1]] = cells
            count[i, j] = cells.shape[1]
    return gathered, count


def _window_cells(axis: Axis, lo: int, hi: int) -> list[np.ndarray]:
    """The real cells (inside the image) of the windows ``lo:hi`` along ``axis``."""
    offsets = np.arange(axis.k) * axis.d
    cells = []
    for i in range(lo, hi):
        at = i * axis.s - axis.before + offsets
        cells.append(at[(at >= 0) & (at < axis.n)])
    return cells


def _median(cells: np.ndarray, count: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Per channel, the middle of each window's ``count`` real cells (the first of each
    window's last axis)."""
    k = cells.shape[-1]
    slots = np.arange(k)
    if dtype.kind == "f":
        padded = np.where(slots < count[..., None], cells, np.inf)
        nan = np.isnan(padded).any(axis=-1)
        ranked = np.sort(padded, axis=-1)
        low = np.take_along_axis(ranked, ((count - 1) // 2)[None, ..., None], -1)[..., 0]
        high = np.take_along_axis(ranked, (count // 2)[None, ..., None], -1)[..., 0]
        middle = np.where(low == high, low, (low + high) / dtype.type(2)).astype(dtype)
        return np.where(nan, dtype.type(np.nan), middle)
    wide = cells.astype(np.int64)
    top = np.iinfo(np.int64).max
    ranked = np.sort(np.where(slots < count[..., None], wide, top), axis=-1)
    low = np.take_along_axis(ranked, ((count - 1) // 2)[None, ..., None], -1)[..., 0]
    high = np.take_along_axis(ranked, (count // 2)[None, ..., None], -1)[..., 0]
    result: np.ndarray = ((low + high + 1) // 2).astype(dtype)  # half up, as averages
    return result


def most_frequent(cells: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The most frequent of each window's ``count`` real keys (the first of its last axis);
    ties go to the smallest."""
    k = cells.shape[-1]
    slots = np.arange(k)
    real = slots < count[..., None]
    if cells.dtype.kind == "f":  # padding as NaN: sorted last with the NaNs, never counted
        ranked = np.sort(np.where(real, cells, np.nan), axis=-1)
    else:
        top = np.iinfo(cells.dtype).max
        ranked = np.sort(np.where(real, cells, top), axis=-1)
    # the length of the run each sorted key ends: its slot less the slot its run starts at
    # (a NaN equals nothing, so each is a run of its own)
    starts = np.zeros(ranked.shape, np.int32 if k < 2**31 else np.int64)
    starts[..., 1:] = np.where(ranked[..., 1:] != ranked[..., :-1], slots[1:], 0)
    run = slots - np.maximum.accumulate(starts, axis=-1) + 1
    run[~real] = 0  # padding slots never win
    # the first key to reach the longest run is the smallest of the most frequent
    best = run.argmax(axis=-1)
    chosen: np.ndarray = np.take_along_axis(ranked, best[..., None], -1)[..., 0]
    return chosen


def pixel_keys(x: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray] | None]:
    """One key a pixel, ordered as the pixels are channel by channel, and the function that
    turns keys back into planar pixels (None: one channel, the keys are the pixels)."""
    channels = x.shape[0]
    if channels == 1:
        return x, None
    if x.dtype.kind == "u" and x.dtype.itemsize * channels <= 8:
        bits = 8 * x.dtype.itemsize
        key = np.zeros(x.shape[1:], np.uint64)
        for c in range(channels):  # the first channel most significant: colour order
            key |= x[c].astype(np.uint64) << np.uint64(bits * (channels - 1 - c))

        def unpack_bits(chosen: np.ndarray) -> np.ndarray:
            mask = np.uint64((1 << bits) - 1)
            shifts = [np.uint64(bits * (channels - 1 - c)) for c in range(channels)]
            return np.stack([(chosen >> s) & mask for s in shifts]).astype(x.dtype)

        return key[None], unpack_bits
    # other pixels (floats, wide integers): their rank among the image's distinct pixels
    colours, labels = np.unique(x.reshape(channels, -1).T, axis=0, return_inverse=True)

    def unpack_rank(chosen: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.moveaxis(colours[chosen], -1, 0)
        return result

    return labels.reshape(x.shape[1:]).astype(np.int64)[None], unpack_rank
