"""Images past memory: poolimg's banded path against libvips, time and peak memory, same run.

Run by hand: ``python benchmarks/bench_huge.py [--sizes 0.4,2,4] [--kinds grey,rgb]
[--formats png,tif] [--repeat N] [--work DIR]``. Needs ``poolimg[huge]`` installed and, for
the peer, libvips's command line from apt (``libvips-tools``: ``vips shrink``); libvips of the
pyvips-binary wheel (newer) is timed as a second peer, in a Python process of its own.

The images are generated once into ``--work`` (kept between runs; 4 GP grey is about 3.4 GB
as PNG, 4.3 GB as TIFF): a real photo (``sample_images/coffee.png``) repeated across the
canvas with Gaussian noise (sigma 3) added, so neither the PNG filters nor zlib see a flat
or a random image; tiled TIFF (256x256, uncompressed, BigTIFF past 4 GiB). Each case runs
poolimg with its defaults (``--max-pixels 0``: the bomb check allowed), one 2x2 average pass
and five, and ``vips shrink IN OUT 2 2`` (one pass; five chained passes are one
``shrink 32 32`` for libvips, which is not the same numbers and is timed for scale only).

Checked every run: the pixels of poolimg's first pass equal a reference computed with numpy
on bands of the input read by libvips (exact 2x2 means, halves rounded up); on images that
fit, the banded run's files equal the in-memory run's (``tests/test_huge.py`` checks that on
every mode; here ``--check-in-memory`` runs it on the benchmark's images too).

Targets (issue 24): peak memory at most 300 MiB whatever the size; time at most ``vips
shrink``'s on PNG, and keep the lead on TIFF (0.2-0.3x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import SAMPLES, recorded

GNU_TIME = Path("/usr/bin/time")
SIDES = {"0.4": 20000, "2": 44722, "4": 63246}  # square images of about that many GP


def generate(path: Path, side: int, kind: str) -> None:
    """The benchmark's image: a photo tiled across the canvas, with noise."""
    import pyvips

    if path.exists():
        return
    photo = pyvips.Image.new_from_file(str(SAMPLES / "coffee.png"))
    photo = photo.colourspace("b-w")[0] if kind == "grey" else photo[0:3]
    across, down = -(-side // photo.width), -(-side // photo.height)
    tiled = photo.replicate(across, down).crop(0, 0, side, side)
    noise = pyvips.Image.gaussnoise(side, side, sigma=3, mean=0)
    if kind == "rgb":
        noise = noise.bandjoin([noise.rot180(), noise.flip("horizontal")])
    image = (tiled.cast("float") + noise).cast("uchar")
    part = path.with_suffix(".part" + path.suffix)
    if path.suffix == ".png":
        image.pngsave(str(part), compression=6)
    else:
        image.tiffsave(str(part), tile=True, tile_width=256, tile_height=256, bigtiff=True)
    part.rename(path)


def measured(cmd: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MiB of one run of ``cmd`` (GNU time's maximum RSS)."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(GNU_TIME), "-f", "%M", *cmd], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def best(cmd: list[str], repeat: int, clean: Path) -> tuple[float, float]:
    """Median seconds and largest peak MiB of ``repeat`` runs (``clean`` emptied before each)."""
    times, peaks = [], []
    for _ in range(repeat):
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir(parents=True)
        seconds, peak = measured(cmd)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


# libvips of the pyvips-binary wheel, as `vips shrink` does it, in a process of its own
PYVIPS_SHRINK = (
    "import sys, pyvips; pyvips.Image.new_from_file(sys.argv[1], access='sequential')"
    ".shrink(2, 2).write_to_file(sys.argv[2])"
)


def check_pixels(source: Path, pooled: Path) -> None:
    """poolimg's pass equals exact 2x2 means computed here with numpy, on bands of rows."""
    import numpy as np
    import pyvips

    image = pyvips.Image.new_from_file(str(source), access="sequential")
    out = pyvips.Image.new_from_file(str(pooled), access="sequential")
    bands, width = image.bands, image.width
    region, out_region = pyvips.Region.new(image), pyvips.Region.new(out)
    rows = max(2, (8 << 20) // (width * bands) // 2 * 2)
    for top in range(0, image.height // 2 * 2, rows):
        count = min(rows, image.height // 2 * 2 - top)
        data = region.fetch(0, top, width, count)
        pixels = np.frombuffer(data, np.uint8).reshape(count, width, bands)[:, : width // 2 * 2]
        sums = pixels.reshape(count // 2, 2, width // 2, 2, bands).sum((1, 3), dtype=np.uint16)
        expected = ((sums + 2) // 4).astype(np.uint8)
        got = out_region.fetch(0, top // 2, out.width, count // 2)
        got = np.frombuffer(got, np.uint8).reshape(expected.shape)
        if not np.array_equal(got, expected):
            raise SystemExit(f"{pooled}: rows from {top // 2} differ from the numpy reference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="0.4,2,4")
    parser.add_argument("--kinds", default="grey,rgb")
    parser.add_argument("--formats", default="png,tif")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/poolimg-huge"))
    parser.add_argument("--check-in-memory", action="store_true")
    args = parser.parse_args()
    vips = shutil.which("vips")
    if not GNU_TIME.exists():
        raise SystemExit("needs GNU time (/usr/bin/time) for peak memory")
    args.work.mkdir(parents=True, exist_ok=True)
    poolimg = [sys.executable, "-m", "poolcli"]
    with recorded("huge"):
        said = "vips (apt) not found"
        if vips:
            version = [vips, "--version"]
            said = subprocess.run(version, capture_output=True, text=True, check=False).stdout
        print(f"peer: {said.strip()}; pyvips-binary's libvips {_pyvips_version()}")
        print(f"median of {args.repeat} runs; peak = largest maximum RSS\n")
        header = (
            f"{'image':<22} {'case':<18} {'poolimg s':>9} {'MiB':>6} "
            f"{'vips s':>7} {'MiB':>5} {'ratio':>6} {'pyvips s':>8} {'ratio':>6}"
        )
        print(header)
        for size in args.sizes.split(","):
            side = SIDES[size]
            for kind in args.kinds.split(","):
                for fmt in args.formats.split(","):
                    source = args.work / f"{kind}-{size}gp.{fmt}"
                    started = time.perf_counter()
                    generate(source, side, kind)
                    made = time.perf_counter() - started
                    if made > 1:
                        print(f"  (generated {source.name} in {made:.0f} s)")
                    _case(args, poolimg, vips, source, fmt, size, kind)


def _case(args, poolimg, vips, source: Path, fmt: str, size: str, kind: str) -> None:
    out = args.work / "out"
    name = f"{kind} {size} GP {fmt.upper()}"
    for passes in (1, 5):
        cmd = [*poolimg, "avg", str(source), "-n", str(passes), "-o", str(out)]
        cmd += ["--max-pixels", "0", "-q"]
        seconds, peak = best(cmd, args.repeat, out)
        if passes == 1:
            check_pixels(source, next(out.iterdir()))
        peer = peer_py = None
        if passes == 1:
            if vips:
                shrink = [vips, "shrink", str(source), str(out / f"v.{fmt}"), "2", "2"]
                peer = best(shrink, args.repeat, out)
            py = [sys.executable, "-c", PYVIPS_SHRINK, str(source), str(out / f"p.{fmt}")]
            peer_py = best(py, args.repeat, out)
        case = f"avg 2x2 x{passes}"
        line = f"{name:<22} {case:<18} {seconds:>9.2f} {peak:>6.0f}"
        if peer is not None:
            line += f" {peer[0]:>7.2f} {peer[1]:>5.0f} {seconds / peer[0]:>6.2f}"
        else:
            line += f" {'':>7} {'':>5} {'':>6}"
        if peer_py is not None:
            line += f" {peer_py[0]:>8.2f} {seconds / peer_py[0]:>6.2f}"
        print(line, flush=True)


def _pyvips_version() -> str:
    import pyvips

    return ".".join(str(pyvips.version(i)) for i in range(3))


if __name__ == "__main__":
    main()
