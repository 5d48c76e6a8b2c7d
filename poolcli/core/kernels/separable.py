"""One separable step of the banded kernel: the cells a window's offsets read along one axis,
reduced into a band, and the columns of stride-2 windows split into even and odd planes.

numpy only. :mod:`poolcli.core.kernels.bands` reduces a band's rows, then its columns, with
:func:`reduce_sources`; the buffers it needs are reused per thread (:func:`thread_scratch`).
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable
from typing import TypeAlias

import numpy as np

from poolcli.core.axes import Axis

# (which outputs along the axis, the input cells they read) for each offset of the window
Sources: TypeAlias = list[tuple[slice, np.ndarray]]


class Scratch:
    """Buffers reused from band to band and call to call, one set per thread."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        need = math.prod(shape) * dtype.itemsize
        buf = self._buffers.get(name)
        if buf is None or buf.size < need:
            buf = self._buffers[name] = np.empty(need, np.uint8)
        return buf[:need].view(dtype).reshape(shape)


_local = threading.local()


def thread_scratch() -> Scratch:
    scratch: Scratch | None = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = Scratch()
    return scratch


def along(a: np.ndarray, axis: int, sl: slice) -> np.ndarray:
    return a[(slice(None),) * axis + (sl,)]


def reduce_sources(
    sources: Sources,
    dst: np.ndarray,
    axis: int,
    ufunc: np.ufunc,
    fill: float,
    wide: np.ndarray | None = None,
) -> None:
    """Reduce ``sources`` into ``dst`` along ``axis`` with ``ufunc``.

    The loop runs in the wider of the two dtypes (sums of uint8 in uint16, maxima of the
    widened column planes in uint16); ``wide`` is a buffer of ``dst``'s shape in that dtype for
    when more than one step needs it.
    """
    n = dst.shape[axis]
    full = all(d.start == 0 and d.stop == n for d, _ in sources)
    loop = np.promote_types(sources[0][1].dtype, dst.dtype)
    if not full:
        # Some windows overhang the image: start from the identity and let each offset reduce
        # into the outputs it really reaches.
        work = dst if loop == dst.dtype else wide
        assert work is not None and work.dtype == loop
        work.fill(fill)
        for d, src in sources:
            view = along(work, axis, d)
            ufunc(view, src, out=view, dtype=loop, casting="unsafe")
        if work is not dst:
            np.copyto(dst, work, casting="unsafe")
        return
    if len(sources) == 1:
        np.copyto(dst, sources[0][1], casting="unsafe")
        return
    # Every step but the last into `wide` when dst is narrower; the last casts into dst.
    work = dst if loop == dst.dtype or len(sources) == 2 else wide
    assert work is not None
    first, *middle, last = (src for _, src in sources)
    if not middle:
        ufunc(first, last, out=dst, dtype=loop, casting="unsafe")
        return
    ufunc(first, middle[0], out=work, dtype=loop, casting="unsafe")
    for src in middle[1:]:
        ufunc(work, src, out=work, dtype=loop, casting="unsafe")
    ufunc(work, last, out=dst, dtype=loop, casting="unsafe")


def column_sources(
    band: np.ndarray, cols: Axis, scratch: Scratch
) -> tuple[Callable[[], None] | None, Sources]:
    """Pair each column offset of the windows with the band columns it reads.

    Returns ``(split, sources)``: call ``split()`` whenever the band has new data, before
    reading ``sources``. With stride 2 (the common case) ``band[..., j::2]`` would run numpy's
    strided scalar loop. Instead, each pair of neighbouring columns of an unsigned band is
    viewed as one integer twice as wide and split with a mask and a shift into an even and an
    odd plane, contiguous and twice as wide; every offset then reads a contiguous slice of one
    of them (faster for 2x2 and 3x3 max of uint8: ``benchmarks/bench_core.py``).
    """
    taps = cols.taps(0, cols.out)
    itemsize = band.dtype.itemsize
    planes = split_dtype(band, cols)
    if planes is None:
        return None, [(d, band[:, :, s]) for d, s in taps]
    wide = band.view(planes)
    low = scratch.get("low", wide.shape, wide.dtype)
    high = scratch.get("high", wide.shape, wide.dtype)
    mask, shift = (1 << (8 * itemsize)) - 1, 8 * itemsize

    def split() -> None:
        np.bitwise_and(wide, mask, out=low)
        np.right_shift(wide, shift, out=high)

    even, odd = (low, high) if sys.byteorder == "little" else (high, low)
    sources = []
    for d, s in taps:
        first = s.start // 2
        plane = even if s.start % 2 == 0 else odd
        sources.append((d, plane[:, :, first : first + d.stop - d.start]))
    return split, sources


def split_dtype(band: np.ndarray, cols: Axis) -> np.dtype | None:
    """The dtype of the even and odd column planes :func:`column_sources` splits ``band``
    into, or None where it reads the band's columns as they are."""
    itemsize = band.dtype.itemsize
    if (
        cols.s == 2
        and band.dtype.kind == "u"
        and itemsize <= 4
        and band.strides[-1] == itemsize
        and band.shape[-1] % 2 == 0
    ):
        return np.dtype(f"u{2 * itemsize}")
    return None
