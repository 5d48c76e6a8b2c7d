"""Contact sheets and comparison grids: the photo and its passes side by side, labelled.

Pillow drawing only; pixels arrive as planar numpy arrays in a pooling mode. A pass smaller
than its cell is enlarged by a whole factor with nearest-neighbour, so each pooled pixel is a
crisp square block; a pass larger than its cell is shrunk to fit with a box filter, like the
original. Text uses Pillow's built-in scalable font, so no system font is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from poolcli.pictures.cell_pixels import display, drawn_at, fit_pass, on_checks
from poolcli.pictures.detail import Region, frame, region_for, scaled
from poolcli.spec.style import SheetStyle


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` px (scalable when Pillow has FreeType)."""
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class Cell:
    """One picture of a grid, with the label drawn under it."""

    image: Image.Image | None
    label: str

    @classmethod
    def from_array(cls, pixels: np.ndarray, label: str) -> Cell:
        """A cell from an (H, W, 3) uint8 array, as worker processes hand cells back."""
        return cls(Image.fromarray(pixels), label)


def text_width(text: str, size: int) -> int:
    """Width in pixels of ``text`` in the built-in font at ``size`` px."""
    left, _, right, _ = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(
        (0, 0), text, font=font(size)
    )
    return int(right - left)


def _fit_text(text: str, size: int, width: int) -> str:
    """``text``, shortened with "..." until it fits ``width`` pixels."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "...", size) > width:
        text = text[:-1]
    return text + "..." if text else ""


def grid(
    rows: list[list[Cell]],
    style: SheetStyle,
    *,
    title: str = "",
    row_labels: list[str] | None = None,
    column_labels: list[str] | None = None,
    width: int = 0,
) -> Image.Image:
    """Lay out rows of cells on one canvas, at least ``width`` wide (its title too).

    The geometry follows from the pictures alone, so it can be checked: every column is as
    wide as its widest picture and every row as high as its highest, with ``style.gap``
    between and around them; under each row runs a ``style.line`` high band for the cell
    labels (shortened to the column's width); a title line on top (when there is a title),
    a line of column labels under it (when given), and a column of row labels at the left as
    wide as the widest of them plus a gap (when given). Pictures sit at the bottom left of
    their cell.
    """
    face, small = font(style.font_size), font(style.label_size)
    gap, line = style.gap, style.line
    columns = max(len(r) for r in rows)
    widths = [0] * columns
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell.image.width if cell.image else 0)
    widths = [w or 8 * style.label_size for w in widths]  # an empty column still shows labels
    heights = [max((c.image.height for c in row if c.image), default=line) for row in rows]
    left = gap + (
        max(text_width(t, style.font_size) for t in row_labels) + gap if row_labels else 0
    )
    top = gap + (line + gap if title else 0) + (line if column_labels else 0)
    width = max(width, left + sum(widths) + gap * columns)
    height = top + sum(h + line + gap for h in heights)
    canvas = Image.new("RGB", (width, height), style.background)
    draw = ImageDraw.Draw(canvas)
    ink = style.foreground
    if title:
        draw.text(
            (gap, gap), _fit_text(title, style.font_size, width - 2 * gap), fill=ink, font=face
        )
    xs = [left + sum(widths[:i]) + gap * i for i in range(columns)]
    if column_labels:
        for x, w, text in zip(xs, widths, column_labels, strict=False):
            draw.text((x, top - line), _fit_text(text, style.font_size, w), fill=ink, font=face)
    y = top
    for r, row in enumerate(rows):
        if row_labels:
            draw.text((gap, y + (heights[r] - line) // 2), row_labels[r], fill=ink, font=face)
        for x, w, cell in zip(xs, widths, row, strict=False):
            if cell.image is not None:
                canvas.paste(cell.image, (x, y + heights[r] - cell.image.height))
            label = _fit_text(cell.label, style.label_size, w)
            draw.text((x, y + heights[r] + gap // 4), label, fill=ink, font=small)
        y += heights[r] + line + gap
    return canvas


def describe(spec: object, *, mode: bool = True, geometry: bool = True) -> str:
    """``max  size 2x2  stride 2x2  padding valid`` for a PoolSpec (W x H, as on the CLI), or
    ``max  to 512x`` for a pass to a size; ``mode`` and ``geometry`` leave out what all rows
    of a comparison do not share."""
    from poolcli.spec.pool_spec import PoolSpec, options_text
    from poolcli.spec.sizes import Target
    from poolcli.spec.values import size_text

    assert isinstance(spec, PoolSpec)
    stride = spec.size if spec.stride is None else spec.stride
    parts: list[str] = [spec.mode] if mode else []
    options = options_text(spec).lstrip("_").replace("_", "  ")
    if spec.output_size is not None:
        target = spec.output_size
        if isinstance(target, Target):
            words = target.text()
        elif isinstance(target, int):
            words = f"{target}x{target}!"
        else:
            words = f"{target[1] or ''}x{target[0] or ''}!"
        return "  ".join(parts + [f"to {words}"] + ([options] if options else []))
    if geometry:
        parts += [f"size {size_text(spec.size)}"]
        if spec.mode != "fractional":
            parts += [f"stride {size_text(stride)}"]
    if spec.mode != "fractional":
        parts.append(f"padding {spec.padding}")
    return "  ".join(parts + ([options] if options else []))


def _cell_box(original: tuple[int, int], passes: Sequence[tuple[int, int]], cell: int) -> int:
    """The longer side to show the original at: that of the largest image of the row, the
    original or a pass, that fits in ``cell``.

    Passes smaller than that image then enlarge to its height by whole factors, so the row
    is even: 512 px with cell 200 shows every cell 128 px high (512 and 256 shrunk, 128 as it
    is, 64 twice, ...), where shrinking only the original to 200 would leave 128 at 1x and
    64 at 3x.
    """
    sides = [max(shape) for shape in (original, *passes)]
    fitting = [side for side in sides if side <= cell]
    # but never the original at less than half the cell (a pass to a tenth of the size would
    # show the original as coarse as that pass): then the cell, the passes enlarged to it
    return max(fitting) if fitting and max(fitting) * 2 > cell else cell


FROM_STYLE = object()  # SheetRow's region when not given: chosen as the style's crop says


class SheetRow:
    """Collects the cells of one input's row as its passes are computed.

    Each pass is turned into its small display cell at once, so a sheet never holds the
    full-size passes. ``passes`` are the (rows, cols) the passes will have (from the plan),
    to choose an even cell height. ``detail`` collects the cells of the region of
    :mod:`~poolcli.pictures.detail` (``region``: the one another row of the same picture
    showed; by default as ``style.crop`` says), framed on the original.
    """

    def __init__(
        self,
        planar: np.ndarray,
        mode: str,
        style: SheetStyle,
        passes: Sequence[tuple[int, int]] = (),
        *,
        sizes_only: bool = False,
        region: Region | object | None = FROM_STYLE,
    ) -> None:
        self.mode, self.style, self.sizes_only = mode, style, sizes_only
        height, width = planar.shape[1:]
        box = _cell_box((height, width), passes, style.cell)
        ratio = min(1.0, box / max(height, width))
        original = drawn_at(planar, mode, style.background, ratio)
        side = max(original.size)
        if side * 2 <= style.cell:  # a small image (an icon, a 4x4 example): crisp blocks
            factor = style.cell // side
            size = (original.width * factor, original.height * factor)
            original = original.resize(size, Image.Resampling.NEAREST)
        self.height = original.height
        self.scale = original.width / width
        self.shape = (height, width)
        if region is FROM_STYLE:
            region = region_for(planar, style, original.size)
        self.region: Region | None = region if isinstance(region, Region) else None
        self.detail: list[Cell] = []
        shown = on_checks(original)
        if self.region is not None:
            self._add_original_detail(planar, max(original.size))
            shown = frame(shown, self.region, self.scale)
        label = f"{width}x{height}" if sizes_only else f"original {width}x{height}"
        self.cells = [Cell(shown, label)]

    def _add_original_detail(self, planar: np.ndarray, side: int) -> None:
        """The detail's first cell: the region of the original, its longer side ``side``
        pixels (1:1 for the region ``auto`` picks, whole factors for a smaller one)."""
        assert self.region is not None
        region = self.region
        crop = planar[:, region.y : region.y + region.height, region.x : region.x + region.width]
        shown = display(crop, self.mode, self.style.background, keep_alpha=True)
        longest = max(shown.size)
        self.detail_scale = float(side // longest) if longest <= side else side / longest
        picture, scale = scaled(shown, self.detail_scale)
        self.detail_size = picture.size
        self.detail.append(Cell(on_checks(picture), f"detail {region.text()}  {scale}"))

    def _pass_detail(self, planar: np.ndarray, mode: str) -> tuple[Image.Image, str]:
        """The region in a pass: its pixels as large as the original's (a whole factor), so
        its crisp squares are its windows, cut to the original's detail where the region
        ends inside a pass's pixel; and the factor's text."""
        assert self.region is not None
        height, width = planar.shape[1:]
        rows, cols = self.region.within((height, width), self.shape)
        crop = display(planar[:, rows, cols], mode, self.style.background, keep_alpha=True)
        scale = self.detail_scale * self.shape[0] / height
        picture, text = scaled(crop, scale)
        if scale < 1:
            return picture, text
        factor = picture.width // crop.width
        left = round((self.region.x * width / self.shape[1] - cols.start) * factor)
        top = round((self.region.y * height / self.shape[0] - rows.start) * factor)
        (wide, high), (most_wide, most_high) = picture.size, self.detail_size
        left, top = max(0, min(left, wide - most_wide)), max(0, min(top, high - most_high))
        box = (left, top, min(wide, left + most_wide), min(high, top + most_high))
        return picture.crop(box), text

    def add(self, planar: np.ndarray, index: int, what: str = "") -> None:
        """Add the cell of pass ``index``, whose pixels are ``planar``; ``what`` labels a
        picture of the pass that is not the pass itself ("kept", "won")."""
        height, width = planar.shape[1:]
        mode = "L" if planar.shape[0] == 1 and self.mode not in ("I;16", "I", "F") else self.mode
        label = f"{width}x{height}" if self.sizes_only else f"pass {index}  {width}x{height}"
        if what:
            label = f"pass {index}  {what}"
        if self.region is not None:
            picture, scale_text = self._pass_detail(planar, mode)
            self.detail.append(Cell(on_checks(picture), f"pass {index}  {what or scale_text}"))
        ratio = self.scale if self.style.scale == "true" else self.height / height
        if ratio < 1:  # shrunk to its cell
            picture = drawn_at(planar, mode, self.style.background, ratio)
        else:
            shown = display(planar, mode, self.style.background, keep_alpha=True)
            picture = fit_pass(shown, self.height, self.style, self.scale)
        self.cells.append(Cell(on_checks(picture), label))


def contact_canvas(
    name: str,
    spec: object,
    style: SheetStyle,
    row: SheetRow,
    unpool_row: SheetRow | None = None,
    width: int = 0,
) -> Image.Image:
    """The contact sheet of one input: its row of passes (and the row of what each pass
    kept, under it), each followed by its row of detail when it has one, titled with its
    name and the run's settings, at least ``width`` wide. A row longer than
    ``style.per_row`` cells wraps onto the next lines (the other rows' lines each under the
    line of passes they belong to), so ``-n all`` on a large photo stays a sheet a person
    can open."""
    rows = [row.cells] + ([row.detail] if row.detail else [])
    if unpool_row is not None:  # its first cells would repeat the original: leave them empty
        unpool_row.cells[0] = Cell(None, "")
        rows.append(unpool_row.cells)
        if unpool_row.detail:
            unpool_row.detail[0] = Cell(None, "")
            rows.append(unpool_row.detail)
    step = max(1, style.per_row)
    lines = [r[start : start + step] for start in range(0, len(rows[0]), step) for r in rows]
    return grid(lines, style, title=f"{name}   {describe(spec)}", width=width)
