"""The comparison grid: one photo pooled several ways, a row each, passes in columns.

Rows are modes (``--modes max,avg``) or window sizes (``--sizes 2,3,4``); ``diff`` adds a
row with the absolute difference of the first two rows at each pass, stretched so the largest
difference is white; ``shift`` adds, under each row, the same passes of the input shifted by a
few pixels and how much each changed (:class:`Shifted`). Drawing is
:mod:`poolcli.pictures.sheet`'s; this module decides what to draw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from poolcli.core.geometry import PassGeometry, PlanError, plan_for
from poolcli.core.kernels.winners import kept_label, picture_of_winners
from poolcli.core.passes import run_passes, run_passes_indexed
from poolcli.errors import ParameterError
from poolcli.io.picture import Picture
from poolcli.io.reading import load
from poolcli.pictures.cell_pixels import display, fit_pass
from poolcli.pictures.detail import Region
from poolcli.pictures.sheet import FROM_STYLE, Cell, SheetRow, describe, grid
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import PoolSpec
from poolcli.spec.style import SheetStyle


def _passes_that_fit(shape: tuple[int, int], spec: PoolSpec, wanted: int) -> list[PassGeometry]:
    if spec.output_size is not None:  # a pass to a size is one pass
        return plan_for(spec, shape)
    try:
        return plan_for(replace(spec, passes=wanted), shape)
    except PlanError as stop:
        return stop.fits


@dataclass
class Shifted:
    """What shifting the input by ``by`` pixels (right and down: its first rows and columns
    cut) does to one row's passes: per pass, the greyscale change of the displayed pixels
    where both passes have them (the largest over the channels), and its mean over every
    channel, in display levels (0-255).

    Every pass changes where the picture moved by part of a pixel; one that aliases (max,
    strided subsampling) changes more than a blurred one (blurpool, maxblurpool): Zhang 2019's
    point, seen (docs/frameworks.md measures it).
    """

    by: int
    changes: list[np.ndarray] = field(default_factory=list)
    means: list[float] = field(default_factory=list)

    def add(self, before: np.ndarray, after: np.ndarray) -> None:
        """Add a pass's change: ``before`` and ``after`` are its displayed (H, W, 3) pixels."""
        rows, cols = min(before.shape[0], after.shape[0]), min(before.shape[1], after.shape[1])
        difference = np.abs(
            before[:rows, :cols].astype(np.int16) - after[:rows, :cols].astype(np.int16)
        )
        self.means.append(float(difference.mean()))
        self.changes.append(difference.max(axis=2).astype(np.uint8))


def comparison(
    source: str | Picture,
    rows: list[tuple[str, PoolSpec]],
    passes: int,
    *,
    style: SheetStyle | None = None,
    diff: bool = False,
    linear: bool = False,
    unpool: str | None = None,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    threads: int | None = None,
    title: str | None = None,
    board: bool = False,
    shift: int = 0,
) -> Any:
    """Draw the grid for the image at path ``source`` (or a picture already read); returns a
    Pillow image, titled with the path (or ``title``) and the rows' settings (``board``: a
    :class:`~poolcli.pictures.terminal_sheet.Board` of the same cells, for ``--show``).

    ``unpool`` ("dark", "dim" or "winners") adds, under each max, min or stochastic row, the
    input-sized pictures of the pixels each pass kept
    (:func:`poolcli.core.kernels.winners.picture_of_winners`). ``shift`` adds, under each row,
    its passes of the input shifted that many pixels right and down, and a row of how much
    each pass changed (:class:`Shifted`), every change in a column stretched by one factor, so
    the rows compare.

    Raises
    ------
    PoolError
        If the image cannot be read, no row can run a single pass, or ``diff`` is asked of
        rows whose passes differ in size.
    """
    style = style or SheetStyle()
    picture = source if isinstance(source, Picture) else load(source, max_pixels=max_pixels)
    if title is not None:
        path = title
    else:
        path = picture.name if isinstance(source, Picture) else str(source)
    frame, mode = picture.frames[0], picture.mode
    shape = frame.shape[1:]
    if not 0 <= shift < min(shape):
        raise ParameterError(
            f"{path}: a shift of {shift} pixels leaves nothing of a {shape[1]}x{shape[0]} image"
        )
    shifted: list[tuple[int, Shifted]] = []  # (grid row, changes): drawn once all are known
    grid_rows: list[list[Cell]] = []
    labels: list[str] = []
    full_size: list[list[np.ndarray]] = []  # display pixels of each pass, for the diff
    whole: list[Cell] | None = None  # with a detail: the first row's whole pictures, on top
    region: Region | object | None = FROM_STYLE  # every row's detail is of the same region
    for label, spec in rows:
        plan = _passes_that_fit(shape, spec, passes)
        shapes = [g.output_shape for g in plan]
        row = SheetRow(frame, mode, style, shapes, sizes_only=True, region=region)
        region = row.region
        kept = None
        pixels = []
        results: Iterator[tuple[np.ndarray, np.ndarray | None]]
        alpha = picture.has_alpha
        if unpool is not None and spec.indexed:
            kept = SheetRow(frame, mode, style, shapes, sizes_only=True, region=region)
            results = run_passes_indexed(frame, spec, plan, threads=threads)
        else:
            results = (
                (values, None)
                for values in run_passes(
                    frame, spec, plan, alpha=alpha, linear=linear, threads=threads
                )
            )
        for geom, (current, index) in zip(plan, results, strict=True):
            row.add(current, geom.index)
            if kept is not None and index is not None and unpool is not None:
                won = picture_of_winners(current, index, frame, unpool)
                kept.add(won, geom.index, kept_label(unpool, index, frame.shape[1:]))
            if diff or shift:
                pixels.append(np.asarray(display(current, mode, style.background)))
        empty = "one pass to a size" if spec.output_size is not None else "does not fit"
        for each in (row, *([kept] if kept else [])):
            for cells in (each.cells, each.detail) if each.region else (each.cells,):
                cells.extend(Cell(None, empty) for _ in range(passes + 1 - len(cells)))
        if row.region is not None and whole is None:
            whole = row.cells
        grid_rows.append(row.detail or row.cells)
        labels.append(label)
        full_size.append(pixels)
        if kept is not None:
            kept_cells = kept.detail or kept.cells
            kept_cells[0] = Cell(None, "")
            grid_rows.append(kept_cells)
            labels.append(f"{label}, {'won' if unpool == 'winners' else 'kept'}")
        if shift:
            cells, change = _shifted_row(
                frame[:, shift:, shift:],
                spec,
                passes,
                pixels,
                mode=mode,
                style=style,
                region=row.region,
                shift=shift,
                alpha=alpha,
                linear=linear,
                threads=threads,
            )
            grid_rows.append(cells)
            labels.append(f"{label}, shifted {shift} px")
            shifted.append((len(grid_rows), change))
            grid_rows.append([])  # the change's row, drawn once every row's is known
            labels.append(f"|{label} - shifted|")
    if shifted:
        # One factor a column, so the rows compare: white is the 99.5th percentile of the row
        # that changes most (the largest change alone, as --diff stretches, is a lone pixel
        # on a photo, and leaves the rest black).
        peaks = [
            max(
                (
                    int(np.percentile(c.changes[i], 99.5) + 0.5)
                    for _, c in shifted
                    if i < len(c.changes)
                ),
                default=0,
            )
            for i in range(passes)
        ]
        for at, change in shifted:
            grid_rows[at] = _change_cells(frame, change, peaks, style, region, passes)
    if all(len(cells) == 1 or cells[1].image is None for cells in grid_rows):
        raise ParameterError(f"{path}: not one pass fits any row of the comparison")
    if diff:
        first, second = (label for label, _ in rows[:2])
        height_of = (whole or grid_rows[0])[0]
        grid_rows.append(_diff_row(full_size[0], full_size[1], [first, second], height_of, style))
        labels.append("difference, whole" if whole is not None else "difference")
    if whole is not None:  # the detail's rows under the first row's whole pictures
        grid_rows.insert(0, whole)
        labels.insert(0, f"{rows[0][0]}, whole")
    columns = ["original"] + [f"pass {i}" for i in range(1, passes + 1)]
    by_size = len({(spec.size, str(spec.output_size)) for _, spec in rows}) > 1
    title = f"{path}   {describe(rows[0][1], mode=by_size, geometry=not by_size)}"
    if board:
        from poolcli.pictures.terminal_sheet import Board

        named = [
            (label, [_named(cell, column) for column, cell in zip(columns, cells, strict=False)])
            for label, cells in zip(labels, grid_rows, strict=True)
        ]
        return Board.of(title, named, style.background)
    return grid(grid_rows, style, title=title, row_labels=labels, column_labels=columns)


def _shifted_row(
    moved: np.ndarray,
    spec: PoolSpec,
    passes: int,
    pixels: list[np.ndarray],
    *,
    mode: str,
    style: SheetStyle,
    region: Region | None,
    shift: int,
    **run: Any,
) -> tuple[list[Cell], Shifted]:
    """The cells of the passes of ``moved`` (the shifted input), and what each pass changed
    against the displayed pixels of the unshifted passes, ``pixels``; ``run`` are
    :func:`~poolcli.core.passes.run_passes`'s options."""
    plan = _passes_that_fit(moved.shape[1:], spec, passes)
    shapes = [g.output_shape for g in plan]
    row = SheetRow(moved, mode, style, shapes, sizes_only=True, region=region)
    change = Shifted(shift)
    for geom, current, before in zip(
        plan, run_passes(moved, spec, plan, **run), pixels, strict=False
    ):
        row.add(current, geom.index)
        change.add(before, np.asarray(display(current, mode, style.background)))
    for cells in (row.cells, row.detail) if row.region else (row.cells,):
        cells.extend(Cell(None, "does not fit") for _ in range(passes + 1 - len(cells)))
    return row.detail or row.cells, change


def _change_cells(
    frame: np.ndarray,
    change: Shifted,
    peaks: list[int],
    style: SheetStyle,
    region: Region | object | None,
    passes: int,
) -> list[Cell]:
    """The row of a :class:`Shifted`: each pass's change stretched by its column's factor
    (``255 / peak``, clipped), labelled with its mean change (in display levels) and the
    factor."""
    shapes = [c.shape for c in change.changes]
    blank = np.zeros((1, *frame.shape[1:]), np.uint8)  # the original's cell is left empty
    row = SheetRow(blank, "L", style, shapes, sizes_only=True, region=region)
    for index, (grey, mean) in enumerate(zip(change.changes, change.means, strict=True), 1):
        peak = peaks[index - 1]
        factor = 255.0 / peak if peak else 1.0
        stretched = np.minimum(grey * factor + 0.5, 255).astype(np.uint8)
        row.add(stretched[None], index, f"mean {mean:.2f}, x{factor:.1f}")
    cells = row.detail or row.cells
    cells[0] = Cell(None, f"shifted {change.by} px")
    cells.extend(Cell(None, "") for _ in range(passes + 1 - len(cells)))
    return cells


def _named(cell: Cell, column: str) -> Cell:
    """A cell labelled with its column too, as a terminal's lines have no column labels."""
    named = cell.image is None or cell.label.startswith(("pass", "detail"))
    return Cell(cell.image, cell.label if named else f"{column}  {cell.label}")


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
