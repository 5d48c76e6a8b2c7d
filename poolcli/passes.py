"""The passes of one frame: the one loop the library, the batch and the comparison grid share.

numpy only. The plan (:func:`poolcli.geometry.plan_passes`) is made once, before the first
pass; each pass then gets its placed geometry and the mode's :class:`~poolcli.reducers.Reducer`,
and averages of images with alpha or in linear light go through :mod:`poolcli.colour`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .bands import pool_planar
from .colour import linear_to_srgb, round_to, srgb_to_linear
from .geometry import PassGeometry
from .reducers import REDUCERS, Reducer

_MEAN = REDUCERS["avg"]


def run_passes(
    planar: np.ndarray,
    mode: str,
    plan: Sequence[PassGeometry],
    *,
    alpha: bool = False,
    linear: bool = False,
    threads: int | None = None,
) -> Iterator[np.ndarray]:
    """Pool planar ``(C, H, W)`` pixels by each pass of ``plan`` in turn, yielding each result.

    ``mode`` must be valid (a :class:`~poolcli.spec.PoolSpec` checked it). The first input is
    released as soon as the first pass is done, so a batch never holds a decoded photo and all
    its passes at once.
    """
    reducer = REDUCERS[mode]
    current = planar
    del planar
    for geom in plan:
        current = pool_frame(current, reducer, geom, alpha=alpha, linear=linear, threads=threads)
        yield current


def pool_frame(
    planar: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    *,
    alpha: bool = False,
    linear: bool = False,
    threads: int | None = None,
) -> np.ndarray:
    """One pass over a planar ``(C, H, W)`` frame; its last channel is alpha if ``alpha``.

    For averages of an 8- or 16-bit frame with ``alpha`` or ``linear``: colour is weighted by
    alpha (premultiplied), averaged, and divided by the averaged alpha, so windows that are
    fully transparent stay transparent (colour 0) and partly transparent ones keep the colour
    of their opaque pixels; with ``linear`` the colour is averaged as light and re-encoded to
    sRGB. Alpha itself is the exact rounded mean. Anything else is the plain pass.

    Examples
    --------
    A red opaque pixel beside transparent black: the average keeps pure red, half opaque.

    >>> from poolcli.geometry import checked_geometry
    >>> rgba = np.array([[[255, 0]], [[0, 0]], [[0, 0]], [[255, 0]]], np.uint8)  # (4, 1, 2)
    >>> geom = checked_geometry((1, 2), (1, 2), None, "valid")
    >>> pool_frame(rgba, REDUCERS["avg"], geom, alpha=True)[:, 0, 0]
    array([255,   0,   0, 128], dtype=uint8)
    """
    if reducer.kind != "mean" or not (alpha or linear) or planar.dtype.kind != "u":
        return pool_planar(planar, reducer, geom, threads)
    colour = planar[:-1] if alpha else planar
    values = srgb_to_linear(colour) if linear else colour.astype(np.float64)
    if not alpha:
        means = pool_planar(values, _MEAN, geom, threads)
        return linear_to_srgb(means, planar.dtype) if linear else round_to(means, planar.dtype)
    maxval = np.iinfo(planar.dtype).max
    weight = planar[-1:] / np.float64(maxval)
    values *= weight
    premultiplied = pool_planar(values, _MEAN, geom, threads)
    coverage = pool_planar(weight, _MEAN, geom, threads)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(coverage > 0, premultiplied / coverage, 0.0)
    out = np.empty((planar.shape[0], *means.shape[1:]), planar.dtype)
    out[:-1] = linear_to_srgb(means, planar.dtype) if linear else round_to(means, planar.dtype)
    out[-1] = pool_planar(planar[-1:], _MEAN, geom, threads)[0]
    return out
