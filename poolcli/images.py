"""Reading and writing image files: the only module of poolcli that talks to Pillow.

:func:`load` decodes a file (or standard input) into a :class:`Picture`: planar numpy frames
in one of a few pooling modes, upright, with the metadata worth keeping. :func:`save` writes a
picture atomically in the format its name asks for, converting what that format cannot hold
with a warning. Every failure is an :class:`~poolcli.errors.InputError` or
:class:`~poolcli.errors.OutputError` whose message names the file and what is wrong.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import io
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from .arrowview import arrow_view
from .errors import InputError, OutputError
from .layout import deinterleave, interleave
from .limits import DEFAULT_MAX_PIXELS, MAX_FRAMES

# Pooling modes: the Pillow modes whose channels are pooled as they are, with where each
# channel sits in Pillow's 4-bytes-a-pixel storage (None: single band, one value a pixel).
_CHANNELS: dict[str, list[int] | None] = {
    "L": None,
    "LA": [0, 3],
    "RGB": [0, 1, 2],
    "RGBA": [0, 1, 2, 3],
    "CMYK": [0, 1, 2, 3],
    "I;16": None,
    "I": None,
    "F": None,
}
_SINGLE_DTYPES = {"L": np.uint8, "I;16": np.uint16, "I": np.int32, "F": np.float32}
# Every other Pillow mode, and what it becomes before pooling.
_CONVERT = {
    "1": "L",
    "P": "RGB",  # RGBA when the palette has transparency
    "PA": "RGBA",
    "La": "LA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
    "I;16L": "I;16",
    "I;16B": "I;16",
    "I;16N": "I;16",
}

# File extensions Pillow reads, for picking images out of folders.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"}
    | {".dib", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".ico", ".psd", ".pcx", ".sgi", ".qoi"}
)


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

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return (self.frames[0].shape[2], self.frames[0].shape[1])

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("LA", "RGBA")

    def with_frames(self, frames: list[np.ndarray]) -> Picture:
        """The same picture with new (pooled) frames; DPI scaled by how much they shrank."""
        dpi = self.dpi
        if dpi is not None:
            width, height = self.size
            dpi = (dpi[0] * frames[0].shape[2] / width, dpi[1] * frames[0].shape[1] / height)
        return replace(self, frames=frames, dpi=dpi)


@contextlib.contextmanager
def _one_block_images() -> Iterator[None]:
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


def _fail(name: str, reason: str) -> InputError:
    return InputError(f"{name}: {reason}")


def _open_source(source: str | os.PathLike[str]) -> tuple[str, IO[bytes]]:
    """Open a file (or "-", standard input) for reading, with clear errors."""
    if str(source) == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise _fail("<stdin>", "standard input is empty")
        return "<stdin>", io.BytesIO(data)
    name = os.fspath(source)
    path = Path(source)
    try:
        if path.is_dir():
            raise _fail(name, "is a folder, not an image file")
        handle = path.open("rb")
    except FileNotFoundError:
        raise _fail(name, "no such file") from None
    except PermissionError:
        raise _fail(name, "permission denied") from None
    except OSError as exc:
        raise _fail(name, f"cannot be read ({exc.strerror or exc})") from None
    if os.fstat(handle.fileno()).st_size == 0:
        handle.close()
        raise _fail(name, "empty file (0 bytes)")
    return name, handle


def load(source: str | os.PathLike[str], *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Picture:
    """Decode an image file, or standard input for ``"-"``, into a :class:`Picture`.

    The EXIF orientation is applied (a phone photo comes out upright); palette, bilevel and
    other modes are converted to the nearest pooling mode; every frame of an animation or a
    multi-page TIFF is kept, with its duration. The pixel limit is checked against the header
    before anything is decoded, and against each frame before it is decoded. What the decoder
    warns of (a truncated strip, corrupt EXIF) comes back in ``Picture.notes``.

    Raises
    ------
    InputError
        The file is missing, a folder, empty, unreadable, not an image, truncated or corrupt,
        or has more than ``max_pixels`` pixels (None: no limit).
    """
    name, handle = _open_source(source)
    notes: list[str] = []
    with handle, _one_block_images(), _reading(name, notes):
        image = _open_image(handle)
        _check_pixels(name, image.size, max_pixels)
        _check_pixels(name, image.size, max_pixels, frames=_frame_count(name, image))
        with _pillow_limit(max_pixels):
            picture = _decode(name, image, max_pixels)
    return replace(picture, notes=tuple(notes))


def probe(source: str | os.PathLike[str]) -> tuple[int, int, int]:
    """(width, height, frames) of an image file as :func:`load` would give it, upright,
    from its header alone: no pixel is decoded.

    The orientation is read where the header holds it; a PNG whose EXIF comes after its
    pixels counts as upright here (reading that EXIF would decode the whole image).

    Raises
    ------
    InputError
        As :func:`load`, for what the header shows.
    """
    name, handle = _open_source(source)
    with handle, _reading(name, []):
        image = _open_image(handle)
        width, height = image.size
        if _header_orientation(image) in (5, 6, 7, 8):  # turned a quarter: sides swap
            width, height = height, width
        return width, height, _frame_count(name, image)


def _header_orientation(image: Image.Image) -> int:
    if image.format == "PNG":  # PngImageFile.getexif() decodes the image to find late EXIF
        data = image.info.get("exif")
        if not data:
            return 1
        exif = Image.Exif()
        exif.load(data)
        return int(exif.get(0x0112, 1))
    return int(image.getexif().get(0x0112, 1))


# The directory of Pillow's own modules: an exception raised there (or in the C decoder they
# call) is about the file; one raised in poolcli's own code is a bug, never "a corrupt file".
_PILLOW = os.path.dirname(Image.__file__) + os.sep
_POOLCLI = os.path.dirname(__file__) + os.sep


def _raised_by_pillow(exc: BaseException) -> bool:
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
def _reading(name: str, notes: list[str]) -> Iterator[None]:
    """Turn what the decoder raises into one InputError that names the file, and what it
    warns of into ``notes``; errors of poolcli's own code pass through as they are."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                yield
            finally:
                for warning in caught:
                    note = f"{name}: {_one_line(str(warning.message))}"
                    if note not in notes:
                        notes.append(note)
    except (InputError, KeyboardInterrupt):
        raise
    except UnidentifiedImageError:
        raise _fail(name, "not an image file (Pillow cannot identify its format)") from None
    except Image.DecompressionBombError as exc:
        raise _fail(name, f"too many pixels ({exc})") from None
    except MemoryError:
        raise _fail(name, "not enough memory to decode it") from None
    except Exception as exc:
        if not _raised_by_pillow(exc):
            raise
        reason = _one_line(str(exc)) or type(exc).__name__
        raise _fail(name, f"truncated or corrupt image ({reason})") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _quiet_libtiff() -> None:
    """Stop libtiff printing to stderr: its default handlers write warnings and errors there
    from C (``TIFFFillStrip: Invalid strip byte count``), past Python and past our messages.
    Pillow still raises on what fails, which :func:`_reading` reports in one line; what
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


def _open_image(handle: IO[bytes]) -> Image.Image:
    # Our own pixel limit replaces Pillow's, which would stop at 179 MP whatever the user asks.
    _quiet_libtiff()
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(handle)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


@contextlib.contextmanager
def _pillow_limit(max_pixels: int | None) -> Iterator[None]:
    """Pillow's own bomb checks (an icon's embedded PNG, a GIF frame) at our limit, while
    decoding: it refuses more than twice its ``MAX_IMAGE_PIXELS``."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None if max_pixels is None else -(-max_pixels // 2)
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _frame_count(name: str, image: Image.Image) -> int:
    frames = int(getattr(image, "n_frames", 1))
    if frames > MAX_FRAMES:
        raise _fail(name, f"{frames} frames, over the limit of {MAX_FRAMES}")
    return frames


def _pixels_text(pixels: int) -> str:
    """A pixel count as people say it: '1 pixel', '40000 pixels', '200 megapixels'.

    >>> _pixels_text(1), _pixels_text(4096), _pixels_text(200_000_000), _pixels_text(2_025_000_000)
    ('1 pixel', '4096 pixels', '200 megapixels', '2025 megapixels')
    """
    if pixels >= 10_000_000:
        return f"{pixels / 1e6:.0f} megapixels"
    return f"{pixels} pixel{'' if pixels == 1 else 's'}"


def _check_pixels(
    name: str, size: tuple[int, int], max_pixels: int | None, *, frames: int = 1, seen: int = 0
) -> None:
    """Refuse ``frames`` frames of ``size`` when, with ``seen`` pixels already decoded, they
    are more than ``max_pixels``."""
    pixels = size[0] * size[1] * frames + seen
    if max_pixels is not None and pixels > max_pixels:
        what = f"{size[0]}x{size[1]}" + (f" x {frames} frames" if frames > 1 else "")
        if seen:
            what = f"frames up to {size[0]}x{size[1]}"
        raise _fail(
            name,
            f"{what} is {_pixels_text(pixels)}, over the limit of {_pixels_text(max_pixels)} "
            "(a decompression bomb?); raise the limit with --max-pixels if the file is trusted",
        )


def _decode(name: str, image: Image.Image, max_pixels: int | None) -> Picture:
    frames, durations = [], []
    animated = getattr(image, "n_frames", 1) > 1
    seen = 0
    info = dict(image.info)
    target = _pool_mode(image)
    # Only real EXIF blocks are carried over: a TIFF's getexif() holds its own layout tags.
    exif = Image.Exif()
    if info.get("exif"):
        exif.load(info["exif"])
    for frame in ImageSequence.Iterator(image) if animated else [image]:
        _check_pixels(name, frame.size, max_pixels, seen=seen)  # TIFF pages differ in size
        seen += frame.size[0] * frame.size[1]
        frame.load()
        durations.append(int(frame.info.get("duration", info.get("duration", 100)) or 0))
        # Frames of an animation share one orientation: none, in practice.
        upright = frame if animated else _upright(frame)
        planar = to_planar(upright if upright.mode == target else upright.convert(target))
        # A single-band frame is a view of Pillow's memory, which the next seek overwrites.
        frames.append(planar.copy() if animated and planar.base is not None else planar)
    exif.pop(0x0112, None)  # orientation: applied above
    dpi = info.get("dpi")
    return Picture(
        frames=frames,
        mode=target,
        name=name,
        format=image.format or info.get("format"),
        durations=durations if animated else None,
        loop=info.get("loop"),
        icc_profile=info.get("icc_profile"),
        exif=exif.tobytes() if len(exif) else None,
        dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
    )


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; itself (not a copy) when upright."""
    if image.getexif().get(0x0112, 1) in (2, 3, 4, 5, 6, 7, 8):
        return ImageOps.exif_transpose(image)
    return image


def _pool_mode(image: Image.Image) -> str:
    """The pooling mode an image's pixels are converted to."""
    mode = image.mode
    if mode in _CHANNELS:
        return mode
    if mode == "P":
        return "RGBA" if image.has_transparency_data else "RGB"
    if mode in _CONVERT:
        return _CONVERT[mode]
    return "RGBA" if "A" in mode else "RGB"


def to_planar(image: Image.Image) -> np.ndarray:
    """The pixels of an image in a pooling mode as a planar ``(C, H, W)`` array.

    A read-only view of Pillow's own storage, read through its Arrow export: no copy. For a
    multiband image the view steps 4 bytes from pixel to pixel, and the first pooling pass
    reads it in place (faster than copying it to contiguous planes first, and 72 MB less at
    the peak for a 24-MP photo; see benchmarks/bench_images.py). Falls back to a copy via
    ``np.asarray`` where there is no export.
    """
    width, height = image.size
    layout = _CHANNELS[image.mode]
    view = arrow_view(image)
    if view is None:  # Pillow without Arrow, or an image in several blocks
        pixels = np.asarray(image)
        return pixels.reshape(1, height, width) if layout is None else deinterleave(pixels)
    if layout is None:
        return view.view(_SINGLE_DTYPES[image.mode]).reshape(1, height, width)
    planes = view.reshape(height, width, 4).transpose(2, 0, 1)
    step = layout[1] - layout[0]  # RGB, RGBA, CMYK: 0, 1, 2(, 3); LA: 0, 3
    return planes[layout[0] : layout[-1] + 1 : step]


def to_image(planar: np.ndarray, mode: str, threads: int | None = None) -> Image.Image:
    """A Pillow image of planar ``(C, H, W)`` pixels in a pooling mode.

    Single-band images share the array's memory; multiband ones are interleaved once into
    Pillow's 4-bytes-a-pixel layout, which Pillow then maps without copying.
    """
    height, width = planar.shape[1:]
    layout = _CHANNELS[mode]
    if layout is None:
        plane = np.ascontiguousarray(planar[0], dtype=_SINGLE_DTYPES[mode])
        if mode in ("L", "I;16"):
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


# ---------------------------------------------------------------------------------- saving

# Modes each format writes as they are (after RGBX, which stands for RGB, is named RGB).
_WRITABLE: dict[str, set[str]] = {
    "JPEG": {"L", "RGB", "RGBX", "CMYK"},
    "PNG": {"L", "LA", "RGB", "RGBA", "I;16"},
    "WEBP": {"RGB", "RGBA"},
    "GIF": {"L", "RGB", "RGBA"},
    "BMP": {"L", "RGB", "RGBA"},
    "TIFF": {"L", "LA", "RGB", "RGBA", "CMYK", "I;16", "I", "F"},
}


# The common formats, so that naming one does not cost Image.init(), which imports every
# Pillow plugin (40 ms, a tenth of a whole one-photo run).
COMMON_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".gif": "GIF",
    ".bmp": "BMP",
}
_PLUGINS = {
    "JPEG": "Jpeg",
    "PNG": "Png",
    "WEBP": "WebP",
    "TIFF": "Tiff",
    "GIF": "Gif",
    "BMP": "Bmp",
}
_EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "TIFF": "tif",
    "GIF": "gif",
    "BMP": "bmp",
}


def extension_for(fmt: str) -> str:
    """The usual file extension (no dot) of a format named as ``--format`` takes it.

    >>> extension_for("jpeg"), extension_for("TIF"), extension_for("qoi")
    ('jpg', 'tif', 'qoi')
    """
    name = {"JPG": "JPEG", "TIF": "TIFF"}.get(fmt.upper(), fmt.upper())
    return _EXTENSIONS.get(name, fmt.lower())


def format_for(path: str | os.PathLike[str], explicit: str | None = None) -> str:
    """Pillow's format name for an output: ``explicit`` if given, else from the extension.

    Raises
    ------
    OutputError
        If neither names a format Pillow can write.
    """
    suffix = Path(path).suffix.lower()
    if explicit:
        name = explicit.upper()
        name = {"JPG": "JPEG", "TIF": "TIFF"}.get(name, name)
    else:
        name = COMMON_FORMATS.get(suffix, "")
    if name in _PLUGINS:
        importlib.import_module(f"PIL.{_PLUGINS[name]}ImagePlugin")
        return name
    Image.init()
    if explicit:
        if name not in Image.SAVE:
            raise OutputError(f"{explicit}: not a format poolimg can write")
        return name
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None or fmt not in Image.SAVE:
        raise OutputError(
            f"{os.fspath(path)}: cannot tell the format from "
            f"{suffix or 'a name without extension'}; give one with --format"
        )
    return fmt


@dataclass(frozen=True)
class SaveOptions:
    """How to encode: JPEG/WebP quality, PNG compression level, what to flatten alpha onto."""

    format: str | None = None
    quality: int = 95
    compress_level: int = 1
    background: tuple[int, int, int] = (255, 255, 255)


def _fit(image: Image.Image, fmt: str, options: SaveOptions) -> tuple[Image.Image, str | None]:
    """Convert an image to a mode ``fmt`` can hold; say so when something is lost."""
    writable = _WRITABLE.get(fmt)
    mode = image.mode
    if mode == "RGBX" and (writable is None or "RGBX" not in writable):
        image, mode = image.convert("RGB"), "RGB"  # RGBX is how poolcli hands Pillow RGB
    if writable is None or mode in writable:
        return image, None
    if mode in ("LA", "RGBA"):
        colour = "RGB" if mode == "RGBA" or "L" not in writable else "L"
        flat = Image.new("RGB", image.size, options.background)
        flat.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return flat.convert(colour), f"alpha flattened onto {_hex(options.background)} for {fmt}"
    if mode == "I" and "I;16" in writable:
        return _to_16bit(image), f"32-bit integer clipped to 16-bit for {fmt}"
    if mode in ("I;16", "I", "F"):
        return _to_8bit(image), f"{_depth(mode)} reduced to 8-bit for {fmt}"
    if mode == "L":
        return image.convert("RGB"), None  # grey as RGB loses nothing
    return image.convert("RGB"), f"{mode} converted to RGB for {fmt}"


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _depth(mode: str) -> str:
    return {"I;16": "16-bit", "I": "32-bit integer", "F": "32-bit float"}[mode]


def _to_16bit(image: Image.Image) -> Image.Image:
    """32-bit integers clipped to 0..65535."""
    values = np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
    return Image.frombuffer("I;16", image.size, values, "raw", "I;16", 0, 1)


def _to_8bit(image: Image.Image) -> Image.Image:
    """16-bit to 8-bit by the nearest value (v / 257); I and F are clipped to 0..255 first,
    and a float's NaN becomes 0."""
    values = np.asarray(image)
    if image.mode == "I;16":
        eight = ((values.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    else:
        wide = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        eight = np.clip(np.floor(wide + 0.5), 0, 255).astype(np.uint8)
    return Image.fromarray(eight, "L")


# The longest side each format can store (the rest: more than any image poolimg reads).
_LARGEST_SIDE = {"JPEG": 65535, "WEBP": 16383, "GIF": 65535, "ICO": 256, "BMP": 2**31 - 1}


def _save_arguments(
    picture: Picture, fmt: str, options: SaveOptions, size: tuple[int, int]
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    largest = _LARGEST_SIDE.get(fmt)
    if largest is not None and max(size) > largest:
        raise OutputError(
            f"{fmt} holds images of at most {largest}x{largest} pixels, "
            f"but this one is {size[0]}x{size[1]}; choose another --format"
        )
    if fmt == "ICO":
        # Pillow's default is a set of square icons no larger than the image, each shrunk to
        # fit: a 64x48 pass would come out 48x36. One icon of the pass's own size instead.
        args["sizes"] = [size]
    if fmt in ("JPEG", "WEBP"):
        args["quality"] = options.quality
    if fmt == "JPEG":
        # 4:4:4: chroma subsampling would smear the colour edges of pooled blocks.
        args["subsampling"] = 0
    if fmt == "PNG":
        args["compress_level"] = options.compress_level
    if picture.icc_profile and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        args["icc_profile"] = picture.icc_profile
    if picture.exif and fmt in ("JPEG", "PNG", "WEBP", "TIFF"):
        args["exif"] = picture.exif
    if picture.dpi and fmt in ("JPEG", "PNG", "TIFF", "BMP"):
        args["dpi"] = picture.dpi
    return args


def encode(
    picture: Picture, fmt: str, options: SaveOptions = SaveOptions(), threads: int | None = None
) -> tuple[list[Image.Image], dict[str, Any], list[str]]:
    """Pillow frames and save arguments for ``picture`` in ``fmt``, and warnings to show."""
    notes: list[str] = []
    frames = []
    for planar in picture.frames:
        image, note = _fit(to_image(planar, picture.mode, threads), fmt, options)
        frames.append(image)
        if note and note not in notes:
            notes.append(note)
    args = _save_arguments(picture, fmt, options, frames[0].size)
    if len(frames) > 1:
        if fmt in ("GIF", "WEBP", "PNG", "TIFF"):
            args.update(save_all=True, append_images=frames[1:])
            if picture.durations and fmt != "TIFF":
                args["duration"] = picture.durations
                args["loop"] = picture.loop if picture.loop is not None else 0
        else:
            notes.append(f"only the first of {len(frames)} frames kept: {fmt} holds one")
    return frames, args, notes


def save(
    picture: Picture,
    path: str | os.PathLike[str],
    options: SaveOptions = SaveOptions(),
    *,
    protect: Iterable[str | os.PathLike[str]] = (),
    threads: int | None = None,
) -> list[str]:
    """Write ``picture`` to ``path`` ("-": standard output) atomically; return warnings.

    The image is written to a temporary file in the target folder and moved into place with
    ``os.replace``, so a crash or Ctrl-C never leaves a half-written file; the temporary file is
    removed on any failure. Paths in ``protect`` (the inputs of the run) are never written.

    Raises
    ------
    OutputError
        The format is unknown, the path is an input of the run, or the folder cannot be
        created or written.
    """
    if os.fspath(path) == "-" and not options.format:
        raise OutputError("-: writing to standard output needs --format")
    fmt = format_for(path, options.format)
    try:
        frames, args, notes = encode(picture, fmt, options, threads)
    except OutputError as exc:  # the image is larger than the format holds
        raise OutputError(f"{_shown(path)}: {exc}") from None
    _store(frames[0], path, fmt, args, protect)
    return notes


def save_image(
    image: Image.Image,
    path: str | os.PathLike[str],
    options: SaveOptions = SaveOptions(),
    *,
    protect: Iterable[str | os.PathLike[str]] = (),
) -> list[str]:
    """Write a Pillow image (a contact sheet, a grid) as :func:`save` writes a picture."""
    fmt = format_for(path, options.format)
    fitted, note = _fit(image, fmt, options)
    try:
        args = _save_arguments(Picture([], "RGB"), fmt, options, fitted.size)
    except OutputError as exc:
        raise OutputError(f"{_shown(path)}: {exc}") from None
    _store(fitted, path, fmt, args, protect)
    return [note] if note else []


def _store(
    image: Image.Image,
    path: str | os.PathLike[str],
    fmt: str,
    args: dict[str, Any],
    protect: Iterable[str | os.PathLike[str]],
) -> None:
    """Write an encoded image to standard output, or atomically to ``path``."""
    if os.fspath(path) == "-":
        buffer = io.BytesIO()
        _write(image, buffer, fmt, args, "<stdout>")
        try:
            sys.stdout.buffer.write(buffer.getvalue())
            sys.stdout.buffer.flush()
        except OSError as exc:
            raise OutputError(f"<stdout>: cannot be written ({_reason(exc)})") from None
        return
    target = Path(path)
    _refuse_inputs(target, protect)
    _write_atomically(target, lambda handle: _write(image, handle, fmt, args, str(path)))


def _write(
    image: Image.Image, handle: IO[bytes], fmt: str, args: dict[str, Any], name: str
) -> None:
    try:
        image.save(handle, fmt, **args)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # a disk error, reported by the caller with the path
        if not _raised_by_pillow(exc):
            raise  # a bug of ours, not a limit of the format
        reason = _one_line(str(exc)) or type(exc).__name__
        raise OutputError(f"{name}: {fmt} cannot hold this image ({reason})") from None


def _shown(path: str | os.PathLike[str]) -> str:
    return "<stdout>" if os.fspath(path) == "-" else os.fspath(path)


def _refuse_inputs(target: Path, protect: Iterable[str | os.PathLike[str]]) -> None:
    if not target.exists():
        return
    for source in protect:
        same = False
        if str(source) != "-":
            with contextlib.suppress(OSError):
                same = os.path.samefile(source, target)
        if same:
            raise OutputError(f"{target}: is an input of this run; refusing to overwrite it")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()
# When this run started; temporary files of dead runs older than this are removed.
_STARTED = time.time()
# A temporary file: `.NAME.PID.RANDOM.part`, written beside its target then renamed over it.
_TEMPORARY = re.compile(r"\..+\.(\d+)\.[a-z0-9_]{8}\.part")
_swept: set[str] = set()


def _sweep_stale(folder: Path) -> None:
    """Remove the temporary files that runs killed outright (SIGKILL, power loss) left in
    ``folder``: ours by name, older than this run, of a process that no longer exists."""
    key = os.path.abspath(folder)
    if key in _swept:
        return
    _swept.add(key)
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry.name)
            if match is None or _alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < _STARTED:
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # not ours to signal, or not a pid: leave its file alone
    return True


def _write_atomically(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({_reason(exc)})") from None
    _sweep_stale(folder)
    try:
        fd, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=folder
        )
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write to the output folder ({_reason(exc)})") from None
    try:
        with os.fdopen(fd, "w+b") as handle:  # w+: multi-page TIFF reads back as it writes
            write(handle)
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"{target}: cannot be written ({_reason(exc)})") from None
        raise


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
