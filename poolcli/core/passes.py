"""The passes of one frame: the one loop the library, the batch and the comparison grid share.

numpy only. The plan (:func:`poolcli.core.geometry.plan_passes`) is made once, before the first
pass; each pass then gets its placed geometry and the mode's
:class:`~poolcli.core.reducers.Reducer`, and averages of images with alpha or in linear light go
through :mod:`poolcli.core.colour`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from poolcli.core.colour import linear_to_srgb, round_to, srgb_to_linear
from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.dispatch import pool_indexed, pool_planar
from poolcli.core.reducers import REDUCERS, Reducer, reducer_for, sum_dtype  # noqa: F401 (doctest)
from poolcli.core.threads import split_rows
from poolcli.spec.pool_spec import PoolSpec


def run_passes(
    planar: np.ndarray,
    spec: PoolSpec,
    plan: Sequence[PassGeometry],
    *,
    alpha: bool = False,
    linear: bool = False,
    threads: int | None = None,
) -> Iterator[np.ndarray]:
    """Pool planar ``(C, H, W)`` pixels by each pass of ``plan`` in turn, yielding each result.

    ``spec`` gives the mode and its options. The first input is released as soon as the first
    pass is done, so a batch never holds a decoded photo and all its passes at once.
    """
    passes = _passes(planar, spec, plan, alpha, linear, threads, indexed=False)
    del planar  # else this frame would keep the decoded image until the last pass
    for values, _ in passes:
        yield values


def run_passes_indexed(
    planar: np.ndarray,
    spec: PoolSpec,
    plan: Sequence[PassGeometry],
    *,
    threads: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Like :func:`run_passes`, for max, min and stochastic training, yielding each pass's
    values with the flat index in the *first* input's plane of the pixel each value came from
    (each pass's indices followed back through the passes before it)."""
    passes = _passes(planar, spec, plan, False, False, threads, indexed=True)
    del planar
    for values, index in passes:
        assert index is not None
        yield values, index


def _passes(
    planar: np.ndarray,
    spec: PoolSpec,
    plan: Sequence[PassGeometry],
    alpha: bool,
    linear: bool,
    threads: int | None,
    *,
    indexed: bool,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    reducer = reducer_for(spec)
    dtype = sum_type(planar.dtype, plan) if reducer.kind == "sum" else None
    current = planar
    del planar
    origin: np.ndarray | None = None
    for geom in plan:
        if not indexed:
            current = pool_frame(
                current, reducer, geom, alpha=alpha, linear=linear, threads=threads, dtype=dtype
            )
            yield current, None
            continue
        current, index = pool_indexed(current, reducer, geom, threads)
        if origin is not None:  # index into the previous pass; follow it to the first input
            index = np.take_along_axis(
                origin.reshape(len(origin), -1), index.reshape(len(index), -1), 1
            )
            index = index.reshape(current.shape)
        origin = index
        yield current, index


def sum_type(dtype: np.dtype, plan: Sequence[PassGeometry]) -> np.dtype | None:
    """One type for every pass of a run of sums, wide enough for the last (None: floats)."""
    if dtype.kind == "f":
        return None
    cells = 1
    for geom in plan:
        cells *= geom.window_cells
    return sum_dtype(dtype, cells)


def pool_frame(
    planar: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    *,
    alpha: bool = False,
    linear: bool = False,
    threads: int | None = None,
    dtype: np.dtype | None = None,
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

    >>> from poolcli.core.geometry import checked_geometry
    >>> rgba = np.array([[[255, 0]], [[0, 0]], [[0, 0]], [[255, 0]]], np.uint8)  # (4, 1, 2)
    >>> geom = checked_geometry((1, 2), (1, 2), None, "valid")
    >>> pool_frame(rgba, REDUCERS["avg"], geom, alpha=True)[:, 0, 0]
    array([255,   0,   0, 128], dtype=uint8)
    """
    plain = reducer.kind != "mean" or not (alpha or linear) or planar.dtype.kind != "u"
    if plain or reducer.ignore is not None:  # with ignore, alpha is a channel like the others
        return pool_planar(planar, reducer, geom, threads, dtype)
    out = np.empty((planar.shape[0], *geom.output_shape), planar.dtype)
    if geom.whole or geom.adaptive:  # one window, or windows of varied lengths: no bands
        _weighted_mean(planar, reducer, geom, alpha, linear, out)
        return out
    # A band of output rows at a time: the float64 light and weights of a band stay in cache,
    # and a photo never has a float64 copy of itself (8x its bytes) in memory.
    step = max(1, _BAND_OUTPUTS // max(geom.cols.out, 1))

    def run(first: int, stop: int) -> None:
        for lo in range(first, stop, step):
            band, r0, r1 = geom.band(lo, min(lo + step, stop))
            _weighted_mean(planar[:, r0:r1], reducer, band, alpha, linear, out[:, lo : lo + step])

    split_rows(geom.rows.out, out.size, threads, run)
    return out


# Output pixels a band of a weighted mean: its float64 input, ~4 x 8 bytes each, stays in L2.
_BAND_OUTPUTS = 1 << 14


def _weighted_mean(
    planar: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    alpha: bool,
    linear: bool,
    out: np.ndarray,
) -> None:
    """The averages of :func:`pool_frame` with ``alpha`` or ``linear``, into ``out``."""
    colour = planar[:-1] if alpha else planar
    values = srgb_to_linear(colour) if linear else colour.astype(np.float64)
    if not alpha:
        means = pool_planar(values, reducer, geom, 1)
        out[...] = linear_to_srgb(means, planar.dtype) if linear else round_to(means, planar.dtype)
        return
    maxval = np.iinfo(planar.dtype).max
    weight = planar[-1:] / np.float64(maxval)
    values *= weight
    premultiplied = pool_planar(values, reducer, geom, 1)
    coverage = pool_planar(weight, reducer, geom, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(coverage > 0, premultiplied / coverage, 0.0)
    out[:-1] = linear_to_srgb(means, planar.dtype) if linear else round_to(means, planar.dtype)
    out[-1] = pool_planar(planar[-1:], reducer, geom, 1)[0]
