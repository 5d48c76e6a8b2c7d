"""Where the windows of a 3-D pass fall: one :class:`~poolcli.core.axes.Axis` a direction
(depth, rows, columns), each placed as the 2-D passes place theirs (every padding rule,
dilation, ``ceil``), or adaptive windows' bounds.

Pure arithmetic, no pixels; :mod:`poolcli.core.volume` pools with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from poolcli.core.axes import Axis, adaptive_bounds, place_axis
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import check_padding
from poolcli.spec.values import triple, whole


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
