"""The bounds poolimg puts on what one file may cost, shared by the library and the CLI.

Stdlib only, so the command line can show them in its help without importing Pillow.
"""

from __future__ import annotations

# More pixels than this in one file is refused as a likely decompression bomb (a small file
# that decodes to gigabytes). 200 MP is a 14000x14000 photo; `--max-pixels` raises it.
DEFAULT_MAX_PIXELS = 200_000_000
# Frames of one file beyond this are refused: decoding each costs time however small it is.
MAX_FRAMES = 10_000
# Bytes decoding a file may take: as many as an RGBA photo at the pixel limit (800 MB at the
# default), so that an animation's frames, 16-bit channels or a decoder's canvases cannot
# multiply what a small file costs past what the pixel limit promises. --max-pixels raises it.
BYTES_PER_LIMIT_PIXEL = 4
# What a decoder holds beside the frames it hands over, in bytes a pixel of the canvas,
# measured with Pillow 13 (peak resident memory of decoding, less the frames): libwebp decodes
# to RGBA and Pillow copies it (15 bytes a pixel in all); GIF frames are paletted canvases
# converted to RGB(A) (5 to 13).
DECODER_BYTES = {"WEBP": 12, "GIF": 8}


# What a run may hold in memory by default: this share of the machine's memory, split between
# the workers of -j. Past it, an image is pooled in bands (or refused, saying why).
MEMORY_SHARE = 4  # a quarter
# Suffixes of --max-memory, in bytes (binary: a G is a GiB, as free(1) and top count).
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def machine_memory() -> int:
    """This machine's memory, in bytes (4 GiB where the system does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def default_max_memory() -> int:
    """The memory a run holds at most unless told: a quarter of the machine's."""
    return machine_memory() // MEMORY_SHARE


def parse_bytes(text: str) -> int:
    """A size in bytes from words like ``300M``, ``2G``, ``1.5GiB`` or ``4096`` (binary units).

    >>> parse_bytes("300M"), parse_bytes("1.5GiB"), parse_bytes("4096")
    (314572800, 1610612736, 4096)
    """
    words = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = words[-1:] if words[-1:] in _UNITS and not words[-1:].isdigit() else ""
    number = words[: len(words) - len(unit)]
    try:
        value = float(number)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a size: give bytes, or a number with K, M, G or T"
        ) from None
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{text!r}: a size must be more than 0")
    return int(value * _UNITS[unit])


def bytes_text(count: float) -> str:
    """A count of bytes as a person reads it.

    >>> bytes_text(314572800), bytes_text(3 << 30), bytes_text(1300 << 10), bytes_text(1000)
    ('300 MiB', '3.0 GiB', '1.3 MiB', '1000 B')
    """
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            value = count / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{count:.0f} B"
