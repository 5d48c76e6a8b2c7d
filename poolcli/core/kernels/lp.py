"""Lp pooling: ``(sum x**p) ** (1/p)`` over each window, in PyTorch's order for floats.

numpy only. PyTorch's ``lp_pool2d`` computes ``avg_pool2d(x ** p) * (kh * kw)`` and then
``** (1/p)``, in the input's float type; float images follow that sequence step by step, so
the two agree to the last bit where numpy's ``pow`` and PyTorch's round alike (always for
p = 1 and 2, which are a copy and a square root). Integer images are raised to ``p`` and
summed exactly as integers when ``p`` is whole (in float64 otherwise), and the root taken in
float32 for uint8 and uint16 images (float64 for int32), so p = 1 gives the sum itself.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.bands import pool_planar
from poolcli.core.reducers import REDUCERS, Reducer, narrowest_integer


def lp_pool(x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None) -> np.ndarray:
    """One Lp pass over planar ``x`` (C, H, W) with ``p = reducer.power``.

    Padded cells count as zeros. Windows that overhang the image are scaled by their real
    cells, except under ``compat="torch"``, where PyTorch scales every window by its full
    ``kh * kw`` (its average counts only real cells there, so an overhanging window comes out
    as if its missing cells held the window's mean).

    Examples
    --------
    >>> from poolcli.core.geometry import checked_geometry
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
        out = pool_planar(raised_float(x, p), mean, geom, threads)
        rows, cols = geom.rows, geom.cols
        if reducer.compat == "torch" or not (rows.padded or cols.padded):
            out *= ftype(rows.k * cols.k)
        else:
            out *= np.outer(rows.counts(), cols.counts()).astype(x.dtype)
        if p != 1.0:
            np.power(out, ftype(1.0 / p), out=out)
    return out


def raised_float(x: np.ndarray, p: float) -> np.ndarray:
    if p == 1.0:
        return x
    raised: np.ndarray = np.square(x) if p == 2.0 else np.power(x, x.dtype.type(p))
    return raised


def _integer_lp(x: np.ndarray, p: float, geom: PassGeometry, threads: int | None) -> np.ndarray:
    total = REDUCERS["sum"]
    cells = geom.window_cells
    out = np.empty((x.shape[0], *geom.output_shape), integer_lp_type(x.dtype))
    wide = powers_sum_type(x.dtype, p, cells)
    for c in range(x.shape[0]):  # one channel at a time: raised planes are wider than x
        raised = raised_plane(x[c : c + 1], p, cells)
        sums = pool_planar(
            raised, total, geom, threads, wide if raised.dtype.kind != "f" else None
        )[0]
        root(sums, p, out[c])
    return out


def powers_sum_type(dtype: np.dtype, p: float, cells: int) -> np.dtype | None:
    """The type exact sums of ``cells`` integer ``x ** p`` of ``dtype`` are added in, from
    what they can reach, not from the raised plane's type (a cube of uint8 needs 32 bits, and
    so do four of them); None where they are summed in float64 (``p`` not whole, or past 63
    bits).

    >>> powers_sum_type(np.dtype("uint16"), 3.0, 4), powers_sum_type(np.dtype("uint8"), 0.5, 4)
    (dtype('uint64'), None)
    """
    info = np.iinfo(dtype)
    largest = float(max(abs(info.min), info.max)) ** p * cells
    if p != int(p) or largest >= 2**63:
        return None
    signed = info.min < 0
    return narrowest_integer(largest, signed=signed, at_least=8 if signed else 4)


def integer_lp_type(dtype: np.dtype) -> np.dtype:
    """The type Lp norms of an integer image come in: float32 for 8- and 16-bit images,
    float64 beyond."""
    return np.dtype(np.float32 if dtype.itemsize <= 2 else np.float64)


def root(sums: np.ndarray, p: float, out: np.ndarray) -> None:
    """``out = sums ** (1/p)``, the Lp norm of integer sums of ``x ** p``."""
    if p == 1.0:
        out[...] = sums
    elif p == 2.0:
        np.sqrt(sums, out=out, dtype=out.dtype)
    elif p == 3.0:  # a cube root is several times faster than a power, and as close
        out[...] = np.cbrt(sums, dtype=np.float64)
    else:  # in float64, rounded once: float32's 1/p and sums are not exact enough
        out[...] = np.power(sums, 1.0 / p, dtype=np.float64)


def raised_plane(plane: np.ndarray, p: float, cells: int) -> np.ndarray:
    """``plane ** p`` for an integer plane: exact integers when ``p`` is whole and ``cells``
    of them sum below 2**63 (so the fast integer sum adds them), else float64.

    >>> raised_plane(np.array([[0, 3, 255]], np.uint8), 2.0, 4)
    array([[    0,     9, 65025]], dtype=uint16)
    """
    info = np.iinfo(plane.dtype)
    top = float(max(abs(info.min), info.max)) ** p
    if p != int(p) or top * cells >= 2**63:
        if plane.dtype.itemsize <= 2:  # a lookup is several times faster than np.power
            table = np.arange(info.min, info.max + 1, dtype=np.float64) ** p
            return np.take(table, plane.astype(np.int64) - info.min if info.min else plane)
        return raised_float(plane.astype(np.float64), p)
    signed = info.min < 0
    wide = narrowest_integer(
        top, signed=signed, at_least=max(4 if signed else 2, plane.dtype.itemsize)
    )
    assert wide is not None  # top * cells < 2**63 above
    if p == 1:
        return plane
    raised: np.ndarray = np.square(plane, dtype=wide)  # one pass, widening as it goes
    for _ in range(int(p) - 2):  # repeated products: numpy's integer power is a slow loop
        np.multiply(raised, plane, out=raised)
    return raised
