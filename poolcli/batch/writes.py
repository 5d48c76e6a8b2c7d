"""What one input writes, and the account of it: a pass, the picture of its winners, its sheet.

Each write goes through :mod:`poolcli.io.writing` (atomic, inside ``-o``) and is listed in the
input's :class:`~poolcli.batch.report.Result` as it completes. ``Result.writing`` names the
output under way, so that after a Ctrl-C :func:`settle_writing` can tell a file whose rename
had happened (complete, listed) from one that never appeared.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from poolcli.batch.inputs import Source
from poolcli.batch.naming import sheet_path
from poolcli.batch.report import Output, Result
from poolcli.batch.run_options import RunOptions
from poolcli.core.geometry import PassGeometry
from poolcli.remote import storage

if TYPE_CHECKING:
    import numpy as np

    from poolcli.io.picture import Picture
    from poolcli.pictures.sheet import SheetRow
    from poolcli.pictures.slices import SliceRows


def unpooled_picture(
    picture: Picture, original: np.ndarray, index: np.ndarray, run: RunOptions
) -> Picture:
    """The input-sized picture of a pass's winners (see
    :func:`poolcli.core.kernels.winners.picture_of_winners`)."""
    from poolcli.core.kernels.winners import picture_of_winners

    how = "winners" if run.winners else run.unpool or "dark"
    pixels = picture_of_winners(picture.frames[0], index, original, how)
    if run.winners:
        return replace(picture, frames=[pixels], mode="L", icc_profile=None)
    return picture.with_frames([pixels])


def write_pass(
    picture: Picture,
    target: str,
    geom: PassGeometry,
    run: RunOptions,
    protect: list[str],
    result: Result,
    threads: int | None,
    unpooled: tuple[int, int] | None = None,
) -> None:
    """Write one pass (or, with ``unpooled``, the input-sized picture of its winners)."""
    from poolcli.io import writing

    if run.no_clobber and target != "-" and storage.exists(target):
        result.existing.append(target)
        return
    picture = _visible(picture, target, run, result)
    height, width = unpooled or geom.output_shape
    kind: Literal["pass", "unpool", "winners"] = "pass"
    if unpooled is not None:
        kind = "winners" if run.winners else "unpool"
    output = Output(target, width, height, geom.index, 0, kind)
    result.writing = (output, inode_at(target))
    try:
        notes = writing.save(
            picture,
            target,
            run.save,
            protect=protect,
            threads=threads,
            create_only=run.no_clobber,
            inside=run.inside,
        )
    except storage.Exists:  # on object storage, after the listing: another run, or ours
        result.writing = None
        if not storage.written_by_run(target):
            result.existing.append(target)
            return
        notes = []  # an earlier try of this input (its worker died) wrote it: done
    result.warnings.extend(n for n in notes if n not in result.warnings)
    output.bytes = 0 if target == "-" else storage.size(target)
    result.outputs.append(output)
    result.writing = None


def _visible(picture: Picture, target: str, run: RunOptions, result: Result) -> Picture:
    """Sums and Lp norms as ``--stretch`` writes them (scaled to the format's range), or as
    they are, with the largest value noted when viewers would show the file dark."""
    from poolcli.io.deep_encoders import is_deep, peak_of, stretch
    from poolcli.spec.formats import format_for

    if not picture.frames or not is_deep(picture.frames[0], picture.mode):
        return picture
    fmt = format_for(target, run.save.format)
    if run.stretch:
        top = 65535 if fmt in ("PNG", "TIFF") else 255
        return picture.with_frames(stretch(picture.frames, top))
    peak = peak_of(picture.frames)
    if fmt == "PNG" and peak < DARK_BELOW:
        result.dark = max(result.dark or 0.0, peak)
    return picture


# Values of a 16-bit PNG below this show as (nearly) black in viewers, which scale 65535 to
# white: a quarter of the range.
DARK_BELOW = 65536 // 4


def inode_at(path: str) -> int | None:
    """The inode at ``path`` (None: no file there, standard output, or a URL: object
    storage has no half-written state to settle)."""
    if path == "-" or storage.is_remote(path):
        return None
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def settle_writing(result: Result) -> None:
    """After a Ctrl-C: list the output being written if its rename had happened."""
    if result.writing is None:
        return
    output, before = result.writing
    result.writing = None
    listed = any(o is output for o in result.outputs)  # the stop came after it was listed
    now = inode_at(output.path)
    if not listed and now is not None and now != before:
        output.bytes = os.stat(output.path).st_size
        result.outputs.append(output)


def finish_sheet(
    source: Source,
    run: RunOptions,
    row: SheetRow,
    protect: list[str],
    result: Result,
    unpool_row: SheetRow | None = None,
    slices: SliceRows | None = None,
) -> None:
    """Save an input's own sheet, or hand its row back for the run's shared sheet (the
    unpooled row, if any, sits under the pooled one; a stack's rows of slices under both)."""
    import numpy as np

    from poolcli.io import writing
    from poolcli.pictures import sheet

    if run.shared_sheet:
        result.sheet_row = [(np.asarray(c.image), c.label) for c in row.cells]
        result.sheet_detail = [(np.asarray(c.image), c.label) for c in row.detail] or None
        return
    path = sheet_path(source, run)
    if run.no_clobber and storage.exists(path):  # a sheet is kept as the passes are
        result.existing.append(path)
        return
    style = run.sheet_style
    lower = None
    if slices is not None:
        from poolcli.pictures.slices import slices_grid, under

        lower = slices_grid(slices, style)
    width = lower.width if lower is not None else 0
    canvas = sheet.contact_canvas(source.shown, run.spec, style, row, unpool_row, width)
    if lower is not None:
        canvas = under(canvas, lower, style)
    output = Output(path, canvas.width, canvas.height, 0, 0, "sheet")
    result.writing = (output, inode_at(output.path))
    writing.save_image(canvas, path, run.save, protect=protect, inside=run.inside)
    output.bytes = storage.size(path)
    result.outputs.append(output)
    result.writing = None


def page_sheet(name: str, run: RunOptions, row: SheetRow) -> bytes:
    """An input's sheet for the gallery of ``--html``: JPEG, small enough that a page of a
    hundred inputs stays a page."""
    import io

    from poolcli.pictures import sheet

    canvas = sheet.contact_canvas(name, run.spec, run.sheet_style, row)
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class _Metadata(Protocol):
    """What carries an image's metadata: its header, its decoded picture."""

    @property
    def icc_profile(self) -> bytes | None: ...

    @property
    def dpi(self) -> tuple[float, float] | None: ...

    @property
    def exif(self) -> bytes | None: ...


def kept_metadata(found: _Metadata, run: RunOptions) -> dict[str, Any]:
    """The metadata of ``found`` (a header, a decoded picture) written with its passes: all
    of it, or less (``--strip``, ``--keep-metadata``)."""
    keep = run.save.metadata
    return {
        "icc_profile": found.icc_profile if keep != "none" else None,
        "dpi": found.dpi if keep != "none" else None,
        "exif": found.exif if keep == "all" else None,
    }
