"""Batch throughput: poolimg -j 1 / -j 2 against shell loops over ImageMagick and libvips.

Run by hand: ``python benchmarks/bench_batch.py [--count 48] [--repeat 3]``. Makes (once, in
benchmarks/data/, which git ignores) a folder of ~12-MP JPEGs from the sample photos, then
times each tool over the whole folder: one pass of 2x2 max with JPEG out, and three passes
with PNG out. Medians of ``--repeat`` runs, all in this run.

Targets: ``-j 2`` at least 1.7x the images/s of ``-j 1``; ``-j 2`` faster than both loops;
peak memory of each process at most 3x the decoded bytes of the largest image.
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

from common import SAMPLES, imagemagick
from PIL import Image, ImageOps

DATA = Path(__file__).resolve().parent / "data" / "batch"
SIZE = (4240, 2832)  # 12.0 MP, 3:2


def make_folder(count: int) -> Path:
    folder = DATA / f"{count}"
    if folder.exists() and len(list(folder.glob("*.jpg"))) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    photos = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))
    for i in range(count):
        with Image.open(photos[i % len(photos)]) as im:
            image = im.convert("RGB")
        if (i // len(photos)) % 2:
            image = ImageOps.mirror(image)
        image.resize(SIZE, Image.Resampling.BICUBIC).save(folder / f"photo{i:03d}.jpg", quality=90)
    return folder


def timed(cmd: str, cwd: Path, repeat: int, clean: Path) -> tuple[float, float | None]:
    """Median seconds of a shell command, and its peak RSS in MiB (GNU time, largest process)."""
    times, peak = [], None
    for _ in range(repeat):
        shutil.rmtree(clean, ignore_errors=True)
        clean.mkdir()
        gnu_time = Path("/usr/bin/time")
        prefix = [str(gnu_time), "-f", "%M"] if gnu_time.exists() else []
        start = time.perf_counter()
        done = subprocess.run(
            [*prefix, "sh", "-c", cmd], cwd=cwd, capture_output=True, text=True, check=True
        )
        times.append(time.perf_counter() - start)
        if prefix:
            peak = max(peak or 0, int(done.stderr.strip().splitlines()[-1]) / 1024)
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    poolimg = shutil.which("poolimg")
    if poolimg is None:
        sys.exit("install poolimg first: pip install .")
    folder = make_folder(args.count)
    decoded_mb = SIZE[0] * SIZE[1] * 3 / 2**20
    magick, vips = imagemagick(), shutil.which("vips")
    print(
        f"{args.count} JPEGs of {SIZE[0]}x{SIZE[1]} (decoded {decoded_mb:.0f} MiB each) in {folder}\n"
    )

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        loop = f'for f in {folder}/*.jpg; do b=$(basename "$f" .jpg); '
        cases = {
            "1 pass 2x2 max, JPEG out": {
                "poolimg -j 1": f"{poolimg} max {folder} -o {out} -j 1 -q",
                "poolimg -j 2": f"{poolimg} max {folder} -o {out} -j 2 -q",
            },
            "3 passes 2x2 max, PNG out each pass": {
                "poolimg -j 1": f"{poolimg} max {folder} -n 3 -f png -o {out} -j 1 -q",
                "poolimg -j 2": f"{poolimg} max {folder} -n 3 -f png -o {out} -j 2 -q",
            },
        }
        if magick:
            cases["1 pass 2x2 max, JPEG out"]["shell loop: ImageMagick convert"] = (
                loop
                + f'{magick} "$f" -statistic Maximum 2x2 -sample 50% -quality 95 {out}/$b.jpg; done'
            )
            chain = " ".join(
                f"-statistic Maximum 2x2 -sample 50% -write {out}/${{b}}_{i}.png" for i in (1, 2)
            )
            cases["3 passes 2x2 max, PNG out each pass"]["shell loop: ImageMagick convert"] = (
                loop
                + f'{magick} "$f" {chain} -statistic Maximum 2x2 -sample 50% {out}/${{b}}_3.png; done'
            )
        if vips:
            cases["1 pass 2x2 max, JPEG out"]["shell loop: vips rank + subsample"] = (
                loop
                + f'vips rank "$f" {out}/t.v 2 2 3 && vips subsample {out}/t.v {out}/$b.jpg[Q=95] 2 2; done'
            )
            steps = []
            source = '"$f"'
            for i in (1, 2, 3):
                steps.append(
                    f"vips rank {source} {out}/t.v 2 2 3 && vips subsample {out}/t.v {out}/${{b}}_{i}.png 2 2"
                )
                source = f"{out}/${{b}}_{i}.png"
            cases["3 passes 2x2 max, PNG out each pass"]["shell loop: vips rank + subsample"] = (
                loop + " && ".join(steps) + "; done"
            )

        header = f"{'case':<38} {'tool':<36} {'median s':>9} {'images/s':>9} {'vs -j 2':>8} {'peak MiB':>9} {'x decoded':>10}"
        print(header)
        for case, tools in cases.items():
            results = {}
            for tool, cmd in tools.items():
                seconds, peak = timed(cmd, Path(tmp), args.repeat, out)
                results[tool] = seconds
                rate = args.count / seconds
                peak_text = (
                    f"{peak:9.0f} {peak / decoded_mb:10.2f}" if peak else f"{'-':>9} {'-':>10}"
                )
                ratio = seconds / results.get("poolimg -j 2", seconds)
                print(f"{case:<38} {tool:<36} {seconds:9.2f} {rate:9.2f} {ratio:8.2f} {peak_text}")
            speedup = results["poolimg -j 1"] / results["poolimg -j 2"]
            print(
                f"{'':<38} -j 2 / -j 1 throughput: {speedup:.2f}x (target >= 1.7x: {'ok' if speedup >= 1.7 else 'MISSED'})\n"
            )


if __name__ == "__main__":
    from common import recorded

    with recorded("batch"):
        main()
