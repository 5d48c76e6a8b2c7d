"""Stacks pooled across their pages (``-k 2x2x2``): time and peak memory, against decoding
every page with Pillow alone, in the same run.

Run by hand: ``python benchmarks/bench_stack.py [--pages 40,200,500]``. Each stack is a grey
multi-page (Big)TIFF of 12-MP pages (a random page rolled one column a page, so pages differ),
written with tifffile into a temporary folder. Figures: wall time and peak resident memory
(GNU time's maximum RSS, the interpreter included) of ``poolimg max STACK -k 2x2x2
--max-pixels 0``, and of a Python loop that decodes every page with Pillow and keeps it (what
holding the stack costs). Every run checks the first written page against numpy's 2x2x2
maxima of the first two pages. A projection column times ``max STACK --to 4000x3000x1`` (every
page into one, folded a page at a time), checked against numpy's maximum of every page.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import recorded

HOLD_ALL = """
import sys
from PIL import Image, ImageSequence
import numpy as np
with Image.open(sys.argv[1]) as im:
    pages = [np.asarray(page) for page in ImageSequence.Iterator(im)]
print(len(pages))
"""


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak MiB of a command, by GNU time."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *args], capture_output=True, text=True, check=True
    )
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def main() -> None:
    import tifffile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="40,200,500")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    page = rng.integers(0, 256, (3000, 4000), dtype=np.uint8)
    print(
        f"{'pages':>6} {'decoded':>9} {'poolimg s':>10} {'peak MiB':>9} {'hold all s':>11} "
        f"{'peak MiB':>9} {'project s':>10} {'peak MiB':>9}"
    )
    for count in (int(p) for p in args.pages.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            stack = Path(folder) / "stack.tif"
            with tifffile.TiffWriter(stack, bigtiff=count * page.nbytes > 2**31) as writer:
                for i in range(count):
                    writer.write(np.roll(page, i, axis=1), photometric="minisblack")
            out = Path(folder) / "out"
            ours = timed(
                [sys.executable, "-m", "poolcli", "max", str(stack), "-k", "2x2x2",
                 "--max-pixels", "0", "-o", str(out), "-q"]
            )  # fmt: skip
            written = tifffile.imread(out / "stack_max_k2_s2_depth2_p1.tif")
            first = np.maximum(page, np.roll(page, 1, axis=1))
            expected = first.reshape(1500, 2, 2000, 2).max(axis=(1, 3))
            assert np.array_equal(written[0], expected)
            held = timed([sys.executable, "-c", HOLD_ALL, str(stack)])
            projected = timed(
                [sys.executable, "-m", "poolcli", "max", str(stack), "--to", "4000x3000x1",
                 "--max-pixels", "0", "-o", str(out), "-q"]
            )  # fmt: skip
            top = page.copy()
            for i in range(1, count):
                np.maximum(top, np.roll(page, i, axis=1), out=top)
            assert np.array_equal(tifffile.imread(out / "stack_max_to4000x3000_frames1.tif"), top)
            size = f"{count * page.nbytes / 2**20:.0f} MiB"
            print(
                f"{count:>6} {size:>9} {ours[0]:>10.2f} {ours[1]:>9.0f} {held[0]:>11.2f} "
                f"{held[1]:>9.0f} {projected[0]:>10.2f} {projected[1]:>9.0f}"
            )


if __name__ == "__main__":
    with recorded("stack"):
        main()
