"""What the benchmarks share: timing, the 24-MP test photo, finding ImageMagick.

The benchmarks run as scripts (``python benchmarks/bench_core.py``), which puts this folder
on ``sys.path``, so they import this module as ``common``.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of ``repeat`` calls, after one warm-up call (page faults, pools)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def paired_speedup(slow: Callable[[], object], fast: Callable[[], object], repeat: int) -> float:
    """Median of ``time(slow) / time(fast)`` over ``repeat`` pairs run back to back.

    On a shared machine the load drifts between two separate series of runs; timing the
    two in alternation and taking the ratio of each pair cancels most of that drift.
    """
    slow(), fast()
    ratios = []
    for _ in range(repeat):
        start = time.perf_counter()
        slow()
        middle = time.perf_counter()
        fast()
        end = time.perf_counter()
        ratios.append((middle - start) / (end - middle))
    return statistics.median(ratios)


def photo_24mp() -> Image.Image:
    """A real photo upscaled to 6000x4000, so pixel statistics are a photo's, not noise's."""
    with Image.open(SAMPLES / "coffee.png") as im:
        return im.convert("RGB").resize((6000, 4000), Image.Resampling.BICUBIC)


def imagemagick() -> str | None:
    """The real ImageMagick 6/7 binary (some machines put a stand-in convert first on PATH)."""
    for candidate in ("magick", "/usr/bin/convert-im6.q16", "/usr/bin/convert"):
        found = shutil.which(candidate)
        if found:
            version = subprocess.run([found, "-version"], capture_output=True, check=False)
            if b"ImageMagick" in version.stdout:
                return found
    return None
