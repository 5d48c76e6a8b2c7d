"""Shrink-on-load (``--draft``): how far libjpeg's scaled decode is from the exact averages,
and what it saves, against ``vipsthumbnail`` in the same run.

Run by hand: ``python benchmarks/bench_draft.py [--repeat N]``. The error is measured on every
JPEG of ``sample_images/`` and on a 24-MP JPEG (``common.photo_24mp``, quality 92): for 1/2,
1/4 and 1/8, the largest and the mean absolute difference per channel between the scaled
decode (cropped to whole blocks, as ``--draft`` does) and the exact 2x2, 4x4 and 8x8 averages
of the full decode, in 8-bit levels. The time is of ``poolimg avg 24mp.jpg -n 3`` (three 2x2
passes, each written) with and without ``--draft``, and of ``vipsthumbnail`` to the last
pass's size, medians of N runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import SAMPLES, photo_24mp, recorded
from PIL import Image

from poolcli import pool


def errors(path: Path) -> list[str]:
    """One line per scale: the largest and mean difference of each channel."""
    with Image.open(path) as image:
        full = np.asarray(image.convert("RGB"))
    lines = []
    for scale in (2, 4, 8):
        with Image.open(path) as image:
            image.draft("RGB", (image.width // scale, image.height // scale))
            small = np.asarray(image.convert("RGB"))
        exact = pool(full, "avg", scale)
        small = small[: exact.shape[0], : exact.shape[1]].astype(np.int16)
        diff = np.abs(small - exact.astype(np.int16))
        largest = "/".join(str(int(diff[..., c].max())) for c in range(3))
        mean = "/".join(f"{diff[..., c].mean():.2f}" for c in range(3))
        lines.append(f"{path.name:<24} 1/{scale}   largest R/G/B {largest:<10} mean {mean}")
    return lines


def seconds(cmd: list[str], repeat: int, clean: Path) -> float:
    times = []
    for _ in range(repeat):
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir()
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, recorded("draft"):
        work = Path(folder)
        big = work / "photo24mp.jpg"
        photo_24mp().save(big, quality=92)
        print("difference from the exact averages, 8-bit levels")
        for path in [*sorted(SAMPLES.glob("*.jpg")), big]:
            print("\n".join(errors(path)))
        out = work / "out"
        poolimg = [sys.executable, "-m", "poolcli", "avg", str(big), "-n", "3", "-o", str(out)]
        exact = seconds([*poolimg, "-q"], args.repeat, out)
        draft = seconds([*poolimg, "-q", "--draft"], args.repeat, out)
        final = seconds([*poolimg, "-q", "--draft", "--final-only"], args.repeat, out)
        print(
            f"\n24-MP JPEG, avg -n 3 (each pass written): exact {exact:.2f} s, "
            f"--draft {draft:.2f} s ({draft / exact:.2f}x)"
        )
        print(f"  --final-only --draft (1/8 decode, one file): {final:.2f} s")
        thumbnail = shutil.which("vipsthumbnail")
        if thumbnail:
            cmd = [thumbnail, str(big), "--size", "750x500", "-o", str(out / "t.jpg[Q=95]")]
            vips = seconds(cmd, args.repeat, out)
            print(
                f"  vipsthumbnail to 750x500: {vips:.2f} s; --final-only --draft is "
                f"{final / vips:.2f}x its time"
            )


if __name__ == "__main__":
    main()
