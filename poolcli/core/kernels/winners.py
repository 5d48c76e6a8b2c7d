"""Which pixel each window took, and unpooling: the inverse picture of max and min pooling.

numpy only. An index is the flat position ``row * width + col`` of a cell in its input plane,
as PyTorch's ``max_pool2d(return_indices=True)`` gives it, with PyTorch's CPU rule for ties:
the first cell (row by row) equal to the window's result, and for a window holding NaN the last
NaN (its loop takes ``val > maxval or isnan(val)``). Min pooling, which PyTorch lacks, follows
the same rule mirrored.
"""

from __future__ import annotations

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.per_window import few_windows
from poolcli.core.reducers import Reducer, narrowest_integer
from poolcli.core.threads import split_rows
from poolcli.errors import ParameterError

# Outputs whose cells are numbered together: each band costs some Python (its cells are
# listed anew), so bands are as large as the cache allows; 2**17 was fastest for 2x2 on a
# 24-MP photo (2**13: 2.5x slower; 2**19: no faster). `bench_core.py --modes` measures it.
_BAND_CELLS = 1 << 17


def winner_indices(
    x: np.ndarray,
    out: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None = None,
) -> np.ndarray:
    """The flat input index of the cell each output of a max or min pass took.

    ``x`` is the planar (C, H, W) input and ``out`` the pass's result; returns int64 of
    ``out``'s shape.
    """
    if few_windows(reducer, x, geom):
        return _by_window(x, reducer, geom)
    rows, cols = geom.rows, geom.cols
    index = np.empty(out.shape, np.int64)
    nan = x.dtype.kind == "f" and bool(np.isnan(out).any())
    band = max(1, _BAND_CELLS // max(cols.out, 1))
    number_type = narrowest_integer(rows.k * cols.k)

    def run(first: int, stop: int) -> None:
        shape = (min(band, stop - first), cols.out)
        hit = np.empty(shape, bool)
        number, step = np.empty(shape, number_type), np.empty(shape, number_type)
        for lo in range(first, stop, band):
            hi = min(lo + band, stop)
            _number_band(x, out, geom, lo, hi, nan, hit, number, step, index)

    split_rows(rows.out, out.size, threads, run)
    return index


def _number_band(
    x: np.ndarray,
    out: np.ndarray,
    geom: PassGeometry,
    lo: int,
    hi: int,
    nan: bool,
    hit: np.ndarray,
    number: np.ndarray,
    step: np.ndarray,
    index: np.ndarray,
) -> None:
    """Indices of output rows ``lo:hi``, all channels."""
    width, rows, cols = x.shape[2], geom.rows, geom.cols
    cells = geom.cells(lo, hi)
    offsets = np.array([dr * width + dc for *_, dr, dc in cells], np.int64)
    row_starts = (np.arange(lo, hi, dtype=np.int64) * rows.s - rows.before) * width
    col_starts = np.arange(cols.out, dtype=np.int64) * cols.s - cols.before
    num, stp, h = number[: hi - lo], step[: hi - lo], hit[: hi - lo]
    base = row_starts[:, None] + col_starts  # each window's top-left corner, flat
    for c in range(x.shape[0]):
        result = out[c, lo:hi]
        # Every window has a cell equal to its result (NaN aside). Going backwards, the first
        # such cell is numbered last and stays. A masked copy is slow (a branch per cell);
        # `num += hit * (t - num)`, wrapping, is three vectorized operations.
        for t in range(len(cells) - 1, -1, -1):
            rd, cd, rs, cs, _, _ = cells[t]
            _renumber(x[c, rs, cs], result[rd, cd], h[rd, cd], num[rd, cd], stp[rd, cd], t)
        if nan:  # forwards: the last NaN stays
            for t, (rd, cd, rs, cs, _, _) in enumerate(cells):
                _renumber(x[c, rs, cs], None, h[rd, cd], num[rd, cd], stp[rd, cd], t)
        where = index[c, lo:hi]
        np.take(offsets, num, out=where, mode="clip")  # "raise" would buffer out
        where += base


def _renumber(
    cells: np.ndarray,
    result: np.ndarray | None,
    hit: np.ndarray,
    number: np.ndarray,
    scratch: np.ndarray,
    t: int,
) -> None:
    """Set ``number`` to ``t`` where ``cells == result`` (or, with no result, where
    ``cells`` is NaN)."""
    if result is None:
        np.isnan(cells, out=hit)
    else:
        np.equal(cells, result, out=hit)
    np.subtract(number.dtype.type(t), number, out=scratch)
    np.multiply(scratch, hit, out=scratch)
    np.add(number, scratch, out=number)


def _by_window(x: np.ndarray, reducer: Reducer, geom: PassGeometry) -> np.ndarray:
    """Indices for passes of few, large windows (see :mod:`poolcli.core.kernels.per_window`)."""
    rows, cols = geom.rows, geom.cols
    width = x.shape[2]
    pick = np.argmax if reducer.ufunc is np.maximum else np.argmin
    index = np.empty((x.shape[0], rows.out, cols.out), np.int64)
    spans = [
        list(zip(axis.firsts().tolist(), axis.counts().tolist(), strict=True))
        for axis in (rows, cols)
    ]
    for i, (r0, rn) in enumerate(spans[0]):
        for j, (c0, cn) in enumerate(spans[1]):
            r1, c1 = r0 + (rn - 1) * rows.d + 1, c0 + (cn - 1) * cols.d + 1
            for c in range(x.shape[0]):
                window = x[c, r0 : r1 : rows.d, c0 : c1 : cols.d]
                flat = window.reshape(-1)  # a copy when strided; windows here are few
                if flat.dtype.kind == "f" and np.isnan(flat).any():
                    at = flat.size - 1 - int(np.argmax(np.isnan(flat[::-1])))
                else:  # argmax and argmin return the first of equal cells, as PyTorch
                    at = int(pick(flat))
                wr, wc = divmod(at, cn)
                index[c, i, j] = (r0 + wr * rows.d) * width + c0 + wc * cols.d
    return index


def unpool(values: np.ndarray, indices: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Put each of planar ``values`` (C, h, w) back at its flat ``indices`` on a zero
    (C, rows, cols) plane of ``shape``, as PyTorch's ``max_unpool2d``.

    A cell that won several windows (strides smaller than the window) is written once.

    Raises
    ------
    ParameterError
        If ``indices`` and ``values`` differ in shape or an index falls outside ``shape``.
    """
    if values.shape != indices.shape:
        raise ParameterError(
            f"values {values.shape} and indices {indices.shape} must have the same shape"
        )
    rows, cols = shape
    size = rows * cols
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= size):
        raise ParameterError(
            f"an index lies outside the {cols}x{rows} plane it is said to come from"
        )
    out = np.zeros((values.shape[0], size), values.dtype)
    for c in range(values.shape[0]):
        out[c, indices[c].reshape(-1)] = values[c].reshape(-1)
    return out.reshape(values.shape[0], rows, cols)


def win_counts(indices: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """How many windows each cell of a (rows, cols) plane won, over all channels: int64
    (rows, cols)."""
    rows, cols = shape
    counts = np.bincount(indices.reshape(-1), minlength=rows * cols)
    return counts[: rows * cols].reshape(rows, cols)


def kept_label(how: str, index: np.ndarray, shape: tuple[int, int]) -> str:
    """The label of a sheet's cell of what a pass kept: ``kept``, or for a heat map of
    winners its scale, black for 0 windows to white for the most (``won 0-12, sqrt``)."""
    if how != "winners":
        return "kept"
    return f"won 0-{max(int(win_counts(index, shape).max()), 1)} windows, sqrt"


def picture_of_winners(
    values: np.ndarray, index: np.ndarray, original: np.ndarray, how: str
) -> np.ndarray:
    """The input-sized planar picture of what a pass kept, as ``--unpool`` draws it.

    ``how``: "dark" (each pixel that won a window keeps its value, the rest are 0), "dim"
    (the rest show the input at a quarter of its value) or "winners" (one grey channel: how
    many windows each pixel won, over all channels, 255 for the most, on a square-root scale
    so that pixels that won once still show).
    """
    shape = original.shape[1:]
    if how == "winners":
        counts = win_counts(index, shape)
        top = max(int(counts.max()), 1)
        heat: np.ndarray = np.floor(np.sqrt(counts / top) * 255.0 + 0.5).astype(np.uint8)
        return heat[None]
    kept = unpool(values, index, shape)
    if how == "dim":
        won = unpool(np.ones(values.shape, bool), index, shape)
        with np.errstate(all="ignore"):  # NaN and infinities fade to themselves, silently
            faded = original / 4 if original.dtype.kind == "f" else original // 4
        kept = np.where(won, kept, faded.astype(original.dtype))
    return kept
