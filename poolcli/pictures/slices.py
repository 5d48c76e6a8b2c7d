"""A stack's sheet rows of slices (``-k WxHxD --sheet``): the frames of the input and of each
pass across frames, a row each, so what a window of frames made of its frames can be seen.

Frames arrive one at a time as the stack is decoded and pooled; the few a row shows (at most
:data:`SHOWN`, evenly picked) are reduced to their cell at once, so a sheet of a 500-page
stack holds a few small pictures, never a frame.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image

from poolcli.pictures.sheet import Cell, SheetRow, grid
from poolcli.spec.style import SheetStyle

SHOWN = 8  # frames a row of slices shows at most


def picked(count: int, shown: int = SHOWN) -> list[int]:
    """The frames of ``count`` a row shows: all of them, or ``shown`` evenly spread from the
    first to the last.

    >>> picked(5), picked(40)
    ([0, 1, 2, 3, 4], [0, 6, 11, 17, 22, 28, 33, 39])
    """
    if count <= shown:
        return list(range(count))
    return sorted({round(x) for x in np.linspace(0, count - 1, shown)})


def spans(count: int, windows: list[list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    """The input frames each frame stands for: each of the ``count`` input frames its own,
    then each pass's (the frames its window pooled stood for), from each pass's windows over
    the frames before it.

    >>> spans(7, [[(0, 2), (2, 4), (4, 6)], [(0, 2), (1, 3)]])[1:]
    [[(0, 2), (2, 4), (4, 6)], [(0, 4), (2, 6)]]
    """
    each = [[(i, i + 1) for i in range(count)]]
    for pass_windows in windows:
        before = each[-1]
        each.append([(before[start][0], before[end - 1][1]) for start, end in pass_windows])
    return each


class SliceRows:
    """The rows of slices of one stack: :meth:`add` each frame as it comes (``index`` 0 for
    the input's, then the pass's), :attr:`rows` and :attr:`labels` for the sheet's grid.

    ``count``: the input's frames; ``windows``: each pass's windows over the frames before
    it (:func:`poolcli.core.frames.depth_windows`); ``shapes``: each pass's (rows, cols), so
    that every row's cells are as high, passes enlarged by whole factors as a sheet's are.
    """

    def __init__(
        self,
        mode: str,
        style: SheetStyle,
        count: int,
        windows: list[list[tuple[int, int]]],
        shapes: list[tuple[int, int]],
    ) -> None:
        self.mode, self.style, self.shapes = mode, style, shapes
        self.spans = spans(count, windows)
        self.picks = [set(picked(len(row))) for row in self.spans]
        self.seen = [0] * len(self.spans)
        self.cells: list[dict[int, Cell]] = [{} for _ in self.spans]
        self._sizer: SheetRow | None = None  # sizes every cell against the input's first frame

    def start(self) -> None:
        """No frame yet (a decode retried)."""
        self.seen = [0] * len(self.spans)
        self.cells = [{} for _ in self.spans]
        self._sizer = None

    def add(self, index: int, planar: np.ndarray) -> None:
        """Frame after frame of the input (``index`` 0, first) or of pass ``index``."""
        position = self.seen[index]
        self.seen[index] += 1
        if position not in self.picks[index]:
            return
        if self._sizer is None:  # the input's first frame: each frame sized as a sheet's pass
            style = replace(self.style, cell=max(64, self.style.cell // 2))
            self._sizer = SheetRow(planar, self.mode, style, self.shapes, region=None)
            image = self._sizer.cells[0].image
        else:
            self._sizer.add(planar, index)
            image = self._sizer.cells.pop().image
        start, end = self.spans[index][position]
        label = f"frame {start + 1}" if end - start == 1 else f"frames {start + 1}-{end}"
        self.cells[index][position] = Cell(image, label)

    @property
    def labels(self) -> list[str]:
        """Each row's label: the input's frames, each pass's."""
        return [
            ("input" if index == 0 else f"pass {index}")
            + f", {len(row)} frame{'s' if len(row) != 1 else ''}"
            for index, row in enumerate(self.spans)
        ]

    @property
    def rows(self) -> list[list[Cell]]:
        """Each row's cells, in order."""
        return [[cells[p] for p in sorted(cells)] for cells in self.cells]


def slices_grid(slices: SliceRows, style: SheetStyle) -> Image.Image | None:
    """The rows of slices laid out, each labelled at its left (None: no frame came)."""
    rows = [row for row in slices.rows if row]
    if not rows:
        return None
    labels = [label for label, row in zip(slices.labels, slices.rows, strict=True) if row]
    return grid(rows, style, row_labels=labels)


def under(sheet: Image.Image, lower: Image.Image, style: SheetStyle) -> Image.Image:
    """``lower`` laid out under ``sheet``, on the sheet's background."""
    canvas = Image.new("RGB", (max(sheet.width, lower.width), sheet.height + lower.height))
    canvas.paste(style.background, (0, 0, canvas.width, canvas.height))
    canvas.paste(sheet, (0, 0))
    canvas.paste(lower, (0, sheet.height))
    return canvas
