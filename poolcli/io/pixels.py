"""Between Pillow images and planar numpy arrays, without copying where Pillow allows it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
from PIL import Image

from poolcli.core.layout import deinterleave, interleave
from poolcli.io.arrowview import arrow_view

# Pooling modes: the Pillow modes whose channels are pooled as they are, with where each
# channel sits in Pillow's 4-bytes-a-pixel storage (None: single band, one value a pixel).
CHANNELS: dict[str, list[int] | None] = {
    "L": None,
    "LA": [0, 3],
    "RGB": [0, 1, 2],
    "RGBA": [0, 1, 2, 3],
    "CMYK": [0, 1, 2, 3],
    "I;16": None,
    "I": None,
    "F": None,
    "P": None,  # palette indices, kept by the modes that keep whole pixels (PALETTE_MODES)
}


_SINGLE_DTYPES = {"L": np.uint8, "I;16": np.uint16, "I": np.int32, "F": np.float32, "P": np.uint8}


def bytes_per_pixel(mode: str) -> int:
    """Bytes a pixel of pooling mode ``mode`` takes once decoded, as :func:`to_planar` holds it.

    >>> bytes_per_pixel("RGBA"), bytes_per_pixel("I;16"), bytes_per_pixel("F")
    (4, 2, 4)
    """
    layout = CHANNELS[mode]
    return len(layout) if layout is not None else np.dtype(_SINGLE_DTYPES[mode]).itemsize


@contextlib.contextmanager
def one_block_images() -> Iterator[None]:
    """Make Pillow allocate each new image as one memory block, so it can be read zero-copy.

    Pillow's default allocator stores large images in 16 MiB blocks, which its Arrow export
    refuses; the setting is global, so it is restored on the way out.
    """
    core: Any = getattr(Image, "core")  # noqa: B009 (not in Pillow's type stubs)
    previous = core.get_use_block_allocator()
    core.set_use_block_allocator(1)
    try:
        yield
    finally:
        core.set_use_block_allocator(previous)


# EXIF orientation -> what makes pixels upright: "t" swaps rows and columns, "r" reverses the
# rows, "c" the columns, in that order (as ImageOps.exif_transpose turns them).
UPRIGHT = {1: "", 2: "c", 3: "rc", 4: "r", 5: "t", 6: "tc", 7: "rct", 8: "tr"}

_TILE = 256  # pixels a side of the tiles a turned copy is made in


def turned_upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Interleaved ``(H, W, C)`` pixels of up to 4 bytes turned as EXIF ``orientation`` says,
    as one contiguous copy of the same layout. Each pixel moves as one word (4 bytes of RGBX
    at once, not a channel at a time), a tile at a time so reads and writes stay in cache: a
    quarter turn of a 24-MP photo in about 55 ms, where a plain copy of the turned view takes
    350 and Pillow's ``transpose`` 160.

    >>> turned_upright(np.arange(6, dtype=np.uint8).reshape(2, 3, 1), 6)[..., 0].tolist()
    [[3, 0], [4, 1], [5, 2]]
    """
    rows, cols, depth = pixels.shape
    word = {1: np.uint8, 2: np.uint16, 4: np.uint32}[depth * pixels.itemsize]
    view = np.ascontiguousarray(pixels).view(word).reshape(rows, cols)
    for step in UPRIGHT[orientation]:
        view = view.T if step == "t" else view[::-1] if step == "r" else view[:, ::-1]
    turned = np.empty(view.shape, word)
    for top in range(0, view.shape[0], _TILE):
        for left in range(0, view.shape[1], _TILE):
            tile = (slice(top, top + _TILE), slice(left, left + _TILE))
            turned[tile] = view[tile]
    return turned.view(pixels.dtype).reshape(*view.shape, depth)


def to_planar(image: Image.Image) -> np.ndarray:
    """The pixels of an image in a pooling mode as a planar ``(C, H, W)`` array.

    A read-only view of Pillow's own storage, read through its Arrow export: no copy. For a
    multiband image the view steps 4 bytes from pixel to pixel, and the first pooling pass
    reads it in place (faster than copying it to contiguous planes first, and 72 MB less at
    the peak for a 24-MP photo; see benchmarks/bench_images.py). Falls back to a copy via
    ``np.asarray`` where there is no export.
    """
    width, height = image.size
    layout = CHANNELS[image.mode]
    view = arrow_view(image)
    if view is None:  # Pillow without Arrow, or an image in several blocks
        pixels = np.asarray(image)
        return pixels.reshape(1, height, width) if layout is None else deinterleave(pixels)
    if layout is None:
        return view.view(_SINGLE_DTYPES[image.mode]).reshape(1, height, width)
    planes = view.reshape(height, width, 4).transpose(2, 0, 1)
    step = layout[1] - layout[0]  # RGB, RGBA, CMYK: 0, 1, 2(, 3); LA: 0, 3
    return planes[layout[0] : layout[-1] + 1 : step]


def sixteen_to_eight(values: np.ndarray) -> np.ndarray:
    """16-bit values to the nearest 8-bit ones (v / 257, rounded; never a tie).

    >>> sixteen_to_eight(np.array([0, 128, 129, 65535], np.uint16))
    array([  0,   0,   1, 255], dtype=uint8)
    """
    return ((values.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def to_image(planar: np.ndarray, mode: str, threads: int | None = None) -> Image.Image:
    """A Pillow image of planar ``(C, H, W)`` pixels in a pooling mode.

    Single-band images share the array's memory; multiband ones are interleaved once into
    Pillow's 4-bytes-a-pixel layout, which Pillow then maps without copying.
    """
    height, width = planar.shape[1:]
    layout = CHANNELS[mode]
    if layout is None:
        plane = np.ascontiguousarray(planar[0], dtype=_SINGLE_DTYPES[mode])
        if mode in ("L", "I;16", "P"):
            return Image.frombuffer(mode, (width, height), plane, "raw", mode, 0, 1)
        return Image.fromarray(plane, mode)
    if mode == "LA":
        bands = [to_image(planar[i : i + 1], "L") for i in range(2)]
        return Image.merge("LA", bands)
    storage = np.empty((height, width, 4), np.uint8)
    interleave(planar, storage, threads)
    if mode == "RGB":
        # The fourth byte is padding that no encoder reads; an RGBX image is RGB to Pillow.
        return Image.frombuffer("RGBX", (width, height), storage, "raw", "RGBX", 0, 1)
    return Image.frombuffer(mode, (width, height), storage, "raw", mode, 0, 1)
