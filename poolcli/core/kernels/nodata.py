"""Pooling that leaves out a nodata value (``ignore=``, ``--ignore``): cells equal to it, or NaN
cells for ``ignore=nan``, are not part of any window.

numpy only. Each mode runs its own kernel on a copy where the ignored cells hold the value
that changes nothing (the lowest for max and fractional, the highest for min, zero for sums,
Lp and stochastic draws, which then never draw them), and the same windows count the cells
left (a sum of the valid mask, or its max where only "any" matters). Averages are those sums
divided by those counts, exactly (halves up for integers, as every poolimg average). A window
of ignored cells alone gives the value itself, as GDAL gives nodata. Median and mode leave the
cells out inside their own kernel (:mod:`poolcli.core.kernels.rank`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.reducers import REDUCERS, Reducer, sum_dtype

Pool = Callable[[np.ndarray, Reducer, PassGeometry, "int | None", "np.dtype | None"], np.ndarray]


def ignored_cells(x: np.ndarray, value: float) -> np.ndarray:
    """Where ``x`` holds ``value`` (NaN: where it holds NaN; no integer cell is NaN)."""
    if math.isnan(value):
        return np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    with np.errstate(invalid="ignore"):
        return np.asarray(x == value)


def pool_ignoring(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None,
    dtype: np.dtype | None,
    pool: Pool,
) -> np.ndarray:
    """One pass of ``reducer`` over planar ``x`` leaving out ``reducer.ignore``; ``pool`` runs
    a pass with no nodata (the dispatch's own, handed in: it imports this module)."""
    assert reducer.ignore is not None
    value = reducer.ignore
    plain = replace(reducer, ignore=None)
    ignored = ignored_cells(x, value)
    if not ignored.any():
        return pool(x, plain, geom, threads, dtype)
    valid = (~ignored).view(np.uint8)
    if reducer.kind in ("extreme", "fractional"):
        upward = reducer.kind == "fractional" or reducer.ufunc is np.maximum
        fill = _lowest(x.dtype) if upward else _highest(x.dtype)
        out = pool(np.where(ignored, fill, x), plain, geom, threads, dtype)
        # fractional pooling's windows are drawn per channel: its own, on the mask
        found = pool(
            valid, plain if reducer.kind == "fractional" else REDUCERS["max"], geom, threads, None
        )
        empty = found == 0
    else:
        counts = pool(valid, REDUCERS["sum"], geom, threads, None)
        empty = counts == 0
        filled = np.where(ignored, x.dtype.type(0), x)
        if reducer.kind == "mean":
            out = _mean(filled, counts, geom, threads, pool)
        else:
            out = pool(filled, plain, geom, threads, dtype)
    if empty.any():
        out[empty] = value
    return out


def _mean(
    filled: np.ndarray, counts: np.ndarray, geom: PassGeometry, threads: int | None, pool: Pool
) -> np.ndarray:
    """Sums of the cells left, divided by how many are left (at least one, where none are:
    those windows are set to the value after)."""
    divisor = np.maximum(counts, 1)
    if filled.dtype.kind == "f":
        sums = pool(filled, REDUCERS["sum"], geom, threads, None)
        means: np.ndarray = (sums / divisor.astype(filled.dtype)).astype(filled.dtype)
        return means
    acc = sum_dtype(filled.dtype, max(1, geom.window_cells))
    sums = pool(filled, REDUCERS["sum"], geom, threads, acc).astype(np.int64)
    wide = divisor.astype(np.int64)
    result: np.ndarray = ((2 * sums + wide) // (2 * wide)).astype(filled.dtype)  # halves up
    return result


def _lowest(dtype: np.dtype) -> float:
    return -math.inf if dtype.kind == "f" else int(np.iinfo(dtype).min)


def _highest(dtype: np.dtype) -> float:
    return math.inf if dtype.kind == "f" else int(np.iinfo(dtype).max)
