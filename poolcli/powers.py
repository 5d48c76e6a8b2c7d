"""Lp pooling: ``(sum x**p) ** (1/p)`` over each window, in PyTorch's order for floats.

numpy only. PyTorch's ``lp_pool2d`` computes ``avg_pool2d(x ** p) * (kh * kw)`` and then
``** (1/p)``, in the input's float type; float images follow that sequence step by step, so
the two agree to the last bit where numpy's ``pow`` and PyTorch's round alike (always for
p = 1 and 2, which are a copy and a square root). Integer images are raised to ``p`` and
summed in float64 (exact while the sum stays below 2**53, so p = 1 gives the sum itself) and
return float64.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .bands import pool_planar
from .geometry import PassGeometry
from .reducers import REDUCERS, Reducer


def lp_pool(x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None) -> np.ndarray:
    """One Lp pass over planar ``x`` (C, H, W) with ``p = reducer.power``.

    Padded cells count as zeros. Windows that overhang the image are scaled by their real
    cells, except under ``compat="torch"``, where PyTorch scales every window by its full
    ``kh * kw`` (its average counts only real cells there, so an overhanging window comes out
    as if its missing cells held the window's mean).

    Examples
    --------
    >>> from poolcli.geometry import checked_geometry
    >>> x = np.array([[[3.0, 4.0], [0.0, 0.0]]], np.float32)
    >>> geom = checked_geometry((2, 2), 2, None, "valid")
    >>> lp_pool(x, replace(REDUCERS["lp"], power=2.0), geom, 1)
    array([[[5.]]], dtype=float32)
    """
    p = reducer.power
    if x.dtype.kind != "f":
        return _integer_lp(x, p, geom, threads)
    ftype = x.dtype.type
    mean = replace(REDUCERS["avg"], count_pad=False)
    with np.errstate(all="ignore"):  # inf and NaN propagate as in PyTorch, silently
        out = pool_planar(_raised(x, p), mean, geom, threads)
        rows, cols = geom.rows, geom.cols
        if reducer.compat == "torch" or not (rows.padded or cols.padded):
            out *= ftype(rows.k * cols.k)
        else:
            out *= np.outer(rows.counts(), cols.counts()).astype(x.dtype)
        if p != 1.0:
            np.power(out, ftype(1.0 / p), out=out)
    return out


def _raised(x: np.ndarray, p: float) -> np.ndarray:
    if p == 1.0:
        return x
    raised: np.ndarray = np.square(x) if p == 2.0 else np.power(x, x.dtype.type(p))
    return raised


def _integer_lp(x: np.ndarray, p: float, geom: PassGeometry, threads: int | None) -> np.ndarray:
    total = REDUCERS["sum"]
    out = np.empty((x.shape[0], *geom.output_shape), np.float64)
    for c in range(x.shape[0]):  # one channel at a time: float64 copies are 8x a uint8 plane
        plane = x[c : c + 1].astype(np.float64)
        sums = pool_planar(_raised(plane, p), total, geom, threads)
        out[c] = sums[0] if p == 1.0 else np.power(sums[0], 1.0 / p)
    return out
