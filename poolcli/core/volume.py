"""3-D pooling: windows across the slices of a volume (a z-stack, the frames of a clip) too.

numpy only. A volume is ``(D, H, W)``, or has a channel axis. Each axis is placed as the 2-D
passes place theirs (:func:`poolcli.core.axes.place_axis`: every padding rule, dilation,
``ceil``), or adaptively (:func:`poolcli.core.axes.adaptive_bounds`). The kernel walks a window's
cells in PyTorch's order, depth then rows then columns, each step vectorised over every output:
float averages are summed in the volume's type in that order, so ``avg_pool3d`` agrees bit for
bit; maxima keep the first extreme cell (the last NaN), whose flat index ``(d * H + h) * W + w``
is PyTorch's. Integer averages are exact, rounded half up, as the 2-D ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from poolcli.core.axes import Axis, adaptive_bounds, place_axis
from poolcli.core.kernels.integer_means import accumulator, divide_rounded
from poolcli.core.kernels.lp import (
    integer_lp_type,
    powers_sum_type,
    raised_float,
    raised_plane,
    root,
)
from poolcli.core.reducers import check_dtype, sum_dtype
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import VOLUME_MODES, PoolSpec, check_padding
from poolcli.spec.values import check_power, triple, whole


def dxwxh(shape: Sequence[int]) -> str:
    """A volume's size as the command line writes it: width x height x depth."""
    return f"{shape[2]}x{shape[1]}x{shape[0]}"


@dataclass(frozen=True)
class VolumeGeometry:
    """Where the windows of one 3-D pass fall: an :class:`~poolcli.core.axes.Axis` per
    direction (depth, rows, columns), or, for a pass to a size, each axis's window bounds."""

    axes: tuple[Axis, Axis, Axis] | None
    bounds: tuple[tuple[np.ndarray, np.ndarray], ...] | None = None

    @property
    def output_shape(self) -> tuple[int, int, int]:
        if self.axes is not None:
            return self.axes[0].out, self.axes[1].out, self.axes[2].out
        assert self.bounds is not None
        return len(self.bounds[0][0]), len(self.bounds[1][0]), len(self.bounds[2][0])

    def taps(
        self, dim: int, n: int
    ) -> list[tuple[slice | np.ndarray, slice | np.ndarray, np.ndarray | None]]:
        """Each window offset along ``dim``: the outputs it reaches, the input cells they read,
        and which of them are real (None: all). Fixed windows give slices; adaptive ones give
        every output, clipped cell indices and a mask."""
        if self.axes is not None:
            return [(dst, src, None) for dst, src in self.axes[dim].taps(0, self.axes[dim].out)]
        starts, ends = self.bounds[dim]  # type: ignore[index]
        longest = int((ends - starts).max())
        everything = np.arange(len(starts))
        return [
            (everything, np.minimum(starts + j, n - 1), starts + j < ends) for j in range(longest)
        ]

    def counts(self, include_pad: bool) -> np.ndarray:
        """The cells each window counts, (D', H', W')."""
        if self.axes is not None:
            d, h, w = (a.counts(include_pad) for a in self.axes)
        else:
            d, h, w = (ends - starts for starts, ends in self.bounds)  # type: ignore[union-attr]
        counts: np.ndarray = d[:, None, None] * h[None, :, None] * w[None, None, :]
        return counts


def plan_volume(
    shape: tuple[int, int, int],
    size: object = 2,
    stride: object = None,
    padding: object = "valid",
    dilation: object = 1,
    output_size: object = None,
) -> VolumeGeometry:
    """Place one 3-D pass on a volume of ``shape`` (depth, rows, cols), or say why it cannot.

    >>> plan_volume((5, 8, 8), 2).output_shape
    (2, 4, 4)
    >>> plan_volume((5, 8, 8), 3, 2, "same").output_shape
    (3, 4, 4)
    >>> plan_volume((5, 8, 8), output_size=(2, None, 3)).output_shape
    (2, 8, 3)
    """
    if output_size is not None:
        if (size, stride, padding, dilation) != (2, None, "valid", 1):
            raise ParameterError(
                "output_size places the windows itself: give no size, stride, padding or dilation"
            )
        wanted = _output_size(output_size, shape)
        return VolumeGeometry(
            None, tuple(adaptive_bounds(n, o) for n, o in zip(shape, wanted, strict=True))
        )
    k, d = triple(size, "size"), triple(dilation, "dilation")
    s = k if stride is None else triple(stride, "stride")
    if isinstance(padding, Sequence) and not isinstance(padding, str) and len(padding) == 3:
        pads = [check_padding(p, (k[i], k[i])) for i, p in enumerate(padding)]
    else:
        pads = [check_padding(padding, (k[i], k[i])) for i in range(3)]
    axes = []
    for i, (n, p) in enumerate(zip(shape, pads, strict=True)):
        axis = place_axis(n, k[i], s[i], d[i], p, caffe=False)
        if axis is None:
            span = dxwxh([d[j] * (k[j] - 1) + 1 for j in range(3)])
            raise ParameterError(
                f"a window of {span} (width x height x depth, dilated) with padding {padding!r} "
                f"does not fit a {dxwxh(shape)} volume"
            )
        axes.append(axis)
    return VolumeGeometry((axes[0], axes[1], axes[2]))


def _output_size(value: object, shape: tuple[int, int, int]) -> tuple[int, int, int]:
    if whole(value) is not None:
        value = (value, value, value)
    if not (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 3):
        raise ParameterError(
            f"output_size must be an int or a (depth, rows, cols) triple, None keeping a side; "
            f"not {value!r}"
        )
    sizes = [n if v is None else whole(v) for v, n in zip(value, shape, strict=True)]
    if any(v is None or v < 1 for v in sizes):
        raise ParameterError(f"output_size must be whole numbers of at least 1, not {value!r}")
    return sizes[0], sizes[1], sizes[2]  # type: ignore[return-value]


def pool3d(
    volume: np.ndarray,
    mode: Literal["max", "min", "avg", "sum", "lp", "median"] = "max",
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
    mode : {"max", "min", "avg", "sum", "lp", "median"}
        The window's largest, smallest, mean, sum, ``(sum x**p) ** (1/p)``, or median (of an
        even count, the two middle cells' mean, halves rounded up for integers).
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
    outs, wheres = [], []
    for channel in planar:
        if mode in ("max", "min"):
            values, where = _extreme(
                channel, geom, np.greater if mode == "max" else np.less, return_indices
            )
            outs.append(values)
            wheres.append(where)
        elif mode == "lp":
            outs.append(_lp(channel, geom, power, torch_lp))
        elif mode == "median":
            outs.append(_median(channel, geom))
        else:
            outs.append(_summed(channel, geom, mode == "avg", count_pad))
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


Index = tuple[slice | np.ndarray, ...]


def _walk(
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


def _extreme(
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

    _walk(x, geom, step)
    return best, where


def _median(x: np.ndarray, geom: VolumeGeometry) -> np.ndarray:
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

    _walk(x, geom, step)
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


def _summed(
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
        _walk(x, geom, step)
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


def _lp(x: np.ndarray, geom: VolumeGeometry, p: float, torch_lp: bool) -> np.ndarray:
    """Lp in PyTorch's steps for floats (``avg_pool3d(x ** p) * kd * kh * kw``, then
    ``** (1/p)``); integers raised and summed exactly (whole p) and rooted as the 2-D Lp
    does (:mod:`poolcli.core.kernels.lp`)."""
    if x.dtype.kind == "f":
        with np.errstate(all="ignore"):
            means = _summed(raised_float(x, p), geom, True, False)
            assert geom.axes is not None
            full = geom.axes[0].k * geom.axes[1].k * geom.axes[2].k
            means *= x.dtype.type(full) if torch_lp else geom.counts(False).astype(x.dtype)
            if p != 1.0:
                np.power(means, x.dtype.type(1.0 / p), out=means)
        return means
    cells = int(geom.counts(False).max())
    raised = raised_plane(x, p, cells)
    wide = powers_sum_type(x.dtype, p, cells) if raised.dtype.kind != "f" else None
    sums = _summed(raised, geom, False, False, wide)
    out = np.empty(sums.shape, integer_lp_type(x.dtype))
    root(sums, p, out)  # as the 2-D Lp roots its sums
    return out


def pool_channel(x: np.ndarray, spec: PoolSpec, geom: VolumeGeometry) -> np.ndarray:
    """One channel of a volume, (D, H, W), pooled once by ``spec``'s mode with ``geom``'s
    windows (a pass across a file's frames: :mod:`poolcli.core.frames`)."""
    if spec.mode in ("max", "min"):
        return _extreme(x, geom, np.greater if spec.mode == "max" else np.less, False)[0]
    if spec.mode == "median":
        return _median(x, geom)
    if spec.mode == "lp":
        return _lp(x, geom, spec.exponent, spec.compat == "torch")
    return _summed(x, geom, spec.mode == "avg", spec.counts_padding)


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
