"""Stride-2 sums and averages of 8- and 16-bit planes over 2 or 3 cells a side, two
neighbouring cells read as one integer.

numpy only. The usual downsampling passes (``avg`` 2x2 or 3x3, stride 2) are where the general
kernel of :mod:`poolcli.core.kernels.bands` does most work for least result: it widens every row to
16 bits with a mixed-type add (which numpy runs through a cast buffer), then splits the columns into
even and odd planes. Here each pair of cells ``(2j, 2j + 1)`` of a row is viewed as one integer
twice as wide: a mask gives the left cell and a shift the right one, already widened and already
side by side, so every later step is a contiguous add of one type::

    left = pairs & 0xFF;  right = pairs >> 8          (each input row once)
    L, R = left and right summed over the window's rows
    sum_j = L[j] + R[j]  (+ L[j + 1] for 3 columns)

then the mean, rounded half up, and one narrowing copy. On the 24-MP photo, 1 thread, paired
with the general kernel: 3x3 in 0.71-0.75x its time, 2x2 in 0.96-0.98x (ten numpy operations
either way: numpy has no widening add of neighbours, so the gain is the mixed-type add and the
column split saved) (``benchmarks/bench_sizes.py``). Exact: the same integer sums and
rounding as everywhere.
"""

from __future__ import annotations

import numpy as np

from poolcli.core.axes import Axis
from poolcli.core.geometry import PassGeometry
from poolcli.core.reducers import Reducer
from poolcli.core.threads import split_rows

# Pairs a band: 64 rows of a 6000-wide plane (temporaries of 384 KiB each). 16 rows cost more
# numpy calls than they save (1.4x the time for 2x2); 32 to 128 rows were within noise.
_BAND_PAIRS = 64 * 3000

_WIDER: dict[np.dtype, np.dtype] = {
    np.dtype(np.uint8): np.dtype(np.uint16),
    np.dtype(np.uint16): np.dtype(np.uint32),
}


def pairs_apply(x: np.ndarray, reducer: Reducer, geom: PassGeometry, dtype: np.dtype) -> bool:
    """Whether :func:`pool_pairs` computes this pass: an unpadded, undilated stride-2 sum or
    average over 2 or 3 cells a side, of uint8 or uint16 planes."""
    wide = _WIDER.get(x.dtype)
    return (
        wide is not None
        and reducer.kind in ("mean", "sum")
        and dtype == (x.dtype if reducer.kind == "mean" else wide)
        and all(
            a.k in (2, 3) and a.s == 2 and a.d == 1 and not a.padded for a in (geom.rows, geom.cols)
        )
    )


def pool_pairs(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None,
    dtype: np.dtype,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """One pass over planar ``x`` (C, H, W) where :func:`pairs_apply` holds: window sums
    (``dtype`` twice as wide as ``x``) or means rounded half up (``x``'s dtype), in ``out``
    if given.

    >>> from poolcli.core.geometry import checked_geometry
    >>> from poolcli.core.reducers import REDUCERS
    >>> x = np.arange(25, dtype=np.uint8).reshape(1, 5, 5)
    >>> pool_pairs(x, REDUCERS["avg"], checked_geometry((5, 5), 3, 2, "valid"), 1, x.dtype)[0]
    array([[ 6,  8],
           [16, 18]], dtype=uint8)
    """
    channels = x.shape[0]
    rows, cols = geom.rows, geom.cols
    height, width = rows.out, cols.out
    wide = _WIDER[x.dtype]
    bits = 8 * x.itemsize
    low, shift = wide.type((1 << bits) - 1), wide.type(bits)
    mean = reducer.kind == "mean"
    cells = rows.k * cols.k
    # Pairs the window sums read: width of them (and one more for 3 columns) when the row
    # holds them; else the last output column is summed on its own (an odd width, 3 columns).
    paired = width + (cols.k == 3)
    tail = 2 * paired > x.shape[2]
    if tail:
        paired -= 1
    # Rows that are not contiguous (the first pass reads Pillow's 4-bytes-a-pixel storage in
    # place) are copied a band at a time into contiguous scratch: 3x3 from that view took
    # half the time of the general kernel's strided reads (bench_images.py).
    contiguous = x.strides[2] == x.itemsize
    pairs = x[:, :, : 2 * paired].view(wide) if contiguous else None
    if out is None:
        out = np.empty((channels, height, width), dtype)
    target = out
    full = width - tail  # output columns from the pairs
    extra = cols.k == 3  # the pair after a window's own, whose left cell it also reads
    # A band is n output rows by w output columns, about _BAND_PAIRS pairs: whole rows of a
    # photo, a chunk of columns of a strip.
    n = max(1, min(height, _BAND_PAIRS // max(paired, 1)))
    w = max(1, min(full, _BAND_PAIRS // n))

    def run(lo: int, hi: int) -> None:
        span = 2 * n + rows.k - 2  # input rows of a band of n output rows
        copied = None if contiguous else np.empty((span, 2 * (w + extra)), x.dtype)
        # rows of the temporaries start 64 bytes apart (an odd width ran 1.3x slower)
        pitch = -(-(w + extra) // 32) * 32
        left, right = np.empty((span, pitch), wide), np.empty((span, pitch), wide)
        sums, other = np.empty((n, pitch), wide), np.empty((n, pitch), wide)
        for c in range(channels):
            for start in range(lo, hi, n):
                m = min(n, hi - start)
                for j0 in range(0, full, w):
                    j1 = min(j0 + w, full)
                    r0, r1 = 2 * start, 2 * start + 2 * m + rows.k - 2
                    if pairs is not None:
                        band = pairs[c, r0:r1, j0 : j1 + extra]
                    else:
                        assert copied is not None
                        block = copied[: r1 - r0, : 2 * (j1 + extra - j0)]
                        np.copyto(block, x[c, r0:r1, 2 * j0 : 2 * (j1 + extra)])
                        band = block.view(wide)
                    a, b = left[: len(band), : band.shape[1]], right[: len(band), : band.shape[1]]
                    np.bitwise_and(band, low, out=a)
                    np.right_shift(band, shift, out=b)
                    s, t = sums[:m, : band.shape[1]], other[:m, : band.shape[1]]
                    np.add(a[0 : 2 * m : 2], a[1 : 2 * m : 2], out=s)
                    np.add(b[0 : 2 * m : 2], b[1 : 2 * m : 2], out=t)
                    if rows.k == 3:
                        np.add(s, a[2 : 2 * m + 1 : 2], out=s)
                        np.add(t, b[2 : 2 * m + 1 : 2], out=t)
                    window = t[:, : j1 - j0]
                    np.add(window, s[:, : j1 - j0], out=window)
                    if extra:
                        np.add(window, s[:, 1 : j1 - j0 + 1], out=window)
                    _finish(window, target[c, start : start + m, j0:j1], mean, cells)
            if tail:
                _last_column(x[c], target[c], lo, hi, rows.k, cells, mean, wide)

    split_rows(height, out.size, threads, run)
    return out


def inner(axis: Axis) -> tuple[int, int]:
    """The outputs ``lo:hi`` along ``axis`` whose windows lie wholly inside the input.

    >>> from poolcli.core.axes import place_axis
    >>> inner(place_axis(10, 3, 2, 1, 1, False))  # padding 1: the first window overhangs
    (1, 5)
    >>> inner(place_axis(10, 3, 2, 1, "same", False))  # here the last one does
    (0, 4)
    """
    lo = -(-axis.before // axis.s)
    hi = (axis.n + axis.before - axis.extent) // axis.s + 1
    return lo, max(lo, min(hi, axis.out))


def _finish(window: np.ndarray, target: np.ndarray, mean: bool, cells: int) -> None:
    """Window sums into their outputs: as they are, or their means rounded half up."""
    if not mean:
        np.copyto(target, window)
        return
    wide = window.dtype.type
    np.add(window, wide(cells // 2), out=window)
    if cells == 4:
        np.right_shift(window, wide(2), out=window)
    else:
        np.floor_divide(window, wide(cells), out=window)
    np.copyto(target, window, casting="unsafe")


def _last_column(
    x: np.ndarray, out: np.ndarray, lo: int, hi: int, k: int, cells: int, mean: bool, wide: np.dtype
) -> None:
    """Output column ``-1`` of rows ``lo:hi`` for 3-cell columns of an odd width: the pairs
    stop one cell short of its window."""
    block = x[2 * lo : 2 * hi + k - 2, -3:].sum(axis=1, dtype=wide)
    sums = block[0 : 2 * (hi - lo) : 2] + block[1 : 2 * (hi - lo) : 2]
    if k == 3:
        sums += block[2 : 2 * (hi - lo) + 1 : 2]
    out[lo:hi, -1] = (sums + cells // 2) // cells if mean else sums
