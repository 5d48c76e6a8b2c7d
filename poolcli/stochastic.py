"""Stochastic pooling (Zeiler & Fergus 2013; Caffe's ``pool: STOCHASTIC``).

numpy only. Training mode draws one cell of each window with probability proportional to its
value (a window of zeros gives 0); test mode gives the probability-weighted mean
``sum(x**2) / sum(x)``. Values must not be negative: they are probabilities' weights.

Draws are reproducible and independent of threads and bands: the random numbers of each block
of :data:`BLOCK_ROWS` output rows of a channel come from their own stream, seeded by
``(seed, pass, channel, block)``.
"""

from __future__ import annotations

import secrets

import numpy as np

from .bands import pool_planar
from .errors import ParameterError
from .geometry import PassGeometry
from .reducers import REDUCERS, Reducer

# Output rows drawn from one random stream; part of what a seed means, so never change it.
BLOCK_ROWS = 64


def stochastic_pool(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One stochastic pass over planar ``x`` (C, H, W).

    Returns ``(values, indices)``: ``indices`` (the flat input index of each drawn cell, as
    :mod:`poolcli.winners` numbers them; a window of zeros gives its first real cell) in
    training mode, None in test mode (``reducer.evaluate``).
    """
    _check_weights(x)
    if reducer.evaluate:
        return _weighted_mean(x, geom, threads), None
    seed = reducer.seed if reducer.seed is not None else secrets.randbits(63)
    return _draw(x, seed, geom)


def _check_weights(x: np.ndarray) -> None:
    if x.dtype.kind == "u":
        return
    with np.errstate(invalid="ignore"):
        bad = not bool((x >= 0).all())  # NaN fails it too
    if bad:
        raise ParameterError(
            "stochastic pooling weighs cells by their values, which must be 0 or more "
            "(not negative, not NaN)"
        )


def _weighted_mean(x: np.ndarray, geom: PassGeometry, threads: int | None) -> np.ndarray:
    """``sum(x**2) / sum(x)`` per window, 0 for a window of zeros: integers rounded to
    nearest (halves up) from the exact quotient; floats from float64 sums (float32 within an
    ulp of the exact quotient, float64 within a few)."""
    total = REDUCERS["sum"]
    out = np.empty((x.shape[0], *geom.output_shape), x.dtype)
    for c in range(x.shape[0]):
        plane = x[c : c + 1]
        if x.dtype.kind == "f":
            wide = plane.astype(np.float64)
            s1 = pool_planar(wide, total, geom, threads)[0]
            s2 = pool_planar(np.square(wide), total, geom, threads)[0]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[c] = np.where(s1 > 0, s2 / np.where(s1 > 0, s1, 1), 0)
            continue
        wide_type = np.dtype(np.uint64 if x.dtype.kind == "u" else np.int64)
        wide = plane.astype(wide_type)
        s1 = pool_planar(wide, total, geom, threads, wide_type)[0]
        s2 = pool_planar(wide * wide, total, geom, threads, wide_type)[0]
        safe = np.maximum(s1, 1)
        out[c] = np.where(s1 > 0, (2 * s2 + safe) // (2 * safe), 0)
    return out


def _draw(x: np.ndarray, seed: int, geom: PassGeometry) -> tuple[np.ndarray, np.ndarray]:
    channels, _, width = x.shape
    rows, cols = geom.rows, geom.cols
    out = np.zeros((channels, *geom.output_shape), x.dtype)
    index = np.empty(out.shape, np.int64)
    col_starts = np.arange(cols.out, dtype=np.int64) * cols.s - cols.before
    floats = x.dtype.kind == "f"
    acc = np.float64 if floats else np.int64
    for lo in range(0, rows.out, BLOCK_ROWS):
        hi = min(lo + BLOCK_ROWS, rows.out)
        cells = geom.cells(lo, hi)
        row_starts = np.arange(lo, hi, dtype=np.int64) * rows.s - rows.before
        base = row_starts[:, None] * width + col_starts[None, :]
        shape = (hi - lo, cols.out)
        for c in range(channels):
            rng = np.random.default_rng([seed, geom.index, c, lo // BLOCK_ROWS])
            total = np.zeros(shape, acc)
            for rd, cd, rs, cs, _, _ in cells:
                total[rd, cd] += x[c, rs, cs]
            threshold: np.ndarray
            if floats:
                threshold = rng.random(shape) * total
            else:
                threshold = rng.integers(0, np.maximum(total, 1), dtype=np.int64)
            for rd, cd, _, _, dr, dc in reversed(cells):  # ends with each window's first cell
                index[c, lo:hi][rd, cd] = base[rd, cd] + (dr * width + dc)
            running = np.zeros(shape, acc)
            done = total <= 0  # a window of zeros draws nothing and gives 0
            for rd, cd, rs, cs, dr, dc in cells:
                values = x[c, rs, cs]
                running[rd, cd] += values
                take = (running[rd, cd] > threshold[rd, cd]) & ~done[rd, cd]
                np.copyto(out[c, lo:hi][rd, cd], values, where=take)
                np.copyto(index[c, lo:hi][rd, cd], base[rd, cd] + (dr * width + dc), where=take)
                done[rd, cd] |= take
            if floats and not done.all():
                # Rounding left a float threshold at the very top: take the last non-zero cell.
                for rd, cd, rs, cs, dr, dc in cells:
                    values = x[c, rs, cs]
                    take = ~done[rd, cd] & (values > 0)
                    np.copyto(out[c, lo:hi][rd, cd], values, where=take)
                    np.copyto(index[c, lo:hi][rd, cd], base[rd, cd] + (dr * width + dc), where=take)
    return out, index
