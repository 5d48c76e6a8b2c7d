"""The optional fast path for JPEG: decoding with simplejpeg (``pip install "poolimg[fast]"``).

simplejpeg and Pillow both decode with libjpeg-turbo (accurate integer IDCT, smooth chroma
upsampling), so the pixels are the same, and simplejpeg takes about 0.55x Pillow's time on a
24-MP photo (``benchmarks/bench_images.py``): it decodes straight into one array, where
Pillow goes through its line buffers. Pillow still reads the header, the metadata and the
orientation, and decodes everything this module declines: other formats, CMYK, animations,
and any file libjpeg-turbo warns about, so that Pillow's own messages describe it.
"""

from __future__ import annotations

from typing import IO, Any

import numpy as np

decoder: Any
try:
    import simplejpeg as decoder  # type: ignore[import-untyped, no-redef]
except ImportError:  # the extra is not installed: Pillow decodes every JPEG
    decoder = None

# EXIF orientation -> the array operations that make the image upright, on (H, W, C):
# "t" swaps rows and columns, "r" reverses the rows, "c" reverses the columns.
_UPRIGHT = {1: "", 2: "c", 3: "rc", 4: "r", 5: "t", 6: "tc", 7: "rct", 8: "tr"}


def decode_planar(
    handle: IO[bytes], mode: str, size: tuple[int, int], orientation: int
) -> np.ndarray | None:
    """The upright planar ``(C, H, W)`` pixels of a JPEG that Pillow opened as ``mode`` and
    ``size`` (its header's), or None where Pillow should decode it.

    RGB comes back as a view of 4-bytes-a-pixel memory, the layout of Pillow's own storage
    that the first pooling pass reads in place; a turned photo is copied upright, as Pillow's
    ``exif_transpose`` copies it.
    """
    if decoder is None or mode not in ("RGB", "L") or orientation not in _UPRIGHT:
        return None
    handle.seek(0)
    data = handle.read()
    try:
        # strict: a warning (corrupt data, a truncated file) raises, and Pillow takes over
        pixels: np.ndarray = decoder.decode_jpeg(
            data, colorspace="RGBX" if mode == "RGB" else "GRAY"
        )
    except ValueError:
        return None
    if pixels.shape[1::-1] != size:
        return None
    for step in _UPRIGHT[orientation]:
        if step == "t":
            pixels = pixels.transpose(1, 0, 2)
        elif step == "r":
            pixels = pixels[::-1]
        else:
            pixels = pixels[:, ::-1]
    if orientation != 1:
        pixels = np.ascontiguousarray(pixels)
    planes = pixels.transpose(2, 0, 1)
    return planes[:3] if mode == "RGB" else planes
