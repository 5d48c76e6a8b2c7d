"""What ``--show`` draws: the sheet's pictures in lines the terminal can hold, each labelled
in terminal text under it (never cut: a long label wraps), the rest of a row on the next lines.

A sheet drawn as one picture shrinks its labels with it (at 80 columns a label is a few
pixels high); here only the pictures are pixels, and their size comes from the terminal's
width and height together (:func:`cell_size`), so a row of passes and its detail fit a screen.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from poolcli.pictures.sheet import Cell
from poolcli.pictures.terminal_graphics import Method, blocks, iterm, kitty, png_bytes, sixel
from poolcli.spec.style import DEFAULT_CELL, SheetStyle

GAP = 2  # columns between pictures


@dataclass
class Board:
    """Lines of labelled pictures: ``rows`` of (row label, cells as (RGB array or None,
    label)), drawn under ``title`` on ``background``. Arrays, so worker processes can hand
    it back."""

    title: str
    rows: list[tuple[str, list[tuple[np.ndarray | None, str]]]]
    background: tuple[int, int, int] = (0, 0, 0)

    @classmethod
    def of(
        cls,
        title: str,
        rows: Sequence[tuple[str, Sequence[Cell]]],
        background: tuple[int, int, int],
    ) -> Board:
        def array(cell: Cell) -> np.ndarray | None:
            return None if cell.image is None else np.asarray(cell.image.convert("RGB"))

        kept = [(label, [(array(c), c.label) for c in cells]) for label, cells in rows if cells]
        return cls(title, kept, background)


def cell_size(screen: tuple[int, int, float, float], cells: int, rows: int, aspect: float) -> int:
    """The longer side, in pixels, of the pictures of a sheet shown on ``screen`` (columns,
    lines, and pixels a column and a line): the largest that lets ``rows`` rows of ``cells``
    pictures of ``aspect`` (height over width), their labels and the title fit on one screen,
    with as many pictures a line as that size allows; at least 16.

    >>> cell_size((80, 24, 1, 2), 4, 2, 2 / 3), cell_size((200, 60, 1, 2), 4, 1, 1.0)
    (18, 51)
    """
    columns, lines, per_column, per_line = screen
    best = 0.0
    for per_row in range(1, cells + 1):
        width = (columns - GAP * (per_row - 1)) // per_row * per_column
        lines_of_pictures = rows * math.ceil(cells / per_row)
        room = (lines - 1) / lines_of_pictures - 3  # each: labels (two lines) and a row label
        # whole lines, less a pixel: a picture's height is rounded on the way
        height = min(width * aspect, math.floor(room) * per_line - 1)
        best = max(best, height / aspect, height)
    return max(16, int(best))


def fit_screen(style: SheetStyle, shape: tuple[int, int], cells: int, rows: int = 1) -> SheetStyle:
    """``style`` with the cell :func:`cell_size` gives an image of ``shape`` (rows, cols) on
    the style's screen: ``rows`` rows of ``cells``, and a row of detail more where the image
    is large enough to have one (:mod:`poolcli.pictures.detail`: a sheet's passes, a grid's
    whole pictures)."""
    if style.screen is None:
        return style
    aspect = shape[0] / max(1, shape[1])
    cell = cell_size(style.screen, cells, rows + 1, aspect)
    if 2 * cell > max(shape):  # shown at more than half its size: no detail row
        cell = cell_size(style.screen, cells, rows, aspect)
    return replace(style, cell=min(DEFAULT_CELL, cell))


def render(board: Board, method: Method, columns: int, per_column: float) -> str:
    """The text that draws ``board`` with ``method`` in ``columns`` columns of
    ``per_column`` pixels."""
    out = [board.title + "\n"]
    for label, cells in board.rows:
        if label:
            out.append(label + "\n")
        widest = max((a.shape[1] for a, _ in cells if a is not None), default=8)
        width = max(8, math.ceil(widest / per_column))  # columns a picture takes
        per_row = max(1, (columns + GAP) // (width + GAP))
        for start in range(0, len(cells), per_row):
            line = cells[start : start + per_row]
            out.append(_pictures(line, width, per_column, board.background, method))
            out.append(_labels([text for _, text in line], width))
    return "".join(out)


def _pictures(
    cells: list[tuple[np.ndarray | None, str]],
    width: int,
    per_column: float,
    background: tuple[int, int, int],
    method: Method,
) -> str:
    height = max((a.shape[0] for a, _ in cells if a is not None), default=1)
    step = round((width + GAP) * per_column)
    span = round((len(cells) * (width + GAP) - GAP) * per_column)
    canvas = Image.new("RGB", (span, height), background)
    for i, (pixels, _) in enumerate(cells):
        if pixels is not None:
            canvas.paste(Image.fromarray(pixels), (i * step, height - pixels.shape[0]))
    columns = len(cells) * (width + GAP) - GAP
    if method == "kitty":
        return kitty(png_bytes(canvas), columns) + "\n"
    if method == "iterm":
        return iterm(png_bytes(canvas), columns) + "\n"
    if method == "sixel":
        return sixel(canvas) + "\n"
    return blocks(canvas, truecolor=method == "blocks")


def _labels(texts: list[str], width: int) -> str:
    """The labels of a line of pictures, each under its picture, wrapped to its width.

    >>> _labels(["pass 1  256x256", "pass 2"], 8)
    'pass 1    pass 2\\n256x256\\n'
    """
    wrapped = [textwrap.wrap(text, width) or [""] for text in texts]
    lines = []
    for row in range(max(len(w) for w in wrapped)):
        parts = [(w[row] if row < len(w) else "").ljust(width) for w in wrapped]
        lines.append((" " * GAP).join(parts).rstrip())
    return "\n".join(lines) + "\n"
