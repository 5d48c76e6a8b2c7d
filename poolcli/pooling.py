"""Pooling images held in numpy arrays: the public numeric API of poolcli.

numpy only, no I/O. Images are ``(H, W)``, ``(H, W, C)`` or, with ``channel_axis=0``, planar
``(C, H, W)`` arrays; the work happens on the planar layout in :mod:`poolcli.bands`, window
placement in :mod:`poolcli.geometry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

import numpy as np

from .bands import pool_planar
from .errors import ParameterError
from .geometry import first_pass, plan_for
from .layout import deinterleave, interleave
from .passes import run_passes
from .reducers import REDUCERS
from .spec import Mode, Padding, PoolSpec, Size, wxh

DTYPES: tuple[np.dtype, ...] = tuple(
    np.dtype(t) for t in ("uint8", "uint16", "int32", "float32", "float64")
)


def _as_planar(
    arr: np.ndarray, channel_axis: int, threads: int | None
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """View ``arr`` as planar (C, H, W) and return a function that gives a result its layout."""
    if arr.ndim == 2:
        return arr[np.newaxis], lambda out: out[0]
    if arr.ndim != 3:
        raise ParameterError(
            f"image must be 2-D (H, W) or 3-D with a channel axis, not of shape {arr.shape}"
        )
    if channel_axis in (0, -3):
        return arr, lambda out: out
    if channel_axis not in (-1, 2):
        raise ParameterError(f"channel_axis must be 0 or -1 (or 2), not {channel_axis!r}")
    if arr.shape[2] == 1:
        return arr.transpose(2, 0, 1), lambda out: out.transpose(1, 2, 0)
    # Interleaved channels make every inner loop strided by C, several times slower than
    # copying to planar and back (see benchmarks/bench_core.py).
    return deinterleave(arr, threads=threads), lambda out: interleave(out, threads=threads)


def _prepare(
    image: object, channel_axis: int, threads: int | None
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """Check the arguments pool() and pool_passes() share beyond the spec; the image as
    planar, and the way back to its layout."""
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or threads < 1
    ):
        raise ParameterError(f"threads must be None (all cores) or at least 1, not {threads!r}")
    arr = np.asarray(image)
    if arr.dtype not in DTYPES:
        names = ", ".join(str(d) for d in DTYPES)
        raise ParameterError(
            f"image dtype {arr.dtype} is not supported; use one of {names} "
            f"(for example image.astype(np.float32))"
        )
    planar, restore = _as_planar(arr, channel_axis, threads)
    if min(planar.shape[1:]) < 1:
        raise ParameterError(f"the image is empty ({wxh(*planar.shape[1:])} pixels)")
    return planar, restore


def pool(
    image: np.ndarray,
    mode: Mode,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    channel_axis: int = -1,
    threads: int | None = None,
) -> np.ndarray:
    """Pool an image once: the max, average, min or first pixel of each window, per channel.

    Parameters
    ----------
    image : ndarray
        ``(H, W)``, ``(H, W, C)``, or ``(C, H, W)`` with ``channel_axis=0``; dtype uint8,
        uint16, int32, float32 or float64.
    mode : {"max", "avg", "min", "stride"}
        ``stride`` keeps the first real pixel of each window (its top-left for ``valid``).
    size : int, (int, int) or "global"
        Window ``(rows, cols)``; "global" is one window over the whole image.
    stride : int, (int, int) or None
        Step between windows; None means equal to ``size``. Smaller than ``size`` overlaps
        windows, larger leaves gaps.
    padding : {"valid", "same", "ceil"} or int
        Where windows may overhang the image; see :func:`output_shape`. Overhanging cells are
        ignored: max and min take the extreme of the real pixels, avg divides by their number.
    channel_axis : int
        0 for planar ``(C, H, W)`` input (the fastest layout), -1 for ``(H, W, C)``.
    threads : int or None
        Threads to use; None means all cores.

    Returns
    -------
    ndarray
        Same dtype and layout as ``image``. Averages of integer images are the exact mean
        rounded to nearest, halves up (Pillow's ``Image.reduce`` rule); float averages are
        summed in PyTorch's order and agree with ``avg_pool2d`` bit for bit.

    Raises
    ------
    ParameterError
        For an unsupported dtype or shape, an invalid parameter, or an image smaller than the
        window.

    Examples
    --------
    >>> x = np.array([[3, 2, 0, 0], [0, 7, 1, 3], [5, 2, 3, 0], [0, 9, 2, 3]], dtype=np.uint8)
    >>> pool(x, "max")
    array([[7, 3],
           [9, 3]], dtype=uint8)
    >>> pool(x, "avg")
    array([[3, 1],
           [4, 2]], dtype=uint8)
    >>> pool(x, "max", size=3, stride=1)
    array([[7, 7],
           [9, 9]], dtype=uint8)
    >>> pool(x, "min", size="global")
    array([[0]], dtype=uint8)
    """
    spec = PoolSpec(mode, size, stride, padding)  # every pooling parameter, checked once
    planar, restore = _prepare(image, channel_axis, threads)
    geom = first_pass(spec, planar.shape[1:])
    return restore(pool_planar(planar, REDUCERS[spec.mode], geom, threads))


def pool_passes(
    image: np.ndarray,
    mode: Mode,
    passes: int | Literal["all"] = 1,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    channel_axis: int = -1,
    threads: int | None = None,
) -> Iterator[np.ndarray]:
    """Pool an image ``passes`` times, yielding each pass's result in turn.

    The whole plan is checked before the first pass (see :func:`plan_passes`), so a run that
    cannot finish raises before it yields anything. Parameters are those of :func:`pool`.

    Examples
    --------
    >>> x = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> [p.tolist() for p in pool_passes(x, "max", passes=2, size=2)][-1]
    [[27, 31], [59, 63]]
    """
    spec = PoolSpec(mode, size, stride, padding, passes)  # every pooling parameter, checked once
    planar, restore = _prepare(image, channel_axis, threads)
    plan = plan_for(spec, planar.shape[1:])
    return (restore(out) for out in run_passes(planar, mode, plan, threads=threads))
