"""What the benchmarks share: timing, the 24-MP test photo, finding ImageMagick.

The benchmarks run as scripts (``python benchmarks/bench_core.py``), which puts this folder
on ``sys.path``, so they import this module as ``common``.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PIL import Image

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"
RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """One line on what ran the benchmark: CPU, cores, Python and the libraries that matter."""
    import numpy
    import PIL

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cpu}, {cores} cores; Python {platform.python_version()}, numpy {numpy.__version__}, "
        f"Pillow {PIL.__version__}"
    )


class _Tee(io.TextIOBase):
    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextlib.contextmanager
def recorded(name: str) -> Iterator[Path]:
    """Print as usual, and keep everything printed in ``results/NAME-DATE.txt``, headed by the
    date, the command and :func:`machine`, so README figures can point at a file."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC)
    path = RESULTS / f"{name}-{stamp:%Y-%m-%dT%H%M}.txt"
    with path.open("w") as handle:
        handle.write(f"# {stamp:%Y-%m-%d %H:%M} UTC  python {' '.join(sys.argv)}\n")
        handle.write(f"# {machine()}\n\n")
        out = sys.stdout
        sys.stdout = _Tee(out, handle)  # type: ignore[assignment]
        try:
            yield path
        finally:
            sys.stdout = out
    print(f"(kept in {path.relative_to(RESULTS.parent.parent)})")


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
