"""One input through the whole pipeline: load, plan, pool every pass, write, draw its sheet.

Never prints and never raises for a bad input: :func:`run_one` returns a
:class:`~poolcli.batch.report.Result` for whatever happens, a bug in poolcli included.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from poolcli.batch.inputs import Source
from poolcli.batch.naming import sheet_path
from poolcli.batch.report import Output, Result
from poolcli.batch.run_options import RunOptions
from poolcli.batch.targets import (
    all_written,
    already_within,
    extensions,
    file_targets,
    frame_plans,
    from_header,
    written_passes,
)
from poolcli.core.geometry import PassGeometry, plan_for
from poolcli.core.passes import run_passes, run_passes_indexed
from poolcli.errors import ParameterError, PoolError, StdoutClosed
from poolcli.remote import storage
from poolcli.spec.sizes import Target

if TYPE_CHECKING:  # Pillow: imported when an input is read, not with this module
    import numpy as np

    from poolcli.io.reading import Picture
    from poolcli.pictures.sheet import SheetRow


def run_one(source: Source, run: RunOptions, threads: int | None = None) -> Result:
    """Load, pool and write one input; every failure becomes a failed Result.

    A bug in poolcli fails the input too (``internal`` set, the traceback kept for ``-v``)
    rather than the run. Ctrl-C raises :class:`Interrupted`, carrying the result so far: the
    passes written completely before it are on disk and listed.
    """
    started = time.monotonic()
    result = Result(source.path, "done")
    storage.configure(run.storage_options, run.run_id)
    try:
        result = _run_one(source, run, threads, result)
    except ParameterError as exc:
        result = Result(source.path, "failed", error=f"{source.shown}: {exc}", usage_error=True)
    except PoolError as exc:
        result = Result(source.path, "failed", error=str(exc), outputs=result.outputs)
        result.unreachable = isinstance(exc, storage.StorageError) and exc.exhausted
    except MemoryError:
        error = f"{source.shown}: not enough memory"
        result = Result(source.path, "failed", error=error, outputs=result.outputs)
    except KeyboardInterrupt:
        _settle_writing(result)
        result.status, result.error = "interrupted", f"{source.shown}: interrupted"
        raise Interrupted(result) from None
    except StdoutClosed:
        raise  # not this input's failure: the run stops
    except Exception as exc:  # a bug: say so, and go on with the other inputs
        result = Result(
            source.path,
            "failed",
            error=f"{source.shown}: internal error ({type(exc).__name__}: {exc}); "
            "please report it with the file",
            outputs=result.outputs,
            internal=traceback.format_exc(),
        )
    result.seconds = time.monotonic() - started
    return result


ALL_EXIST = "every output exists (--no-clobber)"  # why such an input is skipped


class _Clock:
    """Adds the seconds spent in each stage of an input to ``timings`` (what ``-v`` shows)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during one input; ``result`` lists what it had written."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.input)
        self.result = result


def _run_one(source: Source, run: RunOptions, threads: int | None, result: Result) -> Result:
    from poolcli.io import reading

    if (
        run.no_clobber
        and run.write_images
        and not run.indexed
        and source.path != "-"
        and all_written(source, run)
    ):
        return Result(source.path, "skipped", reason=ALL_EXIST)
    clock = _Clock(result.timings)
    # Whether the passes fit, and the output formats hold them, is known from the header: a
    # tiny file claiming a huge canvas is refused before it is decoded. What the header
    # decided serves the run too, if the pixels have the size it said.
    decided: dict[tuple[int, int], tuple[list[PassGeometry], dict[str, str]]] = {}

    def before_decode(header: reading.Header) -> None:
        decided[(header.height, header.width)] = from_header(source, run, header)

    with clock("decode"):
        picture = reading.load(
            source.path,
            max_pixels=run.max_pixels,
            size=source.size,
            before_decode=before_decode if run.write_images else None,
            allow_truncated=run.allow_truncated,
        )
    result.warnings.extend(picture.notes)
    if run.save.metadata != "all":  # --strip, --keep-metadata: EXIF goes; "none" takes the rest
        none = run.save.metadata == "none"
        picture = replace(
            picture,
            exif=None,
            icc_profile=None if none else picture.icc_profile,
            dpi=None if none else picture.dpi,
        )
    if not run.write_images:
        return _global_values(source, picture, run, threads, result)
    shape = picture.frames[0].shape[1:]
    if shape in decided:
        plan, targets = decided[shape]
    else:  # a PNG whose EXIF, after its pixels, turned it: decided again on the pixels
        plan, wanted = written_passes(run, shape)
        exts = extensions(source, run, plan, picture.mode, picture.format)
        targets = file_targets(source, run, plan, wanted, exts)
    if not plan:  # -n fit:N on an image already within N
        return Result(source.path, "skipped", reason=already_within(run))
    if isinstance(run.spec.output_size, Target) and plan[0].output_shape == shape:
        words = run.spec.output_size.text()
        result.warnings.append(f"already within {words}: written at its own size")
    linear = run.linear and picture.mode in LINEAR_MODES
    if run.linear and not linear:
        result.warnings.append(f"--linear does not apply to {picture.mode} images; ignored")
    row = unpool_row = shown_row = None
    shapes = [g.output_shape for g in plan]
    if run.sheet is not None:
        from poolcli.pictures.sheet import SheetRow

        row = SheetRow(picture.frames[0], picture.mode, run.sheet_style, shapes)
        if run.indexed:
            unpool_row = SheetRow(picture.frames[0], picture.mode, run.sheet_style, shapes)
    if run.show_style is not None:  # --show: a sheet at the terminal's size, drawn there
        from poolcli.pictures.sheet import SheetRow

        shown_row = SheetRow(picture.frames[0], picture.mode, run.show_style, shapes)
    protect = [] if source.path == "-" else [source.path]
    plans = frame_plans(run, plan, picture.frames)
    original = picture.frames[0] if run.indexed else None  # kept: unpooled pictures are its size
    first = (
        run_passes_indexed(picture.frames[0], run.spec, plan, threads=threads)
        if run.indexed
        else _unindexed(
            run_passes(
                picture.frames[0],
                run.spec,
                plan,
                alpha=picture.has_alpha,
                linear=linear,
                threads=threads,
            )
        )
    )
    others = [
        run_passes(f, run.spec, p, alpha=picture.has_alpha, linear=linear, threads=threads)
        for f, p in zip(picture.frames[1:], plans[1:], strict=True)
    ]
    for geom in plan:
        with clock("pool"):
            values, index = next(first)
            # Rebinding `picture` lets the decoded image go as soon as the first pass is done.
            picture = picture.with_frames([values, *(next(o) for o in others)])
        for each in (row, shown_row):
            if each is not None:
                with clock("sheet"):
                    each.add(picture.frames[0], geom.index)
        target = targets.get(f"pass {geom.index}")
        if target is not None:
            with clock("encode"):
                _write_pass(picture, target, geom, run, protect, result, threads)
        if original is None or index is None:
            continue
        shown = _unpooled(picture, original, index, run)
        if unpool_row is not None:
            from poolcli.core.kernels.winners import kept_label

            how = "winners" if run.winners else "kept"
            unpool_row.add(shown.frames[0], geom.index, kept_label(how, index, original.shape[1:]))
        target = targets.get(f"pass {geom.index} unpooled")
        if target is not None:
            with clock("encode"):
                _write_pass(shown, target, geom, run, protect, result, threads, original.shape[1:])
    if row is not None:
        with clock("sheet"):
            _finish_sheet(source, run, row, protect, result, unpool_row)
    if shown_row is not None and run.show_style is not None:
        from poolcli.pictures.sheet import contact_canvas

        result.preview = contact_canvas(source.shown, run.spec, run.show_style, shown_row)
    if not result.outputs and run.no_clobber:
        result.status, result.reason = "skipped", ALL_EXIST
    return result


def _unindexed(passes: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, None]]:
    for values in passes:
        yield values, None


def _unpooled(
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


def _write_pass(
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
    result.writing = (output, _inode(target))
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


def _inode(path: str) -> int | None:
    """The inode at ``path`` (None: no file there, standard output, or a URL: object
    storage has no half-written state to settle)."""
    if path == "-" or storage.is_remote(path):
        return None
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _settle_writing(result: Result) -> None:
    """After a Ctrl-C: list the output being written if its rename had happened."""
    if result.writing is None:
        return
    output, before = result.writing
    result.writing = None
    listed = any(o is output for o in result.outputs)  # the stop came after it was listed
    now = _inode(output.path)
    if not listed and now is not None and now != before:
        output.bytes = os.stat(output.path).st_size
        result.outputs.append(output)


# Pillow modes whose values are sRGB-encoded light, which --linear decodes before averaging.
LINEAR_MODES = frozenset({"L", "LA", "RGB", "RGBA", "I;16"})


def _finish_sheet(
    source: Source,
    run: RunOptions,
    row: SheetRow,
    protect: list[str],
    result: Result,
    unpool_row: SheetRow | None = None,
) -> None:
    """Save an input's own sheet, or hand its row back for the run's shared sheet (the
    unpooled row, if any, sits under the pooled one)."""
    import numpy as np

    from poolcli.io import writing
    from poolcli.pictures import sheet

    if run.shared_sheet:
        result.sheet_row = [(np.asarray(c.image), c.label) for c in row.cells]
        return
    path = sheet_path(source, run)
    if run.no_clobber and storage.exists(path):  # a sheet is kept as the passes are
        result.existing.append(path)
        return
    canvas = sheet.contact_canvas(source.shown, run.spec, run.sheet_style, row, unpool_row)
    output = Output(path, canvas.width, canvas.height, 0, 0, "sheet")
    result.writing = (output, _inode(output.path))
    writing.save_image(canvas, path, run.save, protect=protect, inside=run.inside)
    output.bytes = storage.size(path)
    result.outputs.append(output)
    result.writing = None


def _global_values(
    source: Source, picture: Picture, run: RunOptions, threads: int | None, result: Result
) -> Result:
    """Each channel's max, avg and min over the whole image, and the run's own mode's value
    when it is another (sum, lp, stochastic)."""
    from poolcli.core.kernels.dispatch import pool_planar
    from poolcli.core.pooling import pool
    from poolcli.core.reducers import reducer_for

    frame = picture.frames[0]
    values = {}
    for mode in ("max", "avg", "min"):
        pooled = pool(frame, mode, size="global", channel_axis=0, threads=threads)
        values[mode] = [v.item() for v in pooled[:, 0, 0]]
    spec = replace(run.spec, size="global", stride=None, padding="valid", passes=1)
    if spec.mode not in values and spec.mode != "stride":
        geom = plan_for(spec, frame.shape[1:])[0]
        pooled = pool_planar(frame, reducer_for(spec), geom, threads)
        values[spec.mode] = [v.item() for v in pooled[:, 0, 0]]
    result.values, result.channels = values, picture.mode
    return result
