"""What a decoded image is: planar frames in a pooling mode and the metadata worth keeping
(:class:`Picture`), and a palette image's colours when its indices are pooled (:class:`Palette`).
numpy only; :mod:`poolcli.io.reading` makes them, :mod:`poolcli.io.writing` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Palette:
    """The colours of a palette image whose indices are pooled (a label map in mode ``P``).

    ``mode`` is the palette's entries (``RGB`` or ``RGBA``), ``colours`` their bytes, and
    ``transparency`` Pillow's: the index drawn clear, or a byte of alpha for each index.
    """

    mode: str
    colours: bytes
    transparency: int | bytes | None = None

    def lookup(self, indices: np.ndarray) -> tuple[np.ndarray, str]:
        """Planar ``(C, H, W)`` colours of a ``(1, H, W)`` plane of indices, and their mode
        (RGBA when any index is drawn clear)."""
        width = len(self.mode)
        table = np.zeros((256, 4), np.uint8)
        entries = np.frombuffer(self.colours, np.uint8)[: 256 * width].reshape(-1, width)
        table[: len(entries), :width] = entries
        if width == 3:
            table[:, 3] = 255
        if isinstance(self.transparency, int) and 0 <= self.transparency < 256:
            table[self.transparency, 3] = 0
        elif isinstance(self.transparency, bytes):
            alpha = np.frombuffer(self.transparency, np.uint8)[:256]
            table[: len(alpha), 3] = alpha
        clear = width == 4 or self.transparency is not None
        colours = np.moveaxis(table[indices[0]], -1, 0)
        return (colours, "RGBA") if clear else (colours[:3], "RGB")


@dataclass(frozen=True)
class Picture:
    """A decoded image ready for pooling.

    Attributes
    ----------
    frames : list of ndarray
        Planar ``(C, H, W)`` pixels, one array per frame (one for a still image).
    mode : str
        Pillow mode of the pixels: L, LA, RGB, RGBA, CMYK (uint8), I;16 (uint16), I (int32)
        or F (float32).
    name : str
        The file as the user named it, for messages ("-" for standard input: "<stdin>").
    format : str or None
        Pillow's name of the source format (JPEG, PNG, ...).
    durations : list of int or None
        Display time of each frame in ms, for animations.
    notes : tuple of str
        What the decoder warned of, one line each, naming the file.
    palette : Palette or None
        For mode ``P`` (a still palette image read with ``palette=True``): the colours of
        the indices in ``frames``.
    """

    frames: list[np.ndarray]
    mode: str
    name: str = "<image>"
    format: str | None = None
    durations: list[int] | None = None
    loop: int | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    dpi: tuple[float, float] | None = None
    notes: tuple[str, ...] = ()
    palette: Palette | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return (self.frames[0].shape[2], self.frames[0].shape[1])

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("LA", "RGBA")

    def viewable(self) -> tuple[np.ndarray, str]:
        """The first frame as colours a sheet can draw, and their mode: a palette image's
        indices looked up, any other frame as it is."""
        if self.palette is None:
            return self.frames[0], self.mode
        return self.palette.lookup(self.frames[0])

    def with_frames(self, frames: list[np.ndarray]) -> Picture:
        """The same picture with new (pooled) frames; DPI scaled by how much they shrank."""
        dpi = scaled_dpi(self.dpi, self.size, frames[0].shape)
        return replace(self, frames=frames, dpi=dpi)

    def with_slices(self, frames: list[np.ndarray], windows: list[tuple[int, int]]) -> Picture:
        """The picture with frames pooled across (:meth:`with_frames`), frame ``j`` from the
        input frames of ``windows[j]`` (start, end) and standing for those up to the next
        window's start: an animation's frame lasts as long as they did, the last one the
        rest, so the running time is kept.

        >>> p = Picture([np.zeros((1, 2, 2), np.uint8)] * 5, "L", "a.gif", durations=[10] * 5)
        >>> p.with_slices([np.zeros((1, 1, 1), np.uint8)] * 2, [(0, 2), (2, 4)]).durations
        [20, 30]
        """
        pooled = self.with_frames(frames)
        if self.durations is None:
            return pooled
        starts = [start for start, _ in windows]
        ends = [*starts[1:], len(self.durations)]
        durations = [sum(self.durations[a:b]) for a, b in zip(starts, ends, strict=True)]
        return replace(pooled, durations=durations)


def scaled_dpi(
    dpi: tuple[float, float] | None, size: tuple[int, int], shape: tuple[int, ...]
) -> tuple[float, float] | None:
    """The DPI of a picture of ``size`` (width, height) pooled to frames of ``shape``
    (C, H, W): a print of the pass is as large as a print of the image.

    >>> scaled_dpi((300.0, 300.0), (400, 200), (3, 100, 100))
    (75.0, 150.0)
    """
    if dpi is None:
        return None
    width, height = size
    return (dpi[0] * shape[2] / width, dpi[1] * shape[1] / height)
