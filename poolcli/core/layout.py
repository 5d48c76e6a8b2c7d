"""Moving pixels between interleaved ``(H, W, C)`` and planar ``(C, H, W)`` layouts.

numpy only. The core pools planar data (every inner loop contiguous); Pillow stores pixels
interleaved, 4 bytes a pixel for RGB. numpy copies between the two a byte at a time, so the
copy is split into row bands over the thread pool of :mod:`poolcli.core.threads` (faster with two
threads, up to memory bandwidth; ``benchmarks/bench_images.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from poolcli.core.threads import split_rows


def deinterleave(
    hwc: np.ndarray, channels: Sequence[int] | None = None, threads: int | None = None
) -> np.ndarray:
    """Copy ``channels`` (default: all) of an ``(H, W, C)`` array into a new planar array.

    >>> deinterleave(np.arange(12).reshape(2, 2, 3), [2, 0])[:, 0]
    array([[2, 5],
           [0, 3]])
    """
    picks = list(range(hwc.shape[2])) if channels is None else list(channels)
    out = np.empty((len(picks), *hwc.shape[:2]), hwc.dtype)

    def work(lo: int, hi: int) -> None:
        for plane, c in zip(out, picks, strict=True):
            plane[lo:hi] = hwc[lo:hi, :, c]

    split_rows(hwc.shape[0], hwc.shape[0] * hwc.shape[1], threads, work)
    return out


def interleave(
    planar: np.ndarray, out: np.ndarray | None = None, threads: int | None = None
) -> np.ndarray:
    """Copy planar ``(C, H, W)`` into the first C channels of ``out`` (default: a new
    ``(H, W, C)`` array), which may have more channels than ``planar`` (RGB into RGBX).

    >>> interleave(np.arange(8).reshape(2, 2, 2))[0]
    array([[0, 4],
           [1, 5]])
    """
    if out is None:
        out = np.empty((*planar.shape[1:], planar.shape[0]), planar.dtype)
    target = out

    def work(lo: int, hi: int) -> None:
        for c, plane in enumerate(planar):
            target[lo:hi, :, c] = plane[lo:hi]

    split_rows(planar.shape[1], planar.shape[1] * planar.shape[2], threads, work)
    return out
