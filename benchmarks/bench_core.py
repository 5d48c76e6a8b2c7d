"""Speed of the pooling core on a 24-megapixel RGB photo, against np.copy and installed peers.

Run by hand: ``python benchmarks/bench_core.py [--repeat N]``. Every figure is the median of
N runs, and every ratio is to ``np.copy`` of the same planar image measured in the same run, so
the figures compare across noisy, shared machines. Peers that are not installed are skipped.
"""

from __future__ import annotations

import argparse
import io

import numpy as np
from common import median_ms, paired_speedup, photo_24mp
from PIL import Image

import poolcli
from poolcli.core.layout import deinterleave, interleave


class Table:
    def __init__(self, baseline_ms: float) -> None:
        self.baseline = baseline_ms
        print(f"{'case':<58} {'median ms':>10} {'x copy':>8}  target")

    def row(self, name: str, ms: float, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"{name:<58} {ms:>10.1f} {ms / self.baseline:>8.2f}  {target}{verdict}")


def sweep_bands(rep: int) -> None:
    """Median ms of the core for band sizes around poolcli.core.kernels.bands.BAND_BYTES."""
    from poolcli.core.kernels import bands

    planar = np.ascontiguousarray(np.asarray(photo_24mp()).transpose(2, 0, 1))
    default = bands.BAND_BYTES
    print(
        "band KiB "
        + " ".join(f"{m}{k}x{k} t1/t2".rjust(16) for m in ("max", "avg") for k in (2, 3))
    )
    for shift in range(17, 24):
        bands.BAND_BYTES = 1 << shift
        cells = []
        for mode in ("max", "avg"):
            for size in (2, 3):
                t1, t2 = (
                    median_ms(
                        lambda m=mode, k=size, t=t: poolcli.pool(
                            planar, m, k, 2, channel_axis=0, threads=t
                        ),
                        rep,
                    )
                    for t in (1, 2)
                )
                cells.append(f"{t1:7.1f}/{t2:<7.1f}".rjust(16))
        mark = "  (default)" if 1 << shift == default else ""
        print(f"{(1 << shift) >> 10:>8} " + " ".join(cells) + mark)
    bands.BAND_BYTES = default


def more_modes(planar: np.ascontiguousarray, rep: int) -> None:
    """The modes and options of issue 11, each against the plain mode it builds on (1 thread).

    Ratios are medians of pairs run back to back (``paired_speedup``), which cancels most of
    a shared machine's drift; times are plain medians.
    """

    def call(mode: str, size: int = 2, stride: int | None = 2, **options: object):  # type: ignore[no-untyped-def]
        if "output_size" in options:  # a pass to a size places its windows itself
            size, stride = 2, None
        return lambda: poolcli.pool(
            planar,
            mode,
            size,
            stride,
            channel_axis=0,
            threads=1,
            **options,  # type: ignore[arg-type]
        )

    table = Table(median_ms(lambda: np.copy(planar), rep))
    print("-- modes and options, 1 thread, 24-MP planar uint8")
    avg, top, avg3 = call("avg"), call("max"), call("avg", 3, 2)
    table.row("avg 2x2 s2 (baseline of sum, lp, stochastic)", median_ms(avg, rep))
    cases = [
        ("sum 2x2 s2", call("sum"), avg, 1.2),
        ("lp p=2 2x2 s2", call("lp"), avg, 4.0),
        ("lp p=3 2x2 s2", call("lp", power=3.0), avg, 4.0),
        ("stochastic 2x2 s2 (training, seeded)", call("stochastic", seed=1), avg, 4.0),
        ("stochastic 2x2 s2 --eval", call("stochastic", evaluate=True), avg, 4.0),
        ("fractional 2x2 ratio 0.7 (no bar)", call("fractional", 2, None, seed=1), avg, 0.0),
        ("max 2x2 s2 return_indices", call("max", return_indices=True), top, 2.0),
        # issue 21: a label map's majority and a median (the photo's channels, each a map)
        ("mode 2x2 s2 (channels together)", call("mode"), avg, 5.0),
        ("median 2x2 s2", call("median"), avg, 5.0),
        ("median 3x3 s2", call("median", 3, 2), avg3, 5.0),
        ("avg to 1024x683 (adaptive)", call("avg", output_size=(683, 1024)), avg, 0.0),
        # issue 22: anti-aliased pooling, its bar within 3x a 2x2 average at the default blur
        ("blurpool blur 3 s2", call("blurpool"), avg, 3.0),
        ("maxblurpool 2x2 blur 3 s2", call("maxblurpool"), avg, 3.0),
        ("blurpool blur 5 s2 (no bar)", call("blurpool", blur=5), avg, 0.0),
        (
            "maxblurpool 2x2 blur 3 s2 --reflect (no bar)",
            call("maxblurpool", reflect=True),
            avg,
            0.0,
        ),
    ]
    # a label map: one 8-bit channel of classes (issue 21's bar: mode 2x2 within 5x average)
    labels = np.ascontiguousarray(planar[:1] // 32)

    def on_labels(mode: str, size: int = 2, stride: int = 2):  # type: ignore[no-untyped-def]
        return lambda: poolcli.pool(labels, mode, size, stride, channel_axis=0, threads=1)

    label_avg = on_labels("avg")
    label_avg3 = on_labels("avg", 3, 2)
    cases += [
        ("label map: mode 2x2 s2", on_labels("mode"), label_avg, 5.0),
        ("label map: median 2x2 s2", on_labels("median"), label_avg, 5.0),
        ("label map: median 3x3 s2", on_labels("median", 3, 2), label_avg3, 5.0),
    ]
    for mode, size, stride in [("max", 3, 1), ("max", 2, 2), ("avg", 3, 2)]:
        plain = call(mode, size, stride)
        cases.append(
            (
                f"{mode} {size}x{size} s{stride} dilation 2",
                call(mode, size, stride, dilation=2),
                plain,
                1.5,
            )
        )
    for name, run, base, limit in cases:
        ratio = paired_speedup(run, base, rep)
        against = {
            id(top): "max",
            id(avg): "avg",
            id(avg3): "avg 3x3 s2",
            id(label_avg): "its avg",
            id(label_avg3): "its avg 3x3 s2",
        }.get(id(base), "undilated")
        target = f"<= {limit}x {against} ({ratio:.2f}x)" if limit else f"({ratio:.2f}x {against})"
        table.row(name, median_ms(run, rep), target, ratio <= limit if limit else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument(
        "--sweep-bands", action="store_true", help="time the core for several band sizes and stop"
    )
    parser.add_argument(
        "--modes", action="store_true", help="time only sum, Lp, stochastic, dilation, indices"
    )
    args = parser.parse_args()
    rep = args.repeat
    if args.sweep_bands:
        sweep_bands(rep)
        return
    if args.modes:
        planar = np.ascontiguousarray(np.asarray(photo_24mp()).transpose(2, 0, 1))
        more_modes(planar, rep)
        return

    image = photo_24mp()
    hwc = np.asarray(image)
    planar = np.ascontiguousarray(hwc.transpose(2, 0, 1))
    print(f"input: 6000x4000 RGB uint8 ({planar.nbytes / 1e6:.0f} MB), numpy {np.__version__}\n")

    copy_ms = median_ms(lambda: np.copy(planar), rep)
    table = Table(copy_ms)
    table.row("np.copy (baseline)", copy_ms)
    dst = np.empty_like(planar)
    from poolcli.core.threads import split_rows

    def copy_two_threads() -> None:  # the same threads as the core's, on two halves of the rows
        split_rows(4000, planar.size, 2, lambda lo, hi: np.copyto(dst[:, lo:hi], planar[:, lo:hi]))

    copy2 = median_ms(copy_two_threads, rep)
    table.row(
        f"np.copyto in 2 threads (memory ceiling: {median_ms(lambda: np.copyto(dst, planar), rep) / copy2:.2f}x)",
        copy2,
    )

    print("\n-- poolcli.pool on planar (C, H, W), channel_axis=0")
    core: dict[tuple[str, int, int], float] = {}
    for threads in (1, 2):
        for mode in ("max", "min", "avg", "stride"):
            for size in (2, 3):
                ms = median_ms(
                    lambda m=mode, k=size, t=threads: poolcli.pool(
                        planar, m, size=k, stride=2, channel_axis=0, threads=t
                    ),
                    rep,
                )
                core[mode, size, threads] = ms
                target, ok = "", None
                if threads == 1 and size == 2 and mode in ("max", "min"):
                    target, ok = "<= 2.0x copy", ms <= 2.0 * copy_ms
                elif threads == 1 and size == 2 and mode == "avg":
                    target, ok = "<= 3.0x copy", ms <= 3.0 * copy_ms
                elif threads == 1 and size == 3 and mode != "stride":
                    two = core[mode, 2, 1]
                    target, ok = f"<= 2x own 2x2 ({ms / two:.2f}x)", ms <= 2 * two
                table.row(f"{mode} {size}x{size} stride 2, threads={threads}", ms, target, ok)

    print("\n-- threads=2 against threads=1, timed in alternation (median of per-pair ratios)")
    for mode in ("max", "min", "avg"):
        for size in (2, 3):
            runs = [
                lambda m=mode, k=size, t=t: poolcli.pool(
                    planar, m, size=k, stride=2, channel_axis=0, threads=t
                )
                for t in (1, 2)
            ]
            speedup = paired_speedup(runs[0], runs[1], rep)
            table.row(
                f"{mode} {size}x{size} stride 2, speed-up of threads=2",
                core[mode, size, 2],
                f">= 1.6x ({speedup:.2f}x)",
                speedup >= 1.6,
            )

    print("\n-- poolcli.pool on interleaved (H, W, C), layout conversion included")
    for mode in ("max", "avg"):
        for threads in (1, 2):
            ms = median_ms(lambda m=mode, t=threads: poolcli.pool(hwc, m, threads=t), rep)
            table.row(f"{mode} 2x2 on (H, W, C), threads={threads}", ms)
    for threads in (1, 2):
        table.row(
            f"  of which (H, W, C) -> planar copy, threads={threads}",
            median_ms(lambda t=threads: deinterleave(hwc, threads=t), rep),
        )
    small = planar[:, ::2, ::2].copy()
    for threads in (1, 2):
        table.row(
            f"  of which planar -> (H, W, C) copy of the 2x2 result, threads={threads}",
            median_ms(lambda t=threads: interleave(small, threads=t), rep),
        )
    table.row(
        "  (numpy's own np.ascontiguousarray(transpose) for that: )",
        median_ms(lambda: np.ascontiguousarray(small.transpose(1, 2, 0)), rep),
    )

    print("\n-- getting pixels out of and into Pillow (24-MP RGB)")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()

    def decode() -> Image.Image:
        with Image.open(io.BytesIO(jpeg)) as im:
            im.load()
            return im

    decoded = decode()
    table.row("JPEG decode (Pillow)", median_ms(decode, rep))
    table.row("np.asarray(image) (H, W, 3)", median_ms(lambda: np.asarray(decoded), rep))
    table.row("Image.fromarray((H, W, 3))", median_ms(lambda: Image.fromarray(hwc), rep))

    print("\n-- peers, same photo")
    table.row("Pillow reduce(2) (avg 2x2)", median_ms(lambda: image.reduce(2), rep))
    try:
        import cv2

        cv2.setNumThreads(1)
        kernel = np.ones((2, 2), np.uint8)
        table.row(
            "OpenCV dilate 2x2 + [::2, ::2] (max), 1 thread",
            median_ms(lambda: cv2.dilate(hwc, kernel)[::2, ::2].copy(), rep),  # noqa: PLW0108,
        )
        table.row(
            "OpenCV resize INTER_AREA 1/2 (avg), 1 thread",
            median_ms(lambda: cv2.resize(hwc, (3000, 2000), interpolation=cv2.INTER_AREA), rep),
        )
    except ImportError:
        print("(OpenCV not installed: pip install opencv-python-headless)")
    try:
        import torch

        torch.set_num_threads(1)
        tensor = torch.from_numpy(planar)[None].float()
        table.row(
            "PyTorch max_pool2d 2x2 (float32 input), 1 thread",
            median_ms(lambda: torch.nn.functional.max_pool2d(tensor, 2), max(3, rep // 3)),
        )
    except ImportError:
        print("(PyTorch not installed: pip install torch==2.13.0)")
    try:
        from skimage.measure import block_reduce

        table.row(
            "scikit-image block_reduce (2, 2, 1) np.max",
            median_ms(lambda: block_reduce(hwc, (2, 2, 1), np.max), 3),
        )
    except ImportError:
        print("(scikit-image not installed: pip install scikit-image)")
    table.row(
        "naive numpy reshape(...).max(axis=(1, 3)) on (H, W, C)",
        median_ms(lambda: hwc.reshape(2000, 2, 3000, 2, 3).max(axis=(1, 3)), 3),
    )


if __name__ == "__main__":
    import sys

    from common import recorded

    with recorded("core-modes" if "--modes" in sys.argv else "core"):
        main()
