"""The core at every size and option (issue 14): each case against its anchor, in one run.

Run by hand: ``python benchmarks/bench_sizes.py [--repeat N]``. One thread throughout, on the
24-MP photo in planar uint8 unless a row says otherwise. Ratios are medians of pairs run back
to back (``common.paired_speedup``), which cancels most of a shared machine's drift; times are
plain medians. Peak memory is numpy's own allocations during the call (tracemalloc). OpenCV
rows need ``pip install ".[bench]"`` and are skipped without it.
"""

from __future__ import annotations

import argparse
import tracemalloc
from collections.abc import Callable

import numpy as np
from common import median_ms, paired_speedup, photo_24mp

import poolcli

try:
    import cv2

    cv2.setNumThreads(1)
except ImportError:
    cv2 = None


def row(name: str, ms: float, ratio: float, anchor: str, bar: float | None = None) -> None:
    verdict = "" if bar is None else f"  <= {bar}x: " + ("ok" if ratio <= bar else "MISSED")
    print(f"{name:<44} {ms:8.1f} ms {ratio:6.2f}x {anchor}{verdict}")


def pool(x: np.ndarray, mode: str, k: int, s: int, padding: str = "valid") -> Callable[[], object]:
    return lambda: poolcli.pool(x, mode, k, s, padding, channel_axis=0, threads=1)


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def general(x: np.ndarray, k: int) -> Callable[[], object]:
    """The pass by the general banded kernel, the pairs kernel turned off (the speed before)."""
    from poolcli.core.kernels import bands

    def run() -> object:
        saved = bands.pairs_apply
        bands.pairs_apply = lambda *args: False
        try:
            return poolcli.pool(x, "avg", k, 2, channel_axis=0, threads=1)
        finally:
            bands.pairs_apply = saved

    return run


def averages(x: np.ndarray, rep: int) -> None:
    copy = lambda: np.copy(x)  # noqa: E731
    print("-- averages against np.copy of the photo")
    for k, s, bar in ((2, 2, 1.2), (2, 1, 2.5), (3, 2, 2.5)):
        run = pool(x, "avg", k, s)
        row(f"avg {k}x{k} s{s}", median_ms(run, rep), paired_speedup(run, copy, rep), "copy", bar)
        if s == 2:
            before = general(x, k)
            ratio = paired_speedup(before, copy, rep)
            row("  general kernel (before pairs.py)", median_ms(before, rep), ratio, "copy")
    if cv2 is not None:

        def area() -> object:
            return [cv2.resize(p, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA) for p in x]

        def blur() -> object:
            return [cv2.blur(p, (3, 3))[1:-1:2, 1:-1:2].copy() for p in x]

        for name, fn in (
            ("OpenCV INTER_AREA 1/2 (avg 2x2 s2)", area),
            ("OpenCV blur 3x3 + slice (avg 3x3 s2)", blur),
        ):
            row(name, median_ms(fn, rep), paired_speedup(fn, copy, rep), "copy")
    image = photo_24mp()
    reduce = lambda: image.reduce(2)  # noqa: E731
    row(
        "Pillow reduce(2) on RGB (avg 2x2 s2)",
        median_ms(reduce, rep),
        paired_speedup(reduce, copy, rep),
        "copy",
    )


def window_sizes(x: np.ndarray, rep: int) -> None:
    print("\n-- max, stride 1, growing windows, against our own 2x2 s1")
    small = pool(x, "max", 2, 1)
    row("max 2x2 s1", median_ms(small, rep), 1.0, "2x2 s1")
    for k in (3, 5, 7, 9, 15):
        run = pool(x, "max", k, 1)
        bar = 1.5 if k == 7 else None
        row(f"max {k}x{k} s1", median_ms(run, rep), paired_speedup(run, small, rep), "2x2 s1", bar)
        if cv2 is not None and k in (7, 15):
            kernel = np.ones((k, k), np.uint8)
            dilate = lambda kernel=kernel: [cv2.dilate(p, kernel) for p in x]  # noqa: E731
            row(
                f"  OpenCV dilate {k}x{k} (same size out)",
                median_ms(dilate, rep),
                paired_speedup(dilate, small, rep),
                "2x2 s1",
            )


def depths(x: np.ndarray, rep: int) -> None:
    print("\n-- 16-bit against 8-bit, same pixels (x 257)")
    deep = x.astype(np.uint16) * 257
    for mode, k in (("avg", 2), ("max", 2), ("avg", 3)):
        run, base = pool(deep, mode, k, 2), pool(x, mode, k, 2)
        row(
            f"{mode} {k}x{k} s2 uint16",
            median_ms(run, rep),
            paired_speedup(run, base, rep),
            "uint8",
            1.3,
        )


def shapes(x: np.ndarray, rep: int) -> None:
    print("\n-- a 2 x 12,000,000 strip against the square photo (same pixels)")
    strip = np.ascontiguousarray(x.reshape(3, 2, -1))
    for mode in ("max", "avg"):
        run, base = pool(strip, mode, 2, 2), pool(x, mode, 2, 2)
        row(
            f"{mode} 2x2 s2 strip",
            median_ms(run, rep),
            paired_speedup(run, base, rep),
            "square",
            1.2,
        )
    print("\n-- padding against valid: time, and peak memory of numpy's allocations")
    for mode in ("max", "avg"):
        valid = pool(x, mode, 3, 2)
        for padding in ("same", "ceil"):
            run = pool(x, mode, 3, 2, padding)
            row(
                f"{mode} 3x3 s2 {padding}",
                median_ms(run, rep),
                paired_speedup(run, valid, rep),
                "valid",
                1.2,
            )
            ratio = peak_mb(run) / peak_mb(valid)
            print(
                f"{'  peak memory':<44} {peak_mb(run):8.1f} MB {ratio:6.2f}x valid  <= 1.2x: {'ok' if ratio <= 1.2 else 'MISSED'}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    rep = parser.parse_args().repeat
    x = np.ascontiguousarray(np.asarray(photo_24mp()).transpose(2, 0, 1))
    print(f"input: 6000x4000 RGB, planar uint8 ({x.nbytes / 1e6:.0f} MB), 1 thread\n")
    averages(x, rep)
    window_sizes(x, rep)
    depths(x, rep)
    shapes(x, rep)


if __name__ == "__main__":
    from common import recorded

    with recorded("sizes"):
        main()
