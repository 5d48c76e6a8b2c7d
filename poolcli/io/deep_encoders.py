"""Encoding pixels deeper than Pillow's modes: 16-bit colour PNG, 32-bit TIFF.

numpy, zlib and struct only. Pillow holds 16-bit and 32-bit values in one channel alone (its
I;16, I and F modes), but sums and Lp norms of colour photos need three or four such channels.
:func:`fit_deep` brings sums and Lp values to what a format can hold (counting what it clips);
:func:`png16` and :func:`tiff32` write the two lossless ones, with the format's smallest
baseline structure (one IDAT of unfiltered rows; one uncompressed strip a page) that every
reader takes; :class:`Tiff32Pages` writes a TIFF's pages as they come.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from typing import IO

import numpy as np

# PNG colour type and TIFF photometric interpretation by Pillow mode of the source.
PNG_COLOUR = {"L": 0, "LA": 4, "RGB": 2, "RGBA": 6, "I;16": 0, "I": 0, "F": 0}
TIFF_PHOTOMETRIC = {"L": 1, "LA": 1, "I;16": 1, "I": 1, "F": 1, "RGB": 2, "RGBA": 2, "CMYK": 5}

# What each target holds: (numpy type, lowest, highest).
_RANGES: dict[str, tuple[np.dtype, int | None, int | None]] = {
    "PNG": (np.dtype(">u2"), 0, 65535),
    "TIFF-u": (np.dtype("<u4"), 0, 2**32 - 1),
    "TIFF-i": (np.dtype("<i4"), -(2**31), 2**31 - 1),
    "TIFF-f": (np.dtype("<f4"), None, None),
    "8-bit": (np.dtype("u1"), 0, 255),
}


def is_deep(planar: np.ndarray, mode: str) -> bool:
    """Whether pooled pixels no longer fit their Pillow ``mode`` (sums, Lp norms)."""
    native = {"I;16": "uint16", "I": "int32", "F": "float32"}.get(mode, "uint8")
    return planar.dtype != np.dtype(native)


def stretch(frames: list[np.ndarray], top: int) -> list[np.ndarray]:
    """Frames of sums or Lp norms scaled together so their largest value is ``top`` (65535:
    16-bit, 255: 8-bit), rounded half up; all zeros stay zeros. What ``--stretch`` writes, for
    viewers, which show 1,020 of 65,535 as black.

    >>> stretch([np.array([[[0, 255, 1020]]], np.uint32)], 255)
    [array([[[  0,  64, 255]]], dtype=uint8)]
    """
    peak = peak_of(frames)
    scale = top / peak if peak > 0 else 0.0
    dtype = np.uint16 if top > 255 else np.uint8
    out = []
    for frame in frames:
        values = np.nan_to_num(frame.astype(np.float64), nan=0.0, posinf=peak, neginf=0.0)
        out.append(np.clip(np.floor(values * scale + 0.5), 0, top).astype(dtype))
    return out


def peak_of(frames: list[np.ndarray]) -> float:
    """The largest finite value of ``frames`` (0 for none)."""
    finite = [f[np.isfinite(f)] if f.dtype.kind == "f" else f for f in frames]
    return max((float(f.max()) for f in finite if f.size), default=0.0)


def target_of(fmt: str, values: np.dtype) -> str:
    """Which of :data:`_RANGES` a deep image is stored as in ``fmt``."""
    if fmt == "PNG":
        return "PNG"
    if fmt == "TIFF":
        return "TIFF-f" if values.kind == "f" else "TIFF-i" if values.kind == "i" else "TIFF-u"
    return "8-bit"


def clipped_note(name: str, clipped: int, fmt: str) -> str:
    """The warning for a file written in pieces whose values :func:`fit_deep` clipped.

    >>> clipped_note("a.png", 1200, "PNG")
    'a.png: 1200 values clipped to what PNG holds'
    """
    return f"{name}: {clipped} values clipped to what {fmt} holds"


def fit_deep(planar: np.ndarray, target: str) -> tuple[np.ndarray, int]:
    """``planar`` in the type of ``target``: floats rounded to whole numbers (NaN to 0) for
    integer targets, values outside its range clipped; also the count of clipped values.

    >>> fit_deep(np.array([[[3, 300]]], np.uint32), "8-bit")
    (array([[[  3, 255]]], dtype=uint8), 1)
    """
    dtype, low, high = _RANGES[target]
    if low is None or high is None:
        return planar.astype(dtype), 0
    values = planar
    if values.dtype.kind == "f":
        values = np.nan_to_num(np.floor(values + 0.5), nan=0.0, posinf=high, neginf=low)
    clipped = int(np.count_nonzero((values < low) | (values > high)))
    return np.clip(values, low, high).astype(dtype), clipped


def png16(planar: np.ndarray, mode: str, level: int = 1, icc: bytes | None = None) -> bytes:
    """A 16-bit PNG of planar ``(C, H, W)`` values (big-endian ``>u2``, from :func:`fit_deep`)
    in ``mode``'s channels: L, LA, RGB or RGBA."""
    channels, height, width = planar.shape
    rows = np.empty((height, 1 + width * channels * 2), np.uint8)
    rows[:, 0] = 0  # filter type None
    pixels = np.ascontiguousarray(planar.transpose(1, 2, 0), dtype=">u2")
    rows[:, 1:] = pixels.view(np.uint8).reshape(height, -1)
    header = struct.pack(">IIBBBBB", width, height, 16, PNG_COLOUR[mode], 0, 0, 0)
    chunks = [png_chunk(b"IHDR", header)]
    if icc:
        chunks.append(png_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc)))
    chunks.append(png_chunk(b"IDAT", zlib.compress(rows.tobytes(), level)))
    chunks.append(png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def tiff32(frames: Sequence[np.ndarray], mode: str) -> bytes:
    """An uncompressed little-endian TIFF of planar ``(C, H, W)`` 32-bit values (``<u4``,
    ``<i4`` or ``<f4``, from :func:`fit_deep`), a page a frame, channels interleaved, alpha
    marked as such.

    >>> data = tiff32([np.zeros((1, 2, 3), "<u4")] * 2, "L")
    >>> from PIL import Image
    >>> Image.open(io.BytesIO(data)).n_frames
    2

    Raises
    ------
    ValueError
        If the pixels need more than the 4 GiB a classic TIFF addresses.
    """
    handle = io.BytesIO()
    pages = Tiff32Pages(handle, mode)
    for planar in frames:
        pages.add(planar)
    return handle.getvalue()


class Tiff32Pages:
    """The pages of a 32-bit TIFF (:func:`tiff32`) written as they come into ``handle``
    (seekable, empty): each page is appended and the page before it pointed at it, so a
    stack's sums are never held whole."""

    def __init__(self, handle: IO[bytes], mode: str) -> None:
        self.handle, self.mode = handle, mode
        self.restart()

    def restart(self) -> None:
        """No page yet (a decode retried)."""
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(b"II*\0" + struct.pack("<I", 0))
        self.pointer = 4  # where the offset of the next page's IFD goes

    def add(self, planar: np.ndarray) -> None:
        """Append ``planar`` as a page.

        Raises
        ------
        ValueError
            If the file would pass the 4 GiB a classic TIFF addresses.
        """
        at = self.handle.seek(0, io.SEEK_END)
        page, ifd = _page(planar, self.mode, at)
        if at + len(page) > 2**32:
            raise ValueError(f"{at + len(page)} bytes of pages is more than a TIFF holds")
        self.handle.write(page)
        self.handle.seek(self.pointer)
        self.handle.write(struct.pack("<I", at))
        self.pointer = at + ifd - 4


def _page(planar: np.ndarray, mode: str, at: int) -> tuple[bytes, int]:
    """One page of a 32-bit TIFF whose IFD starts at byte ``at`` (its next-page offset 0):
    its bytes, and its IFD's length."""
    channels, height, width = planar.shape
    pixels = np.ascontiguousarray(planar.transpose(1, 2, 0))
    sample_format = {"u": 1, "i": 2, "f": 3}[pixels.dtype.kind]
    alpha = mode in ("LA", "RGBA")
    tags: list[tuple[int, int, list[int]]] = [  # (tag, type: 3 SHORT / 4 LONG, values)
        (256, 4, [width]),
        (257, 4, [height]),
        (258, 3, [32] * channels),
        (259, 3, [1]),
        (262, 3, [TIFF_PHOTOMETRIC.get(mode, 1)]),
        (273, 4, [0]),  # strip offset, set below
        (277, 3, [channels]),
        (278, 4, [height]),
        (279, 4, [pixels.nbytes]),
        (284, 3, [1]),
        *([(338, 3, [2])] if alpha else []),  # extra sample: unassociated alpha
        (339, 3, [sample_format] * channels),
    ]
    ifd_size = 2 + 12 * len(tags) + 4
    extra = bytearray()  # arrays too long for their entry
    entries = []
    data_at = at + ifd_size + sum(2 * len(v) for _, t, v in tags if t == 3 and len(v) > 2)
    for tag, kind, given in tags:
        values = [data_at] if tag == 273 else given
        size = 2 if kind == 3 else 4
        packed = struct.pack(f"<{len(values)}{'H' if kind == 3 else 'I'}", *values)
        if len(values) * size <= 4:
            field = packed.ljust(4, b"\0")
        else:
            field = struct.pack("<I", at + ifd_size + len(extra))
            extra += packed
        entries.append(struct.pack("<HHI", tag, kind, len(values)) + field)
    ifd = struct.pack("<H", len(tags)) + b"".join(entries) + struct.pack("<I", 0)
    return ifd + bytes(extra) + pixels.tobytes(), len(ifd)
