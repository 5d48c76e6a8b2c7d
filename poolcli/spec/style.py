"""How contact sheets and comparison grids look: sizes and colours, without Pillow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from poolcli.errors import ParameterError

DEFAULT_CELL = 512

# The detail of a sheet: a region (x, y, width, height) of the original, "auto" (the region
# with the most fine detail, when the original is shown at half its size or less) or "none".
Crop = tuple[int, int, int, int] | Literal["auto", "none"]


DEFAULT_BACKGROUND = (38, 38, 38)
DEFAULT_BACKGROUND_TEXT = "#{:02x}{:02x}{:02x}".format(*DEFAULT_BACKGROUND)  # as --background


@dataclass(frozen=True)
class SheetStyle:
    """How cells are sized and painted.

    ``cell`` caps the original's longer side; ``scale`` is ``"fit"`` (every pass enlarged by
    a whole factor towards the original's height) or ``"true"`` (every pass at the original's
    scale, so relative sizes are real); ``per_row`` cells fill a line of a contact sheet
    before it wraps; ``crop`` chooses the detail shown at 1:1 under the whole pictures.
    """

    cell: int = DEFAULT_CELL
    background: tuple[int, int, int] = DEFAULT_BACKGROUND
    scale: Literal["fit", "true"] = "fit"
    per_row: int = 4  # cells on a line of a contact sheet before it wraps
    crop: Crop = "auto"
    # --show: the terminal (columns, lines, pixels a column, pixels a line) cells are sized
    # for once the image's shape is known (poolcli.pictures.terminal_sheet.fit_screen)
    screen: tuple[int, int, float, float] | None = None

    def __post_init__(self) -> None:
        crop = self.crop
        if isinstance(crop, str):
            if crop not in ("auto", "none"):
                raise ParameterError(f"crop {crop!r}: use auto, none or (x, y, width, height)")
            return
        if (
            len(crop) != 4
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in crop)
            or min(crop[:2]) < 0
            or min(crop[2:]) < 1
        ):
            raise ParameterError(
                f"crop {crop!r}: give x, y at least 0 and width, height at least 1, in pixels"
            )

    @property
    def foreground(self) -> tuple[int, int, int]:
        r, g, b = self.background
        light = 0.2126 * r + 0.7152 * g + 0.0722 * b > 140
        return (20, 20, 20) if light else (235, 235, 235)

    @property
    def gap(self) -> int:
        return max(8, self.cell // 32)

    @property
    def font_size(self) -> int:
        """Title, column and row labels."""
        return max(12, round(self.cell / 22))

    @property
    def label_size(self) -> int:
        """Labels under the cells."""
        return max(11, round(self.font_size * 0.85))

    @property
    def line(self) -> int:
        """Height of a line of text, title or labels."""
        return round(self.font_size * 1.5)
