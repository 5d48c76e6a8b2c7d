"""What a hostile file may do to Pillow, kept in bounds.

An exception is the file's fault only when Pillow's own code raised it (:func:`raised_by_pillow`);
what the decoder warns of becomes one line that names the file; the pixel and frame limits are
checked before anything is decoded, and Pillow's own bomb checks run at the same limit.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from typing import IO

from PIL import Image, ImageFile, UnidentifiedImageError

from poolcli.errors import InputError
from poolcli.io.pixels import bytes_per_pixel
from poolcli.spec.limits import BYTES_PER_LIMIT_PIXEL, DECODER_BYTES, MAX_FRAMES

# The directory of Pillow's own modules: an exception raised there (or in the C decoder they
# call) is about the file; one raised in poolcli's own code is a bug, never "a corrupt file".
_PILLOW = os.path.dirname(Image.__file__) + os.sep
_POOLCLI = os.path.dirname(__file__) + os.sep


def fail(name: str, reason: str) -> InputError:
    return InputError(f"{name}: {reason}")


def raised_by_pillow(exc: BaseException) -> bool:
    """Whether the innermost frame of Pillow's or poolcli's code that ``exc`` passed through
    is Pillow's (frames of the standard library and numpy in between do not count)."""
    files = []
    tb = exc.__traceback__
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    for file in reversed(files):
        if file.startswith(_PILLOW):
            return True
        if file.startswith(_POOLCLI):
            return False
    return False


@contextlib.contextmanager
def decoder_errors(name: str, notes: list[str]) -> Iterator[None]:
    """Turn what the decoder raises into one InputError that names the file, and what it
    warns of (Python warnings, and Pillow's log, which Python would print itself when nobody
    has set up logging) into ``notes``; errors of poolcli's own code pass through as they are.
    Hold :data:`PILLOW_SETTINGS` around it: the log handler is Pillow's, process-wide."""
    log = _Notes(name, notes)
    pillow_log = logging.getLogger("PIL")
    pillow_log.addHandler(log)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                yield
            finally:
                for warning in caught:
                    log.add(str(warning.message))
    except (InputError, KeyboardInterrupt):
        raise
    except UnidentifiedImageError:
        raise fail(name, "not an image file (Pillow cannot identify its format)") from None
    except Image.DecompressionBombError as exc:
        raise fail(name, f"too many pixels ({exc})") from None
    except MemoryError:
        raise fail(name, "not enough memory to decode it") from None
    except Exception as exc:
        if not raised_by_pillow(exc):
            raise
        reason = one_line(str(exc)) or type(exc).__name__
        if "MAX_TEXT_CHUNK" in reason or "MAX_TEXT_MEMORY" in reason:  # Pillow's own names
            raise fail(name, _TEXT_BOMB) from None
        raise fail(name, f"{CORRUPT} ({reason})") from None
    finally:
        pillow_log.removeHandler(log)


# Pillow refuses text chunks (PNG tEXt, zTXt, iTXt) that decompress past 1 MB, or 64 MB in all.
_TEXT_BOMB = (
    "a text chunk decompresses to more than Pillow reads (1 MB a chunk, 64 MB in all): "
    "a decompression bomb?"
)


class _Notes(logging.Handler):
    """Pillow's log messages of warning level and above, as notes that name the file."""

    def __init__(self, name: str, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.file, self.notes = name, notes

    def emit(self, record: logging.LogRecord) -> None:
        self.add(record.getMessage())

    def add(self, message: str) -> None:
        note = f"{self.file}: {one_line(message)}"
        if note not in self.notes:
            self.notes.append(note)


def one_line(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _quiet_libtiff() -> None:
    """Stop libtiff printing to stderr: its default handlers write warnings and errors there
    from C (``TIFFFillStrip: Invalid strip byte count``), past Python and past our messages.
    Pillow still raises on what fails, which :func:`decoder_errors` reports in one line; what
    libtiff only warns of is lost. Linux only (the library is found in /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libtiff" in line.rsplit("/", 1)[-1]}
        for path in paths:
            library = ctypes.CDLL(path)
            for name in ("TIFFSetWarningHandler", "TIFFSetErrorHandler"):
                setter = getattr(library, name)
                setter.argtypes, setter.restype = [ctypes.c_void_p], ctypes.c_void_p
                setter(None)
    except (OSError, AttributeError):
        pass  # not Linux, or a Pillow built without libtiff: nothing to quiet


# Held while Pillow's process-wide settings (its pixel limit, its block allocator) are ours:
# two threads decoding at once would otherwise restore each other's values.
PILLOW_SETTINGS = threading.RLock()

# How a file Pillow could not decode to its end is said (and how --allow-truncated knows it).
CORRUPT = "truncated or corrupt image"


def open_image(handle: IO[bytes]) -> Image.Image:
    # Our own pixel limit, checked on the header next, replaces the one Pillow checks on
    # opening, which would stop at 179 MP whatever the user asks.
    _quiet_libtiff()
    with pillow_limit(None):
        return Image.open(handle)


@contextlib.contextmanager
def truncated_allowed(allowed: bool) -> Iterator[None]:
    """Let Pillow decode what a truncated or damaged file holds, the rest left black (as
    ImageMagick and libvips do, with a warning), while decoding; hold
    :data:`PILLOW_SETTINGS` around it."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = allowed
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


@contextlib.contextmanager
def pillow_limit(max_pixels: int | None) -> Iterator[None]:
    """Pillow's own bomb checks (an icon's embedded PNG, a GIF frame) at our limit, while
    decoding: it refuses more than twice its ``MAX_IMAGE_PIXELS``."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None if max_pixels is None else -(-max_pixels // 2)
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def frame_count(name: str, image: Image.Image) -> int:
    frames = int(getattr(image, "n_frames", 1))
    if frames > MAX_FRAMES:
        raise fail(name, f"{frames} frames, over the limit of {MAX_FRAMES}")
    return frames


def _pixels_text(pixels: int) -> str:
    """A pixel count as people say it: '1 pixel', '40000 pixels', '200 megapixels'.

    >>> _pixels_text(1), _pixels_text(4096), _pixels_text(200_000_000), _pixels_text(2_025_000_000)
    ('1 pixel', '4096 pixels', '200 megapixels', '2025 megapixels')
    """
    if pixels >= 10_000_000:
        return f"{pixels / 1e6:.0f} megapixels"
    return f"{pixels} pixel{'' if pixels == 1 else 's'}"


def check_pixels(
    name: str, size: tuple[int, int], max_pixels: int | None, *, frames: int = 1, seen: int = 0
) -> None:
    """Refuse ``frames`` frames of ``size`` when, with ``seen`` pixels already decoded, they
    are more than ``max_pixels``."""
    pixels = size[0] * size[1] * frames + seen
    if max_pixels is not None and pixels > max_pixels:
        what = f"{size[0]}x{size[1]}" + (f" x {frames} frames" if frames > 1 else "")
        if seen:
            what = f"frames up to {size[0]}x{size[1]}"
        raise fail(
            name,
            f"{what} is {_pixels_text(pixels)}, over the limit of {_pixels_text(max_pixels)} "
            "(a decompression bomb?); raise the limit with --max-pixels if the file is trusted",
        )


def check_bytes(
    name: str,
    size: tuple[int, int],
    frames: int,
    mode: str,
    max_pixels: int | None,
    fmt: str | None = None,
) -> None:
    """Refuse a file whose decoding would take more than
    :data:`~poolcli.spec.limits.BYTES_PER_LIMIT_PIXEL` bytes a pixel of ``max_pixels``: its frames
    (``frames`` x ``size`` in pooling ``mode``) and the canvases its decoder holds
    (:data:`~poolcli.spec.limits.DECODER_BYTES` of format ``fmt``). A tiny animation on a huge
    canvas is refused here, from its header."""
    if max_pixels is None:
        return
    canvas = size[0] * size[1]
    need = canvas * (frames * bytes_per_pixel(mode) + DECODER_BYTES.get(fmt or "", 0))
    limit = max_pixels * BYTES_PER_LIMIT_PIXEL
    if need > limit:
        what = f"{size[0]}x{size[1]} {fmt or ''} {mode}".replace("  ", " ")
        what += f" x {frames} frames" if frames > 1 else ""
        raise fail(
            name,
            f"{what} takes {need / 1e6:.0f} MB to decode, over the limit of "
            f"{limit / 1e6:.0f} MB ({BYTES_PER_LIMIT_PIXEL} bytes a pixel of --max-pixels); "
            "raise --max-pixels if the file is trusted",
        )
