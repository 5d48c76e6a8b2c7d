"""How contact sheets and comparison grids look: sizes and colours, without Pillow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_CELL = 512


DEFAULT_BACKGROUND = (38, 38, 38)
DEFAULT_BACKGROUND_TEXT = "#{:02x}{:02x}{:02x}".format(*DEFAULT_BACKGROUND)  # as --background


@dataclass(frozen=True)
class SheetStyle:
    """How cells are sized and painted.

    ``cell`` caps the original's longer side; ``scale`` is ``"fit"`` (every pass enlarged by
    a whole factor towards the original's height) or ``"true"`` (every pass at the original's
    scale, so relative sizes are real); ``per_row`` cells fill a line of a contact sheet
    before it wraps.
    """

    cell: int = DEFAULT_CELL
    background: tuple[int, int, int] = DEFAULT_BACKGROUND
    scale: Literal["fit", "true"] = "fit"
    per_row: int = 4  # cells on a line of a contact sheet before it wraps

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
