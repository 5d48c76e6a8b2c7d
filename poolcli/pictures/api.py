"""Contact sheets and comparison grids as Pillow images, for Python and notebooks.

The pictures ``poolimg max --sheet`` and ``poolimg compare`` write, drawn by the same code
(:mod:`poolcli.pictures.sheet`, :mod:`poolcli.pictures.grid`), returned instead of saved: a notebook
cell that ends with one shows it, since Pillow images render in Jupyter::

    import poolcli
    poolcli.contact_sheet("photo.jpg", "max", passes=4)
    poolcli.comparison("photo.jpg", modes=["max", "avg"], passes=3, diff=True)

Images may be a path, a Pillow image or a numpy array: ``(H, W)`` grey, ``(H, W, 3)`` RGB or
``(H, W, 4)`` RGBA, of uint8 (uint16, int32 and float32 grey too).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from PIL import Image

from poolcli.errors import ParameterError
from poolcli.io.picture import Picture
from poolcli.io.reading import from_pillow, load
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import OPTION_MODES, PoolSpec
from poolcli.spec.style import DEFAULT_BACKGROUND, Crop, SheetStyle
from poolcli.spec.values import size_text

ImageLike = str | os.PathLike[str] | Image.Image | np.ndarray

# (dimensions, dtype) of an array -> the Pillow mode it is pooled as
_ARRAY_MODES = {
    (2, "uint8"): "L",
    (2, "uint16"): "I;16",
    (2, "int32"): "I",
    (2, "float32"): "F",
    (3, "uint8"): "RGB",
}


def as_picture(image: ImageLike, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Picture:
    """A :class:`~poolcli.io.reading.Picture` of a path, a Pillow image or an ``(H, W[, C])``
    array, as the CLI would read it (a Pillow image: its EXIF orientation applied).

    >>> as_picture(np.zeros((4, 6, 3), np.uint8)).mode, as_picture(np.zeros((4, 6), bool)).mode
    ('RGB', 'L')
    """
    if isinstance(image, Image.Image):
        return from_pillow(image, max_pixels)
    if not isinstance(image, np.ndarray):
        return load(image, max_pixels=max_pixels)
    pixels = np.asarray(image)
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    mode = _ARRAY_MODES.get((pixels.ndim, pixels.dtype.name))
    if pixels.ndim == 3 and pixels.dtype == np.uint8:
        mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}.get(pixels.shape[2])
    if mode is None:
        raise ParameterError(
            f"an array of shape {pixels.shape} and dtype {pixels.dtype} is not an image: give "
            "(H, W) grey or (H, W, 3|4) uint8 colour"
        )
    planar = pixels[None] if pixels.ndim == 2 else np.moveaxis(pixels, -1, 0)
    return Picture([np.ascontiguousarray(planar)], mode, name="<array>")


def contact_sheet(
    image: ImageLike,
    mode: str = "max",
    *,
    passes: int | Literal["all"] = 3,
    size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str | int = "valid",
    linear: bool = False,
    unpool: Literal["dark", "dim", "winners"] | None = None,
    cell: int = 512,
    background: tuple[int, int, int] = DEFAULT_BACKGROUND,
    scale: Literal["fit", "true"] = "fit",
    crop: Crop = "auto",
    title: str | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    threads: int | None = None,
    **options: Any,
) -> Image.Image:
    """The contact sheet of ``passes`` passes of ``mode`` over ``image``: the original, then
    each pass, labelled, pixels enlarged by whole factors; the sheet ``poolimg MODE --sheet``
    writes.

    ``options`` are :class:`~poolcli.PoolSpec`'s (``dilation``, ``power``, ``seed``, ...).
    ``unpool`` adds the row ``--unpool`` draws under the passes (max, min, stochastic, fractional):
    the input-sized picture of the pixels each pass kept, on black (``"dark"``), over the
    faded photo (``"dim"``), or how many windows each pixel won (``"winners"``).
    ``crop`` is the detail shown at 1:1 under the row: ``"auto"`` (for an image shown at half
    its size or less, its region with the most fine detail), ``(x, y, width, height)`` or
    ``"none"``.

    Raises
    ------
    PoolError
        The image cannot be read, the parameters are invalid, or no pass fits.
    """
    from poolcli.core.geometry import plan_for
    from poolcli.core.kernels.winners import kept_label, picture_of_winners
    from poolcli.core.passes import run_passes, run_passes_indexed
    from poolcli.pictures.sheet import SheetRow, contact_canvas

    picture = as_picture(image, max_pixels)
    spec = PoolSpec(mode, size, stride, padding, passes, **options)  # type: ignore[arg-type]
    frame = picture.frames[0]
    plan = plan_for(spec, frame.shape[1:])
    style = SheetStyle(cell, background, scale, crop=crop)
    shapes = [g.output_shape for g in plan]
    row = SheetRow(frame, picture.mode, style, shapes)
    kept = None
    if unpool is not None:
        if not spec.indexed:
            raise ParameterError(f"unpool needs a mode that keeps one pixel a window, not {mode}")
        kept = SheetRow(frame, picture.mode, style, shapes)
        for geom, (values, index) in zip(
            plan, run_passes_indexed(frame, spec, plan, threads=threads), strict=True
        ):
            row.add(values, geom.index)
            won = picture_of_winners(values, index, frame, unpool)
            kept.add(won, geom.index, kept_label(unpool, index, frame.shape[1:]))
    else:
        for geom, values in zip(
            plan,
            run_passes(frame, spec, plan, alpha=picture.has_alpha, linear=linear, threads=threads),
            strict=True,
        ):
            row.add(values, geom.index)
    return contact_canvas(title if title is not None else picture.name, spec, style, row, kept)


def comparison(
    image: ImageLike,
    modes: Sequence[str] | str = ("max", "avg", "min", "stride"),
    *,
    sizes: Sequence[int | tuple[int, int]] | None = None,
    passes: int = 3,
    size: int | tuple[int, int] = 2,
    stride: int | tuple[int, int] | None = None,
    padding: str | int = "valid",
    diff: bool = False,
    unpool: Literal["dark", "dim", "winners"] | None = None,
    linear: bool = False,
    cell: int = 256,
    background: tuple[int, int, int] = DEFAULT_BACKGROUND,
    crop: Crop = "auto",
    title: str | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    threads: int | None = None,
    **options: Any,
) -> Image.Image:
    """The comparison grid of ``poolimg compare``: a row per mode (or, with ``sizes``, per
    window size of the first mode), passes in columns; ``diff`` adds the stretched absolute
    difference of the first two rows. ``crop`` as for :func:`contact_sheet`: with a detail,
    the rows show it, under the first row's whole pictures.

    ``options`` are :class:`~poolcli.PoolSpec`'s; ``power`` goes to the ``lp`` row and
    ``seed`` to the stochastic and fractional ones, as on the command line.
    """
    from poolcli.pictures.grid import comparison as draw

    names = [modes] if isinstance(modes, str) else list(modes)
    if not names:
        raise ParameterError("modes: give one or more of max, avg, min, stride, ...")

    def spec(mode: str, window: int | tuple[int, int]) -> PoolSpec:
        own = {  # each row takes the options of its own mode
            k: v for k, v in options.items() if mode in OPTION_MODES.get(k, (mode,))
        }
        return PoolSpec(mode, window, stride, padding, 1, **own)  # type: ignore[arg-type]

    if sizes is None:
        rows = [(m, spec(m, size)) for m in names]
    else:
        rows = [(f"size {size_text(k, short=True)}", spec(names[0], k)) for k in sizes]
    picture = as_picture(image, max_pixels)
    style = SheetStyle(cell, background, "fit", crop=crop)
    canvas: Image.Image = draw(
        picture,
        rows,
        passes,
        style=style,
        diff=diff,
        linear=linear,
        unpool=unpool,
        threads=threads,
        title=title,
    )
    return canvas


def terminal_picture(image: ImageLike, how: str, max_pixels: int | None) -> Image.Image:
    """An image as ``poolimg show`` draws it with ``how``: its first frame in 8-bit RGB
    (deep values scaled as on sheets), enlarged by the largest whole factor that keeps it
    within the terminal's width, so small pooled images show crisp blocks."""
    import shutil

    from poolcli.pictures.cell_pixels import display
    from poolcli.pictures.terminal_graphics import CELL_PIXELS, pixel_width, screen_height
    from poolcli.spec.style import DEFAULT_BACKGROUND

    picture = as_picture(image, max_pixels)
    shown = display(picture.frames[0], picture.mode, DEFAULT_BACKGROUND)
    columns = shutil.get_terminal_size().columns
    blocks = how in ("blocks", "ansi256")
    width = columns if blocks else pixel_width(columns)
    height = screen_height(2 if blocks else CELL_PIXELS)
    factor = max(1, min(width // shown.width, height // shown.height))
    if factor > 1:
        shown = shown.resize(
            (shown.width * factor, shown.height * factor), Image.Resampling.NEAREST
        )
    return shown
