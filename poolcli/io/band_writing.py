"""Encoders fed a band of rows at a time: PNG and tiled TIFF (BigTIFF past 4 GiB) of any size.

numpy, zlib and struct only. What a pass of an image too large to hold writes: each encoder
takes planar ``(C, rows, W)`` bands top to bottom and holds at most a band (a row of tiles for
TIFF) before it reaches the file. Pillow cannot do this: it encodes a whole image it holds.

- :class:`PngRows`: each row filtered as libpng's adaptive heuristic chooses (the filter of the
  least sum of absolute differences), deflated as it comes (the fast levels with zlib's
  run-length strategy), in IDAT chunks of at most 1 MiB; 8 or 16 bits; the colour profile
  (iCCP) and resolution (pHYs).
- :class:`TiffTiles`: 256x256 tiles, uncompressed (as Pillow writes TIFF by default), in rows
  of tiles as bands complete them; classic TIFF while the file stays under 4 GiB, BigTIFF past
  it (decided from the size before the first byte); 8, 16 and 32 bits (integers or floats);
  alpha marked; the colour profile and resolution.
"""

from __future__ import annotations

import struct
import zlib
from typing import IO

import numpy as np

from poolcli.io.deep_encoders import PNG_COLOUR, TIFF_PHOTOMETRIC, png_chunk

# Uncompressed bytes handed to zlib at a time, and the most an IDAT chunk holds.
_IDAT_BYTES = 1 << 20
# --compress-level values (0: stored) up to this one deflate with zlib's run-length strategy.
FAST_LEVELS = 3


class PngRows:
    """A PNG written a band of rows at a time to ``handle``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> handle = io.BytesIO()
    >>> png = PngRows(handle, 3, 2, "L", np.dtype(np.uint8))
    >>> png.write(np.array([[[1, 2, 3]]], np.uint8))
    >>> png.write(np.array([[[4, 5, 6]]], np.uint8))
    >>> png.close()
    >>> np.asarray(Image.open(handle)).tolist()
    [[1, 2, 3], [4, 5, 6]]
    """

    def __init__(
        self,
        handle: IO[bytes],
        width: int,
        height: int,
        mode: str,
        dtype: np.dtype,
        *,
        level: int = 1,
        icc_profile: bytes | None = None,
        dpi: tuple[float, float] | None = None,
        exif: bytes | None = None,
    ) -> None:
        self.handle, self.width, self.height = handle, width, height
        self.depth = 16 if dtype.itemsize == 2 else 8
        channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 1}[mode]
        self.bpp = channels * self.depth // 8  # bytes a pixel: the filters' left neighbour
        self.rows = 0
        self.previous = np.zeros(width * self.bpp, np.uint8)  # the row above the first: zeros
        # On filtered rows zlib's run-length strategy is both faster and smaller than its
        # level 1 (a photo: 0.25 of the raw bytes at 69 MB/s, against 0.31 at 66 MB/s): the
        # fast levels use it, the others search for matches as they are asked to.
        strategy = zlib.Z_RLE if level <= FAST_LEVELS else zlib.Z_DEFAULT_STRATEGY
        self.deflate = zlib.compressobj(level, strategy=strategy)
        self.pending = bytearray()
        header = struct.pack(">IIBBBBB", width, height, self.depth, PNG_COLOUR[mode], 0, 0, 0)
        handle.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header))
        if icc_profile:
            handle.write(png_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc_profile)))
        if dpi:
            per_metre = [round(d / 0.0254) for d in dpi]
            handle.write(png_chunk(b"pHYs", struct.pack(">IIB", *per_metre, 1)))
        if exif:  # eXIf holds the TIFF structure alone, without JPEG's "Exif" header
            handle.write(png_chunk(b"eXIf", exif.removeprefix(b"Exif\0\0")))

    def write(self, planar: np.ndarray) -> None:
        """The next rows, planar ``(C, rows, W)``."""
        rows = planar.shape[1]
        if self.rows + rows > self.height:
            raise ValueError(f"{self.rows + rows} rows written to a PNG of {self.height}")
        pixels = np.ascontiguousarray(planar.transpose(1, 2, 0))
        if self.depth == 16:
            pixels = pixels.astype(">u2", copy=False)
        raw = pixels.view(np.uint8).reshape(rows, -1)
        filtered = _filter_rows(raw, self.previous, self.bpp)
        self.previous = raw[-1].copy()
        self.rows += rows
        for start in range(0, len(filtered), max(1, _IDAT_BYTES // filtered.shape[1])):
            chunk = filtered[start : start + max(1, _IDAT_BYTES // filtered.shape[1])]
            self._idat(self.deflate.compress(chunk.tobytes()))

    def close(self) -> None:
        """Finish the file; every row must have been written."""
        if self.rows != self.height:
            raise ValueError(f"{self.rows} rows written to a PNG of {self.height}")
        self._idat(self.deflate.flush(), last=True)
        self.handle.write(png_chunk(b"IEND", b""))

    def _idat(self, data: bytes, last: bool = False) -> None:
        self.pending += data
        while len(self.pending) >= _IDAT_BYTES or (last and self.pending):
            part = bytes(self.pending[:_IDAT_BYTES])
            del self.pending[:_IDAT_BYTES]
            self.handle.write(png_chunk(b"IDAT", part))


def _filter_rows(
    raw: np.ndarray, previous: np.ndarray, bpp: int, only: int | None = None
) -> np.ndarray:
    """Each row of ``raw`` (rows x bytes) with its filter-type byte first, the filter chosen
    per row as libpng's heuristic does: the least sum of the filtered bytes taken as signed,
    judged on every eighth pixel (the whole row is filtered by the one chosen); ``only``:
    that filter type on every row, as libpng can be told."""
    rows, width = raw.shape
    above = np.empty_like(raw)
    above[0] = previous
    above[1:] = raw[:-1]
    if only is None:
        step = bpp * _JUDGED_EVERY
        judged = (np.arange(0, width, step)[:, None] + np.arange(bpp)).ravel()
        judged = judged[judged < width]
        cost = np.stack(
            [_cost(f) for f in _filtered(raw[:, judged], above[:, judged], judged, raw, above, bpp)]
        )
        choice = cost.argmin(axis=0)
    else:
        choice = np.full(rows, only)
    out = np.empty((rows, width + 1), np.uint8)
    out[:, 0] = choice
    for kind in np.unique(choice):
        chosen = np.flatnonzero(choice == kind)
        full = slice(None)
        out[chosen, 1:] = _filtered(
            raw[chosen], above[chosen], full, raw[chosen], above[chosen], bpp, int(kind)
        )[0]
    return out


# The filter of a row is judged on one pixel in this many (libpng judges them all).
_JUDGED_EVERY = 8


def _cost(filtered: np.ndarray) -> np.ndarray:
    """libpng's cost of each row: the sum of its bytes read as signed, made positive."""
    cost: np.ndarray = np.abs(filtered.view(np.int8).astype(np.int16)).sum(axis=1, dtype=np.int64)
    return cost


def _filtered(
    raw: np.ndarray,
    above: np.ndarray,
    at: slice | np.ndarray,
    whole: np.ndarray,
    whole_above: np.ndarray,
    bpp: int,
    kind: int | None = None,
) -> list[np.ndarray]:
    """Rows ``raw`` (the columns ``at`` of ``whole``) filtered by PNG filter ``kind`` (0 None,
    1 Sub, 2 Up, 3 Average, 4 Paeth), or by every one of them when ``kind`` is None."""
    left = _left(whole, at, bpp)
    if kind == 0:
        return [raw]
    if kind == 1:
        return [raw - left]
    if kind == 2:
        return [raw - above]
    if kind == 3:
        return [raw - _halves(left, above)]
    upper_left = _left(whole_above, at, bpp)
    if kind == 4:
        return [raw - _paeth(left, above, upper_left)]
    return [
        raw,
        raw - left,
        raw - above,
        raw - _halves(left, above),
        raw - _paeth(left, above, upper_left),
    ]


def _left(whole: np.ndarray, at: slice | np.ndarray, bpp: int) -> np.ndarray:
    """The byte ``bpp`` to the left of each of the columns ``at`` (0 before the first pixel)."""
    left = np.zeros_like(whole)
    left[:, bpp:] = whole[:, :-bpp]
    return left[:, at]


def _halves(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """floor((a + b) / 2) of bytes, without widening them."""
    halves: np.ndarray = (a >> 1) + (b >> 1) + (a & b & 1)
    return halves


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The Paeth predictor of the PNG specification: whichever of ``a`` (left), ``b`` (above)
    and ``c`` (upper left) is nearest ``p = a + b - c``, ties in that order."""
    c16 = c.astype(np.int16)
    far_a = b.astype(np.int16)
    far_a -= c16  # p - a = b - c
    far_b = a.astype(np.int16)
    far_b -= c16  # p - b = a - c
    far_c = far_a + far_b  # p - c
    for far in (far_a, far_b, far_c):
        np.abs(far, out=far)
    nearest = np.where(far_b <= far_c, b, c)
    np.copyto(nearest, a, where=(far_a <= far_b) & (far_a <= far_c))
    return nearest


# TIFF field types: SHORT, LONG, RATIONAL, LONG8 (BigTIFF); and the tile's side.
_SHORT, _LONG, _RATIONAL, _LONG8 = 3, 4, 5, 16
TILE = 256
# A file of this many bytes or more is written as BigTIFF (its offsets are 64-bit).
BIGTIFF_PAST = 2**32


class TiffTiles:
    """A tiled TIFF written a band of rows at a time to a seekable ``handle``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> handle = io.BytesIO()
    >>> tiff = TiffTiles(handle, 300, 2, "RGB", np.dtype(np.uint8))
    >>> tiff.write(np.full((3, 2, 300), 7, np.uint8))
    >>> tiff.close()
    >>> Image.open(handle).getpixel((299, 1))
    (7, 7, 7)
    """

    def __init__(
        self,
        handle: IO[bytes],
        width: int,
        height: int,
        mode: str,
        dtype: np.dtype,
        *,
        icc_profile: bytes | None = None,
        dpi: tuple[float, float] | None = None,
        exif: bytes | None = None,  # not carried: a TIFF's EXIF is an IFD of its own
    ) -> None:
        self.handle, self.width, self.height, self.mode = handle, width, height, mode
        self.dtype = dtype.newbyteorder("<")
        self.channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}.get(mode, 1)
        self.across = -(-width // TILE)
        self.down = -(-height // TILE)
        tile_bytes = TILE * TILE * self.channels * self.dtype.itemsize
        self.tile_bytes = tile_bytes
        self.big = tile_bytes * self.across * self.down + (1 << 20) >= BIGTIFF_PAST
        self.icc_profile, self.dpi = icc_profile, dpi
        self.offsets: list[int] = []
        self.row = np.zeros((TILE, self.across * TILE, self.channels), self.dtype)
        self.filled = 0  # rows of the current row of tiles
        self.rows = 0
        # the header; the first IFD's offset is written once the tiles are
        header = b"II+\0" + struct.pack("<HHQ", 8, 0, 0) if self.big else b"II*\0\0\0\0\0"
        handle.write(header)
        self.at = len(header)

    def write(self, planar: np.ndarray) -> None:
        """The next rows, planar ``(C, rows, W)``."""
        if self.rows + planar.shape[1] > self.height:
            raise ValueError(
                f"{self.rows + planar.shape[1]} rows written to a TIFF of {self.height}"
            )
        pixels = planar.transpose(1, 2, 0)
        self.rows += planar.shape[1]
        while len(pixels):
            take = min(TILE - self.filled, len(pixels))
            self.row[self.filled : self.filled + take, : self.width] = pixels[:take]
            self.filled += take
            pixels = pixels[take:]
            if self.filled == TILE or (self.rows == self.height and not len(pixels)):
                self._tiles()

    def _tiles(self) -> None:
        self.row[self.filled :] = 0  # a last tile's rows past the image
        for i in range(self.across):
            tile = np.ascontiguousarray(self.row[:, i * TILE : (i + 1) * TILE])
            self.handle.write(tile.tobytes())
            self.offsets.append(self.at)
            self.at += self.tile_bytes
        self.filled = 0

    def close(self) -> None:
        """Write the directory; every row must have been written."""
        if self.rows != self.height or len(self.offsets) != self.across * self.down:
            raise ValueError(f"{self.rows} rows written to a TIFF of {self.height}")
        alpha = self.mode in ("LA", "RGBA")
        kind = self.dtype.kind
        fmt = {"u": 1, "i": 2, "f": 3}[kind]
        entries: list[tuple[int, int, list[int] | bytes]] = [
            (256, _LONG, [self.width]),
            (257, _LONG, [self.height]),
            (258, _SHORT, [self.dtype.itemsize * 8] * self.channels),
            (259, _SHORT, [1]),
            (262, _SHORT, [TIFF_PHOTOMETRIC.get(self.mode, 1)]),
            (277, _SHORT, [self.channels]),
            (284, _SHORT, [1]),
            (322, _LONG, [TILE]),
            (323, _LONG, [TILE]),
            (324, _LONG8 if self.big else _LONG, self.offsets),
            (325, _LONG8 if self.big else _LONG, [self.tile_bytes] * len(self.offsets)),
            *([(338, _SHORT, [2])] if alpha else []),  # extra sample: unassociated alpha
            (339, _SHORT, [fmt] * self.channels),
        ]
        if self.dpi:
            entries += [
                (282, _RATIONAL, _rational(self.dpi[0])),
                (283, _RATIONAL, _rational(self.dpi[1])),
                (296, _SHORT, [2]),  # inches
            ]
        if self.icc_profile:
            entries.append((34675, 7, self.icc_profile))  # UNDEFINED bytes
        entries.sort()
        self._directory(entries)

    def _directory(self, entries: list[tuple[int, int, list[int] | bytes]]) -> None:
        big = self.big
        count_format, entry_size, next_format = ("<Q", 20, "<Q") if big else ("<H", 12, "<I")
        inline = 8 if big else 4
        ifd_at = self.at + (self.at & 1)
        ifd_size = struct.calcsize(count_format) + entry_size * len(entries) + inline
        extra = bytearray()
        packed_entries = []
        for tag, kind, values in entries:
            data, count = _packed(kind, values)
            if len(data) <= inline:
                field = data.ljust(inline, b"\0")
            else:
                where = ifd_at + ifd_size + len(extra)
                field = struct.pack("<Q" if big else "<I", where)
                extra += data + b"\0" * (len(data) & 1)
            head = struct.pack("<HHQ" if big else "<HHI", tag, kind, count)
            packed_entries.append(head + field)
        ifd = struct.pack(count_format, len(entries)) + b"".join(packed_entries)
        ifd += struct.pack(next_format, 0)
        self.handle.write(b"\0" * (ifd_at - self.at) + ifd + bytes(extra))
        self.handle.seek(8 if big else 4)
        self.handle.write(struct.pack("<Q" if big else "<I", ifd_at))
        self.handle.seek(0, 2)


def _rational(value: float) -> list[int]:
    """A resolution as a TIFF RATIONAL (numerator, denominator)."""
    denominator = 10000
    return [round(value * denominator), denominator]


def _packed(kind: int, values: list[int] | bytes) -> tuple[bytes, int]:
    """The bytes of a field's values, and their count as TIFF counts them."""
    if isinstance(values, bytes):
        return values, len(values)
    if kind == _RATIONAL:
        return struct.pack(f"<{len(values)}I", *values), len(values) // 2
    dtype = {_SHORT: "<u2", _LONG: "<u4", _LONG8: "<u8"}[kind]
    return np.array(values, dtype=dtype).tobytes(), len(values)
