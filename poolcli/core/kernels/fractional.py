"""Fractional max pooling (Graham 2014; PyTorch ``FractionalMaxPool2d``).

numpy only. Each pass shrinks by a ratio between 1/2 and 1, with windows whose starts are drawn
per channel: from a sample ``u`` in [0, 1), window ``i`` of an axis starts at
``int((i + u) * alpha) - int(u * alpha)``, ``alpha = (n - k) / (out - 1)``, and the last at
``n - k``, computed in the image's float type as PyTorch does. Given PyTorch's samples
(``_random_samples``), values and indices equal its own; otherwise samples come from one
stream per (seed, pass, channel).
"""

from __future__ import annotations

import os

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.per_window import zeros_of_both_signs
from poolcli.core.reducers import Reducer


def starts(sample: float, n: int, out: int, k: int, ftype: type[np.floating]) -> np.ndarray:
    """Where the ``out`` windows of size ``k`` start along an axis of ``n`` cells.

    >>> starts(0.8, 7, 4, 2, np.float32).tolist()
    [0, 1, 3, 5]
    """
    result = np.full(out, n - k, np.int64)
    if out > 1:
        alpha = ftype(n - k) / ftype(out - 1)
        u = ftype(sample)
        offsets = ((np.arange(out - 1).astype(ftype) + u) * alpha).astype(np.int64)
        result[:-1] = offsets - np.int64(u * alpha)
    return result


def fractional_pool(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, indexed: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """One pass over planar ``x`` (C, H, W): values and, if ``indexed``, flat input indices
    (PyTorch's rule: the first cell strictly greater, and a NaN wins)."""
    channels, _, width = x.shape
    rows, cols = geom.rows, geom.cols
    ftype = np.float64 if x.dtype == np.float64 else np.float32
    samples = reducer.samples
    seed = reducer.seed if reducer.seed is not None else int.from_bytes(os.urandom(8)) >> 1
    out = np.empty((channels, rows.out, cols.out), x.dtype)
    if not indexed and zeros_of_both_signs(x) is None:
        for c in range(channels):
            top, left = _starts_of(c, samples, seed, geom, ftype)
            # Separable: the max of each window's rows, then of their columns; whole rows
            # are gathered at once, which is fast.
            tall = np.maximum.reduce([x[c][top + dr] for dr in range(rows.k)])
            out[c] = np.maximum.reduce([tall[:, left + dc] for dc in range(cols.k)])
        return out, None
    index = np.empty(out.shape, np.int64)
    for c in range(channels):
        top, left = _starts_of(c, samples, seed, geom, ftype)
        best = index[c]
        value = out[c]
        for t, (dr, dc) in enumerate(np.ndindex(rows.k, cols.k)):
            r, q = top + dr, left + dc
            cells = x[c][np.ix_(r, q)]
            at = r[:, None] * width + q[None, :]
            if t == 0:
                value[...], best[...] = cells, at
                continue
            with np.errstate(invalid="ignore"):
                take = cells > value
            if x.dtype.kind == "f":
                take |= np.isnan(cells)
            np.copyto(value, cells, where=take)
            np.copyto(best, at, where=take)
    return out, index


def _starts_of(
    c: int,
    samples: tuple[tuple[float, float], ...] | None,
    seed: int,
    geom: PassGeometry,
    ftype: type[np.floating],
) -> tuple[np.ndarray, np.ndarray]:
    """Where channel ``c``'s windows start: (rows, cols)."""
    if samples is not None:  # PyTorch's order: (width, height)
        u_cols, u_rows = samples[c]
    else:
        u_cols, u_rows = np.random.default_rng([seed, geom.index, c]).random(2)
    rows, cols = geom.rows, geom.cols
    return (
        starts(u_rows, rows.n, rows.out, rows.k, ftype),
        starts(u_cols, cols.n, cols.out, cols.k, ftype),
    )
