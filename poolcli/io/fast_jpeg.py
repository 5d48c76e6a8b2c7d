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

from poolcli.io.pixels import UPRIGHT, turned_upright

decoder: Any
try:
    import simplejpeg as decoder  # type: ignore[import-untyped, no-redef]
except ImportError:  # the extra is not installed: Pillow decodes every JPEG
    decoder = None


def decode_planar(
    handle: IO[bytes], mode: str, size: tuple[int, int], orientation: int
) -> np.ndarray | None:
    """The upright planar ``(C, H, W)`` pixels of a JPEG that Pillow opened as ``mode`` and
    ``size`` (its header's), or None where Pillow should decode it.

    RGB comes back as a view of 4-bytes-a-pixel memory, the layout of Pillow's own storage
    that the first pooling pass reads in place; a turned photo is copied upright
    (:func:`~poolcli.io.pixels.turned_upright`), as Pillow's ``exif_transpose`` copies it.
    """
    if decoder is None or mode not in ("RGB", "L") or orientation not in UPRIGHT:
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
    if orientation != 1:
        pixels = turned_upright(pixels, orientation)
    planes = pixels.transpose(2, 0, 1)
    return planes[:3] if mode == "RGB" else planes
