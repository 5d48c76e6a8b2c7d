"""Getting a 24-MP photo's pixels out of Pillow and back: decode, to-array, from-array, encode.

Run by hand: ``python benchmarks/bench_images.py [--repeat N]``. Medians of N runs, in the same
run as the JPEG decode they are compared with. Target: to-array plus from-array at most 0.5x
the JPEG decode time.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable

import numpy as np
from common import SAMPLES, median_ms
from PIL import Image

from poolcli import pool
from poolcli.core.layout import deinterleave
from poolcli.io.picture import Picture
from poolcli.io.pixels import one_block_images, to_image, to_planar
from poolcli.io.writing import encode


def fast_jpeg(
    data: bytes, decoded: Image.Image, rep: int, row: Callable[[str, float], None]
) -> None:
    """The optional decoder of poolimg[fast] (simplejpeg), straight to the planar view the
    first pass reads, against Pillow; and whether its pixels are Pillow's."""
    from poolcli.io import fast_jpeg

    if fast_jpeg.decoder is None:
        print("(simplejpeg not installed: pip install '.[fast]')")
        return
    size = decoded.size

    def fast() -> np.ndarray | None:
        return fast_jpeg.decode_planar(io.BytesIO(data), "RGB", size, 1)

    planes = fast()
    assert planes is not None
    same = np.array_equal(planes, to_planar(decoded))
    row(f"decode (simplejpeg, poolimg[fast]; same pixels: {same})", median_ms(fast, rep))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    rep = parser.parse_args().repeat

    with Image.open(SAMPLES / "coffee.png") as im:
        photo = im.convert("RGB").resize((6000, 4000), Image.Resampling.BICUBIC)
    encoded = {}
    for fmt, args in (("JPEG", {"quality": 90}), ("PNG", {"compress_level": 1})):
        buf = io.BytesIO()
        photo.save(buf, fmt, **args)
        encoded[fmt] = buf.getvalue()
    print("input: coffee.png upscaled to 6000x4000 RGB (24 MP)\n")
    print(f"{'stage':<52} {'median ms':>10} {'x JPEG decode':>14}")

    def decode(fmt: str) -> Image.Image:
        with one_block_images():
            image = Image.open(io.BytesIO(encoded[fmt]))
            image.load()
        return image

    jpeg_decode = median_ms(lambda: decode("JPEG"), rep)

    def row(name: str, ms: float) -> None:
        print(f"{name:<52} {ms:>10.1f} {ms / jpeg_decode:>14.2f}")

    for fmt in ("JPEG", "PNG"):
        print(f"-- {fmt} ({len(encoded[fmt]) / 1e6:.1f} MB)")
        decoded = decode(fmt)
        row(
            "decode (Pillow, one-block allocation)",
            jpeg_decode if fmt == "JPEG" else median_ms(lambda f=fmt: decode(f), rep),
        )
        if fmt == "JPEG":
            fast_jpeg(encoded["JPEG"], decoded, rep, row)
        view = to_planar(decoded)
        planar = np.ascontiguousarray(view)
        to_ms = median_ms(lambda d=decoded: to_planar(d), rep)
        row("to-array: planar view of Pillow's storage (Arrow)", to_ms)
        for threads in (1, 2):
            from_ms = median_ms(lambda t=threads, p=planar: to_image(p, "RGB", t), rep)
            verdict = "ok" if to_ms + from_ms <= 0.5 * jpeg_decode else "MISSED"
            row(f"from-array: RGBX interleave + frombuffer, threads={threads}", from_ms)
            row(f"  to + from, threads={threads} (target <= 0.5x: {verdict})", to_ms + from_ms)
        if fmt == "JPEG":
            for mode in ("max", "avg"):
                for k in (2, 3):
                    in_place = median_ms(
                        lambda m=mode, k=k, v=view: pool(v, m, k, 2, channel_axis=0, threads=1), rep
                    )
                    copied = median_ms(
                        lambda m=mode, k=k, v=view: pool(
                            deinterleave(v.transpose(1, 2, 0), threads=1),
                            m,
                            k,
                            2,
                            channel_axis=0,
                            threads=1,
                        ),
                        rep,
                    )
                    row(f"first pass {mode} {k}x{k}/2 from the view, threads=1", in_place)
                    row("  vs copy to contiguous planes first, threads=1", copied)
        row("  for comparison: np.asarray(image)", median_ms(lambda d=decoded: np.asarray(d), rep))
        hwc = np.ascontiguousarray(planar.transpose(1, 2, 0))
        row(
            "  for comparison: Image.fromarray((H, W, 3))",
            median_ms(lambda a=hwc: Image.fromarray(a), rep),
        )
        image = to_image(planar, "RGB")
        picture = Picture([planar], "RGB")
        if fmt == "JPEG":
            frames, args, _ = encode(picture, "JPEG")
            row(
                "encode JPEG q95 4:4:4 (poolimg default)",
                median_ms(
                    lambda f=frames[0], a=args: f.save(io.BytesIO(), "JPEG", **a), max(3, rep // 2)
                ),
            )
            row(
                "encode JPEG q75 4:2:0 (Pillow default)",
                median_ms(lambda i=image: i.save(io.BytesIO(), "JPEG"), max(3, rep // 2)),
            )
        else:
            rgb = image.convert("RGB")
            for level in (1, 6):
                row(
                    f"encode PNG compress_level={level}",
                    median_ms(
                        lambda v=level, i=rgb: i.save(io.BytesIO(), "PNG", compress_level=v), 3
                    ),
                )


if __name__ == "__main__":
    from common import recorded

    with recorded("images"):
        main()
