"""The comparison grid: one photo pooled several ways, a row each, passes in columns.

Rows are modes (``--modes max,avg``) or window sizes (``--sizes 2,3,4``); ``diff`` adds a
row with the absolute difference of the first two rows at each pass, stretched so the largest
difference is white. Drawing is :mod:`poolcli.sheet`'s; this module decides what to draw.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .errors import ParameterError
from .geometry import PassGeometry, PlanError, plan_for
from .limits import DEFAULT_MAX_PIXELS
from .passes import run_passes
from .reading import load
from .sheet import Cell, SheetRow, describe, display, fit_pass, grid
from .spec import PoolSpec
from .style import SheetStyle


def _passes_that_fit(shape: tuple[int, int], spec: PoolSpec, wanted: int) -> list[PassGeometry]:
    try:
        return plan_for(replace(spec, passes=wanted), shape)
    except PlanError as stop:
        return stop.fits


def comparison(
    path: str,
    rows: list[tuple[str, PoolSpec]],
    passes: int,
    *,
    style: SheetStyle | None = None,
    diff: bool = False,
    linear: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    threads: int | None = None,
) -> Any:
    """Draw the grid for the image at ``path``; returns a Pillow image.

    Raises
    ------
    PoolError
        If the image cannot be read, no row can run a single pass, or ``diff`` is asked of
        rows whose passes differ in size.
    """
    style = style or SheetStyle()
    picture = load(path, max_pixels=max_pixels)
    frame, mode = picture.frames[0], picture.mode
    shape = frame.shape[1:]
    grid_rows: list[list[Cell]] = []
    full_size: list[list[np.ndarray]] = []  # display pixels of each pass, for the diff
    for _, spec in rows:
        plan = _passes_that_fit(shape, spec, passes)
        row = SheetRow(frame, mode, style, [g.output_shape for g in plan], sizes_only=True)
        pixels = []
        alpha = picture.has_alpha
        passes_of_row = run_passes(frame, spec, plan, alpha=alpha, linear=linear, threads=threads)
        for geom, current in zip(plan, passes_of_row, strict=True):
            row.add(current, geom.index)
            if diff:
                pixels.append(np.asarray(display(current, mode, style.background)))
        row.cells.extend(Cell(None, "does not fit") for _ in range(passes + 1 - len(row.cells)))
        grid_rows.append(row.cells)
        full_size.append(pixels)
    if all(len(cells) == 1 or cells[1].image is None for cells in grid_rows):
        raise ParameterError(f"{path}: not one pass fits any row of the comparison")
    labels = [label for label, _ in rows]
    if diff:
        grid_rows.append(_diff_row(full_size[0], full_size[1], labels, grid_rows[0][0], style))
        labels.append("difference")
    columns = ["original"] + [f"pass {i}" for i in range(1, passes + 1)]
    by_size = len({spec.size for _, spec in rows}) > 1
    title = f"{path}   {describe(rows[0][1], mode=by_size, geometry=not by_size)}"
    return grid(grid_rows, style, title=title, row_labels=labels, column_labels=columns)


def _diff_row(
    first: list[np.ndarray],
    second: list[np.ndarray],
    labels: list[str],
    original: Cell,
    style: SheetStyle,
) -> list[Cell]:
    cells = [Cell(None, f"|{labels[0]} - {labels[1]}|")]
    height = original.image.height if original.image else style.cell
    scale = 1.0
    for index, (a, b) in enumerate(zip(first, second, strict=False), start=1):
        if a.shape != b.shape:
            raise ParameterError(
                f"--diff needs the first two rows to have the same size at each pass, but pass "
                f"{index} is {a.shape[1]}x{a.shape[0]} and {b.shape[1]}x{b.shape[0]}"
            )
        difference = np.abs(a.astype(np.int16) - b.astype(np.int16))
        peak = int(difference.max())
        if peak == 0:
            stretched, label = difference.astype(np.uint8), "identical"
        else:
            stretched = (difference * (255.0 / peak) + 0.5).astype(np.uint8)
            label = f"max {peak}, x{255 / peak:.1f}"
        image = Cell.from_array(stretched, label).image
        assert image is not None
        cells.append(Cell(fit_pass(image, height, style, scale), label))
    return cells
