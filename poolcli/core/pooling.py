"""Pooling images held in numpy arrays: the public numeric API of poolcli.

numpy only, no I/O. Images are ``(H, W)``, ``(H, W, C)`` or, with ``channel_axis=0``, planar
``(C, H, W)`` arrays; the work happens on the planar layout in :mod:`poolcli.core.kernels.bands`,
window placement in :mod:`poolcli.core.geometry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Literal, TypedDict, Unpack, overload

import numpy as np

from poolcli.core.geometry import first_pass, plan_for
from poolcli.core.kernels.dispatch import pool_indexed, pool_planar
from poolcli.core.kernels.winners import unpool as _unpool
from poolcli.core.layout import deinterleave, interleave
from poolcli.core.passes import run_passes
from poolcli.core.reducers import check_dtype, reducer_for
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import Compat, Mode, Padding, PoolSpec, Size
from poolcli.spec.values import wxh


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
    check_dtype(arr.dtype, "image")
    planar, restore = _as_planar(arr, channel_axis, threads)
    if min(planar.shape[1:]) < 1:
        raise ParameterError(f"the image is empty ({wxh(*planar.shape[1:])} pixels)")
    return planar, restore


class PoolOptions(TypedDict, total=False):
    """The keyword options of :func:`pool` other than ``return_indices``, for its overloads."""

    dilation: int | tuple[int, int]
    count_pad: bool | None
    compat: Compat | None
    power: float | None
    seed: int | None
    evaluate: bool
    ratio: float | tuple[float, float] | None
    samples: Any
    output_size: int | tuple[int | None, int | None] | None
    ignore: float | None
    blur: int | None
    reflect: bool
    channel_axis: int
    threads: int | None


@overload
def pool(
    image: np.ndarray,
    mode: Mode,
    size: Size = ...,
    stride: int | tuple[int, int] | None = ...,
    padding: Padding = ...,
    *,
    return_indices: Literal[False] = ...,
    **options: Unpack[PoolOptions],
) -> np.ndarray: ...


@overload
def pool(
    image: np.ndarray,
    mode: Mode,
    size: Size = ...,
    stride: int | tuple[int, int] | None = ...,
    padding: Padding = ...,
    *,
    return_indices: Literal[True],
    **options: Unpack[PoolOptions],
) -> tuple[np.ndarray, np.ndarray]: ...


@overload
def pool(
    image: np.ndarray,
    mode: Mode,
    size: Size = ...,
    stride: int | tuple[int, int] | None = ...,
    padding: Padding = ...,
    *,
    return_indices: bool,
    **options: Unpack[PoolOptions],
) -> np.ndarray | tuple[np.ndarray, np.ndarray]: ...


def pool(
    image: np.ndarray,
    mode: Mode,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    dilation: int | tuple[int, int] = 1,
    count_pad: bool | None = None,
    compat: Compat | None = None,
    power: float | None = None,
    seed: int | None = None,
    evaluate: bool = False,
    ratio: float | tuple[float, float] | None = None,
    samples: Any = None,
    output_size: int | tuple[int | None, int | None] | None = None,
    ignore: float | None = None,
    blur: int | None = None,
    reflect: bool = False,
    return_indices: bool = False,
    channel_axis: int = -1,
    threads: int | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Pool an image once: the max, average, min, sum, Lp norm, a random draw or the first
    pixel of each window, per channel.

    Parameters
    ----------
    image : ndarray
        ``(H, W)``, ``(H, W, C)``, or ``(C, H, W)`` with ``channel_axis=0``; dtype uint8,
        uint16, uint32, int32, int64, float32 or float64.
    mode : {"max", "avg", "min", "stride", "sum", "lp", "stochastic", "fractional", \
"median", "mode", "blurpool", "maxblurpool"}
        ``stride`` keeps the first real pixel of each window (its top-left for ``valid``);
        ``sum`` adds the window (pixel binning); ``lp`` is ``(sum x**p) ** (1/p)`` (PyTorch
        ``lp_pool2d``); ``stochastic`` draws one pixel with probability proportional to its
        value (Caffe's STOCHASTIC pooling; ``evaluate=True`` gives its test phase,
        ``sum(x**2) / sum(x)``); ``fractional`` is Graham's fractional max pooling (PyTorch
        ``fractional_max_pool2d``), windows of ``size`` at random places shrinking by ``ratio``;
        ``median`` and ``mode`` the median and the most frequent pixel of each window;
        ``blurpool`` blurs with a binomial filter of ``blur`` taps and keeps every ``stride``-th
        pixel, and ``maxblurpool`` takes the max over each ``size`` window at stride 1 first
        (Zhang 2019; Kornia's ``blur_pool2d`` and ``max_blur_pool2d``).
    size : int, (int, int) or "global"
        Window ``(rows, cols)``; "global" is one window over the whole image.
    stride : int, (int, int) or None
        Step between windows; None means equal to ``size``. Smaller than ``size`` overlaps
        windows, larger leaves gaps.
    padding : {"valid", "same", "ceil"} or int
        Where windows may overhang the image; see :func:`output_shape`. Overhanging cells are
        ignored: max and min take the extreme of the real pixels, sums add them, avg divides
        by their number (unless ``count_pad``).
    dilation : int or (int, int)
        Window cells this far apart (PyTorch's ``dilation``); sizes use the span
        ``dilation * (size - 1) + 1``.
    count_pad : bool or None
        Averages divide by padded cells too, as PyTorch's default ``count_include_pad=True``
        and Caffe do (cells past the declared padding never count). None: the ``compat``
        framework's rule, else False (Keras/TensorFlow's rule).
    compat : {"caffe", "torch", "keras"} or None
        Apply that framework's rules: ``caffe`` rounds output sizes up with an int padding and
        counts padding in averages; ``torch`` counts padding (and scales Lp as PyTorch does);
        ``keras`` never counts padding. Options the framework lacks are refused.
    power : float or None
        Lp's ``p`` (above 0; 1 is the sum); None (not given): 2. Only ``lp`` takes it.
    seed : int or None
        Stochastic and fractional pooling's seed; None draws a fresh one.
    evaluate : bool
        Stochastic pooling's test phase.
    ratio : float, (float, float) or None
        Fractional max pooling: output size over input size, from 0.5 up to 1 (PyTorch's
        ``output_ratio``); outputs are ``int(n * ratio)``; None (not given): 0.7. Only
        ``fractional`` takes it.
    samples : array_like or None
        Fractional max pooling's random samples, ``(C, 2)`` as (width, height) per channel:
        PyTorch's ``_random_samples[0]``, to reproduce its windows; None draws from ``seed``.
    output_size : int, (int or None, int or None) or None
        Adaptive pooling to this size, ``(rows, cols)`` (None keeps a side), as PyTorch's
        ``adaptive_{max,avg}_pool2d``: output ``i`` of ``out`` reads input cells
        ``floor(i*n/out)`` up to ``ceil((i+1)*n/out)``; max, min, avg, sum, lp, median and
        mode (the last three have no framework equivalent: each window's own rule), in place
        of ``size``, ``stride`` and ``padding``.
    ignore : float or None
        A nodata value (``float("nan")``: NaN cells) left out of every window, in every mode
        but stride: averages divide by the cells left, a window of it alone gives it (GDAL's
        nodata rule). Not with ``compat``, ``count_pad=True`` or ``return_indices``.
    blur : int or None
        blurpool's and maxblurpool's binomial filter, 1 to 20 taps; None (not given): 3.
    reflect : bool
        Mirror the image at its edges for the blur (antialiased-cnns's ``ReflectionPad2d``)
        instead of Kornia's zero padding of ``(blur - 1) // 2`` before and ``blur // 2`` after.
    return_indices : bool
        Also return, for max, min and stochastic training, the flat index ``row * W + col``
        in the input plane of the pixel each output took (PyTorch's ``return_indices``).
    channel_axis : int
        0 for planar ``(C, H, W)`` input (the fastest layout), -1 for ``(H, W, C)``.
    threads : int or None
        Threads to use; None means all cores.

    Returns
    -------
    ndarray, or (ndarray, ndarray) with ``return_indices``
        Same layout as ``image``. The same dtype, except: sums of unsigned integers are the
        narrowest of uint16, uint32 and uint64 a window cannot overflow (uint8 2x2: uint16),
        of signed integers int64 (see :func:`poolcli.core.reducers.sum_dtype`); Lp of uint8 and
        uint16 is float32, of other integers float64. Averages of integer
        images are the exact mean rounded to nearest, halves up (Pillow's ``Image.reduce``
        rule); float averages are summed in PyTorch's order and agree with ``avg_pool2d`` bit
        for bit. Indices are int64.

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
    >>> pool(x, "sum")
    array([[12,  4],
           [16,  8]], dtype=uint16)
    >>> pool(x, "max", size=3, stride=1)
    array([[7, 7],
           [9, 9]], dtype=uint8)
    >>> pool(x, "max", size=2, stride=1, dilation=2)  # cells two apart: a 3x3 span
    array([[5, 2],
           [2, 9]], dtype=uint8)
    >>> values, where = pool(x, "max", return_indices=True)
    >>> where  # flat positions in x, the first of equal cells (PyTorch's rule)
    array([[ 5,  7],
           [13, 10]])
    >>> pool(x, "min", size="global")
    array([[0]], dtype=uint8)
    >>> pool(x, "min", ignore=0)  # 0 is nodata: the least of the other cells
    array([[2, 1],
           [2, 2]], dtype=uint8)
    """
    spec = PoolSpec(
        mode,
        size,
        stride,
        padding,
        1,
        dilation=dilation,
        count_pad=count_pad,
        compat=compat,
        power=power,
        seed=seed,
        evaluate=evaluate,
        ratio=ratio,
        output_size=output_size,
        ignore=ignore,
        blur=blur,
        reflect=reflect,
    )  # every pooling parameter, checked once
    planar, restore = _prepare(image, channel_axis, threads)
    geom = first_pass(spec, planar.shape[1:])
    reducer = reducer_for(spec)
    if samples is not None:
        reducer = replace(reducer, samples=_checked_samples(samples, mode, planar.shape[0]))
    if return_indices:
        values, indices = pool_indexed(planar, reducer, geom, threads)
        return restore(values), restore(indices)
    return restore(pool_planar(planar, reducer, geom, threads))


def pool_passes(
    image: np.ndarray,
    mode: Mode,
    passes: int | Literal["all"] = 1,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    dilation: int | tuple[int, int] = 1,
    count_pad: bool | None = None,
    compat: Compat | None = None,
    power: float | None = None,
    seed: int | None = None,
    evaluate: bool = False,
    ratio: float | tuple[float, float] | None = None,
    ignore: float | None = None,
    blur: int | None = None,
    reflect: bool = False,
    channel_axis: int = -1,
    threads: int | None = None,
) -> Iterator[np.ndarray]:
    """Pool an image ``passes`` times, yielding each pass's result in turn.

    The whole plan is checked before the first pass (see :func:`plan_passes`), so a run that
    cannot finish raises before it yields anything. Parameters are those of :func:`pool`;
    sums keep one type for every pass, wide enough for the last.

    Examples
    --------
    >>> x = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> [p.tolist() for p in pool_passes(x, "max", passes=2, size=2)][-1]
    [[27, 31], [59, 63]]
    """
    spec = PoolSpec(
        mode,
        size,
        stride,
        padding,
        passes,
        dilation=dilation,
        count_pad=count_pad,
        compat=compat,
        power=power,
        seed=seed,
        evaluate=evaluate,
        ratio=ratio,
        ignore=ignore,
        blur=blur,
        reflect=reflect,
    )  # every pooling parameter, checked once
    planar, restore = _prepare(image, channel_axis, threads)
    plan = plan_for(spec, planar.shape[1:])
    return (restore(out) for out in run_passes(planar, spec, plan, threads=threads))


def _checked_samples(samples: Any, mode: str, channels: int) -> tuple[tuple[float, float], ...]:
    if mode != "fractional":
        raise ParameterError(f"samples are fractional pooling's; mode {mode!r} has none")
    values = np.asarray(samples, dtype=np.float64)
    if values.shape != (channels, 2) or not ((values >= 0) & (values < 1)).all():
        raise ParameterError(
            f"samples must be {channels} pairs (one a channel) of numbers in [0, 1), "
            f"not an array of shape {values.shape}"
        )
    return tuple((float(a), float(b)) for a, b in values)


def unpool(
    values: np.ndarray,
    indices: np.ndarray,
    shape: Sequence[int],
    *,
    channel_axis: int = -1,
) -> np.ndarray:
    """Put pooled ``values`` back where they came from: PyTorch's ``max_unpool2d``.

    Parameters
    ----------
    values, indices : ndarray
        What ``pool(..., return_indices=True)`` returned, in the same layout.
    shape : sequence of int
        ``(rows, cols)`` of the image that was pooled; further entries are ignored.
    channel_axis : int
        As given to :func:`pool`.

    Returns
    -------
    ndarray
        ``values``' dtype and layout at ``shape``: zero everywhere but the cells that won.

    Examples
    --------
    >>> x = np.array([[1, 5], [7, 2]], np.uint8)
    >>> unpool(*pool(x, "max", return_indices=True), x.shape)
    array([[0, 0],
           [7, 0]], dtype=uint8)
    """
    values, indices = np.asarray(values), np.asarray(indices)
    planar_values, restore = _as_planar(values, channel_axis, 1)
    planar_indices, _ = _as_planar(indices, channel_axis, 1)
    if planar_indices.dtype.kind not in "iu":
        raise ParameterError(f"indices must be integers, not {planar_indices.dtype}")
    return restore(_unpool(planar_values, planar_indices, (int(shape[0]), int(shape[1]))))
