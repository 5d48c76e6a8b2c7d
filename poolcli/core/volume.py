"""3-D pooling: windows across the slices of a volume (a z-stack, the frames of a clip) too.

numpy only. A volume is ``(D, H, W)``, or has a channel axis. Its windows are placed by
:mod:`poolcli.core.volume_geometry` and pooled by :mod:`poolcli.core.kernels.volume_cells`, in
PyTorch's order, so ``max_pool3d``, ``avg_pool3d`` and their indices agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from poolcli.core.kernels.volume_cells import extreme, lp, median, pool_channels, summed
from poolcli.core.reducers import check_dtype
from poolcli.core.volume_geometry import dxwxh, plan_volume
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import VOLUME_MODES, PoolSpec
from poolcli.spec.values import check_power


def pool3d(
    volume: np.ndarray,
    mode: Literal["max", "min", "avg", "sum", "lp", "median", "mode"] = "max",
    size: int | tuple[int, int, int] = 2,
    stride: int | tuple[int, int, int] | None = None,
    padding: str | int | tuple[int, int, int] = "valid",
    *,
    dilation: int | tuple[int, int, int] = 1,
    count_pad: bool = False,
    power: float = 2.0,
    output_size: int | tuple[int | None, int | None, int | None] | None = None,
    channel_axis: int | None = None,
    return_indices: bool = False,
    torch_lp: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Pool a volume once, windows across its slices too (PyTorch's ``max_pool3d``,
    ``avg_pool3d``, ``lp_pool3d``, ``adaptive_{max,avg}_pool3d``; Keras's ``MaxPooling3D`` and
    ``AveragePooling3D``).

    Parameters
    ----------
    volume : ndarray
        ``(D, H, W)``, or with a channel axis (``channel_axis``: 0 or -1).
    mode : {"max", "min", "avg", "sum", "lp", "median", "mode"}
        The window's largest, smallest, mean, sum, ``(sum x**p) ** (1/p)``, median (of an
        even count, the two middle cells' mean, halves rounded up for integers), or most
        frequent pixel (a pixel's channels together, ties to the smallest: a label map gets
        no label it did not have).
    size, stride, dilation : int or (int, int, int)
        ``(depth, rows, cols)``; ``stride=None`` is the size.
    padding : {"valid", "same", "ceil"}, int or (int, int, int)
        As :func:`poolcli.pool`'s, per axis: ``same`` is Keras's, ``ceil`` PyTorch's
        ``ceil_mode``, an int PyTorch's ``padding`` (at most half the window).
    count_pad : bool
        Averages divide by padded cells too (PyTorch's default ``count_include_pad=True``).
    power : float
        Lp's ``p``.
    output_size : int or (int or None, int or None, int or None)
        Pool to this ``(depth, rows, cols)`` instead (None keeps a side): PyTorch's adaptive
        pooling (modes max, min, avg, sum).
    return_indices : bool
        Also return, for max and min, the flat index ``(d * H + h) * W + w`` of each output's
        cell in its channel of the input, as PyTorch's ``return_indices``.
    torch_lp : bool
        Lp of windows that overhang (``ceil``) scaled by the whole window, as PyTorch does,
        rather than by their real cells.

    Examples
    --------
    >>> v = np.arange(27, dtype=np.uint8).reshape(3, 3, 3)
    >>> pool3d(v, "max")
    array([[[13]]], dtype=uint8)
    >>> pool3d(v, "avg", 2, 1)[0].tolist()  # means of 8 cells, halves rounded up
    [[7, 8], [10, 11]]
    >>> values, where = pool3d(v, "max", 3, return_indices=True)
    >>> int(where[0, 0, 0])
    26
    """
    if mode not in VOLUME_MODES:
        raise ParameterError(
            f"mode must be one of {', '.join(VOLUME_MODES)} for volumes, not {mode!r}"
        )
    arr = np.asarray(volume)
    check_dtype(arr.dtype, "volume")
    planar, restore = _planar(arr, channel_axis)
    if min(planar.shape[1:]) < 1:
        raise ParameterError(f"the volume is empty ({dxwxh(planar.shape[1:])})")
    if output_size is not None and mode == "lp":
        raise ParameterError("output_size pools to a size in modes max, min, avg and sum")
    if return_indices and mode not in ("max", "min"):
        raise ParameterError(
            f"only max and min keep one cell a window, so only they have indices; not {mode}"
        )
    power = check_power(power)
    geom = plan_volume(planar.shape[1:], size, stride, padding, dilation, output_size)
    if mode == "mode":  # a pixel's channels together: a label map gets no new label
        return restore(pool_channels(planar, PoolSpec("mode"), geom))
    outs, wheres = [], []
    for channel in planar:
        if mode in ("max", "min"):
            values, where = extreme(
                channel, geom, np.greater if mode == "max" else np.less, return_indices
            )
            outs.append(values)
            wheres.append(where)
        elif mode == "lp":
            outs.append(lp(channel, geom, power, torch_lp))
        elif mode == "median":
            outs.append(median(channel, geom))
        else:
            outs.append(summed(channel, geom, mode == "avg", count_pad))
    out = restore(np.stack(outs))
    if return_indices:
        return out, restore(np.stack([w for w in wheres if w is not None]))
    return out


def _planar(
    arr: np.ndarray, channel_axis: int | None
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """``arr`` as (C, D, H, W), and the way back to its layout."""
    if channel_axis is None:
        if arr.ndim != 3:
            raise ParameterError(
                f"a volume is (D, H, W), or give channel_axis; not of shape {arr.shape}"
            )
        return arr[None], _first
    if arr.ndim != 4 or channel_axis not in (0, -1, 3, -4):
        raise ParameterError(
            f"with channel_axis, a volume is (C, D, H, W) (0) or (D, H, W, C) (-1), not "
            f"{arr.shape} with channel_axis={channel_axis!r}"
        )
    if channel_axis in (0, -4):
        return arr, _same
    return np.moveaxis(arr, -1, 0), _channels_last


def _first(out: np.ndarray) -> np.ndarray:
    return out[0]  # type: ignore[no-any-return]


def _same(out: np.ndarray) -> np.ndarray:
    return out


def _channels_last(out: np.ndarray) -> np.ndarray:
    return np.moveaxis(out, 0, -1)


def unpool3d(
    values: np.ndarray,
    indices: np.ndarray,
    shape: Sequence[int],
    *,
    channel_axis: int | None = None,
) -> np.ndarray:
    """Put pooled ``values`` back where they came from: PyTorch's ``max_unpool3d``.

    ``shape`` is the ``(D, H, W)`` of the volume that was pooled.

    >>> v = np.arange(8, dtype=np.uint8).reshape(2, 2, 2)
    >>> unpool3d(*pool3d(v, "max", return_indices=True), v.shape)[1].tolist()
    [[0, 0], [0, 7]]
    """
    values, indices = np.asarray(values), np.asarray(indices)
    if indices.shape != values.shape or indices.dtype.kind not in "iu":
        raise ParameterError("indices must be integers of the values' shape")
    depth, rows, cols = (int(n) for n in shape[:3])
    planes_v, restore = _planar(values, channel_axis)
    planes_i, _ = _planar(indices, channel_axis)
    size = depth * rows * cols
    if planes_i.size and (planes_i.min() < 0 or planes_i.max() >= size):
        raise ParameterError(
            f"indices must be from 0 to {size - 1} for a {dxwxh((depth, rows, cols))} volume"
        )
    out = np.zeros((planes_v.shape[0], size), values.dtype)
    for c in range(planes_v.shape[0]):
        out[c, planes_i[c].ravel()] = planes_v[c].ravel()
    return restore(out.reshape(-1, depth, rows, cols))
