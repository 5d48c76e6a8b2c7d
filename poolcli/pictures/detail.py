"""The detail of a sheet: a region of the original shown at 1:1, and the same region of every
pass, enlarged by whole factors so its pooled pixels are crisp squares.

A 24-MP photo in a 512-pixel cell is shown at a twelfth of its size, so the original and its
first passes (half, a quarter, an eighth of it) look the same there; what pooling did is only
visible at the scale of single pixels. ``--crop auto`` (the default) adds the detail when the
original is shown at half its size or less, where a first pass stops looking different, and
picks the region with the most fine detail; ``--crop X,Y,W,H`` names one; ``--crop none``
leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from poolcli.errors import ParameterError
from poolcli.spec.style import SheetStyle

# The frame drawn round the region on the whole picture: a light line inside a dark one, seen
# on dark and light photos alike.
FRAME_LIGHT = (255, 214, 0)
FRAME_DARK = (0, 0, 0)


@dataclass(frozen=True)
class Region:
    """A rectangle of the original, in its pixels: ``x``, ``y`` its top left corner."""

    x: int
    y: int
    width: int
    height: int

    def text(self) -> str:
        """``512x341 at 2816,1520``, as labels show it."""
        return f"{self.width}x{self.height} at {self.x},{self.y}"

    def within(self, shape: tuple[int, int], of: tuple[int, int]) -> tuple[slice, slice]:
        """The rows and columns of the same region in an image of ``shape`` (rows, cols) made
        from the original of shape ``of``: scaled by their ratio, widened to whole pixels,
        never empty.

        >>> Region(10, 20, 8, 6).within((50, 25), (100, 50))
        (slice(10, 13, None), slice(5, 9, None))
        """
        (rows, cols), (height, width) = shape, of

        def axis(start: int, length: int, out: int, full: int) -> slice:
            first = min(start * out // full, out - 1)
            last = -(-(start + length) * out // full)  # ceiling
            return slice(first, min(out, max(first + 1, last)))

        return axis(self.y, self.height, rows, height), axis(self.x, self.width, cols, width)


# The region is chosen on a grid of blocks, a quarter of its side each: fine enough to centre
# the detail, coarse enough that a 24-MP photo is measured in one sweep of bands.
_BLOCKS = 4


def busiest(planar: np.ndarray, width: int, height: int) -> Region:
    """The ``width`` x ``height`` region (cut to the image) with the most fine detail: the
    largest sum of absolute differences between neighbouring pixels, measured on the green
    channel (the grey one, or the first). Each 2x2 cell gives its top-left pixel's difference
    from its right and lower neighbours, so a quarter of the pixels are read, a band of rows at
    a time: a 24-MP photo costs a few megabytes and a few tens of milliseconds.

    >>> flat = np.zeros((1, 40, 60), np.uint8)
    >>> flat[0, 24:32, 40:48] = np.indices((8, 8)).sum(axis=0) % 2 * 255  # a checkerboard
    >>> busiest(flat, 16, 12)
    Region(x=36, y=22, width=16, height=12)
    """
    rows, cols = planar.shape[1:]
    width, height = max(1, min(width, cols)), max(1, min(height, rows))
    channel = planar[1] if planar.shape[0] >= 3 else planar[0]
    # blocks of a quarter of the region's side, in 2x2 cells
    # (at most about 500 of them down a picture: a tiny region is placed more coarsely)
    across = max(1, width // (2 * _BLOCKS), cols // 1000)
    down = max(1, height // (2 * _BLOCKS), rows // 1000)
    cells_y, cells_x = max(1, (rows - 1) // 2), max(1, (cols - 1) // 2)
    blocks_x, blocks_y = max(1, cells_x // across), max(1, cells_y // down)
    exact = channel.dtype.kind in "ub" and channel.dtype.itemsize <= 2
    energy = np.zeros((blocks_y, blocks_x), np.float64)
    wide = blocks_x * across
    for band in range(blocks_y):
        top = 2 * band * down
        values = channel[top : top + 2 * down + 1, : 2 * wide + 1]
        values = values.astype(np.int32) if exact else np.nan_to_num(values.astype(np.float32))
        corner = values[0 : 2 * down : 2, 0 : 2 * wide : 2]
        right, below = values[0 : 2 * down : 2, 1::2], values[1::2, 0 : 2 * wide : 2]
        high = min(corner.shape[0], below.shape[0])
        cells = min(corner.shape[1], right.shape[1])
        part = corner[:high, :cells]
        change = np.abs(part - right[:high, :cells]) + np.abs(part - below[:high, :cells])
        per_column = np.zeros(wide)
        per_column[:cells] = change.sum(axis=0)
        energy[band] = per_column.reshape(blocks_x, across).sum(axis=1)
    down, across = 2 * down, 2 * across  # blocks in pixels, from here on
    span_y, span_x = min(blocks_y, -(-height // down)), min(blocks_x, -(-width // across))
    summed = np.zeros((blocks_y + 1, blocks_x + 1))
    summed[1:, 1:] = energy.cumsum(0).cumsum(1)
    windows = (
        summed[span_y:, span_x:]
        - summed[:-span_y, span_x:]
        - summed[span_y:, :-span_x]
        + summed[:-span_y, :-span_x]
    )
    # of windows holding the same detail (a small busy patch in a flat picture), the middle
    by, bx = np.unravel_index(int(np.argmax(windows)), windows.shape)
    ties = np.argwhere(windows == windows[by, bx])
    middle = np.floor(np.median(ties, axis=0) + 0.5).astype(int)
    if windows[middle[0], middle[1]] == windows[by, bx]:
        by, bx = middle
    x = min(int(bx) * across, cols - width)
    y = min(int(by) * down, rows - height)
    return Region(x, y, width, height)


def region_for(planar: np.ndarray, style: SheetStyle, shown: tuple[int, int]) -> Region | None:
    """The detail of a sheet of ``planar`` whose original cell is ``shown`` (width, height)
    pixels: the region ``style.crop`` names, the busiest region of that size at 1:1 when it is
    ``auto`` and the original is shown at half its size or less, or none.

    Raises
    ------
    ParameterError
        A named region is not inside the image.
    """
    rows, cols = planar.shape[1:]
    if style.crop == "none":
        return None
    if style.crop == "auto":
        if shown[0] * 2 > cols and shown[1] * 2 > rows:
            return None  # shown at more than half its size: a first pass already differs
        return busiest(planar, shown[0], shown[1])
    x, y, width, height = style.crop
    if x + width > cols or y + height > rows:
        raise ParameterError(
            f"--crop {x},{y},{width},{height} is not inside the {cols}x{rows} image"
        )
    return Region(x, y, width, height)


def scaled(image: Image.Image, scale: float) -> tuple[Image.Image, str]:
    """``image`` enlarged by ``scale`` rounded to a whole factor (nearest-neighbour: crisp
    squares), or, below 1, shrunk by it with a box filter; and the scale as labels show it.

    >>> [text for _, text in (scaled(Image.new("L", (4, 4)), s) for s in (3.9, 1.2, 0.4))]
    ['x4', '1:1', '1:2.5']
    """
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        return image.resize(size, Image.Resampling.BOX), f"1:{1 / scale:.3g}"
    factor = max(1, round(scale))
    if factor == 1:
        return image, "1:1"
    size = (image.width * factor, image.height * factor)
    return image.resize(size, Image.Resampling.NEAREST), f"x{factor}"


def frame(image: Image.Image, region: Region, scale: float) -> Image.Image:
    """``image`` (the whole original at ``scale``) with ``region`` framed, at least a few
    pixels wide so a small region still shows."""
    framed = image.copy()
    draw = ImageDraw.Draw(framed)
    left, top = round(region.x * scale), round(region.y * scale)
    right = max(left + 3, round((region.x + region.width) * scale) - 1)
    bottom = max(top + 3, round((region.y + region.height) * scale) - 1)
    draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), outline=FRAME_DARK, width=1)
    draw.rectangle((left, top, right, bottom), outline=FRAME_LIGHT, width=2)
    return framed
