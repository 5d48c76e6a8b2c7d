"""The pixels of a cell of a sheet or grid: planar values made an 8-bit picture (deep values
stretched, alpha kept for a checkerboard), copies reduced by the core's own average pooling,
and the original and passes fitted to a cell (whole factors up, box filter down).

Pillow and numpy only; what the cells are and where they go is :mod:`poolcli.pictures.sheet`'s.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from poolcli.io.deep_encoders import is_deep
from poolcli.io.pixels import sixteen_to_eight, to_image
from poolcli.spec.style import SheetStyle


def display(
    planar: np.ndarray, mode: str, background: tuple[int, int, int], *, keep_alpha: bool = False
) -> Image.Image:
    """An 8-bit RGB picture of planar pixels: alpha over ``background`` (``keep_alpha``: an
    RGBA picture, to be put on a checkerboard once sized), deep values scaled."""
    if is_deep(planar, mode):  # sums and Lp norms: stretched so the largest value is white
        values = np.nan_to_num(planar.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        top = float(values.max()) if values.size else 0.0
        scaled = np.floor(values * (255.0 / top) + 0.5) if top > 0 else values * 0
        eight = np.clip(scaled, 0, 255).astype(np.uint8)
        if mode in ("I;16", "I", "F"):
            mode = "L"
        if mode in ("LA", "RGBA"):  # alpha is summed too: show the colour opaque
            eight, mode = eight[:-1], "RGB" if mode == "RGBA" else "L"
        return to_image(eight, mode).convert("RGB")
    if mode == "I;16":
        return Image.fromarray(sixteen_to_eight(planar[0])).convert("RGB")
    if mode in ("I", "F"):  # no fixed range: stretch what is there (NaN and infinities black)
        values = planar[0].astype(np.float64)
        finite = np.isfinite(values)
        low = float(values[finite].min()) if finite.any() else 0.0
        high = float(values[finite].max()) if finite.any() else 0.0
        values = np.where(finite, values, low)
        values = (values - low) * (255.0 / (high - low)) if high > low else values * 0
        grey = np.clip(np.floor(values + 0.5), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    image = to_image(planar, mode)
    if mode in ("LA", "RGBA") and keep_alpha:
        return image.convert("RGBA")
    if mode in ("LA", "RGBA"):
        flat = Image.new("RGB", image.size, background)
        flat.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return flat
    return image.convert("RGB")


# The squares transparent pixels are shown over, as image editors show them: screen pixels a
# side, and their two greys.
CHECK = 8
CHECK_GREYS = ((102, 102, 102), (153, 153, 153))


def on_checks(image: Image.Image) -> Image.Image:
    """An RGBA picture over a checkerboard of :data:`CHECK`-pixel squares (in screen pixels,
    whatever the picture's enlargement), so transparency never looks like the background;
    any other picture as it is."""
    if image.mode != "RGBA":
        return image
    rows, cols = np.indices((image.height, image.width))
    dark = ((rows // CHECK + cols // CHECK) % 2).astype(bool)
    checks = np.where(dark[..., None], CHECK_GREYS[0], CHECK_GREYS[1]).astype(np.uint8)
    board = Image.fromarray(checks, "RGB")
    board.paste(image, mask=image.getchannel("A"))
    return board


def reduced(planar: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``planar`` averaged over whole blocks (poolcli's own average pooling) down to about
    twice ``size`` (width, height), what a box filter would do first: a cell of a 100-MP
    photo is drawn from a few megabytes, never from a full-size Pillow copy (two of them,
    RGBX then RGB, cost a gigabyte). Rows and columns past the last whole block are left out:
    less than a block, below a screen pixel of the cell.

    >>> reduced(np.arange(16, dtype=np.uint8).reshape(1, 4, 4), (1, 1))
    array([[[ 3,  5],
            [11, 13]]], dtype=uint8)
    """
    from poolcli.core.pooling import pool

    height, width = planar.shape[1:]
    down = max(1, height // (2 * max(1, size[1])))
    across = max(1, width // (2 * max(1, size[0])))
    if down == across == 1:
        return planar
    shrunk: np.ndarray = pool(planar, "avg", (down, across), channel_axis=0)
    return shrunk


def drawn_at(
    planar: np.ndarray, mode: str, background: tuple[int, int, int], ratio: float
) -> Image.Image:
    """``planar`` drawn at ``ratio`` of its size (alpha kept, for a checkerboard), with a box
    filter from its :func:`reduced` copy, whose whole blocks may have squeezed one side more
    than the other (640x427 to a 160-pixel cell: columns halved, rows not): the picture is
    drawn at the image's own shape, whatever the copy's."""
    height, width = planar.shape[1:]
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    image = display(reduced(planar, size), mode, background, keep_alpha=True)
    return image if image.size == size else image.resize(size, Image.Resampling.BOX)


def fit_pass(image: Image.Image, height: int, style: SheetStyle, scale: float) -> Image.Image:
    """A pass sized for a cell ``height`` pixels high (the original cell's height).

    ``fit``: a pass no higher than the cell is enlarged by the largest whole factor that
    keeps it within, with nearest-neighbour, so every pooled pixel is a crisp square block; a
    higher one is shrunk to the cell's height with a box filter (its blocks are smaller than
    a screen pixel then). ``true``: resized by ``scale``, the original's own display scale.
    """
    width_px, height_px = image.size
    if style.scale == "true":
        size = (max(1, round(width_px * scale)), max(1, round(height_px * scale)))
        method = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.BOX
        return image.resize(size, method) if size != image.size else image
    if height_px <= height:
        factor = max(1, height // height_px)
        size = (width_px * factor, height_px * factor)
        return image.resize(size, Image.Resampling.NEAREST) if factor > 1 else image
    size = (max(1, round(width_px * height / height_px)), height)
    return image.resize(size, Image.Resampling.BOX)
