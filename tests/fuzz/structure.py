"""Structure-aware mutations: edits that keep a file well formed where its format checks
itself (PNG chunks with their CRCs recomputed, JPEG segments with their lengths, TIFF tags
with valid types and offsets, GIF and WebP canvases and frames), so the damage reaches the
decoders' arithmetic and the code behind them rather than their first checksum.

Each function takes the file's bytes and a random stream and returns new bytes, or None where
the file has nothing of its kind (a GIF edit on a PNG); :func:`mutate_structure` picks one that
applies.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable

# Canvas and frame sizes: small, odd, past the 16-bit and 24-bit limits, and the large ones
# a decoder would allocate for (a tiny file claiming a huge canvas).
SIDES = (0, 1, 2, 3, 7, 255, 256, 4095, 8000, 16383, 16384, 65535, 2**24 - 1)
# EXIF orientation as every TIFF type: BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SLONG,
# FLOAT; counts of 0, 1 and many.
EXIF_TYPES = (1, 2, 3, 4, 5, 7, 9, 11)


def _exif(tag: int, kind: int, count: int, value: bytes) -> bytes:
    """An EXIF block of one IFD entry (little-endian), ``value`` its four value bytes."""
    entry = struct.pack("<HHI", tag, kind, count) + value[:4].ljust(4, b"\0")
    return b"Exif\0\0II*\0\x08\0\0\0\x01\0" + entry + b"\0\0\0\0"


def orientation_exif(rng: random.Random) -> bytes:
    """An EXIF block whose Orientation tag has a random type, count and value."""
    value = rng.choice((0, 1, 6, 8, 9, 255, 65535, 2**31))
    raw = value.to_bytes(4, "little") if rng.random() < 0.7 else rng.randbytes(4)
    return _exif(0x0112, rng.choice(EXIF_TYPES), rng.choice((0, 1, 2, 4, 2**31)), raw)


# --- PNG ---------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    chunks, at = [], 8
    while at + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, at)
        kind = data[at + 4 : at + 8]
        chunks.append((kind, data[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body
        out += struct.pack(">I", zlib.crc32(kind + body))
    return bytes(out)


def png_chunk(data: bytes, rng: random.Random) -> bytes | None:
    """Edit one chunk's fields (header, palette, transparency, animation frames, text, EXIF),
    or add, repeat, drop or move a chunk; every CRC is recomputed."""
    chunks = _png_chunks(data)
    if not chunks:
        return None
    index = rng.randrange(len(chunks))
    kind, body = chunks[index]
    choice = rng.random()
    if kind == b"IHDR" and len(body) == 13 and choice < 0.6:
        fields = bytearray(body)
        at = rng.choice((0, 4, 8, 9, 10, 11, 12))
        if at < 8:
            fields[at : at + 4] = rng.choice(SIDES).to_bytes(4, "big")
        else:  # bit depth, colour type, compression, filter, interlace
            fields[at] = rng.choice((0, 1, 2, 3, 4, 6, 8, 16, 255))
        chunks[index] = (kind, bytes(fields))
    elif kind == b"fcTL" and len(body) == 26 and choice < 0.7:
        fields = bytearray(body)
        at = rng.choice((4, 8, 12, 16, 20, 22, 24, 25))  # sizes, offsets, delay, dispose, blend
        width = 4 if at < 20 else (2 if at < 24 else 1)
        value = rng.choice(SIDES) if width == 4 else rng.randrange(256**width)
        fields[at : at + width] = (value & (256**width - 1)).to_bytes(width, "big")
        chunks[index] = (kind, bytes(fields))
    elif kind == b"acTL" and choice < 0.7:
        frames = rng.choice((0, 1, 2, 1000, 2**31 - 1, 2**32 - 1))
        chunks[index] = (kind, struct.pack(">II", frames, rng.choice((0, 1, 2**31))))
    elif kind == b"PLTE" and choice < 0.6:
        chunks[index] = (kind, body[: rng.choice((0, 3, 6, 768, len(body)))] or b"\0\0\0" * 300)
    elif choice < 0.25:
        extra = rng.choice(
            (
                (b"tRNS", rng.randbytes(rng.choice((0, 1, 2, 6, 256, 300)))),
                (b"eXIf", orientation_exif(rng)[6:]),
                (b"iCCP", b"p\0\0" + zlib.compress(rng.randbytes(rng.choice((0, 8, 200))))),
                (b"zTXt", b"k\0\0" + zlib.compress(b"x" * rng.choice((10, 1 << 16, 3 << 20)))),
                (b"pHYs", struct.pack(">IIB", rng.choice((0, 1, 2**32 - 1)), 1, 1)),
                (b"sBIT", bytes(rng.randrange(20) for _ in range(rng.choice((1, 3, 4))))),
            )
        )
        chunks.insert(rng.randrange(1, len(chunks) + 1), extra)
    elif choice < 0.45:
        chunks.insert(rng.randrange(len(chunks) + 1), chunks[index])  # a repeated chunk
    elif choice < 0.6 and len(chunks) > 2:
        del chunks[index]
    elif choice < 0.75:
        chunks.insert(rng.randrange(len(chunks) + 1), chunks.pop(index))  # out of order
    else:
        edited = bytearray(body)
        if edited:
            edited[rng.randrange(len(edited))] = rng.randrange(256)
        chunks[index] = (kind, bytes(edited))
    return _png(chunks)


# --- JPEG --------------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> list[tuple[int, bytes]] | None:
    """(marker, body) up to the start of scan; the scan and the rest as one raw tail."""
    if not data.startswith(b"\xff\xd8"):
        return None
    segments, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        (length,) = struct.unpack_from(">H", data, at + 2)
        body = data[at + 4 : at + 2 + length]
        if marker == 0xDA:
            segments.append((-1, data[at:]))  # the scan itself, to the end
            return segments
        segments.append((marker, body))
        at += 2 + length
    segments.append((-1, data[at:]))
    return segments


def _jpeg(segments: list[tuple[int, bytes]]) -> bytes:
    out = bytearray(b"\xff\xd8")
    for marker, body in segments:
        if marker < 0:
            out += body
        else:
            out += bytes((0xFF, marker)) + struct.pack(">H", min(len(body) + 2, 65535)) + body
    return bytes(out)


def jpeg_segment(data: bytes, rng: random.Random) -> bytes | None:
    """Edit a frame header (precision, size, components, sampling), a quantisation or Huffman
    table, the restart interval or the EXIF block, keeping every segment's length right."""
    segments = _jpeg_segments(data)
    if not segments:
        return None
    headed = [i for i, (m, _) in enumerate(segments) if m >= 0]
    if not headed:
        return None
    index = rng.choice(headed)
    marker, body = segments[index]
    edited = bytearray(body)
    if marker in (0xC0, 0xC1, 0xC2) and len(edited) >= 6:
        at = rng.choice((0, 1, 3, 5, 6, 7, 8))
        if at in (1, 3):
            edited[at : at + 2] = (rng.choice(SIDES) & 0xFFFF).to_bytes(2, "big")
        elif at == 0:
            edited[0] = rng.choice((8, 12, 16, 0, 255))
        elif at == 5:
            edited[5] = rng.choice((0, 1, 2, 3, 4, 255))
        elif at < len(edited):
            edited[at] = rng.choice((0x11, 0x22, 0x21, 0x12, 0x44, 0x00, 0xFF, 0x41))
    elif marker == 0xDB and edited:
        if rng.random() < 0.3:
            edited[0] = rng.choice((0x00, 0x10, 0x04, 0xFF))  # precision and table number
        else:
            edited[rng.randrange(len(edited))] = rng.choice((0, 1, 255))
    elif marker == 0xC4 and len(edited) > 17:
        edited[rng.randrange(1, 17)] = rng.choice((0, 1, 16, 255))  # code counts
    elif rng.random() < 0.3:
        new = (0xE1, orientation_exif(rng)) if rng.random() < 0.6 else (0xDD, rng.randbytes(2))
        segments.insert(rng.choice(headed), new)
        return _jpeg(segments)
    elif rng.random() < 0.5:
        segments.insert(rng.choice(headed), segments[index])  # a repeated segment
        return _jpeg(segments)
    elif len(headed) > 1:
        del segments[index]
        return _jpeg(segments)
    segments[index] = (marker, bytes(edited))
    return _jpeg(segments)


# --- TIFF --------------------------------------------------------------------------------------

# Tags whose values steer the decoder: photometric, bits, samples, planar configuration,
# compression, strips, tiles, orientation, extra samples, sample format, colour map.
TIFF_TAGS = (262, 258, 277, 284, 259, 278, 279, 273, 322, 323, 324, 325, 274, 338, 339, 320)
TIFF_VALUES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 64, 255, 256, 65535, 2**31 - 1, 2**32 - 1)


def tiff_tag(data: bytes, rng: random.Random) -> bytes | None:
    """Set an entry of the first directory: one of the tags that steer the decoder, to an odd
    value or type; or give the directory a tag it lacked, over another entry."""
    if data[:4] not in (b"II*\0", b"MM\0*"):
        return None
    order = "<" if data.startswith(b"II") else ">"
    out = bytearray(data)
    try:
        (ifd,) = struct.unpack_from(order + "I", out, 4)
        (count,) = struct.unpack_from(order + "H", out, ifd)
    except struct.error:
        return None
    entries = [ifd + 2 + 12 * i for i in range(min(count, 64)) if ifd + 14 + 12 * i <= len(out)]
    if not entries:
        return None
    steering = [at for at in entries if struct.unpack_from(order + "H", out, at)[0] in TIFF_TAGS]
    at = rng.choice(steering) if steering and rng.random() < 0.8 else rng.choice(entries)
    _, kind, number = struct.unpack_from(order + "HHI", out, at)
    choice = rng.random()
    if choice < 0.6:
        value = rng.choice(TIFF_VALUES)
        if kind == 3 and number == 1:
            struct.pack_into(order + "H", out, at + 8, value & 0xFFFF)
        else:
            struct.pack_into(order + "I", out, at + 8, value)
    elif choice < 0.75:
        struct.pack_into(order + "H", out, at + 2, rng.choice((1, 2, 3, 4, 5, 7, 16, 0, 99)))
    elif choice < 0.9:
        struct.pack_into(order + "I", out, at + 4, rng.choice((0, 1, 2, 3, 4, 2**31)))
    else:
        new_tag = rng.choice(TIFF_TAGS)
        struct.pack_into(order + "HHII", out, at, new_tag, 3, 1, rng.choice(TIFF_VALUES) & 0xFFFF)
    return bytes(out)


# --- GIF ---------------------------------------------------------------------------------------


def gif_screen(data: bytes, rng: random.Random) -> bytes | None:
    """Set the logical screen's size or flags, or a frame's position, size or flags, or a
    graphic control's disposal and delay."""
    if not data.startswith(b"GIF"):
        return None
    out = bytearray(data)
    frames = [i for i in range(13, len(out) - 10) if out[i] == 0x2C]
    controls = [i for i in range(13, len(out) - 8) if out[i : i + 3] == b"\x21\xf9\x04"]
    choice = rng.random()
    if choice < 0.35:
        at = rng.choice((6, 8))
        out[at : at + 2] = (rng.choice(SIDES) & 0xFFFF).to_bytes(2, "little")
    elif choice < 0.45:
        out[10] = rng.choice((0x00, 0x80, 0xF7, 0x87, 0xFF))
    elif choice < 0.8 and frames:
        at = rng.choice(frames) + rng.choice((1, 3, 5, 7))
        out[at : at + 2] = (rng.choice(SIDES) & 0xFFFF).to_bytes(2, "little")
    elif controls:
        at = rng.choice(controls)
        out[at + 3] = rng.choice((0x00, 0x04, 0x08, 0x0C, 0x1C, 0xFF))  # disposal, transparency
        out[at + 4 : at + 6] = rng.choice((0, 1, 65535)).to_bytes(2, "little")
    else:
        return None
    return bytes(out)


# --- WebP --------------------------------------------------------------------------------------


def webp_canvas(data: bytes, rng: random.Random) -> bytes | None:
    """Set an extended WebP's canvas size or flags, or an animation frame's offset, size,
    duration or flags (the RIFF sizes stay right)."""
    if data[8:12] != b"WEBP" or data[12:16] != b"VP8X":
        return None
    out = bytearray(data)
    frames = []
    at = 12
    while at + 8 <= len(out):
        kind = bytes(out[at : at + 4])
        (size,) = struct.unpack_from("<I", out, at + 4)
        if kind == b"ANMF":
            frames.append(at + 8)
        at += 8 + size + (size & 1)
    choice = rng.random()
    if choice < 0.4:
        at = rng.choice((24, 27))
        out[at : at + 3] = (max(rng.choice(SIDES), 1) - 1).to_bytes(3, "little")
    elif choice < 0.5:
        out[20] = rng.choice((0x02, 0x10, 0x12, 0x30, 0x3E, 0xFF))
    elif frames:
        body = rng.choice(frames)
        at = body + rng.choice((0, 3, 6, 9, 12))  # x/2, y/2, width-1, height-1, duration
        out[at : at + 3] = (rng.choice(SIDES) & 0xFFFFFF).to_bytes(3, "little")
        if rng.random() < 0.3:
            out[body + 15] = rng.randrange(256)  # blending and disposal
    else:
        return None
    return bytes(out)


STRUCTURAL: tuple[Callable[[bytes, random.Random], bytes | None], ...] = (
    png_chunk,
    jpeg_segment,
    tiff_tag,
    gif_screen,
    webp_canvas,
)


def mutate_structure(data: bytes, rng: random.Random) -> bytes | None:
    """One structure-aware edit that applies to ``data``'s format; None if none does."""
    for edit in rng.sample(STRUCTURAL, len(STRUCTURAL)):
        edited = edit(data, rng)
        if edited is not None:
            return edited
    return None
