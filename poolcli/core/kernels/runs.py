"""Maxima and minima of ``k`` consecutive cells in about log2(k) numpy operations.

numpy only. A stride-1 window of ``k`` cells along an axis reduced offset by offset costs
``k - 1`` operations. Doubling costs fewer: the maxima of every 2 consecutive cells, then of
every 4 (two overlapping pairs), and so on up to the largest power of two ``p < k``; two
overlapping runs of ``p`` then cover each window (``k <= 2p``). A 7-cell window takes 3
operations instead of 6, a 15-cell one 4 instead of 14. Max and min only: they may count a
cell twice. The van Herk/Gil-Werman scheme takes 3 operations for any ``k``, but its running
maxima within blocks need ``np.maximum.accumulate`` along the axis, which numpy runs a cell at
a time along rows (about 20 ms an axis on a 24-MP photo, measured in issue 14): it wins only
for windows wider than about 10 cells a side, which doubling already makes cheap.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _along(a: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    return a[(slice(None),) * axis + (slice(start, stop),)]


def reduce_runs(
    base: np.ndarray,
    k: int,
    axis: int,
    ufunc: np.ufunc,
    out: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
) -> None:
    """``out[..., i, ...] = ufunc.reduce(base[..., i:i + k, ...])`` along ``axis`` for every
    ``i < out.shape[axis]``; ``base`` holds ``out.shape[axis] + k - 1`` cells there.

    ``scratch``: two buffers of ``base``'s shape in ``out``'s dtype, for the runs in between.

    >>> x = np.array([[3, 1, 4, 1, 5, 9, 2, 6, 5, 3]])
    >>> out = np.empty((1, 4), x.dtype)
    >>> reduce_runs(x, 7, 1, np.maximum, out, (np.empty_like(x), np.empty_like(x)))
    >>> out
    array([[9, 9, 9, 9]])
    """
    n = out.shape[axis]
    span, run = 1, base
    for buffer in _alternate(scratch):
        if 2 * span >= k:
            break
        length = run.shape[axis] - span  # runs of 2 * span cells
        doubled = _along(buffer, axis, 0, length)
        ufunc(_along(run, axis, 0, length), _along(run, axis, span, span + length), out=doubled)
        run, span = doubled, 2 * span
    ufunc(_along(run, axis, 0, n), _along(run, axis, k - span, k - span + n), out=out)


def _alternate(scratch: tuple[np.ndarray, np.ndarray]) -> Iterator[np.ndarray]:
    while True:
        yield from scratch
