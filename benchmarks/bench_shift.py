"""How much each mode's output changes when its input moves by one pixel: aliasing, measured.

Run by hand: ``python benchmarks/bench_shift.py``. For every photo of ``sample_images/`` (as
RGB), each mode's passes of 2x2 windows at stride 2 (blurpool and maxblurpool: Kornia's default
3-tap blur) are computed on the photo and on the photo shifted one pixel right and down (its
first row and column cut), as ``poolimg compare --shift 1`` does; the figure is the mean
absolute difference of the two outputs where both have pixels, over every channel, in 8-bit
levels. A pass that only moved its picture by half a pixel changes a little at every edge;
aliasing (max, strided subsampling) changes far more than that, and the blur modes exist to
remove it (Zhang, "Making Convolutional Networks Shift-Invariant Again", 2019).
"""

from __future__ import annotations

import statistics

import numpy as np
from common import SAMPLES, recorded
from PIL import Image

from poolcli import pool_passes

MODES = ("stride", "max", "median", "avg", "blurpool", "maxblurpool")
PASSES = 2


def change(image: np.ndarray, mode: str) -> list[float]:
    """The mean absolute change of each pass under a one-pixel shift."""
    plain = pool_passes(image, mode, PASSES)  # type: ignore[arg-type]
    moved = pool_passes(image[1:, 1:], mode, PASSES)  # type: ignore[arg-type]
    means = []
    for a, b in zip(plain, moved, strict=True):
        rows, cols = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
        difference = np.abs(a[:rows, :cols].astype(np.int16) - b[:rows, :cols])
        means.append(float(difference.mean()))
    return means


def main() -> None:
    photos = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))
    images = {p.stem: np.asarray(Image.open(p).convert("RGB")) for p in photos}
    for index in range(PASSES):
        print(f"-- pass {index + 1}: mean |out(photo) - out(photo shifted 1 px)|, 8-bit levels")
        print(f"{'mode':<12}" + "".join(f"{name[:9]:>10}" for name in images) + f"{'mean':>10}")
        for mode in MODES:
            figures = [change(image, mode)[index] for image in images.values()]
            cells = "".join(f"{f:10.2f}" for f in figures)
            print(f"{mode:<12}{cells}{statistics.mean(figures):10.2f}")


if __name__ == "__main__":
    with recorded("shift"):
        main()
