"""Stochastic pooling (Zeiler & Fergus 2013; Caffe's ``pool: STOCHASTIC``).

numpy only. Training mode draws one cell of each window with probability proportional to its
value (a window of zeros gives 0); test mode gives the probability-weighted mean
``sum(x**2) / sum(x)``. Values must not be negative: they are probabilities' weights.

Draws are reproducible and independent of threads and bands: the random numbers of each block
of :data:`BLOCK_ROWS` output rows of a channel come from their own stream, seeded by
``(seed, pass, channel, block)``.
"""

from __future__ import annotations

import os

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.bands import pool_planar
from poolcli.core.kernels.integer_means import accumulator
from poolcli.core.kernels.lp import raised_plane
from poolcli.core.reducers import REDUCERS, Reducer
from poolcli.core.threads import split_rows
from poolcli.errors import ParameterError

# Output rows drawn from one random stream; part of what a seed means, so never change it.
BLOCK_ROWS = 64


def stochastic_pool(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None,
    indexed: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One stochastic pass over planar ``x`` (C, H, W).

    Returns ``(values, indices)``: ``indices`` (the flat input index of each drawn cell, as
    :mod:`poolcli.core.kernels.winners` numbers them; a window of zeros gives its first real cell)
    in training mode when ``indexed``, else None (and always in test mode, ``reducer.evaluate``).
    """
    _check_weights(x)
    if reducer.evaluate:
        return _weighted_mean(x, geom, threads), None
    seed = reducer.seed if reducer.seed is not None else int.from_bytes(os.urandom(8)) >> 1
    return _draw(x, seed, geom, threads, indexed)


def _check_weights(x: np.ndarray) -> None:
    if x.dtype.kind == "u":
        return
    with np.errstate(invalid="ignore"):
        bad = not bool(((x >= 0) & (x < np.inf)).all())  # NaN fails it too
    if bad:
        raise ParameterError(
            "stochastic pooling weighs cells by their values, which must be 0 or more "
            "and finite (not negative, infinite or NaN)"
        )


def _weighted_mean(x: np.ndarray, geom: PassGeometry, threads: int | None) -> np.ndarray:
    """``sum(x**2) / sum(x)`` per window, 0 for a window of zeros: uint8 and uint16 rounded
    to nearest (halves up) from the exact quotient; floats and int32 from float64 sums (float32
    within an ulp of the exact quotient, float64 within a few)."""
    total = REDUCERS["sum"]
    cells = geom.window_cells
    out = np.empty((x.shape[0], *geom.output_shape), x.dtype)
    for c in range(x.shape[0]):
        plane = x[c : c + 1]
        if x.dtype.kind == "f" or x.dtype.itemsize > 2:  # float64 sums, one division
            wide = plane.astype(np.float64)
            s1 = pool_planar(wide, total, geom, threads)[0]
            s2 = pool_planar(np.square(wide), total, geom, threads)[0]
            with np.errstate(invalid="ignore", divide="ignore"):
                means = np.where(s1 > 0, s2 / np.where(s1 > 0, s1, 1), 0)
            out[c] = means if x.dtype.kind == "f" else np.floor(means + 0.5)
            continue
        # uint8, uint16: both sums exact, by the fast integer kernel
        s1 = pool_planar(plane, total, geom, threads)[0]
        s2 = pool_planar(raised_plane(plane, 2.0, cells), total, geom, threads)[0]
        if cells * float(np.iinfo(x.dtype).max) ** 2 < 2**52:
            _round_quotients(s2, s1, out[c])
        else:
            s1, s2 = s1.astype(np.uint64), s2.astype(np.uint64)
            safe = np.maximum(s1, 1)
            out[c] = np.where(s1 > 0, (2 * s2 + safe) // (2 * safe), 0)
    return out


def _round_quotients(s2: np.ndarray, s1: np.ndarray, out: np.ndarray) -> None:
    """``out = floor(s2 / s1 + 1/2)``, 0 where ``s1`` is 0 (then ``s2`` is 0 too), for sums
    below 2**52, a few rows at a time so each step reads what the last left in cache.

    float64 holds both sums exactly, and a quotient is then never close enough to a half to
    round the wrong way: ``|s2/s1 - (m + 1/2)| >= 1/(2 s1)``, more than the error of the
    division, ``s2/s1 * 2**-53``, while ``s2 < 2**52``.
    """
    step = max(1, (1 << 15) // max(out.shape[1], 1))
    for lo in range(0, out.shape[0], step):
        q = np.divide(s2[lo : lo + step], np.maximum(s1[lo : lo + step], 1), dtype=np.float64)
        q += 0.5
        np.floor(q, out=q)
        out[lo : lo + step] = q


def _draw(
    x: np.ndarray, seed: int, geom: PassGeometry, threads: int | None, indexed: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    rows = geom.rows
    out = np.zeros((x.shape[0], *geom.output_shape), x.dtype)
    # int64 indices are 8 bytes an output: only when asked for (return_indices, --unpool)
    index = np.empty(out.shape, np.int64) if indexed else None
    blocks = -(-rows.out // BLOCK_ROWS)

    def run(first: int, stop: int) -> None:
        for block in range(first, stop):
            lo = block * BLOCK_ROWS
            _draw_block(x, seed, geom, lo, min(lo + BLOCK_ROWS, rows.out), out, index)

    split_rows(blocks, out.size, threads, run)
    return out, index


def _draw_block(
    x: np.ndarray,
    seed: int,
    geom: PassGeometry,
    lo: int,
    hi: int,
    out: np.ndarray,
    index: np.ndarray | None,
) -> None:
    """Draw output rows ``lo:hi`` of every channel into ``out`` (and ``index``).

    Each window's cells are walked in order, keeping a running sum; the cell drawn is the first
    whose running sum passes the window's threshold (``u * total``, u uniform in [0, 1)), so
    a cell is drawn with probability ``value / total``. Branch-free: ``passed`` marks windows
    whose threshold the running sum has passed, and a cell is drawn where it newly becomes
    true.
    """
    width, rows, cols = x.shape[2], geom.rows, geom.cols
    cells = geom.cells(lo, hi)
    shape = (hi - lo, cols.out)
    floats = x.dtype.kind == "f"
    acc = np.dtype(np.float64) if floats else accumulator(x.dtype, rows.k * cols.k)
    offsets = np.array([dr * width + dc for *_, dr, dc in cells], np.int64)
    row_starts = (np.arange(lo, hi, dtype=np.int64) * rows.s - rows.before) * width
    col_starts = np.arange(cols.out, dtype=np.int64) * cols.s - cols.before
    number_type = np.uint8 if len(cells) < 256 else np.uint32
    number, scratch = np.empty(shape, number_type), np.empty(shape, number_type)
    passed, now = np.empty(shape, bool), np.empty(shape, bool)
    base = row_starts[:, None] + col_starts  # each window's top-left corner, flat
    # Every cell of the band's windows inside the image (no padding reached): the simpler walk.
    whole = all(rd == slice(0, hi - lo) and cd == slice(0, cols.out) for rd, cd, *_ in cells)
    if whole:  # a window of zeros counts past its last cell: its index is its first cell's
        offsets = np.append(offsets, offsets[0])
    for c in range(x.shape[0]):
        rng = np.random.default_rng([seed, geom.index, c, lo // BLOCK_ROWS])
        total = np.zeros(shape, acc)
        for rd, cd, rs, cs, _, _ in cells:
            total[rd, cd] += x[c, rs, cs]
        threshold = rng.random(shape) * total
        if floats:  # u * total may round up to total: the last cell must still pass it
            np.minimum(threshold, np.nextafter(total, 0), out=threshold)
            limit = threshold
        else:  # an integer threshold in [0, total - 1]: exact probabilities value / total
            limit = np.minimum(np.floor(threshold), np.maximum(total, 1) - 1).astype(acc)
        result = out[c, lo:hi]
        if whole:
            _draw_whole(x[c], cells, limit, result, number, now, acc)
        else:
            _draw_partial(x[c], cells, limit, result, number, scratch, now, passed, acc)
        if index is not None:
            where = index[c, lo:hi]
            np.take(offsets, number, out=where, mode="clip")  # "raise" would buffer out
            where += base


def _draw_whole(
    plane: np.ndarray,
    cells: list[tuple[slice, slice, slice, slice, int, int]],
    limit: np.ndarray,
    result: np.ndarray,
    number: np.ndarray,
    hit: np.ndarray,
    acc: np.dtype,
) -> None:
    """Draw where every window has all its cells: the cell drawn is the count of cells whose
    running sum has not passed the threshold (the running sum only grows)."""
    running = np.zeros(limit.shape, acc)
    number.fill(0)
    for _, _, rs, cs, _, _ in cells:
        running += plane[rs, cs]
        np.less_equal(running, limit, out=hit)
        number += hit
    for t, (_, _, rs, cs, _, _) in enumerate(cells):
        np.equal(number, t, out=hit)
        result += hit * plane[rs, cs]


def _draw_partial(
    plane: np.ndarray,
    cells: list[tuple[slice, slice, slice, slice, int, int]],
    limit: np.ndarray,
    result: np.ndarray,
    number: np.ndarray,
    scratch: np.ndarray,
    now: np.ndarray,
    passed: np.ndarray,
    acc: np.dtype,
) -> None:
    """Draw where windows reach padding, so each cell reaches only some of them: a cell is
    drawn where the running sum newly passes the threshold."""
    number_type = number.dtype.type
    for t in range(len(cells) - 1, -1, -1):  # a window of zeros keeps its first cell
        rd, cd = cells[t][:2]
        number[rd, cd] = t
    running = np.zeros(limit.shape, acc)
    passed.fill(False)
    for t, (rd, cd, rs, cs, _, _) in enumerate(cells):
        values = plane[rs, cs]
        run, hit, was = running[rd, cd], now[rd, cd], passed[rd, cd]
        run += values
        np.greater(run, limit[rd, cd], out=hit)
        np.greater(hit, was, out=hit)  # newly passed
        was |= hit
        res = result[rd, cd]
        res += hit * values
        np.subtract(number_type(t), number[rd, cd], out=scratch[rd, cd])
        scratch[rd, cd] *= hit
        number[rd, cd] += scratch[rd, cd]
