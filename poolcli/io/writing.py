"""Writing pictures: each format given what it can hold, atomically, with what was lost said.

:func:`save` writes a :class:`~poolcli.io.reading.Picture` in the format its name asks for,
converting what that format cannot hold with a warning; :func:`save_image` writes a drawn
sheet the same way. Every failure is an :class:`~poolcli.errors.OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from poolcli.errors import OutputError, StdoutClosed
from poolcli.io.atomic import atomic_file, reason, refuse_inputs, write_atomically
from poolcli.io.deep_encoders import fit_deep, is_deep, png16, target_of, tiff32
from poolcli.io.guard import one_line, raised_by_pillow
from poolcli.io.picture import Picture
from poolcli.io.pixels import sixteen_to_eight, to_image
from poolcli.remote import faults, storage
from poolcli.spec.formats import DEFAULT_SAVE, WRITABLE, SaveOptions, check_side, format_for


def _fit(image: Image.Image, fmt: str, options: SaveOptions) -> tuple[Image.Image, str | None]:
    """Convert an image to a mode ``fmt`` can hold; say so when something is lost."""
    writable = WRITABLE.get(fmt)
    mode = image.mode
    if mode == "RGBX" and (writable is None or "RGBX" not in writable):
        image, mode = image.convert("RGB"), "RGB"  # RGBX is how poolcli hands Pillow RGB
    if writable is None or mode in writable:
        return image, None
    if mode == "P":  # a label map, for a format without palettes: its colours
        clear = "transparency" in image.info or getattr(image.palette, "mode", "") == "RGBA"
        fitted, note = _fit(image.convert("RGBA" if clear else "RGB"), fmt, options)
        return fitted, note or f"palette converted to {fitted.mode} for {fmt}"
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
        eight = sixteen_to_eight(values)
    else:
        wide = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        eight = np.clip(np.floor(wide + 0.5), 0, 255).astype(np.uint8)
    return Image.fromarray(eight, "L")


def _save_arguments(
    picture: Picture, fmt: str, options: SaveOptions, size: tuple[int, int]
) -> dict[str, Any]:
    args: dict[str, Any] = {}
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
    picture: Picture, fmt: str, options: SaveOptions = DEFAULT_SAVE, threads: int | None = None
) -> tuple[list[Image.Image], dict[str, Any], list[str]]:
    """Pillow frames and save arguments for ``picture`` in ``fmt``, and warnings to show."""
    notes: list[str] = []
    frames = []
    for planar in picture.frames:
        image = to_image(planar, picture.mode, threads)
        if picture.palette is not None:
            image.putpalette(picture.palette.colours, picture.palette.mode)
            if picture.palette.transparency is not None:
                image.info["transparency"] = picture.palette.transparency
        image, note = _fit(image, fmt, options)
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
    options: SaveOptions = DEFAULT_SAVE,
    *,
    protect: Iterable[str | os.PathLike[str]] = (),
    threads: int | None = None,
    create_only: bool = False,
    inside: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Write ``picture`` to ``path`` ("-": standard output) atomically; return warnings.

    The image is written to a temporary file in the target folder and moved into place with
    ``os.replace``, so a crash or Ctrl-C never leaves a half-written file; the temporary file is
    removed on any failure. Paths in ``protect`` (the inputs of the run) are never written.
    A URL (:mod:`poolcli.remote.storage`) is encoded in memory and stored whole with one request,
    refused by the server if it exists when ``create_only`` (raising
    :class:`~poolcli.remote.storage.Exists`).

    ``inside`` is the output folder ``path`` lies below: no folder between the two is
    entered through a link that leads out of it (:func:`~poolcli.io.atomic.write_atomically`).

    Raises
    ------
    OutputError
        The format is unknown, the path is an input of the run, the folder cannot be
        created or written or is a link out of ``inside``.
    """
    if os.fspath(path) == "-" and not options.format:
        raise OutputError("-: writing to standard output needs --format")
    fmt = format_for(path, options.format)
    if picture.frames and is_deep(picture.frames[0], picture.mode):
        return _save_deep(picture, path, fmt, options, protect, threads, create_only, inside)
    frames, args, notes = encode(picture, fmt, options, threads)
    _store(frames[0], path, fmt, args, protect, create_only, inside)
    return notes


def open_for_pieces(
    files: contextlib.ExitStack,
    path: str,
    protect: Iterable[str | os.PathLike[str]],
    inside: str | os.PathLike[str] | None,
) -> IO[bytes]:
    """The atomic file of a local ``path`` written in pieces (a pass's bands, a stack's
    pages), held open by ``files``: renamed into place when it closes without an error,
    removed if it closes with one; never an input in ``protect``, never through a link out
    of ``inside``."""
    target = Path(storage.local(path))
    refuse_inputs(target, protect)
    return files.enter_context(atomic_file(target, _folder(inside)))


class TiffPages:
    """A multi-page TIFF written a page at a time into ``handle`` (open for reading and
    writing, empty; an :func:`~poolcli.io.atomic.atomic_file`), through Pillow's
    ``AppendingTiffWriter``: the bytes :func:`save` writes of the same frames at once, without
    holding them (a stack pooled across its frames as it is decoded).

    >>> handle = io.BytesIO()
    >>> pages = TiffPages(handle, "s.tif")
    >>> for v in (0, 9):
    ...     _ = pages.add(Picture([np.full((1, 2, 3), v, np.uint8)], "L"))
    >>> Image.open(handle).n_frames
    2
    """

    def __init__(self, handle: IO[bytes], name: str, options: SaveOptions = DEFAULT_SAVE) -> None:
        self.handle, self.name, self.options = handle, name, options

    def add(self, picture: Picture) -> list[str]:
        """Append ``picture``'s one frame as a page; return warnings."""
        from PIL.TiffImagePlugin import AppendingTiffWriter

        frames, args, notes = encode(picture, "TIFF", self.options)
        check_side(self.name, "TIFF", *frames[0].size)
        self.handle.seek(0)  # the writer reads the pages so far to chain the new one on
        writer = AppendingTiffWriter(self.handle)
        _write(frames[0], writer, "TIFF", args, self.name)
        writer.newFrame()
        return notes

    def restart(self) -> None:
        """No page yet (a decode retried)."""
        self.handle.seek(0)
        self.handle.truncate()


def _save_deep(
    picture: Picture,
    path: str | os.PathLike[str],
    fmt: str,
    options: SaveOptions,
    protect: Iterable[str | os.PathLike[str]],
    threads: int | None,
    create_only: bool,
    inside: str | os.PathLike[str] | None,
) -> list[str]:
    """Sums and Lp norms: whole in 16-bit PNG or 32-bit TIFF, clipped (and counted) in
    anything else."""
    target = target_of(fmt, picture.frames[0].dtype)
    if target == "PNG" and picture.mode == "CMYK":
        target = "8-bit"  # PNG has no CMYK: Pillow's path converts it to RGB
    notes = []
    if len(picture.frames) > 1 and target == "PNG":
        notes.append(f"only the first of {len(picture.frames)} frames kept: 16-bit PNG holds one")
    fitted = [fit_deep(frame, target) for frame in picture.frames[: 1 if target == "PNG" else None]]
    clipped = sum(count for _, count in fitted)
    if clipped:
        values = sum(frame.size for frame in picture.frames[: len(fitted)])
        limit = {"PNG": "16", "8-bit": "8"}.get(target, "32")
        notes.append(
            f"{clipped:,} of {values:,} values clipped: {fmt} holds {limit} bits "
            "(without --format, sums and Lp values are written whole, as 16-bit PNG or TIFF)"
        )
    if target == "8-bit":
        mode = picture.mode if picture.mode in ("L", "LA", "RGB", "RGBA", "CMYK") else "L"
        eight = replace(picture, frames=[values for values, _ in fitted], mode=mode)
        frames, args, more = encode(eight, fmt, options, threads)
        _store(frames[0], path, fmt, args, protect, create_only, inside)
        return notes + more
    try:
        if target == "PNG":
            pixels = fitted[0][0]
            data = png16(pixels, picture.mode, options.compress_level, picture.icc_profile)
        else:
            data = tiff32([values for values, _ in fitted], picture.mode)
    except ValueError as exc:
        raise OutputError(f"{_shown(path)}: {exc}") from None
    _store_bytes(data, path, protect, create_only, inside)
    return notes


def save_image(
    image: Image.Image,
    path: str | os.PathLike[str],
    options: SaveOptions = DEFAULT_SAVE,
    *,
    protect: Iterable[str | os.PathLike[str]] = (),
    create_only: bool = False,
    inside: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Write a Pillow image (a contact sheet, a grid) as :func:`save` writes a picture."""
    fmt = format_for(path, options.format)
    fitted, note = _fit(image, fmt, options)
    args = _save_arguments(Picture([], "RGB"), fmt, options, fitted.size)
    _store(fitted, path, fmt, args, protect, create_only, inside)
    return [note] if note else []


def save_text(
    text: str, path: str | os.PathLike[str], *, protect: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Write a text file (an explorer page) as pictures are written: atomically, to a URL
    whole, or to standard output for ``-``; never over an input in ``protect``."""
    _store_bytes(text.encode("utf-8"), path, protect)


def _store(
    image: Image.Image,
    path: str | os.PathLike[str],
    fmt: str,
    args: dict[str, Any],
    protect: Iterable[str | os.PathLike[str]],
    create_only: bool = False,
    inside: str | os.PathLike[str] | None = None,
) -> None:
    """Write an encoded image to standard output, a URL, or atomically to ``path``, if
    ``fmt`` can hold its size."""
    name = _shown(path)
    check_side(name, fmt, image.width, image.height)
    if os.fspath(path) == "-" or storage.is_remote(os.fspath(path)):
        buffer = io.BytesIO()
        _write(image, buffer, fmt, args, name)
        _store_bytes(buffer.getvalue(), path, protect, create_only)
        return
    target = Path(storage.local(os.fspath(path)))
    refuse_inputs(target, protect)

    def write(handle: IO[bytes]) -> None:
        _write(image, handle, fmt, args, name)

    write_atomically(target, write, _folder(inside))


def _store_bytes(
    data: bytes,
    path: str | os.PathLike[str],
    protect: Iterable[str | os.PathLike[str]],
    create_only: bool = False,
    inside: str | os.PathLike[str] | None = None,
) -> None:
    """Write encoded bytes to standard output, a URL (whole, in one request), or atomically
    to ``path``."""
    if os.fspath(path) == "-":
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise StdoutClosed("broken pipe", broken=True) from None
        except OSError as exc:
            raise OutputError(f"<stdout>: cannot be written ({reason(exc)})") from None
        return

    url = os.fspath(path)
    if storage.is_remote(url):
        if url in {os.fspath(p) for p in protect}:
            raise OutputError(f"{url}: is an input of this run; refusing to overwrite it")
        try:
            storage.put(url, data, create_only=create_only)
        except faults.StorageError as exc:
            if exc.exhausted:  # kept as it is: the run counts these to tell a service down
                raise
            raise OutputError(f"{exc}") from None
        return

    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    target = Path(storage.local(url))
    refuse_inputs(target, protect)
    write_atomically(target, write, _folder(inside))


def _folder(inside: str | os.PathLike[str] | None) -> Path | None:
    """The local output folder a write stays inside (a URL has no links to follow)."""
    if inside is None or storage.is_remote(os.fspath(inside)):
        return None
    return Path(storage.local(os.fspath(inside)))


def _write(
    image: Image.Image, handle: IO[bytes], fmt: str, args: dict[str, Any], name: str
) -> None:
    try:
        image.save(handle, fmt, **args)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise  # a disk error, reported by the caller with the path
        if not raised_by_pillow(exc):
            raise  # a bug of ours, not a limit of the format
        reason = one_line(str(exc)) or type(exc).__name__
        raise OutputError(f"{name}: {fmt} cannot hold this image ({reason})") from None


def _shown(path: str | os.PathLike[str]) -> str:
    return "<stdout>" if os.fspath(path) == "-" else os.fspath(path)
