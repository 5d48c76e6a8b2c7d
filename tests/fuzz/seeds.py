"""Small valid images of every format and mode poolimg reads: the seeds the mutator damages."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

SAMPLE = Path(__file__).resolve().parents[2] / "sample_images" / "chelsea.png"


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def seeds() -> dict[str, bytes]:
    """File name -> bytes: each a small, valid image of one format and mode."""
    with Image.open(SAMPLE) as photo:
        rgb = photo.convert("RGB").resize((24, 16))
    rgba = rgb.copy()
    rgba.putalpha(Image.linear_gradient("L").resize(rgb.size))
    grey = rgb.convert("L")
    palette = rgb.quantize(16)
    frames = [rgb, rgb.rotate(90), rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    out = {
        "rgb.jpg": _save(rgb, "JPEG", quality=90),
        "grey_progressive.jpg": _save(grey, "JPEG", progressive=True),
        "cmyk.jpg": _save(rgb.convert("CMYK"), "JPEG"),
        "exif_rotated.jpg": _save(rgb, "JPEG", exif=_orientation(6)),
        "rgb.png": _save(rgb, "PNG"),
        "rgba_interlaced.png": _save(rgba, "PNG", optimize=True),
        "palette_transparent.png": _save(palette, "PNG", transparency=0),
        "deep.png": _save(grey.convert("I").point(lambda v: v * 257).convert("I;16"), "PNG"),
        "animated.png": _save(frames[0], "PNG", save_all=True, append_images=frames[1:]),
        "animated.gif": _save(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0),
        "transparent.gif": _save(palette, "GIF", transparency=0),
        "pages.tif": _save(frames[0], "TIFF", save_all=True, append_images=frames[1:]),
        "lzw.tif": _save(rgba, "TIFF", compression="tiff_lzw"),
        "float.tif": _save(grey.convert("F"), "TIFF"),
        "int.tif": _save(grey.convert("I"), "TIFF"),
        "lossy.webp": _save(rgb, "WEBP", quality=80),
        "lossless.webp": _save(rgba, "WEBP", lossless=True),
        "animated.webp": _save(frames[0], "WEBP", save_all=True, append_images=frames[1:]),
        "rgb.bmp": _save(rgb, "BMP"),
        "palette.bmp": _save(palette, "BMP"),
        "icon.ico": _save(rgba, "ICO", sizes=[(16, 16), (24, 16)]),
        "rgb.ppm": _save(rgb, "PPM"),
        "grey.pgm": _save(grey, "PPM"),
        "bilevel.pbm": _save(grey.convert("1"), "PPM"),
        "rle.tga": _save(rgba, "TGA", compression="tga_rle"),
        "rgb.pcx": _save(rgb, "PCX"),
        "rgb.sgi": _save(rgb, "SGI"),
        "rgba.qoi": _save(rgba, "QOI"),
        "rgb.dib": _save(rgb, "DIB"),
        # Structures the structure-aware campaign edits: EXIF in PNG and WebP, GIF frames
        # with their own palettes, disposal and offsets, tiled, planar and 16-bit TIFF.
        "exif.png": _save(rgb, "PNG", exif=_orientation(8)),
        "exif.webp": _save(rgb, "WEBP", exif=_orientation(3)),
        "disposal.gif": _save(
            frames[0],
            "GIF",
            save_all=True,
            append_images=[f.crop((0, 0, 12, 8)) for f in frames[1:]],
            disposal=[0, 2, 3],
            duration=[10, 20, 30],
            optimize=False,
        ),
        **_tifffile_seeds(rgb),
    }
    return out


def _tifffile_seeds(rgb: Image.Image) -> dict[str, bytes]:
    """Tiled, planar and 16-bit TIFFs, which Pillow does not write (tifffile, of the test
    extra, does; without it these seeds are left out)."""
    try:
        import numpy as np
        import tifffile
    except ImportError:
        return {}
    pixels = np.asarray(rgb)
    out = {}
    for name, values, options in (
        ("tiled.tif", pixels, {"tile": (16, 16)}),
        ("planar.tif", pixels, {"planarconfig": "separate"}),
        ("rgb16.tif", pixels.astype(np.uint16) * 257, {"compression": "zlib"}),
    ):
        buffer = io.BytesIO()
        tifffile.imwrite(buffer, values, photometric="rgb", **options)
        out[name] = buffer.getvalue()
    return out


def _orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()
