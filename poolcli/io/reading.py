"""Reading image files: the pixels, upright, in a pooling mode, with the metadata worth keeping.

:func:`load` decodes a file (or standard input) into a :class:`Picture`: planar numpy frames in
one of a few pooling modes; :func:`probe` reads only the header. Every failure is an
:class:`~poolcli.errors.InputError` whose message names the file and what is wrong.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from PIL import Image, ImageOps, ImageSequence

from poolcli.errors import InputError
from poolcli.io.filetypes import not_regular
from poolcli.io.guard import (
    CORRUPT,
    PILLOW_SETTINGS,
    check_bytes,
    check_pixels,
    decoder_errors,
    fail,
    frame_count,
    open_image,
    pillow_limit,
    truncated_allowed,
)
from poolcli.io.picture import Palette, Picture
from poolcli.io.pixels import CHANNELS, one_block_images, to_planar
from poolcli.remote import faults, storage
from poolcli.spec.limits import DEFAULT_MAX_PIXELS

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


def _open_source(source: str | os.PathLike[str], size: int | None = None) -> tuple[str, IO[bytes]]:
    """Open a file (or "-", standard input) for reading, with clear errors."""
    if str(source) == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise fail("<stdin>", "standard input is empty")
        return "<stdin>", io.BytesIO(data)
    name = os.fspath(source)
    if storage.is_remote(name):
        return name, storage.open_input(name, size)
    path = Path(storage.local(name))
    try:
        if path.is_dir():
            raise fail(name, "is a folder, not an image file")
        # Non-blocking: a named pipe opens at once, without waiting for a writer, and is
        # refused below with the devices; regular files ignore the flag.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise fail(name, "no such file") from None
    except PermissionError:
        raise fail(name, "permission denied") from None
    except OSError as exc:
        raise fail(name, f"cannot be read ({exc.strerror or exc})") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        hint = " (pipe it to standard input: -)" if stat.S_ISFIFO(status.st_mode) else ""
        raise fail(name, f"is {not_regular(status.st_mode)}{hint}")
    if status.st_size == 0:
        os.close(fd)
        raise fail(name, "empty file (0 bytes)")
    return name, open(fd, "rb")


class FrameSink(Protocol):
    """What takes a file's frames as they are decoded (``load(frames_to=)``)."""

    def start(self) -> None: ...

    def __call__(self, frame: np.ndarray) -> None: ...


def load(
    source: str | os.PathLike[str],
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    size: int | None = None,
    before_decode: Callable[[Header], object] | None = None,
    allow_truncated: bool = False,
    palette: bool = False,
    frames_to: FrameSink | None = None,
) -> Picture:
    """Decode an image file, or standard input for ``"-"``, into a :class:`Picture`.

    The EXIF orientation is applied (a phone photo comes out upright); palette, bilevel and
    other modes are converted to the nearest pooling mode; every frame of an animation or a
    multi-page TIFF is kept, with its duration. Loads in several threads take turns (they set
    Pillow's process-wide limits while they decode). The pixel limit is checked against the header
    before anything is decoded, and against each frame before it is decoded. What the decoder
    warns of (a truncated strip, corrupt EXIF) comes back in ``Picture.notes``. ``source``
    may be a URL (:mod:`poolcli.remote.storage`); ``size``, its bytes when a listing said, saves
    the request that would ask. ``before_decode`` is given the file's :class:`Header` once it
    is read and may raise to refuse the file before a pixel is decoded (what a run can decide
    from the size alone: whether its passes fit, whether the output format holds them); it may
    return 2, 4 or 8 to have a still JPEG decoded at that fraction of its size by libjpeg
    (``--draft``), the last block row and column dropped where they are partial.
    ``allow_truncated``: a file that fails to decode to its end is decoded again as far as it
    goes, the rest black, with a note (``--allow-truncated``). ``palette``: a still palette
    image keeps its indices (mode ``P``, :class:`Palette` in ``Picture.palette``), for the
    modes that only ever pick one of a window's pixels, so a label map stays one.
    ``frames_to``: each frame (a still image's one too) is handed to it as it is decoded, and
    only the first is kept in the picture (a stack pooled across its frames holds a window of
    them).

    Raises
    ------
    InputError
        The file is missing, a folder, empty, unreadable, not an image, truncated or corrupt,
        has more than ``max_pixels`` pixels (None: no limit), or would decode to more than
        :data:`~poolcli.spec.limits.BYTES_PER_LIMIT_PIXEL` bytes for each of them.
    """
    # A dropped connection is read again; a local file raises no StorageError, so no retry.
    url = os.fspath(source)
    try:
        return faults.retrying(
            url,
            lambda: _load(
                source, max_pixels, size, before_decode, palette=palette, frames_to=frames_to
            ),
        )
    except InputError as exc:
        if not allow_truncated or f": {CORRUPT} (" not in str(exc) or str(source) == "-":
            raise
        first = exc
    try:
        picture = faults.retrying(
            url,
            lambda: _load(
                source, max_pixels, size, before_decode, True, palette=palette, frames_to=frames_to
            ),
        )
    except InputError:
        raise first from None
    note = (
        f"{picture.name}: {CORRUPT}: decoded as far as it goes, the rest black (--allow-truncated)"
    )
    return replace(picture, notes=(*picture.notes, note))


def _load(
    source: str | os.PathLike[str],
    max_pixels: int | None,
    size: int | None,
    before_decode: Callable[[Header], object] | None,
    truncated: bool = False,
    *,
    palette: bool = False,
    frames_to: FrameSink | None = None,
) -> Picture:
    name, handle = _open_source(source, size)
    notes: list[str] = []
    with (
        PILLOW_SETTINGS,
        handle,
        one_block_images(),
        truncated_allowed(truncated),
        decoder_errors(name, notes),
    ):
        image = open_image(handle)
        check_pixels(name, image.size, max_pixels)  # before counting frames walks the file
        frames = frame_count(name, image)
        check_pixels(name, image.size, max_pixels, frames=frames)
        check_bytes(name, image.size, frames, _pool_mode(image), max_pixels, image.format)
        scale = before_decode(_header_of(image, frames)) if before_decode is not None else None
        drafted = isinstance(scale, int) and scale > 1 and image.format == "JPEG" and frames == 1
        if drafted:  # libjpeg's scaled decode; the partial last block dropped below
            assert isinstance(scale, int)
            width, height = image.size
            # Pillow picks the largest scale whose size is at least the one asked: the floor
            # (the whole blocks) gets 1/scale, and decodes the partial last block too.
            image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))
            if image.size != (-(-width // scale), -(-height // scale)):
                raise ValueError(f"libjpeg decoded {image.size}, not 1/{scale} of {width}x{height}")
        with pillow_limit(max_pixels):
            picture = _decode(
                name,
                image,
                max_pixels,
                animated=frames > 1,
                notes=notes,
                handle=None if drafted else handle,  # the fast decoder does not scale
                palette=palette and frames == 1 and image.mode == "P",
                sink=frames_to,
            )
        decoded = len(picture.durations or [None])
        if frames_to is not None and decoded < frames:  # the sink pooled what the header said
            raise fail(name, f"{CORRUPT} (its header says {frames} frames; {decoded} decoded)")
    if drafted:
        assert isinstance(scale, int)
        frame = picture.frames[0][:, : height // scale, : width // scale]
        picture = replace(picture, frames=[np.ascontiguousarray(frame)])
    return replace(picture, notes=tuple(notes))


def from_pillow(image: Image.Image, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Picture:
    """A :class:`Picture` of an image already opened or made with Pillow, read as :func:`load`
    reads a file: upright, in a pooling mode, every frame, within ``max_pixels``.

    Raises
    ------
    InputError
        As :func:`load`, for what Pillow finds when it decodes.
    """
    name = str(getattr(image, "filename", "") or "<image>")
    notes: list[str] = []
    with PILLOW_SETTINGS, one_block_images(), decoder_errors(name, notes):
        frames = frame_count(name, image)
        check_pixels(name, image.size, max_pixels, frames=frames)
        check_bytes(name, image.size, frames, _pool_mode(image), max_pixels, image.format)
        with pillow_limit(max_pixels):
            picture = _decode(name, image, max_pixels, animated=frames > 1, notes=notes)
    return replace(picture, notes=tuple(notes))


def probe(source: str | os.PathLike[str], size: int | None = None) -> tuple[int, int, int]:
    """(width, height, frames) of an image file as :func:`load` would give it, upright,
    from its header alone: no pixel is decoded.

    The orientation is read where the header holds it; a PNG whose EXIF comes after its
    pixels counts as upright here (reading that EXIF would decode the whole image).

    Raises
    ------
    InputError
        As :func:`load`, for what the header shows.
    """
    found = header(source, size)
    return found.width, found.height, found.frames


@dataclass(frozen=True)
class Header:
    """What an image file's header says, as :func:`load` would give the image: its upright
    size, its frames, the pooling mode its pixels become, and its format."""

    width: int
    height: int
    frames: int
    mode: str
    format: str | None
    # What decoding in bands needs besides: the file's own mode (Pillow's), its EXIF
    # orientation, and the metadata written with its passes.
    source_mode: str = ""
    orientation: int = 1
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    exif: bytes | None = None  # less its orientation, as the passes carry it


def header(source: str | os.PathLike[str], size: int | None = None) -> Header:
    """The :class:`Header` of an image file; no pixel is decoded (see :func:`probe`).
    ``size``: the file's bytes when a listing said, which saves a URL a request."""
    return faults.retrying(os.fspath(source), lambda: _header(source, size))


def _header(source: str | os.PathLike[str], size: int | None) -> Header:
    name, handle = _open_source(source, size)
    with PILLOW_SETTINGS, handle, decoder_errors(name, []):
        image = open_image(handle)
        return _header_of(image, frame_count(name, image))


def _header_of(image: Image.Image, frames: int) -> Header:
    width, height = image.size
    orientation = _orientation(image)
    if orientation in (5, 6, 7, 8):  # turned a quarter: sides swap
        width, height = height, width
    dpi = image.info.get("dpi")
    return Header(
        width,
        height,
        frames,
        _pool_mode(image),
        image.format,
        source_mode=image.mode,
        orientation=orientation,
        icc_profile=image.info.get("icc_profile"),
        dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
        exif=_exif_kept(image.info),
    )


def _exif_kept(info: Mapping[Any, Any]) -> bytes | None:
    """A file's EXIF block as its passes carry it: without the orientation, applied. Only a
    real EXIF block: a TIFF's ``getexif()`` holds its own layout tags."""
    data = info.get("exif")
    if not isinstance(data, bytes) or not data:
        return None
    exif = Image.Exif()
    exif.load(data)
    exif.pop(0x0112, None)
    return exif.tobytes() if len(exif) else None


def _orientation(image: Image.Image, notes: list[str] | None = None) -> int:
    """The EXIF orientation, 1 to 8. A tag of another type or value (ASCII, a number out of
    range) is ignored, as other readers ignore it, with a note in ``notes``."""
    if image.format == "PNG":  # PngImageFile.getexif() decodes the image to find late EXIF
        data = image.info.get("exif")
        if not data:
            return 1
        exif = Image.Exif()
        exif.load(data)
    else:
        exif = image.getexif()
    value = exif.get(0x0112, 1)
    if isinstance(value, int) and 1 <= value <= 8:
        return value
    note = f"EXIF orientation {str(value)[:20]!r} is not a number from 1 to 8: ignored"
    if notes is not None and note not in notes:
        notes.append(note)
    return 1


def _decode(
    name: str,
    image: Image.Image,
    max_pixels: int | None,
    *,
    animated: bool,
    notes: list[str],
    handle: IO[bytes] | None = None,
    palette: bool = False,
    sink: FrameSink | None = None,
) -> Picture:
    frames: list[np.ndarray] = []
    durations: list[int] = []
    if sink is not None:
        sink.start()  # a decode retried (--allow-truncated, a dropped connection) starts over
    seen = 0
    info = dict(image.info)
    target = "P" if palette else _pool_mode(image)
    for frame in ImageSequence.Iterator(image) if animated else [image]:
        check_pixels(name, frame.size, max_pixels, seen=seen)  # TIFF pages differ in size
        seen += frame.size[0] * frame.size[1]
        durations.append(int(frame.info.get("duration", info.get("duration", 100)) or 0))
        planar = None
        if not animated and image.format == "JPEG":
            planar = _fast_jpeg(image, handle, _orientation(image, notes))
        if planar is None:
            frame.load()
            # Frames of an animation share one orientation: none, in practice.
            upright = frame if animated else _upright(frame, notes)
            planar = to_planar(upright if upright.mode == target else upright.convert(target))
        # A single-band frame is a view of Pillow's memory, which the next seek overwrites.
        kept = planar.copy() if animated and planar.base is not None else planar
        if sink is not None:
            sink(kept)
        if sink is None or not frames:
            frames.append(kept)
    dpi = info.get("dpi")
    return Picture(
        frames=frames,
        mode=target,
        name=name,
        format=image.format or info.get("format"),
        durations=durations if animated else None,
        loop=info.get("loop"),
        icc_profile=info.get("icc_profile"),
        exif=_exif_kept(info),
        dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
        palette=_palette_of(image) if palette else None,
    )


def _palette_of(image: Image.Image) -> Palette:
    mode = image.palette.mode if image.palette is not None else "RGB"
    mode = mode if mode in ("RGB", "RGBA") else "RGB"
    transparency = image.info.get("transparency")
    if not isinstance(transparency, int | bytes):
        transparency = None
    return Palette(mode, bytes(image.getpalette(mode) or b""), transparency)


def _fast_jpeg(image: Image.Image, handle: IO[bytes] | None, orientation: int) -> np.ndarray | None:
    """A JPEG's upright planar pixels from the optional fast decoder (:mod:`poolcli.io.fast_jpeg`),
    or None where Pillow decodes it."""
    if handle is None:
        return None
    from poolcli.io.fast_jpeg import decode_planar

    return decode_planar(handle, image.mode, image.size, orientation)


def _upright(image: Image.Image, notes: list[str]) -> Image.Image:
    """The image turned as its EXIF orientation says; itself (not a copy) when upright."""
    if _orientation(image, notes) != 1:
        return ImageOps.exif_transpose(image)
    return image


def _pool_mode(image: Image.Image) -> str:
    """The pooling mode an image's pixels are converted to."""
    mode = image.mode
    if mode == "P":  # its colours (its indices only when asked: Picture.palette)
        return "RGBA" if image.has_transparency_data else "RGB"
    if mode in CHANNELS:
        return mode
    if mode in _CONVERT:
        return _CONVERT[mode]
    return "RGBA" if "A" in mode else "RGB"
