"""The inner loops of pooling: planar ``(C, H, W)`` arrays reduced in cache-sized bands.

One pass is separable for max, min and integer averages: reduce the window's rows (``k``
row-shifted slices, contiguous and vectorized), then its columns, one horizontal band of output
rows at a time so the row-reduced band is still in cache when the column pass reads it. Bands are
independent and numpy releases the GIL in its loops, so a thread pool splits the rows between
cores. ``benchmarks/bench_core.py`` measures every choice made here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.integer_means import accumulator, divide_edges, divide_rounded
from poolcli.core.kernels.per_window import few_windows, pool_by_window, settle_zero_signs
from poolcli.core.kernels.runs import reduce_runs
from poolcli.core.kernels.separable import (
    Sources,
    column_sources,
    reduce_sources,
    split_dtype,
    thread_scratch,
)
from poolcli.core.kernels.stride2 import inner, pairs_apply, pool_pairs
from poolcli.core.reducers import REDUCERS, Reducer, sum_dtype
from poolcli.core.threads import split_rows

# Bytes of row-reduced data per band. Smaller bands stay in a core's L2 cache but cost more
# numpy calls, and with two threads more GIL hand-offs; on a 24-MP photo 2 MiB was fastest
# for one thread and for two (`python benchmarks/bench_core.py --sweep-bands`).
BAND_BYTES = 1 << 21


class _Bands:
    """Pools bands of ``n`` output rows of one pass, with everything that does not depend on
    where the band lies (buffers, column slices, counts) worked out once."""

    def __init__(
        self, x: np.ndarray, out: np.ndarray, reducer: Reducer, geom: PassGeometry, n: int
    ) -> None:
        self.x, self.out, self.rows, self.cols = x, out, geom.rows, geom.cols
        self.mean = reducer.kind in ("mean", "sum")  # summed; divided only for "mean"
        self.divide = reducer.kind == "mean"
        self.float_mean = self.mean and x.dtype.kind == "f"
        assert reducer.ufunc is not None  # "first" never reaches the bands
        self.ufunc, self.fill = reducer.ufunc, reducer.identity(x.dtype)
        scratch = thread_scratch()
        channels, width = x.shape[0], x.shape[2]
        # The cells each window counts, per axis; a band's outer product is made per band, so
        # no pass holds an int64 array the size of its output (48 MB for 24 MP, per thread).
        self.counts: tuple[np.ndarray, np.ndarray] | None = None
        if self.divide and (geom.rows.padded or geom.cols.padded):
            pad = reducer.count_pad
            self.counts = (geom.rows.counts(pad), geom.cols.counts(pad))
        if self.float_mean:
            return
        # A window holds at most n real cells along an axis, however wide it is.
        cells = self.rows.real * self.cols.real
        acc = x.dtype
        if self.mean and not self.divide and x.dtype.itemsize >= 4:
            acc = out.dtype  # sums of sums: the run chose a type that holds them
        elif self.mean:
            acc = accumulator(x.dtype, cells)
        # rows.k == 1: each window has one row, which the column pass reads in place.
        self.in_place = self.rows.k == 1 and not self.mean
        self.split: Callable[[], None] | None = None
        if not self.in_place:
            band = scratch.get("rows", (channels, n, width + width % 2), acc)
            self.band = band[:, :, :width]
            self.split, self.col_sources = column_sources(band, self.cols, scratch)
        if not self.in_place:
            plane = self.col_sources[0][1].dtype
        else:  # the column pass reads x's rows, split into planes or as they are
            plane = split_dtype(x, self.cols) or x.dtype
        self.sums = scratch.get("sums", (channels, n, self.cols.out), plane)
        self.wide = scratch.get("wide", (channels, n, self.cols.out), plane)
        # Wide stride-1 windows of max and min: runs of doubling length (poolcli.core.kernels.runs).
        self.runs_rows, self.runs_cols = (
            not self.mean and a.s == 1 and a.d == 1 and a.k >= 4 and not a.padded
            for a in (self.rows, self.cols)
        )

    def run(self, lo: int, hi: int) -> None:
        """Pool output rows ``lo:hi`` (at most ``n`` of them)."""
        x = self.x
        dst = self.out[:, lo:hi]
        n = hi - lo
        rtaps = self.rows.taps(lo, hi)
        if self.float_mean:
            counts = None
            if self.counts is not None:
                counts = np.outer(self.counts[0][lo:hi], self.counts[1])
            # inf + -inf is NaN, as in PyTorch, which does not warn of it either (and this
            # runs in the pool's threads, outside any errstate of the caller)
            with np.errstate(invalid="ignore", over="ignore"):
                self._float_average(dst, rtaps, counts)
            return
        row_sources = [(d, x[:, s]) for d, s in rtaps]
        ufunc, fill = self.ufunc, self.fill
        col_sources = self._columns(row_sources, lo, n, ufunc, fill)
        if self.runs_cols:
            base = row_sources[0][1] if self.in_place else self.band[:, :n]
            reduce_runs(base, self.cols.k, 2, ufunc, dst, self._runs_scratch(base.shape))
            return
        if not self.mean:
            reduce_sources(col_sources, dst, 2, ufunc, fill, self.wide[:, :n])
            return
        if not self.divide:  # dst is already a type that holds the sums
            reduce_sources(col_sources, dst, 2, np.add, 0, self.wide[:, :n])
            return
        sums = self.sums[:, :n]
        reduce_sources(col_sources, sums, 2, np.add, 0)
        if self.counts is None:
            divide_rounded(sums, self.rows.k * self.cols.k, dst)
        else:
            divide_edges(sums, self.counts[0][lo:hi], self.counts[1], self.rows.k, self.cols.k, dst)

    def _runs_scratch(self, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        scratch, dtype = thread_scratch(), self.x.dtype
        return scratch.get("runs_a", shape, dtype), scratch.get("runs_b", shape, dtype)

    def _columns(
        self, row_sources: Sources, lo: int, n: int, ufunc: np.ufunc, fill: float
    ) -> Sources:
        """Reduce the window rows into the band; return what the column pass reads."""
        if self.in_place:
            split, sources = column_sources(row_sources[0][1], self.cols, thread_scratch())
        else:
            if self.runs_rows:
                base = self.x[:, lo : lo + n + self.rows.k - 1]
                scratch = self._runs_scratch(base.shape)
                reduce_runs(base, self.rows.k, 1, ufunc, self.band[:, :n], scratch)
            else:
                reduce_sources(row_sources, self.band[:, :n], 1, ufunc, fill)
            split, sources = self.split, self.col_sources
            if n != self.band.shape[1]:
                sources = [(d, src[:, :n]) for d, src in sources]
        if split is not None:
            split()
        return sources

    def _float_average(
        self, dst: np.ndarray, rtaps: list[tuple[slice, slice]], counts: np.ndarray | None
    ) -> None:
        # PyTorch's order: each window summed row by row, left to right, in the image's own
        # float type, then divided by the count of real cells. Any other order can differ in
        # the last bit, so this is not separable.
        x = self.x
        ctaps = self.cols.taps(0, self.cols.out)
        dst.fill(0)
        for rd, rs in rtaps:
            for cd, cs in ctaps:
                view = dst[:, rd, cd]
                np.add(view, x[:, rs, cs], out=view)
        if not self.divide:
            return
        if counts is None:
            np.divide(dst, x.dtype.type(self.rows.k * self.cols.k), out=dst)
        else:
            np.divide(dst, counts.astype(x.dtype), out=dst)


def _as_slice(index: np.ndarray) -> slice | np.ndarray:
    """A slice equal to an index array that is an arithmetic progression, else the array."""
    if len(index) == 1:
        return slice(int(index[0]), int(index[0]) + 1)
    step = int(index[1] - index[0])
    if step > 0 and np.all(np.diff(index) == step):
        return slice(int(index[0]), int(index[-1]) + 1, step)
    return index


def pool_planar(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None,
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """One pass over planar ``x`` (C, H, W): windows placed by ``geom``, reduced by
    ``reducer`` (max, min, mean, sum or first; :mod:`poolcli.core.kernels.dispatch` dispatches the
    rest); a new planar array, in ``dtype`` if given (sums: a type that holds them)."""
    rows, cols = geom.rows, geom.cols
    if reducer.kind == "first":
        return x[:, _as_slice(rows.firsts())][:, :, _as_slice(cols.firsts())].copy()
    assert reducer.kind in ("extreme", "mean", "sum"), reducer.kind
    if dtype is None and reducer.kind == "sum":
        dtype = sum_dtype(x.dtype, geom.window_cells)
    dtype = np.dtype(dtype or x.dtype)
    if few_windows(reducer, x, geom):
        out = pool_by_window(x, reducer, geom, dtype)
    elif pairs_apply(x, reducer, geom, dtype):
        out = pool_pairs(x, reducer, geom, threads, dtype)
    elif (framed := _pool_framed(x, reducer, geom, threads, dtype)) is not None:
        out = framed
    else:
        out = _pool_banded(x, reducer, geom, threads, dtype)
    settle_zero_signs(
        x, out, reducer, geom, lambda keys: pool_planar(keys, REDUCERS["max"], geom, threads=1)
    )
    return out


def _pool_framed(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None, dtype: np.dtype
) -> np.ndarray | None:
    """A padded pass whose inner windows :mod:`poolcli.core.kernels.stride2` computes: those by it,
    the frame of windows that overhang the input by :func:`_pool_banded`; None where the pairs
    kernel does not apply (so ``same`` costs about what ``valid`` does)."""
    (r_lo, r_hi), (c_lo, c_hi) = inner(geom.rows), inner(geom.cols)
    if r_hi - r_lo < 2 or c_hi - c_lo < 2:
        return None
    band, r0, r1 = geom.band(r_lo, r_hi)
    middle, c0, c1 = band.column_band(c_lo, c_hi)
    if not pairs_apply(x[:, r0:r1, c0:c1], reducer, middle, dtype):
        return None
    rows, cols = geom.rows, geom.cols
    out = np.empty((x.shape[0], rows.out, cols.out), dtype)
    pool_pairs(x[:, r0:r1, c0:c1], reducer, middle, threads, dtype, out[:, r_lo:r_hi, c_lo:c_hi])
    for lo, hi in ((0, r_lo), (r_hi, rows.out)):  # whole rows above and below
        if lo < hi:
            part, i0, i1 = geom.band(lo, hi)
            _pool_banded(x[:, i0:i1], reducer, part, threads, dtype, out[:, lo:hi])
    for lo, hi in ((0, c_lo), (c_hi, cols.out)):  # the ends of the rows in between
        if lo < hi:
            part, j0, j1 = band.column_band(lo, hi)
            region = (slice(None), slice(r_lo, r_hi), slice(lo, hi))
            _pool_banded(x[:, r0:r1, j0:j1], reducer, part, threads, dtype, out[region])
    return out


def _pool_banded(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None,
    dtype: np.dtype,
    out: np.ndarray | None = None,
) -> np.ndarray:
    rows, cols = geom.rows, geom.cols
    if out is None:
        out = np.empty((x.shape[0], rows.out, cols.out), dtype)
    itemsize = max(x.dtype.itemsize, 2)
    # Rows wider than a band (a 2 x 12,000,000 strip): pool chunks of columns instead, so the
    # row-reduced data still fits in cache (a whole-row band ran 1.4-1.7x a square photo's
    # time), each written straight into its columns of ``out``.
    # Measured on a 2 x 12,000,000 strip: max is fastest in chunks of 4 MiB of input, sums
    # (wider accumulators, more scratch) in chunks of 1 MiB.
    chunk = 2 * BAND_BYTES if reducer.kind == "extreme" else BAND_BYTES // 2
    step = max(1, chunk // (x.shape[0] * itemsize * cols.s))
    if (
        x.shape[0] * x.shape[2] * itemsize > BAND_BYTES
        and step * cols.s + cols.extent < x.shape[2] // 2
    ):
        chunks = -(-cols.out // step)

        def run_columns(first: int, stop: int) -> None:
            for chunk in range(first, stop):
                lo, hi = chunk * step, min(chunk * step + step, cols.out)
                part, c0, c1 = geom.column_band(lo, hi)
                _pool_banded(x[:, :, c0:c1], reducer, part, 1, dtype, out[:, :, lo:hi])

        split_rows(chunks, out.size, threads, run_columns)
        return out
    band = max(1, BAND_BYTES // (x.shape[0] * x.shape[2] * itemsize))

    def run(lo: int, hi: int) -> None:
        bands = _Bands(x, out, reducer, geom, min(band, hi - lo))
        for start in range(lo, hi, band):
            bands.run(start, min(start + band, hi))

    split_rows(rows.out, out.size, threads, run)
    return out
