"""The 3-D kernel: a volume's windows walked cell by cell, in PyTorch's order (depth, then
rows, then columns), each step vectorised over every output.

numpy only. Float averages are summed in the volume's type in that order, so ``avg_pool3d``
agrees bit for bit; maxima keep the first extreme cell (the last NaN), whose flat index
``(d * H + h) * W + w`` is PyTorch's; integer averages are exact, rounded half up, and Lp is
raised, summed and rooted as the 2-D Lp is (:mod:`poolcli.core.kernels.lp`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from poolcli.core.kernels.integer_means import accumulator, divide_rounded
from poolcli.core.kernels.lp import (
    integer_lp_type,
    powers_sum_type,
    raised_float,
    raised_plane,
    root,
)
from poolcli.core.kernels.rank import most_frequent, pixel_keys
from poolcli.core.reducers import sum_dtype
from poolcli.core.volume_geometry import VolumeGeometry
from poolcli.spec.pool_spec import PoolSpec

Index = tuple[slice | np.ndarray, ...]


def walk(
    x: np.ndarray,
    geom: VolumeGeometry,
    step: Callable[[Index, np.ndarray, np.ndarray | None, Index], None],
) -> None:
    """Call ``step(target, values, valid, cells)`` for every cell offset of the windows, depth
    then rows then columns: ``target`` indexes the outputs it reaches, ``values`` are the cells
    they read, ``valid`` which are real (None: all), ``cells`` the cells' (d, h, w) indices."""
    per_axis = [geom.taps(dim, x.shape[dim]) for dim in range(3)]
    fixed = geom.axes is not None
    for dz, sz, vz in per_axis[0]:
        for dy, sy, vy in per_axis[1]:
            for dx, sx, vx in per_axis[2]:
                valid: np.ndarray | None = None
                if fixed:
                    target: Index = (dz, dy, dx)
                    cells: Index = (sz, sy, sx)
                else:
                    target = (slice(None),) * 3
                    cells = tuple(np.ix_(sz, sy, sx))  # type: ignore[arg-type]
                    valid = vz[:, None, None] & vy[None, :, None] & vx[None, None, :]  # type: ignore[index]
                step(target, x[cells], valid, cells)


def extreme(
    x: np.ndarray, geom: VolumeGeometry, better: np.ufunc, indexed: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Max (``better`` np.greater) or min: the first extreme cell, the last NaN (PyTorch's
    ``val > max || isnan(val)``), and its flat index."""
    shape = geom.output_shape
    if x.dtype.kind == "f":
        start = -np.inf if better is np.greater else np.inf
    else:
        info = np.iinfo(x.dtype)
        start = info.min if better is np.greater else info.max
    best = np.full(shape, start, x.dtype)
    where = np.full(shape, -1, np.int64) if indexed else None
    seen = np.zeros(shape, bool)  # whether a window has met a real cell yet
    depth, rows, cols = x.shape
    grid = [np.arange(n, dtype=np.int64) for n in (depth, rows, cols)]

    def step(target: Index, values: np.ndarray, valid: np.ndarray | None, cells: Index) -> None:
        current = best[target]  # a view: updated in place
        wins = better(values, current) | ~seen[target]  # a window's first real cell
        if x.dtype.kind == "f":
            wins |= np.isnan(values)
        if valid is not None:
            wins &= valid
        current[wins] = values[wins]
        seen[target] |= wins
        if where is not None:
            z, y, c = (
                g[np.ravel(i) if isinstance(i, np.ndarray) else i]
                for g, i in zip(grid, cells, strict=True)
            )
            flat = (z[:, None, None] * rows + y[None, :, None]) * cols + c[None, None, :]
            np.copyto(where[target], np.broadcast_to(flat, wins.shape), where=wins)

    walk(x, geom, step)
    return best, where


def median(x: np.ndarray, geom: VolumeGeometry) -> np.ndarray:
    """The median of each window's real cells, as the 2-D median gives it: of an even count,
    the two middle cells' mean, halves rounded up for integers; NaN where a float window holds
    one. The cells are gathered (padding as the highest value, after every real one) and
    sorted."""
    shape = geom.output_shape
    floats = x.dtype.kind == "f"
    high = np.inf if floats else np.iinfo(x.dtype).max
    cells: list[np.ndarray] = []
    count = np.zeros(shape, np.int64)
    has_nan = np.zeros(shape, bool)

    def step(target: Index, values: np.ndarray, valid: np.ndarray | None, where: Index) -> None:
        cell = np.full(shape, high, x.dtype)
        real = np.zeros(shape, bool)
        real[target] = True if valid is None else valid
        cell[target] = values if valid is None else np.where(valid, values, high)
        if floats:
            has_nan[real] |= np.isnan(cell[real])
            cell[np.isnan(cell)] = high
        cells.append(cell)
        count[real] += 1

    walk(x, geom, step)
    stacked = np.sort(np.stack(cells), axis=0)
    low = np.take_along_axis(stacked, ((count - 1) // 2)[None], axis=0)[0]
    upper = np.take_along_axis(stacked, (count // 2)[None], axis=0)[0]
    if floats:
        with np.errstate(over="ignore", invalid="ignore"):
            middle: np.ndarray = ((low + upper) / x.dtype.type(2)).astype(x.dtype)
        middle[has_nan] = np.nan
        return middle
    halves_up: np.ndarray = (low.astype(np.int64) + upper.astype(np.int64) + 1) // 2
    return halves_up.astype(x.dtype)


def mode(keys: np.ndarray, geom: VolumeGeometry) -> np.ndarray:
    """The most frequent of each window's real keys (:func:`~poolcli.core.kernels.rank.
    pixel_keys`: a pixel's channels together), as the 2-D mode gives it: ties to the smallest,
    each NaN a run of its own. The cells are gathered, real ones first, and ranked."""
    shape = geom.output_shape
    cells: list[np.ndarray] = []
    reals: list[np.ndarray] = []

    def step(target: Index, values: np.ndarray, valid: np.ndarray | None, where: Index) -> None:
        cell = np.zeros(shape, keys.dtype)
        real = np.zeros(shape, bool)
        real[target] = True if valid is None else valid
        cell[target] = values
        cells.append(cell)
        reals.append(real)

    walk(keys, geom, step)
    stacked, real = np.stack(cells, axis=-1), np.stack(reals, axis=-1)
    first = np.argsort(~real, axis=-1, kind="stable")  # the real cells first, in order
    ordered = np.take_along_axis(stacked, first, axis=-1)
    return most_frequent(ordered, real.sum(axis=-1))


def pool_channels(x: np.ndarray, spec: PoolSpec, geom: VolumeGeometry) -> np.ndarray:
    """A planar volume, (C, D, H, W), pooled once by ``spec``'s mode with ``geom``'s windows:
    channel by channel, or, for mode, a pixel's channels together."""
    if spec.mode != "mode":
        return np.stack([pool_channel(channel, spec, geom) for channel in x])
    keys, unpack = pixel_keys(x)
    chosen = mode(keys[0], geom)
    return chosen[None] if unpack is None else unpack(chosen)


def summed(
    x: np.ndarray,
    geom: VolumeGeometry,
    divide: bool,
    count_pad: bool,
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """Sums, or averages: floats summed cell by cell in the volume's type (PyTorch's order)
    and divided once by the count (adaptive: by each side in turn, as ATen does); integers
    summed exactly (in ``dtype`` when given, a type that holds them) and divided with halves
    rounded up."""
    shape = geom.output_shape
    counts = geom.counts(count_pad and geom.axes is not None)
    real = geom.counts(False)
    if x.dtype.kind == "f":
        acc = np.zeros(shape, x.dtype)
    elif divide:
        acc = np.zeros(shape, accumulator(x.dtype, int(real.max())))
    else:
        acc = np.zeros(shape, dtype or sum_dtype(x.dtype, int(real.max())))

    def step(target: Index, values: np.ndarray, valid: np.ndarray | None, cells: Index) -> None:
        if valid is None:
            region = acc[target]
            region += values
        else:
            np.add(acc, values, out=acc, where=valid)

    with np.errstate(invalid="ignore", over="ignore"):
        walk(x, geom, step)
        if not divide:
            return acc
        if x.dtype.kind != "f":
            out = np.empty(shape, x.dtype)
            divide_rounded(acc, counts, out)
            return out
        if geom.axes is None:  # ATen's adaptive average: sum / kd / kh / kw
            d, h, w = ((e - s) for s, e in geom.bounds)  # type: ignore[union-attr]
            acc /= d[:, None, None].astype(x.dtype)
            acc /= h[None, :, None].astype(x.dtype)
            acc /= w[None, None, :].astype(x.dtype)
            return acc
        acc /= counts.astype(x.dtype)
        return acc


def lp(x: np.ndarray, geom: VolumeGeometry, p: float, torch_lp: bool) -> np.ndarray:
    """Lp in PyTorch's steps for floats (``avg_pool3d(x ** p) * kd * kh * kw``, then
    ``** (1/p)``); integers raised and summed exactly (whole p) and rooted as the 2-D Lp
    does (:mod:`poolcli.core.kernels.lp`)."""
    if x.dtype.kind == "f":
        with np.errstate(all="ignore"):
            means = summed(raised_float(x, p), geom, True, False)
            assert geom.axes is not None
            full = geom.axes[0].k * geom.axes[1].k * geom.axes[2].k
            means *= x.dtype.type(full) if torch_lp else geom.counts(False).astype(x.dtype)
            if p != 1.0:
                np.power(means, x.dtype.type(1.0 / p), out=means)
        return means
    cells = int(geom.counts(False).max())
    raised = raised_plane(x, p, cells)
    wide = powers_sum_type(x.dtype, p, cells) if raised.dtype.kind != "f" else None
    sums = summed(raised, geom, False, False, wide)
    out = np.empty(sums.shape, integer_lp_type(x.dtype))
    root(sums, p, out)  # as the 2-D Lp roots its sums
    return out


def pool_channel(x: np.ndarray, spec: PoolSpec, geom: VolumeGeometry) -> np.ndarray:
    """One channel of a volume, (D, H, W), pooled once by ``spec``'s mode with ``geom``'s
    windows (a pass across a file's frames: :mod:`poolcli.core.frames`)."""
    if spec.mode in ("max", "min"):
        return extreme(x, geom, np.greater if spec.mode == "max" else np.less, False)[0]
    if spec.mode == "median":
        return median(x, geom)
    if spec.mode == "lp":
        return lp(x, geom, spec.exponent, spec.compat == "torch")
    return summed(x, geom, spec.mode == "avg", spec.counts_padding)
