"""Image formats: which file names are images, what each format is called and can hold.

No Pillow at import (a folder walk and a batch's planning need only these tables); naming a
format that is not one of the common ones asks Pillow, which loads its plugins then.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from poolcli.errors import OutputError

# File extensions Pillow reads, for picking images out of folders.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"}
    | {".dib", ".ppm", ".pgm", ".pbm", ".pnm", ".tga", ".ico", ".psd", ".pcx", ".sgi", ".qoi"}
)


# Modes each format writes as they are (after RGBX, which stands for RGB, is named RGB).
WRITABLE: dict[str, set[str]] = {
    "JPEG": {"L", "RGB", "RGBX", "CMYK"},
    "PNG": {"L", "LA", "RGB", "RGBA", "I;16", "P"},
    "WEBP": {"RGB", "RGBA"},
    "GIF": {"L", "RGB", "RGBA", "P"},
    "BMP": {"L", "RGB", "RGBA", "P"},
    "TIFF": {"L", "LA", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "P"},
}


# The common formats, so that naming one does not cost Image.init(), which imports every
# Pillow plugin (a tenth of a one-photo run: benchmarks/bench_cli.py, "start-up").
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


_ALIASES = {"JPG": "JPEG", "TIF": "TIFF"}


def extension_for(fmt: str) -> str:
    """The usual file extension (no dot) of a format named as ``--format`` takes it.

    >>> extension_for("jpeg"), extension_for("TIF"), extension_for("qoi")
    ('jpg', 'tif', 'qoi')
    """
    name = _ALIASES.get(fmt.upper(), fmt.upper())
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
        name = _ALIASES.get(name, name)
    else:
        name = COMMON_FORMATS.get(suffix, "")
    if name in _PLUGINS:
        importlib.import_module(f"PIL.{_PLUGINS[name]}ImagePlugin")
        return name
    from PIL import Image

    Image.init()
    if explicit:
        if name not in Image.SAVE:
            common = ", ".join(sorted({e.lower() for e in _EXTENSIONS.values()}))
            raise OutputError(
                f"{explicit}: not a format poolimg can write (it writes {common}, and what "
                "else Pillow can: ico, ppm, qoi, tga, ...)"
            )
        return name
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None or fmt not in Image.SAVE:
        shown = os.fspath(path)
        folder = f", or end it with / if {shown} is meant as a folder" if suffix else ""
        raise OutputError(
            f"{shown}: cannot tell the format from {suffix or 'a name without extension'}; "
            f"give one with --format{folder}"
        )
    return fmt


@dataclass(frozen=True)
class SaveOptions:
    """How to encode: JPEG/WebP quality, PNG compression level, what to flatten alpha onto,
    and which of the input's metadata to carry: ``"all"`` (colour profile, EXIF less its
    orientation, DPI), ``"icc"`` (the colour profile alone: no camera, time or GPS position)
    or ``"none"``."""

    format: str | None = None
    quality: int = 95
    compress_level: int = 1
    background: tuple[int, int, int] = (255, 255, 255)
    metadata: Literal["all", "icc", "none"] = "all"

    def __post_init__(self) -> None:
        if self.metadata not in ("all", "icc", "none"):
            raise ValueError(f"--keep-metadata {self.metadata!r}: use all, icc or none")


# Pillow modes whose values are sRGB-encoded light, which --linear decodes before averaging.
LINEAR_MODES = frozenset({"L", "LA", "RGB", "RGBA", "I;16"})

# The longest side each format can store (the rest: more than any image poolimg reads).
LARGEST_SIDE = {"JPEG": 65535, "WEBP": 16383, "GIF": 65535, "ICO": 256, "BMP": 2**31 - 1}


def check_side(name: str, fmt: str, width: int, height: int) -> None:
    """Refuse to write a ``width`` x ``height`` image as ``fmt`` when its longest side is more
    than the format holds.

    Raises
    ------
    OutputError
        Naming the file, the format's limit and the way out.
    """
    largest = LARGEST_SIDE.get(fmt)
    if largest is not None and max(width, height) > largest:
        raise OutputError(
            f"{name}: {fmt} holds images of at most {largest}x{largest} pixels, "
            f"but this one is {width}x{height}; choose another --format"
        )


DEFAULT_SAVE = SaveOptions()
