"""A deterministic mutator: the same seed file, seed number and index give the same mutant.

Blind byte edits (bit flips, set bytes, truncation, inserted, deleted and repeated runs) find
the decoders' parsing errors; edits of the width and height fields of each format's header, to
0, 1, 65535, 2**31-1 and the like, reach the arithmetic behind them, which a checksum or a
magic number would stop blind edits before. PNG chunks get their CRCs mended half the time, so
the damage reaches past Pillow's checksum test. A structured campaign (``structured=True``)
edits the formats' own structures instead (:mod:`tests.fuzz.structure`).
"""

from __future__ import annotations

import random
import re
import struct
import zlib
from collections.abc import Iterator

from .structure import mutate_structure

# Values a width or height field is set to; masked to the field's size.
SIZES = (0, 1, 2, 3, 255, 256, 4095, 32767, 32768, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1)
BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)

Field = tuple[int, int, str]  # offset, size in bytes, "<" or ">"


def mutate(data: bytes, name: str, seed: int, index: int, structured: bool = False) -> bytes:
    """Mutant number ``index`` of seed file ``name`` (bytes ``data``) in campaign ``seed``:
    blind edits, or (``structured``) one to three structure-aware ones, then now and then a
    blind one, for formats that have a structure this knows."""
    if structured:
        return _structured(data, name, seed, index)
    rng = random.Random(f"{seed}:{name}:{index}")
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 4))):
        if rng.random() < 0.3:
            _resize_field(out, name, rng)
        else:
            rng.choice(_BLIND)(out, rng)
    if name.endswith(".png") and rng.random() < 0.5:
        _mend_png_crcs(out)
    return bytes(out)


def _structured(data: bytes, name: str, seed: int, index: int) -> bytes:
    rng = random.Random(f"structured:{seed}:{name}:{index}")
    out = data
    for _ in range(rng.choice((1, 1, 2, 3))):
        edited = mutate_structure(out, rng)
        if edited is None:  # no structure known for this format: blind, as the other campaign
            return mutate(data, name, seed, index)
        out = edited
    if rng.random() < 0.15:
        blind = bytearray(out)
        rng.choice(_BLIND)(blind, rng)
        out = bytes(blind)
        if name.endswith(".png"):
            mended = bytearray(out)
            _mend_png_crcs(mended)
            out = bytes(mended)
    return out


def _flip_bit(out: bytearray, rng: random.Random) -> None:
    if out:
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)


def _set_byte(out: bytearray, rng: random.Random) -> None:
    if out:
        out[rng.randrange(len(out))] = rng.choice((*BYTES, rng.randrange(256)))


def _truncate(out: bytearray, rng: random.Random) -> None:
    del out[rng.randrange(len(out) + 1) :]


def _insert(out: bytearray, rng: random.Random) -> None:
    size = rng.choice((1, 4, 16, 64, 1024))
    run = bytes([rng.randrange(256)]) * size if rng.random() < 0.5 else rng.randbytes(size)
    at = rng.randrange(len(out) + 1)
    out[at:at] = run


def _delete(out: bytearray, rng: random.Random) -> None:
    if out:
        at = rng.randrange(len(out))
        del out[at : at + rng.choice((1, 4, 16, 64))]


def _repeat(out: bytearray, rng: random.Random) -> None:
    if out:
        at = rng.randrange(len(out))
        run = out[at : at + rng.choice((4, 16, 64, 256))]
        to = rng.randrange(len(out) + 1)
        out[to:to] = run * rng.choice((1, 2, 8))


_BLIND = (_flip_bit, _set_byte, _truncate, _insert, _delete, _repeat)


def _resize_field(out: bytearray, name: str, rng: random.Random) -> None:
    fields = list(dimension_fields(bytes(out), name))
    if not fields:
        _set_byte(out, rng)
        return
    offset, size, order = rng.choice(fields)
    if offset + size > len(out):
        return
    value = rng.choice(SIZES) & ((1 << (8 * size)) - 1)
    out[offset : offset + size] = value.to_bytes(size, "little" if order == "<" else "big")


def dimension_fields(data: bytes, name: str) -> Iterator[Field]:
    """Where a file of this format keeps its widths and heights (those easy to find)."""
    suffix = name.rsplit(".", 1)[-1]
    if data.startswith(b"\x89PNG"):
        yield from ((16, 4, ">"), (20, 4, ">"))
    elif data.startswith(b"GIF"):
        yield from ((6, 2, "<"), (8, 2, "<"))
        for match in re.finditer(b"\x2c", data[13:]):
            at = 13 + match.start()
            yield from ((at + 5, 2, "<"), (at + 7, 2, "<"))
            break
    elif data.startswith(b"BM"):
        yield from ((18, 4, "<"), (22, 4, "<"))
    elif suffix == "dib":
        yield from ((4, 4, "<"), (8, 4, "<"))
    elif data[:4] in (b"II*\0", b"MM\0*"):
        yield from _tiff_fields(data)
    elif data.startswith(b"\xff\xd8"):
        for match in re.finditer(b"\xff[\xc0-\xc2]", data):
            yield from ((match.start() + 5, 2, ">"), (match.start() + 7, 2, ">"))
    elif data[8:12] == b"WEBP":
        if data[12:16] == b"VP8X":
            yield from ((24, 3, "<"), (27, 3, "<"))
        at = data.find(b"VP8 ")
        if at >= 0:
            yield from ((at + 14, 2, "<"), (at + 16, 2, "<"))
        at = data.find(b"VP8L")
        if at >= 0:  # 14 bits of width - 1, then of height - 1, packed after a 0x2f byte
            yield (at + 9, 4, "<")
    elif data.startswith(b"qoif"):
        yield from ((4, 4, ">"), (8, 4, ">"))
    elif suffix == "ico":
        yield from ((6, 1, "<"), (7, 1, "<"))
    elif suffix == "tga":
        yield from ((12, 2, "<"), (14, 2, "<"))
    elif suffix == "pcx":
        yield from ((8, 2, "<"), (10, 2, "<"))
    elif suffix == "sgi":
        yield from ((6, 2, ">"), (8, 2, ">"))


def _tiff_fields(data: bytes) -> Iterator[Field]:
    order = "<" if data.startswith(b"II") else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, ifd)
        for entry in range(min(count, 64)):
            at = ifd + 2 + 12 * entry
            tag, kind = struct.unpack_from(order + "HH", data, at)
            if tag in (256, 257):  # ImageWidth, ImageLength
                yield (at + 8, 2 if kind == 3 else 4, order)
    except struct.error:
        return


def _mend_png_crcs(out: bytearray) -> None:
    """Recompute the CRC of every whole chunk, so Pillow reads past its checksum test."""
    at = 8
    while at + 12 <= len(out):
        (length,) = struct.unpack_from(">I", out, at)
        end = at + 8 + length
        if end + 4 > len(out):
            return
        struct.pack_into(">I", out, end, zlib.crc32(out[at + 4 : end]))
        at = end + 4
